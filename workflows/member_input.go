package workflows

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/orderflow/orderflow/internal/auth"
	"github.com/orderflow/orderflow/internal/money"
	"github.com/orderflow/orderflow/lifecycle"
)

// Member order: its input (content, schedule, settings) and the bodies of its
// actions, with their checks (Validate, vet) and their registry.

// MemberWorkflow is the workflow type name of a member order.
const MemberWorkflow = "MemberOrder"

// Client is who the member invoices.
type Client struct {
	Name      string `json:"name"`
	Company   string `json:"company,omitempty"`
	VATNumber string `json:"vat_number,omitempty"`
	Email     string `json:"email"`
}

// Period is a service period, inclusive dates.
type Period struct {
	Start string `json:"start"` // YYYY-MM-DD
	End   string `json:"end"`
}

// ScheduleEntry is one planned invoice: its date and either its own lines or
// an amount (excl. VAT, at the VAT rate of the order's first line).
type ScheduleEntry struct {
	Date   string        `json:"date"`
	Lines  []money.Line  `json:"lines,omitempty"`
	Amount *money.Amount `json:"amount,omitempty"`
}

// MemberContent is what a member order says: the part a member edits in draft
// and a duplicate copies.
type MemberContent struct {
	Client                 Client          `json:"client"`
	Title                  string          `json:"title"`
	Lines                  []money.Line    `json:"lines"`
	ServicePeriod          Period          `json:"service_period"`
	Schedule               []ScheduleEntry `json:"schedule"`
	OfferValidUntil        string          `json:"offer_valid_until,omitempty"`
	SkipClientConfirmation bool            `json:"skip_client_confirmation"`
	// ProofReference names the other confirmation or contract that replaces
	// the client's (decision: a reference, e.g. "contract 2026-17 signed
	// 3 Nov", not an upload).
	ProofReference string `json:"proof_reference,omitempty"`
}

// MemberSettings are the deployment's durations and places, stamped on the
// order when it is created.
type MemberSettings struct {
	TimeZone           string        `json:"time_zone"`
	InvoiceTime        string        `json:"invoice_time"` // "09:00"
	InvoiceDraftLead   time.Duration `json:"invoice_draft_lead"`
	MinReview          time.Duration `json:"min_review"`
	ClientReminderLead time.Duration `json:"client_reminder_lead"`
	SmartSLA           time.Duration `json:"smart_sla"` // counted on weekdays only
	DuplicateWindow    time.Duration `json:"duplicate_window"`
	PublicURL          string        `json:"public_url"`
	StaffEmail         string        `json:"staff_email"`
	// Seller is who invoices the client: the cooperative, on behalf of the
	// member (EN 16931 needs the seller's VAT number on e-invoices).
	SellerName string `json:"seller_name,omitempty"`
	SellerVAT  string `json:"seller_vat,omitempty"`
	// Waits: who is told, reminded and escalated while the order waits for
	// a person (waits.go).
	Waits WaitSettings `json:"waits"`
}

// MemberInput starts a member order.
type MemberInput struct {
	OrderID     string         `json:"order_id"`
	MemberID    string         `json:"member_id"`
	MemberName  string         `json:"member_name"`
	MemberEmail string         `json:"member_email"`
	Content     MemberContent  `json:"content"`
	Submit      bool           `json:"submit"` // skip draft
	CreatedBy   auth.Principal `json:"created_by"`
	RequestID   string         `json:"request_id,omitempty"`
	Settings    MemberSettings `json:"settings"`
	// DuplicatedFrom links a duplicate to the rejected order it copies.
	DuplicatedFrom string `json:"duplicated_from,omitempty"`
	// Resume carries the whole state across continue-as-new.
	Resume *memberState `json:"resume,omitempty"`
}

const dateLayout = "2006-01-02"

// Validate checks the order's content: field → what to fix.
func (c MemberContent) Validate() map[string]string {
	problems := map[string]string{}
	emailProblems(problems, "client.email", c.Client.Email, "carl@example.com")
	oneLine(problems, "client.name", c.Client.Name, true, maxName)
	oneLine(problems, "client.company", c.Client.Company, false, maxName)
	oneLine(problems, "client.vat_number", c.Client.VATNumber, false, maxCode)
	oneLine(problems, "title", c.Title, true, maxTitle)
	oneLine(problems, "proof_reference", c.ProofReference, false, maxReference)
	linesProblems(problems, "lines", c.Lines)
	start, errStart := time.Parse(dateLayout, c.ServicePeriod.Start)
	end, errEnd := time.Parse(dateLayout, c.ServicePeriod.End)
	switch {
	case errStart != nil:
		problems["service_period.start"] = "must be a date like 2026-12-01"
	case errEnd != nil:
		problems["service_period.end"] = "must be a date like 2027-03-31"
	case end.Before(start):
		problems["service_period.end"] = "must not be before the start"
	}
	switch {
	case len(c.Schedule) == 0:
		problems["schedule"] = "must have at least one planned invoice"
	case len(c.Schedule) > maxSchedule:
		problems["schedule"] = fmt.Sprintf("must have at most %d planned invoices; plan fewer, larger invoices", maxSchedule)
	}
	for i, e := range c.Schedule[:min(len(c.Schedule), maxSchedule)] {
		at := fmt.Sprintf("schedule[%d].", i)
		if _, err := time.Parse(dateLayout, e.Date); err != nil {
			problems[at+"date"] = "must be a date like 2026-12-15"
		}
		switch {
		case len(e.Lines) > 0 && e.Amount != nil:
			problems[at+"amount"] = "give either lines or an amount, not both"
		case len(e.Lines) > 0:
			linesProblems(problems, at+"lines", e.Lines)
		case e.Amount == nil || *e.Amount <= 0:
			problems[at+"amount"] = "must be greater than 0 (or give lines)"
		}
	}
	scheduleTotalProblems(problems, c)
	if _, err := time.Parse(dateLayout, c.OfferValidUntil); err != nil && !(c.SkipClientConfirmation && c.OfferValidUntil == "") {
		problems["offer_valid_until"] = "must be a date like 2026-12-01 (required unless client confirmation is skipped)"
	}
	return problems
}

// scheduleTotalProblems refuses a schedule whose planned invoices do not add
// up to the order: excl. VAT and at each VAT rate, since an entry's amount is
// excl. VAT (entryLines). Comparing the bases rather than the gross keeps a
// legitimate split from failing on a cent of VAT rounding per invoice.
// Checked only once the lines and the schedule are otherwise valid.
func scheduleTotalProblems(problems map[string]string, c MemberContent) {
	for field := range problems {
		if strings.HasPrefix(field, "lines") || strings.HasPrefix(field, "schedule") {
			return
		}
	}
	var planned []money.Line
	for i, e := range c.Schedule {
		planned = append(planned, entryLines(c, i, e)...)
	}
	order, errOrder := money.Compute(c.Lines)
	sched, errSched := money.Compute(planned)
	switch {
	case errOrder != nil || errSched != nil:
		problems["schedule"] = "the planned invoices cannot be totalled; plan fewer or smaller invoices"
	case sched.Net != order.Net:
		problems["schedule"] = fmt.Sprintf("the planned invoices total %s but the order totals %s (excl. VAT); make them equal",
			money.Format(sched.Net, "EUR"), money.Format(order.Net, "EUR"))
	case !slices.Equal(sched.ByRate, order.ByRate):
		problems["schedule"] = fmt.Sprintf("the planned invoices total %s (%s) but the order totals %s (%s); make them equal at each VAT rate",
			money.Format(sched.Gross, "EUR"), byRate(sched), money.Format(order.Gross, "EUR"), byRate(order))
	}
}

// byRate says "1,000.00 at 21%, 200.00 at 6%".
func byRate(t money.Totals) string {
	parts := make([]string, len(t.ByRate))
	for i, b := range t.ByRate {
		parts[i] = fmt.Sprintf("%s at %s%%", money.Format(b.Base, "EUR"), b.Rate)
	}
	return strings.Join(parts, ", ")
}

// linesProblems checks the lines of an order or of one planned invoice:
// their number, each line's description, and a total above 0.
func linesProblems(problems map[string]string, field string, lines []money.Line) {
	if len(lines) == 0 {
		problems[field] = "must have at least one line"
		return
	}
	if len(lines) > maxLines {
		problems[field] = fmt.Sprintf("must have at most %d lines; combine some", maxLines)
		return
	}
	n := len(problems)
	for i, l := range lines {
		oneLine(problems, fmt.Sprintf("%s[%d].description", field, i), l.Description, true, maxTitle)
	}
	if len(problems) > n {
		return
	}
	if err := money.ValidateLines(lines); err != nil {
		problems[field] = err.Error()
		return
	}
	totalProblems(problems, field, lines)
}

// Validate checks a new member order.
func (in MemberInput) Validate() map[string]string {
	problems := in.Content.Validate()
	oneLine(problems, "member_id", in.MemberID, true, maxID)
	emailProblems(problems, "member_email", in.MemberEmail, "mia@example.com")
	oneLine(problems, "member_name", in.MemberName, false, maxName)
	return problems
}

// Payloads of the member actions.

// EditPayload replaces the content of a draft.
type EditPayload struct {
	MemberContent
}

func (p *EditPayload) Validate() map[string]string { return p.MemberContent.Validate() }

// ChangeRequestPayload asks for changes to one invoice draft.
type ChangeRequestPayload struct {
	Entry   int    `json:"entry"` // 1-based, as shown
	Comment string `json:"comment"`
}

func (p *ChangeRequestPayload) Validate() map[string]string {
	problems := textProblems(map[string]string{}, "comment", p.Comment, true)
	if p.Entry < 1 {
		problems["entry"] = "must be the number of a schedule entry, from 1"
	}
	return problems
}

// ResolvePayload settles a change request: new lines, amount or date, or none.
type ResolvePayload struct {
	Entry  int           `json:"entry"`
	Lines  []money.Line  `json:"lines,omitempty"`
	Amount *money.Amount `json:"amount,omitempty"`
	Date   string        `json:"date,omitempty"`
	Note   string        `json:"note,omitempty"`
}

func (p *ResolvePayload) Validate() map[string]string {
	problems := textProblems(map[string]string{}, "note", p.Note, false)
	if p.Entry < 1 {
		problems["entry"] = "must be the number of a schedule entry, from 1"
	}
	if len(p.Lines) > 0 && p.Amount != nil {
		problems["amount"] = "give either lines or an amount, not both"
	}
	if len(p.Lines) > 0 {
		linesProblems(problems, "lines", p.Lines)
	}
	if p.Amount != nil && *p.Amount <= 0 {
		problems["amount"] = "must be greater than 0"
	}
	if p.Date != "" {
		if _, err := time.Parse(dateLayout, p.Date); err != nil {
			problems["date"] = "must be a date like 2026-12-15"
		}
	}
	return problems
}

// minCancellationReason is what "a detailed reason" means (decision).
const minCancellationReason = 20

// CancellationPayload asks to cancel an active order.
type CancellationPayload struct {
	Reason string `json:"reason"`
}

func (p *CancellationPayload) Validate() map[string]string {
	problems := textProblems(map[string]string{}, "reason", p.Reason, true)
	if len([]rune(strings.TrimSpace(p.Reason))) < minCancellationReason && problems["reason"] == "" {
		problems["reason"] = fmt.Sprintf("must explain the cancellation in at least %d characters", minCancellationReason)
	}
	return problems
}

// DuplicatePayload copies a rejected order; ToDraft keeps the copy in draft.
// OfferValidUntil and ScheduleDates (one per planned invoice, in order)
// replace the original's dates: the copy goes to Smart confirmation, and an
// offer or invoice date that has passed must be given anew (issue 12;
// checked by the API, which knows today's date).
type DuplicatePayload struct {
	ToDraft         bool     `json:"to_draft"`
	OfferValidUntil string   `json:"offer_valid_until,omitempty"`
	ScheduleDates   []string `json:"schedule_dates,omitempty"`
}

func (p *DuplicatePayload) Validate() map[string]string {
	problems := map[string]string{}
	if p.OfferValidUntil != "" {
		if _, err := time.Parse(dateLayout, p.OfferValidUntil); err != nil {
			problems["offer_valid_until"] = "must be a date like 2026-12-01"
		}
	}
	if len(p.ScheduleDates) > maxSchedule {
		problems["schedule_dates"] = fmt.Sprintf("must have at most %d dates, one per planned invoice", maxSchedule)
		return problems
	}
	for i, d := range p.ScheduleDates {
		if _, err := time.Parse(dateLayout, d); err != nil {
			problems[fmt.Sprintf("schedule_dates[%d]", i)] = "must be a date like 2026-12-15"
		}
	}
	return problems
}

// DuplicateContent is the content of a duplicate of c: the same, with the
// payload's new dates.
func DuplicateContent(c MemberContent, p DuplicatePayload) MemberContent {
	if p.OfferValidUntil != "" {
		c.OfferValidUntil = p.OfferValidUntil
	}
	if len(p.ScheduleDates) > 0 {
		c.Schedule = slices.Clone(c.Schedule)
		for i := range c.Schedule[:min(len(c.Schedule), len(p.ScheduleDates))] {
			c.Schedule[i].Date = p.ScheduleDates[i]
		}
	}
	return c
}

var memberPayloads = map[lifecycle.Action]func() Payload{
	lifecycle.Edit:                func() Payload { return &EditPayload{} },
	lifecycle.Reject:              func() Payload { return &ReasonPayload{} },
	lifecycle.Decline:             func() Payload { return &OptionalReasonPayload{} },
	lifecycle.RequestChanges:      func() Payload { return &ChangeRequestPayload{} },
	lifecycle.ResolveChanges:      func() Payload { return &ResolvePayload{} },
	lifecycle.RequestCancellation: func() Payload { return &CancellationPayload{} },
	lifecycle.DenyCancellation:    func() Payload { return &ReasonPayload{} },
	lifecycle.Duplicate:           func() Payload { return &DuplicatePayload{} },
}

func (m *member) vet(a lifecycle.Action, p Payload) string {
	entryOf := func(n int) (Entry, bool) {
		if n < 1 || n > len(m.Entries) {
			return Entry{}, false
		}
		return m.Entries[n-1], true
	}
	switch pl := p.(type) {
	case *ChangeRequestPayload:
		if e, ok := entryOf(pl.Entry); !ok || e.Status != EntryDrafted {
			return fmt.Sprintf("invoice %d has no draft waiting for review", pl.Entry)
		}
	case *ResolvePayload:
		if e, ok := entryOf(pl.Entry); !ok || e.Status != EntryHeld {
			return fmt.Sprintf("invoice %d has no open change request", pl.Entry)
		}
	case *DuplicatePayload:
		if n := len(pl.ScheduleDates); n > 0 && n != len(m.In.Content.Schedule) {
			return fmt.Sprintf("schedule_dates has %d dates; give one per planned invoice (%d)", n, len(m.In.Content.Schedule))
		}
	}
	return ""
}

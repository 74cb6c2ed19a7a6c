package workflows

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/oklog/ulid/v2"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/orderflow/orderflow/activities"
	"github.com/orderflow/orderflow/internal/auth"
	"github.com/orderflow/orderflow/internal/email"
	"github.com/orderflow/orderflow/internal/money"
	"github.com/orderflow/orderflow/internal/pdf"
	"github.com/orderflow/orderflow/internal/store"
	"github.com/orderflow/orderflow/lifecycle"
)

type member struct {
	core
	memberState
}

// MemberOrder runs one member order from draft to its final status.
func MemberOrder(ctx workflow.Context, in MemberInput) error {
	m := &member{}
	m.core = core{table: lifecycle.MemberFlow, flow: m}
	if in.Resume != nil {
		m.memberState = *in.Resume
		m.core.restore(m.memberState.Core)
	} else {
		m.In = in
		m.ID, m.Flow, m.Owner, m.CreatedAt = in.OrderID, lifecycle.MemberFlow.Name, in.MemberID, workflow.Now(ctx)
		m.Entries = entriesOf(in.Content)
		m.PaymentGuarantee = in.Content.ProofReference != ""
	}
	m.continueAsNew = m.continueAsNewError
	ctx = m.detach(ctx)
	if err := m.registerHandlers(ctx, memberPayloads); err != nil {
		return err
	}
	if in.Resume == nil {
		m.start(ctx, in)
	}
	return m.run(ctx)
}

func (m *member) start(ctx workflow.Context, in MemberInput) {
	reason := ""
	if in.DuplicatedFrom != "" {
		reason = "duplicate of " + in.DuplicatedFrom
	}
	m.transition(ctx, lifecycle.Draft, lifecycle.Create, in.CreatedBy, reason, in.RequestID)
	if in.Submit {
		m.submit(ctx, in.CreatedBy, in.RequestID)
	}
}

// continueAsNewError hands the whole state to a fresh run.
func (m *member) continueAsNewError(ctx workflow.Context) error {
	m.memberState.Core = m.core.save()
	state := m.memberState
	next := m.In
	next.Resume = &state
	return workflow.NewContinueAsNewError(ctx, MemberWorkflow, next)
}

func entriesOf(c MemberContent) []Entry {
	entries := make([]Entry, len(c.Schedule))
	for i, e := range c.Schedule {
		entries[i] = Entry{Date: e.Date, Lines: entryLines(c, i, e), Status: EntryPlanned}
	}
	return entries
}

// entryLines are the lines an entry invoices: its own, or its amount as one
// line at the VAT rate of the order's first line.
func entryLines(c MemberContent, i int, e ScheduleEntry) []money.Line {
	if len(e.Lines) > 0 {
		return e.Lines
	}
	rate := money.Percent(21)
	if len(c.Lines) > 0 {
		rate = c.Lines[0].VATRate
	}
	return []money.Line{{
		Description: fmt.Sprintf("%s — invoice %d of %d", c.Title, i+1, len(c.Schedule)),
		Quantity:    money.QuantityOf(1), UnitPrice: *e.Amount, VATRate: rate,
	}}
}

func (m *member) apply(ctx workflow.Context, a lifecycle.Action, req ActionRequest, p Payload) {
	actor, rid := req.Actor, req.RequestID
	switch a {
	case lifecycle.Edit:
		m.In.Content = p.(*EditPayload).MemberContent
		m.Entries = entriesOf(m.In.Content)
		m.PaymentGuarantee = m.In.Content.ProofReference != ""
		m.note(ctx, a, actor, "", rid)
	case lifecycle.Submit:
		m.submit(ctx, actor, rid)
	case lifecycle.Discard:
		m.transition(ctx, lifecycle.Cancelled, a, actor, "discarded draft", rid)
	case lifecycle.Approve:
		m.approve(ctx, actor, rid)
	case lifecycle.Reject:
		m.reject(ctx, a, actor, p.(*ReasonPayload).Reason, rid, "order_rejected")
	case lifecycle.Withdraw:
		if m.Status == lifecycle.ClientConfirmation { // change business-rules (GuardWithdrawFromClient)
			m.withdrawFromClient(ctx, actor, rid)
			break
		}
		m.SubmittedAt, m.Overdue = nil, false
		m.transition(ctx, lifecycle.Draft, a, actor, "", rid)
	case lifecycle.WithdrawCancellation:
		m.transition(ctx, m.cancellationFrom(), a, actor, "cancellation request withdrawn", rid)
	case lifecycle.Confirm:
		m.PaymentGuarantee = true
		m.activate(ctx, a, actor, rid)
		data := m.emailData()
		m.emailMember("member_order_confirmed", "", data)
		m.emailClient("member_order_confirmed", "", data)
	case lifecycle.Decline:
		reason := p.(*OptionalReasonPayload).Reason
		m.reject(ctx, a, actor, reason, rid, "client_declined")
	case lifecycle.ResendConfirmation:
		m.note(ctx, a, actor, "", rid)
		m.sendConfirmationLink()
	case lifecycle.RequestChanges:
		cr := p.(*ChangeRequestPayload)
		e := &m.Entries[cr.Entry-1]
		e.Status, e.ChangeRequest = EntryHeld, cr.Comment
		m.note(ctx, a, actor, fmt.Sprintf("invoice %d: %s", cr.Entry, cr.Comment), rid)
	case lifecycle.ResolveChanges:
		m.resolve(ctx, p.(*ResolvePayload), actor, rid)
	case lifecycle.RequestCancellation:
		m.transition(ctx, lifecycle.CancellationRequested, a, actor, p.(*CancellationPayload).Reason, rid)
	case lifecycle.ApproveCancellation:
		m.approveCancellation(ctx, actor, rid)
	case lifecycle.DenyCancellation:
		reason := p.(*ReasonPayload).Reason
		m.transition(ctx, lifecycle.Active, a, actor, reason, rid)
		data := m.emailData()
		data.Reason = reason
		m.emailMember("cancellation_denied", fmt.Sprint(m.Seq), data)
	case lifecycle.Duplicate:
		m.duplicate(ctx, actor, p.(*DuplicatePayload), rid)
	}
}

func (m *member) submit(ctx workflow.Context, actor auth.Principal, rid string) {
	now := workflow.Now(ctx)
	m.SubmittedAt = &now
	m.transition(ctx, lifecycle.SmartConfirmation, lifecycle.Submit, actor, "", rid)
	m.emailMember("order_submitted", fmt.Sprint(m.Seq), m.emailData())
}

func (m *member) approve(ctx workflow.Context, actor auth.Principal, rid string) {
	m.Overdue = false // handled: the order no longer waits for staff
	data := m.emailData()
	if m.In.Content.SkipClientConfirmation {
		m.activate(ctx, lifecycle.Approve, actor, rid)
		data.Reason = "Client confirmation was skipped, so the order is active and invoicing follows the schedule."
		if !m.PaymentGuarantee {
			data.Reason += " Without proof of the client's agreement it is not covered by the payment guarantee."
		}
	} else {
		// A request sent within the reminder lead is the client's last call
		// already: a reminder right behind it would only repeat it.
		if !workflow.Now(ctx).Before(m.reminderAt()) {
			m.Reminded = true
		}
		m.transition(ctx, lifecycle.ClientConfirmation, lifecycle.Approve, actor, "", rid)
		m.sendConfirmationLink()
		data.Reason = "Your client now receives a link to confirm the order."
	}
	m.emailMember("order_approved", "", data)
}

func (m *member) activate(ctx workflow.Context, a lifecycle.Action, actor auth.Principal, rid string) {
	m.Overdue = false
	m.transition(ctx, lifecycle.Active, a, actor, "", rid)
}

func (m *member) reject(ctx workflow.Context, a lifecycle.Action, actor auth.Principal, reason, rid, template string) {
	now := workflow.Now(ctx)
	m.RejectedAt = &now
	m.Overdue = false // staff no longer owe it an answer
	m.transition(ctx, lifecycle.Rejected, a, actor, reason, rid)
	for i := range m.Entries {
		m.Entries[i].Status = EntryCancelled // planned drafts of a rejected order are cancelled (decision)
	}
	data := m.emailData()
	data.Reason = reason
	m.emailMember(template, "", data)
}

// sendConfirmationLink makes a new single-use link for the client and emails it.
func (m *member) sendConfirmationLink() {
	round := m.LinkRound + 1 // after a withdrawal (0 before one)
	if m.Link != nil {
		round = m.Link.Round + 1
	}
	// The older link stops counting at once (its holder is no longer the
	// link holder), not only when the new one exists; and a second resend
	// before then gets the next round.
	m.Link = &ClientLinkRef{Round: round}
	in := activities.ClientLinkInput{Key: fmt.Sprintf("%s/confirmation/%d", m.ID, round), OrderID: m.ID, ExpiresAt: m.offerExpiry()}
	m.enqueue(fmt.Sprintf("client confirmation link %d", round), true, func(ctx workflow.Context) error {
		var link activities.ClientLinkRef
		if err := workflow.ExecuteActivity(ctx, acts.CreateClientLink, in).Get(ctx, &link); err != nil {
			return err
		}
		if m.LinkRound >= round {
			return nil // withdrawn meanwhile: RevokeClientLinks, queued behind, revokes it
		}
		m.Link = &ClientLinkRef{ID: link.ID, Round: round}
		m.version++
		data := m.emailData()
		data.ActionLink, data.Deadline = confirmationLink(link.ID), m.localTime(m.offerExpiry())
		m.emailClient("confirmation_request", strconv.Itoa(round), data)
		return nil
	})
}

func (m *member) resolve(ctx workflow.Context, p *ResolvePayload, actor auth.Principal, rid string) {
	e := &m.Entries[p.Entry-1]
	changed := len(p.Lines) > 0 || p.Amount != nil || (p.Date != "" && p.Date != e.Date)
	if p.Date != "" {
		e.Date = p.Date
	}
	switch {
	case len(p.Lines) > 0:
		e.Lines = p.Lines
	case p.Amount != nil:
		e.Lines = entryLines(m.In.Content, p.Entry-1, ScheduleEntry{Amount: p.Amount})
	}
	now := workflow.Now(ctx)
	e.ResolvedAt, e.ChangeRequest, e.Status = &now, "", EntryDrafted
	what := "no change"
	if changed {
		what = "changed"
		m.draft(ctx, p.Entry-1) // the member sees the new draft; it is issued on its date
	}
	m.note(ctx, lifecycle.ResolveChanges, actor, fmt.Sprintf("invoice %d: %s %s", p.Entry, what, p.Note), rid)
}

func (m *member) approveCancellation(ctx workflow.Context, actor auth.Principal, rid string) {
	m.transition(ctx, lifecycle.Cancelled, lifecycle.ApproveCancellation, actor, "", rid)
	credited := false
	for i := range m.Entries {
		e := &m.Entries[i]
		if e.Status != EntryIssued {
			e.Status = EntryCancelled
			continue
		}
		credited = true
		m.creditNote(ctx, i)
	}
	m.enqueue("cancellation emails", true, func(ctx workflow.Context) error {
		data := m.emailData()
		var notes, attach []string
		for _, e := range m.Entries {
			if e.CreditNote != nil {
				notes = append(notes, e.CreditNote.Number)
				attach = append(attach, m.documentsOf(e.CreditNote.ID)...)
			}
		}
		data.Invoice = strings.Join(notes, ", ")
		m.emailMember("cancellation_approved", "", data)
		// The client is told even when nothing was invoiced (issue 12), with
		// the credit notes themselves, PDF and e-invoice, when there are any.
		// Orders started before change trusted-actions told the client only
		// of credit notes (docs/versioning.md).
		if credited || m.trusted {
			m.emailClient("cancellation_approved", "", data, attach...)
		}
		return nil
	})
}

// withdrawFromClient takes an order in client confirmation back to draft
// (issue 12): the client's link stops working at once (the workflow no
// longer knows a link holder) and in the store (revoked, so the page says
// so), and the client is told the offer was withdrawn. The SLA and the
// reminder start afresh on the next submit and approval.
func (m *member) withdrawFromClient(ctx workflow.Context, actor auth.Principal, rid string) {
	if m.Link != nil {
		m.LinkRound = m.Link.Round
	}
	m.Link = nil
	m.SubmittedAt, m.Overdue, m.Reminded = nil, false, false
	m.transition(ctx, lifecycle.Draft, lifecycle.Withdraw, actor, "withdrawn from client confirmation", rid)
	in := activities.RevokeClientLinksInput{OrderID: m.ID}
	m.enqueue("revoke client links", true, func(ctx workflow.Context) error {
		return workflow.ExecuteActivity(ctx, acts.RevokeClientLinks, in).Get(ctx, nil)
	})
	m.emailClient("offer_withdrawn", strconv.Itoa(m.LinkRound), m.emailData())
}

// cancellationFrom is the status the open cancellation request was made
// in: where withdrawing it goes back to (active unless the table grows).
func (m *member) cancellationFrom() lifecycle.Status {
	for i := len(m.Timeline) - 1; i >= 0; i-- {
		if e := m.Timeline[i]; e.To == lifecycle.CancellationRequested && e.From != lifecycle.CancellationRequested && e.Outcome != store.OutcomeRefused {
			return e.From
		}
	}
	return lifecycle.Active
}

// documentsOf lists the stored documents of an issued invoice or credit
// note: its PDF (id = the invoice id) and its UBL e-invoice when there is one.
func (m *member) documentsOf(invoiceID string) []string {
	var ids []string
	for _, d := range m.Documents {
		if d.ID == invoiceID || d.ID == invoiceID+"-ubl" {
			ids = append(ids, d.ID)
		}
	}
	return ids
}

// duplicate starts a new order with the same content, linked both ways.
func (m *member) duplicate(ctx workflow.Context, actor auth.Principal, p *DuplicatePayload, rid string) {
	n := len(m.Duplicates) + 1
	sum := sha256.Sum256([]byte(fmt.Sprintf("%s/duplicate/%d", m.ID, n)))
	var id ulid.ULID
	copy(id[:], sum[:16])
	newID := "ord_" + id.String()
	m.Duplicates = append(m.Duplicates, newID)
	note := "duplicated to " + newID
	// The copy goes to Smart confirmation with the new offer and invoice
	// dates the member gave (issue 12; the API refuses a copy whose offer
	// has passed without a new date). One whose offer has passed all the
	// same (a signal, or midnight in between) would be rejected again at
	// once: it waits in draft for the member to set a new offer date.
	content, toDraft := DuplicateContent(m.In.Content, *p), p.ToDraft
	if !toDraft && content.OfferValidUntil != "" && !m.endOfDay(content.OfferValidUntil).After(workflow.Now(ctx)) {
		toDraft = true
		note += ", kept in draft: its offer has expired"
	}
	m.note(ctx, lifecycle.Duplicate, actor, note, rid)

	in := MemberInput{
		OrderID: newID, MemberID: m.In.MemberID, MemberName: m.In.MemberName, MemberEmail: m.In.MemberEmail,
		Content: content, Submit: !toDraft, CreatedBy: actor, RequestID: rid, Settings: m.In.Settings, DuplicatedFrom: m.ID,
	}
	m.enqueue("start duplicate "+newID, true, func(ctx workflow.Context) error {
		child := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
			WorkflowID:            newID,
			ParentClosePolicy:     enumspb.PARENT_CLOSE_POLICY_ABANDON,
			WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
			StaticSummary:         fmt.Sprintf("Member order %s for %s: %s (duplicate of %s)", newID, m.In.Content.Client.Name, m.In.Content.Title, m.ID),
			TypedSearchAttributes: temporal.NewSearchAttributes(OrderFlow.ValueSet("member"), OrderOwner.ValueSet(m.In.MemberID)),
		})
		err := workflow.ExecuteChildWorkflow(child, MemberWorkflow, in).GetChildWorkflowExecution().Get(ctx, nil)
		if temporal.IsWorkflowExecutionAlreadyStartedError(err) {
			return nil // started by an earlier attempt
		}
		return err
	})
}

// endOfDay is the end of date (23:59:59) in the order's time zone.
func (m *member) endOfDay(date string) time.Time {
	d, _ := time.ParseInLocation(dateLayout, date, m.location())
	return time.Date(d.Year(), d.Month(), d.Day(), 23, 59, 59, 0, m.location())
}

// Invoice schedule.

// draft renders entry i's draft PDF and emails it to the member.
func (m *member) draft(ctx workflow.Context, i int) {
	e := &m.Entries[i]
	now := workflow.Now(ctx)
	e.DraftVersion++
	e.DraftedAt = &now
	if e.Status == EntryPlanned {
		e.Status = EntryDrafted
	}
	docID := fmt.Sprintf("%s-draft-%d-v%d", m.ID, i+1, e.DraftVersion)
	e.DraftDocument = docID
	doc := m.invoiceDocument(i, pdf.InvoiceDraft, now)
	in := activities.RenderDocumentInput{ID: docID, OrderID: m.ID, Filename: fmt.Sprintf("draft-invoice-%d-%s.pdf", i+1, m.ID), Document: doc}
	m.enqueue(fmt.Sprintf("invoice draft %d", i+1), true, func(ctx workflow.Context) error {
		var ref activities.DocumentRef
		if err := workflow.ExecuteActivity(ctx, acts.RenderDocument, in).Get(ctx, &ref); err != nil {
			return err
		}
		m.Documents = append(m.Documents, ref)
		return nil
	})
	// No "View the order" link: the API's JSON behind a bearer token is
	// nothing a member can open (TestEmailsLinkOnlyToPages).
	data := m.entryEmail(i)
	// When it will be issued, the minimum review included. Only the email
	// activity's input changes, not the commands: no version needed.
	data.Deadline = m.localTime(m.issueAt(*e))
	m.emailMember("invoice_draft_ready", fmt.Sprintf("%d.%d", i+1, e.DraftVersion), data, docID)
}

// issue numbers entry i's invoice, renders it and sends it to the client
// with a copy to the member.
func (m *member) issue(ctx workflow.Context, i int) {
	now := workflow.Now(ctx)
	local := now.In(m.location())
	in := activities.IssueInvoiceInput{
		Key: fmt.Sprintf("%s/invoice/%d", m.ID, i+1), OrderID: m.ID, Entry: i + 1, Kind: "invoice", Year: local.Year(),
		Document: m.invoiceDocument(i, pdf.Invoice, now), Filename: fmt.Sprintf("invoice-%d-%s.pdf", i+1, m.ID),
	}
	m.Entries[i].Status = EntryIssued
	m.note(ctx, lifecycle.InvoiceIssued, systemActor, fmt.Sprintf("invoice %d of %s", i+1, m.Entries[i].Date), "")
	m.enqueue(fmt.Sprintf("issue invoice %d", i+1), false, func(ctx workflow.Context) error {
		var issued activities.IssuedInvoice
		if err := workflow.ExecuteActivity(ctx, acts.IssueInvoice, in).Get(ctx, &issued); err != nil {
			return err
		}
		m.Entries[i].Invoice = &InvoiceRef{ID: issued.ID, Number: issued.Number, Gross: issued.Gross, Document: issued.DocumentRef.ID}
		m.Documents = append(m.Documents, issued.DocumentRef)
		if issued.UBL != nil { // the e-invoice: data only, replays unchanged
			m.Documents = append(m.Documents, *issued.UBL)
		}
		m.version++
		data := m.entryEmail(i)
		data.Invoice = issued.Number
		attach := []string{issued.DocumentRef.ID}
		if issued.UBL != nil {
			// The structured e-invoice travels with the PDF. Only the email
			// activity's input changes, not the commands: no version needed.
			attach = append(attach, issued.UBL.ID)
		}
		m.emailWithCopy("invoice_issued", strconv.Itoa(i+1), data, attach...)
		return nil
	})
}

// creditNote credits entry i's issued invoice.
func (m *member) creditNote(ctx workflow.Context, i int) {
	now := workflow.Now(ctx)
	m.enqueue(fmt.Sprintf("credit note for invoice %d", i+1), false, func(ctx workflow.Context) error {
		inv := m.Entries[i].Invoice
		if inv == nil {
			return temporal.NewNonRetryableApplicationError("invoice "+strconv.Itoa(i+1)+" has no number yet", "CreditNoteEarly", nil)
		}
		doc := m.invoiceDocument(i, pdf.CreditNote, now)
		doc.CreditedInvoice = inv.Number
		for j := range doc.Lines {
			doc.Lines[j].UnitPrice = -doc.Lines[j].UnitPrice
		}
		in := activities.IssueInvoiceInput{
			Key: fmt.Sprintf("%s/credit-note/%d", m.ID, i+1), OrderID: m.ID, Entry: i + 1, Kind: "credit_note",
			Year: now.In(m.location()).Year(), CreditedInvoiceID: inv.ID, Document: doc,
			Filename: fmt.Sprintf("credit-note-%d-%s.pdf", i+1, m.ID),
		}
		var issued activities.IssuedInvoice
		if err := workflow.ExecuteActivity(ctx, acts.IssueInvoice, in).Get(ctx, &issued); err != nil {
			return err
		}
		m.Entries[i].CreditNote = &InvoiceRef{ID: issued.ID, Number: issued.Number, Gross: issued.Gross, Document: issued.DocumentRef.ID}
		m.Documents = append(m.Documents, issued.DocumentRef)
		if issued.UBL != nil { // the e-invoice: data only, replays unchanged
			m.Documents = append(m.Documents, *issued.UBL)
		}
		m.version++
		return nil
	})
}

func (m *member) invoiceDocument(i int, kind pdf.Kind, now time.Time) pdf.Document {
	c := m.In.Content
	start, _ := time.ParseInLocation(dateLayout, c.ServicePeriod.Start, m.location())
	end, _ := time.ParseInLocation(dateLayout, c.ServicePeriod.End, m.location())
	due := now.In(m.location()).AddDate(0, 0, 30)
	doc := pdf.Document{
		Kind: kind, Reference: m.ID, IssueDate: now.In(m.location()),
		ServicePeriod: &pdf.Period{Start: start, End: end},
		Seller:        m.seller(),
		Buyer:         pdf.Party{Name: c.Client.Name, Company: c.Client.Company, VATNumber: c.Client.VATNumber, Email: c.Client.Email},
		Lines:         slices.Clone(m.Entries[i].Lines), Currency: "EUR",
		Notes: []string{fmt.Sprintf("%s — invoice %d of %d, planned for %s.", c.Title, i+1, len(m.Entries), m.Entries[i].Date)},
	}
	if kind == pdf.Invoice {
		doc.DueDate = &due
	}
	return doc
}

// seller is who invoices: the cooperative on behalf of the member when the
// deployment names it (orders started before it was configured keep the
// member as seller).
func (m *member) seller() pdf.Party {
	st := m.In.Settings
	if st.SellerName == "" {
		return pdf.Party{Name: m.In.MemberName, Email: m.In.MemberEmail, Address: []string{"Invoiced through Smart"}}
	}
	return pdf.Party{Name: st.SellerName, VATNumber: st.SellerVAT, Email: m.In.MemberEmail,
		Address: []string{"On behalf of " + m.In.MemberName}}
}

// Deadlines.

func (m *member) location() *time.Location { return zone(m.In.Settings.TimeZone) }

// localAt is the instant of date at hh:mm local time.
func (m *member) localAt(date, hhmm string) time.Time {
	d, _ := time.ParseInLocation(dateLayout, date, m.location())
	t, err := time.Parse("15:04", hhmm)
	if err != nil {
		t = time.Date(0, 1, 1, 9, 0, 0, 0, time.UTC)
	}
	return time.Date(d.Year(), d.Month(), d.Day(), t.Hour(), t.Minute(), 0, 0, m.location())
}

// offerExpiry is the end of offer_valid_until: 23:59:59 local.
func (m *member) offerExpiry() time.Time {
	d, _ := time.ParseInLocation(dateLayout, m.In.Content.OfferValidUntil, m.location())
	return time.Date(d.Year(), d.Month(), d.Day(), 23, 59, 59, 0, m.location())
}

// slaDue adds the SLA to the submission time counting weekdays only: time
// on Saturdays and Sundays (local) does not count.
func (m *member) slaDue() time.Time {
	return addWeekdayTime(m.SubmittedAt.In(m.location()), m.In.Settings.SmartSLA)
}

func addWeekdayTime(t time.Time, d time.Duration) time.Time {
	for d > 0 {
		if wd := t.Weekday(); wd == time.Saturday || wd == time.Sunday {
			t = time.Date(t.Year(), t.Month(), t.Day()+1, 0, 0, 0, 0, t.Location())
			continue
		}
		midnight := time.Date(t.Year(), t.Month(), t.Day()+1, 0, 0, 0, 0, t.Location())
		if left := midnight.Sub(t); d > left {
			d -= left
			t = midnight
			continue
		}
		return t.Add(d)
	}
	return t
}

// draftAt is when entry e's draft is made: the invoice time, lead before its date.
func (m *member) draftAt(e Entry) time.Time {
	return m.wallClockBefore(m.localAt(e.Date, m.In.Settings.InvoiceTime), m.In.Settings.InvoiceDraftLead)
}

// reminderAt is when the client is reminded: the lead before the offer ends.
func (m *member) reminderAt() time.Time {
	return m.wallClockBefore(m.offerExpiry(), m.In.Settings.ClientReminderLead)
}

// wallClockBefore is d before t on the local clock: "seven days before, at
// 09:00" stays at 09:00 when summer time starts or ends in between.
func (m *member) wallClockBefore(t time.Time, d time.Duration) time.Time {
	local := t.In(m.location())
	wall := time.Date(local.Year(), local.Month(), local.Day(), local.Hour(), local.Minute(), local.Second(), 0, time.UTC).Add(-d)
	return time.Date(wall.Year(), wall.Month(), wall.Day(), wall.Hour(), wall.Minute(), wall.Second(), 0, m.location())
}

// issueAt is when a drafted entry is issued: its date at the invoice time,
// but never sooner than the minimum review after its draft or after the
// resolution of its change request (issue 12). Orders started before change
// trusted-actions issue a resolved entry whose date has passed at once
// (docs/versioning.md).
func (m *member) issueAt(e Entry) time.Time {
	at := m.localAt(e.Date, m.In.Settings.InvoiceTime)
	switch {
	case e.ResolvedAt != nil && m.trusted:
		if min := e.ResolvedAt.Add(m.In.Settings.MinReview); min.After(at) {
			return min
		}
	case e.ResolvedAt != nil:
		if e.ResolvedAt.After(at) {
			return *e.ResolvedAt
		}
	case e.DraftedAt != nil:
		if min := e.DraftedAt.Add(m.In.Settings.MinReview); min.After(at) {
			return min
		}
	}
	return at
}

func (m *member) periodEnd() time.Time {
	d, _ := time.ParseInLocation(dateLayout, m.In.Content.ServicePeriod.End, m.location())
	return time.Date(d.Year(), d.Month(), d.Day()+1, 0, 0, 0, 0, m.location())
}

// deadlines are what the order waits for in its status now: its lifecycle
// deadlines, then the steps of the waits for a person (waits.go).
func (m *member) deadlines() []Deadline {
	return append(m.lifecycleDeadlines(), waitDeadlines(m.waits(), m.Waits)...)
}

func (m *member) lifecycleDeadlines() []Deadline {
	var ds []Deadline
	switch m.Status {
	case lifecycle.SmartConfirmation:
		if m.In.Content.OfferValidUntil != "" {
			ds = append(ds, Deadline{Name: lifecycle.DeadlineOffer, At: m.offerExpiry()})
		}
		if !m.Overdue && m.SubmittedAt != nil {
			ds = append(ds, Deadline{Name: lifecycle.DeadlineSLA, At: m.slaDue()})
		}
	case lifecycle.ClientConfirmation:
		ds = append(ds, Deadline{Name: lifecycle.DeadlineOffer, At: m.offerExpiry()})
		if !m.Reminded {
			ds = append(ds, Deadline{Name: lifecycle.DeadlineReminder, At: m.reminderAt()})
		}
	case lifecycle.Active:
		for i, e := range m.Entries {
			switch e.Status {
			case EntryPlanned:
				ds = append(ds, Deadline{Name: lifecycle.DeadlineDraft, Entry: i + 1, At: m.draftAt(e)})
			case EntryDrafted:
				ds = append(ds, Deadline{Name: lifecycle.DeadlineIssue, Entry: i + 1, At: m.issueAt(e)})
			}
		}
		if m.allInvoiced() {
			ds = append(ds, Deadline{Name: lifecycle.DeadlinePeriodEnd, At: m.periodEnd()})
		}
	case lifecycle.Rejected:
		if !m.Closed {
			ds = append(ds, Deadline{Name: lifecycle.DeadlineDuplicate, At: m.RejectedAt.Add(m.In.Settings.DuplicateWindow)})
		}
	}
	return ds
}

func (m *member) allInvoiced() bool {
	return !slices.ContainsFunc(m.Entries, func(e Entry) bool { return e.Status != EntryIssued && e.Status != EntryCancelled })
}

func (m *member) elapse(ctx workflow.Context, d Deadline) {
	if m.elapseWait(ctx, d, m.waits(), &m.Waits, waitContext{title: m.In.Content.Title, loc: m.location()}) {
		return
	}
	switch d.Name {
	case lifecycle.DeadlineOffer:
		m.reject(ctx, lifecycle.OfferExpired, systemActor, "the offer expired before the order became active", "", "offer_expired")
	case lifecycle.DeadlineSLA:
		m.Overdue = true
		m.note(ctx, lifecycle.SLAElapsed, systemActor, "waiting longer than the Smart confirmation target", "")
		data := m.emailData()
		data.Recipient, data.Deadline = "Member support", m.localTime(*m.SubmittedAt)
		m.email("sla_escalation", email.Address{Name: "Member support", Email: m.In.Settings.StaffEmail}, data)
	case lifecycle.DeadlineReminder:
		m.Reminded = true
		m.note(ctx, lifecycle.ClientReminded, systemActor, "", "")
		if m.Link != nil && m.Link.ID != "" { // not while a resent link is being made
			data := m.emailData()
			data.ActionLink, data.Deadline = confirmationLink(m.Link.ID), m.localTime(m.offerExpiry())
			m.emailClient("confirmation_reminder", "", data)
		}
	case lifecycle.DeadlineDraft:
		m.draft(ctx, d.Entry-1)
		m.note(ctx, lifecycle.InvoiceDrafted, systemActor, fmt.Sprintf("invoice %d of %s", d.Entry, m.Entries[d.Entry-1].Date), "")
	case lifecycle.DeadlineIssue:
		m.issue(ctx, d.Entry-1)
	case lifecycle.DeadlinePeriodEnd:
		m.transition(ctx, lifecycle.Completed, lifecycle.ServiceCompleted, systemActor, "", "")
		m.emailMember("member_order_completed", "", m.emailData())
	case lifecycle.DeadlineDuplicate:
		m.Closed = true
		m.note(ctx, lifecycle.DuplicateWindowEnded, systemActor, "", "")
	}
}

// waits are what the order waits for staff (member support) to do now
// (issue 12): decide a cancellation request, resolve each invoice change
// request; staff are told at once, reminded, then escalated at
// ORDERFLOW_STAFF_EMAIL. Orders started before ChangeBusinessRules have
// none.
func (m *member) waits() []Wait {
	s := m.In.Settings.Waits
	if !m.businessRules || !s.enabled() {
		return nil
	}
	if s.StaffEmail == "" {
		s.StaffEmail = m.In.Settings.StaffEmail
	}
	support := WaitOwner{Role: lifecycle.Staff, Label: "member support", Name: "Member support", Email: s.StaffEmail}
	escalation := WaitOwner{Role: lifecycle.Staff, Label: "staff", Name: "Staff", Email: s.StaffEmail}
	var ws []Wait
	switch m.Status {
	case lifecycle.CancellationRequested:
		if at, n, ok := m.enteredStatus(lifecycle.CancellationRequested); ok {
			ws = append(ws, s.newWait("cancellation_request", n, "approve or deny the member's cancellation request", support, escalation, at))
		}
	case lifecycle.Active:
		for i, e := range m.Entries {
			if e.Status != EntryHeld {
				continue
			}
			prefix := fmt.Sprintf("invoice %d:", i+1)
			at, n, ok := m.entered(func(t TimelineEntry) bool {
				return t.Action == lifecycle.RequestChanges && strings.HasPrefix(t.Reason, prefix)
			})
			if !ok {
				continue
			}
			w := s.newWait(fmt.Sprintf("change_request_%d", i+1), n, fmt.Sprintf("resolve the change request on invoice %d", i+1), support, escalation, at)
			w.Entry = i + 1
			ws = append(ws, w)
		}
	}
	return ws
}

// Parties, guards, payload checks.

func (m *member) relations(p auth.Principal) []lifecycle.Relation {
	switch {
	case p.Role == lifecycle.Member && p.Subject == m.In.MemberID:
		return []lifecycle.Relation{lifecycle.Owner}
	case p.Role == lifecycle.Client && m.linkHeldBy(p):
		return []lifecycle.Relation{lifecycle.LinkHolder}
	}
	return nil
}

// visibleTo: who may see the order is decided where what they see is
// (projection.go), from the same system view: drafts are the member's
// (and the staff user's who created one on the member's behalf).
func (m *member) visibleTo(p auth.Principal) bool {
	return Visible(m.systemView(), p)
}

// linkHeldBy: p holds the order's current confirmation link (none while a
// new one is being made).
func (m *member) linkHeldBy(p auth.Principal) bool {
	return m.Link != nil && m.Link.ID != "" && p.Subject == "link:"+m.Link.ID
}

func (m *member) guard(name string, _ Party) (bool, string) {
	switch name {
	case lifecycle.GuardDraftToReview:
		return slices.ContainsFunc(m.Entries, func(e Entry) bool { return e.Status == EntryDrafted }),
			"there is no invoice draft waiting for review"
	case lifecycle.GuardChangeOpen:
		return slices.ContainsFunc(m.Entries, func(e Entry) bool { return e.Status == EntryHeld }),
			"there is no open change request"
	case lifecycle.GuardWithdrawFromClient:
		return m.businessRules, "this order was created before an order could be withdrawn from client confirmation"
	}
	return false, "unknown guard " + name
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

// Views, emails.

func (m *member) totals() money.Totals {
	t, _ := money.Compute(m.In.Content.Lines)
	return t
}

func (m *member) view(viewer Party) OrderView {
	return m.forViewer(m.systemView(), viewer)
}

// systemView is the whole order (projection.go narrows it per viewer).
func (m *member) systemView() OrderView {
	v := m.baseView(lifecycle.MemberFlow.Labels[m.Status], m.In.Content.Title, m.totals().Gross, m.deadlines())
	c := m.In.Content
	v.Member = &MemberDetails{
		MemberName: m.In.MemberName, MemberEmail: m.In.MemberEmail, Client: c.Client, Lines: c.Lines, Totals: m.totals(),
		ServicePeriod: c.ServicePeriod, Schedule: m.Entries, OfferValidUntil: c.OfferValidUntil,
		SkipConfirmation: c.SkipClientConfirmation, ProofReference: c.ProofReference,
		PaymentGuarantee: m.PaymentGuarantee, Overdue: m.Overdue,
		DuplicatedFrom: m.In.DuplicatedFrom, Duplicates: m.Duplicates, ConfirmationLink: m.Link,
	}
	return v
}

// cancelRequest: Temporal's cancellation request approves the member's
// cancellation request as staff would; in any other status it is refused,
// since a member order is cancelled at the member's request only.
func (m *member) cancelRequest() (lifecycle.Action, ActionRequest) {
	return lifecycle.ApproveCancellation, ActionRequest{Actor: cancelRequestActor(lifecycle.Staff)}
}

func (m *member) snapshot() store.Order {
	o := m.baseSnapshot(m.In.Content.Title, m.totals().Gross, m.deadlines())
	o.Overdue = m.Overdue
	view, _ := json.Marshal(m.view(Party{Principal: systemActor}))
	o.View = view
	return o
}

// MemberEmail is the data every member-order email template receives.
type MemberEmail struct {
	OrderID, Recipient, Title, Member, Client, Total, Period  string
	Reason, ActionURL, Deadline, Invoice, InvoiceDate, Amount string
	Lines                                                     []EmailLine
	// ActionLink, when set, is the bearer link SendEmail puts in ActionURL.
	ActionLink *activities.BearerLink `json:",omitempty"`
}

func confirmationLink(id string) *activities.BearerLink {
	return &activities.BearerLink{Kind: activities.LinkClientConfirmation, ID: id}
}

func (m *member) emailData() MemberEmail {
	c := m.In.Content
	client := c.Client.Name
	if c.Client.Company != "" {
		client += ", " + c.Client.Company
	}
	return MemberEmail{
		OrderID: m.ID, Recipient: m.In.MemberName, Title: c.Title, Member: m.In.MemberName, Client: client,
		Total: money.Format(m.totals().Gross, "EUR"), Period: m.period(), Lines: emailLines(c.Lines),
	}
}

func (m *member) entryEmail(i int) MemberEmail {
	data := m.emailData()
	t, _ := money.Compute(m.Entries[i].Lines)
	data.Lines, data.Amount = emailLines(m.Entries[i].Lines), money.Format(t.Gross, "EUR")
	data.InvoiceDate = m.humanDate(m.Entries[i].Date)
	return data
}

func (m *member) period() string {
	p := m.In.Content.ServicePeriod
	return m.humanDate(p.Start) + " – " + m.humanDate(p.End)
}

func (m *member) humanDate(date string) string {
	d, err := time.Parse(dateLayout, date)
	if err != nil {
		return date
	}
	return d.Format("2 January 2006")
}

func (m *member) localTime(t time.Time) string { return localTime(t, m.location()) }

func (m *member) memberAddress() email.Address {
	return email.Address{Name: m.In.MemberName, Email: m.In.MemberEmail}
}

func (m *member) clientAddress() email.Address {
	return email.Address{Name: m.In.Content.Client.Name, Email: m.In.Content.Client.Email}
}

// emailMember sends template to the member; suffix makes the purpose unique
// when the same kind of email may go out more than once.
func (m *member) emailMember(template, suffix string, data MemberEmail, attach ...string) {
	data.Recipient = m.In.MemberName
	m.emailTemplate(template, suffix, m.memberAddress(), nil, data, attach...)
}

func (m *member) emailClient(template, suffix string, data MemberEmail, attach ...string) {
	data.Recipient = m.In.Content.Client.Name
	m.emailTemplate(template, suffix, m.clientAddress(), nil, data, attach...)
}

// emailWithCopy sends to the client with the member in copy.
func (m *member) emailWithCopy(template, suffix string, data MemberEmail, attach ...string) {
	data.Recipient = m.In.Content.Client.Name
	m.emailTemplate(template, suffix, m.clientAddress(), []email.Address{m.memberAddress()}, data, attach...)
}

func (m *member) emailTemplate(template, suffix string, to email.Address, cc []email.Address, data MemberEmail, attach ...string) {
	purpose := template
	if suffix != "" {
		purpose += "#" + suffix
	}
	m.sendEmail(activities.SendEmailInput{OrderID: m.ID, Purpose: purpose, Template: template, To: to, Cc: cc, Data: toMap(data), AttachDocuments: attach})
}

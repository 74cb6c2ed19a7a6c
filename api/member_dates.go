package api

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/oklog/ulid/v2"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/orderflow/orderflow/internal/auth"
	"github.com/orderflow/orderflow/internal/money"
	"github.com/orderflow/orderflow/internal/store"
	"github.com/orderflow/orderflow/lifecycle"
	"github.com/orderflow/orderflow/workflows"
)

// Member orders' dates (issue 12): an offer-valid-until date that has passed
// is refused when the order goes to Smart (create with "submit": true,
// submit, duplicate), and one fewer than offerNoticeDays away is accepted
// with a warning on the answer. A duplicate takes new offer and invoice
// dates when the old ones have passed, and a rejected order whose workflow
// has closed (after ORDERFLOW_DUPLICATE_WINDOW) is duplicated from the read
// model.

// offerNoticeDays: the seed recommends "at least a few days or a week" for
// the client to confirm; an offer ending sooner is allowed but warned about.
const offerNoticeDays = 3

// Warning is something about an accepted request that the caller may want
// to fix: it did not stop the request.
type Warning struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// orderAnswer is an order view with the warnings of the request that made it.
type orderAnswer struct {
	workflows.OrderView
	Warnings []Warning `json:"warnings,omitempty"`
}

// answerOrder writes the view, with warnings when there are any.
func answerOrder(c *gin.Context, status int, view workflows.OrderView, warnings []Warning) {
	if len(warnings) == 0 {
		c.JSON(status, view)
		return
	}
	c.JSON(status, orderAnswer{OrderView: view, Warnings: warnings})
}

// memberDay is the date in the orders' time zone: today is the day of now there.
type memberDay struct {
	today time.Time // 00:00 UTC of the local date, for whole-day arithmetic
}

func (o orders) memberToday() memberDay {
	now := time.Now().In(pageZone(o.Member.TimeZone))
	return memberDay{today: time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)}
}

// daysTo is how many days from today date is (negative: passed); ok is false
// for a value that is not a date (the content's own validation says so).
func (d memberDay) daysTo(date string) (int, bool) {
	t, err := time.Parse("2006-01-02", date)
	if err != nil {
		return 0, false
	}
	return int(t.Sub(d.today).Hours() / 24), true
}

// offerChecks: a passed offer date is a problem when the order goes to
// Smart now (toSmart), a warning otherwise; one closer than the notice is
// a warning.
func (d memberDay) offerChecks(field, date string, toSmart bool) (problems map[string]string, warnings []Warning) {
	if date == "" {
		return nil, nil
	}
	n, ok := d.daysTo(date)
	switch {
	case !ok:
	case n < 0 && toSmart:
		return map[string]string{field: fmt.Sprintf("%s has passed: the client could no longer confirm; set a date from today on (at least %d days ahead is recommended)", date, offerNoticeDays)}, nil
	case n < 0:
		warnings = append(warnings, Warning{Field: field, Message: fmt.Sprintf("%s has passed; set a later date before you submit the order", date)})
	case n < offerNoticeDays:
		warnings = append(warnings, Warning{Field: field, Message: fmt.Sprintf(
			"%s is only %s away: the client has little time to confirm before the offer expires (at least %d days, better a week, is recommended)", date, daysText(n), offerNoticeDays)})
	}
	return nil, warnings
}

func daysText(n int) string {
	switch n {
	case 0:
		return "today, 0 days"
	case 1:
		return "1 day"
	}
	return fmt.Sprintf("%d days", n)
}

// memberCreateChecks: the offer date of a new member order.
func (o orders) memberCreateChecks(in workflows.MemberInput) (*Problem, []Warning) {
	problems, warnings := o.memberToday().offerChecks("offer_valid_until", in.Content.OfferValidUntil, in.Submit)
	if len(problems) > 0 {
		pr := NewProblem(http.StatusUnprocessableEntity, "The order cannot be submitted with an offer that has expired; fix the fields listed in errors.")
		pr.Errors = problems
		return &pr, nil
	}
	return nil, warnings
}

// memberDateActions are the member actions whose dates memberActionChecks
// checks against the order.
var memberDateActions = []lifecycle.Action{lifecycle.Submit, lifecycle.Edit, lifecycle.Duplicate}

// checksMemberDates: the API checks this action's dates against the order,
// so it reads the order first (actAfterReading).
func checksMemberDates(flow string, action lifecycle.Action) bool {
	return flow == lifecycle.MemberFlow.Name && slices.Contains(memberDateActions, action)
}

// memberActionChecks: the dates of a member action allowed now, checked
// before the workflow is asked (the workflow does not know today's date
// when it validates).
func (o orders) memberActionChecks(view workflows.OrderView, action lifecycle.Action, payload json.RawMessage) (*Problem, []Warning) {
	if !checksMemberDates(view.Flow, action) || view.Member == nil {
		return nil, nil
	}
	day := o.memberToday()
	switch action {
	case lifecycle.Submit:
		problems, warnings := day.offerChecks("offer_valid_until", view.Member.OfferValidUntil, true)
		if len(problems) > 0 {
			pr := NewProblem(http.StatusUnprocessableEntity, "The order cannot be submitted with an offer that has expired: edit offer_valid_until first.")
			pr.Errors = problems
			return &pr, nil
		}
		return nil, warnings
	case lifecycle.Edit:
		var p workflows.EditPayload
		if workflows.DecodeJSON(payload, &p) == nil {
			_, warnings := day.offerChecks("offer_valid_until", p.OfferValidUntil, false)
			return nil, warnings
		}
	case lifecycle.Duplicate:
		var p workflows.DuplicatePayload
		if workflows.DecodeJSON(payload, &p) == nil {
			return duplicateChecks(day, memberContentOf(view), p)
		}
	}
	return nil, nil
}

// duplicateChecks: a copy goes to Smart confirmation, so its offer and
// invoice dates must not have passed; the member gives new ones in the
// payload where the old ones have. A copy kept in draft is edited first.
func duplicateChecks(day memberDay, c workflows.MemberContent, p workflows.DuplicatePayload) (*Problem, []Warning) {
	problems := map[string]string{}
	refuse := func() (*Problem, []Warning) {
		pr := NewProblem(http.StatusUnprocessableEntity, "The copy would go to Smart confirmation with dates that have passed; give new ones as listed in errors (or duplicate with \"to_draft\": true and edit the copy).")
		pr.Errors = problems
		return &pr, nil
	}
	if n := len(p.ScheduleDates); n > 0 && n != len(c.Schedule) {
		problems["schedule_dates"] = fmt.Sprintf("has %d dates; give one per planned invoice (%d)", n, len(c.Schedule))
		return refuse()
	}
	copied := workflows.DuplicateContent(c, p)
	if p.ToDraft {
		_, warnings := day.offerChecks("offer_valid_until", copied.OfferValidUntil, false)
		return nil, warnings
	}
	var warnings []Warning
	if copied.OfferValidUntil != "" {
		if n, ok := day.daysTo(copied.OfferValidUntil); ok && n < 0 && p.OfferValidUntil == "" {
			problems["offer_valid_until"] = fmt.Sprintf("the offer expired on %s; give a new offer_valid_until for the copy (a date from today on)", copied.OfferValidUntil)
		} else {
			var pr map[string]string
			pr, warnings = day.offerChecks("offer_valid_until", copied.OfferValidUntil, true)
			for k, v := range pr {
				problems[k] = v
			}
		}
	}
	for i, e := range copied.Schedule {
		if n, ok := day.daysTo(e.Date); ok && n < 0 {
			if len(p.ScheduleDates) == 0 {
				problems["schedule_dates"] = fmt.Sprintf("invoice %d was planned for %s, which has passed; give schedule_dates, one new date per planned invoice (%d)", i+1, e.Date, len(c.Schedule))
				break
			}
			problems[fmt.Sprintf("schedule_dates[%d]", i)] = e.Date + " has passed; give a date from today on"
		}
	}
	if len(problems) > 0 {
		return refuse()
	}
	return nil, warnings
}

// memberContentOf is an order's content as its view shows it. A planned
// invoice given as an amount shows as the one line the workflow made of it
// (workflows.entryLines); it is turned back into the amount.
func memberContentOf(v workflows.OrderView) workflows.MemberContent {
	d := v.Member
	c := workflows.MemberContent{
		Client: d.Client, Title: v.Title, Lines: d.Lines, ServicePeriod: d.ServicePeriod,
		OfferValidUntil: d.OfferValidUntil, SkipClientConfirmation: d.SkipConfirmation, ProofReference: d.ProofReference,
	}
	for i, e := range d.Schedule {
		entry := workflows.ScheduleEntry{Date: e.Date, Lines: e.Lines}
		if len(e.Lines) == 1 && e.Lines[0].Quantity == money.QuantityOf(1) &&
			e.Lines[0].Description == fmt.Sprintf("%s — invoice %d of %d", v.Title, i+1, len(d.Schedule)) &&
			(len(d.Lines) == 0 || e.Lines[0].VATRate == d.Lines[0].VATRate) {
			amount := e.Lines[0].UnitPrice
			entry = workflows.ScheduleEntry{Date: e.Date, Amount: &amount}
		}
		c.Schedule = append(c.Schedule, entry)
	}
	return c
}

// memberEmailOf finds the member's address among the emails the order sent.
func memberEmailOf(v workflows.OrderView) string {
	for _, e := range v.Emails {
		purpose, _, _ := strings.Cut(e.Purpose, "#")
		switch purpose {
		case "order_submitted", "order_approved", "order_rejected", "client_declined", "offer_expired":
			return e.Recipient
		}
	}
	return ""
}

// duplicateID is the id of the n-th duplicate of an order: the one the
// workflow would give it (workflows/member.go duplicate), so a retry finds it.
func duplicateID(orderID string, n int) string {
	sum := sha256.Sum256([]byte(fmt.Sprintf("%s/duplicate/%d", orderID, n)))
	var id ulid.ULID
	copy(id[:], sum[:16])
	return "ord_" + id.String()
}

// withRecordedDuplicates adds the duplicates the read model knows of a
// closed rejected order: those made after its workflow closed are only there.
func (o orders) withRecordedDuplicates(ctx context.Context, view *workflows.OrderView) {
	if view.Flow != lifecycle.MemberFlow.Name || view.Member == nil || !view.Closed || view.Status != lifecycle.Rejected || o.Store == nil {
		return
	}
	row, err := o.Store.GetOrder(ctx, view.ID)
	if err != nil {
		return
	}
	var recorded workflows.OrderView
	if json.Unmarshal(row.View, &recorded) != nil || recorded.Member == nil {
		return
	}
	for _, id := range recorded.Member.Duplicates {
		if !slices.Contains(view.Member.Duplicates, id) {
			view.Member.Duplicates = append(view.Member.Duplicates, id)
		}
	}
}

// duplicateClosed duplicates a rejected member order whose workflow has
// closed, from its read-model row: the copy is a new workflow (not a child:
// the parent has ended) linked both ways, duplicated_from in its input and
// a "duplicate" entry and the id in the old order's recorded view. It
// answers with the old order as the caller sees it.
func (o orders) duplicateClosed(c *gin.Context, p auth.Principal, id string, seen *workflows.OrderView, payload json.RawMessage, rid string) {
	ctx := c.Request.Context()
	notFound := func() { abortWith(c, http.StatusNotFound, "There is no such order, or it is not yours to see.") }
	if p.Role != lifecycle.Member {
		notFound()
		return
	}
	row, err := o.Store.GetOrder(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		notFound()
		return
	}
	if err != nil {
		_ = c.Error(err)
		abortWith(c, http.StatusServiceUnavailable, "The order could not be read; retry shortly.")
		return
	}
	if row.OwnerID != p.Subject || row.Flow != lifecycle.MemberFlow.Name {
		notFound()
		return
	}
	v, err := o.recorded(ctx, row)
	if err != nil || v.Member == nil {
		notFound()
		return
	}
	if seen != nil && len(seen.Timeline) > 0 && row.Seq < seen.Timeline[len(seen.Timeline)-1].Seq {
		abortWith(c, http.StatusServiceUnavailable, "The order is still closing; retry in a few seconds.")
		return
	}
	if row.Status != string(lifecycle.Rejected) {
		pr := NewProblem(http.StatusConflict, fmt.Sprintf("The order has ended as %s; only a rejected order can be duplicated. Allowed now: none.", row.Status))
		pr.StatusNow, pr.AllowedActions = row.Status, []string{}
		abort(c, pr)
		return
	}
	registry := workflows.PayloadsOf(lifecycle.MemberFlow.Name)
	decoded, err := workflows.DecodePayload(registry, lifecycle.Duplicate, payload)
	if err != nil {
		var pe *workflows.PayloadError
		pr := NewProblem(http.StatusUnprocessableEntity, err.Error()+". Fix the fields listed in errors.")
		if errors.As(err, &pe) {
			pr.Errors = pe.Fields
		}
		abort(c, pr)
		return
	}
	dp := *decoded.(*workflows.DuplicatePayload)
	content := memberContentOf(v)
	problem, warnings := duplicateChecks(o.memberToday(), content, dp)
	if problem != nil {
		abort(c, *problem)
		return
	}
	// A retry of the same request finds the duplicate it made.
	timeline, err := o.Store.Timeline(ctx, id)
	if err != nil {
		_ = c.Error(err)
		abortWith(c, http.StatusServiceUnavailable, "The order could not be read; retry shortly.")
		return
	}
	for _, e := range timeline {
		if e.Action == string(lifecycle.Duplicate) && e.RequestID == rid && e.ActorID == p.Subject && rid != "" {
			o.answerClosed(c, p, v, http.StatusOK, nil)
			return
		}
	}
	in := workflows.MemberInput{
		OrderID: duplicateID(id, len(v.Member.Duplicates)+1), MemberID: row.OwnerID, MemberName: v.Member.MemberName,
		MemberEmail: memberEmailOf(v), Content: workflows.DuplicateContent(content, dp), Submit: !dp.ToDraft,
		CreatedBy: p, RequestID: rid, Settings: o.Member, DuplicatedFrom: id,
	}
	if problems := in.Validate(); len(problems) > 0 {
		pr := NewProblem(http.StatusUnprocessableEntity, "The copy would not be a valid order (the rules changed since this one was made); create a new order instead.")
		pr.Errors = problems
		abort(c, pr)
		return
	}
	_, err = o.Temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID: in.OrderID, TaskQueue: o.TaskQueue,
		WorkflowIDConflictPolicy:                 enumspb.WORKFLOW_ID_CONFLICT_POLICY_FAIL,
		WorkflowExecutionErrorWhenAlreadyStarted: true,
		WorkflowIDReusePolicy:                    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		StaticSummary: fmt.Sprintf("Member order %s for %s: %s (duplicate of %s)", in.OrderID, in.Content.Client.Name,
			truncate(in.Content.Title, 80), id),
		TypedSearchAttributes: temporal.NewSearchAttributes(
			workflows.OrderFlow.ValueSet(lifecycle.MemberFlow.Name), workflows.OrderOwner.ValueSet(in.MemberID), workflows.NeedsAttention.ValueSet(false)),
	}, workflows.MemberWorkflow, in)
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	if err != nil && !errors.As(err, &started) { // already started: by an earlier attempt
		_ = c.Error(err)
		abortWith(c, http.StatusServiceUnavailable, "The copy could not be started; Temporal did not answer. Retry with the same request_id.")
		return
	}
	// The old order records the link and the action.
	now := time.Now().UTC()
	v.Member.Duplicates = append(v.Member.Duplicates, in.OrderID)
	entry := workflows.TimelineEntry{Seq: row.Seq + 1, At: now, From: lifecycle.Rejected, To: lifecycle.Rejected, Action: lifecycle.Duplicate,
		ActorRole: p.Role, ActorID: p.Subject, Reason: "duplicated to " + in.OrderID + " (after the order closed)", RequestID: rid, Outcome: store.OutcomeApplied}
	v.Timeline = append(v.Timeline, entry)
	v.UpdatedAt = now
	row.View, row.Seq, row.UpdatedAt = workflows.RecordedView(v), entry.Seq, now
	err = o.Store.RecordTransition(ctx, row, store.TimelineEntry{
		OrderID: id, Seq: entry.Seq, At: now, From: string(entry.From), To: string(entry.To), Action: string(entry.Action),
		ActorRole: string(p.Role), ActorID: p.Subject, Reason: entry.Reason, RequestID: rid, Outcome: store.OutcomeApplied,
	})
	if err != nil {
		_ = c.Error(err)
		abortWith(c, http.StatusServiceUnavailable, "The copy was started but the order could not record it; retry with the same request_id.")
		return
	}
	c.Header("Location", "/v1/orders/"+in.OrderID)
	o.answerClosed(c, p, v, http.StatusOK, warnings)
}

// answerClosed answers with a closed order's recorded view as p may read
// it (workflows.Project): nothing is allowed any more.
func (o orders) answerClosed(c *gin.Context, p auth.Principal, full workflows.OrderView, status int, warnings []Warning) {
	v, _ := workflows.Project(full, p)
	v.AllowedActions = []lifecycle.Action{}
	if v.Member != nil && len(v.Member.Duplicates) > 0 {
		c.Header("Location", "/v1/orders/"+v.Member.Duplicates[len(v.Member.Duplicates)-1])
	}
	answerOrder(c, status, v, warnings)
}

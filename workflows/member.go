package workflows

import (
	"crypto/sha256"
	"fmt"
	"strings"

	"github.com/oklog/ulid/v2"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/orderflow/orderflow/activities"
	"github.com/orderflow/orderflow/internal/auth"
	"github.com/orderflow/orderflow/lifecycle"
)

// Member order: the workflow, continue-as-new and the decisions of its
// actions (apply); the rest is in member_*.go.

type member struct {
	core
	memberState
}

// MemberOrder runs one member order from draft to its final status.
func MemberOrder(ctx workflow.Context, in MemberInput) error {
	m := &member{}
	if in.Resume != nil {
		m.memberState = *in.Resume
	}
	m.core = core{coreState: &m.memberState.Core, table: lifecycle.MemberFlow, flow: m}
	if in.Resume == nil {
		m.In = in
		m.ID, m.Flow, m.Owner, m.CreatedAt = in.OrderID, lifecycle.MemberFlow.Name, in.MemberID, workflow.Now(ctx)
		m.Entries = entriesOf(in.Content)
		m.PaymentGuarantee = in.Content.ProofReference != ""
	}
	m.continueAsNew = m.continueAsNewError
	ctx, err := m.begin(ctx, memberPayloads)
	if err != nil {
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
	state := m.memberState
	next := m.In
	next.Resume = &state
	return workflow.NewContinueAsNewError(ctx, MemberWorkflow, next)
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

// cancellationFrom is the status the open cancellation request was made
// in: where withdrawing it goes back to (active unless the table grows).
func (m *member) cancellationFrom() lifecycle.Status {
	for i := len(m.Timeline) - 1; i >= 0; i-- {
		if e := m.Timeline[i]; e.To == lifecycle.CancellationRequested && e.From != lifecycle.CancellationRequested && e.Outcome != activities.OutcomeRefused {
			return e.From
		}
	}
	return lifecycle.Active
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
			TypedSearchAttributes: temporal.NewSearchAttributes(OrderFlow.ValueSet(lifecycle.MemberFlow.Name), OrderOwner.ValueSet(m.In.MemberID)),
		})
		err := workflow.ExecuteChildWorkflow(child, MemberWorkflow, in).GetChildWorkflowExecution().Get(ctx, nil)
		if temporal.IsWorkflowExecutionAlreadyStartedError(err) {
			return nil // started by an earlier attempt
		}
		return err
	})
}

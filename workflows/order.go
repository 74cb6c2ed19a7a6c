package workflows

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/orderflow/orderflow/activities"
	"github.com/orderflow/orderflow/internal/auth"
	"github.com/orderflow/orderflow/internal/email"
	"github.com/orderflow/orderflow/internal/store"
	"github.com/orderflow/orderflow/lifecycle"
)

// What both order workflows share: how an action arrives (update or signal),
// how a transition is written down (timeline, read model, search
// attributes), and how side effects run after the decision (an ordered queue
// drained by the main loop, parked for ops when a step keeps failing).

// acts gives activity references their names; it is never dereferenced.
var acts *activities.Activities

// OrderQuery is the query that returns the order view for a viewer.
const OrderQuery = "order"

// ActionRequest is the argument of every action update and signal.
type ActionRequest struct {
	Actor     auth.Principal  `json:"actor"`
	RequestID string          `json:"request_id,omitempty"`
	Payload   json.RawMessage `json:"payload,omitempty"`
}

// TimelineEntry is one line of the order's history as people read it.
type TimelineEntry struct {
	Seq       int64            `json:"seq"`
	At        time.Time        `json:"at"`
	From      lifecycle.Status `json:"from,omitempty"`
	To        lifecycle.Status `json:"to"`
	Action    lifecycle.Action `json:"action"`
	ActorRole lifecycle.Role   `json:"actor_role"`
	ActorID   string           `json:"actor_id,omitempty"`
	Reason    string           `json:"reason,omitempty"`
	RequestID string           `json:"request_id,omitempty"`
	Outcome   string           `json:"outcome"`
	// Via is "signal" for an action sent as a Temporal signal (its actor is
	// as the sender typed it) and "cancel_request" for Temporal's
	// cancellation request; empty for the API and the order's own steps.
	Via string `json:"via,omitempty"`
}

// actedBy reports whether p is who this entry names.
func (e TimelineEntry) actedBy(p auth.Principal) bool {
	return e.ActorRole == p.Role && e.ActorID == p.Subject
}

// Deadline is a named absolute instant the order waits for.
type Deadline struct {
	Name  string    `json:"name"`
	Entry int       `json:"entry,omitempty"` // the schedule entry it concerns, from 1
	At    time.Time `json:"at"`
}

// Attention describes a side effect that failed after its retries; the order
// waits for ops to retry or skip it.
type Attention struct {
	Step      string    `json:"step"`
	Error     string    `json:"error"`
	Since     time.Time `json:"since"`
	Skippable bool      `json:"skippable"`
	// Resendable: an email whose outcome is unknown, which a retry with
	// {"resend": true} sends again once ops have checked the provider.
	Resendable bool `json:"resendable,omitempty"`
}

// SentEmail records that an email of a purpose went to a recipient.
type SentEmail struct {
	Purpose   string `json:"purpose"`
	Recipient string `json:"recipient"`
}

// effect is one side effect waiting in the queue.
type effect struct {
	step      string
	skippable bool
	email     bool // ops may have it resent when its outcome is unknown
	run       func(ctx workflow.Context) error
}

// core is the state and machinery of one order workflow.
type core struct {
	ID        string
	Flow      string
	Owner     string
	Status    lifecycle.Status
	Seq       int64
	CreatedAt time.Time
	Timeline  []TimelineEntry
	Documents []activities.DocumentRef
	Emails    []SentEmail
	Attention *Attention

	// Closed ends a workflow whose order stays in a non-final status (a
	// completed marketplace order after its return window).
	Closed bool

	table       lifecycle.Flow
	flow        flow
	effects     []effect
	version     int // bumped on every change, so the main loop re-plans its wait
	opsDecision func(lifecycle.Action)
	// resend: ops retried a parked email with "resend"; its next attempt sends again.
	resend  bool
	signals []signalHandler
	// trusted: started after ChangeTrustedActions (signals.go).
	trusted bool
	// businessRules: started after ChangeBusinessRules (versions.go).
	businessRules bool
	// via marks the timeline entries written while a signal or Temporal's
	// cancellation request is applied.
	via string
	// continueAsNew, when set, hands the state to a fresh run once Temporal
	// suggests it (long histories).
	continueAsNew func(ctx workflow.Context) error
}

// coreState is the serializable part of core, carried across continue-as-new.
type coreState struct {
	ID        string                   `json:"id"`
	Flow      string                   `json:"flow"`
	Owner     string                   `json:"owner"`
	Status    lifecycle.Status         `json:"status"`
	Seq       int64                    `json:"seq"`
	CreatedAt time.Time                `json:"created_at"`
	Timeline  []TimelineEntry          `json:"timeline"`
	Documents []activities.DocumentRef `json:"documents"`
	Emails    []SentEmail              `json:"emails"`
	Closed    bool                     `json:"closed"`
}

func (c *core) save() coreState {
	return coreState{ID: c.ID, Flow: c.Flow, Owner: c.Owner, Status: c.Status, Seq: c.Seq, CreatedAt: c.CreatedAt,
		Timeline: c.Timeline, Documents: c.Documents, Emails: c.Emails, Closed: c.Closed}
}

func (c *core) restore(s coreState) {
	c.ID, c.Flow, c.Owner, c.Status, c.Seq, c.CreatedAt = s.ID, s.Flow, s.Owner, s.Status, s.Seq, s.CreatedAt
	c.Timeline, c.Documents, c.Emails, c.Closed = s.Timeline, s.Documents, s.Emails, s.Closed
}

// flow is what a lifecycle adds to the core: its parties, guards, actions,
// deadlines and view.
type flow interface {
	// relations of a principal to this order (owner, offered supplier, ...).
	relations(p auth.Principal) []lifecycle.Relation
	// visibleTo reports whether the principal may see the order at all.
	visibleTo(p auth.Principal) bool
	// guard checks a named state condition of the table for party p (most
	// guards look at the order only); reason says why not.
	guard(name string, p Party) (ok bool, reason string)
	// vet checks a decoded payload against the order (e.g. the payment it
	// confirms is this order's); a non-empty reason refuses the action.
	vet(a lifecycle.Action, p Payload) (reason string)
	// apply performs an allowed action: state change and queued effects.
	apply(ctx workflow.Context, a lifecycle.Action, req ActionRequest, p Payload)
	// deadlines are what the order waits for in its status now.
	deadlines() []Deadline
	// elapse applies what happens when deadline d is reached.
	elapse(ctx workflow.Context, d Deadline)
	// snapshot is the read-model row of the order now.
	snapshot() store.Order
	// view is the order as viewer may see it.
	view(viewer Party) OrderView
	// cancelRequest is the action that Temporal's cancellation request
	// stands for in this flow (docs/security.md).
	cancelRequest() (lifecycle.Action, ActionRequest)
}

// cancelRequestActor is who a Temporal cancellation request acts as: a
// staff-side person of the flow's role, unnamed (the Web UI and the CLI
// send no identity with it).
func cancelRequestActor(role lifecycle.Role) auth.Principal {
	return auth.Principal{Role: role, Subject: "temporal-cancel-request"}
}

// detach runs the order on a context that Temporal's cancellation request
// does not cancel, and turns that request (the Web UI's "Request
// Cancellation" button, `temporal workflow cancel`) into the order's own
// cancellation where its status allows one, refused on the timeline where
// not. Left to cancel the order's context, it made every wait of the order
// return at once, for ever: the worker saw a deadlock and the order was
// stuck. The request comes once per run; the order keeps working after it.
func (c *core) detach(ctx workflow.Context) workflow.Context {
	workflow.GoNamed(ctx, "cancellation request", func(ctx workflow.Context) {
		ctx.Done().Receive(ctx, nil)
		ctx, _ = workflow.NewDisconnectedContext(ctx)
		a, req := c.flow.cancelRequest()
		i := slices.IndexFunc(c.signals, func(s signalHandler) bool { return s.action == a })
		c.via = store.ViaCancelRequest
		defer func() { c.via = "" }()
		c.signals[i].handle(ctx, req)
	})
	detached, _ := workflow.NewDisconnectedContext(ctx)
	return detached
}

// sideEffectOptions: every activity is retried with capped backoff; after the
// attempts run out the step is parked for ops instead of failing the order.
var sideEffectOptions = workflow.ActivityOptions{
	StartToCloseTimeout: time.Minute,
	RetryPolicy: &temporal.RetryPolicy{
		InitialInterval:    time.Second,
		BackoffCoefficient: 2,
		MaximumInterval:    time.Minute,
		MaximumAttempts:    12, // about 8 minutes of retrying
	},
}

// transition moves the order and writes it down: timeline, read model,
// search attributes. Side effects of the new status are queued by the caller.
//
// The lifecycle's rule of the action must list where it goes: a transition
// it does not list is a bug of this package, and the panic fails the
// workflow task (Temporal retries it, the order waits, the Web UI shows the
// message) instead of writing a status no rule leads to.
func (c *core) transition(ctx workflow.Context, to lifecycle.Status, action lifecycle.Action, actor auth.Principal, reason, requestID string) {
	if !c.table.Leads(c.Status, action, to) {
		panic(fmt.Sprintf("%s order %s: no rule of the lifecycle lets %s lead from %q to %q", c.Flow, c.ID, action, c.Status, to))
	}
	c.appendTimeline(ctx, TimelineEntry{
		From: c.Status, To: to, Action: action, ActorRole: actor.Role, ActorID: actor.Subject,
		Reason: reason, RequestID: requestID, Outcome: store.OutcomeApplied,
	})
	c.Status = to
	c.record(ctx, "record "+string(action))
}

// note writes down an applied action that does not change the status.
func (c *core) note(ctx workflow.Context, action lifecycle.Action, actor auth.Principal, reason, requestID string) {
	c.transition(ctx, c.Status, action, actor, reason, requestID)
}

// refuse writes down an action that was refused (signals only: an update
// refused by its validator leaves no trace, which is Temporal's contract).
func (c *core) refuse(ctx workflow.Context, action lifecycle.Action, actor auth.Principal, why, requestID string) {
	c.appendTimeline(ctx, TimelineEntry{
		From: c.Status, To: c.Status, Action: action, ActorRole: actor.Role, ActorID: actor.Subject,
		Reason: why, RequestID: requestID, Outcome: store.OutcomeRefused,
	})
	c.record(ctx, "record refused "+string(action))
}

func (c *core) appendTimeline(ctx workflow.Context, e TimelineEntry) {
	c.Seq++
	e.Seq, e.At, e.Via = c.Seq, workflow.Now(ctx), c.via
	c.Timeline = append(c.Timeline, e)
	c.version++
}

// record queues the read-model write of the current state and brings the
// search attributes up to date.
func (c *core) record(ctx workflow.Context, step string) {
	order := c.flow.snapshot()
	entry := c.Timeline[len(c.Timeline)-1]
	in := activities.RecordTransitionInput{Order: order, Entry: store.TimelineEntry{
		OrderID: c.ID, Seq: entry.Seq, At: entry.At, From: string(entry.From), To: string(entry.To),
		Action: string(entry.Action), ActorRole: string(entry.ActorRole), ActorID: entry.ActorID,
		Reason: entry.Reason, RequestID: entry.RequestID, Outcome: entry.Outcome, Via: entry.Via,
	}}
	c.enqueue(step, true, func(ctx workflow.Context) error {
		return workflow.ExecuteActivity(ctx, acts.RecordTransition, in).Get(ctx, nil)
	})
	c.upsertSearchAttributes(ctx, order)
}

func (c *core) upsertSearchAttributes(ctx workflow.Context, o store.Order) {
	updates := []temporal.SearchAttributeUpdate{
		OrderStatus.ValueSet(o.Status),
		OrderFlow.ValueSet(o.Flow),
		OrderOwner.ValueSet(o.OwnerID),
		NeedsAttention.ValueSet(c.Attention != nil),
		Overdue.ValueSet(o.Overdue),
	}
	if o.SupplierID != "" {
		updates = append(updates, SupplierID.ValueSet(o.SupplierID))
	}
	if o.NextDeadline != nil {
		updates = append(updates, NextDeadline.ValueSet(*o.NextDeadline))
	} else {
		updates = append(updates, NextDeadline.ValueUnset())
	}
	// Only fails on a bad attribute type, which is a code bug.
	if err := workflow.UpsertTypedSearchAttributes(ctx, updates...); err != nil {
		workflow.GetLogger(ctx).Error("upsert search attributes", "error", err)
	}
}

func (c *core) enqueue(step string, skippable bool, run func(ctx workflow.Context) error) {
	c.enqueueEffect(effect{step: step, skippable: skippable, run: run})
}

func (c *core) enqueueEffect(e effect) {
	c.effects = append(c.effects, e)
	c.version++
}

// email queues one email; the activity makes it at most once per (order, purpose, recipient).
func (c *core) email(purpose string, to email.Address, data any, attach ...string) {
	c.sendEmail(activities.SendEmailInput{OrderID: c.ID, Purpose: purpose, To: to, Data: toMap(data), AttachDocuments: attach})
}

func (c *core) sendEmail(in activities.SendEmailInput) {
	c.enqueueEffect(effect{step: "email " + in.Purpose + " to " + in.To.Email, skippable: true, email: true, run: func(ctx workflow.Context) error {
		in := in
		in.Resend, c.resend = c.resend, false
		if err := workflow.ExecuteActivity(ctx, acts.SendEmail, in).Get(ctx, nil); err != nil {
			return err
		}
		c.Emails = append(c.Emails, SentEmail{Purpose: in.Purpose, Recipient: in.To.Email})
		return nil
	}})
}

// rawJSON is v as an action's payload.
func rawJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("payload is not JSON: %v", err)) // a code bug, caught by tests
	}
	return b
}

// toMap turns template data into the map the email activity renders from;
// JSON keeps it deterministic and lets templates see every field.
func toMap(data any) map[string]any {
	b, err := json.Marshal(data)
	if err != nil {
		panic(fmt.Sprintf("email data is not JSON: %v", err)) // a code bug, caught by tests
	}
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	return m
}

// run is the main loop: drain side effects, wait for the next change or the
// nearest deadline, fire elapsed deadlines, until the order is final and
// every effect has run.
func (c *core) run(ctx workflow.Context) error {
	ctx = workflow.WithActivityOptions(ctx, sideEffectOptions)
	for {
		if err := c.drain(ctx); err != nil {
			return err
		}
		if c.table.IsFinal(c.Status) || c.Closed {
			break
		}
		if c.continueAsNew != nil && workflow.GetInfo(ctx).GetContinueAsNewSuggested() {
			if done, err := c.readyToContinueAsNew(ctx); err != nil || done {
				if err == nil {
					err = c.continueAsNew(ctx)
				}
				return err
			}
			continue
		}
		if err := c.waitForChangeOrDeadline(ctx); err != nil {
			return err
		}
	}
	// Let in-flight updates answer before the workflow closes.
	return workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) && len(c.effects) == 0 })
}

// readyToContinueAsNew lets running handlers finish and applies signals
// still buffered (they would be lost with this run); it reports false when
// that queued new effects, which must run first.
func (c *core) readyToContinueAsNew(ctx workflow.Context) (bool, error) {
	if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
		return false, err
	}
	for _, s := range c.signals {
		for c.receive(ctx, s, true) {
		}
	}
	return len(c.effects) == 0, nil
}

// waitForChangeOrDeadline returns when state changed (an action, a queued
// effect) or after firing the nearest deadline.
func (c *core) waitForChangeOrDeadline(ctx workflow.Context) error {
	seen := c.version
	changed := func() bool { return c.version != seen }
	d, ok := nearest(c.flow.deadlines())
	if !ok {
		return workflow.Await(ctx, changed)
	}
	wait := d.At.Sub(workflow.Now(ctx))
	if wait <= 0 { // already due: a timer of zero would not even be recorded
		c.flow.elapse(ctx, d)
		return nil
	}
	// The timer is cancelled as soon as anything changes, so no stale timer
	// is left behind; the next pass plans a fresh one from the new state.
	timerCtx, cancelTimer := workflow.WithCancel(ctx)
	defer cancelTimer()
	timer := workflow.NewTimerWithOptions(timerCtx, wait, workflow.TimerOptions{
		Summary: d.Name + " until " + d.At.UTC().Format(time.RFC3339),
	})
	if err := workflow.Await(ctx, func() bool { return timer.IsReady() || changed() }); err != nil {
		return err
	}
	if !changed() && timer.Get(ctx, nil) == nil {
		c.flow.elapse(ctx, d)
	}
	return nil
}

// nearest is the earliest of ds (the first listed on a tie).
func nearest(ds []Deadline) (Deadline, bool) {
	if len(ds) == 0 {
		return Deadline{}, false
	}
	return slices.MinFunc(ds, func(a, b Deadline) int { return a.At.Compare(b.At) }), true
}

// drain runs queued side effects in order; a step that fails after its
// retries parks the order until ops retry or skip it.
func (c *core) drain(ctx workflow.Context) error {
	for len(c.effects) > 0 {
		e := c.effects[0]
		// The step names the activity in the Web UI ("email payment_link to ann@…").
		opts := workflow.GetActivityOptions(ctx)
		opts.Summary = e.step
		err := e.run(workflow.WithActivityOptions(ctx, opts))
		if err == nil {
			c.effects = c.effects[1:]
			continue
		}
		if temporal.IsCanceledError(err) {
			return err
		}
		decision, err := c.park(ctx, e, err)
		if err != nil {
			return err
		}
		if decision == lifecycle.OpsSkip {
			c.effects = c.effects[1:]
		}
	}
	return nil
}

// park flags the order for ops and waits for their decision.
func (c *core) park(ctx workflow.Context, e effect, cause error) (lifecycle.Action, error) {
	c.Attention = &Attention{Step: e.step, Error: failureMessage(cause), Since: workflow.Now(ctx), Skippable: e.skippable,
		Resendable: e.email && hasErrorType(cause, activities.ErrEmailOutcomeUnknown)}
	workflow.GetLogger(ctx).Warn("side effect parked for ops", "step", e.step, "error", cause)
	// On the timeline now; its read-model write waits behind the parked step.
	c.note(ctx, lifecycle.StepFailed, systemActor, e.step+": "+c.Attention.Error, "")

	var decision lifecycle.Action
	c.opsDecision = func(a lifecycle.Action) { decision = a }
	// Deadlines keep their instants while ops decide, as actions do: an
	// order parked on an email still expires when its window ends.
	for decision == "" {
		if err := c.waitForChangeOrDeadline(ctx); err != nil {
			return "", err
		}
	}
	c.opsDecision = nil
	c.Attention = nil
	c.version++
	_ = workflow.UpsertTypedSearchAttributes(ctx, NeedsAttention.ValueSet(false))
	return decision, nil
}

// hasErrorType reports whether err is an activity's application error of that type.
func hasErrorType(err error, errType string) bool {
	var appErr *temporal.ApplicationError
	return errors.As(err, &appErr) && appErr.Type() == errType
}

// failureMessage is what ops read: the failing activity's own message and
// error type, without the SDK's wrapping.
func failureMessage(err error) string {
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) {
		return appErr.Message() + " (" + appErr.Type() + ")"
	}
	var timeout *temporal.TimeoutError
	if errors.As(err, &timeout) {
		return "timed out: " + timeout.Error()
	}
	return err.Error()
}

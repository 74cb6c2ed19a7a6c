package workflows

import (
	"encoding/json"
	"fmt"
	"slices"
	"time"
	"unicode/utf8"

	"go.temporal.io/sdk/workflow"

	"github.com/orderflow/orderflow/activities"
	"github.com/orderflow/orderflow/internal/auth"
	"github.com/orderflow/orderflow/lifecycle"
)

// The engine both order workflows share: an order's core state and how a
// transition is written down (timeline, read model, search attributes).
// How an action arrives is in actions.go and signals.go; how side effects run
// after the decision (an ordered queue drained by the main loop, parked for
// ops when a step keeps failing) in loop.go; emails in emails.go.

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

// core is the machinery of one order workflow. What it knows of the order
// lives in the flow's state (its Core), which core points at, so the state
// a fresh run continues from is the one struct the order has, never a copy.
type core struct {
	*coreState
	Attention *Attention

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
	// flatRecords: started after ChangeFlatRecords (versions.go).
	flatRecords bool
	// lean: started after ChangeLeanEngine (versions.go).
	lean bool
	// offersIndexed: started at version 2 of ChangeLeanEngine or later
	// (OfferedTo kept current).
	offersIndexed bool
	// partiesIndexed: started at version 3 of ChangeLeanEngine or later
	// (OrderTotal and ClientEmail kept current).
	partiesIndexed bool
	// answersBeforeEmails: started at version 4 of ChangeLeanEngine or
	// later: the create is answered without waiting for its emails.
	answersBeforeEmails bool
	// oneLoop: started after ChangeOneSignalLoop (signals.go).
	oneLoop bool
	// cancellable is the workflow's own context, which Temporal's
	// cancellation request cancels; a lean order's signal coroutine watches
	// it (detach), cancelSeen once it has turned it into the order's action.
	cancellable workflow.Context
	cancelSeen  bool
	// recorded marks the state the last record wrote (answer.go).
	recorded recordMark
	// timer is the running timer of the nearest deadline (loop.go).
	timer *deadlineTimer
	// indexed is what the search attributes say now (lean orders upsert
	// only what changed, once per workflow task).
	indexed indexedAttributes
	// via marks the timeline entries written while a signal or Temporal's
	// cancellation request is applied.
	via string
	// continueAsNew, when set, hands the state to a fresh run once Temporal
	// suggests it (long histories).
	continueAsNew func(ctx workflow.Context) error
}

// coreState is what every order knows, whatever its flow: part of the
// flow's state, carried whole across continue-as-new.
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
	// Closed ends a workflow whose order stays in a non-final status (a
	// completed marketplace order after its return window).
	Closed bool `json:"closed"`
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
	// describe is what deadline d waits for, as its timer's summary says
	// it: its name, and for an invoice's deadline which invoice.
	describe(d Deadline) string
	// snapshot is the read-model row of the order now.
	snapshot() activities.OrderRow
	// view is the order as viewer may see it.
	view(viewer Party) OrderView
	// cancelRequest is the action that Temporal's cancellation request
	// stands for in this flow (docs/security.md).
	cancelRequest() (lifecycle.Action, ActionRequest)
	// location is the order's time zone (how its emails show times).
	location() *time.Location
	// publicURL is the base of the API's links, or empty (details.go).
	publicURL() string
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
//
// A lean order has no coroutine of its own for it: its signal coroutine
// watches the request too (receiveAllSignals), one goroutine less per order.
func (c *core) detach(ctx workflow.Context) workflow.Context {
	if c.lean {
		c.cancellable = ctx
	} else {
		workflow.GoNamed(ctx, "cancellation request", func(ctx workflow.Context) {
			ctx.Done().Receive(ctx, nil)
			c.applyCancelRequest(ctx)
		})
	}
	detached, _ := workflow.NewDisconnectedContext(ctx)
	return detached
}

// applyCancelRequest applies Temporal's cancellation request as the flow's
// action, or refuses it on the timeline where the status allows none.
func (c *core) applyCancelRequest(ctx workflow.Context) {
	ctx, _ = workflow.NewDisconnectedContext(ctx)
	a, req := c.flow.cancelRequest()
	i := slices.IndexFunc(c.signals, func(s signalHandler) bool { return s.action == a })
	c.via = activities.ViaCancelRequest
	defer func() { c.via = "" }()
	c.signals[i].handle(ctx, req)
}

// begin readies a run: the changes it started after, the context
// Temporal's cancellation request does not cancel, the handlers.
func (c *core) begin(ctx workflow.Context, registry map[lifecycle.Action]func() Payload) (workflow.Context, error) {
	c.readChanges(ctx)
	ctx = c.detach(ctx)
	return ctx, c.registerHandlers(ctx, registry)
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
		Reason: reason, RequestID: requestID, Outcome: activities.OutcomeApplied,
	})
	c.Status = to
	step := "record " + string(action)
	c.record(ctx, step, step)
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
		Reason: why, RequestID: requestID, Outcome: activities.OutcomeRefused,
	})
	step := "record refused " + string(action)
	c.record(ctx, step, refusalSummary(step, why))
}

// maxSummary bounds a summary in bytes below Temporal's limit (400 bytes
// per summary payload, limit.userMetadataSummarySize), which would fail
// the workflow task that carries it.
const maxSummary = 300

// refusalSummary is how the Web UI names the record of a refused action:
// with why, since a signal has no answer and its sender reads the history.
// Old histories replay whatever they named it: summaries are no part of
// the commands the SDK compares with the history.
func refusalSummary(step, why string) string {
	s := step + ": " + why
	if len(s) <= maxSummary {
		return s
	}
	cut := maxSummary
	for !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

func (c *core) appendTimeline(ctx workflow.Context, e TimelineEntry) {
	c.Seq++
	e.Seq, e.At, e.Via = c.Seq, workflow.Now(ctx), c.via
	if c.flatRecords {
		e.At = e.At.Truncate(time.Microsecond)
	}
	c.Timeline = append(c.Timeline, e)
	c.version++
}

// record queues the read-model write of the current state, which the Web
// UI names summary, and brings the search attributes up to date.
func (c *core) record(ctx workflow.Context, step, summary string) {
	order := c.flow.snapshot()
	entry := c.Timeline[len(c.Timeline)-1]
	in := activities.RecordTransitionInput{Order: order, Entry: activities.TimelineRow{
		OrderID: c.ID, Seq: entry.Seq, At: entry.At, From: string(entry.From), To: string(entry.To),
		Action: string(entry.Action), ActorRole: string(entry.ActorRole), ActorID: entry.ActorID,
		Reason: entry.Reason, RequestID: entry.RequestID, Outcome: entry.Outcome, Via: entry.Via,
	}}
	c.recorded = markOf(order)
	c.enqueueAs(step, func() string { return summary }, true, func(ctx workflow.Context) error {
		return c.activity(ctx, acts.RecordTransition, in, nil)
	})
	c.upsertSearchAttributes(ctx, order)
}

// rawJSON is v as an action's payload.
func rawJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("payload is not JSON: %v", err)) // a code bug, caught by tests
	}
	return b
}

var systemActor = auth.Principal{Role: lifecycle.System, Subject: "orderflow"}

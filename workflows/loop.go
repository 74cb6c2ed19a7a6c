package workflows

import (
	"errors"
	"slices"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/orderflow/orderflow/activities"
	"github.com/orderflow/orderflow/lifecycle"
)

// The main loop both order workflows run: side effects queued in order and
// drained, waits for the next change or deadline, a failing step parked for ops.

// effect is one side effect waiting in the queue.
type effect struct {
	step string
	// summary, when set, names the step's activities in the Web UI with
	// more than step (which ops read in attention and the runbook lists):
	// the recipient's name, the supplier, the invoice. It is asked when the
	// step runs, so an invoice's number issued meanwhile is in it.
	summary   func() string
	skippable bool
	email     bool // ops may have it resent when its outcome is unknown
	failed    bool // parked once: retried as a regular activity only
	run       func(ctx workflow.Context) error
}

// sideEffectOptions: every activity is retried with capped backoff; after the
// attempts run out the step is parked for ops instead of failing the order.
var sideEffectOptions = workflow.ActivityOptions{
	StartToCloseTimeout: time.Minute,
	RetryPolicy: &temporal.RetryPolicy{
		InitialInterval:    time.Second,
		BackoffCoefficient: 2,
		MaximumInterval:    time.Minute,
		MaximumAttempts:    12, // about 6 minutes of retrying (waits of 1+2+…+32 s, then 5 × 1 min)
	},
}

// localOptions: a lean order's step first runs as a local activity, in the
// workflow task that queued it, with a few quick retries (core.activity).
var localOptions = workflow.LocalActivityOptions{
	StartToCloseTimeout:    10 * time.Second,
	ScheduleToCloseTimeout: 30 * time.Second,
	RetryPolicy: &temporal.RetryPolicy{
		InitialInterval:    200 * time.Millisecond,
		BackoffCoefficient: 2,
		MaximumInterval:    2 * time.Second,
		MaximumAttempts:    3,
	},
}

// errNotLocal: the step runs as a regular activity only.
var errNotLocal = errors.New("not run as a local activity")

// regularOnly marks the context of a step that failed before: ops see and
// retry its regular activity, so it does not try the local one again.
type regularOnly struct{}

// activity runs one activity of a step. A lean order runs it as a local
// activity first: one marker in the workflow task that decided it instead of
// three events and a workflow task of its own, and its input is not written
// to the history. A local activity that fails after its quick retries runs
// again as a regular activity (sideEffectOptions), which the Web UI and the
// CLI show pending and failed and ops pause, reset or retry; the step parks
// only when that one fails too. Every activity is idempotent (keyed by order
// and purpose), so a second run of a step changes nothing a first one did.
func (c *core) activity(ctx workflow.Context, fn, in, out any) error {
	err := c.local(ctx, fn, in, out)
	if !fallsBack(err) {
		return err
	}
	// A regular activity may retry for minutes, over workflow tasks that
	// reach no flushIndex: the current details say the decision that
	// queued the step meanwhile (no command, details.go).
	c.showDetails(ctx)
	return workflow.ExecuteActivity(ctx, fn, in).Get(ctx, out)
}

// local runs fn as a local activity, or answers errNotLocal for an order
// started before ChangeLeanEngine and for a step that failed before.
func (c *core) local(ctx workflow.Context, fn, in, out any) error {
	if !c.lean || ctx.Value(regularOnly{}) != nil {
		return errNotLocal
	}
	opts := localOptions
	opts.Summary = workflow.GetActivityOptions(ctx).Summary
	lctx := workflow.WithLocalActivityOptions(ctx, opts)
	err := workflow.ExecuteLocalActivity(lctx, fn, in).Get(lctx, out)
	if fallsBack(err) {
		workflow.GetLogger(ctx).Warn("local activity failed; running it as a regular activity", "step", opts.Summary, "error", err)
	}
	return err
}

// fallsBack reports whether a local run's outcome calls for the regular
// activity: not after success or cancellation, and not after a failure the
// activity itself says retrying cannot help (a refused email, an email of
// unknown outcome): that step parks at once, and an ops retry runs it as a
// regular activity.
func fallsBack(err error) bool {
	var appErr *temporal.ApplicationError
	return err != nil && !temporal.IsCanceledError(err) && !(errors.As(err, &appErr) && appErr.NonRetryable())
}

func (c *core) enqueue(step string, skippable bool, run func(ctx workflow.Context) error) {
	c.enqueueEffect(effect{step: step, skippable: skippable, run: run})
}

// enqueueAs queues a step whose activities the Web UI names by summary.
func (c *core) enqueueAs(step string, summary func() string, skippable bool, run func(ctx workflow.Context) error) {
	c.enqueueEffect(effect{step: step, summary: summary, skippable: skippable, run: run})
}

func (c *core) enqueueEffect(e effect) {
	c.effects = append(c.effects, e)
	c.version++
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
					c.flushIndex(ctx)
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
	c.flushIndex(ctx)
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
		c.flushIndex(ctx)
		c.stopTimer()
		return workflow.Await(ctx, changed)
	}
	wait := d.At.Sub(workflow.Now(ctx))
	if wait <= 0 { // already due: a timer of zero would not even be recorded
		c.flow.elapse(ctx, d)
		return nil
	}
	c.flushIndex(ctx)
	timer := c.timerFor(ctx, d, wait)
	if err := workflow.Await(ctx, func() bool { return timer.IsReady() || changed() }); err != nil {
		return err
	}
	if timer.IsReady() {
		c.timer = nil
	} else if !c.lean {
		c.stopTimer()
	}
	if !changed() && timer.Get(ctx, nil) == nil {
		c.flow.elapse(ctx, d)
	}
	return nil
}

// deadlineTimer is the timer of the deadline the order waits for.
type deadlineTimer struct {
	deadline Deadline
	future   workflow.Future
	cancel   workflow.CancelFunc
}

// timerFor is the timer that fires at d. Orders before ChangeLeanEngine
// cancel it as soon as anything changes and plan a fresh one; a lean order
// keeps it while the nearest deadline stays the same (an action that leaves
// the deadline as it was costs no timer events).
func (c *core) timerFor(ctx workflow.Context, d Deadline, wait time.Duration) workflow.Future {
	if c.timer != nil && c.timer.deadline.Name == d.Name && c.timer.deadline.Entry == d.Entry && c.timer.deadline.At.Equal(d.At) {
		return c.timer.future
	}
	c.stopTimer()
	timerCtx, cancel := workflow.WithCancel(ctx)
	future := workflow.NewTimerWithOptions(timerCtx, wait, workflow.TimerOptions{
		Summary: timerSummary(c.flow.describe(d), d.At),
	})
	c.timer = &deadlineTimer{deadline: d, future: future, cancel: cancel}
	return future
}

// timerSummary names a timer in the Web UI by what it waits for and when:
// "Pending window until 2026-11-22T03:16:23Z". A name that ends in "until"
// says it once: "Offer valid until 2026-12-11T23:00:00Z". The summary is
// the timer command's metadata, which replay does not compare: changing
// its text needs no version (the replay tests prove it).
func timerSummary(what string, at time.Time) string {
	when := at.UTC().Format(time.RFC3339)
	if fields := strings.Fields(what); len(fields) > 0 && strings.EqualFold(fields[len(fields)-1], "until") {
		return what + " " + when
	}
	return what + " until " + when
}

// withSummary is ctx whose activities the Web UI names summary.
func withSummary(ctx workflow.Context, summary string) workflow.Context {
	opts := workflow.GetActivityOptions(ctx)
	opts.Summary = summary
	return workflow.WithActivityOptions(ctx, opts)
}

func (c *core) stopTimer() {
	if c.timer != nil {
		c.timer.cancel()
		c.timer = nil
	}
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
		err := e.run(stepContext(ctx, e))
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
		} else {
			c.effects[0].failed = true
		}
	}
	return nil
}

// stepContext names the step's activity in the Web UI ("email payment_link
// to Ann <ann@…>", "issue invoice 1 of 2026-12-15") and keeps a step that
// failed before off the local activity.
func stepContext(ctx workflow.Context, e effect) workflow.Context {
	summary := e.step
	if e.summary != nil {
		summary = e.summary()
	}
	ctx = withSummary(ctx, summary)
	if e.failed {
		ctx = workflow.WithValue(ctx, regularOnly{}, true)
	}
	return ctx
}

// park flags the order for ops and waits for their decision.
func (c *core) park(ctx workflow.Context, e effect, cause error) (lifecycle.Action, error) {
	c.Attention = &Attention{Step: e.step, Error: failureMessage(cause), Since: workflow.Now(ctx), Skippable: e.skippable,
		Resendable: e.email && hasErrorType(cause, activities.ErrEmailOutcomeUnknown)}
	workflow.GetLogger(ctx).Warn("side effect parked for ops", "step", e.step, "error", cause)
	// On the timeline now. Its read-model write used to wait behind the
	// parked step, so the read model did not show that the order waits for
	// ops; since ChangeFlatRecords it is written at once (it stays queued
	// if Postgres is what failed). A later sequence written first is how the
	// read model works anyway: the earlier writes behind the step add their
	// timeline entries and leave the newer row as it is.
	c.note(ctx, lifecycle.StepFailed, systemActor, e.step+": "+c.Attention.Error, "")
	if c.flatRecords {
		last := len(c.effects) - 1
		if err := c.effects[last].run(stepContext(ctx, c.effects[last])); err == nil {
			c.effects = c.effects[:last]
		}
	}

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
	if !c.lean { // a lean order's next flushIndex says so
		_ = workflow.UpsertTypedSearchAttributes(ctx, NeedsAttention.ValueSet(false))
	}
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

package workflows

import (
	"errors"
	"slices"
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
	step      string
	skippable bool
	email     bool // ops may have it resent when its outcome is unknown
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
		MaximumAttempts:    12, // about 8 minutes of retrying
	},
}

func (c *core) enqueue(step string, skippable bool, run func(ctx workflow.Context) error) {
	c.enqueueEffect(effect{step: step, skippable: skippable, run: run})
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
	// On the timeline now. Its read-model write used to wait behind the
	// parked step, so the read model did not show that the order waits for
	// ops; since ChangeFlatRecords it is written at once (it stays queued
	// if Postgres is what failed). A later sequence written first is how the
	// read model works anyway: the earlier writes behind the step add their
	// timeline entries and leave the newer row as it is.
	c.note(ctx, lifecycle.StepFailed, systemActor, e.step+": "+c.Attention.Error, "")
	if c.flatRecords {
		last := len(c.effects) - 1
		if err := c.effects[last].run(ctx); err == nil {
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

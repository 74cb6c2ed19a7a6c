package activities

import (
	"context"
	"errors"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/orderflow/orderflow/internal/store"
)

// ErrReadModelConflict: a transition with this sequence was already recorded
// with other content, which means workflow code is not deterministic.
const ErrReadModelConflict = "ReadModelConflict"

// RecordTransitionInput is one transition of one order: the order as it is
// after the transition and the timeline entry that explains it.
type RecordTransitionInput struct {
	Order OrderRow
	Entry TimelineRow
}

// RecordTransition writes the transition to the read model. Keyed by order id
// and sequence: retries and late duplicates change nothing.
func (a *Activities) RecordTransition(ctx context.Context, in RecordTransitionInput) error {
	order := storeOrder(in.Order)
	// The run tells a reset's rewrite from a conflict (store.RecordTransition).
	order.RunID = activity.GetInfo(ctx).WorkflowExecution.RunID
	err := a.ReadModel.RecordTransition(ctx, order, storeTimelineEntry(in.Entry))
	switch {
	case err == nil:
		a.recorded(ctx, in)
		return nil
	case errors.Is(err, store.ErrConflict), errors.Is(err, store.ErrInvalid):
		return temporal.NewNonRetryableApplicationError(err.Error(), ErrReadModelConflict, err)
	default:
		return err // Postgres unreachable and the like: retried
	}
}

// recorded counts and logs a recorded transition. The store does not say
// whether the row was new, so a transition counts once per successful
// activity: exact unless an attempt committed but its completion was lost
// and a retry recorded it again. Refused actions and actions that leave the
// status as it was are not status changes and are not counted.
func (a *Activities) recorded(ctx context.Context, in RecordTransitionInput) {
	e := in.Entry
	a.log().InfoContext(ctx, "transition recorded", "flow", in.Order.Flow, "seq", e.Seq, "action", e.Action,
		"from", e.From, "status", e.To, "outcome", e.Outcome)
	if e.Outcome == OutcomeRefused || e.From == e.To {
		return
	}
	a.events().TransitionRecorded(in.Order.Flow, e.To)
}

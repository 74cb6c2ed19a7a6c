package activities

import (
	"context"
	"errors"

	"go.temporal.io/sdk/temporal"

	"github.com/orderflow/orderflow/internal/store"
)

// ErrReadModelConflict: a transition with this sequence was already recorded
// with other content, which means workflow code is not deterministic.
const ErrReadModelConflict = "ReadModelConflict"

// RecordTransitionInput is one transition of one order: the order as it is
// after the transition and the timeline entry that explains it.
type RecordTransitionInput struct {
	Order store.Order
	Entry store.TimelineEntry
}

// RecordTransition writes the transition to the read model. Keyed by order id
// and sequence: retries and late duplicates change nothing.
func (a *Activities) RecordTransition(ctx context.Context, in RecordTransitionInput) error {
	err := a.ReadModel.RecordTransition(ctx, in.Order, in.Entry)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, store.ErrConflict), errors.Is(err, store.ErrInvalid):
		return temporal.NewNonRetryableApplicationError(err.Error(), ErrReadModelConflict, err)
	default:
		return err // Postgres unreachable and the like: retried
	}
}

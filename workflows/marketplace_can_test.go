package workflows

import (
	"errors"
	"slices"
	"testing"

	"github.com/orderflow/orderflow/lifecycle"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/workflow"
)

// A marketplace order whose history grows long (every update answers with
// the whole view) continues as new when Temporal suggests it, with its whole
// state, instead of growing until Temporal ends it; the next run carries on
// as if nothing happened.
func TestMarketplaceContinuesAsNewWithItsWholeState(t *testing.T) {
	first := newRun(t)
	first.script(steps(paidAt1m, releasedAt3m))
	first.env.RegisterDelayedCallback(func() { first.env.SetContinueAsNewSuggested(true) }, 3*minute+30*second)
	first.execute(orderInput("prepaid"))

	var can *workflow.ContinueAsNewError
	if err := first.env.GetWorkflowError(); !errors.As(err, &can) {
		t.Fatalf("the first run ended with %v, want a continue-as-new", err)
	}
	var next MarketplaceInput
	if err := converter.GetDefaultDataConverter().FromPayloads(can.Input, &next); err != nil {
		t.Fatalf("decode the next run's input: %v", err)
	}
	before := first.query(buyer)
	// Temporal's suggestion is seen at the next workflow task: the pending
	// window's end, after the second round of offers.
	if next.Resume == nil || next.Resume.Core.Status != lifecycle.PendingExpiring || next.Resume.Payment == nil || !next.Resume.Payment.Paid || len(next.Resume.Offers) != 5 {
		t.Fatalf("carried state %+v", next.Resume)
	}

	nextRun := newRunWith(t, first.fakes, first.requests, first.start.Add(2*hour+3*minute))
	nextRun.script(steps(
		[]step{{30 * second, lifecycle.Accept, supplierB, nil}},
		fulfilled(supplierB, 90*second),
	))
	nextRun.execute(next)

	nextRun.requireCompleted()
	v := nextRun.query(buyer)
	if got := statuses(v); !slices.Equal(got, []lifecycle.Status{lifecycle.AwaitingPayment, lifecycle.Screening, lifecycle.Pending, lifecycle.PendingExpiring, lifecycle.InProgress, lifecycle.Completed}) {
		t.Errorf("statuses across both runs %v", got)
	}
	if !slices.EqualFunc(v.Timeline[:len(before.Timeline)], before.Timeline, timelineEntriesEqual) {
		t.Error("the second run's timeline does not start with the first's")
	}
	if n := len(first.fakes.links); n != 1 || first.fakes.refundCount() != 0 {
		t.Errorf("payment links %d, refunds %d: want one link, no refund", n, first.fakes.refundCount())
	}
}

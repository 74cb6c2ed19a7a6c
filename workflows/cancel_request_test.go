package workflows

import (
	"slices"
	"strings"
	"testing"

	"github.com/orderflow/orderflow/lifecycle"
)

// Temporal's cancellation request (the Web UI's "Request Cancellation"
// button) is the order's own cancellation where the flow lets staff cancel,
// refused on the timeline where not; either way the order keeps working.

func TestCancelRequestCancelsAPaidMarketplaceOrderWithItsRefund(t *testing.T) {
	r := newRun(t)
	r.must(minute, lifecycle.PaymentConfirmed, webhook, paid("pay_1"))
	r.env.RegisterDelayedCallback(r.env.CancelWorkflow, 10*minute)
	r.execute(orderInput("prepaid"))

	r.requireCompleted()
	v := r.query(buyer)
	if got := statuses(v); !slices.Equal(got, []lifecycle.Status{lifecycle.AwaitingPayment, lifecycle.Screening, lifecycle.Cancelled}) {
		t.Fatalf("statuses %v", got)
	}
	e := v.Timeline[len(v.Timeline)-1]
	if e.Action != lifecycle.Cancel || e.Outcome != "applied" || e.Via != "cancel_request" || e.ActorRole != "purchasing" {
		t.Errorf("the cancellation's entry %+v, want cancel applied via cancel_request as purchasing", e)
	}
	if r.fakes.refundCount() != 1 || r.fakes.refundTotal() != orderGross {
		t.Errorf("refunds %d of %s, want one of %s", r.fakes.refundCount(), r.fakes.refundTotal(), orderGross)
	}
	if !slices.Contains(r.fakes.sentTo(), "order_cancelled→"+ann) {
		t.Errorf("the customer was not told: %v", r.fakes.sentTo())
	}
}

func TestCancelRequestRefusedOnAnActiveMemberOrderWhichKeepsWorking(t *testing.T) {
	r := newRun(t)
	r.activeAt2h()
	r.env.RegisterDelayedCallback(r.env.CancelWorkflow, 3*hour)
	// After the refused request the order still takes actions and timers.
	r.must(4*hour, lifecycle.RequestCancellation, memberM, CancellationPayload{Reason: "the client cancelled the whole project"})
	r.must(5*hour, lifecycle.ApproveCancellation, staffS, nil)
	r.executeMember(memberInput())

	r.requireCompleted()
	v := r.query(staffS)
	if got := statuses(v); !slices.Equal(got, []lifecycle.Status{lifecycle.Draft, lifecycle.SmartConfirmation, lifecycle.ClientConfirmation, lifecycle.Active, lifecycle.CancellationRequested, lifecycle.Cancelled}) {
		t.Fatalf("statuses %v", got)
	}
	i := slices.IndexFunc(v.Timeline, func(e TimelineEntry) bool { return e.Via == "cancel_request" })
	if i < 0 {
		t.Fatalf("no entry of the cancellation request: %+v", v.Timeline)
	}
	if e := v.Timeline[i]; e.Action != lifecycle.ApproveCancellation || e.Outcome != "refused" || e.From != lifecycle.Active ||
		!strings.Contains(e.Reason, "not possible while the order is active") {
		t.Errorf("the cancellation request's entry %+v, want approve_cancellation refused in active", e)
	}
}

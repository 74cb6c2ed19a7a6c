package workflows

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/orderflow/orderflow/internal/auth"
)

// Actions sent as signals (from the Web UI or the CLI) apply like updates;
// a signal that is not allowed is written on the timeline as refused, with
// the reason, and never fails the workflow.

func TestSignalsApplyLikeUpdates(t *testing.T) {
	r := newRun(t)
	r.signalAt(1*minute, PaymentConfirmed, ActionRequest{Actor: webhook, RequestID: "sig-pay", Payload: rawPayload(paid("pay_1"))})
	r.signalAt(2*minute, SetMargin, ActionRequest{Actor: buyer, RequestID: "sig-margin", Payload: rawPayload(margin(12))})
	r.signalAt(3*minute, Release, ActionRequest{Actor: buyer, RequestID: "sig-release"})
	r.stopAt(hour)
	r.execute(orderInput("prepaid"))

	r.requireStopped()
	v := r.query(buyer)
	if got := statuses(v); !slices.Equal(got, []Status{AwaitingPayment, Screening, Pending}) {
		t.Fatalf("statuses %v", got)
	}
	for _, id := range []string{"sig-pay", "sig-margin", "sig-release"} {
		es := entriesWithRequest(v, id)
		if len(es) != 1 || es[0].Outcome != "applied" {
			t.Errorf("%s on the timeline: %+v, want applied once", id, es)
		}
	}
	if m := v.Marketplace.MarginPercent; m == nil || m.String() != "12" {
		t.Errorf("margin %v, want 12", m)
	}
	if !slices.Contains(r.fakes.sentTo(), "order_acknowledged→"+ann) {
		t.Errorf("the released order was not acknowledged: %v", r.fakes.sentTo())
	}
}

func TestInvalidSignalsAreRecordedAndRefused(t *testing.T) {
	cases := []struct {
		action Action
		req    ActionRequest
		reason string // part of the recorded reason
	}{
		{Release, ActionRequest{Actor: customer}, "your role customer may not release"},
		{Release, ActionRequest{Actor: buyer}, "release is not possible while the order is awaiting_payment"},
		{Accept, ActionRequest{Actor: supplierA}, "no such order"},
		{Cancel, ActionRequest{Actor: otherCustomer, Payload: rawPayload(because("mine now"))}, "no such order"},
		{Cancel, ActionRequest{}, "no such order"}, // no actor at all
		{PaymentConfirmed, ActionRequest{Actor: webhook, Payload: json.RawMessage(`{"payment_id":"pay_1"}`)}, "amount: must be greater than 0"},
		{PaymentConfirmed, ActionRequest{Actor: webhook, Payload: rawPayload(PaymentConfirmedPayload{PaymentID: "pay_9", Amount: orderGross})}, "not this order's payment"},
		{Cancel, ActionRequest{Actor: customer, Payload: json.RawMessage(`{"reason": 5}`)}, `"reason" must be a string`},
		{Cancel, ActionRequest{Actor: customer, Payload: json.RawMessage(`{"why": "x"}`)}, `unknown field "why"`},
		{Cancel, ActionRequest{Actor: customer, Payload: json.RawMessage(`["not", "an", "object"]`)}, "not usable"},
		{OpsRetry, ActionRequest{Actor: buyer}, "your role purchasing may not retry"},
		{OpsSkip, ActionRequest{Actor: auth.Principal{Role: auth.Ops, Subject: "o-1"}}, "not waiting for ops"},
	}
	r := newRun(t)
	for i, tc := range cases {
		tc.req.RequestID = "bad-" + string(rune('a'+i))
		r.signalAt(minute+time.Duration(i)*second, tc.action, tc.req)
	}
	// Not even an action request: the SDK drops it (and logs it).
	r.env.RegisterDelayedCallback(func() { r.env.SignalWorkflow(string(Cancel), "cancel it!") }, 30*minute)
	r.must(40*minute, PaymentConfirmed, webhook, paid("pay_1"))
	r.stopAt(hour)
	r.execute(orderInput("prepaid"))

	r.requireStopped()
	v := r.query(buyer)
	if got := statuses(v); !slices.Equal(got, []Status{AwaitingPayment, Screening}) {
		t.Errorf("statuses %v: refused signals moved the order", got)
	}
	refused := 0
	for _, e := range v.Timeline {
		if e.Outcome == "refused" {
			refused++
		}
	}
	if refused != len(cases) || len(v.Timeline) != len(cases)+2 {
		t.Errorf("%d refused entries of %d, want %d and create and payment: %+v", refused, len(v.Timeline), len(cases), v.Timeline)
	}
	for i, tc := range cases {
		id := "bad-" + string(rune('a'+i))
		es := entriesWithRequest(v, id)
		if len(es) != 1 {
			t.Errorf("%s (%s) on the timeline %d times", id, tc.action, len(es))
			continue
		}
		e := es[0]
		if e.Outcome != "refused" || e.Action != tc.action || e.From != AwaitingPayment || e.To != AwaitingPayment ||
			e.ActorRole != tc.req.Actor.Role || !strings.Contains(e.Reason, tc.reason) {
			t.Errorf("%s entry %+v, want %s refused because %q", id, e, tc.action, tc.reason)
		}
	}
	// The read model was told too.
	recorded := 0
	r.fakes.mu.Lock()
	for _, tr := range r.fakes.transitions {
		if tr.Entry.Outcome == "refused" {
			recorded++
		}
	}
	r.fakes.mu.Unlock()
	if recorded != len(cases) {
		t.Errorf("%d refusals recorded in the read model, want %d", recorded, len(cases))
	}
}

// Signals apply the same way on both sides of change "one-signal-loop": in
// the one coroutine of orders started since, and in the coroutine per action
// of orders started before (their histories have no marker for it).
func TestSignalsApplyOnBothSidesOfTheSignalLoopChange(t *testing.T) {
	for _, before := range []bool{false, true} {
		r := newRun(t)
		if before {
			r.env.OnGetVersion(ChangeOneSignalLoop, workflow.DefaultVersion, 1).Return(workflow.DefaultVersion)
		}
		r.signalAt(1*minute, Release, ActionRequest{Actor: customer, RequestID: "sig-refused"})
		r.signalAt(2*minute, PaymentConfirmed, ActionRequest{Actor: webhook, RequestID: "sig-pay", Payload: rawPayload(paid("pay_1"))})
		r.signalAt(3*minute, SetMargin, ActionRequest{Actor: buyer, RequestID: "sig-margin", Payload: rawPayload(margin(12))})
		r.stopAt(hour)
		r.execute(orderInput("prepaid"))

		r.requireStopped()
		v := r.query(buyer)
		var got []string
		for _, e := range v.Timeline {
			got = append(got, string(e.Action)+" "+e.Outcome)
		}
		want := []string{"create applied", "release refused", "payment_confirmed applied", "set_margin applied"}
		if !slices.Equal(got, want) {
			t.Errorf("before the change %v: timeline %v, want %v", before, got, want)
		}
	}
}

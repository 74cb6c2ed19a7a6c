package workflows

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/orderflow/orderflow/internal/auth"
	"github.com/orderflow/orderflow/lifecycle"
)

// Actions sent as signals (from the Web UI or the CLI) by the staff-side
// roles apply like updates, marked "via signal"; a signal that is not
// allowed, from another role, unreadable or of no known action is written on
// the timeline as refused, with the reason, and never fails the workflow nor
// holds up the signals after it.

func TestSignalsApplyLikeUpdates(t *testing.T) {
	r := newRun(t)
	r.must(1*minute, lifecycle.PaymentConfirmed, webhook, paid("pay_1"))
	r.signalAt(2*minute, lifecycle.SetMargin, ActionRequest{Actor: buyer, RequestID: "sig-margin", Payload: rawPayload(margin(12))})
	r.signalAt(3*minute, lifecycle.Release, ActionRequest{Actor: buyer, RequestID: "sig-release"})
	r.stopAt(hour)
	r.execute(orderInput("prepaid"))

	r.requireStopped()
	v := r.query(buyer)
	if got := statuses(v); !slices.Equal(got, []lifecycle.Status{lifecycle.AwaitingPayment, lifecycle.Screening, lifecycle.Pending}) {
		t.Fatalf("statuses %v", got)
	}
	for _, id := range []string{"sig-margin", "sig-release"} {
		es := entriesWithRequest(v, id)
		if len(es) != 1 || es[0].Outcome != "applied" || es[0].Via != "signal" {
			t.Errorf("%s on the timeline: %+v, want applied once, via signal", id, es)
		}
	}
	if e := v.Timeline[1]; e.Action != lifecycle.PaymentConfirmed || e.Via != "" {
		t.Errorf("the update's entry %+v, want payment_confirmed with no via", e)
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
		action lifecycle.Action
		req    ActionRequest
		reason string // part of the recorded reason
	}{
		{lifecycle.Release, ActionRequest{Actor: customer}, "a signal may come from staff, purchasing, finance, ops only; a customer acts through the API"},
		{lifecycle.Release, ActionRequest{Actor: buyer}, "release is not possible while the order is awaiting_payment"},
		{lifecycle.Accept, ActionRequest{Actor: supplierA}, "a supplier acts through the API"},
		{lifecycle.Cancel, ActionRequest{Actor: otherCustomer, Payload: rawPayload(because("mine now"))}, "a customer acts through the API"},
		{lifecycle.Cancel, ActionRequest{}, "the signal names no actor"},
		// Only the payment provider's signed webhook confirms a payment.
		{lifecycle.PaymentConfirmed, ActionRequest{Actor: webhook, Payload: rawPayload(paid("pay_1"))}, "a system acts through the API"},
		{lifecycle.Cancel, ActionRequest{Actor: auth.Principal{Role: lifecycle.Client, Subject: "link:cl_1"}}, "a client acts through the API"},
		{lifecycle.Cancel, ActionRequest{Actor: buyer, Payload: json.RawMessage(`{"reason": 5}`)}, `"reason" must be a string`},
		{lifecycle.Cancel, ActionRequest{Actor: buyer, Payload: json.RawMessage(`{"why": "x"}`)}, `unknown field "why"`},
		{lifecycle.Cancel, ActionRequest{Actor: buyer, Payload: json.RawMessage(`["not", "an", "object"]`)}, "not usable"},
		{lifecycle.OpsRetry, ActionRequest{Actor: buyer}, "your role purchasing may not retry"},
		{lifecycle.OpsSkip, ActionRequest{Actor: auth.Principal{Role: lifecycle.Ops, Subject: "o-1"}}, "not waiting for ops"},
	}
	r := newRun(t)
	for i, tc := range cases {
		tc.req.RequestID = "bad-" + string(rune('a'+i))
		r.signalAt(minute+time.Duration(i)*second, tc.action, tc.req)
	}
	// Not even an action request, and no action at all: refused too, and the
	// signal after them still applies.
	r.env.RegisterDelayedCallback(func() { r.env.SignalWorkflow(string(lifecycle.Cancel), "cancel it!") }, 30*minute)
	r.env.RegisterDelayedCallback(func() { r.env.SignalWorkflow("cancle", ActionRequest{Actor: buyer}) }, 31*minute)
	r.must(40*minute, lifecycle.PaymentConfirmed, webhook, paid("pay_1"))
	r.signalAt(41*minute, lifecycle.SetMargin, ActionRequest{Actor: buyer, RequestID: "after", Payload: rawPayload(margin(12))})
	r.stopAt(hour)
	r.execute(orderInput("prepaid"))

	r.requireStopped()
	v := r.query(buyer)
	if got := statuses(v); !slices.Equal(got, []lifecycle.Status{lifecycle.AwaitingPayment, lifecycle.Screening}) {
		t.Errorf("statuses %v: refused signals moved the order", got)
	}
	refused := 0
	for _, e := range v.Timeline {
		if e.Outcome == "refused" {
			refused++
		}
	}
	if refused != len(cases)+2 || len(v.Timeline) != len(cases)+5 {
		t.Errorf("%d refused entries of %d, want %d and create, payment and margin: %+v", refused, len(v.Timeline), len(cases)+2, v.Timeline)
	}
	unreadable, unknown := v.Timeline[len(cases)+1], v.Timeline[len(cases)+2]
	if unreadable.Action != lifecycle.Cancel || unreadable.Outcome != "refused" || !strings.Contains(unreadable.Reason, "must be a JSON object") {
		t.Errorf("the unreadable signal: %+v", unreadable)
	}
	if unknown.Action != "cancle" || unknown.Outcome != "refused" || unknown.ActorRole != lifecycle.Purchasing || !strings.Contains(unknown.Reason, `"cancle" is not an action of marketplace orders`) {
		t.Errorf("the unknown signal: %+v", unknown)
	}
	if es := entriesWithRequest(v, "after"); len(es) != 1 || es[0].Outcome != "applied" {
		t.Errorf("the signal after the bad ones: %+v, want applied", es)
	}
	for i, tc := range cases {
		id := "bad-" + string(rune('a'+i))
		es := entriesWithRequest(v, id)
		if len(es) != 1 {
			t.Errorf("%s (%s) on the timeline %d times", id, tc.action, len(es))
			continue
		}
		e := es[0]
		if e.Outcome != "refused" || e.Action != tc.action || e.From != lifecycle.AwaitingPayment || e.To != lifecycle.AwaitingPayment ||
			e.ActorRole != tc.req.Actor.Role || e.Via != "signal" || !strings.Contains(e.Reason, tc.reason) {
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
	if recorded != len(cases)+2 {
		t.Errorf("%d refusals recorded in the read model, want %d", recorded, len(cases)+2)
	}
}

// Signals apply the same way on both sides of change "one-signal-loop": in
// the one coroutine of orders started since, and in the coroutine per action
// of orders started before (their histories have no marker for it).
func TestSignalsApplyOnBothSidesOfTheSignalLoopChange(t *testing.T) {
	for _, before := range []bool{false, true} {
		r := newRun(t)
		if before {
			r.startedBefore(ChangeOneSignalLoop, ChangeTrustedActions)
		}
		r.signalAt(1*minute, lifecycle.Release, ActionRequest{Actor: customer, RequestID: "sig-refused"})
		r.signalAt(2*minute, lifecycle.Release, ActionRequest{Actor: buyer, RequestID: "sig-too-early"})
		r.must(150*second, lifecycle.PaymentConfirmed, webhook, paid("pay_1"))
		r.signalAt(3*minute, lifecycle.SetMargin, ActionRequest{Actor: buyer, RequestID: "sig-margin", Payload: rawPayload(margin(12))})
		r.stopAt(hour)
		r.execute(orderInput("prepaid"))

		r.requireStopped()
		v := r.query(buyer)
		var got []string
		for _, e := range v.Timeline {
			got = append(got, string(e.Action)+" "+e.Outcome)
		}
		want := []string{"create applied", "release refused", "release refused", "payment_confirmed applied", "set_margin applied"}
		if !slices.Equal(got, want) {
			t.Errorf("before the change %v: timeline %v, want %v", before, got, want)
		}
	}
}

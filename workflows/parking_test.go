package workflows

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/orderflow/orderflow/internal/auth"
)

// A side effect that keeps failing parks the order for ops: it is flagged,
// actions still apply, and ops retry or (where safe) skip the step.

var opsUser = auth.Principal{Role: auth.Ops, Subject: "o-1"}

const parkedLinkEmail = "email payment_link to ann@example.com"

func TestParkedEmailIsRetriedByOps(t *testing.T) {
	r := newRun(t)
	r.fakes.failSends = 1
	r.settledViewAt(1*minute, opsUser, func(v OrderView) {
		a := v.Attention
		if !v.NeedsAttention || a == nil || a.Step != parkedLinkEmail || !a.Skippable || !strings.Contains(a.Error, "injected refusal") {
			t.Errorf("parked: needs attention %v, attention %+v; want the payment link email", v.NeedsAttention, a)
		}
		if !slices.Contains(v.AllowedActions, OpsRetry) || !slices.Contains(v.AllowedActions, OpsSkip) {
			t.Errorf("ops may %v, want retry and skip", v.AllowedActions)
		}
		if len(v.Timeline) != 1 || len(v.Emails) != 0 {
			t.Errorf("parking changed the order: timeline %+v, emails %v", v.Timeline, v.Emails)
		}
	})
	r.must(2*minute, PaymentConfirmed, webhook, paid("pay_1")) // the link exists; only its email failed
	r.refused(3*minute, OpsRetry, buyer, nil, WrongRole)
	r.refused(3*minute, OpsSkip, customer, nil, WrongRole)
	r.settledViewAt(4*minute, opsUser, func(v OrderView) {
		if v.Status != Screening || !v.NeedsAttention || len(r.fakes.sentTo()) != 0 {
			t.Errorf("still parked: status %s, needs attention %v, sent %v", v.Status, v.NeedsAttention, r.fakes.sentTo())
		}
	})
	r.must(5*minute, OpsRetry, opsUser, nil)
	r.settledViewAt(6*minute, opsUser, func(v OrderView) {
		if v.NeedsAttention || v.Attention != nil || slices.Contains(v.AllowedActions, OpsRetry) {
			t.Errorf("after the retry: needs attention %v, attention %+v, ops may %v", v.NeedsAttention, v.Attention, v.AllowedActions)
		}
	})
	r.refused(7*minute, OpsRetry, opsUser, nil, NotAllowedNow)
	r.refused(7*minute, OpsSkip, opsUser, nil, NotAllowedNow)
	r.must(8*minute, SetMargin, buyer, margin(10))
	r.stopAt(hour)
	r.execute(orderInput("prepaid"))

	r.requireStopped()
	v := r.query(buyer)
	r.requireEmails(v, []string{"payment_link→" + ann})
	var actions []Action
	for _, e := range v.Timeline {
		actions = append(actions, e.Action)
	}
	if want := []Action{"create", PaymentConfirmed, OpsRetry, SetMargin}; !slices.Equal(actions, want) {
		t.Errorf("timeline %v, want %v", actions, want)
	}
	if e := entriesOf(v, OpsRetry); len(e) != 1 || e[0].ActorRole != auth.Ops || e[0].Reason != parkedLinkEmail {
		t.Errorf("retry entry %+v, want ops retrying %q", e, parkedLinkEmail)
	}
}

func TestParkedEmailIsSkippedByOps(t *testing.T) {
	r := newRun(t)
	r.fakes.failSends = 1
	r.must(2*minute, OpsSkip, opsUser, nil)
	r.settledViewAt(3*minute, opsUser, func(v OrderView) {
		if v.NeedsAttention || v.Attention != nil {
			t.Errorf("after the skip: needs attention %v, attention %+v", v.NeedsAttention, v.Attention)
		}
	})
	r.script(steps([]step{{4 * minute, PaymentConfirmed, webhook, paid("pay_1")}},
		[]step{{5 * minute, SetMargin, buyer, margin(10)}, {6 * minute, Release, buyer, nil}}))
	r.stopAt(hour)
	r.execute(orderInput("prepaid"))

	r.requireStopped()
	v := r.query(buyer)
	// The skipped email is never sent; the ones after it are.
	r.requireEmails(v, releaseMails)
	if e := entriesOf(v, OpsSkip); len(e) != 1 || e[0].Reason != parkedLinkEmail {
		t.Errorf("skip entry %+v", e)
	}
	if got := statuses(v); !slices.Equal(got, []Status{AwaitingPayment, Screening, Pending}) {
		t.Errorf("statuses %v", got)
	}
}

// A refund may not be skipped: ops must get it done.
func TestParkedRefundCannotBeSkipped(t *testing.T) {
	r := newRun(t)
	r.fakes.failRefunds = 1
	r.script(paidAt1m)
	r.must(2*minute, Cancel, buyer, because("supplier unavailable"))
	r.settledViewAt(3*minute, opsUser, func(v OrderView) {
		a := v.Attention
		if v.Status != Cancelled || a == nil || a.Step != "refund" || a.Skippable {
			t.Errorf("status %s, attention %+v; want cancelled and parked on the refund", v.Status, a)
		}
		if !slices.Contains(v.AllowedActions, OpsRetry) || slices.Contains(v.AllowedActions, OpsSkip) {
			t.Errorf("ops may %v, want retry only", v.AllowedActions)
		}
		if r.env.IsWorkflowCompleted() {
			t.Error("the workflow ended with its refund undone")
		}
	})
	r.refused(4*minute, OpsSkip, opsUser, nil, NotAllowedNow)
	r.must(5*minute, OpsRetry, opsUser, nil)
	r.execute(orderInput("prepaid"))

	r.requireCompleted()
	v := r.query(buyer)
	r.requireRefunds(v, 1)
	if end := r.env.Now(); !end.Equal(testStart.Add(5 * minute)) {
		t.Errorf("the workflow ended at %s, want when ops retried the refund", end)
	}
	sent := r.fakes.sentTo()
	if !slices.Equal(sent[len(sent)-2:], []string{"order_cancelled→" + ann, "refund_issued→" + ann}) {
		t.Errorf("emails %v", sent)
	}
}

// The same update id twice (a client retrying) applies once and answers
// the first result both times: Temporal deduplicates update ids, and the
// test environment does the same.
func TestSameUpdateIDAppliesOnce(t *testing.T) {
	r := newRun(t)
	r.script(paidAt1m)
	var answers []OrderView
	send := func(offset time.Duration, pct int64) {
		r.env.RegisterDelayedCallback(func() {
			req := ActionRequest{Actor: buyer, RequestID: "margin-once", Payload: rawPayload(margin(pct))}
			r.env.UpdateWorkflow(string(SetMargin), "margin-once", &updateResult{check: func(v OrderView, err error) {
				if err != nil {
					t.Errorf("set_margin at +%s: %v", offset, err)
				}
				answers = append(answers, v)
			}}, req)
		}, offset)
	}
	send(2*minute, 10)
	send(3*minute, 20)
	r.stopAt(hour)
	r.execute(orderInput("prepaid"))

	r.requireStopped()
	if len(answers) != 2 {
		t.Fatalf("%d answers, want 2", len(answers))
	}
	for i, a := range answers {
		if m := a.Marketplace.MarginPercent; m == nil || m.String() != "10" || len(entriesWithRequest(a, "margin-once")) != 1 {
			t.Errorf("answer %d: margin %v, timeline %+v", i+1, m, a.Timeline)
		}
	}
	v := r.query(buyer)
	if n := len(entriesWithRequest(v, "margin-once")); n != 1 {
		t.Errorf("set_margin applied %d times", n)
	}
	if m := v.Marketplace.MarginPercent; m == nil || m.String() != "10" {
		t.Errorf("margin %v, want the first request's 10", m)
	}
}

package workflows

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/orderflow/orderflow/internal/auth"
	"github.com/orderflow/orderflow/lifecycle"
)

// A side effect that keeps failing parks the order for ops: it is flagged,
// actions still apply, and ops retry or (where safe) skip the step.

var opsUser = auth.Principal{Role: lifecycle.Ops, Subject: "o-1"}

const parkedLinkEmail = "email payment_link to ann@example.com"

func TestParkedEmailIsRetriedByOps(t *testing.T) {
	r := newRun(t)
	r.fakes.failSends = 1
	r.settledViewAt(1*minute, opsUser, func(v OrderView) {
		a := v.Attention
		if !v.NeedsAttention || a == nil || a.Step != parkedLinkEmail || !a.Skippable || !strings.Contains(a.Error, "injected refusal") {
			t.Errorf("parked: needs attention %v, attention %+v; want the payment link email", v.NeedsAttention, a)
		}
		if !slices.Contains(v.AllowedActions, lifecycle.OpsRetry) || !slices.Contains(v.AllowedActions, lifecycle.OpsSkip) {
			t.Errorf("ops may %v, want retry and skip", v.AllowedActions)
		}
		if len(v.Timeline) != 2 || v.Timeline[1].Action != lifecycle.StepFailed || !strings.HasPrefix(v.Timeline[1].Reason, parkedLinkEmail+": ") || !strings.Contains(v.Timeline[1].Reason, "injected refusal") ||
			v.Timeline[1].To != lifecycle.AwaitingPayment || len(v.Emails) != 0 {
			t.Errorf("parking: timeline %+v, emails %v; want the failed step written down, nothing else", v.Timeline, v.Emails)
		}
	})
	r.must(2*minute, lifecycle.PaymentConfirmed, webhook, paid("pay_1")) // the link exists; only its email failed
	r.refused(3*minute, lifecycle.OpsRetry, buyer, nil, lifecycle.WrongRole)
	r.refused(3*minute, lifecycle.OpsSkip, customer, nil, lifecycle.WrongRole)
	r.settledViewAt(4*minute, opsUser, func(v OrderView) {
		if v.Status != lifecycle.Screening || !v.NeedsAttention || len(r.fakes.sentTo()) != 0 {
			t.Errorf("still parked: status %s, needs attention %v, sent %v", v.Status, v.NeedsAttention, r.fakes.sentTo())
		}
	})
	r.must(5*minute, lifecycle.OpsRetry, opsUser, nil)
	r.settledViewAt(6*minute, opsUser, func(v OrderView) {
		if v.NeedsAttention || v.Attention != nil || slices.Contains(v.AllowedActions, lifecycle.OpsRetry) {
			t.Errorf("after the retry: needs attention %v, attention %+v, ops may %v", v.NeedsAttention, v.Attention, v.AllowedActions)
		}
	})
	r.refused(7*minute, lifecycle.OpsRetry, opsUser, nil, lifecycle.NotAllowedNow)
	r.refused(7*minute, lifecycle.OpsSkip, opsUser, nil, lifecycle.NotAllowedNow)
	r.must(8*minute, lifecycle.SetMargin, buyer, margin(10))
	r.stopAt(hour)
	r.execute(orderInput("prepaid"))

	r.requireStopped()
	v := r.query(buyer)
	r.requireEmails(v, []string{"payment_link→" + ann})
	var actions []lifecycle.Action
	for _, e := range v.Timeline {
		actions = append(actions, e.Action)
	}
	if want := []lifecycle.Action{"create", lifecycle.StepFailed, lifecycle.PaymentConfirmed, lifecycle.OpsRetry, lifecycle.SetMargin}; !slices.Equal(actions, want) {
		t.Errorf("timeline %v, want %v", actions, want)
	}
	if e := actionEntries(v, lifecycle.OpsRetry); len(e) != 1 || e[0].ActorRole != lifecycle.Ops || e[0].Reason != parkedLinkEmail {
		t.Errorf("retry entry %+v, want ops retrying %q", e, parkedLinkEmail)
	}
}

// An email whose outcome is unknown (the provider did not answer) is never
// sent again by a plain retry; ops check the provider and retry with resend.
func TestParkedEmailOfUnknownOutcomeIsResentOnlyWhenOpsSaySo(t *testing.T) {
	r := newRun(t)
	r.fakes.unknownSends = 1
	resend := RetryPayload{Resend: true}
	r.settledViewAt(1*minute, opsUser, func(v OrderView) {
		if a := v.Attention; a == nil || a.Step != parkedLinkEmail || !a.Resendable || !strings.Contains(a.Error, "EmailOutcomeUnknown") {
			t.Errorf("parked: %+v, want the payment link email, resendable", a)
		}
	})
	r.refused(2*minute, lifecycle.OpsRetry, opsUser, map[string]any{"resend": "yes"}, InvalidPayload)
	r.must(3*minute, lifecycle.OpsRetry, opsUser, nil)
	r.settledViewAt(4*minute, opsUser, func(v OrderView) {
		if a := v.Attention; a == nil || !a.Resendable || len(r.fakes.sentTo()) != 0 {
			t.Errorf("a plain retry: attention %+v, sent %v; want parked again, nothing sent", a, r.fakes.sentTo())
		}
	})
	r.must(5*minute, lifecycle.OpsRetry, opsUser, resend)
	r.stopAt(hour)
	r.execute(orderInput("prepaid"))

	r.requireStopped()
	v := r.query(buyer)
	r.requireEmails(v, []string{"payment_link→" + ann})
	if v.NeedsAttention {
		t.Errorf("still parked after the resend: %+v", v.Attention)
	}
	if e := actionEntries(v, lifecycle.OpsRetry); len(e) != 2 || e[1].Reason != parkedLinkEmail+" (resend)" {
		t.Errorf("retry entries %+v, want a plain retry, then the resend", e)
	}
}

// Resend is refused for a step whose failure is known: the email was
// refused, so a plain retry sends it.
func TestResendIsOnlyForAnUnknownOutcome(t *testing.T) {
	r := newRun(t)
	r.fakes.failSends = 1
	r.refused(2*minute, lifecycle.OpsRetry, opsUser, RetryPayload{Resend: true}, lifecycle.NotAllowedNow)
	r.must(3*minute, lifecycle.OpsRetry, opsUser, nil)
	r.stopAt(hour)
	r.execute(orderInput("prepaid"))

	r.requireStopped()
	r.requireEmails(r.query(buyer), []string{"payment_link→" + ann})
}

func TestParkedEmailIsSkippedByOps(t *testing.T) {
	r := newRun(t)
	r.fakes.failSends = 1
	r.must(2*minute, lifecycle.OpsSkip, opsUser, nil)
	r.settledViewAt(3*minute, opsUser, func(v OrderView) {
		if v.NeedsAttention || v.Attention != nil {
			t.Errorf("after the skip: needs attention %v, attention %+v", v.NeedsAttention, v.Attention)
		}
	})
	r.script(steps([]step{{4 * minute, lifecycle.PaymentConfirmed, webhook, paid("pay_1")}},
		[]step{{5 * minute, lifecycle.SetMargin, buyer, margin(10)}, {6 * minute, lifecycle.Release, buyer, nil}}))
	r.stopAt(hour)
	r.execute(orderInput("prepaid"))

	r.requireStopped()
	v := r.query(buyer)
	// The skipped email is never sent; the ones after it are.
	r.requireEmails(v, releaseMails)
	if e := actionEntries(v, lifecycle.OpsSkip); len(e) != 1 || e[0].Reason != parkedLinkEmail {
		t.Errorf("skip entry %+v", e)
	}
	if got := statuses(v); !slices.Equal(got, []lifecycle.Status{lifecycle.AwaitingPayment, lifecycle.Screening, lifecycle.Pending}) {
		t.Errorf("statuses %v", got)
	}
}

// A refund may not be skipped: ops must get it done.
func TestParkedRefundCannotBeSkipped(t *testing.T) {
	r := newRun(t)
	r.fakes.failRefunds = 1
	r.script(paidAt1m)
	r.must(2*minute, lifecycle.Cancel, buyer, because("supplier unavailable"))
	r.settledViewAt(3*minute, opsUser, func(v OrderView) {
		a := v.Attention
		if v.Status != lifecycle.Cancelled || a == nil || a.Step != "refund" || a.Skippable {
			t.Errorf("status %s, attention %+v; want cancelled and parked on the refund", v.Status, a)
		}
		if !slices.Contains(v.AllowedActions, lifecycle.OpsRetry) || slices.Contains(v.AllowedActions, lifecycle.OpsSkip) {
			t.Errorf("ops may %v, want retry only", v.AllowedActions)
		}
		if r.env.IsWorkflowCompleted() {
			t.Error("the workflow ended with its refund undone")
		}
	})
	r.refused(4*minute, lifecycle.OpsSkip, opsUser, nil, lifecycle.NotAllowedNow)
	r.must(5*minute, lifecycle.OpsRetry, opsUser, nil)
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
			r.env.UpdateWorkflow(string(lifecycle.SetMargin), "margin-once", r.answered(buyer, func(v OrderView, err error) {
				if err != nil {
					t.Errorf("set_margin at +%s: %v", offset, err)
				}
				answers = append(answers, v)
			}), req)
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

// An order cancelled while its payment link could not be made: when ops
// retry, no link is made or sent any more (a customer paying a cancelled
// order would never be refunded), and the order ends.
func TestParkedPaymentLinkOfACancelledOrder(t *testing.T) {
	r := newRun(t)
	r.fakes.failLinks = 1
	r.settledViewAt(1*minute, opsUser, func(v OrderView) {
		if a := v.Attention; a == nil || a.Step != "payment link" {
			t.Errorf("attention %+v, want the payment link parked", a)
		}
	})
	r.must(2*minute, lifecycle.Cancel, customer, because("changed my mind"))
	r.must(3*minute, lifecycle.OpsRetry, opsUser, nil)
	r.execute(orderInput("prepaid"))

	r.requireCompleted()
	v := r.query(buyer)
	if v.Status != lifecycle.Cancelled || v.Marketplace.Payment != nil {
		t.Errorf("status %s, payment %+v; want cancelled without a payment link", v.Status, v.Marketplace.Payment)
	}
	r.fakes.mu.Lock()
	links := len(r.fakes.links)
	r.fakes.mu.Unlock()
	if links != 0 {
		t.Errorf("%d payment links made for a cancelled order", links)
	}
	r.requireEmails(v, []string{"order_cancelled→" + ann})
	r.requireRefunds(v, 0)
}

// An order cancelled while its offers to suppliers waited behind a parked
// step: no supplier is offered it afterwards.
func TestParkedOffersOfACancelledOrder(t *testing.T) {
	r := newRun(t)
	r.script(steps(paidAt1m, []step{{2 * minute, lifecycle.SetMargin, buyer, margin(10)}}))
	r.env.RegisterDelayedCallback(func() {
		r.fakes.mu.Lock()
		r.fakes.failSends = 1 // the acknowledgment on release
		r.fakes.mu.Unlock()
	}, 2*minute+30*second)
	r.must(3*minute, lifecycle.Release, buyer, nil)
	r.settledViewAt(3*minute+30*second, opsUser, func(v OrderView) {
		if a := v.Attention; a == nil || a.Step != "email order_acknowledged to "+ann {
			t.Errorf("attention %+v, want the acknowledgment parked", a)
		}
	})
	r.must(4*minute, lifecycle.Cancel, buyer, because("supplier market closed"))
	r.must(5*minute, lifecycle.OpsRetry, opsUser, nil)
	r.execute(orderInput("prepaid"))

	r.requireCompleted()
	v := r.query(buyer)
	if got := r.fakes.offers["ord_test"]; len(got) != 0 {
		t.Errorf("a cancelled order was offered to %v", got)
	}
	r.requireEmails(v, []string{"payment_link→" + ann, "order_acknowledged→" + ann, "order_cancelled→" + ann, "refund_issued→" + ann})
	r.requireRefunds(v, 1)
}

// Deadlines keep their instants while the order waits for ops: an order
// whose payment link email is parked still expires when its payment window
// ends, not when ops get to it.
func TestDeadlinesRunWhileParked(t *testing.T) {
	r := newRun(t)
	r.fakes.failSends = 1
	r.settledViewAt(24*hour, opsUser, func(v OrderView) {
		if v.Status != lifecycle.Expired || !v.NeedsAttention {
			t.Errorf("at the payment deadline: %s, needs attention %v; want expired and still parked", v.Status, v.NeedsAttention)
		}
	})
	// Expired but still running (its effects wait for ops): refused, not unanswered.
	r.refused(24*hour+second, lifecycle.PaymentConfirmed, webhook, paid("pay_1"), lifecycle.NotAllowedNow)
	r.must(30*hour, lifecycle.OpsSkip, opsUser, nil)
	r.execute(orderInput("prepaid"))

	r.requireCompleted()
	v := r.query(buyer)
	r.requireElapsedAt(v, lifecycle.PaymentWindowElapsed, lifecycle.AwaitingPayment, lifecycle.Expired, testStart.Add(24*hour))
	r.requireEmails(v, []string{"order_expired→" + ann})
	if got := r.fakes.cancelledLinks(); !slices.Equal(got, []string{"pay_1"}) {
		t.Errorf("links cancelled %v", got)
	}
}

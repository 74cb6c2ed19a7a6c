package workflows

import (
	"slices"
	"testing"
	"time"

	"github.com/orderflow/orderflow/lifecycle"
)

// Each timer of a marketplace order at its boundary: an action a second
// before the deadline applies; the timer fires at exactly the deadline
// (timeline instant and a view taken at that instant); the same action a
// second later is refused, or never answered when the order has ended.

func deadlinesEqual(got, want []Deadline) bool {
	return slices.EqualFunc(got, want, func(a, b Deadline) bool { return a.Name == b.Name && a.At.Equal(b.At) })
}

func (r *run) requireDeadlines(v OrderView, want ...Deadline) {
	r.t.Helper()
	if !deadlinesEqual(v.Deadlines, want) {
		r.t.Errorf("at %s (%s) the order waits for %v, want %v", r.env.Now(), v.Status, v.Deadlines, want)
	}
}

// requireTimer: the workflow started a durable timer for the deadline,
// firing at its instant, whose summary names it for the Web UI: what, then
// the instant ("Payment window until", "Offer valid until").
func (r *run) requireTimer(what string, at time.Time) {
	r.t.Helper()
	want := scheduledTimer{Summary: what + " " + at.UTC().Format(time.RFC3339), FiresAt: at}
	timers := r.timers.all()
	if !slices.ContainsFunc(timers, func(s scheduledTimer) bool { return s.Summary == want.Summary && s.FiresAt.Equal(at) }) {
		r.t.Errorf("no timer %+v among %+v", want, timers)
	}
}

// requireElapsedAt: the timer's action is on the timeline once, at exactly `at`.
func (r *run) requireElapsedAt(v OrderView, a lifecycle.Action, from, to lifecycle.Status, at time.Time) {
	r.t.Helper()
	es := actionEntries(v, a)
	if len(es) != 1 {
		r.t.Fatalf("%s is on the timeline %d times, want once: %+v", a, len(es), v.Timeline)
	}
	e := es[0]
	if !e.At.Equal(at) || e.From != from || e.To != to || e.ActorRole != "system" || e.Outcome != "applied" {
		r.t.Errorf("%s entry %+v, want %s → %s by the system at %s", a, e, from, to, at)
	}
}

func (r *run) requireNoEntry(v OrderView, a lifecycle.Action) {
	r.t.Helper()
	if es := actionEntries(v, a); len(es) > 0 {
		r.t.Errorf("%s happened: %+v", a, es)
	}
}

func TestPaymentWindowBoundary(t *testing.T) {
	const due = 24 * time.Hour
	for _, tc := range []struct {
		terms   string
		first   lifecycle.Status
		settle  step // what moves the order on before the window ends
		emails  []string
		linkIDs []string // payment links cancelled when the window ends
	}{
		{"prepaid", lifecycle.AwaitingPayment, step{due - second, lifecycle.PaymentConfirmed, webhook, paid("pay_1")},
			[]string{"payment_link→" + ann, "order_expired→" + ann}, []string{"pay_1"}},
		{"credit", lifecycle.AwaitingCredit, step{due - second, lifecycle.ApproveCredit, financeUser, nil},
			[]string{"order_expired→" + ann}, nil},
	} {
		deadline := testStart.Add(due)

		t.Run(tc.terms+"/a second before", func(t *testing.T) {
			r := newRun(t)
			r.script([]step{tc.settle})
			r.settledViewAt(due, buyer, func(v OrderView) {
				if v.Status != lifecycle.Screening {
					t.Errorf("at the deadline the order is %s, want screening", v.Status)
				}
				r.requireDeadlines(v)
			})
			r.stopAt(due + hour)
			r.execute(orderInput(tc.terms))

			r.requireStopped()
			v := r.query(buyer)
			r.requireNoEntry(v, lifecycle.PaymentWindowElapsed)
			if got := statuses(v); !slices.Equal(got, []lifecycle.Status{tc.first, lifecycle.Screening}) {
				t.Errorf("statuses %v", got)
			}
			if got := r.fakes.cancelledLinks(); len(got) != 0 {
				t.Errorf("links cancelled: %v", got)
			}
		})

		t.Run(tc.terms+"/at and after", func(t *testing.T) {
			r := newRun(t)
			r.settledViewAt(due-second, buyer, func(v OrderView) {
				if v.Status != tc.first {
					t.Errorf("a second before the deadline the order is %s", v.Status)
				}
				r.requireDeadlines(v, Deadline{Name: lifecycle.DeadlinePayment, At: deadline})
			})
			r.settledViewAt(due, buyer, func(v OrderView) {
				if v.Status != lifecycle.Expired {
					t.Errorf("at the deadline the order is %s, want expired", v.Status)
				}
				r.requireDeadlines(v)
			})
			after := tc.settle
			after.at = due + second
			r.neverAnswered(after.at, after.action, after.actor, after.payload)
			r.execute(orderInput(tc.terms))

			r.requireCompleted()
			v := r.query(buyer)
			r.requireElapsedAt(v, lifecycle.PaymentWindowElapsed, tc.first, lifecycle.Expired, deadline)
			if got := statuses(v); !slices.Equal(got, []lifecycle.Status{tc.first, lifecycle.Expired}) {
				t.Errorf("statuses %v", got)
			}
			r.requireTimer("Payment window until", deadline)
			r.requireEmails(v, tc.emails)
			r.requireRefunds(v, 0)
			if got := r.fakes.cancelledLinks(); !slices.Equal(got, tc.linkIDs) {
				t.Errorf("links cancelled: %v, want %v", got, tc.linkIDs)
			}
		})
	}
}

// The customer pays while the window closes: cancelling the link finds the
// payment made, so it is refunded, once.
func TestPaymentWindowRefundsALatePayment(t *testing.T) {
	r := newRun(t)
	r.fakes.paidLate = true
	r.execute(orderInput("prepaid"))

	r.requireCompleted()
	v := r.query(buyer)
	r.requireElapsedAt(v, lifecycle.PaymentWindowElapsed, lifecycle.AwaitingPayment, lifecycle.Expired, testStart.Add(24*hour))
	r.requireEmails(v, []string{"payment_link→" + ann, "order_expired→" + ann, "refund_issued→" + ann})
	r.requireRefunds(v, 1)
}

func TestPendingWindowBoundary(t *testing.T) {
	const released = 3 * minute
	const due = released + 2*hour
	deadline := testStart.Add(due)
	fulfilment := Deadline{Name: lifecycle.DeadlineFulfilment, At: testStart.Add(released + 24*hour)}
	releasedOrder := steps(paidAt1m, releasedAt3m)

	t.Run("a second before", func(t *testing.T) {
		r := newRun(t)
		r.script(releasedOrder)
		r.must(due-second, lifecycle.Accept, supplierA, nil)
		r.settledViewAt(due, buyer, func(v OrderView) {
			if v.Status != lifecycle.InProgress {
				t.Errorf("at the deadline the order is %s, want in progress", v.Status)
			}
		})
		r.stopAt(due + hour)
		r.execute(orderInput("prepaid"))

		r.requireStopped()
		v := r.query(buyer)
		r.requireNoEntry(v, lifecycle.PendingWindowElapsed)
		if got := r.fakes.offers["ord_test"]; !slices.Equal(got, []string{"sup_a", "sup_b", "sup_c"}) {
			t.Errorf("offered to %v, want only the top three", got)
		}
	})

	t.Run("at and after", func(t *testing.T) {
		r := newRun(t)
		r.script(releasedOrder)
		r.settledViewAt(due-second, buyer, func(v OrderView) {
			if v.Status != lifecycle.Pending {
				t.Errorf("a second before the deadline the order is %s", v.Status)
			}
			r.requireDeadlines(v, Deadline{Name: lifecycle.DeadlinePending, At: deadline}, fulfilment)
		})
		// The fourth supplier is offered the order only when the window ends.
		r.refused(due-second, lifecycle.Accept, supplierD, nil, NotVisible)
		r.settledViewAt(due, buyer, func(v OrderView) {
			if v.Status != lifecycle.PendingExpiring {
				t.Errorf("at the deadline the order is %s, want pending expiring", v.Status)
			}
			r.requireDeadlines(v, fulfilment)
		})
		r.must(due+second, lifecycle.Accept, supplierD, nil)
		r.stopAt(due + hour)
		r.execute(orderInput("prepaid"))

		r.requireStopped()
		v := r.query(buyer)
		r.requireElapsedAt(v, lifecycle.PendingWindowElapsed, lifecycle.Pending, lifecycle.PendingExpiring, deadline)
		r.requireTimer("Pending window until", deadline)
		if v.Status != lifecycle.InProgress || v.Marketplace.Supplier == nil || v.Marketplace.Supplier.ID != "sup_d" {
			t.Errorf("status %s supplier %+v, want in progress with sup_d", v.Status, v.Marketplace.Supplier)
		}
		if got := r.fakes.offers["ord_test"]; !slices.Equal(got, []string{"sup_a", "sup_b", "sup_c", "sup_d", "sup_e"}) {
			t.Errorf("offered to %v, want the top three then the rest", got)
		}
	})
}

func TestFulfilmentDeadlineBoundary(t *testing.T) {
	const released = 3 * minute
	const due = released + 24*hour
	deadline := testStart.Add(due)
	releasedOrder := steps(paidAt1m, releasedAt3m)

	t.Run("a second before", func(t *testing.T) {
		r := newRun(t)
		r.script(releasedOrder)
		r.must(due-second, lifecycle.Accept, supplierD, nil)
		r.settledViewAt(due, buyer, func(v OrderView) {
			if v.Status != lifecycle.InProgress {
				t.Errorf("at the deadline the order is %s, want in progress", v.Status)
			}
			r.requireDeadlines(v)
		})
		r.stopAt(due + hour)
		r.execute(orderInput("prepaid"))

		r.requireStopped()
		v := r.query(buyer)
		r.requireNoEntry(v, lifecycle.FulfilmentDeadline)
		r.requireRefunds(v, 0)
	})

	t.Run("at and after", func(t *testing.T) {
		r := newRun(t)
		r.script(releasedOrder)
		r.settledViewAt(due-second, buyer, func(v OrderView) {
			if v.Status != lifecycle.PendingExpiring {
				t.Errorf("a second before the deadline the order is %s", v.Status)
			}
			r.requireDeadlines(v, Deadline{Name: lifecycle.DeadlineFulfilment, At: deadline})
		})
		r.settledViewAt(due, buyer, func(v OrderView) {
			if v.Status != lifecycle.Expired {
				t.Errorf("at the deadline the order is %s, want expired", v.Status)
			}
			r.requireDeadlines(v)
		})
		r.neverAnswered(due+second, lifecycle.Accept, supplierD, nil)
		r.execute(orderInput("prepaid"))

		r.requireCompleted()
		v := r.query(buyer)
		r.requireElapsedAt(v, lifecycle.FulfilmentDeadline, lifecycle.PendingExpiring, lifecycle.Expired, deadline)
		r.requireTimer("Fulfilment deadline until", deadline)
		r.requireRefunds(v, 1)
		if v.Marketplace.Supplier != nil {
			t.Errorf("an expired order has supplier %+v", v.Marketplace.Supplier)
		}
	})
}

func TestReturnWindowBoundary(t *testing.T) {
	const completedAt = 6 * minute
	const due = completedAt + 720*hour
	deadline := testStart.Add(due)
	completedOrder := steps(paidAt1m, releasedAt3m, acceptedAt4mB, fulfilled(supplierB, 5*minute))

	t.Run("a second before", func(t *testing.T) {
		r := newRun(t)
		r.script(completedOrder)
		r.must(due-second, lifecycle.RequestReturn, customer, because("wrong colour"))
		r.settledViewAt(due, buyer, func(v OrderView) {
			if v.Closed || v.Marketplace.Return == nil {
				t.Errorf("at the deadline: closed %v, return %+v; want an open return", v.Closed, v.Marketplace.Return)
			}
			// An open return holds the window: the order waits for purchasing.
			r.requireDeadlines(v)
		})
		// Rejected after the window: nothing left to wait for, returns close at once.
		r.must(due+hour, lifecycle.RejectReturn, buyer, because("used"))
		r.execute(orderInput("prepaid"))

		r.requireCompleted()
		v := r.query(buyer)
		r.requireElapsedAt(v, lifecycle.ReturnWindowElapsed, lifecycle.Completed, lifecycle.Completed, deadline.Add(hour))
		if !v.Closed || v.Status != lifecycle.Completed {
			t.Errorf("status %s closed %v", v.Status, v.Closed)
		}
	})

	t.Run("at and after", func(t *testing.T) {
		r := newRun(t)
		r.script(completedOrder)
		r.settledViewAt(due-second, customer, func(v OrderView) {
			if v.Closed || !slices.Equal(v.AllowedActions, []lifecycle.Action{lifecycle.RequestReturn}) {
				t.Errorf("a second before the deadline: closed %v, customer may %v", v.Closed, v.AllowedActions)
			}
			r.requireDeadlines(v, Deadline{Name: lifecycle.DeadlineReturns, At: deadline})
		})
		r.settledViewAt(due, customer, func(v OrderView) {
			if !v.Closed || v.Status != lifecycle.Completed || len(v.AllowedActions) != 0 {
				t.Errorf("at the deadline: %s closed %v, customer may %v; want closed with nothing to do", v.Status, v.Closed, v.AllowedActions)
			}
			r.requireDeadlines(v)
		})
		r.neverAnswered(due+second, lifecycle.RequestReturn, customer, because("too late"))
		r.execute(orderInput("prepaid"))

		r.requireCompleted()
		v := r.query(buyer)
		r.requireElapsedAt(v, lifecycle.ReturnWindowElapsed, lifecycle.Completed, lifecycle.Completed, deadline)
		r.requireTimer("Return window until", deadline)
		r.requireNoEntry(v, lifecycle.RequestReturn)
	})
}

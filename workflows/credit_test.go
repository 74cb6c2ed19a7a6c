package workflows

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/temporal"

	"github.com/orderflow/orderflow/activities"
	"github.com/orderflow/orderflow/lifecycle"
)

// Issue 12, the marketplace's money: a paid customer may cancel in
// screening, a credit order's return gets a credit note instead of a
// refund that cannot happen, and a declined credit gets a full payment
// window. Each money path is raced where a race is possible.

// AssignNumber makes the fakes a numbering store, as store.Store is: one
// number per key, gapless per series and year.
func (f *fakes) AssignNumber(_ context.Context, series string, year int, key string) (int64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if n, ok := f.counters["key/"+key]; ok {
		return n, nil
	}
	counter := fmt.Sprintf("%s/%d", series, year)
	f.counters[counter]++
	f.counters["key/"+key] = f.counters[counter]
	return f.counters[counter], nil
}

// The customer cancels a paid order in screening: refunded once, told once.
func TestCustomerCancelsInScreening(t *testing.T) {
	r := newRun(t)
	r.script(paidAt1m)
	r.settledViewAt(5*minute, customer, func(v OrderView) {
		if !slices.Contains(v.AllowedActions, lifecycle.Cancel) {
			t.Errorf("in screening the customer may %v, want cancel among them", v.AllowedActions)
		}
	})
	r.refused(9*minute, lifecycle.Cancel, otherCustomer, because("not mine"), NotVisible)
	r.must(10*minute, lifecycle.Cancel, customer, because("found it cheaper"))
	r.execute(orderInput("prepaid"))

	r.requireCompleted()
	v := r.query(buyer)
	if v.Status != lifecycle.Cancelled || v.Timeline[len(v.Timeline)-1].ActorRole != lifecycle.Customer {
		t.Fatalf("status %s, last entry %+v", v.Status, v.Timeline[len(v.Timeline)-1])
	}
	r.requireRefunds(v, 1)
	r.requireEmails(v, []string{"payment_link→" + ann, "order_cancelled→" + ann, "refund_issued→" + ann})
}

// Orders started before change business-rules keep the old rule when they
// replay: only purchasing cancels in screening.
func TestCustomerCancelInScreeningBeforeTheChange(t *testing.T) {
	r := newRun(t)
	r.startedBefore(ChangeBusinessRules)
	r.script(paidAt1m)
	r.refusedBecause(9*minute, lifecycle.Cancel, customer, because("found it cheaper"), lifecycle.NotAllowedNow, "orders placed before")
	r.settledViewAt(9*minute+second, customer, func(v OrderView) {
		if slices.Contains(v.AllowedActions, lifecycle.Cancel) {
			t.Errorf("an old order lets the customer %v in screening", v.AllowedActions)
		}
	})
	r.must(10*minute, lifecycle.Cancel, buyer, because("out of stock"))
	r.execute(orderInput("prepaid"))

	r.requireCompleted()
	v := r.query(buyer)
	if cancels := actionEntries(v, lifecycle.Cancel); v.Status != lifecycle.Cancelled || len(cancels) != 1 || cancels[0].ActorRole != lifecycle.Purchasing {
		t.Fatalf("status %s, cancels %+v", v.Status, cancels)
	}
	r.requireRefunds(v, 1)
}

// The customer cancels while purchasing releases, at the same instant, in
// either order: one of the two applies first; the order ends cancelled,
// refunded exactly once, and no supplier is left holding an offer.
func TestCustomerCancelRacesTheRelease(t *testing.T) {
	for _, cancelFirst := range []bool{true, false} {
		t.Run(fmt.Sprintf("cancel sent first %v", cancelFirst), func(t *testing.T) {
			r := newRun(t)
			r.script(steps(paidAt1m, []step{{2 * minute, lifecycle.SetMargin, buyer, margin(10)}}))
			var released, cancelled bool
			release := func() {
				r.at(10*minute, lifecycle.Release, buyer, nil, func(_ OrderView, err error) { released = err == nil })
			}
			cancel := func() {
				r.at(10*minute, lifecycle.Cancel, customer, because("changed my mind"), func(_ OrderView, err error) {
					cancelled = err == nil
					if err != nil {
						t.Errorf("cancel: %v", err)
					}
				})
			}
			if cancelFirst {
				cancel()
				release()
			} else {
				release()
				cancel()
			}
			r.execute(orderInput("prepaid"))

			r.requireCompleted()
			v := r.query(buyer)
			if v.Status != lifecycle.Cancelled || !cancelled {
				t.Fatalf("status %s (cancel applied %v, release applied %v)", v.Status, cancelled, released)
			}
			r.requireRefunds(v, 1)
			offered := 0
			for _, s := range r.fakes.sentTo() {
				if strings.HasPrefix(s, "supplier_offer→") {
					offered++
				}
			}
			withdrawn := 0
			for _, s := range r.fakes.sentTo() {
				if strings.HasPrefix(s, "order_cancelled→") && !strings.HasSuffix(s, ann) {
					withdrawn++
				}
			}
			if offered != withdrawn {
				t.Errorf("%d offers sent, %d withdrawn: %v", offered, withdrawn, r.fakes.sentTo())
			}
		})
	}
}

// The customer cancels while the release's ranking of suppliers is under
// way: the ranking's offers never go out, and the refund is made once.
func TestCustomerCancelWhileTheReleaseRanksSuppliers(t *testing.T) {
	r := newRun(t)
	r.script(steps(paidAt1m, releasedAt3m))
	r.env.OnActivity(acts.RankSuppliers, mock.Anything, mock.Anything).After(10*minute).Return(
		[]activities.SupplierRef{{ID: "sup_a", Name: "Alpha", Email: "alpha@example.com"}}, nil)
	r.must(5*minute, lifecycle.Cancel, customer, because("changed my mind"))
	r.execute(orderInput("prepaid"))

	r.requireCompleted()
	v := r.query(buyer)
	if v.Status != lifecycle.Cancelled || len(v.Marketplace.Offers) != 0 {
		t.Fatalf("status %s, offers %+v", v.Status, v.Marketplace.Offers)
	}
	r.requireRefunds(v, 1)
	if slices.ContainsFunc(r.fakes.sentTo(), func(s string) bool { return strings.HasPrefix(s, "supplier_offer→") }) {
		t.Errorf("an offer went out for a cancelled order: %v", r.fakes.sentTo())
	}
}

// creditReturned: a credit order approved by finance, fulfilled by bravo,
// its return requested and approved; the supplier inspects it at +10m.
var creditReturned = steps(
	[]step{{1 * minute, lifecycle.ApproveCredit, financeUser, nil}}, releasedAt3m, acceptedAt4mB, fulfilled(supplierB, 5*minute),
	[]step{{7 * minute, lifecycle.RequestReturn, customer, because("wrong colour")}, {8 * minute, lifecycle.ApproveReturn, buyer, nil}},
)

// A credit order was never paid: its return gets a credit note (numbered,
// stored, emailed to the customer) instead of a refund.
func TestCreditReturnGetsACreditNote(t *testing.T) {
	r := newRun(t)
	r.script(creditReturned)
	r.must(10*minute, lifecycle.ConfirmResalable, supplierB, nil)
	r.execute(orderInput("credit"))

	r.requireCompleted()
	v := r.query(buyer)
	if v.Status != lifecycle.Returned {
		t.Fatalf("status %s", v.Status)
	}
	r.requireRefunds(v, 0)
	doc, ok := r.fakes.docs()["ord_test-credit-note"]
	if !ok || doc.Kind != "credit_note" || doc.Number != "MCN-2026-0001" || doc.OrderID != "ord_test" {
		t.Fatalf("credit note %+v (found %v)", doc, ok)
	}
	if !slices.ContainsFunc(v.Documents, func(d activities.DocumentRef) bool {
		return d.ID == "ord_test-credit-note" && d.Number == "MCN-2026-0001"
	}) {
		t.Errorf("the order's documents %+v lack the credit note", v.Documents)
	}
	r.fakes.mu.Lock()
	defer r.fakes.mu.Unlock()
	var note []string
	for _, m := range r.fakes.sent {
		if m.Purpose == "credit_note_issued" {
			note = append(note, m.To.Email)
			if len(m.Attachments) != 1 || m.Attachments[0].ContentType != "application/pdf" || !strings.Contains(m.Text, "93.17") {
				t.Errorf("credit note email: attachments %d, text:\n%s", len(m.Attachments), m.Text)
			}
		}
		if m.Purpose == "refund_issued" {
			t.Errorf("a refund email for an order never paid")
		}
	}
	if !slices.Equal(note, []string{ann}) {
		t.Errorf("credit note emailed to %v, want the customer once", note)
	}
}

// The supplier's two answers race (confirm and reject at the same instant,
// and the credit note's issue fails once on the way): one answer applies,
// one credit note with one number is issued, and only when the goods were
// confirmed resalable.
func TestCreditReturnRacesTheInspection(t *testing.T) {
	for _, confirmFirst := range []bool{true, false} {
		t.Run(fmt.Sprintf("confirm sent first %v", confirmFirst), func(t *testing.T) {
			r := newRun(t)
			r.script(creditReturned)
			// The activity runs on the environment's goroutines: what it
			// shares with the test is atomic or behind the fakes' lock.
			var fails atomic.Int32
			fails.Store(1)
			r.env.OnActivity(acts.IssueOrderCreditNote, mock.Anything, mock.Anything).Return(
				func(ctx context.Context, in activities.OrderCreditNoteInput) (activities.DocumentRef, error) {
					if fails.CompareAndSwap(1, 0) {
						// Numbered, then lost on the way back: the retry must
						// get the same number.
						if _, err := r.fakes.AssignNumber(ctx, activities.OrderCreditNoteSeries, in.Year, in.Key); err != nil {
							return activities.DocumentRef{}, err
						}
						return activities.DocumentRef{}, temporal.NewApplicationError("injected timeout", "Timeout")
					}
					a := &activities.Activities{Invoices: r.fakes, Documents: r.fakes}
					return a.IssueOrderCreditNote(ctx, in)
				})
			var applied []lifecycle.Action
			answer := func(a lifecycle.Action) func(OrderView, error) {
				return func(_ OrderView, err error) {
					if err == nil {
						applied = append(applied, a)
					}
				}
			}
			confirm := func() {
				r.at(10*minute, lifecycle.ConfirmResalable, supplierB, nil, answer(lifecycle.ConfirmResalable))
			}
			reject := func() {
				r.at(10*minute, lifecycle.RejectResalable, supplierB, because("scratched"), answer(lifecycle.RejectResalable))
			}
			if confirmFirst {
				confirm()
				reject()
			} else {
				reject()
				confirm()
			}
			r.stopAt(hour)
			r.execute(orderInput("credit"))

			if len(applied) != 1 {
				t.Fatalf("applied %v, want exactly one answer", applied)
			}
			v := r.query(buyer)
			notes := 0
			r.fakes.mu.Lock()
			for id, d := range r.fakes.documents {
				if d.Kind == "credit_note" {
					notes++
					if id != "ord_test-credit-note" || d.Number != "MCN-2026-0001" {
						t.Errorf("credit note %s numbered %s", id, d.Number)
					}
				}
			}
			r.fakes.mu.Unlock()
			if want := map[lifecycle.Action]int{lifecycle.ConfirmResalable: 1, lifecycle.RejectResalable: 0}[applied[0]]; notes != want {
				t.Errorf("%s applied: %d credit notes, want %d", applied[0], notes, want)
			}
			if applied[0] == lifecycle.ConfirmResalable && (v.Status != lifecycle.Returned || fails.Load() != 0) {
				t.Errorf("confirmed: status %s, the injected failure left %d", v.Status, fails.Load())
			}
			r.requireRefunds(v, 0)
		})
	}
}

// Before change business-rules a credit order's return did nothing about
// the money: old orders keep that when they replay (no new commands).
func TestCreditReturnBeforeTheChange(t *testing.T) {
	r := newRun(t)
	r.startedBefore(ChangeBusinessRules)
	r.script(creditReturned)
	r.must(10*minute, lifecycle.ConfirmResalable, supplierB, nil)
	r.execute(orderInput("credit"))

	r.requireCompleted()
	v := r.query(buyer)
	if v.Status != lifecycle.Returned || len(r.fakes.docs()) != 1 { // the purchase order only
		t.Fatalf("status %s, documents %v", v.Status, len(r.fakes.docs()))
	}
	if slices.ContainsFunc(r.fakes.sentTo(), func(s string) bool { return strings.HasPrefix(s, "credit_note_issued") }) {
		t.Errorf("an old order sent a credit note: %v", r.fakes.sentTo())
	}
}

// A prepaid order's return is still refunded, and gets no credit note.
func TestPaidReturnIsRefundedNotCredited(t *testing.T) {
	r := newRun(t)
	r.script(steps(paidAt1m, releasedAt3m, acceptedAt4mB, fulfilled(supplierB, 5*minute),
		[]step{{7 * minute, lifecycle.RequestReturn, customer, because("wrong colour")}, {8 * minute, lifecycle.ApproveReturn, buyer, nil},
			{10 * minute, lifecycle.ConfirmResalable, supplierB, nil}}))
	r.execute(orderInput("prepaid"))

	r.requireCompleted()
	v := r.query(buyer)
	r.requireRefunds(v, 1)
	if _, ok := r.fakes.docs()["ord_test-credit-note"]; ok {
		t.Errorf("a paid return got a credit note")
	}
}

// A credit declined late leaves the customer a whole payment window from
// the decline, not what was left of the one counted from creation.
func TestLateCreditDeclineGetsAFullPaymentWindow(t *testing.T) {
	r := newRun(t)
	declinedAt := 23*hour + 50*minute
	r.must(declinedAt, lifecycle.DeclineCredit, financeUser, because("no credit history"))
	r.settledViewAt(declinedAt+minute, customer, func(v OrderView) {
		want := testStart.Add(declinedAt + testSettings.PaymentWindow)
		if v.Status != lifecycle.AwaitingPayment || len(v.Deadlines) == 0 || !v.Deadlines[0].At.Equal(want) {
			t.Errorf("after the decline: %s, deadlines %+v, want the payment window until %s", v.Status, v.Deadlines, want)
		}
	})
	r.settledViewAt(25*hour, customer, func(v OrderView) {
		if v.Status != lifecycle.AwaitingPayment {
			t.Errorf("an hour after the creation's window: %s, want still awaiting payment", v.Status)
		}
	})
	r.execute(orderInput("credit"))

	r.requireCompleted()
	v := r.query(buyer)
	expired, ok := enteredAt(v, lifecycle.Expired)
	if !ok || !expired.Equal(testStart.Add(declinedAt+testSettings.PaymentWindow)) {
		t.Fatalf("expired at %v (%v), want a payment window after the decline", expired, ok)
	}
	r.fakes.mu.Lock()
	defer r.fakes.mu.Unlock()
	for _, l := range r.fakes.links {
		if want := testStart.Add(declinedAt + testSettings.PaymentWindow); !l.ExpiresAt.Equal(want) {
			t.Errorf("the pay link expires at %s, want %s", l.ExpiresAt, want)
		}
	}
}

// The customer pays a declined credit order in the extra time, racing the
// window's end (paid in its last second): the payment counts, nothing is
// refunded.
func TestPaymentInTheDeclinedCreditsLastSecond(t *testing.T) {
	r := newRun(t)
	declinedAt := 23 * hour
	r.must(declinedAt, lifecycle.DeclineCredit, financeUser, because("no credit history"))
	r.must(declinedAt+testSettings.PaymentWindow-second, lifecycle.PaymentConfirmed, webhook, paid("pay_1"))
	r.stopAt(declinedAt + testSettings.PaymentWindow + hour)
	r.execute(orderInput("credit"))

	r.requireStopped()
	v := r.query(buyer)
	if v.Status != lifecycle.Screening {
		t.Fatalf("status %s, want screening", v.Status)
	}
	r.requireRefunds(v, 0)
}

// Before change business-rules the window counted from creation, decline or not.
func TestLateCreditDeclineBeforeTheChange(t *testing.T) {
	r := newRun(t)
	r.startedBefore(ChangeBusinessRules)
	r.must(23*hour+50*minute, lifecycle.DeclineCredit, financeUser, because("no credit history"))
	r.execute(orderInput("credit"))

	r.requireCompleted()
	v := r.query(buyer)
	if expired, ok := enteredAt(v, lifecycle.Expired); !ok || !expired.Equal(testStart.Add(testSettings.PaymentWindow)) {
		t.Fatalf("expired at %v (%v), want the window from creation", expired, ok)
	}
}

package workflows

import (
	"slices"
	"testing"
	"time"

	"github.com/orderflow/orderflow/internal/auth"
	"github.com/orderflow/orderflow/lifecycle"
)

// Cancellation from every cancellable status, by everyone the table lets
// cancel there: the payment is refunded exactly when it was taken, an
// unpaid link is cancelled, the supplier is told if one had accepted, and
// otherwise the suppliers still considering the offer are.

type refusalCase struct {
	actor auth.Principal
	code  string
}

type cancelCase struct {
	name       string
	terms      string
	reach      []step // brings the order to `from`
	at         time.Duration
	from       lifecycle.Status
	cancellers []auth.Principal
	refused    []refusalCase
	paidLate   bool
	refunds    int
	links      []string // payment links cancelled
	supplier   string   // email of the supplier told, if one had accepted
	offered    []string // emails of the offered suppliers told, when none had accepted
}

func TestCancelFromEveryCancellableStatus(t *testing.T) {
	released := steps(paidAt1m, releasedAt3m)
	creditReleased := steps([]step{{1 * minute, lifecycle.ApproveCredit, financeUser, nil}}, releasedAt3m)
	strangers := []refusalCase{{otherCustomer, NotVisible}, {financeUser, lifecycle.WrongRole}}
	notOffered := refusalCase{supplierA, NotVisible}

	cases := []cancelCase{
		{name: "awaiting payment", terms: "prepaid", at: 10 * minute, from: lifecycle.AwaitingPayment,
			cancellers: []auth.Principal{customer, buyer}, refused: append(strangers, notOffered), links: []string{"pay_1"}},
		{name: "awaiting payment, paid while cancelling", terms: "prepaid", at: 10 * minute, from: lifecycle.AwaitingPayment,
			cancellers: []auth.Principal{customer, buyer}, paidLate: true, refunds: 1, links: []string{"pay_1"}},
		{name: "awaiting payment after credit declined", terms: "credit", at: 10 * minute, from: lifecycle.AwaitingPayment,
			reach:      []step{{1 * minute, lifecycle.DeclineCredit, financeUser, because("no history")}},
			cancellers: []auth.Principal{customer, buyer}, refused: strangers, links: []string{"pay_1"}},
		{name: "awaiting credit", terms: "credit", at: 10 * minute, from: lifecycle.AwaitingCredit,
			cancellers: []auth.Principal{customer, buyer}, refused: append(strangers, notOffered)},
		// Since change business-rules the customer may cancel in screening
		// too (before it: TestCustomerCancelInScreeningBeforeTheChange).
		{name: "screening, paid", terms: "prepaid", reach: paidAt1m, at: 10 * minute, from: lifecycle.Screening,
			cancellers: []auth.Principal{customer, buyer},
			refused:    append(strangers, notOffered), refunds: 1},
		{name: "screening, on credit", terms: "credit", reach: []step{{1 * minute, lifecycle.ApproveCredit, financeUser, nil}},
			at: 10 * minute, from: lifecycle.Screening, cancellers: []auth.Principal{customer, buyer}},
		{name: "pending", terms: "prepaid", reach: released, at: 10 * minute, from: lifecycle.Pending,
			cancellers: []auth.Principal{customer, buyer},
			refused:    append(strangers, refusalCase{supplierA, lifecycle.WrongRole}, refusalCase{supplierD, NotVisible}), refunds: 1,
			offered: []string{"alpha@example.com", "bravo@example.com", "charlie@example.com"}},
		{name: "pending expiring", terms: "prepaid", reach: released, at: 3 * hour, from: lifecycle.PendingExpiring,
			cancellers: []auth.Principal{customer, buyer},
			refused:    append(strangers, refusalCase{supplierD, lifecycle.WrongRole}), refunds: 1,
			offered: []string{"alpha@example.com", "bravo@example.com", "charlie@example.com", "delta@example.com", "echo@example.com"}},
		{name: "in progress", terms: "prepaid", reach: steps(released, acceptedAt4mB), at: 10 * minute, from: lifecycle.InProgress,
			cancellers: []auth.Principal{customer, buyer},
			refused:    append(strangers, refusalCase{supplierB, lifecycle.WrongRole}, refusalCase{supplierD, NotVisible}),
			refunds:    1, supplier: "bravo@example.com"},
		{name: "in progress, on credit", terms: "credit", reach: steps(creditReleased, acceptedAt4mB), at: 10 * minute,
			from: lifecycle.InProgress, cancellers: []auth.Principal{customer, buyer}, supplier: "bravo@example.com"},
	}
	for _, tc := range cases {
		for _, who := range tc.cancellers {
			t.Run(tc.name+"/by "+string(who.Role), func(t *testing.T) {
				r := newRun(t)
				r.fakes.paidLate = tc.paidLate
				r.script(tc.reach)
				for _, ref := range tc.refused {
					r.refused(tc.at-minute, lifecycle.Cancel, ref.actor, because("changed my mind"), ref.code)
				}
				sentBefore := -1
				r.settledViewAt(tc.at-second, buyer, func(v OrderView) {
					if v.Status != tc.from {
						t.Errorf("before cancelling the order is %s, want %s", v.Status, tc.from)
					}
					sentBefore = len(r.fakes.sentTo())
				})
				r.must(tc.at, lifecycle.Cancel, who, because("changed my mind"))
				r.execute(orderInput(tc.terms))

				r.requireCompleted()
				v := r.query(buyer)
				cancels := actionEntries(v, lifecycle.Cancel)
				if len(cancels) != 1 || cancels[0].From != tc.from || cancels[0].To != lifecycle.Cancelled ||
					cancels[0].ActorRole != who.Role || cancels[0].Reason != "changed my mind" {
					t.Fatalf("cancel entries %+v, want one %s → cancelled by %s", cancels, tc.from, who.Role)
				}
				if v.Status != lifecycle.Cancelled {
					t.Errorf("status %s", v.Status)
				}
				r.requireRefunds(v, tc.refunds)
				if got := r.fakes.cancelledLinks(); !slices.Equal(got, tc.links) {
					t.Errorf("links cancelled %v, want %v", got, tc.links)
				}
				want := []string{"order_cancelled→" + ann}
				if tc.supplier != "" {
					want = append(want, "order_cancelled→"+tc.supplier)
				}
				for _, s := range tc.offered {
					want = append(want, "order_cancelled→"+s)
				}
				if tc.refunds > 0 {
					want = append(want, "refund_issued→"+ann)
				}
				if sent := r.fakes.sentTo(); sentBefore < 0 || !slices.Equal(sent[sentBefore:], want) {
					t.Errorf("emails on cancelling %v (of %v), want %v", sent[max(sentBefore, 0):], sent, want)
				}
			})
		}
	}
}

// A cancel needs a reason, and final orders cannot be cancelled again.
func TestCancelNeedsAReason(t *testing.T) {
	r := newRun(t)
	r.refused(1*minute, lifecycle.Cancel, customer, nil, InvalidPayload)
	r.refused(2*minute, lifecycle.Cancel, customer, because("  "), InvalidPayload)
	r.must(3*minute, lifecycle.Cancel, customer, because("found it cheaper"))
	r.execute(orderInput("prepaid"))

	r.requireCompleted()
	if got := statuses(r.query(buyer)); !slices.Equal(got, []lifecycle.Status{lifecycle.AwaitingPayment, lifecycle.Cancelled}) {
		t.Errorf("statuses %v", got)
	}
}

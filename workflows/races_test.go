package workflows

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/mock"

	"github.com/orderflow/orderflow/activities"
	"github.com/orderflow/orderflow/lifecycle"
)

// Races where money moves: the test environment holds an activity until
// the other event is in, so the two interleave the same way every run.

// The customer cancels while the payment link is being made: the link that
// then arrives is cancelled at once (a payment on it would never be
// refunded) and no email asks for the money.
func TestCancelWhileThePaymentLinkIsMade(t *testing.T) {
	for _, paid := range []bool{false, true} {
		r := newRun(t)
		r.fakes.paidLate = paid // the customer paid the link before it was cancelled
		r.env.OnActivity(acts.CreatePaymentLink, mock.Anything, mock.Anything).After(10*minute).Return(activities.PaymentLink{PaymentID: "pay_1"}, nil)
		r.must(minute, lifecycle.Cancel, customer, because("changed my mind"))
		r.execute(orderInput("prepaid"))

		r.requireCompleted()
		v := r.query(buyer)
		if v.Status != lifecycle.Cancelled || !slices.Equal(r.fakes.cancelledLinks(), []string{"pay_1"}) {
			t.Fatalf("paid %v: status %s, links cancelled %v; want cancelled and the late link cancelled", paid, v.Status, r.fakes.cancelledLinks())
		}
		if slices.ContainsFunc(r.fakes.sentTo(), func(s string) bool { return strings.HasPrefix(s, "payment_link→") }) {
			t.Errorf("paid %v: a cancelled order asked for payment: %v", paid, r.fakes.sentTo())
		}
		if want := map[bool]int{false: 0, true: 1}[paid]; r.fakes.refundCount() != want {
			t.Errorf("paid %v: %d refunds, want %d", paid, r.fakes.refundCount(), want)
		}
	}
}

// Before change trusted-actions the late link stayed payable: old orders
// keep that when they replay.
func TestCancelWhileThePaymentLinkIsMadeBeforeTheChange(t *testing.T) {
	r := newRun(t)
	r.startedBefore(ChangeTrustedActions)
	r.env.OnActivity(acts.CreatePaymentLink, mock.Anything, mock.Anything).After(10*minute).Return(activities.PaymentLink{PaymentID: "pay_1"}, nil)
	r.must(minute, lifecycle.Cancel, customer, because("changed my mind"))
	r.execute(orderInput("prepaid"))

	r.requireCompleted()
	if len(r.fakes.cancelledLinks()) != 0 || !slices.Contains(r.fakes.sentTo(), "payment_link→"+ann) {
		t.Errorf("links cancelled %v, emails %v: want the old behaviour", r.fakes.cancelledLinks(), r.fakes.sentTo())
	}
}

// A supplier accepts while the second round of offers is being ranked: no
// offer of the second round goes out for an order already taken.
func TestAcceptWhileTheOffersAreMade(t *testing.T) {
	r := newRun(t)
	r.script(steps(paidAt1m, releasedAt3m))
	// Every ranking is held for 10 minutes: the first round goes out at
	// +13m; the second starts when the pending window ends (2 h after the
	// release, +2h3m), and bravo accepts while it is ranked.
	round := 0
	rank := func(context.Context, activities.RankSuppliersInput) ([]activities.SupplierRef, error) {
		round++
		var out []activities.SupplierRef
		for _, s := range r.fakes.suppliers {
			out = append(out, activities.SupplierRef{ID: s.ID, Name: s.Name, Email: s.Email})
		}
		return out, nil
	}
	r.env.OnActivity(acts.RankSuppliers, mock.Anything, mock.Anything).After(10 * minute).Return(rank)
	r.must(2*hour+8*minute, lifecycle.Accept, supplierB, nil)
	r.stopAt(3 * hour)
	r.execute(orderInput("prepaid"))

	r.requireStopped()
	v := r.query(buyer)
	if v.Status != lifecycle.InProgress || round != 2 {
		t.Fatalf("status %s after %d rankings", v.Status, round)
	}
	for _, s := range r.fakes.sentTo() {
		if s == "supplier_offer→delta@example.com" || s == "supplier_offer→echo@example.com" {
			t.Errorf("an offer went out for an order already accepted: %v", r.fakes.sentTo())
		}
	}
	if len(v.Marketplace.Offers) != 3 {
		t.Errorf("offers %+v, want the first round's three only", v.Marketplace.Offers)
	}
}

// No email links to the API's JSON (a bearer-token URL that opens nothing a
// person can use): the links an email carries open a page.
func TestEmailsLinkOnlyToPages(t *testing.T) {
	r := newRun(t)
	r.script(steps(paidAt1m, releasedAt3m, acceptedAt4mB, fulfilled(supplierB, 5*minute)))
	r.execute(orderInput("prepaid"))
	m := newRun(t)
	m.must(hour, lifecycle.Approve, staffS, nil)
	m.must(2*hour, lifecycle.Confirm, clientLink("link_1"), nil)
	m.executeMember(memberInput())
	for _, run := range []*run{r, m} {
		run.fakes.mu.Lock()
		for _, msg := range run.fakes.sent {
			if strings.Contains(msg.Text, "/v1/") || strings.Contains(msg.HTML, "/v1/") {
				t.Errorf("%s to %s links to the API:\n%s", msg.Purpose, msg.To.Email, msg.Text)
			}
		}
		if len(run.fakes.sent) < 5 {
			t.Errorf("only %d emails sent: the check proves little", len(run.fakes.sent))
		}
		run.fakes.mu.Unlock()
	}
}

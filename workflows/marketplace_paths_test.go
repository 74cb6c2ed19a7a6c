package workflows

import (
	"slices"
	"testing"
	"time"

	"github.com/orderflow/orderflow/internal/auth"
	"github.com/orderflow/orderflow/internal/money"
	"github.com/orderflow/orderflow/lifecycle"
)

// Every path through the marketplace table as a time-skipping run: the
// status sequence, the emails (each purpose → recipient once), refunds,
// documents and how the workflow ends.

const (
	second = time.Second
	minute = time.Minute
	hour   = time.Hour
)

var supplierE = auth.Principal{Role: lifecycle.Supplier, Subject: "sup_e"}

// step is one action of a scripted order.
type step struct {
	at      time.Duration
	action  lifecycle.Action
	actor   auth.Principal
	payload any
}

func steps(parts ...[]step) []step { return slices.Concat(parts...) }

func margin(pct int64) MarginPayload { return MarginPayload{MarginPercent: money.Percent(pct)} }

func because(why string) ReasonPayload { return ReasonPayload{Reason: why} }

// Building blocks of the scripts below, at fixed times after creation.
var (
	paidAt1m      = []step{{1 * minute, lifecycle.PaymentConfirmed, webhook, paid("pay_1")}}
	releasedAt3m  = []step{{2 * minute, lifecycle.SetMargin, buyer, margin(10)}, {3 * minute, lifecycle.Release, buyer, nil}}
	acceptedAt4mB = []step{{4 * minute, lifecycle.Accept, supplierB, nil}}
)

// fulfilled: the supplier delivers, then invoices (completed at `at`+1m).
func fulfilled(by auth.Principal, at time.Duration) []step {
	return []step{
		{at, lifecycle.MarkDelivered, by, DeliveredPayload{Note: "left at reception"}},
		{at + minute, lifecycle.UploadInvoice, by, InvoicePayload{Number: "INV-1", Amount: 7000}},
	}
}

// invoicedThenDelivered: the same, the other way round.
func invoicedThenDelivered(by auth.Principal, at time.Duration) []step {
	return []step{
		{at, lifecycle.UploadInvoice, by, InvoicePayload{Number: "INV-1", Amount: 7000}},
		{at + minute, lifecycle.MarkDelivered, by, DeliveredPayload{Note: "left at reception"}},
	}
}

func (r *run) script(ss []step) {
	for _, s := range ss {
		r.must(s.at, s.action, s.actor, s.payload)
	}
}

// Email lists of the common stretches of a path.
var (
	ann             = "ann@example.com"
	paymentLinkMail = []string{"payment_link→" + ann}
	releaseMails    = []string{"order_acknowledged→" + ann, "supplier_offer→alpha@example.com", "supplier_offer→bravo@example.com", "supplier_offer→charlie@example.com"}
	secondRound     = []string{"supplier_offer→delta@example.com", "supplier_offer→echo@example.com"}
	completionMails = []string{"order_delivered→" + ann, "order_completed→" + ann}
)

func acceptMails(supplierEmail string) []string {
	return []string{"order_confirmed→" + ann, "purchase_order→" + supplierEmail}
}

// ending is how a path's workflow ends.
type ending int

const (
	endsFinal  ending = iota // a final status: the workflow completes
	endsClosed               // completed, closed after the return window
)

type pathCase struct {
	name      string
	terms     string
	settings  func(*MarketplaceSettings)
	steps     []step
	statuses  []lifecycle.Status
	emails    []string
	refunds   int // each of the full amount paid
	documents int
	ending    ending
}

func TestMarketplacePaths(t *testing.T) {
	completedAt6m := steps(paidAt1m, releasedAt3m, acceptedAt4mB, fulfilled(supplierB, 5*minute))
	toCompleted := []lifecycle.Status{lifecycle.AwaitingPayment, lifecycle.Screening, lifecycle.Pending, lifecycle.InProgress, lifecycle.Completed}
	completedMails := slices.Concat(paymentLinkMail, releaseMails, acceptMails("bravo@example.com"), completionMails)

	cases := []pathCase{
		{
			name: "prepaid, delivered then invoiced, closed", terms: "prepaid",
			steps: completedAt6m, statuses: toCompleted, emails: completedMails, documents: 1, ending: endsClosed,
		},
		{
			name: "prepaid, invoiced then delivered, closed", terms: "prepaid",
			steps:    steps(paidAt1m, releasedAt3m, acceptedAt4mB, invoicedThenDelivered(supplierB, 5*minute)),
			statuses: toCompleted, emails: completedMails, documents: 1, ending: endsClosed,
		},
		{
			name: "credit approved, closed", terms: "credit",
			steps: steps(
				[]step{{1 * minute, lifecycle.ApproveCredit, financeUser, nil}}, releasedAt3m, acceptedAt4mB, fulfilled(supplierB, 5*minute)),
			statuses:  []lifecycle.Status{lifecycle.AwaitingCredit, lifecycle.Screening, lifecycle.Pending, lifecycle.InProgress, lifecycle.Completed},
			emails:    slices.Concat([]string{"credit_approved→" + ann}, releaseMails, acceptMails("bravo@example.com"), completionMails),
			documents: 1, ending: endsClosed,
		},
		{
			name: "credit declined, paid by link, closed", terms: "credit",
			steps: steps(
				[]step{{30 * second, lifecycle.DeclineCredit, financeUser, because("no credit history")}},
				paidAt1m, releasedAt3m, acceptedAt4mB, fulfilled(supplierB, 5*minute)),
			statuses:  []lifecycle.Status{lifecycle.AwaitingCredit, lifecycle.AwaitingPayment, lifecycle.Screening, lifecycle.Pending, lifecycle.InProgress, lifecycle.Completed},
			emails:    slices.Concat([]string{"credit_declined→" + ann}, releaseMails, acceptMails("bravo@example.com"), completionMails),
			documents: 1, ending: endsClosed,
		},
		{
			name: "top three declined, pending expiring, accepted by the fourth", terms: "prepaid",
			steps: steps(paidAt1m, releasedAt3m, []step{
				{4 * minute, lifecycle.Decline, supplierA, nil},
				{5 * minute, lifecycle.Decline, supplierB, OptionalReasonPayload{Reason: "fully booked"}},
				{6 * minute, lifecycle.Decline, supplierC, nil},
				{7 * minute, lifecycle.Accept, supplierD, nil},
			}, fulfilled(supplierD, 8*minute)),
			statuses:  []lifecycle.Status{lifecycle.AwaitingPayment, lifecycle.Screening, lifecycle.Pending, lifecycle.PendingExpiring, lifecycle.InProgress, lifecycle.Completed},
			emails:    slices.Concat(paymentLinkMail, releaseMails, secondRound, acceptMails("delta@example.com"), completionMails),
			documents: 1, ending: endsClosed,
		},
		{
			name: "pending window, pending expiring, accepted by the fifth", terms: "prepaid",
			steps: steps(paidAt1m, releasedAt3m, []step{{2*hour + 10*minute, lifecycle.Accept, supplierE, nil}},
				fulfilled(supplierE, 3*hour)),
			statuses:  []lifecycle.Status{lifecycle.AwaitingPayment, lifecycle.Screening, lifecycle.Pending, lifecycle.PendingExpiring, lifecycle.InProgress, lifecycle.Completed},
			emails:    slices.Concat(paymentLinkMail, releaseMails, secondRound, acceptMails("echo@example.com"), completionMails),
			documents: 1, ending: endsClosed,
		},
		{
			name: "fulfilment deadline from pending", terms: "prepaid",
			settings: func(s *MarketplaceSettings) { s.PendingWindow = 48 * hour },
			steps:    steps(paidAt1m, releasedAt3m),
			statuses: []lifecycle.Status{lifecycle.AwaitingPayment, lifecycle.Screening, lifecycle.Pending, lifecycle.Expired},
			emails:   slices.Concat(paymentLinkMail, releaseMails, []string{"order_expired→" + ann, "refund_issued→" + ann}),
			refunds:  1, ending: endsFinal,
		},
		{
			name: "fulfilment deadline from pending expiring", terms: "prepaid",
			steps:    steps(paidAt1m, releasedAt3m),
			statuses: []lifecycle.Status{lifecycle.AwaitingPayment, lifecycle.Screening, lifecycle.Pending, lifecycle.PendingExpiring, lifecycle.Expired},
			emails:   slices.Concat(paymentLinkMail, releaseMails, secondRound, []string{"order_expired→" + ann, "refund_issued→" + ann}),
			refunds:  1, ending: endsFinal,
		},
		{
			name: "cannot fulfil", terms: "prepaid",
			steps:    steps(paidAt1m, releasedAt3m, acceptedAt4mB, []step{{5 * minute, lifecycle.CannotFulfil, supplierB, because("out of stock")}}),
			statuses: []lifecycle.Status{lifecycle.AwaitingPayment, lifecycle.Screening, lifecycle.Pending, lifecycle.InProgress, lifecycle.Cancelled},
			emails: slices.Concat(paymentLinkMail, releaseMails, acceptMails("bravo@example.com"),
				[]string{"order_cancelled→" + ann, "order_cancelled→bravo@example.com", "refund_issued→" + ann}),
			refunds: 1, documents: 1, ending: endsFinal,
		},
		{
			name: "return rejected, closed", terms: "prepaid",
			steps: steps(completedAt6m, []step{
				{hour, lifecycle.RequestReturn, customer, because("wrong colour")},
				{2 * hour, lifecycle.RejectReturn, buyer, because("used")},
			}),
			statuses: toCompleted, emails: slices.Concat(completedMails, []string{"return_rejected→" + ann}),
			documents: 1, ending: endsClosed,
		},
		{
			name: "return approved, not resalable, closed", terms: "prepaid",
			steps: steps(completedAt6m, []step{
				{hour, lifecycle.RequestReturn, customer, because("wrong colour")},
				{2 * hour, lifecycle.ApproveReturn, buyer, nil},
				{3 * hour, lifecycle.RejectResalable, supplierB, because("opened bags")},
			}),
			statuses: toCompleted,
			emails: slices.Concat(completedMails,
				[]string{"return_approved→" + ann, "return_approved→bravo@example.com", "resalable_rejected→" + ann}),
			documents: 1, ending: endsClosed,
		},
		{
			name: "return approved, resalable, returned and refunded", terms: "prepaid",
			steps: steps(completedAt6m, []step{
				{hour, lifecycle.RequestReturn, customer, because("wrong colour")},
				{2 * hour, lifecycle.ApproveReturn, buyer, nil},
				{3 * hour, lifecycle.ConfirmResalable, supplierB, nil},
			}),
			statuses: append(slices.Clone(toCompleted), lifecycle.Returned),
			emails: slices.Concat(completedMails,
				[]string{"return_approved→" + ann, "return_approved→bravo@example.com", "refund_issued→" + ann}),
			refunds: 1, documents: 1, ending: endsFinal,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := newRun(t)
			in := orderInput(tc.terms)
			if tc.settings != nil {
				tc.settings(&in.Settings)
			}
			r.script(tc.steps)
			r.execute(in)

			r.requireCompleted()
			v := r.query(buyer)
			if got := statuses(v); !slices.Equal(got, tc.statuses) {
				t.Errorf("statuses = %v\nwant %v", got, tc.statuses)
			}
			for _, s := range tc.steps {
				id := updateID(s.action, s.at, s.actor)
				if n := len(entriesWithRequest(v, id)); n != 1 {
					t.Errorf("%s is on the timeline %d times, want once", id, n)
				}
			}
			r.requireEmails(v, tc.emails)
			r.requireRefunds(v, tc.refunds)
			if len(r.fakes.docs()) != tc.documents || len(v.Documents) != tc.documents {
				t.Errorf("documents: %d stored, %d on the order, want %d", len(r.fakes.docs()), len(v.Documents), tc.documents)
			}
			last := tc.statuses[len(tc.statuses)-1]
			switch tc.ending {
			case endsFinal:
				if v.Status != last || !v.Closed {
					t.Errorf("ended %s (closed %v), want final %s, closed", v.Status, v.Closed, last)
				}
			case endsClosed:
				r.requireClosedAfterReturnWindow(v)
			}
		})
	}
}

// requireEmails: exactly these emails were sent, in this order, and the
// order lists each of them.
func (r *run) requireEmails(v OrderView, want []string) {
	r.t.Helper()
	got := r.fakes.sentTo()
	if !slices.Equal(got, want) {
		r.t.Errorf("emails sent:\n  %v\nwant\n  %v", got, want)
	}
	var listed []string
	for _, e := range v.Emails {
		listed = append(listed, e.Purpose+"→"+e.Recipient)
	}
	if !slices.Equal(listed, want) {
		r.t.Errorf("emails on the order:\n  %v\nwant\n  %v", listed, want)
	}
}

// requireRefunds: n refunds, each of the whole payment, and the order says so.
func (r *run) requireRefunds(v OrderView, n int) {
	r.t.Helper()
	r.fakes.mu.Lock()
	defer r.fakes.mu.Unlock()
	if len(r.fakes.refunds) != n {
		r.t.Errorf("%d refunds, want %d: %+v", len(r.fakes.refunds), n, r.fakes.refunds)
	}
	for key, re := range r.fakes.refunds {
		if re.Amount != orderGross || re.PaymentID != "pay_1" || key != "ord_test/refund" {
			r.t.Errorf("refund %s = %+v, want %s of pay_1", key, re, orderGross)
		}
	}
	want := money.Amount(0)
	if n > 0 {
		want = orderGross
	}
	if v.Marketplace.Refunded != want {
		r.t.Errorf("order says %s refunded, want %s", v.Marketplace.Refunded, want)
	}
}

// requireClosedAfterReturnWindow: a completed order whose workflow ended
// when returns closed, 720 hours after completion (or at once, when a
// return was settled after that).
func (r *run) requireClosedAfterReturnWindow(v OrderView) {
	r.t.Helper()
	completed, ok := enteredAt(v, lifecycle.Completed)
	if v.Status != lifecycle.Completed || !v.Closed || !ok {
		r.t.Fatalf("status %s closed %v, want a closed completed order", v.Status, v.Closed)
	}
	closing := v.Timeline[len(v.Timeline)-1]
	if closing.Action != lifecycle.ReturnWindowElapsed || closing.Outcome != "applied" {
		r.t.Fatalf("last entry %+v, want the return window closing", closing)
	}
	if want := completed.Add(testSettings.ReturnWindow); !closing.At.Equal(want) {
		r.t.Errorf("returns closed at %s, want %s", closing.At, want)
	}
	if len(v.Deadlines) != 0 {
		r.t.Errorf("a closed order still waits for %v", v.Deadlines)
	}
}

// enteredAt is when the order entered status.
func enteredAt(v OrderView, status lifecycle.Status) (time.Time, bool) {
	for _, e := range v.Timeline {
		if e.To == status && e.From != status && e.Outcome == "applied" {
			return e.At, true
		}
	}
	return time.Time{}, false
}

// actionEntries lists the timeline entries of an action.
func actionEntries(v OrderView, a lifecycle.Action) []TimelineEntry {
	var out []TimelineEntry
	for _, e := range v.Timeline {
		if e.Action == a {
			out = append(out, e)
		}
	}
	return out
}

func entriesWithRequest(v OrderView, requestID string) []TimelineEntry {
	var out []TimelineEntry
	for _, e := range v.Timeline {
		if e.RequestID == requestID {
			out = append(out, e)
		}
	}
	return out
}

package workflows

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/orderflow/orderflow/lifecycle"
)

// The summaries the Web UI shows for an order's timers and activities name
// what each is for, and never say a word twice in a row ("Offer valid until
// until …"). Every walk of lifecycle_walk_test.go checks the second for all
// the timers and activities of its run (requireNoDoubledWords).

// doubledWord is the first word of s said twice in a row (ignoring case
// and the punctuation around words), "" when there is none.
func doubledWord(s string) string {
	var prev string
	for _, w := range strings.Fields(s) {
		w = strings.ToLower(strings.Trim(w, `.,:;()<>"'`))
		if w != "" && w == prev {
			return w
		}
		prev = w
	}
	return ""
}

// requireNoDoubledWords: no timer or activity summary of the run says a
// word twice in a row.
func (r *run) requireNoDoubledWords() {
	r.t.Helper()
	for _, tm := range r.timers.all() {
		if w := doubledWord(tm.Summary); w != "" {
			r.t.Errorf("timer summary %q says %q twice", tm.Summary, w)
		}
	}
	for _, s := range r.timers.activitySummaries() {
		if w := doubledWord(s); w != "" {
			r.t.Errorf("activity summary %q says %q twice", s, w)
		}
	}
}

func TestDoubledWordsAreFound(t *testing.T) {
	at := time.Date(2026, 11, 30, 23, 0, 0, 0, time.UTC)
	for s, want := range map[string]string{
		"Offer valid until until 2026-11-30T23:00:00Z": "until",
		"email payment_link to Ann <ann@example.com>":  "",
		"Invoice issue: Invoice 1":                     "",
		"record the the offer":                         "the",
		"Invoice draft for invoice 1 of 2026-12-15":    "",
		timerSummary(lifecycle.DeadlineOffer, at):      "",
		timerSummary(lifecycle.DeadlinePayment, at):    "",
	} {
		if got := doubledWord(s); got != want {
			t.Errorf("doubledWord(%q) = %q, want %q", s, got, want)
		}
	}
	if got := timerSummary(lifecycle.DeadlineOffer, at); got != "Offer valid until 2026-11-30T23:00:00Z" {
		t.Errorf("offer timer %q", got)
	}
	if got := timerSummary(lifecycle.DeadlinePayment, at); got != "Payment window until 2026-11-30T23:00:00Z" {
		t.Errorf("payment timer %q", got)
	}
}

// requireActivity: some activity of the run was named summary.
func (r *run) requireActivity(summary string) {
	r.t.Helper()
	if got := r.timers.activitySummaries(); !slices.Contains(got, summary) {
		r.t.Errorf("no activity named %q among:\n  %s", summary, strings.Join(got, "\n  "))
	}
}

func TestMarketplaceSummariesNameSuppliersAndRecipients(t *testing.T) {
	r := newRun(t)
	r.script(steps(paidAt1m, releasedAt3m, []step{{3*minute + 30*second, lifecycle.Decline, supplierA, nil}}, acceptedAt4mB))
	r.stopAt(hour)
	r.execute(orderInput("prepaid"))

	r.requireStopped()
	r.requireActivity("email payment_link to Ann <ann@example.com>")
	r.requireActivity("record the round 1 offer to Alpha (sup_a), Bravo (sup_b), Charlie (sup_c)")
	r.requireActivity("email supplier_offer to Alpha <alpha@example.com>")
	r.requireActivity("record decline of supplier Alpha (sup_a)")
	r.requireActivity("purchase order PDF for supplier Bravo (sup_b)")
	r.requireActivity("email purchase_order to Bravo <bravo@example.com>")
	r.requireTimer("Payment window until", testStart.Add(24*time.Hour))
	r.requireNoDoubledWords()
}

func TestMemberSummariesNameTheInvoice(t *testing.T) {
	r := newRun(t)
	r.activeAt2h()
	r.must(since(2026, 12, 20, 10, 0, 0), lifecycle.RequestCancellation, memberM, CancellationPayload{Reason: "the client cancelled the whole project"})
	r.must(since(2026, 12, 21, 10, 0, 0), lifecycle.ApproveCancellation, staffS, nil)
	r.executeMember(memberInput())

	r.requireCompleted()
	r.requireTimer("Invoice draft for invoice 1 of 2026-12-15 until", draft1)
	r.requireTimer("Invoice issue for invoice 1 of 2026-12-15 until", issue1)
	r.requireActivity("draft PDF (version 1) of invoice 1 of 2026-12-15")
	r.requireActivity("issue invoice 1 of 2026-12-15")
	r.requireActivity("email invoice_issued#1 to Carl Client <carl@client.test> (cc Mia Member <mia@example.com>)")
	// Issued by then: the credit note names the invoice by its number.
	r.requireActivity("credit note for invoice INV-2026-0001")
	r.requireNoDoubledWords()
}

// A signal has no answer: the record of its refusal says why in the Web
// UI's history, within Temporal's limit on a summary's size.
func TestTheRecordOfARefusalSaysWhy(t *testing.T) {
	r := newRun(t)
	r.signalAt(1*minute, lifecycle.Release, ActionRequest{Actor: buyer})
	r.signalAt(2*minute, lifecycle.Action(strings.Repeat("é", 100)), ActionRequest{Actor: buyer})
	r.stopAt(hour)
	r.execute(orderInput("prepaid"))

	r.requireStopped()
	r.requireActivity("record refused release: release is not possible while the order is awaiting_payment")
	for _, s := range r.timers.activitySummaries() {
		if len(s) > maxSummary+len("…") {
			t.Errorf("summary of %d bytes: %q", len(s), s)
		}
	}
}

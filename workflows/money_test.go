package workflows

// Issue 12, "Money must be right": what suppliers are told they are paid,
// and that a delivered order is no longer cancelled.

import (
	"encoding/json"
	"html"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/orderflow/orderflow/internal/auth"
	"github.com/orderflow/orderflow/internal/email"
	"github.com/orderflow/orderflow/lifecycle"
)

// What the supplier is paid for orderInput at a 10% margin: each unit price
// less 10% (6.50 → 5.85, 12.00 → 10.80), VAT 21% on the total.
var supplierPay = []string{
	"€ 58.50", "€ 70.79", // 10 × Cement 25 kg, excl. and incl. VAT
	"€ 10.80", "€ 13.07", // 1 × Trowel
	"€ 69.30", "€ 14.55", "€ 83.85", // total excl. VAT, VAT, incl. VAT
}

// customerSide is what no email to a supplier may show: the customer's
// prices and gross, the customer, and the margin.
var customerSide = []string{
	"93.17", "77.00", "16.17", // the customer's totals: gross, net, VAT
	"65.00", "78.65", "14.52", // the customer's lines, excl. and incl. VAT
	"12.00",
	"ann@example.com", "Annelies Vermeulen",
	"margin", "Margin", "10%", "10.00%",
}

// moneyInput is orderInput with a customer name no email could show by chance.
func moneyInput() MarketplaceInput {
	in := orderInput("prepaid")
	in.CustomerName = "Annelies Vermeulen"
	return in
}

var htmlTag = regexp.MustCompile(`<[^>]*>`)

func isSupplierAddress(to string) bool {
	return to != ann && strings.HasSuffix(to, "@example.com")
}

// supplierMessages are the emails sent to suppliers.
func (f *fakes) supplierMessages() []email.Message {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []email.Message
	for _, m := range f.sent {
		if isSupplierAddress(m.To.Email) {
			out = append(out, m)
		}
	}
	return out
}

// requireNothingOfTheCustomer: no email to a supplier shows the customer's
// side, in its text or HTML body or its subject, nor carries it in the data
// the workflow handed the email activity.
func (r *run) requireNothingOfTheCustomer() {
	r.t.Helper()
	for _, m := range r.fakes.supplierMessages() {
		// The HTML's visible text: its styles say "margin" of course.
		for _, part := range []string{m.Subject, m.Text, html.UnescapeString(htmlTag.ReplaceAllString(m.HTML, ""))} {
			for _, bad := range customerSide {
				if strings.Contains(part, bad) {
					r.t.Errorf("%s to %s shows %q:\n%s", m.Purpose, m.To.Email, bad, part)
				}
			}
		}
	}
	r.requests.mu.Lock()
	defer r.requests.mu.Unlock()
	for _, in := range r.requests.emails {
		if !isSupplierAddress(in.To.Email) {
			continue
		}
		data, _ := json.Marshal(in.Data)
		for _, bad := range customerSide[:9] { // the amounts and the customer
			if strings.Contains(string(data), bad) {
				r.t.Errorf("the data of %s to %s holds %q: %s", in.Purpose, in.To.Email, bad, data)
			}
		}
	}
}

// requireSupplierPay: the email shows what the supplier is paid, line by
// line and in total, excl. and incl. VAT, in both bodies.
func (r *run) requireSupplierPay(purpose, to string) {
	r.t.Helper()
	i := slices.IndexFunc(r.fakes.supplierMessages(), func(m email.Message) bool { return m.Purpose == purpose && m.To.Email == to })
	if i < 0 {
		r.t.Fatalf("no %s email to %s", purpose, to)
	}
	m := r.fakes.supplierMessages()[i]
	for _, want := range append(slices.Clone(supplierPay), "excl. VAT", "incl. VAT", "Cement 25 kg", "Trowel") {
		if !strings.Contains(m.Text, want) {
			r.t.Errorf("%s to %s: %q missing from the text body:\n%s", purpose, to, want, m.Text)
		}
		if !strings.Contains(m.HTML, want) {
			r.t.Errorf("%s to %s: %q missing from the HTML body", purpose, to, want)
		}
	}
}

func TestSupplierOfferShowsWhatTheSupplierIsPaid(t *testing.T) {
	r := newRun(t)
	r.script(steps(paidAt1m, releasedAt3m, acceptedAt4mB, fulfilled(supplierB, 5*minute), []step{
		{hour, lifecycle.RequestReturn, customer, because("wrong colour")},
		{2 * hour, lifecycle.ApproveReturn, buyer, nil},
		{3 * hour, lifecycle.ConfirmResalable, supplierB, nil},
	}))
	r.execute(moneyInput())

	r.requireCompleted()
	if text := r.fakes.message("supplier_offer", "alpha@example.com"); !strings.Contains(text, "Total payable to you: € 69.30 excl. VAT, € 83.85 incl. VAT") {
		t.Errorf("the offer does not say what alpha is paid:\n%s", text)
	}
	for _, to := range []string{"alpha@example.com", "bravo@example.com", "charlie@example.com"} {
		r.requireSupplierPay("supplier_offer", to)
	}
	r.requireSupplierPay("purchase_order", "bravo@example.com")
	if len(r.fakes.supplierMessages()) != 5 { // three offers, the purchase order, the return
		t.Errorf("supplier emails %v", r.fakes.sentTo())
	}
	r.requireNothingOfTheCustomer()
}

// The cancellation emails to suppliers (the accepted one, and the offered
// ones) show nothing of the customer either.
func TestCancellationEmailsToSuppliersShowNothingOfTheCustomer(t *testing.T) {
	for _, tc := range []struct {
		name  string
		reach []step
		told  []string
	}{
		{"pending", steps(paidAt1m, releasedAt3m), []string{"alpha@example.com", "bravo@example.com", "charlie@example.com"}},
		{"in progress", steps(paidAt1m, releasedAt3m, acceptedAt4mB), []string{"bravo@example.com"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRun(t)
			r.script(tc.reach)
			r.must(10*minute, lifecycle.Cancel, customer, because("found it cheaper"))
			r.execute(moneyInput())

			r.requireCompleted()
			for _, to := range tc.told {
				if text := r.fakes.message("order_cancelled", to); !strings.Contains(text, "found it cheaper") {
					t.Errorf("%s was not told of the cancellation:\n%s", to, text)
				}
			}
			r.requireNothingOfTheCustomer()
		})
	}
}

const afterDelivery = "the supplier has delivered; the order completes with the supplier's invoice, or the customer requests a return after it"

// refusedBecause schedules an action that has to be refused with code and
// a reason holding because.
func (r *run) refusedBecause(offset time.Duration, a lifecycle.Action, actor auth.Principal, payload any, code, because string) {
	answered := r.requireAnswer(offset, a)
	r.at(offset, a, actor, payload, func(_ OrderView, err error) {
		*answered = true
		if got := refusalCode(err); got != code || !strings.Contains(err.Error(), because) {
			r.t.Errorf("%s by %s at +%s: refusal %q (%v), want %q because %q", a, actor.Role, offset, got, err, code, because)
		}
	})
}

// Once the supplier has recorded the delivery, neither the customer nor
// purchasing may cancel, nor the supplier declare it cannot fulfil: the
// order completes with the invoice (or is undone by a return).
func TestNoCancelAfterDelivery(t *testing.T) {
	r := newRun(t)
	r.script(steps(paidAt1m, releasedAt3m, acceptedAt4mB,
		[]step{{5 * minute, lifecycle.MarkDelivered, supplierB, DeliveredPayload{Note: "left at reception"}}}))
	r.refusedBecause(6*minute, lifecycle.Cancel, customer, because("changed my mind"), lifecycle.NotAllowedNow, afterDelivery)
	r.refusedBecause(7*minute, lifecycle.Cancel, buyer, because("changed my mind"), lifecycle.NotAllowedNow, afterDelivery)
	r.refusedBecause(8*minute, lifecycle.CannotFulfil, supplierB, because("out of stock"), lifecycle.NotAllowedNow, afterDelivery)
	r.refused(8*minute, lifecycle.Cancel, supplierB, because("no"), lifecycle.WrongRole) // the table answers first
	r.settledViewAt(9*minute, customer, func(v OrderView) {
		if v.Status != lifecycle.InProgress || slices.Contains(v.AllowedActions, lifecycle.Cancel) {
			t.Errorf("after the refusals: %s, the customer may %v", v.Status, v.AllowedActions)
		}
	})
	r.settledViewAt(9*minute, supplierB, func(v OrderView) {
		if !slices.Equal(v.AllowedActions, []lifecycle.Action{lifecycle.UploadInvoice}) {
			t.Errorf("the supplier may %v, want only upload_invoice", v.AllowedActions)
		}
	})
	r.must(10*minute, lifecycle.UploadInvoice, supplierB, InvoicePayload{Number: "INV-1", Amount: 8385})
	r.stopAt(hour)
	r.execute(orderInput("prepaid"))

	r.requireStopped()
	v := r.query(buyer)
	if got := statuses(v); !slices.Equal(got, []lifecycle.Status{lifecycle.AwaitingPayment, lifecycle.Screening, lifecycle.Pending, lifecycle.InProgress, lifecycle.Completed}) {
		t.Errorf("statuses %v", got)
	}
	if n := len(actionEntries(v, lifecycle.Cancel)) + len(actionEntries(v, lifecycle.CannotFulfil)); n != 0 {
		t.Errorf("%d cancel or cannot_fulfil entries on the timeline", n)
	}
	r.requireRefunds(v, 0)
	for _, e := range r.fakes.sentTo() {
		if strings.HasPrefix(e, "order_cancelled") {
			t.Errorf("%s sent", e)
		}
	}
}

// Before the delivery both still apply, whatever else was recorded: the
// supplier's invoice alone does not stop a cancellation.
func TestCancelBeforeDeliveryStillApplies(t *testing.T) {
	for _, tc := range []struct {
		a     lifecycle.Action
		actor auth.Principal
	}{{lifecycle.Cancel, customer}, {lifecycle.Cancel, buyer}, {lifecycle.CannotFulfil, supplierB}} {
		t.Run(string(tc.a)+" by "+string(tc.actor.Role), func(t *testing.T) {
			r := newRun(t)
			r.script(steps(paidAt1m, releasedAt3m, acceptedAt4mB,
				[]step{{5 * minute, lifecycle.UploadInvoice, supplierB, InvoicePayload{Number: "INV-1", Amount: 8385}}}))
			r.must(6*minute, tc.a, tc.actor, because("out of stock"))
			r.execute(orderInput("prepaid"))

			r.requireCompleted()
			v := r.query(buyer)
			if v.Status != lifecycle.Cancelled {
				t.Errorf("status %s, want cancelled", v.Status)
			}
			r.requireRefunds(v, 1)
		})
	}
}

// An order started before change trusted-actions keeps the old rule when it
// replays: it may be cancelled after delivery, as it was then.
func TestCancelAfterDeliveryBeforeTheChange(t *testing.T) {
	for _, tc := range []struct {
		a     lifecycle.Action
		actor auth.Principal
	}{{lifecycle.Cancel, customer}, {lifecycle.Cancel, buyer}, {lifecycle.CannotFulfil, supplierB}} {
		t.Run(string(tc.a)+" by "+string(tc.actor.Role), func(t *testing.T) {
			r := newRun(t)
			r.startedBefore(ChangeTrustedActions)
			r.script(steps(paidAt1m, releasedAt3m, acceptedAt4mB,
				[]step{{5 * minute, lifecycle.MarkDelivered, supplierB, DeliveredPayload{Note: "left at reception"}}}))
			r.must(6*minute, tc.a, tc.actor, because("out of stock"))
			r.execute(orderInput("prepaid"))

			r.requireCompleted()
			v := r.query(buyer)
			entries := actionEntries(v, tc.a)
			if v.Status != lifecycle.Cancelled || len(entries) != 1 || entries[0].From != lifecycle.InProgress {
				t.Errorf("status %s, entries %+v: want cancelled from in_progress", v.Status, entries)
			}
			r.requireRefunds(v, 1)
		})
	}
}

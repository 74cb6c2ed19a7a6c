package e2e_test

// Issue 12, "Money must be right", through the real stack: what suppliers
// are told they are paid, and that a delivered order is no longer cancelled.

import (
	"html"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/orderflow/orderflow/lifecycle"
)

var htmlTag = regexp.MustCompile(`<[^>]*>`)

// Every email to a supplier shows what the supplier is paid (the customer's
// prices less the 10% margin: 5.85 and 10.80 a unit), never the customer's
// prices, gross, name or address, nor the margin.
func TestMarketplaceSupplierEmailsShowTheSuppliersPay(t *testing.T) {
	m := newMarket(t, nil)
	o := m.acceptedBy("c-1", "sup_bravo")
	m.act(o.ID, "cancel", m.token(lifecycle.Customer, "c-1"), map[string]any{"reason": "found it cheaper"}, http.StatusOK)
	m.waitStatus(o.ID, lifecycle.Cancelled)
	m.expectEmails(o.ID,
		"payment_link→c-1@customers.test", "order_acknowledged→c-1@customers.test",
		"supplier_offer→alpha@suppliers.test", "supplier_offer→bravo@suppliers.test", "supplier_offer→charlie@suppliers.test",
		"order_confirmed→c-1@customers.test", "purchase_order→bravo@suppliers.test",
		"order_cancelled→c-1@customers.test", "order_cancelled→bravo@suppliers.test", "refund_issued→c-1@customers.test")

	pay := []string{
		"10 × Cement 25 kg — € 58.50 excl. VAT, € 70.79 incl. VAT",
		"1 × Trowel — € 10.80 excl. VAT, € 13.07 incl. VAT",
		"Total payable to you: € 69.30 excl. VAT, € 83.85 incl. VAT (VAT € 14.55",
	}
	customerSide := []string{"93.17", "77.00", "16.17", "65.00", "78.65", "12.00", "c-1@customers.test", "Customer c-1", "margin", "Margin", "10%"}
	supplierEmails := 0
	for _, msg := range m.sys.SendGrid.Messages() {
		to := msg.To()[0].Email
		if msg.CustomArgs["order_id"] != o.ID || !strings.HasSuffix(to, "@suppliers.test") {
			continue
		}
		supplierEmails++
		purpose := msg.CustomArgs["purpose"]
		text := msg.Content("text/plain")
		visible := html.UnescapeString(htmlTag.ReplaceAllString(msg.Content("text/html"), ""))
		if purpose == "supplier_offer" || purpose == "purchase_order" {
			for _, want := range pay {
				if !strings.Contains(text, want) {
					t.Errorf("%s to %s: %q missing from the text:\n%s", purpose, to, want, text)
				}
			}
			for _, want := range []string{"€ 58.50", "€ 70.79", "€ 10.80", "€ 13.07", "€ 69.30", "€ 14.55", "€ 83.85"} {
				if !strings.Contains(visible, want) {
					t.Errorf("%s to %s: %q missing from the HTML", purpose, to, want)
				}
			}
		}
		for _, part := range []string{msg.Subject, text, visible} {
			for _, bad := range customerSide {
				if strings.Contains(part, bad) {
					t.Errorf("%s to %s shows %q:\n%s", purpose, to, bad, part)
				}
			}
		}
	}
	if supplierEmails != 5 {
		t.Errorf("%d emails to suppliers, want 5", supplierEmails)
	}
}

// After mark_delivered neither the customer nor purchasing may cancel, nor
// the supplier declare it cannot fulfil: 409 with the reason; the order
// stays in progress, nothing is refunded, and the invoice completes it.
func TestMarketplaceCancelRefusedAfterDelivery(t *testing.T) {
	m := newMarket(t, nil)
	purchasing, bravo, customer := m.token(lifecycle.Purchasing, "p-1"), m.token(lifecycle.Supplier, "sup_bravo"), m.token(lifecycle.Customer, "c-1")
	o := m.acceptedBy("c-1", "sup_bravo")
	m.act(o.ID, "mark_delivered", bravo, map[string]any{"note": "signed by J. Doe"}, http.StatusOK)

	const reason = "The supplier has delivered; the order completes with the supplier's invoice, or the customer requests a return after it."
	for _, tc := range []struct{ action, token string }{{"cancel", customer}, {"cancel", purchasing}, {"cannot_fulfil", bravo}} {
		var problem struct {
			Detail         string   `json:"detail"`
			StatusNow      string   `json:"status_now"`
			AllowedActions []string `json:"allowed_actions"`
		}
		m.call("POST", "/v1/orders/"+o.ID+"/actions/"+tc.action, tc.token, map[string]any{"reason": "changed my mind"}, http.StatusConflict, &problem)
		if !strings.HasPrefix(problem.Detail, reason) || problem.StatusNow != "in_progress" || slices.Contains(problem.AllowedActions, tc.action) {
			t.Errorf("%s: %+v, want 409 because %q", tc.action, problem, reason)
		}
	}
	if v := m.get(o.ID, customer); v.Status != lifecycle.InProgress || slices.Contains(v.AllowedActions, lifecycle.Cancel) {
		t.Fatalf("after the refusals the order is %s, the customer may %v", v.Status, v.AllowedActions)
	}
	m.settled(o.ID)
	m.refundsOf(o.ID, 0)

	v := m.act(o.ID, "upload_invoice", bravo, map[string]any{"number": "BR-2026-18", "amount": "83.85"}, http.StatusOK)
	if v.Status != lifecycle.Completed {
		t.Fatalf("after the invoice: %s", v.Status)
	}
	m.expectEmails(o.ID,
		"payment_link→c-1@customers.test", "order_acknowledged→c-1@customers.test",
		"supplier_offer→alpha@suppliers.test", "supplier_offer→bravo@suppliers.test", "supplier_offer→charlie@suppliers.test",
		"order_confirmed→c-1@customers.test", "purchase_order→bravo@suppliers.test",
		"order_delivered→c-1@customers.test", "order_completed→c-1@customers.test")
	m.refundsOf(o.ID, 0)
}

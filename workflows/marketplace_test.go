package workflows

import (
	"slices"
	"testing"
	"time"

	"github.com/orderflow/orderflow/internal/auth"
	"github.com/orderflow/orderflow/internal/money"
	"github.com/orderflow/orderflow/lifecycle"
)

var (
	customer      = auth.Principal{Role: lifecycle.Customer, Subject: "c-1"}
	otherCustomer = auth.Principal{Role: lifecycle.Customer, Subject: "c-2"}
	buyer         = auth.Principal{Role: lifecycle.Purchasing, Subject: "p-1"}
	financeUser   = auth.Principal{Role: lifecycle.Finance, Subject: "f-1"}
	webhook       = auth.Principal{Role: lifecycle.System, Subject: "payments-webhook"}
	supplierA     = auth.Principal{Role: lifecycle.Supplier, Subject: "sup_a"}
	supplierB     = auth.Principal{Role: lifecycle.Supplier, Subject: "sup_b"}
	supplierC     = auth.Principal{Role: lifecycle.Supplier, Subject: "sup_c"}
	supplierD     = auth.Principal{Role: lifecycle.Supplier, Subject: "sup_d"}
)

var testSettings = MarketplaceSettings{
	PaymentWindow: 24 * time.Hour, PendingWindow: 2 * time.Hour, FulfilmentDeadline: 24 * time.Hour,
	ReturnWindow: 720 * time.Hour, TimeZone: "Europe/Brussels", PublicURL: "http://orderflow.test",
}

func orderInput(terms string) MarketplaceInput {
	return MarketplaceInput{
		OrderID: "ord_test", CustomerID: "c-1", CustomerEmail: "ann@example.com", CustomerName: "Ann",
		Items: []Item{
			{SKU: "CEM-25", Description: "Cement 25 kg", Quantity: money.QuantityOf(10), UnitPrice: 650, VATRate: money.Percent(21)},
			{SKU: "TRW-1", Description: "Trowel", Quantity: money.QuantityOf(1), UnitPrice: 1200, VATRate: money.Percent(21)},
		},
		Category: "building", Delivery: DeliveryInfo{Address: []string{"Rue Haute 1", "1000 Brussels"}, Region: "BE-BRU", RequestedDate: "2026-12-01"},
		PaymentTerms: terms, CreatedBy: customer, Settings: testSettings,
	}
}

// total of orderInput: (10 × 6.50 + 12.00) × 1.21 = 93.17
const orderGross = money.Amount(9317)

func paid(id string) PaymentConfirmedPayload {
	return PaymentConfirmedPayload{PaymentID: id, Amount: orderGross}
}

func statuses(v OrderView) []lifecycle.Status {
	var out []lifecycle.Status
	for _, e := range v.Timeline {
		if e.Outcome == "applied" && e.From != e.To {
			out = append(out, e.To)
		}
	}
	return out
}

func TestPrepaidOrderToCompletedAndClosed(t *testing.T) {
	r := newRun(t)
	min := time.Minute
	r.must(1*min, lifecycle.PaymentConfirmed, webhook, paid("pay_1"))
	r.refused(2*min, lifecycle.Release, buyer, nil, lifecycle.NotAllowedNow) // no margin yet
	r.must(3*min, lifecycle.SetMargin, buyer, MarginPayload{MarginPercent: money.Percent(10)})
	r.must(4*min, lifecycle.Release, buyer, nil)
	r.refused(5*min, lifecycle.Accept, supplierD, nil, NotVisible) // not among the top three: not even visible
	r.must(6*min, lifecycle.Accept, supplierB, nil)
	r.refused(7*min, lifecycle.Accept, supplierA, nil, lifecycle.NotAllowedNow) // already taken
	r.must(8*min, lifecycle.MarkDelivered, supplierB, DeliveredPayload{Note: "left at reception"})
	r.must(9*min, lifecycle.UploadInvoice, supplierB, InvoicePayload{Number: "B-77", Amount: 8000})
	r.execute(orderInput("prepaid"))

	if err := r.env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	v := r.query(buyer)
	want := []lifecycle.Status{lifecycle.AwaitingPayment, lifecycle.Screening, lifecycle.Pending, lifecycle.InProgress, lifecycle.Completed}
	if got := statuses(v); !slices.Equal(got, want) {
		t.Fatalf("statuses = %v, want %v", got, want)
	}
	if !v.Closed || v.Marketplace.Supplier.ID != "sup_b" {
		t.Fatalf("closed=%v supplier=%+v", v.Closed, v.Marketplace.Supplier)
	}
	if got := r.fakes.offers["ord_test"]; !slices.Equal(got, []string{"sup_a", "sup_b", "sup_c"}) {
		t.Fatalf("offered to %v, want the top three", got)
	}
	wantEmails := []string{
		"payment_link→ann@example.com", "order_acknowledged→ann@example.com",
		"supplier_offer→alpha@example.com", "supplier_offer→bravo@example.com", "supplier_offer→charlie@example.com",
		"order_confirmed→ann@example.com", "purchase_order→bravo@example.com",
		"order_delivered→ann@example.com", "order_completed→ann@example.com",
	}
	if got := r.fakes.sentTo(); !slices.Equal(got, wantEmails) {
		t.Fatalf("emails = %v\nwant %v", got, wantEmails)
	}
	if len(r.fakes.docs()) != 1 || r.fakes.refundTotal() != 0 {
		t.Fatalf("documents %d, refunds %s", len(r.fakes.docs()), r.fakes.refundTotal())
	}
}

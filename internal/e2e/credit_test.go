package e2e_test

// Issue 12, the marketplace's money through the real stack: a customer
// cancelling in screening is refunded, a credit order's return gets a credit
// note, and a payment that arrives for an order that ended is refunded once.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"

	"github.com/orderflow/orderflow/internal/money"
	"github.com/orderflow/orderflow/internal/payments"
	"github.com/orderflow/orderflow/lifecycle"
)

func TestScreeningCustomerCancelIsRefunded(t *testing.T) {
	m := newMarket(t, nil)
	customer := m.token(lifecycle.Customer, "c-40")
	o := m.create("c-40", "prepaid")
	m.pay(o.ID, "c-40")
	v := m.waitStatus(o.ID, lifecycle.Screening)
	if !slices.Contains(m.get(o.ID, customer).AllowedActions, lifecycle.Cancel) {
		t.Fatalf("in screening the customer may %v", v.AllowedActions)
	}
	m.act(o.ID, "cancel", m.token(lifecycle.Customer, "c-41"), map[string]any{"reason": "not mine"}, http.StatusNotFound)
	m.act(o.ID, "cancel", customer, map[string]any{"reason": "found it cheaper"}, http.StatusOK)
	m.waitStatus(o.ID, lifecycle.Cancelled)
	m.expectEmailsAmong(o.ID, "payment_link→c-40@customers.test", "order_cancelled→c-40@customers.test", "refund_issued→c-40@customers.test")
	m.refundsOf(o.ID, 1)
}

func TestCreditReturnGetsACreditNoteOverHTTP(t *testing.T) {
	m := newMarket(t, nil)
	purchasing, finance, alpha, customer := m.token(lifecycle.Purchasing, "p-1"), m.token(lifecycle.Finance, "f-1"), m.token(lifecycle.Supplier, "sup_alpha"), m.token(lifecycle.Customer, "c-42")
	o := m.create("c-42", "credit")
	m.act(o.ID, "approve_credit", finance, nil, http.StatusOK)
	m.act(o.ID, "set_margin", purchasing, map[string]any{"margin_percent": "10"}, http.StatusOK)
	m.act(o.ID, "release", purchasing, nil, http.StatusOK)
	m.offeredTo(o.ID, 3)
	m.act(o.ID, "accept", alpha, nil, http.StatusOK)
	m.act(o.ID, "mark_delivered", alpha, map[string]any{"note": "delivered"}, http.StatusOK)
	m.act(o.ID, "upload_invoice", alpha, map[string]any{"number": "A-1", "amount": "83.85"}, http.StatusOK)
	m.act(o.ID, "request_return", customer, map[string]any{"reason": "wrong colour"}, http.StatusOK)
	m.act(o.ID, "approve_return", purchasing, nil, http.StatusOK)
	m.act(o.ID, "confirm_resalable", alpha, nil, http.StatusOK)
	m.waitStatus(o.ID, lifecycle.Returned)

	m.expectEmailsAmong(o.ID,
		"credit_approved→c-42@customers.test", "order_acknowledged→c-42@customers.test",
		"supplier_offer→alpha@suppliers.test", "supplier_offer→bravo@suppliers.test", "supplier_offer→charlie@suppliers.test",
		"order_confirmed→c-42@customers.test", "purchase_order→alpha@suppliers.test",
		"order_delivered→c-42@customers.test", "order_completed→c-42@customers.test",
		"return_approved→c-42@customers.test", "return_approved→alpha@suppliers.test",
		"credit_note_issued→c-42@customers.test",
	)
	m.refundsOf(o.ID, 0)
	docID := o.ID + "-credit-note"
	resp, body := m.sys.Do(t, "GET", "/v1/orders/"+o.ID+"/documents/"+docID, customer, nil)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/pdf" || !bytes.HasPrefix(body, []byte("%PDF")) {
		t.Fatalf("credit note = %d %s (%d bytes)", resp.StatusCode, resp.Header.Get("Content-Type"), len(body))
	}
	doc, err := m.sys.Store.GetDocument(context.Background(), o.ID, docID)
	if err != nil || doc.Kind != "credit_note" || !strings.HasPrefix(doc.Number, "MCN-") {
		t.Fatalf("credit note document %+v: %v", doc, err)
	}
	for _, msg := range m.sys.SendGrid.Messages() {
		if msg.CustomArgs["order_id"] == o.ID && msg.CustomArgs["purpose"] == "credit_note_issued" && len(msg.Attachments) != 1 {
			t.Errorf("the credit note email has %d attachments, want the PDF", len(msg.Attachments))
		}
	}
}

// expectEmailsAmong waits until the order's emails include want, each
// once (the wait reminders to staff, say, may come too).
func (m *market) expectEmailsAmong(orderID string, want ...string) {
	m.t.Helper()
	has := func() bool {
		got := m.emails(orderID)
		for _, w := range want {
			if !slices.Contains(got, w) {
				return false
			}
		}
		return true
	}
	m.eventually("emails of "+orderID, has)
	got := m.emails(orderID)
	for _, w := range want {
		if n := len(slices.DeleteFunc(slices.Clone(got), func(s string) bool { return s != w })); n != 1 {
			m.t.Fatalf("emails of %s: %s %d times in %v", orderID, w, n, got)
		}
	}
	if slices.ContainsFunc(got, func(s string) bool { return strings.HasPrefix(s, "refund_issued") }) != slices.ContainsFunc(want, func(s string) bool { return strings.HasPrefix(s, "refund_issued") }) {
		m.t.Fatalf("emails of %s: %v, want the refund email exactly when expected (%v)", orderID, got, want)
	}
	if v := m.sys.SendGrid.Violations(); len(v) > 0 {
		m.t.Fatalf("SendGrid schema violations: %v", v)
	}
}

// paymentEvent is the provider's signed payment.succeeded event, sent to
// the webhook as the provider would.
func (m *market) paymentEvent(eventID, orderID, paymentID string, amount money.Amount) (int, map[string]any) {
	m.t.Helper()
	body, err := json.Marshal(payments.Event{ID: eventID, Type: payments.EventPaymentSucceeded, Created: time.Now().UTC().Truncate(time.Second),
		Data: payments.EventData{PaymentID: paymentID, OrderID: orderID, Amount: amount, Currency: "EUR"}})
	if err != nil {
		m.t.Fatal(err)
	}
	req, _ := http.NewRequest("POST", m.sys.URL+"/v1/webhooks/payments", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(payments.SignatureHeader, payments.Sign([]byte(m.sys.Config.PaymentWebhookSecret), body, time.Now()))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		m.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	_ = json.Unmarshal(raw, &out)
	return resp.StatusCode, out
}

// providerTookPayment is the provider taking the payment of a link the
// order cancelled as it ended (a real provider's race the sandbox's own
// pay page cannot lose): its books say paid, and the event is still to come.
func (m *market) providerTookPayment(paymentID string) {
	m.t.Helper()
	_, err := m.sys.Pool.Exec(context.Background(),
		`UPDATE payments SET status = 'paid', paid_at = now(), cancelled_at = NULL WHERE id = $1`, paymentID)
	if err != nil {
		m.t.Fatal(err)
	}
}

// closed waits until the order's workflow has completed.
func (m *market) closed(id string) {
	m.t.Helper()
	m.eventually(id+" workflow closed", func() bool {
		d, err := m.sys.Temporal.DescribeWorkflowExecution(context.Background(), id, "")
		return err == nil && d.WorkflowExecutionInfo.Status == enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED
	})
}

func (m *market) paymentID(id, customer string) string {
	m.t.Helper()
	m.payLink(id, customer)
	return m.get(id, m.token(lifecycle.Customer, customer)).Marketplace.Payment.ID
}

// A payment that arrives after the order ended (cancelled, expired) is
// refunded once, however often and concurrently the event is delivered, and
// the refund is on the order's timeline.
func TestLatePaymentForAnEndedOrderIsRefundedOnce(t *testing.T) {
	for _, ending := range []string{"cancelled", "expired"} {
		t.Run(ending, func(t *testing.T) {
			env := map[string]string{}
			if ending == "expired" {
				env["ORDERFLOW_PAYMENT_WINDOW"] = "4s"
			}
			m := newMarket(t, env)
			o := m.create("c-43", "prepaid")
			pay := m.paymentID(o.ID, "c-43")
			if ending == "cancelled" {
				m.act(o.ID, "cancel", m.token(lifecycle.Customer, "c-43"), map[string]any{"reason": "changed my mind"}, http.StatusOK)
			}
			m.waitStatus(o.ID, lifecycle.Status(ending))
			m.closed(o.ID)
			m.refundsOf(o.ID, 0)
			m.providerTookPayment(pay)

			// The event and its redeliveries (and a second event of the same
			// payment) at once.
			var wg sync.WaitGroup
			results := make([]string, 4)
			for i := range results {
				wg.Add(1)
				go func() {
					defer wg.Done()
					status, out := m.paymentEvent(fmt.Sprintf("evt_late_%d", i%2), o.ID, pay, 9317)
					results[i] = fmt.Sprintf("%d %v", status, out["status"])
				}()
			}
			wg.Wait()
			for _, r := range results {
				if r != "200 refunded" {
					t.Errorf("webhook answers %v, want each 200 refunded", results)
					break
				}
			}
			m.refundsOf(o.ID, 1)
			var key string
			var cents int64
			if err := m.sys.Pool.QueryRow(context.Background(), `SELECT idempotency_key, amount_cents FROM refunds WHERE order_id = $1`, o.ID).Scan(&key, &cents); err != nil {
				t.Fatal(err)
			}
			if key != o.ID+"/refund" || cents != 9317 {
				t.Errorf("refund %s of %d cents, want the order's refund of the whole payment", key, cents)
			}
			late := 0
			for _, e := range m.timeline(o.ID) {
				if e == "late_payment_refunded:"+ending {
					late++
				}
			}
			if late != 1 {
				t.Errorf("timeline %v: want the late refund once", m.timeline(o.ID))
			}
		})
	}
}

// The payment's event races the customer's cancellation: whichever the
// order sees first, the customer ends cancelled and refunded exactly once
// (the workflow's refund and the webhook's share one key).
func TestLatePaymentRacesTheCancellation(t *testing.T) {
	m := newMarket(t, nil)
	for i := range 3 {
		customer := fmt.Sprintf("c-5%d", i)
		o := m.create(customer, "prepaid")
		pay := m.paymentID(o.ID, customer)
		m.providerTookPayment(pay)
		var wg sync.WaitGroup
		wg.Add(2)
		go func() {
			defer wg.Done()
			if status, out := m.paymentEvent("evt_race_"+o.ID, o.ID, pay, 9317); status != http.StatusOK {
				t.Errorf("webhook = %d %v", status, out)
			}
		}()
		go func() {
			defer wg.Done()
			m.act(o.ID, "cancel", m.token(lifecycle.Customer, customer), map[string]any{"reason": "changed my mind"}, http.StatusOK)
		}()
		wg.Wait()
		m.waitStatus(o.ID, lifecycle.Cancelled)
		m.closed(o.ID)
		m.refundsOf(o.ID, 1)
		if v := m.get(o.ID, m.token(lifecycle.Ops, "o-1")); v.Marketplace.Refunded != 9317 && !slices.Contains(m.timeline(o.ID), "late_payment_refunded:cancelled") {
			t.Errorf("refunded %s and no late refund on the timeline %v", v.Marketplace.Refunded, m.timeline(o.ID))
		}
	}
}

// Another event of a payment the order took is no late payment: nothing
// is refunded.
func TestLatePaymentEventOfAPaidOrderIsNotRefunded(t *testing.T) {
	m := newMarket(t, nil)
	o := m.create("c-44", "prepaid")
	pay := m.paymentID(o.ID, "c-44")
	m.pay(o.ID, "c-44")
	m.waitStatus(o.ID, lifecycle.Screening)
	status, out := m.paymentEvent("evt_again", o.ID, pay, 9317)
	if status != http.StatusOK || out["status"] != "ignored" {
		t.Fatalf("webhook = %d %v, want ignored", status, out)
	}
	m.refundsOf(o.ID, 0)
	if v := m.get(o.ID, m.token(lifecycle.Ops, "o-1")); v.Status != lifecycle.Screening {
		t.Fatalf("status %s", v.Status)
	}
}

package e2e_test

// Marketplace orders end to end through the real HTTP API, with an
// in-process Temporal server, Postgres, the worker and the SendGrid stand-in.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/orderflow/orderflow/internal/sendgridtest"
	"github.com/orderflow/orderflow/internal/store"
	"github.com/orderflow/orderflow/internal/testenv"
	"github.com/orderflow/orderflow/lifecycle"
	"github.com/orderflow/orderflow/workflows"
)

type market struct {
	t   *testing.T
	sys *testenv.System
}

func newMarket(t *testing.T, env map[string]string) *market {
	t.Helper()
	m := &market{t: t, sys: testenv.NewSystem(t, testenv.Options{Env: env})}
	m.seedSuppliers()
	return m
}

// seedSuppliers adds four building suppliers of Brussels, alpha best rated.
func (m *market) seedSuppliers() {
	m.t.Helper()
	for i, name := range []string{"Alpha", "Bravo", "Charlie", "Delta"} {
		_, err := m.sys.Store.CreateSupplier(context.Background(), store.Supplier{
			ID: "sup_" + strings.ToLower(name), Name: name, Email: strings.ToLower(name) + "@suppliers.test",
			Categories: []string{"building"}, Regions: []string{"BE-BRU"}, Rating: 90 - 10*i, Active: true,
		})
		if err != nil {
			m.t.Fatal(err)
		}
	}
}

func (m *market) token(role lifecycle.Role, sub string) string { return m.sys.Token(m.t, role, sub) }

// call sends a JSON request and decodes a JSON answer into out (if not nil).
func (m *market) call(method, path, token string, body any, wantStatus int, out any) {
	m.t.Helper()
	var raw []byte
	if body != nil {
		raw, _ = json.Marshal(body)
	}
	resp, data := m.sys.Do(m.t, method, path, token, raw)
	if resp.StatusCode != wantStatus {
		m.t.Fatalf("%s %s = %d, want %d: %s", method, path, resp.StatusCode, wantStatus, data)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			m.t.Fatalf("%s %s: %v: %s", method, path, err, data)
		}
	}
}

func (m *market) create(customer, terms string) workflows.OrderView {
	m.t.Helper()
	var v workflows.OrderView
	m.call("POST", "/v1/orders", m.token(lifecycle.Customer, customer), map[string]any{
		"flow": "marketplace", "customer_email": customer + "@customers.test", "customer_name": "Customer " + customer,
		"items": []map[string]any{
			{"sku": "CEM-25", "description": "Cement 25 kg", "quantity": 10, "unit_price": "6.50", "vat_rate": 21},
			{"sku": "TRW-1", "description": "Trowel", "quantity": 1, "unit_price": "12.00", "vat_rate": 21},
		},
		"category": "building", "delivery": map[string]any{"address": []string{"Rue Haute 1", "1000 Brussels"}, "region": "BE-BRU", "requested_date": "2026-12-01"},
		"payment_terms": terms,
	}, http.StatusCreated, &v)
	return v
}

func (m *market) act(id, action, token string, body any, wantStatus int) workflows.OrderView {
	m.t.Helper()
	var v workflows.OrderView
	var out any = &v
	if wantStatus != http.StatusOK {
		out = nil
	}
	m.call("POST", "/v1/orders/"+id+"/actions/"+action, token, body, wantStatus, out)
	return v
}

func (m *market) get(id, token string) workflows.OrderView {
	m.t.Helper()
	var v workflows.OrderView
	m.call("GET", "/v1/orders/"+id, token, nil, http.StatusOK, &v)
	return v
}

// eventually is testenv.Eventually for the market's test.
func (m *market) eventually(what string, cond func() bool) {
	m.t.Helper()
	testenv.Eventually(m.t, what, cond)
}

// waitStatus waits until the order (as ops see it) has status.
func (m *market) waitStatus(id string, status lifecycle.Status) workflows.OrderView {
	m.t.Helper()
	var v workflows.OrderView
	m.eventually(fmt.Sprintf("%s reaches %s", id, status), func() bool {
		v = m.get(id, m.token(lifecycle.Ops, "o-1"))
		return v.Status == status
	})
	return v
}

// settled waits until the order has no side effect left to run: the read
// model has caught up with the workflow.
func (m *market) settled(id string) store.Order {
	m.t.Helper()
	var row store.Order
	m.eventually(id+" read model catches up", func() bool {
		v := m.get(id, m.token(lifecycle.Ops, "o-1"))
		r, err := m.sys.Store.GetOrder(context.Background(), id)
		if err != nil || r.Seq != int64(len(v.Timeline)) {
			return false
		}
		row = r
		return true
	})
	return row
}

// payLink waits for the pay link in the paying customer's view of the order.
func (m *market) payLink(id, customer string) string {
	m.t.Helper()
	var url string
	m.eventually("payment link of "+id, func() bool {
		v := m.get(id, m.token(lifecycle.Customer, customer))
		if v.Marketplace.Payment != nil {
			url = v.Marketplace.Payment.URL
		}
		return url != ""
	})
	return url
}

// pay pays the order on the sandbox pay page, as the customer would.
func (m *market) pay(id, customer string) {
	m.t.Helper()
	url := m.payLink(id, customer)
	page, err := http.Get(url)
	if err != nil || page.StatusCode != 200 {
		m.t.Fatalf("pay page: %v %v", page, err)
	}
	page.Body.Close()
	resp, err := http.Post(url, "application/x-www-form-urlencoded", bytes.NewReader(nil))
	if err != nil {
		m.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 { // after the redirect to the page showing the payment
		m.t.Fatalf("pay = %d", resp.StatusCode)
	}
}

// emails lists "purpose→recipient" of the messages the stand-in accepted
// for an order, except the emails of the waits for a person (wait_…),
// which depend on how long each step takes; waits_test.go checks those.
func (m *market) emails(orderID string) []string {
	var out []string
	for _, msg := range m.sys.SendGrid.Messages() {
		if msg.CustomArgs["order_id"] == orderID && !strings.HasPrefix(msg.CustomArgs["purpose"], "wait_") {
			out = append(out, msg.CustomArgs["purpose"]+"→"+msg.To()[0].Email)
		}
	}
	slices.Sort(out)
	return out
}

func (m *market) expectEmails(orderID string, want ...string) {
	m.t.Helper()
	slices.Sort(want)
	m.eventually("emails of "+orderID, func() bool { return len(m.emails(orderID)) >= len(want) })
	if got := m.emails(orderID); !slices.Equal(got, want) {
		m.t.Fatalf("emails of %s:\n got %v\nwant %v", orderID, got, want)
	}
	if v := m.sys.SendGrid.Violations(); len(v) > 0 {
		m.t.Fatalf("SendGrid schema violations: %v", v)
	}
}

// timeline is the read model's timeline without the waits' own entries,
// which depend on how long each step takes (waits_test.go checks them
// with fullTimeline).
func (m *market) timeline(id string) []string {
	return slices.DeleteFunc(m.fullTimeline(id), func(e string) bool {
		action, _, _ := strings.Cut(e, ":")
		return isWaitAction(action)
	})
}

// fullTimeline is the read model's timeline as "action:status" entries.
func (m *market) fullTimeline(id string) []string {
	m.t.Helper()
	entries, err := m.sys.Store.Timeline(context.Background(), id)
	if err != nil {
		m.t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		out = append(out, e.Action+":"+e.To)
	}
	return out
}

func TestMarketplacePrepaidOrderToCompleted(t *testing.T) {
	m := newMarket(t, nil)
	purchasing, bravo := m.token(lifecycle.Purchasing, "p-1"), m.token(lifecycle.Supplier, "sup_bravo")

	o := m.create("c-1", "prepaid")
	if o.Status != lifecycle.AwaitingPayment || len(o.Deadlines) != 1 || o.Deadlines[0].Name != "Payment window" {
		t.Fatalf("new order: %s %+v", o.Status, o.Deadlines)
	}
	m.pay(o.ID, "c-1")
	m.waitStatus(o.ID, lifecycle.Screening)

	m.act(o.ID, "release", purchasing, nil, http.StatusConflict) // no margin yet
	m.act(o.ID, "set_margin", purchasing, map[string]any{"margin_percent": 12.5}, http.StatusOK)
	v := m.act(o.ID, "release", purchasing, nil, http.StatusOK)
	if v.Status != lifecycle.Pending {
		t.Fatalf("after release: %s", v.Status)
	}
	m.eventually("the top three suppliers get the offer", func() bool {
		var feed struct{ Orders []json.RawMessage }
		m.call("GET", "/v1/suppliers/sup_bravo/feed", bravo, nil, http.StatusOK, &feed)
		return len(feed.Orders) == 1
	})
	m.call("GET", "/v1/orders/"+o.ID, m.token(lifecycle.Supplier, "sup_delta"), nil, http.StatusNotFound, nil) // fourth: not offered

	v = m.act(o.ID, "accept", bravo, nil, http.StatusOK)
	if v.Status != lifecycle.InProgress || v.Marketplace.Supplier.ID != "sup_bravo" {
		t.Fatalf("after accept: %s %+v", v.Status, v.Marketplace.Supplier)
	}
	m.act(o.ID, "mark_delivered", bravo, map[string]any{"note": "signed by J. Doe"}, http.StatusOK)
	v = m.act(o.ID, "upload_invoice", bravo, map[string]any{"number": "BR-2026-17", "amount": "81.52"}, http.StatusOK)
	if v.Status != lifecycle.Completed {
		t.Fatalf("after delivery and invoice: %s", v.Status)
	}

	m.expectEmails(o.ID,
		"payment_link→c-1@customers.test", "order_acknowledged→c-1@customers.test",
		"supplier_offer→alpha@suppliers.test", "supplier_offer→bravo@suppliers.test", "supplier_offer→charlie@suppliers.test",
		"order_confirmed→c-1@customers.test", "purchase_order→bravo@suppliers.test",
		"order_delivered→c-1@customers.test", "order_completed→c-1@customers.test",
	)
	po := m.sys.SendGrid.Messages()
	i := slices.IndexFunc(po, func(msg sendgridtest.Message) bool { return msg.CustomArgs["purpose"] == "purchase_order" })
	if len(po[i].Attachments) != 1 || !strings.HasSuffix(po[i].Attachments[0].Filename, ".pdf") {
		t.Fatalf("purchase order email attachments: %+v", po[i].Attachments)
	}

	row := m.settled(o.ID)
	if row.Status != "completed" || row.SupplierID != "sup_bravo" {
		t.Fatalf("read model: %+v", row)
	}
	want := []string{"create:awaiting_payment", "payment_confirmed:screening", "set_margin:screening", "release:pending",
		"accept:in_progress", "mark_delivered:in_progress", "upload_invoice:in_progress", "delivered_and_invoiced:completed"}
	if got := m.timeline(o.ID); !slices.Equal(got, want) {
		t.Fatalf("timeline:\n got %v\nwant %v", got, want)
	}

	// The supplier reads its purchase order; the customer may too.
	resp, body := m.sys.Do(t, "GET", "/v1/orders/"+o.ID+"/documents/"+o.ID+"-purchase-order", bravo, nil)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/pdf" || !bytes.HasPrefix(body, []byte("%PDF-")) {
		t.Fatalf("purchase order document: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
}

func TestMarketplaceCreditDeclinedPaidCompletedReturned(t *testing.T) {
	m := newMarket(t, nil)
	purchasing, finance, alpha, customer := m.token(lifecycle.Purchasing, "p-1"), m.token(lifecycle.Finance, "f-1"), m.token(lifecycle.Supplier, "sup_alpha"), m.token(lifecycle.Customer, "c-2")

	o := m.create("c-2", "credit")
	if o.Status != lifecycle.AwaitingCredit {
		t.Fatalf("new credit order: %s", o.Status)
	}
	m.act(o.ID, "decline_credit", finance, map[string]any{}, http.StatusUnprocessableEntity) // reason required
	m.act(o.ID, "decline_credit", finance, map[string]any{"reason": "no credit history"}, http.StatusOK)
	m.pay(o.ID, "c-2")
	m.waitStatus(o.ID, lifecycle.Screening)
	m.act(o.ID, "set_margin", purchasing, map[string]any{"margin_percent": "10"}, http.StatusOK)
	m.act(o.ID, "release", purchasing, nil, http.StatusOK)
	m.offeredTo(o.ID, 3)
	m.act(o.ID, "accept", alpha, nil, http.StatusOK)
	m.act(o.ID, "upload_invoice", alpha, map[string]any{"number": "A-1", "amount": "83.85"}, http.StatusOK)
	m.act(o.ID, "mark_delivered", alpha, map[string]any{"note": "delivered"}, http.StatusOK)
	m.act(o.ID, "request_return", customer, map[string]any{"reason": "wrong colour"}, http.StatusOK)
	m.act(o.ID, "request_return", customer, map[string]any{"reason": "again"}, http.StatusConflict)
	m.act(o.ID, "confirm_resalable", alpha, nil, http.StatusConflict) // not approved yet
	m.act(o.ID, "approve_return", purchasing, nil, http.StatusOK)
	v := m.act(o.ID, "confirm_resalable", alpha, nil, http.StatusOK)
	if v.Status != lifecycle.Returned {
		t.Fatalf("after resalable: %s", v.Status)
	}

	m.expectEmails(o.ID,
		"credit_declined→c-2@customers.test", "order_acknowledged→c-2@customers.test",
		"supplier_offer→alpha@suppliers.test", "supplier_offer→bravo@suppliers.test", "supplier_offer→charlie@suppliers.test",
		"order_confirmed→c-2@customers.test", "purchase_order→alpha@suppliers.test",
		"order_delivered→c-2@customers.test", "order_completed→c-2@customers.test",
		"return_approved→c-2@customers.test", "return_approved→alpha@suppliers.test",
		"refund_issued→c-2@customers.test",
	)
	v = m.get(o.ID, customer)
	if v.Marketplace.Refunded != v.Total || v.Total != 9317 {
		t.Fatalf("refunded %s of %s", v.Marketplace.Refunded, v.Total)
	}
	m.refundsOf(o.ID, 1)
}

// acceptedBy is a prepaid order of customer released to the top three
// (releasedToSuppliers) and accepted by supplier, one of them.
func (m *market) acceptedBy(customer, supplier string) workflows.OrderView {
	m.t.Helper()
	id := m.releasedToSuppliers(customer)
	return m.act(id, "accept", m.token(lifecycle.Supplier, supplier), nil, http.StatusOK)
}

// offeredTo waits until the order is offered to n suppliers (suppliers learn
// of an order from its offer, after the release).
func (m *market) offeredTo(id string, n int) {
	m.t.Helper()
	m.eventually(fmt.Sprintf("%s offered to %d suppliers", id, n), func() bool {
		return len(m.get(id, m.token(lifecycle.Purchasing, "p-1")).Marketplace.Offers) == n
	})
}

// refundsOf checks the payment provider recorded exactly n refunds of the order.
func (m *market) refundsOf(orderID string, n int) {
	m.t.Helper()
	var count int
	if err := m.sys.Pool.QueryRow(context.Background(), `SELECT count(*) FROM refunds WHERE order_id = $1`, orderID).Scan(&count); err != nil {
		m.t.Fatal(err)
	}
	if count != n {
		m.t.Fatalf("refunds of %s = %d, want %d", orderID, count, n)
	}
}

func TestMarketplaceExpiresWithoutPayment(t *testing.T) {
	m := newMarket(t, map[string]string{"ORDERFLOW_PAYMENT_WINDOW": "3s"})
	o := m.create("c-3", "prepaid")
	m.waitStatus(o.ID, lifecycle.Expired)
	m.expectEmails(o.ID, "payment_link→c-3@customers.test", "order_expired→c-3@customers.test")
	m.refundsOf(o.ID, 0)
	if got := m.timeline(o.ID); !slices.Equal(got, []string{"create:awaiting_payment", "payment_window_elapsed:expired"}) {
		t.Fatalf("timeline %v", got)
	}
	// The emailed link no longer takes money.
	resp, err := http.Post(m.emailedLink(o.ID, "payment_link", "/pay/"), "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusGone {
		t.Fatalf("paying an expired order = %d, want 410", resp.StatusCode)
	}
}

func TestMarketplacePendingExpiringThenAccepted(t *testing.T) {
	m := newMarket(t, map[string]string{"ORDERFLOW_PENDING_WINDOW": "2s"})
	purchasing, delta := m.token(lifecycle.Purchasing, "p-1"), m.token(lifecycle.Supplier, "sup_delta")
	o := m.create("c-4", "prepaid")
	m.pay(o.ID, "c-4")
	m.waitStatus(o.ID, lifecycle.Screening)
	m.act(o.ID, "set_margin", purchasing, map[string]any{"margin_percent": 8}, http.StatusOK)
	m.act(o.ID, "release", purchasing, nil, http.StatusOK)
	m.waitStatus(o.ID, lifecycle.PendingExpiring)
	m.eventually("delta is offered the order once it is pending expiring", func() bool {
		resp, _ := m.sys.Do(t, "GET", "/v1/orders/"+o.ID, delta, nil)
		return resp.StatusCode == 200
	})
	v := m.act(o.ID, "accept", delta, nil, http.StatusOK)
	if v.Status != lifecycle.InProgress {
		t.Fatalf("after accept: %s", v.Status)
	}
	m.expectEmails(o.ID,
		"payment_link→c-4@customers.test", "order_acknowledged→c-4@customers.test",
		"supplier_offer→alpha@suppliers.test", "supplier_offer→bravo@suppliers.test", "supplier_offer→charlie@suppliers.test",
		"supplier_offer→delta@suppliers.test",
		"order_confirmed→c-4@customers.test", "purchase_order→delta@suppliers.test",
	)
}

func TestMarketplaceTwoSuppliersAcceptAtOnce(t *testing.T) {
	m := newMarket(t, nil)
	purchasing := m.token(lifecycle.Purchasing, "p-1")
	o := m.create("c-5", "prepaid")
	m.pay(o.ID, "c-5")
	m.waitStatus(o.ID, lifecycle.Screening)
	m.act(o.ID, "set_margin", purchasing, map[string]any{"margin_percent": 10}, http.StatusOK)
	m.act(o.ID, "release", purchasing, nil, http.StatusOK)
	m.offeredTo(o.ID, 3)

	codes := make([]int, 2)
	var wg sync.WaitGroup
	for i, sup := range []string{"sup_alpha", "sup_bravo"} {
		wg.Go(func() {
			resp, _ := m.sys.Do(t, "POST", "/v1/orders/"+o.ID+"/actions/accept", m.token(lifecycle.Supplier, sup), nil)
			codes[i] = resp.StatusCode
		})
	}
	wg.Wait()
	slices.Sort(codes)
	if !slices.Equal(codes, []int{http.StatusOK, http.StatusConflict}) {
		t.Fatalf("concurrent accepts answered %v, want one 200 and one 409", codes)
	}
	winner := m.get(o.ID, purchasing).Marketplace.Supplier.ID
	m.eventually("one purchase order", func() bool {
		return slices.Contains(m.emails(o.ID), "purchase_order→"+strings.TrimPrefix(winner, "sup_")+"@suppliers.test")
	})
	var pos int
	for _, e := range m.emails(o.ID) {
		if strings.HasPrefix(e, "purchase_order") {
			pos++
		}
	}
	if pos != 1 {
		t.Fatalf("%d purchase orders sent, want 1", pos)
	}
}

func TestMarketplaceIdempotencyKeyMakesOneOrder(t *testing.T) {
	m := newMarket(t, nil)
	order := func(email string) []byte {
		b, _ := json.Marshal(map[string]any{
			"flow": "marketplace", "customer_email": email, "category": "building", "payment_terms": "prepaid",
			"items":    []map[string]any{{"description": "Sand", "quantity": 1, "unit_price": "10.00", "vat_rate": 21}},
			"delivery": map[string]any{"address": []string{"Kaai 1"}, "region": "BE-BRU", "requested_date": "2026-12-01"},
		})
		return b
	}
	send := func(body []byte) (int, string) {
		req, _ := http.NewRequest("POST", m.sys.URL+"/v1/orders", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+m.token(lifecycle.Customer, "c-9"))
		req.Header.Set("Idempotency-Key", "checkout-42")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var v workflows.OrderView
		_ = json.NewDecoder(resp.Body).Decode(&v)
		return resp.StatusCode, v.ID
	}
	code1, id1 := send(order("c9@customers.test"))
	events := len(m.fetchHistory(context.Background(), id1).Events)
	code2, id2 := send(order("c9@customers.test"))
	if code1 != http.StatusCreated || code2 != http.StatusOK || id1 == "" || id1 != id2 {
		t.Fatalf("same key twice: %d %s, then %d %s; want 201 then 200 with the same order", code1, id1, code2, id2)
	}
	// The retry is the create's own update again, which Temporal answers
	// from its record: nothing is added to the order's history.
	if after := len(m.fetchHistory(context.Background(), id1).Events); after != events {
		t.Fatalf("the retried create added %d events to the order's history", after-events)
	}
	if code, _ := send(order("other@customers.test")); code != http.StatusUnprocessableEntity {
		t.Fatalf("same key, other body: %d, want 422", code)
	}
	customers := store.OrderFilter{Scopes: []store.Scope{{Flow: lifecycle.MarketplaceFlow.Name, OwnerID: "c-9"}}}
	page, err := m.sys.Store.ListOrders(context.Background(), customers)
	m.eventually("the order in the read model", func() bool {
		page, err = m.sys.Store.ListOrders(context.Background(), customers)
		return err == nil && len(page.Orders) > 0
	})
	if len(page.Orders) != 1 {
		t.Fatalf("%d orders for one key", len(page.Orders))
	}

	// Long after: the order ended and Temporal's retention purged it. A
	// retry still finds it, read back from the read model, and starts no
	// second order under its id; the key stays refused for another body.
	m.act(id1, "cancel", m.token(lifecycle.Customer, "c-9"), map[string]any{"reason": "changed my mind"}, http.StatusOK)
	m.waitClosed(id1)
	m.settled(id1)
	m.purge(id1)
	if code, id := send(order("c9@customers.test")); code != http.StatusOK || id != id1 {
		t.Fatalf("the same create after the order was purged: %d %s, want 200 with %s", code, id, id1)
	}
	if _, err := m.sys.Temporal.DescribeWorkflowExecution(context.Background(), id1, ""); err == nil {
		t.Fatal("the retry after the purge started the order's workflow again")
	}
	if code, _ := send(order("other@customers.test")); code != http.StatusUnprocessableEntity {
		t.Fatalf("same key, other body, after the purge: %d, want 422", code)
	}
}

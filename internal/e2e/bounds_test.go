package e2e_test

// Inputs that would strand money or park orders (issue 11, point 8) are
// refused by the real API before any workflow starts or changes: a 0.9 MB
// address, a NUL in a name, an order that totals 0, an over-long or
// control-character reason on an action.

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/orderflow/orderflow/lifecycle"
	"github.com/orderflow/orderflow/workflows"
)

func boundsMarketplaceOrder(change func(map[string]any)) map[string]any {
	body := map[string]any{
		"flow": "marketplace", "customer_email": "c-1@customers.test", "customer_name": "Customer c-1",
		"items":    []map[string]any{{"sku": "CEM-25", "description": "Cement 25 kg", "quantity": 10, "unit_price": "6.50", "vat_rate": 21}},
		"category": "building", "payment_terms": "prepaid",
		"delivery": map[string]any{"address": []string{"Rue Haute 1", "1000 Brussels"}, "region": "BE-BRU", "requested_date": "2026-12-01"},
	}
	change(body)
	return body
}

func boundsMemberOrder(change func(map[string]any)) map[string]any {
	body := map[string]any{
		"flow": "member", "member_name": "Mia", "member_email": "m-1@members.test",
		"client":            map[string]any{"name": "Carl Client", "email": "carl@client.test"},
		"title":             "Website redesign",
		"lines":             []map[string]any{{"description": "Design and build", "quantity": 1, "unit_price": "1000.00", "vat_rate": 21}},
		"service_period":    map[string]any{"start": day(1), "end": day(60)},
		"schedule":          []map[string]any{{"date": day(30), "amount": "1000.00"}},
		"offer_valid_until": day(10),
	}
	change(body)
	return body
}

// refusedFor checks a 422 problem+json that names field; a body over the
// API's size cap may be refused as such (413) before it is read.
func (m *market) refusedFor(method, path, token string, body any, field string, tooLargeAllowed bool) {
	m.t.Helper()
	raw, err := json.Marshal(body)
	if err != nil {
		m.t.Fatal(err)
	}
	resp, data := m.sys.Do(m.t, method, path, token, raw)
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
		m.t.Errorf("%s %s (%d bytes) = %d with Content-Type %q, want a problem: %.300s", method, path, len(raw), resp.StatusCode, ct, data)
		return
	}
	if resp.StatusCode == http.StatusRequestEntityTooLarge && tooLargeAllowed {
		return
	}
	if resp.StatusCode != http.StatusUnprocessableEntity {
		m.t.Errorf("%s %s (%d bytes) = %d, want 422: %.300s", method, path, len(raw), resp.StatusCode, data)
		return
	}
	var p struct {
		Status int               `json:"status"`
		Errors map[string]string `json:"errors"`
	}
	if err := json.Unmarshal(data, &p); err != nil || p.Status != 422 || p.Errors[field] == "" {
		m.t.Errorf("%s %s: the problem does not name %s (%v): %.500s", method, path, field, err, data)
	}
}

func TestBoundsRefuseOrdersAndActionsThatWouldStrandThem(t *testing.T) {
	m := newMarket(t, nil)
	customer, member := m.token(lifecycle.Customer, "c-1"), m.token(lifecycle.Member, "m-1")
	address := func(lines ...string) func(map[string]any) {
		return func(b map[string]any) {
			b["delivery"].(map[string]any)["address"] = lines
		}
	}

	// The order of the incident: a 0.9 MB delivery address. Under the API's
	// body cap it is refused for its field; over it, as too large.
	m.refusedFor("POST", "/v1/orders", customer, boundsMarketplaceOrder(address(strings.Repeat("Rue Haute 1 ", 75_000))), "delivery.address[0]", true)
	m.refusedFor("POST", "/v1/orders", customer, boundsMarketplaceOrder(address("Rue Haute 1", strings.Repeat("x", 100_000))), "delivery.address[1]", false)
	m.refusedFor("POST", "/v1/orders", customer, boundsMarketplaceOrder(address("1", "2", "3", "4", "5", "6", "7")), "delivery.address", false)
	m.refusedFor("POST", "/v1/orders", customer, boundsMarketplaceOrder(address("Rue Haute 1\r\nBcc: all@example.com")), "delivery.address[0]", false)
	m.refusedFor("POST", "/v1/orders", customer, boundsMarketplaceOrder(func(b map[string]any) { b["customer_name"] = "Ann\x00" }), "customer_name", false)
	m.refusedFor("POST", "/v1/orders", customer, boundsMarketplaceOrder(func(b map[string]any) {
		b["items"] = []map[string]any{{"description": "Free sample", "quantity": 1, "unit_price": "0.00", "vat_rate": 21}}
	}), "items", false)
	m.refusedFor("POST", "/v1/orders", member, boundsMemberOrder(func(b map[string]any) {
		b["client"] = map[string]any{"name": "Carl\x00Client", "email": "carl@client.test"}
	}), "client.name", false)
	m.refusedFor("POST", "/v1/orders", member, boundsMemberOrder(func(b map[string]any) {
		b["lines"] = []map[string]any{{"description": "Nothing", "quantity": 1, "unit_price": "0.00", "vat_rate": 21}}
	}), "lines", false)
	m.refusedFor("POST", "/v1/orders", member, boundsMemberOrder(func(b map[string]any) { b["title"] = "Website\nSubject: hello" }), "title", false)

	// An action on a real order: an over-long reason, and control characters in one.
	order := m.create("c-1", "prepaid")
	cancel := "/v1/orders/" + order.ID + "/actions/cancel"
	m.refusedFor("POST", cancel, customer, map[string]any{"reason": strings.Repeat("x", 2001)}, "reason", false)
	m.refusedFor("POST", cancel, customer, map[string]any{"reason": "changed my mind\x00"}, "reason", false)
	m.refusedFor("POST", cancel, customer, map[string]any{"reason": "changed my mind \x1b[2J"}, "reason", false)
	after := m.get(order.ID, customer)
	if after.Status != order.Status || slices.ContainsFunc(after.Timeline, func(e workflows.TimelineEntry) bool { return e.Action == lifecycle.Cancel }) {
		t.Fatalf("a refused cancel changed the order: %s, timeline %+v", after.Status, after.Timeline)
	}

	if t.Failed() {
		t.FailNow()
	}

	// Nothing else was created: the read model holds the one valid order, and
	// each caller's list shows only what they made.
	m.settled(order.ID)
	var n int
	if err := m.sys.Pool.QueryRow(context.Background(), `SELECT count(*) FROM orders`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("the read model has %d orders (%v), want only %s", n, err, order.ID)
	}
	var list struct {
		Orders []struct {
			ID string `json:"id"`
		} `json:"orders"`
	}
	m.call("GET", "/v1/orders", customer, nil, http.StatusOK, &list)
	if len(list.Orders) != 1 || list.Orders[0].ID != order.ID {
		t.Fatalf("the customer lists %+v, want only %s", list.Orders, order.ID)
	}
	m.call("GET", "/v1/orders", member, nil, http.StatusOK, &list)
	if len(list.Orders) != 0 {
		t.Fatalf("the member lists %+v, want nothing", list.Orders)
	}
}

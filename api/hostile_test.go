package api

// Hostile input, table by table: oversized and deeply nested bodies, text
// tricks, out-of-range numbers and dates, SQL-ish strings, bad tokens,
// tampered webhook signatures and client links. Every refusal is a problem
// (or, for the client's pages, an HTML page), never a 5xx, and never reaches
// a workflow.

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/orderflow/orderflow/internal/payments"
	"github.com/orderflow/orderflow/internal/pgtest"
	"github.com/orderflow/orderflow/internal/store"
	"github.com/orderflow/orderflow/lifecycle"
	"github.com/orderflow/orderflow/workflows"
)

// orderWith is a valid order of flow (seed) with fields replaced by path:
// "items.0.quantity" sets the first item's quantity.
func orderWith(t *testing.T, seed string, changes map[string]any) []byte {
	t.Helper()
	var order map[string]any
	if err := json.Unmarshal([]byte(seed), &order); err != nil {
		t.Fatal(err)
	}
	for path, v := range changes {
		setPath(t, order, strings.Split(path, "."), v)
	}
	b, err := json.Marshal(order)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func setPath(t *testing.T, node any, path []string, v any) {
	t.Helper()
	var key int
	switch n := node.(type) {
	case map[string]any:
		if len(path) == 1 {
			n[path[0]] = v
			return
		}
		setPath(t, n[path[0]], path[1:], v)
	case []any:
		if _, err := fmt.Sscanf(path[0], "%d", &key); err != nil || key >= len(n) {
			t.Fatalf("bad path element %q", path[0])
		}
		if len(path) == 1 {
			n[key] = v
			return
		}
		setPath(t, n[key], path[1:], v)
	default:
		t.Fatalf("cannot follow %v into %T", path, node)
	}
}

// problemOf checks the answer is a complete problem with status and returns it.
func problemOf(t *testing.T, rec *httptest.ResponseRecorder, status int) Problem {
	t.Helper()
	checkAnswer(t, rec, nil)
	if rec.Code != status {
		t.Fatalf("status = %d, want %d: %s", rec.Code, status, rec.Body)
	}
	var p Problem
	_ = json.Unmarshal(rec.Body.Bytes(), &p)
	return p
}

func TestHostileOrderBodies(t *testing.T) {
	deep := `{"flow":"marketplace","items":` + strings.Repeat("[", 10000) + strings.Repeat("]", 10000) + `}`
	market, member := seedMarketplaceOrder, seedMemberOrder
	cases := []struct {
		name   string
		body   []byte
		status int
		field  string // the field a 422 must name
	}{
		{"deep JSON", []byte(deep), 400, ""},
		{"deep JSON inside a member order", []byte(`{"flow":"member","client":` + strings.Repeat(`{"a":`, 10001) + "1" + strings.Repeat("}", 10001) + `}`), 400, ""},
		{"overlong UTF-8", []byte(strings.Replace(market, `"Customer"`, "\"Cust\xc0\xafomer\"", 1)), 400, ""},
		{"invalid UTF-8 in an email", []byte(strings.Replace(market, `c-1@customers.test`, "c-1\xff@customers.test", 1)), 400, ""},
		{"NUL in an email", orderWith(t, market, map[string]any{"customer_email": "c-1\x00@customers.test"}), 422, "customer_email"},
		{"two objects", []byte(market + market), 400, ""},
		{"not an object", []byte(`[1,2]`), 400, ""},
		{"unknown field", orderWith(t, market, map[string]any{"is_admin": true}), 400, ""},
		{"negative unit price", orderWith(t, market, map[string]any{"items.0.unit_price": "-6.50"}), 422, "items[0].unit_price"},
		{"quantity 0", orderWith(t, market, map[string]any{"items.0.quantity": 0}), 422, "items[0].quantity"},
		{"negative quantity", orderWith(t, market, map[string]any{"items.0.quantity": -3}), 422, "items[0].quantity"},
		{"unit price over 1e12", orderWith(t, market, map[string]any{"items.0.unit_price": "1000000000000.01"}), 422, "body"},
		{"quantity over the limit", orderWith(t, market, map[string]any{"items.0.quantity": 1e15}), 422, "body"},
		{"VAT 1000%", orderWith(t, market, map[string]any{"items.0.vat_rate": 1000}), 422, "body"},
		{"negative VAT", orderWith(t, market, map[string]any{"items.0.vat_rate": -21}), 422, "body"},
		{"total over the limit", orderWith(t, market, map[string]any{"items.0.unit_price": "999999999999.00", "items.0.quantity": 1000}), 422, "items"},
		{"date 0000-00-00", orderWith(t, market, map[string]any{"delivery.requested_date": "0000-00-00"}), 422, "delivery.requested_date"},
		{"date 9999-99-99", orderWith(t, market, map[string]any{"delivery.requested_date": "9999-99-99"}), 422, "delivery.requested_date"},
		{"date 2026-02-30", orderWith(t, market, map[string]any{"delivery.requested_date": "2026-02-30"}), 422, "delivery.requested_date"},
		{"service start 2026-02-30", orderWith(t, member, map[string]any{"service_period.start": "2026-02-30"}), 422, "service_period.start"},
		{"schedule date 9999-99-99", orderWith(t, member, map[string]any{"schedule.0.date": "9999-99-99"}), 422, "schedule[0].date"},
		{"offer valid until 0000-00-00", orderWith(t, member, map[string]any{"offer_valid_until": "0000-00-00"}), 422, "offer_valid_until"},
		{"negative schedule amount", orderWith(t, member, map[string]any{"schedule.0.amount": "-1000.00"}), 422, "schedule[0].amount"},
		{"member line VAT 1000%", orderWith(t, member, map[string]any{"lines.0.vat_rate": "1000"}), 422, "body"},
		{"member line quantity 0", orderWith(t, member, map[string]any{"lines.0.quantity": 0}), 422, "lines"},
		{"text over the limit", orderWith(t, market, map[string]any{"category": strings.Repeat("é", 2001)}), 422, "category"},
		{"101 items", orderWith(t, market, map[string]any{"items": manyItems(101)}), 422, "items"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h, tc2 := fuzzAPI(t, "")
			role := lifecycle.Customer
			if strings.Contains(string(tc.body), `"flow":"member"`) {
				role = lifecycle.Member
			}
			rec := send(h, "POST", "/v1/orders", bearer(t, role, "c-1"), tc.body)
			p := problemOf(t, rec, tc.status)
			if tc.field != "" && p.Errors[tc.field] == "" {
				t.Errorf("the problem does not name %s: %+v", tc.field, p)
			}
			if starts, _ := tc2.counts(); starts != 0 {
				t.Fatalf("a refused order was started")
			}
		})
	}
}

func manyItems(n int) []any {
	items := make([]any, n)
	for i := range items {
		items[i] = map[string]any{"description": "Brick", "quantity": 1, "unit_price": "1.00", "vat_rate": 21}
	}
	return items
}

// Text tricks that are valid UTF-8 are data: the order keeps them exactly
// (templates and PDFs escape them), or refuses them, but never fails.
func TestTrickyTextIsKeptExactlyOrRefused(t *testing.T) {
	for name, text := range map[string]string{
		"SQL":               `'; DROP TABLE orders;--`,
		"SQL in quotes":     `Robert"); DELETE FROM orders WHERE ("1"="1`,
		"RTL override":      "Invoice \u202egpj.exe",
		"zero-width joiner": "Ce\u200dment",
		"NUL":               "Cement\x00 25 kg",
		"HTML":              `<script>alert(1)</script>`,
		"emoji":             "🧱 Bricks",
	} {
		t.Run(name, func(t *testing.T) {
			h, tc := fuzzAPI(t, "")
			body := orderWith(t, seedMarketplaceOrder, map[string]any{"customer_name": text, "items.0.description": text, "category": text})
			rec := send(h, "POST", "/v1/orders", bearer(t, lifecycle.Customer, "c-1"), body)
			checkAnswer(t, rec, body)
			if rec.Code != http.StatusCreated {
				if starts, _ := tc.counts(); starts != 0 {
					t.Fatalf("refused with %d but started", rec.Code)
				}
				return
			}
			in := tc.lastStart().(workflows.MarketplaceInput)
			if in.CustomerName != text || in.Items[0].Description != text || in.Category != text {
				t.Fatalf("the text was changed: %q / %q / %q", in.CustomerName, in.Items[0].Description, in.Category)
			}
		})
	}
}

func TestSQLishStringsInPathsAndQueries(t *testing.T) {
	pool := pgtest.New(t)
	d := testDeps(nil)
	rec := &recordingTemporal{flow: "marketplace"}
	d.Temporal, d.Store = rec, store.New(pool)
	h := New(d)
	ops := bearer(t, lifecycle.Ops, "o-1")
	sqlish := "%27%3B%20DROP%20TABLE%20orders%3B--"

	answer := send(h, "GET", "/v1/orders?q="+sqlish+"&status="+sqlish+"&owner="+sqlish+"&flow="+sqlish, ops, nil)
	if answer.Code != http.StatusOK {
		checkAnswer(t, answer, nil)
		if answer.Code != http.StatusBadRequest && answer.Code != http.StatusUnprocessableEntity {
			t.Fatalf("list with SQL-ish filters = %d: %s", answer.Code, answer.Body)
		}
	}
	problemOf(t, send(h, "GET", "/v1/orders?cursor="+sqlish, ops, nil), 400)
	problemOf(t, send(h, "GET", "/v1/orders/"+sqlish, ops, nil), 404)
	problemOf(t, send(h, "POST", "/v1/orders/"+sqlish+"/actions/cancel", ops, []byte(`{"reason":"x"}`)), 404)
	if _, updates := rec.counts(); updates != 0 {
		t.Fatalf("an update reached a workflow for an unknown order")
	}
	var n int
	if err := pool.QueryRow(context.Background(), `SELECT count(*) FROM orders`).Scan(&n); err != nil {
		t.Fatalf("the orders table is gone or broken: %v", err)
	}
}

func TestHugeBodies(t *testing.T) {
	huge := []byte(`{"flow":"marketplace","customer_name":"` + strings.Repeat("x", 2<<20) + `"}`)
	for _, path := range []string{"/v1/orders", "/v1/orders/" + testOrderID + "/actions/cancel", "/v1/webhooks/payments"} {
		for _, chunked := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s chunked=%v", path, chunked), func(t *testing.T) {
				h, tc := fuzzAPI(t, "marketplace")
				req := httptest.NewRequest("POST", path, strings.NewReader(string(huge)))
				req.Header.Set("Authorization", bearer(t, lifecycle.Purchasing, "p-1"))
				if chunked {
					req.ContentLength = -1 // the limit must hold without a declared length
				}
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				problemOf(t, rec, http.StatusRequestEntityTooLarge)
				if starts, updates := tc.counts(); starts+updates != 0 {
					t.Fatalf("a huge body reached a workflow")
				}
			})
		}
	}
}

func TestHostileActionBodies(t *testing.T) {
	// encoding/json refuses nesting beyond 10000 levels; at exactly 10000
	// the body decodes and is refused for its unknown field.
	deep := strings.Repeat(`{"a":`, 10001) + "1" + strings.Repeat("}", 10001)
	deepest := strings.Repeat(`{"a":`, 10000) + "1" + strings.Repeat("}", 10000)
	cases := []struct {
		action, body string
		status       int
		field        string
	}{
		{"cancel", deep, 400, ""},
		{"cancel", deepest, 422, "body"},
		{"cancel", "{\"reason\":\"\xc0\xaf\"}", 400, ""},
		{"cancel", `{"reason":""}`, 422, "reason"},
		{"cancel", `{"reason":"` + strings.Repeat("x", 2001) + `"}`, 422, "reason"},
		{"cancel", `{"reason":"x","request_id":"a b"}`, 400, ""},
		{"set_margin", `{"margin_percent":-5}`, 422, "body"},
		{"set_margin", `{"margin_percent":100}`, 422, "margin_percent"},
		{"set_margin", `{"margin_percent":1e400}`, 422, "body"},
		{"upload_invoice", `{"number":"INV-1","amount":"-10.00"}`, 422, "amount"},
		{"upload_invoice", `{"number":"INV-1","amount":"1000000000000.01"}`, 422, "body"},
		{"upload_invoice", `{"number":"INV-1","amount":"0"}`, 422, "amount"},
		{"mark_delivered", `{"note":"ok","extra":1}`, 422, "body"},
		{"nonsense_action", `{}`, 404, ""},
		// Only the workflow's timers apply these: a person is refused as a
		// role that may never, before the body is even read.
		{"fulfilment_deadline_elapsed", `{}`, 403, ""},
		{"payment_window_elapsed", deep, 403, ""},
		{"payment_confirmed", `{"payment_id":"pay_1","amount":"10.00"}`, 403, ""},
	}
	for _, tc := range cases {
		t.Run(tc.action+" "+truncate(tc.body, 30), func(t *testing.T) {
			h, rt := fuzzAPI(t, "marketplace")
			role := lifecycle.Purchasing
			if tc.action == "upload_invoice" || tc.action == "mark_delivered" {
				role = lifecycle.Supplier
			}
			p := problemOf(t, send(h, "POST", "/v1/orders/"+testOrderID+"/actions/"+tc.action, bearer(t, role, "sup_alpha"), []byte(tc.body)), tc.status)
			if tc.field != "" && p.Errors[tc.field] == "" {
				t.Errorf("the problem does not name %s: %+v", tc.field, p)
			}
			if _, updates := rt.counts(); updates != 0 {
				t.Fatalf("a refused action reached the workflow")
			}
		})
	}
	// The member flow's payloads: dates and entries out of range.
	for body, field := range map[string]string{
		`{"entry":1,"date":"2026-02-30"}`:   "date",
		`{"entry":0}`:                       "entry",
		`{"entry":-1,"amount":"5"}`:         "entry",
		`{"entry":1,"amount":"-5"}`:         "amount",
		`{"entry":99999999999999999999999}`: "body",
		`{"entry":1,"lines":[{"description":"x","quantity":1,"unit_price":"1","vat_rate":1000}]}`: "body",
	} {
		h, rt := fuzzAPI(t, "member")
		p := problemOf(t, send(h, "POST", "/v1/orders/"+testOrderID+"/actions/resolve_changes", bearer(t, lifecycle.Staff, "s-1"), []byte(body)), 422)
		if p.Errors[field] == "" {
			t.Errorf("%s: the problem does not name %s: %+v", body, field, p)
		}
		if _, updates := rt.counts(); updates != 0 {
			t.Fatalf("%s: a refused action reached the workflow", body)
		}
	}
}

func TestHostileTokens(t *testing.T) {
	claims := func(exp time.Time) jwt.MapClaims {
		return jwt.MapClaims{"role": "ops", "sub": "o-1", "iss": "orderflow", "aud": []string{"orderflow-api"}, "iat": time.Now().Unix(), "exp": exp.Unix()}
	}
	sign := func(c jwt.MapClaims, secret string) string {
		s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString([]byte(secret))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	good := sign(claims(time.Now().Add(time.Hour)), testSecret)
	parts := strings.Split(good, ".")
	enc := base64.RawURLEncoding.EncodeToString
	none := enc([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + parts[1] + "."
	promoted := parts[0] + "." + enc([]byte(`{"role":"ops","sub":"o-2","iss":"orderflow","aud":["orderflow-api"],"exp":9999999999}`)) + "." + parts[2]
	hs512, _ := jwt.NewWithClaims(jwt.SigningMethodHS512, claims(time.Now().Add(time.Hour))).SignedString([]byte(testSecret))
	noExp := claims(time.Now())
	delete(noExp, "exp")
	badRole := claims(time.Now().Add(time.Hour))
	badRole["role"] = "root"
	otherAudience := claims(time.Now().Add(time.Hour))
	otherAudience["aud"] = []string{"someone-else"}

	h, rt := fuzzAPI(t, "marketplace")
	if rec := send(h, "GET", "/v1/orders/"+testOrderID, "Bearer "+good, nil); rec.Code != 200 {
		t.Fatalf("the well-signed token is refused (%d): the cases below prove nothing", rec.Code)
	}
	for name, authz := range map[string]string{
		"expired":           "Bearer " + sign(claims(time.Now().Add(-time.Minute)), testSecret),
		"wrong secret":      "Bearer " + sign(claims(time.Now().Add(time.Hour)), "another-secret-another-secret-xx"),
		"alg none":          "Bearer " + none,
		"tampered payload":  "Bearer " + promoted,
		"HS512":             "Bearer " + hs512,
		"no expiry":         "Bearer " + sign(noExp, testSecret),
		"unknown role":      "Bearer " + sign(badRole, testSecret),
		"other audience":    "Bearer " + sign(otherAudience, testSecret),
		"truncated":         "Bearer " + good[:len(good)-5],
		"garbage":           "Bearer \x00\u202e'; DROP TABLE orders;--",
		"empty bearer":      "Bearer ",
		"basic scheme":      "Basic " + enc([]byte("ops:ops")),
		"token without tag": good,
		"missing":           "",
	} {
		t.Run(name, func(t *testing.T) {
			for _, r := range []struct{ method, path, body string }{
				{"GET", "/v1/orders/" + testOrderID, ""},
				{"POST", "/v1/orders/" + testOrderID + "/actions/cancel", `{"reason":"forged"}`},
				{"POST", "/v1/orders", seedMarketplaceOrder},
			} {
				rec := send(h, r.method, r.path, authz, []byte(r.body))
				problemOf(t, rec, http.StatusUnauthorized)
				if !strings.HasPrefix(rec.Header().Get("WWW-Authenticate"), "Bearer") {
					t.Errorf("%s %s: no WWW-Authenticate challenge", r.method, r.path)
				}
			}
		})
	}
	if starts, updates := rt.counts(); starts+updates != 0 {
		t.Fatalf("a refused token reached a workflow: %d starts, %d updates", starts, updates)
	}
}

func TestHostileWebhooks(t *testing.T) {
	secret := []byte("webhook-test-secret")
	event := []byte(`{"id":"evt_1","type":"payment.succeeded","created":1767225600,"data":{"payment_id":"pay_1","order_id":"ord_1","amount":"10.00","currency":"EUR"}}`)
	now := time.Now()
	api := func() (http.Handler, *recordingTemporal) {
		rt := &recordingTemporal{flow: "marketplace"}
		d := testDeps(nil)
		d.Temporal, d.WebhookSecret = rt, secret
		return New(d), rt
	}
	post := func(h http.Handler, signature string, body []byte) *httptest.ResponseRecorder {
		req := httptest.NewRequest("POST", "/v1/webhooks/payments", strings.NewReader(string(body)))
		if signature != "" {
			req.Header.Set(payments.SignatureHeader, signature)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}

	h, rt := api()
	if rec := post(h, payments.Sign(secret, event, now), event); rec.Code != 200 {
		t.Fatalf("a well-signed event = %d: %s", rec.Code, rec.Body)
	}
	if _, updates := rt.counts(); updates != 1 {
		t.Fatalf("a well-signed event made %d updates, want 1", updates)
	}

	good := payments.Sign(secret, event, now)
	tampered := []byte(strings.Replace(string(event), `"10.00"`, `"0.01"`, 1))
	flipped := good[:len(good)-1] + string("0123456789abcdef"[(strings.IndexByte("0123456789abcdef", good[len(good)-1])+1)%16])
	for name, tc := range map[string]struct {
		signature string
		body      []byte
		status    int
	}{
		"tampered body":         {good, tampered, 401},
		"flipped signature":     {flipped, event, 401},
		"wrong secret":          {payments.Sign([]byte("not-the-secret"), event, now), event, 401},
		"stale timestamp":       {payments.Sign(secret, event, now.Add(-time.Hour)), event, 401},
		"timestamp from future": {payments.Sign(secret, event, now.Add(time.Hour)), event, 401},
		"missing header":        {"", event, 400},
		"malformed header":      {"v1=abc", event, 400},
		"SQL-ish header":        {"'; DROP TABLE orders;--", event, 400},
	} {
		t.Run(name, func(t *testing.T) {
			h, rt := api()
			problemOf(t, post(h, tc.signature, tc.body), tc.status)
			if _, updates := rt.counts(); updates != 0 {
				t.Fatalf("a refused webhook confirmed a payment")
			}
		})
	}
}

func TestHostileClientLinks(t *testing.T) {
	// Temporal is nil: a link that reached the order would panic into a 500.
	h, links := clientAPI(t, nil)
	link := newClientLink(t, links, "ord_A/confirmation/1", "ord_A", nextWeek())
	tok := link.Token
	last := tok[len(tok)-1]
	swap := byte('A')
	if last == 'A' {
		swap = 'B'
	}
	for name, path := range map[string]string{
		"tampered last character": "/c/" + tok[:len(tok)-1] + string(swap),
		"truncated":               "/c/" + tok[:len(tok)-3],
		"unknown":                 "/c/cl_00000000000000000000000000.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		"SQL-ish":                 "/c/%27%3B%20DROP%20TABLE%20client_links%3B--",
		"huge":                    "/c/" + strings.Repeat("x", 5000),
		"unicode":                 "/c/%E2%80%AE" + tok,
	} {
		t.Run(name, func(t *testing.T) {
			for _, method := range []string{"GET", "POST"} {
				p := path
				if method == "POST" {
					p += "/confirm"
				}
				htmlPage(t, do(t, h, method, p, nil, nil), http.StatusNotFound)
			}
		})
	}
}

package api

// What the API trusts, issue 11: roles no person holds, Temporal's own text,
// bearer links in logs and frames, malformed queries and ids, the body limit
// and the live feed outliving its token.

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"

	"github.com/orderflow/orderflow/internal/auth"
	"github.com/orderflow/orderflow/internal/money"
	"github.com/orderflow/orderflow/internal/payments"
	"github.com/orderflow/orderflow/internal/pgtest"
	"github.com/orderflow/orderflow/internal/store"
	"github.com/orderflow/orderflow/lifecycle"
)

// leakMarkers are texts no answer may carry: Temporal's internals, Postgres
// error codes, Go stack traces.
var leakMarkers = []string{"KnownUpdates", "nknown update", "SQLSTATE", "goroutine ", "serviceerror", "workflow not found", ".go:"}

func checkNoLeak(t *testing.T, what string, body []byte) {
	t.Helper()
	for _, m := range leakMarkers {
		if bytes.Contains(body, []byte(m)) {
			t.Errorf("%s: the answer carries %q: %s", what, m, body)
		}
	}
}

// forgedToken is a token signed with the API's secret by hand, as anyone
// holding the secret (or a bug in a minting tool) could make it.
func forgedToken(t *testing.T, role lifecycle.Role, sub string) string {
	t.Helper()
	now := time.Now()
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"role": string(role), "sub": sub, "iss": "orderflow", "aud": []string{"orderflow-api"},
		"iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
	}).SignedString([]byte(testSecret))
	if err != nil {
		t.Fatal(err)
	}
	return "Bearer " + s
}

// A system token confirmed a payment that never happened. No token may name
// system or client, and the actions only the order itself applies (timers,
// the payment webhook, the client's link page) are refused with a plain 403
// to every person, before the workflow is asked.
func TestInternalActionsAreRefusedToEveryToken(t *testing.T) {
	for _, flow := range []string{"marketplace", "member"} {
		table, _ := lifecycle.FlowNamed(flow)
		internal := lifecycle.InternalActions(table)
		if len(internal) == 0 {
			t.Fatalf("%s: no internal actions: the test proves nothing", flow)
		}
		for _, a := range internal {
			for _, role := range lifecycle.PersonRoles {
				h, rt := fuzzAPI(t, flow)
				rec := send(h, "POST", "/v1/orders/"+testOrderID+"/actions/"+string(a), bearer(t, role, "x-1"), []byte(`{"payment_id":"pay_1","amount":"10.00","reason":"x"}`))
				p := problemOf(t, rec, http.StatusForbidden)
				if !strings.Contains(p.Detail, string(a)) {
					t.Errorf("%s %s as %s: the 403 does not name the action: %s", flow, a, role, p.Detail)
				}
				checkNoLeak(t, flow+" "+string(a), rec.Body.Bytes())
				if _, updates := rt.counts(); updates != 0 {
					t.Fatalf("%s %s as %s reached the workflow", flow, a, role)
				}
			}
			for _, role := range []lifecycle.Role{lifecycle.System, lifecycle.Client} {
				h, rt := fuzzAPI(t, flow)
				rec := send(h, "POST", "/v1/orders/"+testOrderID+"/actions/"+string(a), forgedToken(t, role, "payments-webhook"), []byte(`{"payment_id":"pay_1","amount":"10.00"}`))
				problemOf(t, rec, http.StatusUnauthorized)
				checkNoLeak(t, flow+" "+string(a)+" as "+string(role), rec.Body.Bytes())
				if _, updates := rt.counts(); updates != 0 {
					t.Fatalf("a forged %s token applied %s %s", role, flow, a)
				}
			}
		}
	}
	// Who the token says it is: /v1/me refuses the forged ones too.
	h, _ := fuzzAPI(t, "marketplace")
	for _, role := range []lifecycle.Role{lifecycle.System, lifecycle.Client} {
		problemOf(t, send(h, "GET", "/v1/me", forgedToken(t, role, "s"), nil), http.StatusUnauthorized)
	}
}

// refusingTemporal answers every update with err, as Temporal would for an
// update the workflow has no handler for.
type refusingTemporal struct {
	*recordingTemporal
	err error
}

func (r refusingTemporal) UpdateWorkflow(ctx context.Context, o client.UpdateWorkflowOptions) (client.WorkflowUpdateHandle, error) {
	_, _ = r.recordingTemporal.UpdateWorkflow(ctx, o)
	return nil, r.err
}

// Only the workflow's own refusals reach callers with their text; anything
// else Temporal says (an unknown update and the list of known ones, a failed
// handler) is replaced by a plain message.
func TestTemporalTextNeverReachesCallers(t *testing.T) {
	cases := map[string]error{
		"unknown update, SDK type": temporal.NewApplicationError("unknown update cancel. KnownUpdates=[accept approve_credit cancel_internal]", "errorString"),
		"unknown update, no type":  temporal.NewApplicationError("unknown update cancel. KnownUpdates=[accept]", ""),
		"refusal code, no details": temporal.NewApplicationError("unknown update cancel. KnownUpdates=[accept]", "SomethingNew"),
		"panic in a handler":       temporal.NewApplicationError("runtime error: index out of range [3] with length 2 (at member.go:120)", "PanicError"),
	}
	for name, err := range cases {
		t.Run(name, func(t *testing.T) {
			rt := &recordingTemporal{flow: "marketplace"}
			d := testDeps(nil)
			d.Temporal = refusingTemporal{recordingTemporal: rt, err: err}
			rec := send(New(d), "POST", "/v1/orders/"+testOrderID+"/actions/cancel", bearer(t, lifecycle.Purchasing, "p-1"), []byte(`{"reason":"changed plans"}`))
			checkAnswer(t, rec, nil)
			if rec.Code < 400 {
				t.Fatalf("status %d for a failed update", rec.Code)
			}
			checkNoLeak(t, name, rec.Body.Bytes())
			if strings.Contains(rec.Body.String(), "index out of range") {
				t.Errorf("the handler's panic reached the caller: %s", rec.Body)
			}
		})
	}
	// A refusal of the workflow's (its code and its details) keeps its words.
	r := lifecycle.Refusal{Code: "RequestIDTaken", Action: "cancel", Status: "pending", Reason: "request id r-1 was used by another caller"}
	refusal := temporal.NewApplicationErrorWithOptions(r.Reason, r.Code, temporal.ApplicationErrorOptions{NonRetryable: true, Details: []any{r}})
	d := testDeps(nil)
	d.Temporal = refusingTemporal{recordingTemporal: &recordingTemporal{flow: "marketplace"}, err: refusal}
	rec := send(New(d), "POST", "/v1/orders/"+testOrderID+"/actions/cancel", bearer(t, lifecycle.Purchasing, "p-1"), []byte(`{"reason":"changed plans"}`))
	if p := problemOf(t, rec, http.StatusConflict); !strings.Contains(p.Detail, "used by another caller") {
		t.Fatalf("the workflow's own refusal lost its reason: %+v", p)
	}
}

// countingTemporal answers the order query like Temporal: an id it does not
// know is not found, one with bytes it cannot take fails; it counts queries.
type countingTemporal struct {
	*recordingTemporal
	mu      sync.Mutex
	queries int
}

func (c *countingTemporal) QueryWorkflow(ctx context.Context, id, run, name string, args ...any) (converter.EncodedValue, error) {
	c.mu.Lock()
	c.queries++
	c.mu.Unlock()
	if !orderIDPattern.MatchString(id) {
		return nil, serviceerror.NewInvalidArgument("workflow id " + id + " is invalid: SQLSTATE 22021")
	}
	return c.recordingTemporal.QueryWorkflow(ctx, id, run, name, args...)
}

func (c *countingTemporal) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.queries
}

// Malformed queries and ids are refused with what is wrong, before Postgres
// or Temporal sees them: never a 5xx, never silently ignored.
func TestMalformedQueriesAndIDsAreRefused(t *testing.T) {
	pool := pgtest.New(t)
	d := testDeps(nil)
	ct := &countingTemporal{recordingTemporal: &recordingTemporal{flow: "marketplace"}}
	d.Temporal, d.Store = ct, store.New(pool)
	h := New(d)
	ops, purchasing := bearer(t, lifecycle.Ops, "o-1"), bearer(t, lifecycle.Purchasing, "p-1")

	for _, tc := range []struct {
		path   string
		status int
		field  string // named in the problem's errors, when set
	}{
		{"/v1/orders?q=bricks%00", 400, "q"},
		{"/v1/orders?owner=%ff%fe", 400, "owner"},
		{"/v1/orders?supplier=sup%0Aalpha", 400, "supplier"},
		{"/v1/orders?cursor=%%%%", 400, ""},
		{"/v1/orders?cursor=%zz", 400, ""},
		{"/v1/orders?cursor=not+a+cursor!", 400, "cursor"},
		{"/v1/orders?cursor=eyJub3QiOiJvdXJzIn0", 400, ""}, // base64url, but not a cursor of ours
		{"/v1/orders?limit=5abc", 422, "limit"},
		{"/v1/orders?limit=+5", 422, "limit"},
		{"/v1/orders?limit=%205", 422, "limit"},
		{"/v1/orders?limit=0x10", 422, "limit"},
		{"/v1/orders?limit=0", 422, "limit"},
		{"/v1/orders?flow=bogus", 422, "flow"},
		{"/v1/orders?status=bogus", 422, "status"},
		{"/v1/orders?flow=member&status=pending", 422, "status"}, // a marketplace status
		{"/v1/orders/" + testOrderID + "?x=%00", 400, "x"},
	} {
		rec := send(h, "GET", tc.path, ops, nil)
		p := problemOf(t, rec, tc.status)
		if tc.field != "" && p.Errors[tc.field] == "" {
			t.Errorf("%s: the problem does not name %s: %+v", tc.path, tc.field, p)
		}
		checkNoLeak(t, tc.path, rec.Body.Bytes())
	}
	// Well-formed filters still list.
	for _, path := range []string{"/v1/orders?limit=5", "/v1/orders?status=pending", "/v1/orders?flow=member&status=draft", "/v1/orders?q=%C3%A9t%C3%A9"} {
		if rec := send(h, "GET", path, ops, nil); rec.Code != http.StatusOK {
			t.Errorf("%s = %d: %s", path, rec.Code, rec.Body)
		}
	}

	queriesBefore := ct.count()
	for _, path := range []string{
		"/v1/orders/ord_%C3%A9t%C3%A9",                            // non-ASCII
		"/v1/orders/ord_1",                                        // not a ULID
		"/v1/orders/ord_01jq3zk7vx4y2t9m8n6p5r3s1a",               // lower case: not as minted
		"/v1/orders/" + testOrderID + "%00",                       // NUL
		"/v1/orders/%FF%FE",                                       // invalid UTF-8
		"/v1/orders/" + testOrderID + "/documents/doc%00",         // NUL in a document id
		"/v1/orders/" + testOrderID + "/documents/%C3%A9",         // outside the documents' alphabet
		"/v1/orders/ord_%C3%A9t%C3%A9/actions/cancel",             // an action on a malformed id
		"/v1/suppliers/sup%00",                                    // NUL in a supplier id
		"/v1/suppliers/%FF/feed",                                  // invalid UTF-8
		"/v1/suppliers/sup%20alpha",                               // outside the suppliers' alphabet
		"/v1/suppliers/" + strings.Repeat("s", 65),                // too long
		"/v1/invoices/inv%00/paid",                                // any id: control characters
		"/v1/orders/" + testOrderID + "/documents/" + "%E2%80%AE", // a bidi override
	} {
		method := "GET"
		if strings.HasSuffix(path, "/actions/cancel") || strings.HasSuffix(path, "/paid") {
			method = "POST"
		}
		rec := send(h, method, path, purchasing, []byte(`{"reason":"x"}`))
		problemOf(t, rec, http.StatusNotFound)
		checkNoLeak(t, path, rec.Body.Bytes())
	}
	if n := ct.count() - queriesBefore; n != 0 {
		t.Errorf("%d malformed ids reached Temporal", n)
	}
	if _, updates := ct.counts(); updates != 0 {
		t.Errorf("%d updates for malformed ids", updates)
	}
}

func TestIdempotencyKeyIsChecked(t *testing.T) {
	for name, key := range map[string]string{
		"too long":      strings.Repeat("k", 129),
		"non-ASCII":     "clé-1",
		"control":       "key\x01",
		"empty":         "",
		"DEL character": "key\x7f",
	} {
		t.Run(name, func(t *testing.T) {
			h, rt := fuzzAPI(t, "marketplace")
			req := httptest.NewRequest("POST", "/v1/orders", strings.NewReader(seedMarketplaceOrder))
			req.Header.Set("Authorization", bearer(t, lifecycle.Customer, "c-1")) // a valid order: only the key is wrong
			req.Header["Idempotency-Key"] = []string{key}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			p := problemOf(t, rec, http.StatusBadRequest)
			if p.Errors["Idempotency-Key"] == "" || !strings.Contains(p.Detail, "128") {
				t.Errorf("the problem does not say what is wrong: %+v", p)
			}
			if starts, _ := rt.counts(); starts != 0 {
				t.Fatal("an order was started with a refused key")
			}
		})
	}
	h, rt := fuzzAPI(t, "marketplace")
	req := httptest.NewRequest("POST", "/v1/orders", strings.NewReader(seedMarketplaceOrder))
	req.Header.Set("Authorization", bearer(t, lifecycle.Customer, "c-1"))
	req.Header["Idempotency-Key"] = []string{"a", "b"}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	problemOf(t, rec, http.StatusBadRequest)
	if starts, _ := rt.counts(); starts != 0 {
		t.Fatal("an order was started with two keys")
	}

	// 128 printable characters are a key.
	req = httptest.NewRequest("POST", "/v1/orders", strings.NewReader(seedMarketplaceOrder))
	req.Header.Set("Authorization", bearer(t, lifecycle.Customer, "c-1"))
	req.Header.Set("Idempotency-Key", strings.Repeat("k", 127)+"~")
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if starts, _ := rt.counts(); starts != 1 {
		t.Fatalf("a 128-character key was refused: %d %s", rec.Code, rec.Body)
	}
}

// Orders are small: a body over 128 KiB is refused, and the answer says the limit.
func TestBodyLimitIs128KiB(t *testing.T) {
	body := []byte(`{"flow":"marketplace","customer_name":"` + strings.Repeat("x", 130<<10) + `"}`)
	for _, chunked := range []bool{false, true} {
		h, rt := fuzzAPI(t, "marketplace")
		req := httptest.NewRequest("POST", "/v1/orders", bytes.NewReader(body))
		req.Header.Set("Authorization", bearer(t, lifecycle.Purchasing, "p-1"))
		if chunked {
			req.ContentLength = -1
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		p := problemOf(t, rec, http.StatusRequestEntityTooLarge)
		if !strings.Contains(p.Detail, "128 KiB") {
			t.Errorf("chunked=%v: the 413 does not say the limit: %s", chunked, p.Detail)
		}
		if starts, _ := rt.counts(); starts != 0 {
			t.Fatal("an oversized body started an order")
		}
	}
}

// lockedBuffer is a log sink the handlers may write from several goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func payAPI(t *testing.T, log *slog.Logger) (http.Handler, payments.Link) {
	t.Helper()
	pool := pgtest.New(t)
	sandbox := payments.NewSandbox(pool, "http://localhost:8080", []byte("trust-test-webhook-secret"))
	link, err := sandbox.CreateLink(supplierCtx(t), payments.LinkRequest{
		Key: testOrderID + "/payment", OrderID: testOrderID, Amount: money.Amount(1250), Currency: "EUR",
		Description: "Bricks", CustomerEmail: "c@example.com", ExpiresAt: time.Now().Add(24 * time.Hour),
	})
	if err != nil {
		t.Fatal(err)
	}
	d := testDeps(nil)
	d.Payments, d.Logger = sandbox, log
	return New(d), link
}

// The pay page's URL is the payment link: like the client's page it is
// never cached, never sent as a Referer and never framed.
func TestPayPageIsProtectedLikeTheClientPage(t *testing.T) {
	h, link := payAPI(t, slog.New(slog.NewTextHandler(io.Discard, nil)))
	path := strings.TrimPrefix(link.URL, "http://localhost:8080")
	for name, p := range map[string]string{"pay page": path, "unknown link": "/pay/not-a-link"} {
		rec := send(h, "GET", p, "", nil)
		if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
			t.Fatalf("%s: %d %s", name, rec.Code, ct)
		}
		hdr := rec.Header()
		if hdr.Get("Cache-Control") != "no-store" || hdr.Get("Referrer-Policy") != "no-referrer" || hdr.Get("X-Frame-Options") != "DENY" ||
			!strings.Contains(hdr.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
			t.Errorf("%s: headers %v: the page may be cached, sent as a Referer or framed", name, hdr)
		}
	}
}

// The access log names the route and a digest of a link's token, never the
// token: whoever reads the logs must not be able to pay or answer an order.
func TestAccessLogHoldsNoLinkToken(t *testing.T) {
	logs := &lockedBuffer{}
	h, link := payAPI(t, slog.New(slog.NewJSONHandler(logs, nil)))
	path := strings.TrimPrefix(link.URL, "http://localhost:8080")
	token := strings.TrimPrefix(path, "/pay/")
	clientToken := "cl_01JQ3ZK7VX4Y2T9M8N6P5R3S1A.c2VjcmV0LXBhcnQtb2YtdGhlLWxpbms"
	for _, r := range []struct{ method, path string }{
		{"GET", path},
		{"GET", path + "/extra"}, // unmatched: still a link's token
		{"GET", "/c/" + clientToken},
		{"POST", "/c/" + clientToken + "/confirm"},
		{"GET", "/c/" + clientToken + "/done"},
	} {
		send(h, r.method, r.path, "", nil)
	}
	out := logs.String()
	if !strings.Contains(out, `"route":"/pay/:token"`) || !strings.Contains(out, redactToken(token)) {
		t.Fatalf("the log does not name the route and the token's digest:\n%s", out)
	}
	for _, secret := range []string{token, clientToken, token[:len(token)/2], clientToken[len(clientToken)-16:]} {
		if strings.Contains(out, secret) {
			t.Fatalf("the access log holds a link token (%q):\n%s", secret, out)
		}
	}
	if got := redactPath("/c/" + clientToken + "/confirm"); got != "/c/"+redactToken(clientToken)+"/confirm" {
		t.Errorf("redactPath = %q", got)
	}
	if got := redactPath("/v1/orders/" + testOrderID); got != "/v1/orders/"+testOrderID {
		t.Errorf("redactPath changed an ordinary path: %q", got)
	}
}

// The live feed ends when the token that opened it expires, cleanly, and
// neither the server's read nor its write timeout cuts it before.
func TestFeedStreamEndsWhenItsTokenExpires(t *testing.T) {
	h, st := supplierAPI(t)
	seedSupplier(t, st, "sup-a", 50)
	srv := httptest.NewUnstartedServer(h)
	// Shorter than the token's life: the stream must set its own deadlines.
	srv.Config.ReadTimeout, srv.Config.WriteTimeout = time.Second, time.Second
	srv.Start()
	defer srv.Close()

	tokens := auth.NewTokens(testSecret)
	token, err := tokens.Mint(auth.Principal{Role: lifecycle.Supplier, Subject: "sup-a"}, 3*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	v, err := tokens.VerifyToken(token)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/v1/suppliers/sup-a/feed/stream", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("stream = %d", resp.StatusCode)
	}
	ended := make(chan error, 1)
	var events []string
	go func() {
		r := bufio.NewReader(resp.Body)
		for {
			line, err := r.ReadString('\n')
			if strings.HasPrefix(line, "event: ") {
				events = append(events, strings.TrimSpace(strings.TrimPrefix(line, "event: ")))
			}
			if err != nil {
				ended <- err
				return
			}
		}
	}()
	select {
	case err := <-ended:
		if !errors.Is(err, io.EOF) {
			t.Fatalf("the stream broke off (%v) instead of ending: a server timeout cut it", err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("the stream goes on a minute after its token expired")
	}
	if now := time.Now(); now.Before(v.Expires) {
		t.Fatalf("the stream ended at %s, before its token expired at %s", now.Format(time.RFC3339Nano), v.Expires.Format(time.RFC3339Nano))
	}
	if len(events) == 0 || events[0] != "snapshot" {
		t.Fatalf("events %v, want the snapshot first", events)
	}
}

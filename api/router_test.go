package api

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/orderflow/orderflow/internal/auth"
	"github.com/orderflow/orderflow/internal/payments"
	"github.com/orderflow/orderflow/lifecycle"
)

const testSecret = "router-test-secret-0123456789abcdef"

func testDeps(checks map[string]func(context.Context) error) Deps {
	return Deps{
		Tokens:    auth.NewTokens(testSecret),
		Logger:    slog.New(slog.NewTextHandler(io.Discard, nil)),
		Registry:  prometheus.NewRegistry(),
		Readiness: checks,
	}
}

func do(t *testing.T, h http.Handler, method, path string, body io.Reader, header map[string]string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, path, body)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func decodeProblem(t *testing.T, rec *httptest.ResponseRecorder, wantStatus int) Problem {
	t.Helper()
	if rec.Code != wantStatus {
		t.Fatalf("status = %d, want %d; body %s", rec.Code, wantStatus, rec.Body)
	}
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, problemContentType) {
		t.Fatalf("Content-Type = %q, want %s", ct, problemContentType)
	}
	var p Problem
	if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
		t.Fatal(err)
	}
	if p.Status != wantStatus || p.Type == "" || p.Title == "" || p.Detail == "" || p.RequestID == "" {
		t.Fatalf("incomplete problem: %+v", p)
	}
	return p
}

func TestHealthAndReadiness(t *testing.T) {
	ok := func(context.Context) error { return nil }
	down := func(context.Context) error { return errors.New("connection refused") }

	h := New(testDeps(map[string]func(context.Context) error{"postgres": ok, "temporal": ok}))
	if rec := do(t, h, "GET", "/healthz", nil, nil); rec.Code != 200 {
		t.Fatalf("healthz = %d", rec.Code)
	}
	if rec := do(t, h, "GET", "/readyz", nil, nil); rec.Code != 200 || !strings.Contains(rec.Body.String(), `"ready"`) {
		t.Fatalf("readyz = %d %s", rec.Code, rec.Body)
	}

	h = New(testDeps(map[string]func(context.Context) error{"postgres": ok, "temporal": down}))
	rec := do(t, h, "GET", "/readyz", nil, nil)
	var body struct {
		Status string
		Checks []checkResult
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatal(err)
	}
	if rec.Code != 503 || body.Status != "not ready" || len(body.Checks) != 2 ||
		body.Checks[1].Name != "temporal" || body.Checks[1].Status != "failing" || body.Checks[0].Status != "ok" {
		t.Fatalf("readyz with temporal down = %d %+v", rec.Code, body)
	}
}

func TestReadinessBoundsAHungCheck(t *testing.T) {
	hung := func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() }
	h := New(testDeps(map[string]func(context.Context) error{"temporal": hung}))
	if rec := do(t, h, "GET", "/readyz", nil, nil); rec.Code != 503 {
		t.Fatalf("readyz with a hung check = %d, want 503", rec.Code)
	}
}

func TestAuthentication(t *testing.T) {
	h := New(testDeps(nil))
	tokens := auth.NewTokens(testSecret)
	good, _ := tokens.Mint(auth.Principal{Role: lifecycle.Supplier, Subject: "sup-7"}, time.Hour)
	foreign, _ := auth.NewTokens("another-secret-another-secret-xx").Mint(auth.Principal{Role: lifecycle.Staff, Subject: "s"}, time.Hour)

	p := decodeProblem(t, do(t, h, "GET", "/v1/me", nil, nil), 401)
	if !strings.Contains(p.Detail, "Bearer") {
		t.Errorf("detail does not say how to authenticate: %q", p.Detail)
	}
	decodeProblem(t, do(t, h, "GET", "/v1/me", nil, map[string]string{"Authorization": "Basic abc"}), 401)
	p = decodeProblem(t, do(t, h, "GET", "/v1/me", nil, map[string]string{"Authorization": "Bearer " + foreign}), 401)
	if !strings.Contains(p.Detail, "signature") {
		t.Errorf("detail does not explain the refusal: %q", p.Detail)
	}

	rec := do(t, h, "GET", "/v1/me", nil, map[string]string{"Authorization": "Bearer " + good})
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), `"sup-7"`) || !strings.Contains(rec.Body.String(), `"supplier"`) {
		t.Fatalf("me = %d %s", rec.Code, rec.Body)
	}
}

func TestRequireRole(t *testing.T) {
	e := newEngine(testDeps(nil))
	e.GET("/v1/staff-only", authenticated(auth.NewTokens(testSecret)), requireRole(lifecycle.Staff, lifecycle.Ops), func(c *gin.Context) { c.Status(204) })
	tokens := auth.NewTokens(testSecret)
	member, _ := tokens.Mint(auth.Principal{Role: lifecycle.Member, Subject: "m-1"}, time.Hour)
	staff, _ := tokens.Mint(auth.Principal{Role: lifecycle.Staff, Subject: "s-1"}, time.Hour)

	p := decodeProblem(t, do(t, e, "GET", "/v1/staff-only", nil, map[string]string{"Authorization": "Bearer " + member}), 403)
	if !strings.Contains(p.Detail, "staff, ops") {
		t.Errorf("detail does not name the allowed roles: %q", p.Detail)
	}
	if rec := do(t, e, "GET", "/v1/staff-only", nil, map[string]string{"Authorization": "Bearer " + staff}); rec.Code != 204 {
		t.Fatalf("staff got %d", rec.Code)
	}
}

func TestUnknownRouteMethodAndBigBody(t *testing.T) {
	h := New(testDeps(nil))
	decodeProblem(t, do(t, h, "GET", "/nowhere", nil, nil), 404)
	decodeProblem(t, do(t, h, "DELETE", "/healthz", nil, nil), 405)

	big := strings.NewReader(strings.Repeat("x", maxBodyBytes+1))
	decodeProblem(t, do(t, h, "POST", "/v1/me", big, nil), 413)
}

func TestRequestIDIsEchoedOrMinted(t *testing.T) {
	h := New(testDeps(nil))
	rec := do(t, h, "GET", "/healthz", nil, map[string]string{requestIDHeader: "abc-123"})
	if got := rec.Header().Get(requestIDHeader); got != "abc-123" {
		t.Fatalf("request id = %q, want the caller's", got)
	}
	rec = do(t, h, "GET", "/healthz", nil, map[string]string{requestIDHeader: "evil\nline"})
	if got := rec.Header().Get(requestIDHeader); !strings.HasPrefix(got, "req_") {
		t.Fatalf("request id = %q, want a minted one instead of a forged one", got)
	}
}

func TestMetricsCountRequestsByRouteTemplate(t *testing.T) {
	h := New(testDeps(nil))
	do(t, h, "GET", "/healthz", nil, nil)
	do(t, h, "GET", "/nowhere/ord_123", nil, nil)
	body := do(t, h, "GET", "/metrics", nil, nil).Body.String()
	for _, want := range []string{
		`orderflow_http_requests_total{method="GET",route="/healthz",status="200"} 1`,
		`orderflow_http_requests_total{method="GET",route="unmatched",status="404"} 1`,
		`orderflow_http_request_duration_seconds_bucket{method="GET",route="/healthz"`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

// The served contract documents exactly the routes the router has.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	h := New(testDeps(nil))
	rec := do(t, h, "GET", "/openapi.yaml", nil, nil)
	if rec.Code != 200 {
		t.Fatalf("openapi.yaml = %d", rec.Code)
	}
	doc, err := openapi3.NewLoader().LoadFromData(rec.Body.Bytes())
	if err != nil {
		t.Fatalf("openapi.yaml does not load: %v", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("openapi.yaml is not valid: %v", err)
	}

	documented := map[string]bool{}
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			documented[method+" "+path] = true
		}
	}
	deps := testDeps(nil)
	deps.Inbox = emptyInbox{}
	deps.Payments = &payments.Sandbox{} // only its routes are needed here
	param := regexp.MustCompile(`:([a-z_]+)`)
	served := map[string]bool{}
	for _, r := range newEngine(deps).Routes() {
		served[r.Method+" "+param.ReplaceAllString(r.Path, "{$1}")] = true
	}
	for route := range served {
		if !documented[route] {
			t.Errorf("%s is served but not in openapi.yaml", route)
		}
	}
	for route := range documented {
		if !served[route] {
			t.Errorf("%s is in openapi.yaml but not served", route)
		}
	}
}

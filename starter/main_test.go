package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/orderflow/orderflow/api"
	"github.com/orderflow/orderflow/internal/auth"
	"github.com/orderflow/orderflow/lifecycle"
)

const testSecret = "starter-test-secret-0123456789abcd"

// routerSession points the starter at the real router with nothing behind
// it: enough for the commands that need no order.
func routerSession(t *testing.T) session {
	t.Helper()
	srv := httptest.NewServer(api.New(api.Deps{
		Tokens:   auth.NewTokens(testSecret),
		Logger:   slog.New(slog.NewTextHandler(io.Discard, nil)),
		Registry: prometheus.NewRegistry(),
	}))
	t.Cleanup(srv.Close)
	return session{
		api:   client{base: srv.URL, tokens: auth.NewTokens(testSecret), http: http.DefaultClient},
		webUI: "http://ui.test", namespace: "default", poll: 50 * time.Millisecond,
	}
}

func runOut(t *testing.T, s session, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	err := run(context.Background(), s, args, &out)
	return out.String(), err
}

func TestWhoamiAndHealth(t *testing.T) {
	s := routerSession(t)
	token, _ := auth.NewTokens(testSecret).Mint(auth.Principal{Role: lifecycle.Staff, Subject: "s-9"}, time.Hour)
	s.api.token = token
	if out, err := runOut(t, s, "whoami"); err != nil || !strings.Contains(out, `"s-9"`) {
		t.Fatalf("whoami with ORDERFLOW_TOKEN: %v, %q", err, out)
	}
	if out, err := runOut(t, s, "whoami", "--as", "purchasing:p-7"); err != nil || !strings.Contains(out, `"p-7"`) || !strings.Contains(out, "purchasing") {
		t.Fatalf("whoami --as: %v, %q", err, out)
	}
	if _, err := runOut(t, s, "health"); err != nil {
		t.Fatalf("health: %v", err)
	}

	s.api.token = "forged"
	_, err := runOut(t, s, "whoami")
	if err == nil || !strings.Contains(err.Error(), "401") || !strings.Contains(err.Error(), "well-formed") {
		t.Fatalf("whoami with a forged token: %v", err)
	}
}

func TestTokenMintsWhatTheAPIAccepts(t *testing.T) {
	s := routerSession(t)
	out, err := runOut(t, s, "token", "--role", "supplier", "--sub", "sup_demo_1", "--ttl", "1h")
	if err != nil {
		t.Fatal(err)
	}
	p, err := auth.NewTokens(testSecret).Verify(strings.TrimSpace(out))
	if err != nil || p.Role != lifecycle.Supplier || p.Subject != "sup_demo_1" {
		t.Fatalf("minted token names %+v: %v", p, err)
	}
	if _, err := runOut(t, s, "token", "--role", "king", "--sub", "x"); err == nil || !strings.Contains(err.Error(), "unknown role") {
		t.Fatalf("an unknown role: %v", err)
	}
	if _, err := runOut(t, s, "token", "--role", "staff"); err == nil {
		t.Fatal("a token without a subject was minted")
	}
}

func TestBadUsageIsRefusedWithHelp(t *testing.T) {
	s := routerSession(t)
	for _, args := range [][]string{
		{},
		{"launch"},
		{"act", "ord_1"},                    // no action
		{"show"},                            // no id
		{"show", "ord_1", "--as", "nobody"}, // not ROLE:ID
		{"act", "ord_1", "release", "--json", "{not json"},
		{"create", "--flow", "barter"},
	} {
		if _, err := runOut(t, s, args...); err == nil {
			t.Errorf("%q succeeded", args)
		}
	}
	if _, err := runOut(t, s, "show", "-h"); err != nil {
		t.Errorf("-h is not an error: %v", err)
	}
	s.api.tokens = nil
	if _, err := runOut(t, s, "list"); err == nil || !strings.Contains(err.Error(), "no token secret") {
		t.Errorf("list with neither token nor secret: %v", err)
	}
}

func TestOrderBodyFromAFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "order.json")
	if err := os.WriteFile(path, []byte(`{"customer_email": "x@example.com"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := orderBody("", path, time.Now()); err == nil {
		t.Fatal("a file without a flow was accepted")
	}
	body, err := orderBody("marketplace", path, time.Now())
	if err != nil || body["flow"] != "marketplace" || body["customer_email"] != "x@example.com" {
		t.Fatalf("body %v: %v", body, err)
	}
}

func TestSampleOrdersAreDatedFromToday(t *testing.T) {
	today := time.Date(2030, 3, 1, 10, 0, 0, 0, time.UTC)
	member, err := sampleOrder("member", today)
	if err != nil {
		t.Fatal(err)
	}
	schedule := member["schedule"].([]map[string]any)
	if member["offer_valid_until"] != "2030-03-11" || schedule[0]["date"] != "2030-03-31" {
		t.Fatalf("member sample dates: %v %v", member["offer_valid_until"], schedule)
	}
	market, _ := sampleOrder("marketplace", today)
	if market["delivery"].(map[string]any)["requested_date"] != "2030-03-08" {
		t.Fatalf("marketplace sample delivery: %v", market["delivery"])
	}
}

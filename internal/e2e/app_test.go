package e2e_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/orderflow/orderflow/internal/email"
	"github.com/orderflow/orderflow/internal/testenv"
	"github.com/orderflow/orderflow/lifecycle"
)

// The assembled system answers over HTTP with real Temporal and Postgres behind it.
func TestSystemServesOverHTTP(t *testing.T) {
	sys := testenv.NewSystem(t, testenv.Options{})

	resp, body := sys.Do(t, "GET", "/readyz", "", nil)
	var ready struct {
		Status string
		Checks []struct{ Name, Status string }
	}
	if err := json.Unmarshal(body, &ready); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || ready.Status != "ready" || len(ready.Checks) != 2 {
		t.Fatalf("readyz = %d %s", resp.StatusCode, body)
	}

	if resp, body := sys.Do(t, "GET", "/openapi.yaml", "", nil); resp.StatusCode != 200 || !strings.HasPrefix(string(body), "openapi: 3.1") {
		t.Fatalf("openapi.yaml = %d", resp.StatusCode)
	}
	tok := sys.Token(t, lifecycle.Customer, "c-42")
	if resp, body := sys.Do(t, "GET", "/v1/me", tok, nil); resp.StatusCode != 200 || !strings.Contains(string(body), `"c-42"`) {
		t.Fatalf("me = %d %s", resp.StatusCode, body)
	}
	if resp, _ := sys.Do(t, "GET", "/v1/me", "", nil); resp.StatusCode != 401 {
		t.Fatalf("me without a token = %d, want 401", resp.StatusCode)
	}
	if resp, _ := sys.Do(t, "GET", "/dev/mail", "", nil); resp.StatusCode != 404 {
		t.Fatalf("dev mail outside capture mode = %d, want 404", resp.StatusCode)
	}
}

func TestReadinessFailsWhenPostgresIsGone(t *testing.T) {
	sys := testenv.NewSystem(t, testenv.Options{})
	sys.Pool.Close()
	resp, body := sys.Do(t, "GET", "/readyz", "", nil)
	if resp.StatusCode != 503 || !strings.Contains(string(body), `"postgres"`) || !strings.Contains(string(body), "failing") {
		t.Fatalf("readyz with Postgres gone = %d %s", resp.StatusCode, body)
	}
}

// In capture mode every email is kept and shown at /dev/mail with live links.
func TestCapturedMailIsReadableOverHTTP(t *testing.T) {
	sys := testenv.NewSystem(t, testenv.Options{Capture: true})
	_, err := sys.Capture.Send(context.Background(), email.Message{
		Key: email.KeyFor("ord_1", "notice", "ann@example.com"), OrderID: "ord_1", Purpose: "notice",
		From: email.Address{Email: "orders@example.com"}, To: email.Address{Name: "Ann", Email: "ann@example.com"},
		Subject: "Confirm your order", Text: "Open http://localhost:8080/c/abc to confirm.", HTML: "<p>Open the link</p>",
	})
	if err != nil {
		t.Fatal(err)
	}
	resp, body := sys.Do(t, "GET", "/dev/mail", "", nil)
	if resp.StatusCode != 200 || !strings.Contains(string(body), "Confirm your order") ||
		!strings.Contains(string(body), `href="http://localhost:8080/c/abc"`) {
		t.Fatalf("dev mail = %d %s", resp.StatusCode, body)
	}
}

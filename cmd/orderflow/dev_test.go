//go:build !nodev

package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/orderflow/orderflow/internal/auth"
	"github.com/orderflow/orderflow/internal/config"
	"github.com/orderflow/orderflow/internal/pgtest"
	"github.com/orderflow/orderflow/lifecycle"
)

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func get(url string) (int, string, error) {
	resp, err := http.Get(url)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body), err
}

// What `make run` promises: one command brings up Temporal with its Web UI,
// the worker and the API on a database it creates; Ctrl-C stops it cleanly.
func TestDevModeBringsUpTheWholeStack(t *testing.T) {
	apiAddr, uiAddr := freeAddr(t), freeAddr(t)
	api := "http://" + apiAddr
	vars := map[string]string{
		"DATABASE_URL":                pgtest.UnusedURL(t), // dev mode creates it
		"ORDERFLOW_API_ADDR":          apiAddr,
		"ORDERFLOW_PUBLIC_URL":        api,
		"ORDERFLOW_DATA_DIR":          filepath.Join(t.TempDir(), "data"),
		"ORDERFLOW_DEV_TEMPORAL_ADDR": "127.0.0.1:0",
		"ORDERFLOW_DEV_UI_ADDR":       uiAddr,
		"LOG_LEVEL":                   "warn",
	}
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	exited := make(chan int, 1)
	var stdout, stderr strings.Builder
	go func() {
		exited <- run(ctx, []string{"dev"}, environment{vars: vars, stdout: &stdout, stderr: &stderr})
	}()

	deadline := time.Now().Add(2 * time.Minute)
	for {
		code, _, _ := get(api + "/readyz")
		if code == http.StatusOK {
			break
		}
		select {
		case c := <-exited:
			t.Fatalf("dev mode exited with %d before it was ready:\n%s", c, stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("/readyz did not answer 200 within 2 minutes (last %d)", code)
		}
		time.Sleep(200 * time.Millisecond)
	}

	if code, body, err := get(api + "/openapi.yaml"); err != nil || code != 200 || !strings.HasPrefix(body, "openapi:") {
		t.Fatalf("openapi.yaml = %d, %v", code, err)
	}
	if code, body, err := get("http://" + uiAddr + "/"); err != nil || code != 200 || !strings.Contains(strings.ToLower(body), "<html") {
		t.Fatalf("Web UI = %d, %v", code, err)
	}
	// What the Web UI's workflow list asks for: the namespace has no workflows yet.
	code, body, err := get(fmt.Sprintf("http://%s/api/v1/namespaces/default/workflows", uiAddr))
	if err != nil || code != 200 {
		t.Fatalf("Web UI workflow list = %d, %v: %s", code, err, body)
	}
	var list struct {
		Executions []json.RawMessage `json:"executions"`
	}
	if err := json.Unmarshal([]byte(body), &list); err != nil {
		t.Fatalf("Web UI workflow list is not JSON: %v: %s", err, body)
	}
	if len(list.Executions) != 0 {
		t.Fatalf("a new namespace lists %d workflows, want 0", len(list.Executions))
	}
	if code, _, _ := get(api + "/dev/mail"); code != 200 {
		t.Fatalf("/dev/mail = %d, want 200 in dev mode", code)
	}
	// The pages are served, their sign-in pointing at the captured inbox.
	if code, body, _ := get(api + "/app/sign-in"); code != 200 || !strings.Contains(body, "Email me a sign-in link") {
		t.Fatalf("/app/sign-in = %d in dev mode:\n%s", code, body)
	}
	shown := checkWebUIShowsOrders(t, api, "http://"+uiAddr)
	checkWebUIInABrowser(t, &apiSession{t: t, base: api, tokens: auth.NewTokens(config.DevTokenSecret)}, newUISession(t, "http://"+uiAddr), vars["DATABASE_URL"], shown)
	checkCurrentDetails(t, api, "http://"+uiAddr)

	stop() // Ctrl-C
	select {
	case c := <-exited:
		if c != 0 {
			t.Fatalf("dev mode exited with %d after Ctrl-C:\n%s", c, stderr.String())
		}
	case <-time.After(time.Minute):
		t.Fatal("dev mode did not stop within a minute of Ctrl-C")
	}
	if code, _, err := get(api + "/healthz"); err == nil {
		t.Fatalf("the API still answers (%d) after shutdown", code)
	}

	// Once ready, it printed where everything is and what to try next.
	for _, want := range []string{
		"orderflow dev is ready",
		"HTTP API           " + api,
		"Temporal Web UI    http://" + uiAddr,
		"Captured email     " + api + "/dev/mail",
		"Pages              " + api + "/app/sign-in",
		"Temporal frontend  127.0.0.1:",
		"ORDERFLOW_API_URL=" + api + " go run ./starter demo",
	} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("the ready message lacks %q:\n%s", want, stdout.String())
		}
	}
}

func TestLocalAPIURL(t *testing.T) {
	for _, c := range []struct{ addr, public, want string }{
		{"127.0.0.1:8080", "http://localhost:8080", "http://localhost:8080"},
		{"127.0.0.1:8080", "http://localhost:8080/", "http://localhost:8080"},
		{"127.0.0.1:18080", "http://localhost:8080", "http://127.0.0.1:18080"},
		{":9000", "https://orders.example.com", "http://localhost:9000"},
		{"0.0.0.0:9000", "http://localhost:8080", "http://localhost:9000"},
	} {
		if got := localAPIURL(c.addr, c.public); got != c.want {
			t.Errorf("localAPIURL(%q, %q) = %q, want %q", c.addr, c.public, got, c.want)
		}
	}
	var b strings.Builder
	printReady(&b, readyInfo{API: "http://localhost:8080", WebUI: "http://127.0.0.1:8233", Temporal: "127.0.0.1:7233", Namespace: "default", DataFile: "data/temporal.db"})
	if !strings.Contains(b.String(), "\n  go run ./starter demo\n") {
		t.Errorf("with the default API, the next command is plain `go run ./starter demo`:\n%s", b.String())
	}
	if !strings.Contains(b.String(), "http://localhost:8080/app/sign-in") {
		t.Errorf("the ready table does not say where people sign in:\n%s", b.String())
	}
}

// checkWebUIShowsOrders creates an order and reads it back the way the Web UI
// does: its list filtered by OrderStatus and NeedsAttention, the workflow's
// summary, and the timer named by its deadline.
func checkWebUIShowsOrders(t *testing.T, api, ui string) string {
	t.Helper()
	token, err := auth.NewTokens(config.DevTokenSecret).Mint(auth.Principal{Role: lifecycle.Customer, Subject: uiCustomer}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	body := `{"flow": "marketplace", "customer_email": "` + uiCustomerEmail + `", "category": "building", "payment_terms": "prepaid",
		"items": [{"sku": "CEM-25", "description": "Cement 25 kg", "quantity": 2, "unit_price": "6.50", "vat_rate": 21}],
		"delivery": {"address": ["Rue Haute 1"], "region": "BE-BRU", "requested_date": "2026-12-01"}}`
	req, _ := http.NewRequest("POST", api+"/v1/orders", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var order struct{ ID string }
	_ = json.NewDecoder(resp.Body).Decode(&order)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated || order.ID == "" {
		t.Fatalf("create order = %d", resp.StatusCode)
	}

	list := func(query string) []string {
		code, body, err := get(ui + "/api/v1/namespaces/default/workflows?query=" + url.QueryEscape(query))
		if err != nil || code != 200 {
			t.Fatalf("UI list %q = %d, %v", query, code, err)
		}
		var page struct {
			Executions []struct {
				Execution struct{ WorkflowID string } `json:"execution"`
			} `json:"executions"`
		}
		_ = json.Unmarshal([]byte(body), &page)
		var ids []string
		for _, e := range page.Executions {
			ids = append(ids, e.Execution.WorkflowID)
		}
		return ids
	}
	deadline := time.Now().Add(time.Minute)
	for !slices.Contains(list(`OrderStatus = "awaiting_payment" AND NeedsAttention = false`), order.ID) {
		if time.Now().After(deadline) {
			t.Fatalf("the Web UI never listed %s by OrderStatus and NeedsAttention", order.ID)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if ids := list(`OrderStatus = "pending"`); slices.Contains(ids, order.ID) {
		t.Fatalf("filter by another status lists the order: %v", ids)
	}

	code, desc, _ := get(ui + "/api/v1/namespaces/default/workflows/" + order.ID)
	if code != 200 || !strings.Contains(decodedMetadata(t, desc), "Marketplace order "+order.ID+" for "+uiCustomerEmail) {
		t.Fatalf("the Web UI shows no summary for %s (%d)", order.ID, code)
	}
	for time.Now().Before(deadline) {
		// The details live on the start event; the timer's name on its own event.
		_, history, _ := get(ui + "/api/v1/namespaces/default/workflows/" + order.ID + "/history")
		if meta := decodedMetadata(t, history); strings.Contains(meta, "Payment window until ") && strings.Contains(meta, "**Payment** prepaid") {
			return order.ID
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("the Web UI shows no details or no timer named by its deadline for %s", order.ID)
	return ""
}

// decodedMetadata gathers the user metadata summaries and details (base64 JSON payloads)
// found anywhere in a Web UI API answer.
func decodedMetadata(t *testing.T, body string) string {
	t.Helper()
	var texts []string
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for _, key := range []string{"summary", "details"} {
				if payload, ok := x[key].(map[string]any); ok {
					if data, ok := payload["data"].(string); ok {
						if raw, err := base64.StdEncoding.DecodeString(data); err == nil {
							texts = append(texts, string(raw))
						}
					}
				}
			}
			for _, child := range x {
				walk(child)
			}
		case []any:
			for _, child := range x {
				walk(child)
			}
		}
	}
	var doc any
	if err := json.Unmarshal([]byte(body), &doc); err != nil {
		t.Fatalf("Web UI answer is not JSON: %v", err)
	}
	walk(doc)
	return strings.Join(texts, "\n")
}

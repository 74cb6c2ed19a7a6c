//go:build !nodev

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/orderflow/orderflow/internal/pgtest"
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
	var stderr strings.Builder
	go func() {
		exited <- run(ctx, []string{"dev"}, environment{vars: vars, stdout: io.Discard, stderr: &stderr})
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
}

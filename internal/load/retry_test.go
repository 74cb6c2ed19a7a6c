package load

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// flaky answers 503 to the first failures requests, then 201 with the body it got.
type flaky struct {
	mu       sync.Mutex
	failures int
	keys     []string
	bodies   []string
}

func (f *flaky) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.keys = append(f.keys, r.Header.Get("Idempotency-Key"))
	f.bodies = append(f.bodies, string(body))
	if f.failures > 0 {
		f.failures--
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	w.WriteHeader(http.StatusCreated)
}

func retryClient() *http.Client {
	return &http.Client{Transport: &RetryTransport{Retries: 3, Pause: time.Millisecond}}
}

func TestRetryTransportRetriesACreateWithOneIdempotencyKey(t *testing.T) {
	f := &flaky{failures: 2}
	srv := httptest.NewServer(f)
	defer srv.Close()
	client := retryClient()
	resp, err := client.Post(srv.URL+"/v1/orders", "application/json", strings.NewReader(`{"flow":"member"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated || len(f.keys) != 3 {
		t.Fatalf("status %d after %d requests", resp.StatusCode, len(f.keys))
	}
	if n := client.Transport.(*RetryTransport).Retried.Load(); n != 2 {
		t.Fatalf("Retried = %d, want 2", n)
	}
	if f.keys[0] == "" || f.keys[1] != f.keys[0] || f.keys[2] != f.keys[0] {
		t.Fatalf("keys = %v, want one key on every attempt", f.keys)
	}
	for _, b := range f.bodies {
		if b != `{"flow":"member"}` {
			t.Fatalf("bodies = %q: a retry lost the body", f.bodies)
		}
	}
}

func TestRetryTransportRetriesAnActionWithOneRequestID(t *testing.T) {
	f := &flaky{failures: 1}
	srv := httptest.NewServer(f)
	defer srv.Close()
	resp, err := retryClient().Post(srv.URL+"/v1/orders/o1/actions/set_margin", "application/json", strings.NewReader(`{"margin_percent": 12}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated || len(f.bodies) != 2 {
		t.Fatalf("status %d after %d requests", resp.StatusCode, len(f.bodies))
	}
	var first, second map[string]any
	if err := json.Unmarshal([]byte(f.bodies[0]), &first); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(f.bodies[1]), &second); err != nil {
		t.Fatal(err)
	}
	rid, _ := first["request_id"].(string)
	if rid == "" || second["request_id"] != rid || first["margin_percent"] != 12.0 || second["margin_percent"] != 12.0 {
		t.Fatalf("bodies = %q, want the payload and one request_id on both", f.bodies)
	}
}

func TestRetryTransportKeepsTheScriptsRequestID(t *testing.T) {
	f := &flaky{}
	srv := httptest.NewServer(f)
	defer srv.Close()
	resp, err := retryClient().Post(srv.URL+"/v1/orders/o1/actions/release", "application/json", strings.NewReader(`{"request_id": "mine"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if len(f.bodies) != 1 || f.bodies[0] != `{"request_id":"mine"}` {
		t.Fatalf("bodies = %q", f.bodies)
	}
}

func TestRetryTransportDoesNotRepeatAnAnsweredUnknownPost(t *testing.T) {
	f := &flaky{failures: 1}
	srv := httptest.NewServer(f)
	defer srv.Close()
	resp, err := retryClient().Post(srv.URL+"/v1/suppliers", "application/json", strings.NewReader(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || len(f.keys) != 1 {
		t.Fatalf("status %d after %d requests, want the 503 of the only request", resp.StatusCode, len(f.keys))
	}
}

func TestRetryTransportRetriesReadsAndGivesUp(t *testing.T) {
	f := &flaky{failures: 10}
	srv := httptest.NewServer(f)
	defer srv.Close()
	resp, err := retryClient().Get(srv.URL + "/v1/orders/o1")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || len(f.keys) != 4 {
		t.Fatalf("status %d after %d requests, want 503 after 1+3", resp.StatusCode, len(f.keys))
	}
}

// refusing fails its first n round trips as a closed port does.
type refusing struct {
	n, calls int
}

func (r *refusing) RoundTrip(req *http.Request) (*http.Response, error) {
	r.calls++
	if r.calls <= r.n {
		return nil, &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
	}
	return &http.Response{StatusCode: http.StatusOK, Body: http.NoBody, Request: req}, nil
}

func TestRetryTransportResendsAnyPostThatNeverReachedTheServer(t *testing.T) {
	base := &refusing{n: 2}
	c := &http.Client{Transport: &RetryTransport{Base: base, Retries: 3, Pause: time.Millisecond}}
	resp, err := c.Post("http://127.0.0.1:1/v1/suppliers", "application/json", strings.NewReader(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if base.calls != 3 {
		t.Fatalf("%d round trips, want 3 (two refused, then through)", base.calls)
	}
}

package load

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
)

// RetryTransport retries what a fault run's own faults make fail (a 502,
// 503 or 504 answer, a broken connection), where the API makes a retry
// safe: reads; order creations, which it gives an Idempotency-Key; actions,
// which it gives a request_id (the API applies an action once per id);
// payments on the pay page (paying a paid link is no second payment).
// Anything else is retried only when it never reached the server.
type RetryTransport struct {
	Base    http.RoundTripper
	Retries int
	Pause   time.Duration // before the first retry, doubled after each
	// Retried counts the requests sent again, for the report.
	Retried atomic.Int64
}

// RoundTrip implements http.RoundTripper.
func (t *RetryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	base := t.Base
	if base == nil {
		base = http.DefaultTransport
	}
	req, keyed, err := makeRepeatable(req)
	if err != nil {
		return nil, err
	}
	pause := t.Pause
	for attempt := 0; ; attempt++ {
		if attempt > 0 && req.GetBody != nil {
			body, err := req.GetBody()
			if err != nil {
				return nil, err
			}
			req.Body = body
		}
		resp, err := base.RoundTrip(req)
		if attempt >= t.Retries || !retriable(req, keyed, resp, err) {
			return resp, err
		}
		if resp != nil {
			resp.Body.Close()
		}
		select {
		case <-req.Context().Done():
			return nil, req.Context().Err()
		case <-time.After(pause):
		}
		t.Retried.Add(1)
		pause *= 2
	}
}

func retriable(req *http.Request, keyed bool, resp *http.Response, err error) bool {
	safe := req.Method == http.MethodGet || keyed
	if err != nil {
		return safe || errors.Is(err, syscall.ECONNREFUSED)
	}
	switch resp.StatusCode {
	case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return safe
	}
	return false
}

// makeRepeatable gives req what makes sending it twice the same as once,
// and says whether it could.
func makeRepeatable(req *http.Request) (*http.Request, bool, error) {
	if req.Method != http.MethodPost {
		return req, false, nil
	}
	path := req.URL.Path
	switch {
	case path == "/v1/orders":
		if req.Header.Get("Idempotency-Key") == "" {
			req = req.Clone(req.Context())
			req.Header.Set("Idempotency-Key", "chaos-"+randomHex())
		}
		return req, true, nil
	case strings.HasPrefix(path, "/v1/orders/") && strings.Contains(path, "/actions/"):
		req, err := withRequestID(req)
		return req, err == nil, err
	case strings.HasPrefix(path, "/pay/"):
		return req, true, nil
	}
	return req, false, nil
}

// withRequestID adds a request_id to the JSON object req sends, unless it has one.
func withRequestID(req *http.Request) (*http.Request, error) {
	fields := map[string]json.RawMessage{}
	if req.Body != nil {
		raw, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, fmt.Errorf("read request body: %w", err)
		}
		if len(bytes.TrimSpace(raw)) > 0 {
			if err := json.Unmarshal(raw, &fields); err != nil {
				return nil, fmt.Errorf("action body is not a JSON object: %w", err)
			}
		}
	}
	if _, ok := fields["request_id"]; !ok {
		fields["request_id"], _ = json.Marshal("chaos-" + randomHex())
	}
	body, err := json.Marshal(fields)
	if err != nil {
		return nil, fmt.Errorf("encode request body: %w", err)
	}
	req = req.Clone(req.Context())
	req.Body = io.NopCloser(bytes.NewReader(body))
	req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	req.ContentLength = int64(len(body))
	req.Header.Set("Content-Type", "application/json")
	return req, nil
}

func randomHex() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b) // never fails (crypto/rand documents it)
	return hex.EncodeToString(b)
}

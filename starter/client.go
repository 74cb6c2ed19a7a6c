package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/orderflow/orderflow/internal/auth"
	"github.com/orderflow/orderflow/lifecycle"
)

// client calls the API as one caller. A fixed token (ORDERFLOW_TOKEN) wins;
// otherwise it mints one per role with the token secret, as a trusted
// back office would.
type client struct {
	base   string
	token  string
	tokens *auth.Tokens // nil: only the fixed token
	// idempotencyKey, when set, is sent with POST /v1/orders.
	idempotencyKey string
	http           *http.Client
}

// as returns a client acting as role and subject, minting its token.
func (c client) as(role lifecycle.Role, subject string) (client, error) {
	if c.tokens == nil {
		return c, fmt.Errorf("cannot act as %s %s: no token secret to mint with", role, subject)
	}
	tok, err := c.tokens.Mint(auth.Principal{Role: role, Subject: subject}, time.Hour)
	if err != nil {
		return c, fmt.Errorf("mint a token for %s %s: %w", role, subject, err)
	}
	c.token = tok
	return c, nil
}

// asFlag applies a --as role:subject flag; empty keeps the fixed token.
func (c client) asFlag(value string) (client, error) {
	if value == "" {
		if c.token == "" {
			return c, fmt.Errorf("say who you are: --as ROLE:ID (e.g. --as purchasing:p-1) or set ORDERFLOW_TOKEN")
		}
		return c, nil
	}
	role, subject, ok := strings.Cut(value, ":")
	if !ok || subject == "" {
		return c, fmt.Errorf("--as %q: want ROLE:ID, e.g. staff:s-1", value)
	}
	r, err := lifecycle.ParseRole(role)
	if err != nil {
		return c, err
	}
	return c.as(r, subject)
}

// problem is the API's RFC 9457 answer to a refused request.
type problem struct {
	Status         int               `json:"status"`
	Detail         string            `json:"detail"`
	StatusNow      string            `json:"status_now"`
	AllowedActions []string          `json:"allowed_actions"`
	Errors         map[string]string `json:"errors"`
}

// apiError is a non-2xx answer, with what the problem says to do next.
type apiError struct {
	status  string
	problem problem
	body    string
}

func (e *apiError) Error() string {
	p := e.problem
	if p.Detail == "" {
		return fmt.Sprintf("%s: %s", e.status, strings.TrimSpace(e.body))
	}
	msg := e.status + ": " + p.Detail
	for field, why := range p.Errors {
		msg += fmt.Sprintf("\n  %s: %s", field, why)
	}
	if p.StatusNow != "" {
		msg += fmt.Sprintf("\n  the order is %s; you may: %s", p.StatusNow, listOrNone(p.AllowedActions))
	}
	return msg
}

// call sends body (if not nil) as JSON and decodes a 2xx answer into out (if not nil).
func (c client) call(ctx context.Context, method, path string, body, out any) error {
	var reader io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("encode the request body: %w", err)
		}
		reader = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, reader)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.idempotencyKey != "" && method == http.MethodPost {
		req.Header.Set("Idempotency-Key", c.idempotencyKey)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("cannot reach the API at %s (is `make run` running?): %w", c.base, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("%s %s: read the answer: %w", method, path, err)
	}
	if resp.StatusCode/100 != 2 {
		e := &apiError{status: resp.Status, body: string(data)}
		_ = json.Unmarshal(data, &e.problem) // not JSON: the body is the message
		return e
	}
	if out == nil {
		return nil
	}
	if raw, ok := out.(*[]byte); ok {
		*raw = data
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("%s %s: decode the answer: %w", method, path, err)
	}
	return nil
}

// postForm submits an empty form to a page outside the API (the pay page,
// the client's confirmation page), as a browser's button would.
func (c client) postForm(ctx context.Context, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(""))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("POST %s: %w", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 { // after following the redirect to the result page
		return fmt.Errorf("POST %s: %s", url, resp.Status)
	}
	return nil
}

func listOrNone(items []string) string {
	if len(items) == 0 {
		return "nothing"
	}
	return strings.Join(items, ", ")
}

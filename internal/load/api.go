package load

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/orderflow/orderflow/internal/auth"
	"github.com/orderflow/orderflow/lifecycle"
)

// API calls orderflow's HTTP API as the people of a lifecycle would, timing
// every call into Rec.
type API struct {
	Base   string // e.g. http://localhost:8080
	HTTP   *http.Client
	Tokens *auth.Tokens
	Rec    *Recorder
	// Poll is the pause between polls while waiting; Wait bounds one wait.
	Poll time.Duration
	Wait time.Duration
}

// NewAPI returns a client of the API at base signing tokens with secret.
func NewAPI(base, secret string, rec *Recorder) *API {
	return &API{
		Base:   strings.TrimRight(base, "/"),
		HTTP:   &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}},
		Tokens: auth.NewTokens(secret),
		Rec:    rec,
		Poll:   200 * time.Millisecond,
		Wait:   3 * time.Minute,
	}
}

// Token mints a token for role and sub.
func (a *API) Token(role lifecycle.Role, sub string) (string, error) {
	return a.Tokens.Mint(auth.Principal{Role: role, Subject: sub}, 24*time.Hour)
}

// StatusError is an answer with an unexpected HTTP status.
type StatusError struct {
	Kind   string
	Status int
	Body   string
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("%s: HTTP %d: %.200s", e.Kind, e.Status, e.Body)
}

// call sends body as JSON and decodes a JSON answer. A non-2xx answer is a
// *StatusError; read marks a poll (timed, not counted as an action).
func (a *API) call(ctx context.Context, kind, method, path, token string, body any, read bool) (map[string]any, error) {
	var reader io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			return nil, fmt.Errorf("%s: encode: %w", kind, err)
		}
		reader = bytes.NewReader(raw)
	}
	url := path
	if strings.HasPrefix(path, "/") {
		url = a.Base + path
	}
	req, err := http.NewRequestWithContext(ctx, method, url, reader)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", kind, err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	start := time.Now()
	resp, err := a.HTTP.Do(req)
	if err != nil {
		a.Rec.Fail(kind + ": transport")
		return nil, fmt.Errorf("%s: %w", kind, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	elapsed := time.Since(start)
	if err != nil {
		a.Rec.Fail(kind + ": transport")
		return nil, fmt.Errorf("%s: read answer: %w", kind, err)
	}
	if resp.StatusCode/100 != 2 {
		return nil, &StatusError{Kind: kind, Status: resp.StatusCode, Body: string(data)}
	}
	if read {
		a.Rec.ObserveRead(kind, elapsed)
	} else {
		a.Rec.Observe(kind, elapsed)
	}
	out := map[string]any{}
	if len(data) > 0 && strings.Contains(resp.Header.Get("Content-Type"), "json") {
		if err := json.Unmarshal(data, &out); err != nil {
			a.Rec.Fail(kind + ": bad json")
			return nil, fmt.Errorf("%s: decode answer: %w", kind, err)
		}
	}
	return out, nil
}

// act calls and counts a refused answer as an error of its kind and status.
func (a *API) act(ctx context.Context, kind, method, path, token string, body any) (map[string]any, error) {
	out, err := a.call(ctx, kind, method, path, token, body, false)
	var se *StatusError
	if errors.As(err, &se) {
		a.Rec.Fail(fmt.Sprintf("%s: %d", kind, se.Status))
	}
	return out, err
}

// until polls check (which reads something) until it reports done, an error
// that is not a *StatusError, or the wait runs out.
func (a *API) until(ctx context.Context, what string, check func() (bool, error)) error {
	ctx, cancel := context.WithTimeout(ctx, a.Wait)
	defer cancel()
	for {
		done, err := check()
		var se *StatusError
		if err != nil && !errors.As(err, &se) {
			if ctx.Err() != nil {
				break
			}
			a.Rec.Fail("wait " + what + ": error")
			return fmt.Errorf("wait %s: %w", what, err)
		}
		if done {
			return nil
		}
		select {
		case <-ctx.Done():
		case <-time.After(a.Poll):
			continue
		}
		break
	}
	a.Rec.Fail("wait " + what + ": timeout")
	return fmt.Errorf("wait %s: not done after %s", what, a.Wait)
}

// field reads a nested string field of a decoded JSON object.
func field(obj map[string]any, path ...string) string {
	var cur any = obj
	for _, p := range path {
		m, ok := cur.(map[string]any)
		if !ok {
			return ""
		}
		cur = m[p]
	}
	s, _ := cur.(string)
	return s
}

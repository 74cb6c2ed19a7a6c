// Package sendgridtest is a local stand-in for SendGrid's v3 mail-send API,
// for tests and load or chaos tools that must not reach api.sendgrid.com.
//
// It checks every request the way SendGrid does (API key, content type, size,
// the request-body schema from SendGrid's own OpenAPI description and the
// documented rules the schema cannot express), records what it accepted and
// what it refused, and can be told to fail: the next N requests, every
// request until Recover, or the requests whose body matches a predicate
// until Recover (one order's emails, say).
package sendgridtest

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// MailSendPath is the only endpoint the stand-in serves.
const MailSendPath = "/v3/mail/send"

// MaxBodyBytes is SendGrid's limit on the whole request (message and attachments).
const MaxBodyBytes = 30 << 20

// Fault is an answer the server gives instead of handling a request.
type Fault struct {
	// Status is the HTTP status to answer with, e.g. 429, 500 or 503. A 429
	// carries SendGrid's rate-limit headers; other statuses the error envelope.
	Status int
	// Reset is the X-RateLimit-Reset instant of a 429; zero means a minute from now.
	Reset time.Time
	// Hang reads the request and then never answers, until the client gives
	// up or the server is closed: the "did it go through?" case.
	Hang bool
	// Drop reads the request and closes the connection without answering.
	Drop bool
}

// Server is a running stand-in. All methods are safe for concurrent use.
type Server struct {
	apiKey string
	schema *jsonschema.Schema
	http   *httptest.Server

	closeOnce sync.Once
	closed    chan struct{} // releases hanging requests on Close

	mu         sync.Mutex
	queued     []Fault // answers for the next requests, in order
	failAll    *Fault
	failWhen   []conditionalFault
	requests   int
	messages   []Message
	violations []Violation
	changed    chan struct{} // closed and replaced whenever a message is recorded
}

var compiledSchema = sync.OnceValues(compileMailSendSchema)

// New starts a stand-in that accepts requests bearing apiKey. It panics only
// if the embedded SendGrid schema cannot be compiled, which a test of this
// package rules out.
func New(apiKey string) *Server {
	schema, err := compiledSchema()
	if err != nil {
		panic(fmt.Sprintf("sendgridtest: %v", err))
	}
	s := &Server{
		apiKey:  apiKey,
		schema:  schema,
		closed:  make(chan struct{}),
		changed: make(chan struct{}),
	}
	s.http = httptest.NewServer(http.HandlerFunc(s.serveHTTP))
	return s
}

// URL is the base URL to give a SendGrid client in place of
// https://api.sendgrid.com (without /v3/mail/send).
func (s *Server) URL() string { return s.http.URL }

// Close stops the server, releasing any request held by a Hang fault.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		close(s.closed)
		s.http.Close()
	})
}

// FailNext makes the next n requests answer with f, after any faults queued before.
func (s *Server) FailNext(n int, f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.queued = append(s.queued, f)
	}
}

// FailAll makes every request answer with f until Recover.
func (s *Server) FailAll(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failAll = &f
}

// conditionalFault answers the requests whose body matches.
type conditionalFault struct {
	match func(body []byte) bool
	fault Fault
}

// FailWhen makes every request whose body matches answer with f until
// Recover, while other requests are served as usual: a test can fail one
// order's emails (match its order id or recipient) and no other. match sees
// the body as SendGrid would parse it (gunzipped); it is consulted after
// FailNext and FailAll, and the first matching FailWhen wins.
func (s *Server) FailWhen(match func(body []byte) bool, f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failWhen = append(s.failWhen, conditionalFault{match: match, fault: f})
}

// Recover ends FailAll and FailWhen and drops any queued faults.
func (s *Server) Recover() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failAll, s.failWhen = nil, nil
	s.queued = nil
}

// Reset forgets faults, messages, violations and the request count.
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failAll, s.failWhen, s.queued = nil, nil, nil
	s.requests = 0
	s.messages, s.violations = nil, nil
}

// Requests is how many requests reached the mail-send endpoint, faulted,
// refused or accepted.
func (s *Server) Requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests
}

// Messages returns the accepted messages, oldest first.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.messages)
}

// Violations returns what was wrong with every refused request, oldest first.
func (s *Server) Violations() []Violation {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.violations)
}

// CountMessages counts the accepted messages for which match is true.
func (s *Server) CountMessages(match func(Message) bool) int {
	n := 0
	for _, m := range s.Messages() {
		if match(m) {
			n++
		}
	}
	return n
}

// WaitForMessages waits until at least n messages were accepted and returns
// them all, or returns ctx's error with the messages accepted so far.
func (s *Server) WaitForMessages(ctx context.Context, n int) ([]Message, error) {
	for {
		s.mu.Lock()
		msgs, changed := slices.Clone(s.messages), s.changed
		s.mu.Unlock()
		if len(msgs) >= n {
			return msgs, nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return msgs, fmt.Errorf("sendgridtest: %d of %d messages arrived: %w", len(msgs), n, ctx.Err())
		}
	}
}

// nextFault counts the request and returns the fault it must get, if any.
func (s *Server) nextFault(r *http.Request) (Fault, bool) {
	f, ok, conditional := s.unconditionalFault()
	if ok || len(conditional) == 0 {
		return f, ok
	}
	body, readable := peekBody(r)
	if !readable {
		return Fault{}, false
	}
	for _, c := range conditional {
		if c.match(body) {
			return c.fault, true
		}
	}
	return Fault{}, false
}

// unconditionalFault counts the request and returns a queued or FailAll
// fault, or else the FailWhen rules to try on its body.
func (s *Server) unconditionalFault() (Fault, bool, []conditionalFault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests++
	if len(s.queued) > 0 {
		f := s.queued[0]
		s.queued = s.queued[1:]
		return f, true, nil
	}
	if s.failAll != nil {
		return *s.failAll, true, nil
	}
	return Fault{}, false, slices.Clone(s.failWhen)
}

func (s *Server) accept(m Message) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.messages = append(s.messages, m)
	close(s.changed)
	s.changed = make(chan struct{})
}

func (s *Server) refuse(vs []Violation) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.violations = append(s.violations, vs...)
}

// newMessageID makes an id shaped like SendGrid's (22 URL-safe characters).
func newMessageID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // never fails (crypto/rand documents it)
	return base64.RawURLEncoding.EncodeToString(b)
}

// apiError is one entry of SendGrid's error envelope.
type apiError struct {
	Message string  `json:"message"`
	Field   *string `json:"field"`
	Help    any     `json:"help"`
}

func writeErrors(w http.ResponseWriter, status int, errs []apiError) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string][]apiError{"errors": errs})
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeErrors(w, status, []apiError{{Message: msg}})
}

func writeViolations(w http.ResponseWriter, status int, vs []Violation) {
	errs := make([]apiError, len(vs))
	for i, v := range vs {
		errs[i] = apiError{Message: v.Message}
		if v.Field != "" {
			errs[i].Field = &v.Field
		}
	}
	writeErrors(w, status, errs)
}

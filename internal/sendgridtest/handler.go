package sendgridtest

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

var tooLarge = fmt.Sprintf("The request body is larger than SendGrid's limit of %d bytes.", MaxBodyBytes)

// rateLimit is what the stand-in reports as the per-period request limit.
const rateLimit = 600

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != MailSendPath {
		writeError(w, http.StatusNotFound, "not found")
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeError(w, http.StatusMethodNotAllowed, "method not allowed")
		return
	}
	if f, ok := s.nextFault(r); ok {
		s.answerFault(w, r, f)
		return
	}
	if msg, ok := s.checkAuth(r); !ok {
		writeError(w, http.StatusUnauthorized, msg)
		return
	}
	if r.ContentLength > MaxBodyBytes {
		// Answered before reading, so a client that sent Expect: 100-continue
		// never uploads the body.
		writeError(w, http.StatusRequestEntityTooLarge, tooLarge)
		return
	}
	if v, ok := checkContentType(r); !ok {
		s.refuse([]Violation{v})
		writeViolations(w, http.StatusUnsupportedMediaType, []Violation{v})
		return
	}
	body, err := readBody(w, r)
	if errors.As(err, new(*http.MaxBytesError)) {
		writeError(w, http.StatusRequestEntityTooLarge, tooLarge)
		return
	}
	if err != nil {
		v := Violation{Message: fmt.Sprintf("cannot read request body: %v", err)}
		s.refuse([]Violation{v})
		writeViolations(w, http.StatusBadRequest, []Violation{v})
		return
	}
	msg, vs := s.check(body)
	if len(vs) > 0 {
		s.refuse(vs)
		writeViolations(w, http.StatusBadRequest, vs)
		return
	}
	msg.ID = newMessageID()
	s.accept(msg)
	w.Header().Set("X-Message-Id", msg.ID)
	w.WriteHeader(http.StatusAccepted)
}

func (s *Server) checkAuth(r *http.Request) (problem string, ok bool) {
	header := r.Header.Get("Authorization")
	switch {
	case header == "":
		return "authorization required", false
	case header != "Bearer "+s.apiKey:
		return "The provided authorization grant is invalid, expired, or revoked", false
	}
	return "", true
}

func checkContentType(r *http.Request) (Violation, bool) {
	mediaType, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mediaType != "application/json" {
		return Violation{Message: fmt.Sprintf("Content-Type should be application/json, not %q.", r.Header.Get("Content-Type"))}, false
	}
	return Violation{}, true
}

// readBody reads the body, gunzipping it when the client says so (SendGrid
// accepts gzip bodies), and fails with *http.MaxBytesError past the limit.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	var body io.Reader = http.MaxBytesReader(w, r.Body, MaxBodyBytes)
	if strings.EqualFold(r.Header.Get("Content-Encoding"), "gzip") {
		zr, err := gzip.NewReader(body)
		if err != nil {
			return nil, fmt.Errorf("gzip: %w", err)
		}
		// The limit applies to the message, whatever its encoding on the wire.
		body = http.MaxBytesReader(w, zr, MaxBodyBytes)
	}
	return io.ReadAll(body)
}

// peekBody reads the body for a FailWhen predicate and puts it back, so the
// request is then handled as if nothing had read it. A body over the limit
// (declared or actual) or one that does not gunzip is not offered to the
// predicates: the usual checks refuse it.
func peekBody(r *http.Request) ([]byte, bool) {
	if r.ContentLength > MaxBodyBytes {
		return nil, false
	}
	raw, err := io.ReadAll(io.LimitReader(r.Body, MaxBodyBytes+1))
	r.Body = io.NopCloser(io.MultiReader(bytes.NewReader(raw), r.Body))
	if err != nil || len(raw) > MaxBodyBytes {
		return nil, false
	}
	if !strings.EqualFold(r.Header.Get("Content-Encoding"), "gzip") {
		return raw, true
	}
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		return nil, false
	}
	body, err := io.ReadAll(io.LimitReader(zr, MaxBodyBytes+1))
	if err != nil || len(body) > MaxBodyBytes {
		return nil, false
	}
	return body, true
}

// check validates a body against the schema, then against the rules the
// schema does not express, and parses it.
func (s *Server) check(body []byte) (Message, []Violation) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		return Message{}, []Violation{{Message: fmt.Sprintf("The request body is not valid JSON: %v", err)}}
	}
	if err := s.schema.Validate(doc); err != nil {
		return Message{}, violationsOf(err)
	}
	return parseMessage(body)
}

func (s *Server) answerFault(w http.ResponseWriter, r *http.Request, f Fault) {
	// Take the whole request first: a faulted request did reach SendGrid.
	_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, MaxBodyBytes))
	switch {
	case f.Hang:
		select {
		case <-r.Context().Done():
		case <-s.closed:
		}
	case f.Drop:
		dropConnection(w)
	case f.Status == http.StatusTooManyRequests:
		reset := f.Reset
		if reset.IsZero() {
			reset = time.Now().Add(time.Minute)
		}
		w.Header().Set("X-RateLimit-Limit", strconv.Itoa(rateLimit))
		w.Header().Set("X-RateLimit-Remaining", "0")
		w.Header().Set("X-RateLimit-Reset", strconv.FormatInt(reset.Unix(), 10))
		writeError(w, f.Status, "too many requests")
	default:
		writeError(w, f.Status, strings.ToLower(http.StatusText(f.Status)))
	}
}

// dropConnection closes the connection abruptly (a TCP reset where possible),
// so the client sees its request vanish without an answer.
func dropConnection(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler) // the server's documented way to abort a response
	}
	if tcp, ok := conn.(*net.TCPConn); ok {
		_ = tcp.SetLinger(0)
	}
	_ = conn.Close()
}

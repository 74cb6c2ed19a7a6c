package sendgridtest

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

const testKey = "SG.test-key"

// validBody is a complete request as SendGrid's documentation shows it.
const validBody = `{
  "personalizations": [{
    "to": [{"email": "client@example.com", "name": "Client"}],
    "cc": [{"email": "member@example.com"}]
  }],
  "from": {"email": "orders@example.com", "name": "Orders"},
  "reply_to": {"email": "help@example.com"},
  "subject": "Your order",
  "content": [
    {"type": "text/plain", "value": "Hello"},
    {"type": "text/html", "value": "<p>Hello</p>"}
  ],
  "attachments": [{"content": "JVBERi0xLjQK", "type": "application/pdf", "filename": "invoice.pdf", "disposition": "attachment"}],
  "categories": ["invoice_issued"],
  "custom_args": {"order_id": "o-1", "purpose": "invoice_issued"}
}`

func newServer(t *testing.T) *Server {
	t.Helper()
	s := New(testKey)
	t.Cleanup(s.Close)
	return s
}

type response struct {
	status int
	header http.Header
	body   []byte
}

// envelope decodes SendGrid's error envelope, keeping "field" raw so a test
// can tell null from a string.
func (r response) envelope(t *testing.T) []map[string]json.RawMessage {
	t.Helper()
	var env struct {
		Errors []map[string]json.RawMessage `json:"errors"`
	}
	if err := json.Unmarshal(r.body, &env); err != nil {
		t.Fatalf("error body %q is not SendGrid's envelope: %v", r.body, err)
	}
	if len(env.Errors) == 0 {
		t.Fatalf("error body %q lists no errors", r.body)
	}
	return env.Errors
}

func (r response) fields(t *testing.T) []string {
	var fields []string
	for _, e := range r.envelope(t) {
		var f *string
		if err := json.Unmarshal(e["field"], &f); err != nil {
			t.Fatalf("field %s: %v", e["field"], err)
		}
		if f != nil {
			fields = append(fields, *f)
		}
	}
	return fields
}

func post(t *testing.T, url string, header map[string]string, body []byte) response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+testKey)
	for k, v := range header {
		if v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{resp.StatusCode, resp.Header, b}
}

func send(t *testing.T, s *Server, body string) response {
	t.Helper()
	return post(t, s.URL()+MailSendPath, nil, []byte(body))
}

// TestEmbeddedSpecIsSendGridsDocument: the embedded schema is, byte for
// byte, the document schema/README.md names (twilio/sendgrid-oai,
// spec/json/tsg_mail_v3.json at commit dbe0e0d), whose SHA-256 was taken
// when it was copied. Updating it means copying it again, unchanged, and
// this digest with it.
func TestEmbeddedSpecIsSendGridsDocument(t *testing.T) {
	const copied = "4ba24d0feb8a6b347f60528161d1cf0e7591987d2b3a64a6533685dc2b39d19f"
	if sum := sha256.Sum256(mailSendSpec); hex.EncodeToString(sum[:]) != copied {
		t.Fatalf("schema/tsg_mail_v3.json is not the document it was copied from (SHA-256 %x, want %s): copy it again, unchanged", sum, copied)
	}
	if !strings.Contains(mailSendSpecLicense, "MIT License") {
		t.Fatal("schema/LICENSE is not the MIT license the document is published under")
	}
}

func TestAcceptsValidMessage(t *testing.T) {
	s := newServer(t)
	r := send(t, s, validBody)
	if r.status != http.StatusAccepted {
		t.Fatalf("status %d (%s), want 202", r.status, r.body)
	}
	if len(r.body) != 0 {
		t.Errorf("body %q, want empty", r.body)
	}
	id := r.header.Get("X-Message-Id")
	if len(id) != 22 {
		t.Fatalf("X-Message-Id %q, want a 22-character id", id)
	}

	msgs := s.Messages()
	if len(msgs) != 1 {
		t.Fatalf("%d messages recorded, want 1", len(msgs))
	}
	m := msgs[0]
	checks := []struct {
		name      string
		got, want any
	}{
		{"id", m.ID, id},
		{"from", m.From, Address{Name: "Orders", Email: "orders@example.com"}},
		{"reply_to", *m.ReplyTo, Address{Email: "help@example.com"}},
		{"to", fmt.Sprint(m.To()), fmt.Sprint([]Address{{Name: "Client", Email: "client@example.com"}})},
		{"cc", fmt.Sprint(m.Personalizations[0].Cc), fmt.Sprint([]Address{{Email: "member@example.com"}})},
		{"subject", m.Subject, "Your order"},
		{"text", m.Content("text/plain"), "Hello"},
		{"html", m.Content("text/html"), "<p>Hello</p>"},
		{"attachments", len(m.Attachments), 1},
		{"attachment name", m.Attachments[0].Filename, "invoice.pdf"},
		{"attachment type", m.Attachments[0].Type, "application/pdf"},
		{"attachment content", string(m.Attachments[0].Content), "%PDF-1.4\n"},
		{"attachment size", m.Attachments[0].Size, 9},
		{"custom_args", fmt.Sprint(m.CustomArgs), fmt.Sprint(map[string]string{"order_id": "o-1", "purpose": "invoice_issued"})},
		{"categories", fmt.Sprint(m.Categories), "[invoice_issued]"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: got %v, want %v", c.name, c.got, c.want)
		}
	}
	if v := s.Violations(); len(v) != 0 {
		t.Errorf("violations recorded for a valid request: %v", v)
	}
}

func TestMessageIDsAreUnique(t *testing.T) {
	s := newServer(t)
	a := send(t, s, validBody).header.Get("X-Message-Id")
	b := send(t, s, validBody).header.Get("X-Message-Id")
	if a == "" || a == b {
		t.Fatalf("message ids %q and %q, want two different ids", a, b)
	}
}

// mutate returns validBody with one top-level change made by edit.
func mutate(t *testing.T, edit func(body map[string]any)) string {
	t.Helper()
	var body map[string]any
	if err := json.Unmarshal([]byte(validBody), &body); err != nil {
		t.Fatal(err)
	}
	edit(body)
	b, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestRefusesBodiesThatBreakTheContract(t *testing.T) {
	cases := []struct {
		name  string
		edit  func(body map[string]any)
		field string
	}{
		{"personalization without to", func(b map[string]any) {
			b["personalizations"] = []any{map[string]any{"cc": []any{map[string]any{"email": "a@example.com"}}}}
		}, "personalizations.0.to"},
		{"missing from", func(b map[string]any) { delete(b, "from") }, "from"},
		{"content type not a string", func(b map[string]any) {
			b["content"] = []any{map[string]any{"type": 1, "value": "x"}}
		}, "content.0.type"},
		{"malformed address", func(b map[string]any) { b["from"] = map[string]any{"email": "orders.example.com"} }, "from.email"},
		{"custom_args value not a string", func(b map[string]any) { b["custom_args"] = map[string]any{"n": 1} }, "custom_args.n"},
		{"custom_args as a string", func(b map[string]any) { b["custom_args"] = "o-1" }, "custom_args"},
		{"html before text", func(b map[string]any) {
			b["content"] = []any{
				map[string]any{"type": "text/html", "value": "<p>x</p>"},
				map[string]any{"type": "text/plain", "value": "x"},
			}
		}, "content.1.type"},
		{"no content", func(b map[string]any) { delete(b, "content") }, "content"},
		{"no subject anywhere", func(b map[string]any) { delete(b, "subject") }, "personalizations.0.subject"},
		{"same address in to and cc", func(b map[string]any) {
			b["personalizations"] = []any{map[string]any{
				"to": []any{map[string]any{"email": "a@example.com"}},
				"cc": []any{map[string]any{"email": "A@example.com"}},
			}}
		}, "personalizations.0.cc.0.email"},
		{"attachment not base64", func(b map[string]any) {
			b["attachments"] = []any{map[string]any{"content": "not base64!", "filename": "a.pdf"}}
		}, "attachments.0.content"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := newServer(t)
			r := send(t, s, mutate(t, c.edit))
			if r.status != http.StatusBadRequest {
				t.Fatalf("status %d (%s), want 400", r.status, r.body)
			}
			if fields := r.fields(t); !contains(fields, c.field) {
				t.Errorf("error fields %q, want one to be %q", fields, c.field)
			}
			var recorded []string
			for _, v := range s.Violations() {
				recorded = append(recorded, v.Field)
			}
			if !contains(recorded, c.field) {
				t.Errorf("violations recorded for %q, want one for %q", recorded, c.field)
			}
			if n := len(s.Messages()); n != 0 {
				t.Errorf("%d messages recorded for a refused request", n)
			}
		})
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestRefusesWrongOrMissingKey(t *testing.T) {
	s := newServer(t)
	for name, auth := range map[string]string{
		"wrong key":   "Bearer SG.other",
		"missing":     "",
		"not bearer":  "Basic " + testKey,
		"bare secret": testKey,
	} {
		t.Run(name, func(t *testing.T) {
			r := post(t, s.URL()+MailSendPath, map[string]string{"Authorization": auth}, []byte(validBody))
			if r.status != http.StatusUnauthorized {
				t.Fatalf("status %d, want 401", r.status)
			}
			e := r.envelope(t)[0]
			if string(e["field"]) != "null" || string(e["help"]) != "null" {
				t.Errorf("error %v: want field and help null, as SendGrid sends them", e)
			}
		})
	}
	if n := len(s.Messages()); n != 0 {
		t.Errorf("%d messages accepted without the key", n)
	}
}

func TestRefusesNonJSONContentType(t *testing.T) {
	s := newServer(t)
	r := post(t, s.URL()+MailSendPath, map[string]string{"Content-Type": "text/plain"}, []byte(validBody))
	if r.status != http.StatusUnsupportedMediaType {
		t.Fatalf("status %d, want 415", r.status)
	}
	if len(s.Violations()) != 1 {
		t.Errorf("violations %v, want the content type recorded", s.Violations())
	}
	r = post(t, s.URL()+MailSendPath, map[string]string{"Content-Type": "application/json; charset=utf-8"}, []byte(validBody))
	if r.status != http.StatusAccepted {
		t.Errorf("status %d with a charset parameter, want 202", r.status)
	}
}

func TestRefusesInvalidJSON(t *testing.T) {
	s := newServer(t)
	if r := send(t, s, `{"from":`); r.status != http.StatusBadRequest {
		t.Fatalf("status %d, want 400", r.status)
	}
	if len(s.Violations()) != 1 {
		t.Errorf("violations %v, want one", s.Violations())
	}
}

func TestAcceptsGzipBody(t *testing.T) {
	s := newServer(t)
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, _ = zw.Write([]byte(validBody))
	_ = zw.Close()
	r := post(t, s.URL()+MailSendPath, map[string]string{"Content-Encoding": "gzip"}, buf.Bytes())
	if r.status != http.StatusAccepted {
		t.Fatalf("status %d (%s), want 202", r.status, r.body)
	}
	if got := s.Messages()[0].Subject; got != "Your order" {
		t.Errorf("subject %q, want the decompressed message's", got)
	}
}

func TestRefusesBodiesOver30MB(t *testing.T) {
	s := newServer(t)
	t.Run("declared length", func(t *testing.T) {
		// Expect: 100-continue lets the server refuse before the upload, so
		// the test never races a half-sent body against the answer.
		client := &http.Client{Transport: &http.Transport{ExpectContinueTimeout: time.Minute}}
		req, err := http.NewRequest(http.MethodPost, s.URL()+MailSendPath, bytes.NewReader(make([]byte, MaxBodyBytes+1)))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+testKey)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Expect", "100-continue")
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestEntityTooLarge {
			t.Fatalf("status %d, want 413", resp.StatusCode)
		}
	})
	t.Run("after decompression", func(t *testing.T) {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		_, _ = zw.Write(make([]byte, MaxBodyBytes+1))
		_ = zw.Close()
		r := post(t, s.URL()+MailSendPath, map[string]string{"Content-Encoding": "gzip"}, buf.Bytes())
		if r.status != http.StatusRequestEntityTooLarge {
			t.Fatalf("status %d, want 413", r.status)
		}
		r.envelope(t)
	})
}

func TestUnknownRoutes(t *testing.T) {
	s := newServer(t)
	if r := post(t, s.URL()+"/v3/mail/batch", nil, []byte(validBody)); r.status != http.StatusNotFound {
		t.Errorf("other path: status %d, want 404", r.status)
	}
	resp, err := http.Get(s.URL() + MailSendPath)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET: status %d, want 405", resp.StatusCode)
	}
}

func TestFailNextThenAccept(t *testing.T) {
	s := newServer(t)
	s.FailNext(2, Fault{Status: http.StatusServiceUnavailable})
	s.FailNext(1, Fault{Status: http.StatusInternalServerError})
	for _, want := range []int{503, 503, 500, 202} {
		r := send(t, s, validBody)
		if r.status != want {
			t.Fatalf("status %d, want %d", r.status, want)
		}
		if want >= 500 {
			r.envelope(t)
		}
	}
	if n := len(s.Messages()); n != 1 {
		t.Errorf("%d messages recorded, want only the one accepted", n)
	}
	if n := s.Requests(); n != 4 {
		t.Errorf("Requests() = %d, want 4", n)
	}
}

func TestRateLimitFaultCarriesReset(t *testing.T) {
	s := newServer(t)
	reset := time.Unix(1_900_000_037, 0)
	s.FailNext(1, Fault{Status: http.StatusTooManyRequests, Reset: reset})
	r := send(t, s, validBody)
	if r.status != http.StatusTooManyRequests {
		t.Fatalf("status %d, want 429", r.status)
	}
	if got := r.header.Get("X-RateLimit-Reset"); got != "1900000037" {
		t.Errorf("X-RateLimit-Reset %q, want 1900000037", got)
	}
	if got := r.header.Get("X-RateLimit-Remaining"); got != "0" {
		t.Errorf("X-RateLimit-Remaining %q, want 0", got)
	}
	if _, err := strconv.Atoi(r.header.Get("X-RateLimit-Limit")); err != nil {
		t.Errorf("X-RateLimit-Limit %q is not a number", r.header.Get("X-RateLimit-Limit"))
	}
	if n := len(s.Messages()); n != 0 {
		t.Errorf("%d messages recorded for a rate-limited request", n)
	}
}

func TestRateLimitFaultDefaultsResetToTheFuture(t *testing.T) {
	s := newServer(t)
	s.FailNext(1, Fault{Status: http.StatusTooManyRequests})
	r := send(t, s, validBody)
	reset, err := strconv.ParseInt(r.header.Get("X-RateLimit-Reset"), 10, 64)
	if err != nil {
		t.Fatalf("X-RateLimit-Reset %q: %v", r.header.Get("X-RateLimit-Reset"), err)
	}
	if reset <= time.Now().Unix() {
		t.Errorf("X-RateLimit-Reset %d is not in the future", reset)
	}
}

func TestFailAllUntilRecover(t *testing.T) {
	s := newServer(t)
	s.FailAll(Fault{Status: http.StatusServiceUnavailable})
	for range 3 {
		if r := send(t, s, validBody); r.status != http.StatusServiceUnavailable {
			t.Fatalf("during outage: status %d, want 503", r.status)
		}
	}
	s.Recover()
	if r := send(t, s, validBody); r.status != http.StatusAccepted {
		t.Fatalf("after Recover: status %d, want 202", r.status)
	}
	if n := len(s.Messages()); n != 1 {
		t.Errorf("%d messages recorded, want 1", n)
	}
}

func TestFailWhenFaultsOnlyMatchingBodies(t *testing.T) {
	s := newServer(t)
	otherOrder := mutate(t, func(b map[string]any) { b["custom_args"] = map[string]any{"order_id": "o-2"} })
	ofOrder1 := func(body []byte) bool { return bytes.Contains(body, []byte(`"order_id": "o-1"`)) }
	s.FailWhen(ofOrder1, Fault{Status: http.StatusBadRequest})

	r := send(t, s, validBody)
	if r.status != http.StatusBadRequest {
		t.Fatalf("matching body: status %d, want 400", r.status)
	}
	r.envelope(t)
	if r := send(t, s, otherOrder); r.status != http.StatusAccepted {
		t.Fatalf("other body: status %d (%s), want 202", r.status, r.body)
	}
	// The predicate sees the body as SendGrid reads it, not the gzip bytes.
	var zipped bytes.Buffer
	zw := gzip.NewWriter(&zipped)
	_, _ = zw.Write([]byte(validBody))
	_ = zw.Close()
	if r := post(t, s.URL()+MailSendPath, map[string]string{"Content-Encoding": "gzip"}, zipped.Bytes()); r.status != http.StatusBadRequest {
		t.Fatalf("matching gzip body: status %d, want 400", r.status)
	}
	if got := s.Messages(); len(got) != 1 || got[0].CustomArgs["order_id"] != "o-2" {
		t.Fatalf("accepted %+v, want only the other order's message", got)
	}
	if len(s.Violations()) != 0 {
		t.Errorf("violations %v: a fault is not a refusal of the body", s.Violations())
	}

	s.Recover()
	if r := send(t, s, validBody); r.status != http.StatusAccepted {
		t.Fatalf("after Recover: status %d, want 202", r.status)
	}
	if m := s.Messages(); len(m) != 2 || m[1].Subject != "Your order" {
		t.Fatalf("after Recover: messages %+v, want the matching one accepted intact", m)
	}
	if n := s.Requests(); n != 4 {
		t.Errorf("Requests() = %d, want 4", n)
	}
}

func TestFailNextComesBeforeFailWhen(t *testing.T) {
	s := newServer(t)
	s.FailWhen(func([]byte) bool { return true }, Fault{Status: http.StatusBadRequest})
	s.FailNext(1, Fault{Status: http.StatusServiceUnavailable})
	for _, want := range []int{503, 400} {
		if r := send(t, s, validBody); r.status != want {
			t.Fatalf("status %d, want %d", r.status, want)
		}
	}
	s.Reset()
	if r := send(t, s, validBody); r.status != http.StatusAccepted {
		t.Fatalf("after Reset: status %d, want 202 (FailWhen cleared)", r.status)
	}
}

var errGaveUp = errors.New("client gave up")

func TestHangHoldsTheRequestUntilTheClientGivesUp(t *testing.T) {
	s := newServer(t)
	s.FailNext(1, Fault{Hang: true})
	// Give up only once the server holds the request, however slow the machine.
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	go func() {
		for s.Requests() == 0 {
			time.Sleep(10 * time.Millisecond)
		}
		time.Sleep(50 * time.Millisecond)
		cancel(errGaveUp)
	}()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, s.URL()+MailSendPath, strings.NewReader(validBody))
	req.Header.Set("Authorization", "Bearer "+testKey)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err == nil {
		resp.Body.Close()
		t.Fatalf("got status %d, want no answer", resp.StatusCode)
	}
	if !errors.Is(context.Cause(ctx), errGaveUp) {
		t.Fatalf("error %v, want the client to have given up", err)
	}
	if r := send(t, s, validBody); r.status != http.StatusAccepted {
		t.Errorf("next request: status %d, want 202", r.status)
	}
}

func TestCloseReleasesHangingRequests(t *testing.T) {
	s := New(testKey)
	s.FailAll(Fault{Hang: true})
	done := make(chan error, 1)
	go func() {
		req, _ := http.NewRequest(http.MethodPost, s.URL()+MailSendPath, strings.NewReader(validBody))
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()
	for s.Requests() == 0 {
		time.Sleep(10 * time.Millisecond)
	}
	s.Close() // must return although the request never gets its answer
	<-done
}

func TestDropClosesTheConnection(t *testing.T) {
	s := newServer(t)
	s.FailNext(1, Fault{Drop: true})
	req, _ := http.NewRequest(http.MethodPost, s.URL()+MailSendPath, strings.NewReader(validBody))
	req.Header.Set("Authorization", "Bearer "+testKey)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err == nil {
		resp.Body.Close()
		t.Fatalf("got status %d, want the connection dropped", resp.StatusCode)
	}
	if n := len(s.Messages()); n != 0 {
		t.Errorf("%d messages recorded for a dropped request", n)
	}
}

func TestWaitForMessages(t *testing.T) {
	s := newServer(t)
	go func() {
		for range 3 {
			req, _ := http.NewRequest(http.MethodPost, s.URL()+MailSendPath, strings.NewReader(validBody))
			req.Header.Set("Authorization", "Bearer "+testKey)
			req.Header.Set("Content-Type", "application/json")
			if resp, err := http.DefaultClient.Do(req); err == nil {
				resp.Body.Close()
			}
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	msgs, err := s.WaitForMessages(ctx, 3)
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) < 3 {
		t.Fatalf("%d messages, want 3", len(msgs))
	}

	short, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := s.WaitForMessages(short, 4); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("waiting for a fourth message: error %v, want the deadline", err)
	}
}

func TestCountMessagesAndReset(t *testing.T) {
	s := newServer(t)
	send(t, s, validBody)
	send(t, s, mutate(t, func(b map[string]any) { b["categories"] = []any{"payment_link"} }))
	send(t, s, `{}`)
	n := s.CountMessages(func(m Message) bool { return len(m.Categories) == 1 && m.Categories[0] == "payment_link" })
	if n != 1 {
		t.Errorf("CountMessages = %d, want 1", n)
	}
	s.FailAll(Fault{Status: 500})
	s.Reset()
	if len(s.Messages()) != 0 || len(s.Violations()) != 0 || s.Requests() != 0 {
		t.Errorf("after Reset: %d messages, %d violations, %d requests; want none", len(s.Messages()), len(s.Violations()), s.Requests())
	}
	if r := send(t, s, validBody); r.status != http.StatusAccepted {
		t.Errorf("after Reset: status %d, want 202 (faults cleared)", r.status)
	}
}

func TestConcurrentRequests(t *testing.T) {
	s := newServer(t)
	s.FailNext(5, Fault{Status: 503})
	var wg sync.WaitGroup
	statuses := make(chan int, 20)
	for range 20 {
		wg.Go(func() {
			req, _ := http.NewRequest(http.MethodPost, s.URL()+MailSendPath, strings.NewReader(validBody))
			req.Header.Set("Authorization", "Bearer "+testKey)
			req.Header.Set("Content-Type", "application/json")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			statuses <- resp.StatusCode
		})
	}
	wg.Wait()
	close(statuses)
	count := map[int]int{}
	for st := range statuses {
		count[st]++
	}
	if count[503] != 5 || count[202] != 15 {
		t.Errorf("statuses %v, want 5×503 and 15×202", count)
	}
	ids := map[string]bool{}
	for _, m := range s.Messages() {
		ids[m.ID] = true
	}
	if len(ids) != 15 {
		t.Errorf("%d distinct message ids, want 15", len(ids))
	}
}

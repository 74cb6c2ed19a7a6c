package email

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/orderflow/orderflow/internal/sendgridtest"
)

const apiKey = "SG.test-key"

func testMessage() Message {
	return Message{
		Key:     KeyFor("o-1", "invoice_issued", "Client@Example.com"),
		OrderID: "o-1",
		Purpose: "invoice_issued",
		From:    Address{Name: "Orders", Email: "orders@example.com"},
		To:      Address{Name: "Client", Email: "Client@Example.com"},
		Cc: []Address{
			{Name: "Member", Email: "member@example.com"},
			{Email: "client@example.com"}, // the recipient again: dropped
			{Email: "MEMBER@example.com"}, // a copy twice: dropped
		},
		ReplyTo: &Address{Email: "help@example.com"},
		Subject: "Invoice 2026-0001",
		Text:    "Your invoice is attached.",
		HTML:    "<p>Your invoice is attached.</p>",
		Attachments: []Attachment{
			{Filename: "invoice.pdf", ContentType: "application/pdf", Content: []byte("%PDF-1.7\n...")},
		},
	}
}

func newStandIn(t *testing.T) *sendgridtest.Server {
	t.Helper()
	s := sendgridtest.New(apiKey)
	t.Cleanup(s.Close)
	return s
}

func newSender(t *testing.T, cfg SendGridConfig) *SendGrid {
	t.Helper()
	if cfg.APIKey == "" {
		cfg.APIKey = apiKey
	}
	s, err := NewSendGrid(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSendGridDeliversTheMessage(t *testing.T) {
	standIn := newStandIn(t)
	sender := newSender(t, SendGridConfig{BaseURL: standIn.URL()})
	m := testMessage()

	id, err := sender.Send(context.Background(), m)
	if err != nil {
		t.Fatal(err)
	}
	if v := standIn.Violations(); len(v) != 0 {
		t.Fatalf("SendGrid's schema refused the request: %v", v)
	}
	got := standIn.Messages()
	if len(got) != 1 {
		t.Fatalf("stand-in recorded %d messages, want 1", len(got))
	}
	rec := got[0]
	if id == "" || id != rec.ID {
		t.Errorf("Send returned id %q, the stand-in answered %q", id, rec.ID)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"from", rec.From, sendgridtest.Address{Name: "Orders", Email: "orders@example.com"}},
		{"to", fmt.Sprint(rec.To()), fmt.Sprint([]sendgridtest.Address{{Name: "Client", Email: "Client@Example.com"}})},
		{"cc", fmt.Sprint(rec.Personalizations[0].Cc), fmt.Sprint([]sendgridtest.Address{{Name: "Member", Email: "member@example.com"}})},
		{"reply to", fmt.Sprint(rec.ReplyTo), fmt.Sprint(&sendgridtest.Address{Email: "help@example.com"})},
		{"subject", rec.Subject, m.Subject},
		{"content order", fmt.Sprintf("%d %s %s", len(rec.Contents), rec.Contents[0].Type, rec.Contents[1].Type), "2 text/plain text/html"},
		{"text", rec.Content("text/plain"), m.Text},
		{"html", rec.Content("text/html"), m.HTML},
		{"attachments", len(rec.Attachments), 1},
		{"attachment name", rec.Attachments[0].Filename, "invoice.pdf"},
		{"attachment type", rec.Attachments[0].Type, "application/pdf"},
		{"attachment content", string(rec.Attachments[0].Content), "%PDF-1.7\n..."},
		{"custom_args", fmt.Sprint(rec.CustomArgs), fmt.Sprint(map[string]string{
			"order_id": "o-1", "purpose": "invoice_issued", "idempotency_key": m.Key,
		})},
		{"categories", fmt.Sprint(rec.Categories), "[invoice_issued]"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: got %v, want %v", c.name, c.got, c.want)
		}
	}
}

func TestSendGridSendsSingleBodyMessages(t *testing.T) {
	standIn := newStandIn(t)
	sender := newSender(t, SendGridConfig{BaseURL: standIn.URL()})
	textOnly, htmlOnly := testMessage(), testMessage()
	textOnly.HTML, textOnly.Attachments, textOnly.Cc, textOnly.ReplyTo = "", nil, nil, nil
	htmlOnly.Text = ""
	for _, m := range []Message{textOnly, htmlOnly} {
		if _, err := sender.Send(context.Background(), m); err != nil {
			t.Fatal(err)
		}
	}
	if v := standIn.Violations(); len(v) != 0 {
		t.Fatalf("refused: %v", v)
	}
	msgs := standIn.Messages()
	if len(msgs) != 2 || len(msgs[0].Contents) != 1 || msgs[1].Contents[0].Type != "text/html" {
		t.Fatalf("recorded %+v, want one text-only and one HTML-only message", msgs)
	}
}

func asPermanent(t *testing.T, err error) *PermanentError {
	t.Helper()
	var pe *PermanentError
	if !errors.As(err, &pe) {
		t.Fatalf("error %v (%T), want *PermanentError", err, err)
	}
	return pe
}

func TestSendGridBadRequestIsPermanent(t *testing.T) {
	standIn := newStandIn(t)
	sender := newSender(t, SendGridConfig{BaseURL: standIn.URL()})
	m := testMessage()
	m.From.Email = "orders.example.com" // no @: SendGrid's schema refuses it

	_, err := sender.Send(context.Background(), m)
	pe := asPermanent(t, err)
	if pe.StatusCode != http.StatusBadRequest {
		t.Errorf("status %d, want 400", pe.StatusCode)
	}
	if !strings.Contains(pe.Reason, "from.email") {
		t.Errorf("reason %q does not name the field SendGrid complained about", pe.Reason)
	}
	if len(standIn.Messages()) != 0 {
		t.Error("the stand-in accepted a message it should have refused")
	}
}

func TestSendGridWrongKeyIsPermanent(t *testing.T) {
	standIn := newStandIn(t)
	sender := newSender(t, SendGridConfig{APIKey: "SG.wrong", BaseURL: standIn.URL()})
	_, err := sender.Send(context.Background(), testMessage())
	pe := asPermanent(t, err)
	if pe.StatusCode != http.StatusUnauthorized {
		t.Errorf("status %d, want 401", pe.StatusCode)
	}
	if !strings.Contains(err.Error(), "SENDGRID_API_KEY") {
		t.Errorf("message %q does not tell what to check", err)
	}
}

func TestSendGridTooLargeIsPermanent(t *testing.T) {
	standIn := newStandIn(t)
	standIn.FailNext(1, sendgridtest.Fault{Status: http.StatusRequestEntityTooLarge})
	sender := newSender(t, SendGridConfig{BaseURL: standIn.URL()})
	_, err := sender.Send(context.Background(), testMessage())
	if pe := asPermanent(t, err); pe.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("status %d, want 413", pe.StatusCode)
	}
}

func TestSendGridRateLimitedWaitsUntilReset(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	standIn := newStandIn(t)
	standIn.FailNext(1, sendgridtest.Fault{Status: http.StatusTooManyRequests, Reset: now.Add(37 * time.Second)})
	sender := newSender(t, SendGridConfig{BaseURL: standIn.URL(), Now: func() time.Time { return now }})

	_, err := sender.Send(context.Background(), testMessage())
	var rl *RateLimitedError
	if !errors.As(err, &rl) {
		t.Fatalf("error %v (%T), want *RateLimitedError", err, err)
	}
	if rl.RetryAfter != 37*time.Second {
		t.Errorf("RetryAfter %s, want 37s", rl.RetryAfter)
	}
	if _, err := sender.Send(context.Background(), testMessage()); err != nil {
		t.Errorf("after the limit: %v", err)
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	cases := []struct {
		name   string
		header http.Header
		want   time.Duration
	}{
		{"reset", http.Header{"X-Ratelimit-Reset": {fmt.Sprint(now.Unix() + 5)}}, 5 * time.Second},
		{"reset wins over Retry-After", http.Header{"X-Ratelimit-Reset": {fmt.Sprint(now.Unix() + 5)}, "Retry-After": {"99"}}, 5 * time.Second},
		{"reset passed", http.Header{"X-Ratelimit-Reset": {fmt.Sprint(now.Unix() - 30)}}, time.Second},
		{"reset far away", http.Header{"X-Ratelimit-Reset": {fmt.Sprint(now.Unix() + 86400)}}, maxRetryAfter},
		{"Retry-After seconds", http.Header{"Retry-After": {"12"}}, 12 * time.Second},
		{"Retry-After date", http.Header{"Retry-After": {now.Add(20 * time.Second).Format(http.TimeFormat)}}, 20 * time.Second},
		{"garbage", http.Header{"X-Ratelimit-Reset": {"soon"}}, defaultRetryAfter},
		{"nothing", http.Header{}, defaultRetryAfter},
	}
	for _, c := range cases {
		if got := retryAfter(c.header, now); got != c.want {
			t.Errorf("%s: %s, want %s", c.name, got, c.want)
		}
	}
	// Mid-second: round up, never ask to come back before the reset.
	if got := retryAfter(http.Header{"X-Ratelimit-Reset": {fmt.Sprint(now.Unix() + 5)}}, now.Add(300*time.Millisecond)); got != 5*time.Second {
		t.Errorf("mid-second: %s, want 5s", got)
	}
}

func TestSendGridServerErrorsAreTransient(t *testing.T) {
	for _, status := range []int{http.StatusInternalServerError, http.StatusServiceUnavailable} {
		standIn := newStandIn(t)
		standIn.FailNext(1, sendgridtest.Fault{Status: status})
		sender := newSender(t, SendGridConfig{BaseURL: standIn.URL()})
		_, err := sender.Send(context.Background(), testMessage())
		var te *TransientError
		if !errors.As(err, &te) {
			t.Fatalf("%d: error %v (%T), want *TransientError", status, err, err)
		}
		if te.StatusCode != status {
			t.Errorf("status %d, want %d", te.StatusCode, status)
		}
	}
}

func TestSendGridOutageThenRecovery(t *testing.T) {
	standIn := newStandIn(t)
	sender := newSender(t, SendGridConfig{BaseURL: standIn.URL()})
	standIn.FailAll(sendgridtest.Fault{Status: http.StatusServiceUnavailable})
	for range 3 {
		if _, err := sender.Send(context.Background(), testMessage()); !errors.As(err, new(*TransientError)) {
			t.Fatalf("during the outage: %v, want *TransientError", err)
		}
	}
	standIn.Recover()
	if _, err := sender.Send(context.Background(), testMessage()); err != nil {
		t.Fatalf("after recovery: %v", err)
	}
	if n := len(standIn.Messages()); n != 1 {
		t.Errorf("%d messages accepted, want 1", n)
	}
}

func TestSendGridNoAnswerIsUnknownOutcome(t *testing.T) {
	for name, fault := range map[string]sendgridtest.Fault{
		"never answers":     {Hang: true},
		"drops the request": {Drop: true},
	} {
		t.Run(name, func(t *testing.T) {
			standIn := newStandIn(t)
			standIn.FailNext(1, fault)
			// Long enough to connect and write on a slow machine, short
			// enough not to wait much for an answer that never comes.
			sender := newSender(t, SendGridConfig{BaseURL: standIn.URL(), Timeout: 3 * time.Second})
			_, err := sender.Send(context.Background(), testMessage())
			var uo *UnknownOutcomeError
			if !errors.As(err, &uo) {
				t.Fatalf("error %v (%T), want *UnknownOutcomeError", err, err)
			}
			if standIn.Requests() != 1 {
				t.Errorf("stand-in saw %d requests, want 1", standIn.Requests())
			}
		})
	}
}

func TestSendGridClosedPortIsTransient(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	sender := newSender(t, SendGridConfig{BaseURL: "http://" + addr})
	_, err = sender.Send(context.Background(), testMessage())
	var te *TransientError
	if !errors.As(err, &te) {
		t.Fatalf("error %v (%T), want *TransientError", err, err)
	}
	if te.StatusCode != 0 || !strings.Contains(err.Error(), "unreachable") {
		t.Errorf("error %q, want it to say SendGrid was unreachable", err)
	}
}

func TestSendGridUnknownHostIsTransient(t *testing.T) {
	sender := newSender(t, SendGridConfig{BaseURL: "http://sendgrid.invalid", Timeout: 30 * time.Second})
	_, err := sender.Send(context.Background(), testMessage())
	if !errors.As(err, new(*TransientError)) {
		t.Fatalf("error %v (%T), want *TransientError", err, err)
	}
}

func TestSendGridRedirectIsNotFollowed(t *testing.T) {
	redirect := httptest.NewServer(http.RedirectHandler("https://elsewhere.example/", http.StatusFound))
	t.Cleanup(redirect.Close)
	sender := newSender(t, SendGridConfig{BaseURL: redirect.URL})
	_, err := sender.Send(context.Background(), testMessage())
	if pe := asPermanent(t, err); pe.StatusCode != http.StatusFound {
		t.Errorf("status %d, want 302", pe.StatusCode)
	}
}

func TestSendGridCallerCancelled(t *testing.T) {
	standIn := newStandIn(t)
	sender := newSender(t, SendGridConfig{BaseURL: standIn.URL()})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := sender.Send(ctx, testMessage())
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want context.Canceled", err)
	}
	if standIn.Requests() != 0 {
		t.Error("a request was sent for a cancelled context")
	}
}

func TestSendGridRefusesIncompleteMessagesWithoutSending(t *testing.T) {
	standIn := newStandIn(t)
	sender := newSender(t, SendGridConfig{BaseURL: standIn.URL()})
	for name, edit := range map[string]func(*Message){
		"no key":       func(m *Message) { m.Key = "" },
		"no recipient": func(m *Message) { m.To = Address{} },
		"no sender":    func(m *Message) { m.From = Address{} },
		"no subject":   func(m *Message) { m.Subject = " " },
		"no body":      func(m *Message) { m.Text, m.HTML = "", "" },
		"unnamed file": func(m *Message) { m.Attachments[0].Filename = "" },
		"empty file":   func(m *Message) { m.Attachments[0].Content = nil },
	} {
		m := testMessage()
		edit(&m)
		_, err := sender.Send(context.Background(), m)
		if pe := asPermanent(t, err); pe.StatusCode != 0 {
			t.Errorf("%s: status %d, want 0 (refused before sending)", name, pe.StatusCode)
		}
	}
	if standIn.Requests() != 0 {
		t.Errorf("%d requests sent for incomplete messages", standIn.Requests())
	}
}

func TestNewSendGridChecksConfig(t *testing.T) {
	if _, err := NewSendGrid(SendGridConfig{}); err == nil {
		t.Error("no API key: no error")
	}
	for _, base := range []string{"api.sendgrid.com", "ftp://api.sendgrid.com", "http://"} {
		if _, err := NewSendGrid(SendGridConfig{APIKey: apiKey, BaseURL: base}); err == nil {
			t.Errorf("base URL %q: no error", base)
		}
	}
	s := newSender(t, SendGridConfig{})
	if s.endpoint != "https://api.sendgrid.com/v3/mail/send" || s.timeout != 10*time.Second {
		t.Errorf("defaults: endpoint %q, timeout %s", s.endpoint, s.timeout)
	}
	if s.headers["Authorization"] != "Bearer "+apiKey {
		t.Errorf("Authorization header %q", s.headers["Authorization"])
	}
}

func TestErrorsClassifyThroughWrapping(t *testing.T) {
	errs := []error{
		&PermanentError{StatusCode: 400, Reason: "from.email: invalid"},
		&RateLimitedError{RetryAfter: 3 * time.Second},
		&TransientError{StatusCode: 503, Err: errors.New("service unavailable")},
		&UnknownOutcomeError{Err: context.DeadlineExceeded},
	}
	for _, e := range errs {
		wrapped := fmt.Errorf("activity: %w", e)
		matches := []bool{
			errors.As(wrapped, new(*PermanentError)),
			errors.As(wrapped, new(*RateLimitedError)),
			errors.As(wrapped, new(*TransientError)),
			errors.As(wrapped, new(*UnknownOutcomeError)),
		}
		if n := len(slices.DeleteFunc(matches, func(b bool) bool { return !b })); n != 1 {
			t.Errorf("%T matches %d classes, want exactly 1", e, n)
		}
		if e.Error() == "" {
			t.Errorf("%T has an empty message", e)
		}
	}
	if !errors.Is(&UnknownOutcomeError{Err: context.DeadlineExceeded}, context.DeadlineExceeded) {
		t.Error("UnknownOutcomeError does not unwrap to its cause")
	}
}

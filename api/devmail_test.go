package api

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/orderflow/orderflow/internal/email"
)

type emptyInbox struct{}

func (emptyInbox) ListCaptured(context.Context, int) ([]email.Captured, error) { return nil, nil }

type fixedInbox struct {
	mails []email.Captured
	limit int
	err   error
}

func (f *fixedInbox) ListCaptured(_ context.Context, limit int) ([]email.Captured, error) {
	f.limit = limit
	return f.mails, f.err
}

func TestDevMailShowsCapturedMessagesWithLinks(t *testing.T) {
	inbox := &fixedInbox{mails: []email.Captured{{
		ID: 1, MessageID: "cap-1", OrderID: "ord_1", Purpose: "payment_link",
		From: "orders@example.com", To: "ann@example.com", Subject: "Pay your order <now>",
		Text: "Pay here: http://localhost:8080/pay/tok123 please", HTML: "<p>Pay</p>",
		CreatedAt: time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC),
	}}}
	deps := testDeps(nil)
	deps.Inbox = inbox
	h := New(deps)

	rec := do(t, h, "GET", "/dev/mail?limit=20", nil, nil)
	if rec.Code != 200 || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/html") {
		t.Fatalf("dev mail = %d %s", rec.Code, rec.Header().Get("Content-Type"))
	}
	body := rec.Body.String()
	if !strings.Contains(body, `href="http://localhost:8080/pay/tok123"`) {
		t.Errorf("the link in the text body is not clickable:\n%s", body)
	}
	if strings.Contains(body, "Pay your order <now>") || !strings.Contains(body, "Pay your order &lt;now&gt;") {
		t.Errorf("the subject is not escaped")
	}
	if inbox.limit != 20 {
		t.Errorf("limit passed = %d, want 20", inbox.limit)
	}

	decodeProblem(t, do(t, h, "GET", "/dev/mail?limit=0", nil, nil), 400)
	inbox.err = errors.New("db down")
	decodeProblem(t, do(t, h, "GET", "/dev/mail", nil, nil), 503)
}

func TestDevMailOnlyInCaptureMode(t *testing.T) {
	decodeProblem(t, do(t, New(testDeps(nil)), "GET", "/dev/mail", nil, nil), 404)
}

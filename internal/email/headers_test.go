package email

import (
	"context"
	"strings"
	"testing"
)

func TestHeaderText(t *testing.T) {
	for in, want := range map[string]string{
		"Invoice 2026-0001":                     "Invoice 2026-0001",
		"Ann\r\nBcc: all@example.com":           "Ann Bcc: all@example.com",
		"Ann\nX-Spam: no":                       "Ann X-Spam: no",
		"Ann\rX":                                "Ann X",
		"Mem\x00ber":                            "Mem ber",
		"\x1b[31mred\x1b[0m":                    "[31mred [0m",
		"tab\tand\vform\ffeed":                  "tab and form feed",
		"next\u0085line\u2028sep\u2029para":     "next line sep para",
		"  padded   name  ":                     "padded name",
		"bad \xff byte":                         "bad \uFFFD byte",
		"\r\n\x00 ":                             "",
		"Caf\u00e9 \u6f22 \U0001F9F1 \u202egpj": "Caf\u00e9 \u6f22 \U0001F9F1 \u202egpj",
	} {
		if got := headerText(in); got != want {
			t.Errorf("headerText(%q) = %q, want %q", in, got, want)
		}
	}
}

// hostileMessage has a line break or control character in every text that
// becomes a mail header.
func hostileMessage() Message {
	m := testMessage()
	m.Subject = "Invoice 2026-0001\r\nBcc: everyone@example.com"
	m.From.Name = "Orders\r\nReply-To: thief@example.com"
	m.To.Name = "Client\nX-Injected: 1"
	m.Cc[0].Name = "Mem\x00ber"
	m.ReplyTo = &Address{Name: "Help\r\n", Email: "help@example.com"}
	m.Attachments[0].Filename = "invoice\r\n.pdf"
	return m
}

func TestPrepareMakesHeadersOneLine(t *testing.T) {
	in := hostileMessage()
	m, err := prepare(in)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"subject": "Invoice 2026-0001 Bcc: everyone@example.com", "from": "Orders Reply-To: thief@example.com",
		"to": "Client X-Injected: 1", "cc": "Mem ber", "reply to": "Help", "file name": "invoice .pdf",
	}
	got := map[string]string{
		"subject": m.Subject, "from": m.From.Name, "to": m.To.Name, "cc": m.Cc[0].Name,
		"reply to": m.ReplyTo.Name, "file name": m.Attachments[0].Filename,
	}
	for k := range want {
		if got[k] != want[k] {
			t.Errorf("%s = %q, want %q", k, got[k], want[k])
		}
	}
	// The caller's message is left as it was.
	if in.Cc[0].Name != "Mem\x00ber" || in.ReplyTo.Name != "Help\r\n" || in.Attachments[0].Filename != "invoice\r\n.pdf" {
		t.Errorf("prepare changed the caller's message: %+v", in)
	}
}

func TestPrepareRefusesAddressesThatBreakHeaders(t *testing.T) {
	for name, edit := range map[string]func(*Message){
		"CRLF in the recipient": func(m *Message) { m.To.Email = "client@example.com\r\nBcc: all@example.com" },
		"NUL in the sender":     func(m *Message) { m.From.Email = "orders\x00@example.com" },
		"space in a copy":       func(m *Message) { m.Cc[0].Email = "member @example.com" },
		"LF in the reply-to":    func(m *Message) { m.ReplyTo = &Address{Email: "help@example.com\n"} },
	} {
		m := testMessage()
		edit(&m)
		if _, err := prepare(m); err == nil || !strings.Contains(err.Error(), "space or control character") {
			t.Errorf("%s: prepare = %v, want a refusal naming the address", name, err)
		}
	}
}

// Through the SendGrid sender: the request holds no header with a line break.
func TestSendGridSendsHeadersOnOneLine(t *testing.T) {
	standIn := newStandIn(t)
	sender := newSender(t, SendGridConfig{BaseURL: standIn.URL()})
	if _, err := sender.Send(context.Background(), hostileMessage()); err != nil {
		t.Fatal(err)
	}
	got := standIn.Messages()
	if len(got) != 1 {
		t.Fatalf("stand-in recorded %d messages, want 1", len(got))
	}
	rec := got[0]
	headers := []string{rec.Subject, rec.From.Name, rec.ReplyTo.Name, rec.Attachments[0].Filename}
	for _, a := range rec.To() {
		headers = append(headers, a.Name)
	}
	for _, a := range rec.Personalizations[0].Cc {
		headers = append(headers, a.Name)
	}
	for _, h := range headers {
		if strings.ContainsAny(h, "\r\n\x00") {
			t.Errorf("a header value keeps a line break or NUL: %q", h)
		}
	}
	if rec.Subject != "Invoice 2026-0001 Bcc: everyone@example.com" || rec.From.Name != "Orders Reply-To: thief@example.com" {
		t.Errorf("subject %q, from %q", rec.Subject, rec.From.Name)
	}
}

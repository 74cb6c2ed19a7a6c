package email

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestLinkify(t *testing.T) {
	got := linkify("Pay at https://x.example/pay/abc?a=1&b=2. Or (see https://x.example/help), javascript:alert(1)")
	want := []textPart{
		{Text: "Pay at "},
		{URL: "https://x.example/pay/abc?a=1&b=2"},
		{Text: ". Or (see "},
		{URL: "https://x.example/help"},
		{Text: "), javascript:alert(1)"},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("linkify:\n got %q\nwant %q", got, want)
	}
	if parts := linkify("no links here"); len(parts) != 1 || parts[0].Text != "no links here" {
		t.Errorf("plain text: %q", parts)
	}
}

func TestRenderInbox(t *testing.T) {
	mails := []Captured{
		{
			ID: 2, MessageID: "capture-2", OrderID: "mk-0042", Purpose: "payment_link",
			From: "orderflow <orders@orderflow.localhost>", To: "Ann <ann@example.com>",
			Cc:      []string{"Bart <bart@example.com>"},
			Subject: `Pay <b>now</b>`,
			Text:    "Pay here: https://orderflow.example/pay/tok123.\n<img src=x onerror=alert(1)>",
			HTML:    `<p>Pay</p><script>alert("frame")</script>"`,
			Attachments: []CapturedAttachment{
				{Filename: "invoice.pdf", ContentType: "application/pdf", Size: 1234},
			},
			CreatedAt: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC),
		},
		{ID: 1, MessageID: "capture-1", From: "a@example.com", To: "b@example.com", Subject: "Older", Text: "plain", CreatedAt: time.Date(2026, 3, 1, 11, 0, 0, 0, time.UTC)},
	}
	var b strings.Builder
	if err := RenderInbox(&b, mails); err != nil {
		t.Fatal(err)
	}
	page := b.String()

	for _, want := range []string{
		`<a href="https://orderflow.example/pay/tok123" target="_blank" rel="noopener">https://orderflow.example/pay/tok123</a>.`,
		"Pay &lt;b&gt;now&lt;/b&gt;",
		"&lt;img src=x onerror=alert(1)&gt;",
		`sandbox="allow-popups allow-popups-to-escape-sandbox"`,
		"srcdoc=\"&lt;base target=&#34;_blank&#34;&gt;&lt;p&gt;Pay&lt;/p&gt;&lt;script&gt;",
		"invoice.pdf (application/pdf, 1234 bytes)",
		"Ann &lt;ann@example.com&gt;",
		"Bart &lt;bart@example.com&gt;",
		`datetime="2026-03-01T12:00:00Z"`,
		`name="viewport"`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %s", want)
		}
	}
	for _, raw := range []string{"<script>", "<b>now", "<img"} {
		if strings.Contains(page, raw) {
			t.Errorf("page contains %q unescaped", raw)
		}
	}
	if strings.Contains(page, "allow-scripts") {
		t.Error("the frame may run the email's scripts")
	}
	if strings.Index(page, "Pay &lt;b&gt;") > strings.Index(page, "Older") {
		t.Error("messages are not in the order given (newest first)")
	}
	if strings.Count(page, "<details open>") != 1 {
		t.Error("want exactly the newest message expanded")
	}
}

func TestRenderEmptyInbox(t *testing.T) {
	var b strings.Builder
	if err := RenderInbox(&b, nil); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "No mail captured yet.") {
		t.Error("an empty inbox does not say so")
	}
}

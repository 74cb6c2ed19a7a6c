package email

import (
	"errors"
	"strings"
	"testing"
)

// examples holds data for every purpose; a template without an example here
// fails TestEveryTemplateRenders, so a new purpose comes with its test data.
var examples = map[string]map[string]any{
	"payment_link": {
		"CustomerName": "Ann Peeters",
		"OrderID":      "mk-0042",
		"Amount":       "EUR 1,250.00",
		"PaymentURL":   "https://orderflow.example/pay/tok123",
		"ValidUntil":   "2 March 2026, 14:00",
	},
	"order_submitted": {
		"MemberName": "Bart",
		"OrderID":    "mb-0007",
		"Title":      "Website redesign",
		"OrderURL":   "https://orderflow.example/orders/mb-0007",
	},
	"notice": {
		"Subject":     "Your order mb-0007 was approved",
		"Name":        "Bart",
		"Heading":     "Order approved",
		"Paragraphs":  []string{"Staff approved your order.", "The client will be asked to confirm it."},
		"ActionURL":   "https://orderflow.example/orders/mb-0007",
		"ActionLabel": "View the order",
	},
}

func loadTemplates(t *testing.T) *Templates {
	t.Helper()
	tm, err := LoadTemplates()
	if err != nil {
		t.Fatal(err)
	}
	return tm
}

func TestEveryTemplateRenders(t *testing.T) {
	tm := loadTemplates(t)
	for _, want := range []string{"notice", "order_submitted", "payment_link"} {
		if _, ok := tm.purposes[want]; !ok {
			t.Errorf("no template for %q", want)
		}
	}
	for _, purpose := range tm.Purposes() {
		t.Run(purpose, func(t *testing.T) {
			data, ok := examples[purpose]
			if !ok {
				t.Fatalf("no example data for %q: add it to examples", purpose)
			}
			subject, text, html, err := tm.Render(purpose, data)
			if err != nil {
				t.Fatal(err)
			}
			if subject == "" || strings.ContainsAny(subject, "\r\n") {
				t.Errorf("subject %q, want one non-empty line", subject)
			}
			if !strings.Contains(text, "automated message") || !strings.Contains(html, "automated message") {
				t.Error("the shared footer is missing")
			}
			if !strings.HasPrefix(html, "<!DOCTYPE html>") || !strings.Contains(html, `name="viewport"`) {
				t.Error("the HTML body is not inside the shared layout")
			}
			// Every URL of the data is a link in both bodies.
			for _, v := range data {
				if s, ok := v.(string); ok && strings.HasPrefix(s, "https://") {
					if !strings.Contains(text, s) || !strings.Contains(html, `href="`+s+`"`) {
						t.Errorf("%s is not in the text body or not a link in the HTML body", s)
					}
				}
			}
		})
	}
}

func TestPaymentLinkContent(t *testing.T) {
	subject, text, html, err := loadTemplates(t).Render("payment_link", examples["payment_link"])
	if err != nil {
		t.Fatal(err)
	}
	if subject != "Payment for your order mk-0042" {
		t.Errorf("subject %q", subject)
	}
	for _, want := range []string{"Hello Ann Peeters,", "EUR 1,250.00", "2 March 2026, 14:00"} {
		if !strings.Contains(text, want) || !strings.Contains(html, want) {
			t.Errorf("%q missing from a body", want)
		}
	}
}

func TestNoticeWithoutAction(t *testing.T) {
	data := map[string]any{
		"Subject": "Order expired", "Name": "", "Heading": "Your order expired",
		"Paragraphs": []string{"Nobody paid in time."}, "ActionURL": "", "ActionLabel": "",
	}
	_, text, html, err := loadTemplates(t).Render("notice", data)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(html, "<a ") {
		t.Error("a button without an action URL")
	}
	if !strings.HasPrefix(text, "Hello,\n") {
		t.Errorf("text starts %q, want a greeting without a name", text[:min(20, len(text))])
	}
}

func TestTemplatesEscapeData(t *testing.T) {
	data := map[string]any{
		"Subject":     "Hi <b>there</b>\r\nBcc: victim@example.com",
		"Name":        `<script>alert("name")</script>`,
		"Heading":     `"><img src=x onerror=alert(1)>`,
		"Paragraphs":  []string{"<iframe src=evil>"},
		"ActionURL":   "javascript:alert(1)",
		"ActionLabel": "<b>Go</b>",
	}
	subject, _, html, err := loadTemplates(t).Render("notice", data)
	if err != nil {
		t.Fatal(err)
	}
	for _, raw := range []string{"<script>", "<img", "<iframe", "<b>", "javascript:alert(1)\""} {
		if strings.Contains(html, raw) {
			t.Errorf("HTML body contains %q unescaped", raw)
		}
	}
	for _, escaped := range []string{"&lt;script&gt;", "&lt;img src=x", "&lt;b&gt;Go&lt;/b&gt;", `href="#ZgotmplZ"`} {
		if !strings.Contains(html, escaped) {
			t.Errorf("HTML body lacks %q", escaped)
		}
	}
	if strings.ContainsAny(subject, "\r\n") {
		t.Errorf("subject %q spans lines: a header injection", subject)
	}
}

func TestRenderUnknownPurpose(t *testing.T) {
	_, _, _, err := loadTemplates(t).Render("no_such_purpose", nil)
	if !errors.Is(err, ErrUnknownPurpose) {
		t.Fatalf("error %v, want ErrUnknownPurpose", err)
	}
}

func TestRenderMissingDataIsAnError(t *testing.T) {
	data := map[string]any{"CustomerName": "Ann", "OrderID": "mk-1"} // no PaymentURL...
	if _, _, _, err := loadTemplates(t).Render("payment_link", data); err == nil {
		t.Fatal("no error for missing data")
	}
}

func TestParsePurposeNeedsAllParts(t *testing.T) {
	_, err := parsePurpose("broken", `{{define "text_message"}}{{end}}`, `{{define "subject"}}x{{end}}{{define "body"}}x{{end}}`)
	if err == nil || !strings.Contains(err.Error(), `"text"`) {
		t.Fatalf("error %v, want it to name the missing text template", err)
	}
}

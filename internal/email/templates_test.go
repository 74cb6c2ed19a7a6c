package email

import (
	"encoding/json"
	"errors"
	"html"
	"io/fs"
	"regexp"
	"strings"
	"testing"
)

// examples holds data for every purpose; a template without an example here
// fails TestEveryTemplateRenders, so a new purpose comes with its test data.
// The marketplace purposes get theirs from marketplaceEmails.
var examples = func() map[string]map[string]any {
	ex := map[string]map[string]any{
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
	for purpose, m := range marketplaceEmails {
		ex[purpose] = orderEmail(m.shows...)
	}
	return ex
}()

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
	if subject != "Payment for your order ord_01JM8Z6Q4WX3" {
		t.Errorf("subject %q", subject)
	}
	for _, want := range []string{"Hello Ann Peeters,", "please pay € 1,234.50", "Please pay before 3 March 2026, 14:00", "the order expires"} {
		if !strings.Contains(text, want) {
			t.Errorf("%q missing from the text body", want)
		}
	}
	if !strings.Contains(html, `">Pay now</a>`) {
		t.Error("no Pay now button in the HTML body")
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
	tm := loadTemplates(t)
	data := orderEmail("ActionURL", "Deadline")
	delete(data, "Deadline")
	if _, _, _, err := tm.Render("payment_link", data); err == nil {
		t.Error("no error for a missing key")
	}

	data = orderEmail()
	delete(data["Lines"].([]any)[0].(map[string]any), "Amount")
	if _, _, _, err := tm.Render("payment_link", data); err == nil {
		t.Error("no error for a line without an amount")
	}
}

func TestParsePurposeNeedsAllParts(t *testing.T) {
	_, err := parsePurpose("broken", `{{define "text_message"}}{{end}}`, `{{define "subject"}}x{{end}}{{define "body"}}x{{end}}`)
	if err == nil || !strings.Contains(err.Error(), `"text"`) {
		t.Fatalf("error %v, want it to name the missing text template", err)
	}
}

// marketplaceEmails lists the purposes of the marketplace flow and, for each,
// the optional keys it shows when given and whether it shows the total and
// the order lines. Every one of them gets the same data shape: orderEmail.
var marketplaceEmails = map[string]struct {
	shows        []string
	total, lines bool
}{
	"payment_link":       {shows: []string{"ActionURL", "Deadline", "Delivery"}, total: true, lines: true},
	"credit_approved":    {shows: []string{"ActionURL"}, total: true},
	"credit_declined":    {shows: []string{"Reason", "ActionURL", "Deadline"}, total: true},
	"order_acknowledged": {shows: []string{"ActionURL", "Delivery"}, total: true, lines: true},
	"supplier_offer":     {shows: []string{"ActionURL", "Deadline", "Delivery"}, total: true, lines: true},
	"order_confirmed":    {shows: []string{"ActionURL", "Supplier", "Delivery"}, total: true, lines: true},
	"purchase_order":     {shows: []string{"ActionURL", "Delivery"}, total: true, lines: true},
	"order_delivered":    {shows: []string{"ActionURL", "Supplier", "Delivery"}},
	"order_completed":    {shows: []string{"ActionURL", "Deadline"}},
	"order_expired":      {shows: []string{"Reason", "ActionURL", "Refund"}},
	"order_cancelled":    {shows: []string{"Reason", "ActionURL", "Refund"}},
	"return_approved":    {shows: []string{"Reason", "ActionURL", "Supplier", "Refund"}},
	"return_rejected":    {shows: []string{"Reason", "ActionURL"}},
	"resalable_rejected": {shows: []string{"Reason", "ActionURL", "Supplier"}},
	"refund_issued":      {shows: []string{"Reason", "ActionURL", "Refund"}},
}

// optionalSamples are example values of the keys that may be "". Each is
// distinct from every other value so that finding one proves its key shows.
var optionalSamples = map[string]string{
	"Reason":    "No supplier accepted the order in time",
	"ActionURL": "https://orderflow.example/orders/ord_01JM8Z6Q4WX3",
	"Deadline":  "3 March 2026, 14:00",
	"Supplier":  "Bureau Plus BV",
	"Refund":    "€ 612.25",
	"Delivery":  "Rue Haute 12, 1000 Brussels, on 5 March 2026",
}

var sampleLines = []map[string]string{
	{"Description": "Office chair, black", "Quantity": "2", "Amount": "€ 398.00"},
	{"Description": "Standing desk 160 cm", "Quantity": "1", "Amount": "€ 836.50"},
}

// orderEmail is the data of a marketplace email as the email activity gets
// it: JSON decoded into map[string]any, every key present, the lines as []any
// of map[string]any. The optional keys named in given hold a sample value,
// the others "".
func orderEmail(given ...string) map[string]any {
	data := map[string]any{
		"OrderID":   "ord_01JM8Z6Q4WX3",
		"Recipient": "Ann Peeters",
		"Lines":     sampleLines,
		"Total":     "€ 1,234.50",
	}
	for key := range optionalSamples {
		data[key] = ""
	}
	for _, key := range given {
		data[key] = optionalSamples[key]
	}
	raw, err := json.Marshal(data)
	if err != nil {
		panic(err) // strings only: cannot happen
	}
	var decoded map[string]any
	if err := json.Unmarshal(raw, &decoded); err != nil {
		panic(err)
	}
	return decoded
}

func TestMarketplaceExamplesHaveTheOrderEmailShape(t *testing.T) {
	tm := loadTemplates(t)
	for purpose, m := range marketplaceEmails {
		if _, ok := tm.purposes[purpose]; !ok {
			t.Errorf("no template for %q", purpose)
		}
		data := examples[purpose]
		if len(data) != 4+len(optionalSamples) {
			t.Errorf("%s: %d keys, want the %d of the order email", purpose, len(data), 4+len(optionalSamples))
		}
		for _, key := range m.shows {
			if s, _ := data[key].(string); s == "" {
				t.Errorf("%s: shows %q but its example has no value for it", purpose, key)
			}
		}
	}
}

func TestMarketplaceEmailsShowTheirFacts(t *testing.T) {
	tm := loadTemplates(t)
	for purpose, m := range marketplaceEmails {
		t.Run(purpose, func(t *testing.T) {
			data := examples[purpose]
			subject, text, body, err := tm.Render(purpose, data)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(subject, "ord_01JM8Z6Q4WX3") {
				t.Errorf("subject %q lacks the order id", subject)
			}
			for _, part := range []string{subject, text, body} {
				if strings.Contains(part, "<no value>") {
					t.Error("<no value> in the email")
				}
			}
			want := []string{"Hello Ann Peeters,", "ord_01JM8Z6Q4WX3"}
			for _, key := range m.shows {
				want = append(want, data[key].(string))
			}
			if m.total {
				want = append(want, "€ 1,234.50")
			}
			if m.lines {
				for _, line := range sampleLines {
					want = append(want, line["Description"], line["Amount"])
				}
			}
			for _, w := range want {
				if !strings.Contains(text, w) {
					t.Errorf("%q missing from the text body", w)
				}
				if !strings.Contains(body, html.EscapeString(w)) {
					t.Errorf("%q missing from the HTML body", w)
				}
			}
			if m.lines && !strings.Contains(body, ">Office chair, black</td>") {
				t.Error("the lines are not a table in the HTML body")
			}
			if url, _ := data["ActionURL"].(string); url != "" && !strings.Contains(body, `href="`+url+`"`) {
				t.Error("the action URL is not a link in the HTML body")
			}
		})
	}
}

func TestMarketplaceEmailsWithoutOptionalKeys(t *testing.T) {
	tm := loadTemplates(t)
	data := orderEmail()
	for purpose := range marketplaceEmails {
		t.Run(purpose, func(t *testing.T) {
			_, text, body, err := tm.Render(purpose, data)
			if err != nil {
				t.Fatal(err)
			}
			for _, bad := range danglingText(text) {
				t.Errorf("text body: dangling %q", bad)
			}
			for _, bad := range danglingHTML(body) {
				t.Errorf("HTML body: dangling %q", bad)
			}
			if strings.Contains(body, "<a ") {
				t.Error("a link in the HTML body without an action URL")
			}
			if strings.Contains(text, "https://") {
				t.Error("an address in the text body without an action URL")
			}
		})
	}
}

// An email that mentions a refund only when one is made must not speak of one
// without it.
func TestNoRefundMentionedWithoutOne(t *testing.T) {
	tm := loadTemplates(t)
	for _, purpose := range []string{"order_expired", "order_cancelled"} {
		_, text, body, err := tm.Render(purpose, orderEmail("Reason"))
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(strings.ToLower(text), "refund") || strings.Contains(strings.ToLower(body), "refund") {
			t.Errorf("%s speaks of a refund when none is made", purpose)
		}
	}
}

func TestMarketplaceEmailsEscapeData(t *testing.T) {
	data := orderEmail()
	data["Lines"].([]any)[0].(map[string]any)["Description"] = `<img src=x onerror=alert(1)>`
	data["ActionURL"] = "javascript:alert(1)"
	_, _, body, err := loadTemplates(t).Render("order_acknowledged", data)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(body, "<img") || !strings.Contains(body, "&lt;img src=x") {
		t.Error("a line description is not escaped in the HTML body")
	}
	if strings.Contains(body, `href="javascript:`) {
		t.Error("a javascript: action URL became a link")
	}
}

// The lines partials are copied into every template that lists lines (the
// loader shares nothing but the layout); the copies must not drift apart.
func TestLinePartialsAreIdentical(t *testing.T) {
	const start = `{{define "lines_text"}}`
	var first, firstFile string
	for purpose, m := range marketplaceEmails {
		if !m.lines {
			continue
		}
		file := "templates/" + purpose + ".tmpl"
		src, err := fs.ReadFile(templateFiles, file)
		if err != nil {
			t.Fatal(err)
		}
		i := strings.Index(string(src), start)
		if i < 0 {
			t.Errorf("%s does not define the lines partials", file)
			continue
		}
		partials := string(src[i:])
		if first == "" {
			first, firstFile = partials, file
		} else if partials != first {
			t.Errorf("the lines partials of %s differ from those of %s", file, firstFile)
		}
	}
}

var (
	tag         = regexp.MustCompile(`<[^>]*>`)
	emptyInline = regexp.MustCompile(`<(strong|p|td|li)[^>]*>\s*</(strong|p|td|li)>`)
	// A label or a word whose value is missing: "Refund: ." or "by ." or
	// "by." at a sentence end, "()", or two spaces where a value should be.
	emptyValue = regexp.MustCompile(`:\s*[.,;)]|\s[.,;:]|\(\s*\)|\S  +\S|\b(by|of|for|until|before|to|from|at)[.,]`)
)

// danglingText returns the lines of a plain-text body where a value is
// missing. A line may end in a colon only when a list follows it.
func danglingText(text string) []string {
	var bad []string
	lines := strings.Split(text, "\n")
	for i, line := range lines {
		line = strings.TrimSpace(line)
		followed := i+1 < len(lines) && strings.TrimSpace(lines[i+1]) != ""
		if strings.HasSuffix(line, ":") && !followed || emptyValue.MatchString(line) {
			bad = append(bad, line)
		}
	}
	return bad
}

// danglingHTML returns the visible lines of an HTML body where a value is
// missing. No visible line may end in a colon: every label has its value
// in the same paragraph.
func danglingHTML(body string) []string {
	bad := emptyInline.FindAllString(body, -1)
	visible := html.UnescapeString(tag.ReplaceAllString(body, ""))
	for _, line := range strings.Split(visible, "\n") {
		line = strings.TrimSpace(line)
		if strings.HasSuffix(line, ":") || emptyValue.MatchString(line) {
			bad = append(bad, line)
		}
	}
	return bad
}

func TestDanglingDetection(t *testing.T) {
	for _, text := range []string{"Refund: \n\nNext", "Delivered by .", "Delivered by.", "Reason: .", "Pay  before", "Supplier ()"} {
		if len(danglingText(text)) == 0 {
			t.Errorf("danglingText misses %q", text)
		}
	}
	for _, text := range []string{"Hello Ann,\n\nYour order:\n- 2 × chair", "Pay here: https://x.example/p"} {
		if bad := danglingText(text); len(bad) != 0 {
			t.Errorf("danglingText flags %q in %q", bad, text)
		}
	}
	for _, body := range []string{"<p><strong>Refund:</strong> </p>", "<p>by <strong></strong>.</p>"} {
		if len(danglingHTML(body)) == 0 {
			t.Errorf("danglingHTML misses %q", body)
		}
	}
	if bad := danglingHTML("<p><strong>Refund:</strong> € 5</p>\n<p>Done.</p>"); len(bad) != 0 {
		t.Errorf("danglingHTML flags %q", bad)
	}
}

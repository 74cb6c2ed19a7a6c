package email

import (
	"encoding/json"
	"errors"
	"html"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// examples holds data for every purpose; a template without an example here
// fails TestEveryTemplateRenders, so a new purpose comes with its test data.
// The marketplace purposes get theirs from marketplaceEmails, the member-order
// ones from memberEmails.
var examples = func() map[string]map[string]any {
	ex := map[string]map[string]any{
		"notice": {
			"Subject":     "Your order mb-0007 was approved",
			"Name":        "Bart",
			"Heading":     "Order approved",
			"Paragraphs":  []string{"Staff approved your order.", "The client will be asked to confirm it."},
			"ActionURL":   "https://orderflow.example/orders/mb-0007",
			"ActionLabel": "View the order",
		},
		// The waits for a person (workflows/waits.go): waits_test.go.
		"wait_reminder":   waitData(true),
		"wait_escalation": waitData(false),
	}
	for purpose, m := range marketplaceEmails {
		ex[purpose] = orderEmail(m.shows...)
	}
	for purpose, m := range memberEmails {
		ex[purpose] = memberData(m.shows...)
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
	for _, want := range []string{"Hello Ann Peeters,", "please pay € 1,493.75", "Please pay before 3 March 2026, 14:00", "the order expires"} {
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
// the order lines, and (pay) the lines and totals excl. and incl. VAT, as
// the emails to suppliers show what they are paid. Every one of them gets
// the same data shape: orderEmail.
var marketplaceEmails = map[string]struct {
	shows             []string
	total, lines, pay bool
}{
	"payment_link":       {shows: []string{"ActionURL", "Deadline", "Delivery"}, total: true, lines: true},
	"credit_approved":    {shows: []string{"ActionURL"}, total: true},
	"credit_declined":    {shows: []string{"Reason", "ActionURL", "Deadline"}, total: true},
	"order_acknowledged": {shows: []string{"ActionURL", "Delivery"}, total: true, lines: true},
	"supplier_offer":     {shows: []string{"ActionURL", "Deadline", "Delivery"}, total: true, lines: true, pay: true},
	"order_confirmed":    {shows: []string{"ActionURL", "Supplier", "Delivery"}, total: true, lines: true},
	"purchase_order":     {shows: []string{"ActionURL", "Delivery"}, total: true, lines: true, pay: true},
	"order_delivered":    {shows: []string{"ActionURL", "Supplier", "Delivery"}},
	"order_completed":    {shows: []string{"ActionURL", "Deadline"}},
	"order_expired":      {shows: []string{"Reason", "ActionURL", "Refund"}},
	"order_cancelled":    {shows: []string{"Reason", "ActionURL", "Refund"}},
	"return_approved":    {shows: []string{"Reason", "ActionURL", "Supplier", "Refund"}},
	"return_rejected":    {shows: []string{"Reason", "ActionURL"}},
	"resalable_rejected": {shows: []string{"Reason", "ActionURL", "Supplier"}},
	"refund_issued":      {shows: []string{"Reason", "ActionURL", "Refund"}},
	"credit_note_issued": {shows: []string{"Reason", "ActionURL", "Refund"}},
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
	{"Description": "Office chair, black", "Quantity": "2", "Amount": "€ 398.00", "AmountInclVAT": "€ 481.58"},
	{"Description": "Standing desk 160 cm", "Quantity": "1", "Amount": "€ 836.50", "AmountInclVAT": "€ 1,012.17"},
}

// The totals of sampleLines at 21%: Total is incl. VAT.
const sampleTotalExclVAT, sampleVAT = "€ 1,234.50", "€ 259.25"

// orderEmailKeys is how many keys every marketplace email's data has: the
// always-set ones and the optional ones.
var orderEmailKeys = 6 + len(optionalSamples)

// orderEmail is the data of a marketplace email as the email activity gets
// it: JSON decoded into map[string]any, every key present, the lines as []any
// of map[string]any. The optional keys named in given hold a sample value,
// the others "".
func orderEmail(given ...string) map[string]any {
	data := map[string]any{
		"OrderID":   "ord_01JM8Z6Q4WX3",
		"Recipient": "Ann Peeters",
		"Lines":     sampleLines,
		"Total":     "€ 1,493.75",
		// TotalExclVAT and VAT: what Total is made of.
		"TotalExclVAT": sampleTotalExclVAT,
		"VAT":          sampleVAT,
	}
	for key := range optionalSamples {
		data[key] = ""
	}
	for _, key := range given {
		data[key] = optionalSamples[key]
	}
	return throughJSON(data)
}

// throughJSON returns v as the email activity receives its data: encoded to
// JSON and decoded into map[string]any.
func throughJSON(v any) map[string]any {
	raw, err := json.Marshal(v)
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
		if len(data) != orderEmailKeys {
			t.Errorf("%s: %d keys, want the %d of the order email", purpose, len(data), orderEmailKeys)
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
				want = append(want, "€ 1,493.75")
			}
			if m.lines {
				for _, line := range sampleLines {
					want = append(want, line["Description"], line["Amount"])
				}
			}
			if m.pay {
				want = append(want, sampleTotalExclVAT, sampleVAT, "excl. VAT", "incl. VAT", "Total payable to you")
				for _, line := range sampleLines {
					want = append(want, line["AmountInclVAT"])
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

// memberEmail mirrors the data the member-order workflow gives every one of
// its emails (all keys always present, "" when not applicable).
type memberEmail struct {
	OrderID, Recipient, Title, Member, Client string
	Lines                                     []emailLine
	Total, Period, Reason, ActionURL          string
	Deadline, Invoice, InvoiceDate, Amount    string
}

type emailLine struct{ Description, Quantity, Amount, AmountInclVAT string }

// memberEmails lists the templates of the member-order flow and, for each,
// the optional keys it shows when given, the always-set keys it names
// besides the order id, whether it shows the total and the lines, and
// phrases it must say.
var memberEmails = map[string]struct {
	shows, names []string
	total, lines bool
	says         []string
}{
	"order_submitted":        {shows: []string{"Period", "ActionURL"}, names: []string{"Title", "Client"}, total: true, says: []string{"received", "within 24 hours on weekdays"}},
	"order_approved":         {shows: []string{"Reason", "ActionURL"}, names: []string{"Title", "Client"}, says: []string{"approved"}},
	"order_rejected":         {shows: []string{"Reason", "ActionURL"}, names: []string{"Title", "Client"}, says: []string{"rejected", "duplicate it"}},
	"confirmation_request":   {shows: []string{"Period", "ActionURL", "Deadline"}, names: []string{"Title", "Member", "Client"}, total: true, lines: true, says: []string{"asks you to confirm", "Total incl. VAT", "Review and confirm", "valid until"}},
	"confirmation_reminder":  {shows: []string{"Period", "ActionURL", "Deadline"}, names: []string{"Title", "Member"}, total: true, says: []string{"still waiting", "expires on", "Review and confirm"}},
	"member_order_confirmed": {shows: []string{"Period", "ActionURL"}, names: []string{"Title", "Member", "Client"}, total: true, lines: true, says: []string{"confirmed and is now active"}},
	"client_declined":        {shows: []string{"Reason", "ActionURL"}, names: []string{"Title", "Client"}, says: []string{"declined", "duplicate the order"}},
	"offer_expired":          {shows: []string{"Deadline", "ActionURL"}, names: []string{"Title", "Client"}, says: []string{"expired", "rejected", "duplicate the order"}},
	"invoice_draft_ready":    {shows: []string{"InvoiceDate", "Amount", "Deadline", "ActionURL"}, names: []string{"Title", "Client"}, says: []string{"attached, marked DRAFT", "request changes"}},
	"invoice_issued":         {shows: []string{"Invoice", "Amount", "InvoiceDate", "Period", "ActionURL"}, names: []string{"Title", "Member", "Client"}, says: []string{"attached"}},
	"cancellation_approved":  {shows: []string{"Invoice", "Amount", "Reason", "ActionURL"}, names: []string{"Title", "Member", "Client"}, says: []string{"approved the cancellation", "will not be issued", "credited with"}},
	"cancellation_denied":    {shows: []string{"Reason", "ActionURL"}, names: []string{"Title"}, says: []string{"not approved", "invoicing resumes"}},
	"sla_escalation":         {shows: []string{"Deadline", "ActionURL"}, names: []string{"Title", "Member", "Client"}, total: true, says: []string{"waiting for Smart confirmation", "24 hours on weekdays"}},
	"member_order_completed": {shows: []string{"Period", "ActionURL"}, names: []string{"Title", "Client"}, says: []string{"completed", "issued or cancelled", "still unpaid"}},
	"offer_withdrawn":        {names: []string{"Title", "Member"}, says: []string{"withdrawn", "no longer works"}}, // issue 12
}

// memberSamples are example values of the keys that may be "". Each is
// distinct from every other value so that finding one proves its key shows.
var memberSamples = map[string]string{
	"Period":      "1 December 2026 – 31 March 2027",
	"Reason":      "The hourly rate differs from the framework agreement",
	"ActionURL":   "https://orderflow.example/orders/ord_01JN2K7R9TBV",
	"Deadline":    "15 December 2026, 23:59",
	"Invoice":     "2026-000142",
	"InvoiceDate": "1 January 2027",
	"Amount":      "€ 605.00",
}

var memberLines = []emailLine{
	{Description: "Design and prototyping", Quantity: "24", Amount: "€ 1,200.00", AmountInclVAT: "€ 1,452.00"},
	{Description: "Front-end development", Quantity: "16", Amount: "€ 800.00", AmountInclVAT: "€ 968.00"},
}

// memberData is the data of a member-order email as the email activity gets
// it. The optional keys named in given hold a sample value, the others "".
func memberData(given ...string) map[string]any {
	opt := func(key string) string {
		if slices.Contains(given, key) {
			return memberSamples[key]
		}
		return ""
	}
	return throughJSON(memberEmail{
		OrderID: "ord_01JN2K7R9TBV", Recipient: "Lena Maes", Title: "Website redesign",
		Member: "Bart Claes", Client: "Studio Noord BV", Lines: memberLines, Total: "€ 2,420.00",
		Period: opt("Period"), Reason: opt("Reason"), ActionURL: opt("ActionURL"), Deadline: opt("Deadline"),
		Invoice: opt("Invoice"), InvoiceDate: opt("InvoiceDate"), Amount: opt("Amount"),
	})
}

func TestMemberExamplesHaveTheMemberEmailShape(t *testing.T) {
	tm := loadTemplates(t)
	const keys = 14 // the fields of memberEmail
	for purpose, m := range memberEmails {
		if _, ok := tm.purposes[purpose]; !ok {
			t.Errorf("no template for %q", purpose)
		}
		if _, ok := marketplaceEmails[purpose]; ok {
			t.Errorf("%q is both a marketplace and a member-order template", purpose)
		}
		data := examples[purpose]
		if len(data) != keys {
			t.Errorf("%s: %d keys, want the %d of the member email", purpose, len(data), keys)
		}
		for _, key := range m.shows {
			if s, _ := data[key].(string); s == "" {
				t.Errorf("%s: shows %q but its example has no value for it", purpose, key)
			}
		}
	}
}

func TestMemberEmailsShowTheirFacts(t *testing.T) {
	tm := loadTemplates(t)
	for purpose, m := range memberEmails {
		t.Run(purpose, func(t *testing.T) {
			data := examples[purpose]
			subject, text, body, err := tm.Render(purpose, data)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(subject, "ord_01JN2K7R9TBV") {
				t.Errorf("subject %q lacks the order id", subject)
			}
			if slices.Contains(m.shows, "Invoice") && !strings.Contains(subject, memberSamples["Invoice"]) {
				t.Errorf("subject %q lacks the invoice number", subject)
			}
			for _, part := range []string{subject, text, body} {
				if strings.Contains(part, "<no value>") {
					t.Error("<no value> in the email")
				}
			}
			want := append([]string{"Hello Lena Maes,", "ord_01JN2K7R9TBV"}, m.says...)
			for _, key := range append(m.names, m.shows...) {
				want = append(want, data[key].(string))
			}
			if m.total {
				want = append(want, "€ 2,420.00")
			}
			if m.lines {
				for _, line := range memberLines {
					want = append(want, line.Description, line.Quantity+" × "+line.Description, line.Amount)
				}
			}
			for _, w := range want {
				if !strings.Contains(text, w) {
					t.Errorf("%q missing from the text body", w)
				}
				if !strings.Contains(body, html.EscapeString(w)) && !strings.Contains(w, " × ") {
					t.Errorf("%q missing from the HTML body", w)
				}
			}
			if m.lines && !strings.Contains(body, ">Design and prototyping</td>") {
				t.Error("the lines are not a table in the HTML body")
			}
			if !m.lines && strings.Contains(text, memberLines[0].Description) {
				t.Error("the lines are listed though this email should not list them")
			}
		})
	}
}

func TestMemberEmailsWithoutOptionalKeys(t *testing.T) {
	tm := loadTemplates(t)
	for purpose, m := range memberEmails {
		t.Run(purpose, func(t *testing.T) {
			data := memberData()
			data["Recipient"] = ""
			_, text, body, err := tm.Render(purpose, data)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(text, "Hello,\n") {
				t.Errorf("text starts %q, want a greeting without a name", text[:min(20, len(text))])
			}
			checkNotDangling(t, text, body)
			if strings.Contains(body, "<a ") {
				t.Error("a link in the HTML body without an action URL")
			}
			if strings.Contains(text, "https://") {
				t.Error("an address in the text body without an action URL")
			}
			// Each optional key alone must read as well as all of them.
			for _, key := range m.shows {
				_, text, body, err := tm.Render(purpose, memberData(key))
				if err != nil {
					t.Fatal(err)
				}
				checkNotDangling(t, text, body)
			}
		})
	}
}

func checkNotDangling(t *testing.T, text, body string) {
	t.Helper()
	for _, bad := range danglingText(text) {
		t.Errorf("text body: dangling %q", bad)
	}
	for _, bad := range danglingHTML(body) {
		t.Errorf("HTML body: dangling %q", bad)
	}
}

// Without a sentence from the workflow, an approval announces the usual next
// step, client confirmation; with one (e.g. when the order is active at
// once), it says that instead and promises no confirmation link.
func TestOrderApprovedNextStep(t *testing.T) {
	tm := loadTemplates(t)
	_, text, body, err := tm.Render("order_approved", memberData())
	if err != nil {
		t.Fatal(err)
	}
	for _, part := range []string{text, body} {
		if !strings.Contains(part, "Studio Noord BV gets an email with a link to review and confirm the order") {
			t.Error("no client confirmation step without a sentence from the workflow")
		}
	}

	data := memberData()
	data["Reason"] = "Client confirmation was skipped, so the order is active now."
	_, text, body, err = tm.Render("order_approved", data)
	if err != nil {
		t.Fatal(err)
	}
	for _, part := range []string{text, body} {
		if !strings.Contains(part, "the order is active now") {
			t.Error("the workflow's next step is missing")
		}
		if strings.Contains(part, "link") {
			t.Error("a confirmation link is announced though the order is active at once")
		}
	}
}

// A cancellation without credit notes must not speak of credit.
func TestNoCreditMentionedWithoutCreditNotes(t *testing.T) {
	tm := loadTemplates(t)
	subject, text, body, err := tm.Render("cancellation_approved", memberData("Reason", "Amount", "ActionURL"))
	if err != nil {
		t.Fatal(err)
	}
	for _, part := range []string{subject, text, body} {
		if strings.Contains(strings.ToLower(part), "credit") {
			t.Errorf("speaks of credit when nothing was credited: %q", part[:min(80, len(part))])
		}
	}
}

func TestMemberConfirmationButtons(t *testing.T) {
	tm := loadTemplates(t)
	url := memberSamples["ActionURL"]
	for _, purpose := range []string{"confirmation_request", "confirmation_reminder"} {
		_, text, body, err := tm.Render(purpose, memberData("ActionURL", "Deadline"))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(text, "Review and confirm: "+url) {
			t.Errorf("%s: the text body does not lead to the confirmation page", purpose)
		}
		if !strings.Contains(body, `href="`+url+`" style="display:inline-block;`) || !strings.Contains(body, ">Review and confirm</a>") {
			t.Errorf("%s: no Review and confirm button in the HTML body", purpose)
		}
	}
}

func TestMemberEmailsEscapeData(t *testing.T) {
	tm := loadTemplates(t)
	data := memberData("Reason", "Period", "Deadline", "Invoice", "InvoiceDate", "Amount")
	data["Title"] = "Redesign\r\nBcc: victim@example.com <script>alert(1)</script>"
	data["Member"] = `<img src=x onerror=alert(1)>`
	data["Client"] = `"><iframe src=evil>`
	data["Reason"] = "<b>late</b>"
	data["Lines"].([]any)[0].(map[string]any)["Description"] = "<svg onload=alert(1)>"
	data["ActionURL"] = "javascript:alert(1)"
	for purpose := range memberEmails {
		subject, _, body, err := tm.Render(purpose, data)
		if err != nil {
			t.Fatal(err)
		}
		if strings.ContainsAny(subject, "\r\n") {
			t.Errorf("%s: subject %q spans lines: a header injection", purpose, subject)
		}
		for _, raw := range []string{"<script", "<img", "<iframe", "<b>", "<svg", `href="javascript:`} {
			if strings.Contains(body, raw) {
				t.Errorf("%s: HTML body contains %q unescaped", purpose, raw)
			}
		}
		if !strings.Contains(body, "&lt;script&gt;") {
			t.Errorf("%s: the title is not shown escaped", purpose)
		}
	}
}

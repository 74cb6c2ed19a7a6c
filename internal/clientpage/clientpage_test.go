package clientpage

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/orderflow/orderflow/internal/money"
)

// exampleView is a member order as the API would map it: two VAT rates and
// a schedule of two invoices.
func exampleView(t *testing.T) ConfirmationView {
	t.Helper()
	lines := []money.Line{
		{Description: "Workshop design", Quantity: money.QuantityOf(3), UnitPrice: 45000, VATRate: money.Percent(21)},
		{Description: "Printed handbook", Quantity: 1500, UnitPrice: 1250, VATRate: money.Percent(6)},
	}
	totals, err := money.Compute(lines)
	if err != nil {
		t.Fatal(err)
	}
	shown, err := LinesOf(lines, "EUR")
	if err != nil {
		t.Fatal(err)
	}
	return ConfirmationView{
		OrderID:       "ord_01J0000000000000000000000",
		Title:         "Team workshop, spring edition",
		Member:        "Anna Peeters",
		Client:        Client{Name: "Jan Janssens", Company: "Janssens & Zonen BV", VATNumber: "BE0123456789"},
		Lines:         shown,
		Totals:        TotalsOf(totals, "EUR"),
		ServicePeriod: Period("2026-06-01", "2026-09-30"),
		Schedule: []ScheduleEntry{
			{Date: Date("2026-06-15"), Amount: money.Format(80000, "EUR")},
			{Date: Date("2026-09-30"), Amount: money.Format(85338, "EUR")},
		},
		ValidUntil: Date("2026-12-01"),
		ConfirmURL: "/c/cl_X.sig/confirm",
		DeclineURL: "/c/cl_X.sig/decline",
	}
}

func renderConfirmation(t *testing.T, v ConfirmationView) string {
	t.Helper()
	var b bytes.Buffer
	if err := RenderConfirmation(&b, v); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestConfirmationShowsWhatTheClientAgreesTo(t *testing.T) {
	page := renderConfirmation(t, exampleView(t))
	for _, want := range []string{
		`<meta name="viewport" content="width=device-width, initial-scale=1">`,
		`<html lang="en">`,
		"Team workshop, spring edition",
		"Anna Peeters", "Smart issues the invoices on behalf of Anna Peeters",
		"Jan Janssens", "Janssens &amp; Zonen BV", "VAT number BE0123456789",
		// Lines: 3 × 450.00 at 21%, 1.5 × 12.50 at 6%.
		"Workshop design", "<td class=\"num\" data-label=\"Quantity\">3</td>", "€ 450.00", "€ 1,350.00",
		"Printed handbook", ">1.5<", "€ 12.50", "6%", "€ 18.75",
		// Totals with VAT per rate: 1,350.00 × 21% = 283.50; 18.75 × 6% = 1.13 (1.125 rounded up).
		"€ 1,368.75", "VAT 21% on € 1,350.00", "€ 283.50", "VAT 6% on € 18.75", "€ 1.13",
		"Total VAT</th><td class=\"num\">€ 284.63", "€ 1,653.38",
		"1 June 2026 to 30 September 2026",
		"15 June 2026", "€ 800.00", "30 September 2026", "€ 853.38",
		"valid until <strong>1 December 2026</strong>",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	if strings.Contains(page, "<script") {
		t.Error("the page uses JavaScript")
	}
}

func TestConfirmationButtonsAreRealForms(t *testing.T) {
	page := renderConfirmation(t, exampleView(t))
	forms := regexp.MustCompile(`(?s)<form method="post" action="([^"]+)">(.*?)</form>`).FindAllStringSubmatch(page, -1)
	if len(forms) != 2 {
		t.Fatalf("found %d post forms, want 2 (confirm, decline):\n%s", len(forms), page)
	}
	confirm, decline := forms[0], forms[1]
	if confirm[1] != "/c/cl_X.sig/confirm" || !strings.Contains(confirm[2], `<button type="submit" class="primary"`) ||
		!strings.Contains(confirm[2], ">Confirm order</button>") {
		t.Errorf("confirm form = %q", confirm[0])
	}
	if decline[1] != "/c/cl_X.sig/decline" || !strings.Contains(decline[2], ">Decline order</button>") {
		t.Errorf("decline form = %q", decline[0])
	}
	// The reason is labelled, optional and bounded.
	textarea := regexp.MustCompile(`<textarea [^>]*>`).FindString(decline[2])
	for _, want := range []string{`id="reason"`, `name="reason"`, `maxlength="2000"`} {
		if !strings.Contains(textarea, want) {
			t.Errorf("the reason field %q lacks %s", textarea, want)
		}
	}
	if strings.Contains(textarea, "required") {
		t.Error("the decline reason is required; it must be optional")
	}
	if !strings.Contains(decline[2], `<label for="reason">`) {
		t.Error("the reason field has no label")
	}
	if strings.Index(page, "Confirm order") > strings.Index(page, "Decline order") {
		t.Error("Confirm should come first, as the primary action")
	}
	if !strings.Contains(page, ":focus-visible") {
		t.Error("the page does not style keyboard focus")
	}
}

func TestConfirmationEscapesData(t *testing.T) {
	v := exampleView(t)
	v.Title = `<script>alert("title")</script>`
	v.Client.Company = `<img src=x onerror=alert(1)>`
	v.Member = `"><b>member</b>`
	v.Lines[0].Description = `<iframe src="//evil">`
	v.ConfirmURL = `javascript:alert(1)`
	page := renderConfirmation(t, v)
	for _, raw := range []string{"<script>", "<img src=x", "<b>member</b>", "<iframe", `action="javascript:`} {
		if strings.Contains(page, raw) {
			t.Errorf("the page contains unescaped %q", raw)
		}
	}
	for _, escaped := range []string{"&lt;script&gt;", "&lt;img src=x onerror=alert(1)&gt;", "&lt;b&gt;member&lt;/b&gt;", "&lt;iframe"} {
		if !strings.Contains(page, escaped) {
			t.Errorf("the page lacks the escaped %q", escaped)
		}
	}
}

func TestConfirmationWithOnlyTheBasics(t *testing.T) {
	// What the API can fill before the member order details exist.
	page := renderConfirmation(t, ConfirmationView{
		OrderID: "ord_1", Title: "Logo design", Totals: Totals{Gross: "€ 121.00"},
		ConfirmURL: "/c/t/confirm", DeclineURL: "/c/t/decline",
	})
	for _, want := range []string{"Logo design", "Total including VAT", "€ 121.00", "Confirm order", "Decline order"} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	for _, absent := range []string{"Service period", "Invoice date", "valid until", "Smart issues", "Total excluding VAT", "<thead><tr><th scope=\"col\">Description"} {
		if strings.Contains(page, absent) {
			t.Errorf("the page shows %q with nothing to show", absent)
		}
	}
}

func TestDonePage(t *testing.T) {
	for _, tc := range []struct {
		view DoneView
		want []string
		not  string
	}{
		{DoneView{Confirmed: true, OrderTitle: "Logo <design>", Member: "Anna", AnsweredAt: "4 May 2026 at 14:05 CEST"},
			[]string{"the order is confirmed", "Logo &lt;design&gt;", "Anna has been told", "on 4 May 2026 at 14:05 CEST"}, "declined"},
		{DoneView{Confirmed: false, OrderTitle: "Logo", Member: "Anna"},
			[]string{"You declined the order", "You will not be invoiced", "Anna has been told"}, "is confirmed"},
		{DoneView{Confirmed: true},
			[]string{"You confirmed this order.", "The sender has been told"}, "<strong></strong>"},
	} {
		var b bytes.Buffer
		if err := RenderDone(&b, tc.view); err != nil {
			t.Fatal(err)
		}
		page := b.String()
		for _, want := range tc.want {
			if !strings.Contains(page, want) {
				t.Errorf("done page for %+v lacks %q:\n%s", tc.view, want, page)
			}
		}
		if strings.Contains(page, tc.not) {
			t.Errorf("done page for %+v contains %q", tc.view, tc.not)
		}
		if !strings.Contains(page, `name="viewport"`) || strings.Contains(page, "<form") {
			t.Errorf("done page for %+v: want a viewport and no form", tc.view)
		}
	}
}

func TestLinkProblemPage(t *testing.T) {
	var b bytes.Buffer
	if err := RenderLinkProblem(&b, "This link has expired", `The offer ended on 1 December 2026 & <b>cannot</b> be confirmed.`); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	for _, want := range []string{"<title>This link has expired · orderflow</title>", "<h1>This link has expired</h1>", "&amp; &lt;b&gt;cannot&lt;/b&gt;", `name="viewport"`} {
		if !strings.Contains(page, want) {
			t.Errorf("problem page lacks %q:\n%s", want, page)
		}
	}
}

func TestFormatting(t *testing.T) {
	brussels, err := time.LoadLocation("Europe/Brussels")
	if err != nil {
		t.Fatal(err)
	}
	for got, want := range map[string]string{
		Date("2026-12-01"):                 "1 December 2026",
		Date("soon"):                       "soon",
		Date(""):                           "",
		Period("2026-06-01", "2026-09-30"): "1 June 2026 to 30 September 2026",
		Period("2026-06-01", "2026-06-01"): "1 June 2026",
		Period("2026-06-01", ""):           "1 June 2026",
		Rate(550):                          "5.5%",
		Instant(time.Date(2026, 5, 4, 12, 5, 0, 0, time.UTC), brussels): "4 May 2026 at 14:05 CEST",
		Instant(time.Date(2026, 5, 4, 12, 5, 0, 0, time.UTC), nil):      "4 May 2026 at 12:05 UTC",
	} {
		if got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	}
	if _, err := LinesOf([]money.Line{{Description: "x", Quantity: money.MaxQuantity, UnitPrice: money.MaxAmount}}, "EUR"); err == nil {
		t.Error("LinesOf accepted a line whose net overflows")
	}
}

package pdf

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/orderflow/orderflow/internal/money"
)

// pdfText extracts the text of a PDF with poppler's pdftotext, an
// independent reader: it only finds the text if the fonts' Unicode maps are
// right. -layout keeps each table row on one line.
func pdfText(t *testing.T, pdf []byte) string {
	t.Helper()
	tool, err := exec.LookPath("pdftotext")
	if err != nil {
		t.Fatal("pdftotext not found: install poppler-utils (apt-get install -y poppler-utils) to run these tests")
	}
	path := filepath.Join(t.TempDir(), "doc.pdf")
	if err := os.WriteFile(path, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(tool, "-layout", "-enc", "UTF-8", path, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return string(out)
}

func render(t *testing.T, d Document) []byte {
	t.Helper()
	out, err := Render(d)
	if err != nil {
		t.Fatalf("Render: %v", err)
	}
	if !bytes.HasPrefix(out, []byte("%PDF-")) {
		t.Fatalf("output does not start like a PDF: %q", out[:min(len(out), 16)])
	}
	return out
}

// assertRow checks that the cells appear in this order on one line of the
// layout text, separated only by spaces.
func assertRow(t *testing.T, text string, cells ...string) {
	t.Helper()
	quoted := make([]string, len(cells))
	for i, c := range cells {
		quoted[i] = regexp.QuoteMeta(c)
	}
	pattern := regexp.MustCompile(`(?m)` + strings.Join(quoted, `[ \t]+`) + `\s*$`)
	if !pattern.MatchString(text) {
		t.Errorf("no line reads %q in:\n%s", strings.Join(cells, " … "), text)
	}
}

func assertContains(t *testing.T, text string, wants ...string) {
	t.Helper()
	for _, want := range wants {
		if !strings.Contains(text, want) {
			t.Errorf("text lacks %q:\n%s", want, text)
		}
	}
}

func TestRenderInvoice(t *testing.T) {
	text := pdfText(t, render(t, sampleInvoice()))

	assertContains(t, text,
		"INVOICE",
		"Invoice no.: 2026-000123",
		"Issue date: 31 March 2026",
		"Due date: 30 April 2026",
		"Order: ord_01JQ7Z3K8M2XW5V9T4R6N0B1CD",
		"Smart Coop SCRL", "on behalf of Zoë Lefèvre", "VAT: BE0896755397",
		"Łódź Straße Café GmbH", "Jürgen Søndergård", "Königstraße 12", "VAT: DE123456789",
		"1 March 2026 – 31 March 2026",
		"Travel (train Bruxelles-Midi → Stuttgart)",
		"Payment by bank transfer to BE71 0961 2345 6769 within 30 days.",
	)
	if strings.Contains(text, "DRAFT") {
		t.Error("a final invoice says DRAFT")
	}
	// Lines: description, quantity, unit price, VAT rate, net.
	assertRow(t, text, "Catering", "2.333", "€ 15.00", "12%", "€ 35.00")
	assertRow(t, text, "Printed handbooks", "3", "€ 19.99", "6%", "€ 59.97")
	// Worked out by hand: 7.5 × 85.00 + 99.99 = 737.49 at 21% → 154.8729;
	// 2.333 × 15.00 = 34.995 → 35.00 at 12% → 4.20; 3 × 19.99 = 59.97 at 6%
	// → 3.5982; 12.34 at 0%.
	assertRow(t, text, "VAT 21%", "€ 737.49", "€ 154.87")
	assertRow(t, text, "VAT 12%", "€ 35.00", "€ 4.20")
	assertRow(t, text, "VAT 6%", "€ 59.97", "€ 3.60")
	assertRow(t, text, "VAT 0%", "€ 12.34", "€ 0.00")
	assertRow(t, text, "Total excl. VAT", "€ 844.80")
	assertRow(t, text, "Total VAT", "€ 162.67")
	assertRow(t, text, "Amount due", "€ 1,007.47")
	// The rates are listed highest first.
	if i21, i0 := strings.Index(text, "VAT 21%"), strings.Index(text, "VAT 0%"); i21 > i0 {
		t.Error("VAT 0% is listed before VAT 21%")
	}
}

func TestRenderInvoiceDraft(t *testing.T) {
	text := pdfText(t, render(t, sampleInvoiceDraft()))

	assertContains(t, text,
		"DRAFT INVOICE",
		"DRAFT — NOT AN INVOICE · NO NUMBER YET · DO NOT PAY",
		"not valid as an invoice", // in the footer of every page
		"Issue date: 24 March 2026",
		"Łódź Straße Café GmbH",
	)
	if strings.Contains(text, "Invoice no.") {
		t.Error("a draft shows an invoice number")
	}
	assertRow(t, text, "Total incl. VAT", "€ 1,007.47")
}

func TestRenderCreditNote(t *testing.T) {
	text := pdfText(t, render(t, sampleCreditNote()))

	assertContains(t, text,
		"CREDIT NOTE",
		"Credit note no.: CN-2026-000007",
		"Credits invoice: 2026-000123",
		"This credit note credits invoice 2026-000123",
		"Łódź Straße Café GmbH",
	)
	// 7.5 × -85.00 = -637.50 at 21% → -133.875 → -133.88 (half away from zero);
	// 2.5 × -10.01 = -25.025 → -25.03 at 6% → -1.5018 → -1.50.
	assertRow(t, text, "Printed handbooks (returned)", "2.5", "€ -10.01", "6%", "€ -25.03")
	assertRow(t, text, "VAT 21%", "€ -637.50", "€ -133.88")
	assertRow(t, text, "VAT 6%", "€ -25.03", "€ -1.50")
	assertRow(t, text, "Total excl. VAT", "€ -662.53")
	assertRow(t, text, "Total VAT", "€ -135.38")
	assertRow(t, text, "Total credited", "€ -797.91")
}

func TestRenderPurchaseOrder(t *testing.T) {
	text := pdfText(t, render(t, samplePurchaseOrder()))

	assertContains(t, text,
		"PURCHASE ORDER",
		"PO no.: PO-ord_01JQ80AB",
		"Order: ord_01JQ80ABCDEF0123456789XYZ",
		"SUPPLIER", "Kraków Office Supplies Sp. z o.o.", "ul. Floriańska 3", "VAT: PL5260250995",
		"Marketplace Procurement NV", "VAT: BE0403170701",
		"DELIVER TO", "Rue de l'Industrie 9", "Region: BE-WAL",
		"Requested delivery: 12 May 2026",
		"Standing desk 160×80 cm (SKU DS-1608)",
	)
	assertRow(t, text, "VAT 21%", "€ 1,656.00", "€ 347.76")
	assertRow(t, text, "Order total incl. VAT", "€ 2,003.76")
}

func TestRenderPurchaseOrderWithoutNumber(t *testing.T) {
	d := samplePurchaseOrder()
	d.Number = ""
	text := pdfText(t, render(t, d))
	if strings.Contains(text, "PO no.") {
		t.Error("an unnumbered purchase order shows a number label")
	}
	assertContains(t, text, "Order: ord_01JQ80ABCDEF0123456789XYZ")
}

func TestRenderSplitsLongDocumentsOverPages(t *testing.T) {
	text := pdfText(t, render(t, sampleLongInvoice()))
	pages := strings.Split(strings.TrimRight(text, "\f"), "\f")
	if len(pages) < 2 {
		t.Fatalf("45 lines fit on %d page", len(pages))
	}
	for i, page := range pages {
		assertContains(t, page, "INVOICE · 2026-000123 · order ord_01JQ7Z3K8M2XW5V9T4R6N0B1CD")
		assertContains(t, page, fmt.Sprintf("Page %d of %d", i+1, len(pages)))
	}
	for _, n := range []string{"Coaching session 1 ", "Coaching session 45 "} {
		assertContains(t, text, n)
	}
	// 45 lines of 1.25 × 60.00 = 75.00; 23 at 21%, 22 at 6%.
	assertRow(t, text, "VAT 21%", "€ 1,725.00", "€ 362.25")
	assertRow(t, text, "VAT 6%", "€ 1,650.00", "€ 99.00")
	assertRow(t, text, "Amount due", "€ 3,836.25")
}

func TestRenderIsDeterministic(t *testing.T) {
	for name, d := range samples() {
		first := render(t, d)
		for range 3 {
			if again := render(t, d); !bytes.Equal(first, again) {
				t.Fatalf("%s: two renders of the same document differ", name)
			}
		}
	}
}

func TestRenderIsDeterministicConcurrently(t *testing.T) {
	want := render(t, sampleInvoice())
	var wg sync.WaitGroup
	results := make([][]byte, 4)
	errs := make([]error, 4)
	for i := range results {
		wg.Go(func() {
			d := sampleInvoice()
			if i%2 == 1 {
				d = sampleCreditNote() // different fonts use and sizes in parallel
			}
			results[i], errs[i] = Render(d)
		})
	}
	wg.Wait()
	for i := 0; i < len(results); i += 2 {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		if !bytes.Equal(results[i], want) {
			t.Errorf("concurrent render %d differs from a sequential one", i)
		}
	}
}

func TestRenderDatesComeFromTheDocument(t *testing.T) {
	d := sampleInvoice()
	out := render(t, d)
	for _, key := range []string{"CreationDate", "ModDate"} {
		want := "/" + key + " (D:20260331090000)"
		if !bytes.Contains(out, []byte(want)) {
			t.Errorf("PDF lacks %s", want)
		}
	}
	d.IssueDate = d.IssueDate.AddDate(0, 0, 1)
	if bytes.Equal(out, render(t, d)) {
		t.Error("a different issue date rendered the same bytes")
	}
}

func TestRenderChangesWithContent(t *testing.T) {
	base := render(t, sampleInvoice())
	d := sampleInvoice()
	d.Lines[1].UnitPrice++
	if bytes.Equal(base, render(t, d)) {
		t.Error("a changed price rendered the same bytes")
	}
}

func TestRenderMakesUnprintableTextVisible(t *testing.T) {
	d := sampleInvoice()
	d.Lines[0].Description = "Party 🎉 kit\tfor 漢 team\x00 \xff"
	d.Buyer.Name = "Ann\u200b (main contact)"
	out, err := Render(d)
	if err != nil {
		t.Fatalf("Render: %v", err)
	}
	text := pdfText(t, out)
	assertContains(t, text, "Party \uFFFD kit for \uFFFD team \uFFFD", "Ann (main contact)")
}

func TestRenderWrapsOverlongWords(t *testing.T) {
	d := sampleInvoice()
	long := strings.Repeat("ABCDEFGHIJ", 12)
	d.Lines[0].Description = "Ref " + long
	text := pdfText(t, render(t, d))
	joined := strings.Join(strings.Fields(text), "")
	if !strings.Contains(joined, long) {
		t.Errorf("the long word is not all there:\n%s", text)
	}
	for _, line := range strings.Split(text, "\n") {
		if strings.Contains(line, long) {
			t.Errorf("the 120-character word was printed on one line: %q", line)
		}
	}
}

func TestRenderRefusesIncompleteDocuments(t *testing.T) {
	due := date(2026, time.March, 1)
	tests := []struct {
		name string
		edit func(*Document)
		want string
	}{
		{"invoice without number", func(d *Document) { d.Number = " " }, "an invoice needs a number"},
		{"draft with a number", func(d *Document) { d.Kind = InvoiceDraft }, `a draft invoice has no number yet (got "2026-000123")`},
		{"no lines", func(d *Document) { d.Lines = nil }, "there are no lines"},
		{"bad line", func(d *Document) { d.Lines[2].Quantity = 0 }, "line 3: quantity 0 must be greater than 0"},
		{"no reference", func(d *Document) { d.Reference = "" }, "the order reference is missing"},
		{"no issue date", func(d *Document) { d.IssueDate = time.Time{} }, "the issue date is missing"},
		{"due before issue", func(d *Document) { d.DueDate = &due }, "the due date 1 March 2026 is before the issue date 31 March 2026"},
		{"service period backwards", func(d *Document) { d.ServicePeriod = &Period{Start: due.AddDate(0, 1, 0), End: due} }, "the service period needs a start and an end on or after it"},
		{"bad currency", func(d *Document) { d.Currency = "€" }, `currency "€" is not a three-letter ISO code`},
		{"anonymous seller", func(d *Document) { d.Seller = Party{Email: "x@example.com"} }, "the seller needs a name or a company"},
		{"anonymous buyer", func(d *Document) { d.Buyer.Name, d.Buyer.Company = "", "" }, "the buyer needs a name or a company"},
		{"unknown kind", func(d *Document) { d.Kind = "receipt" }, `unknown document kind "receipt"`},
		{"invoice crediting", func(d *Document) { d.CreditedInvoice = "2026-000001" }, "only a credit note credits an invoice"},
		{"invoice with delivery", func(d *Document) { d.Delivery = &Delivery{} }, "only a purchase order has delivery details"},
		{"credit note without credited invoice", func(d *Document) { d.Kind, d.CreditedInvoice = CreditNote, "" }, "a credit note must name the invoice it credits"},
		{"overflowing totals", func(d *Document) {
			d.Lines = []money.Line{
				{Description: "a", Quantity: 1000, UnitPrice: money.MaxAmount, VATRate: 0},
				{Description: "b", Quantity: 1000, UnitPrice: money.MaxAmount, VATRate: 0},
			}
		}, "amount out of range"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := sampleInvoice()
			tt.edit(&d)
			out, err := Render(d)
			if err == nil {
				t.Fatalf("rendered %d bytes", len(out))
			}
			if !errors.Is(err, ErrInvalidDocument) {
				t.Errorf("error %v does not wrap ErrInvalidDocument", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestValidateListsEveryProblem(t *testing.T) {
	err := Document{Kind: Invoice}.Validate()
	if err == nil {
		t.Fatal("an empty invoice is valid")
	}
	for _, want := range []string{"needs a number", "order reference is missing", "issue date is missing", "seller needs", "buyer needs", "no lines"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
}

func TestDefaultCurrencyIsEUR(t *testing.T) {
	d := sampleInvoice()
	d.Currency = ""
	text := pdfText(t, render(t, d))
	assertRow(t, text, "Amount due", "€ 1,007.47")
}

func BenchmarkRenderInvoice(b *testing.B) {
	d := sampleInvoice()
	for b.Loop() {
		if _, err := Render(d); err != nil {
			b.Fatal(err)
		}
	}
}

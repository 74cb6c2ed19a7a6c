package ubl

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/orderflow/orderflow/internal/money"
	"github.com/orderflow/orderflow/internal/pdf"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func line(t *testing.T, description, qty, price, rate string) money.Line {
	t.Helper()
	q, err := money.ParseQuantity(qty)
	if err != nil {
		t.Fatal(err)
	}
	p, err := money.ParseAmount(price)
	if err != nil {
		t.Fatal(err)
	}
	r, err := money.ParseRate(rate)
	if err != nil {
		t.Fatal(err)
	}
	return money.Line{Description: description, Quantity: q, UnitPrice: p, VATRate: r}
}

// testInvoice mixes the Belgian rates, fractional quantities and prices
// whose products need rounding.
func testInvoice(t *testing.T) pdf.Document {
	brussels, err := time.LoadLocation("Europe/Brussels")
	if err != nil {
		t.Fatal(err)
	}
	issued := time.Date(2026, 3, 31, 23, 30, 0, 0, brussels) // late evening: still the 31st locally
	due := issued.AddDate(0, 0, 30)
	return pdf.Document{
		Kind: pdf.Invoice, Number: "INV-2026-0007", Reference: "ord_01JTEST",
		IssueDate: issued, DueDate: &due,
		ServicePeriod: &pdf.Period{Start: time.Date(2026, 3, 1, 0, 0, 0, 0, brussels), End: time.Date(2026, 3, 31, 0, 0, 0, 0, brussels)},
		Seller:        pdf.Party{Name: "Anne Peeters", VATNumber: "BE 0123.456.749", Email: "anne@example.be", Address: []string{"Rue Haute 12", "1000 Brussels"}},
		Buyer: pdf.Party{Name: "Jan Janssens", Company: "Café <Zuid> & Co", VATNumber: "be0987654312", Email: "jan@example.be",
			Address: []string{"Kerkstraat 1", "Bus 3", "2000 Antwerpen", "Belgium"}},
		Lines: []money.Line{
			line(t, "Design work,\n March", "7.5", "85.00", "21"),
			line(t, "Catering", "1.333", "40.10", "12"),
			line(t, "Books", "3", "24.95", "6"),
			line(t, "Printed flyers", "0.125", "19.99", "6"),
			line(t, "Discount", "1", "-10.00", "21"),
			line(t, "Intra-EU transport", "2.5", "33.33", "0"),
		},
		Currency: "EUR",
		Notes:    []string{"Spring campaign — invoice 1 of 2.", "Thank you."},
	}
}

func testCreditNote(t *testing.T) pdf.Document {
	doc := testInvoice(t)
	doc.Kind, doc.Number, doc.DueDate, doc.CreditedInvoice = pdf.CreditNote, "CN-2026-0002", nil, "INV-2026-0007"
	for i := range doc.Lines { // as the workflow writes a credit: negative prices
		doc.Lines[i].UnitPrice = -doc.Lines[i].UnitPrice
	}
	return doc
}

func mustWrite(t *testing.T, f func(pdf.Document, Meta) ([]byte, error), doc pdf.Document, meta Meta) []byte {
	t.Helper()
	out, err := f(doc, meta)
	if err != nil {
		t.Fatalf("write: %v", err)
	}
	return out
}

func TestDocumentsPassTheUBLSchema(t *testing.T) {
	xmllint, err := exec.LookPath("xmllint")
	if err != nil {
		t.Fatal("xmllint is not installed: the UBL 2.1 schema check needs it (Debian: apt-get install libxml2-utils; .ci/run installs it)")
	}
	cases := []struct {
		name, schema string
		doc          []byte
	}{
		{"invoice", "UBL-Invoice-2.1.xsd", mustWrite(t, Invoice, testInvoice(t), Meta{})},
		{"invoice in hours, exempt", "UBL-Invoice-2.1.xsd", mustWrite(t, Invoice, testInvoice(t),
			Meta{UnitCode: UnitHour, ZeroRateCategory: CategoryExempt, ExemptionReason: "Article 44 VAT Code", BuyerReference: "PO-88"})},
		{"credit note", "UBL-CreditNote-2.1.xsd", mustWrite(t, CreditNote, testCreditNote(t), Meta{})},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if out, err := validateSchema(t, xmllint, c.schema, c.doc); err != nil {
				t.Fatalf("schema rejects the document: %v\n%s\n%s", err, out, c.doc)
			}
		})
	}
	t.Run("a document out of schema order is rejected", func(t *testing.T) {
		doc := mustWrite(t, Invoice, testInvoice(t), Meta{})
		// IssueDate must come after ID; swapping them must fail, or the check proves nothing.
		broken := bytes.Replace(doc, []byte("  <cbc:ID>INV-2026-0007</cbc:ID>\n"), nil, 1)
		broken = bytes.Replace(broken, []byte("</cbc:IssueDate>\n"), []byte("</cbc:IssueDate>\n  <cbc:ID>INV-2026-0007</cbc:ID>\n"), 1)
		if bytes.Equal(broken, doc) {
			t.Fatal("the test did not change the document")
		}
		if _, err := validateSchema(t, xmllint, "UBL-Invoice-2.1.xsd", broken); err == nil {
			t.Fatal("the schema accepted an invoice with its ID after its IssueDate")
		}
	})
}

func validateSchema(t *testing.T, xmllint, schema string, doc []byte) (string, error) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "doc.xml")
	if err := os.WriteFile(path, doc, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(xmllint, "--noout", "--nonet", "--schema", filepath.Join("testdata", "xsd", "maindoc", schema), path).CombinedOutput()
	return string(out), err
}

func TestDocumentsPassTheArithmeticRules(t *testing.T) {
	cases := map[string][]byte{
		"invoice":     mustWrite(t, Invoice, testInvoice(t), Meta{}),
		"credit note": mustWrite(t, CreditNote, testCreditNote(t), Meta{}),
	}
	for name, doc := range cases {
		t.Run(name, func(t *testing.T) {
			broken, err := checkArithmetic(doc)
			if err != nil {
				t.Fatal(err)
			}
			if len(broken) > 0 {
				t.Fatalf("rules broken:\n%s", strings.Join(broken, "\n"))
			}
		})
	}
}

func TestArithmeticCheckCatchesWrongAmounts(t *testing.T) {
	doc := mustWrite(t, Invoice, testInvoice(t), Meta{})
	// 7.5 × 85.00 = 637.50 at line 1; the 21% base is 627.50 after the discount.
	for _, c := range []struct{ from, to, rule string }{
		{`<cbc:LineExtensionAmount currencyID="EUR">637.50<`, `<cbc:LineExtensionAmount currencyID="EUR">637.51<`, "line 1"},
		{`<cbc:TaxableAmount currencyID="EUR">627.50<`, `<cbc:TaxableAmount currencyID="EUR">627.49<`, "BR-S-08"},
	} {
		tampered := bytes.Replace(doc, []byte(c.from), []byte(c.to), 1)
		if bytes.Equal(tampered, doc) {
			t.Fatalf("%s: %q is not in the document", c.rule, c.from)
		}
		broken, err := checkArithmetic(tampered)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(strings.Join(broken, "\n"), c.rule) {
			t.Errorf("tampering with %s went unnoticed; found %q", c.rule, broken)
		}
	}
}

func TestInvoiceCarriesTheBusinessTerms(t *testing.T) {
	p, err := parse(mustWrite(t, Invoice, testInvoice(t), Meta{}))
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct{ term, got, want string }{
		{"BT-1", p.ID, "INV-2026-0007"},
		{"BT-3", p.TypeCode, "380"},
		{"BT-5", p.Currency, "EUR"},
		{"BT-10", p.BuyerRef, "ord_01JTEST"},
		{"BT-13", p.OrderRef, "ord_01JTEST"},
		{"BT-27", p.SellerName, "Anne Peeters"},
		{"BT-48", p.Buyer.VAT, "BE0987654312"},
		{"BT-49", p.Buyer.Endpoint.Value, "0987654312"},
		{"BT-49 scheme", p.Buyer.Endpoint.Scheme, "0208"},
		{"BT-55", p.Buyer.Country, "BE"},
		// 637.50 + 53.45 (1.333 × 40.10) + 74.85 + 2.50 (0.125 × 19.99) - 10.00 + 83.33 (2.5 × 33.33)
		{"BT-106", p.LineTotal, "841.63"},
		// 21%: 627.50 → 131.78; 12%: 53.45 → 6.41; 6%: 77.35 → 4.64; 0%: 0

		{"BT-110", p.TaxAmount, "142.83"},
		{"BT-112", p.TaxInclusive, "984.46"},
		{"BT-129 line 2", p.InvoiceLines[1].Invoiced.Value, "1.333"},
		{"BT-130", p.InvoiceLines[0].Invoiced.UnitCode, "C62"},
		{"BT-131 line 2", p.InvoiceLines[1].Net, "53.45"},
		{"BT-146 discount", p.InvoiceLines[4].Price, "10.00"},
		{"BT-129 discount", p.InvoiceLines[4].Invoiced.Value, "-1"},
		{"BT-151 line 6", p.InvoiceLines[5].Category, "Z"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.term, c.got, c.want)
		}
	}
	if len(p.Subtotals) != 4 {
		t.Errorf("VAT breakdown has %d rates, want 4 (21, 12, 6, 0)", len(p.Subtotals))
	}
}

func TestCreditNoteRefersToTheInvoiceWithPositiveAmounts(t *testing.T) {
	p, err := parse(mustWrite(t, CreditNote, testCreditNote(t), Meta{}))
	if err != nil {
		t.Fatal(err)
	}
	if p.XMLName.Local != "CreditNote" || p.CNTypeCode != "381" || p.CreditedID != "INV-2026-0007" {
		t.Errorf("root %s, type %q, credits %q; want CreditNote, 381, INV-2026-0007", p.XMLName.Local, p.CNTypeCode, p.CreditedID)
	}
	// The credit of the invoice above: the same totals, positive.
	if p.Payable != "984.46" || p.CreditLines[0].Price != "85.00" || p.CreditLines[4].Credited.Value != "-1" {
		t.Errorf("payable %s, line 1 price %s, discount quantity %s; want 984.46, 85.00, -1", p.Payable, p.CreditLines[0].Price, p.CreditLines[4].Credited.Value)
	}
}

func TestSameInputSameBytes(t *testing.T) {
	first := mustWrite(t, Invoice, testInvoice(t), Meta{})
	for range 20 {
		if again := mustWrite(t, Invoice, testInvoice(t), Meta{}); !bytes.Equal(first, again) {
			t.Fatal("two writes of the same invoice differ")
		}
	}
	golden := filepath.Join("testdata", "invoice.golden.xml")
	if *update {
		if err := os.WriteFile(golden, first, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update to write it)", err)
	}
	if !bytes.Equal(first, want) {
		t.Errorf("the invoice differs from %s (review, then run go test -update):\n%s", golden, first)
	}
}

func TestRefusesWhatCannotBeAnEInvoice(t *testing.T) {
	draft := testInvoice(t)
	draft.Kind, draft.Number = pdf.InvoiceDraft, ""
	noNumber := testInvoice(t)
	noNumber.Number = ""
	cases := map[string]func() ([]byte, error){
		"a draft":                 func() ([]byte, error) { return Invoice(draft, Meta{}) },
		"an invoice as a credit":  func() ([]byte, error) { return CreditNote(testInvoice(t), Meta{}) },
		"no number":               func() ([]byte, error) { return Invoice(noNumber, Meta{}) },
		"an unknown unit":         func() ([]byte, error) { return Invoice(testInvoice(t), Meta{UnitCode: "KGM"}) },
		"exempt without a reason": func() ([]byte, error) { return Invoice(testInvoice(t), Meta{ZeroRateCategory: CategoryExempt}) },
	}
	for name, f := range cases {
		if _, err := f(); !errors.Is(err, pdf.ErrInvalidDocument) {
			t.Errorf("%s: err = %v, want pdf.ErrInvalidDocument", name, err)
		}
	}
}

func TestEndpointsAndCountries(t *testing.T) {
	cases := []struct {
		vat, normalized, country string
		endpoint                 Endpoint
		hasEndpoint              bool
	}{
		{"BE 0123.456.749", "BE0123456749", "BE", Endpoint{"0208", "0123456749"}, true},
		{"be123456749", "BE0123456749", "BE", Endpoint{"0208", "0123456749"}, true}, // old nine-digit form
		{"NL123456789B01", "NL123456789B01", "NL", Endpoint{}, false},
		{"EL 094014201", "EL094014201", "GR", Endpoint{}, false},
		{"BE 12345", "BE12345", "BE", Endpoint{}, false},
		{"", "", "", Endpoint{}, false},
	}
	for _, c := range cases {
		if got := NormalizeVAT(c.vat); got != c.normalized {
			t.Errorf("NormalizeVAT(%q) = %q, want %q", c.vat, got, c.normalized)
		}
		if got := VATCountry(c.vat); got != c.country {
			t.Errorf("VATCountry(%q) = %q, want %q", c.vat, got, c.country)
		}
		got, ok := EndpointOf(pdf.Party{VATNumber: c.vat})
		if got != c.endpoint || ok != c.hasEndpoint {
			t.Errorf("EndpointOf(%q) = %v, %v; want %v, %v", c.vat, got, ok, c.endpoint, c.hasEndpoint)
		}
	}
}

func TestForeignBuyerGetsItsCountryAndNoGuessedEndpoint(t *testing.T) {
	doc := testInvoice(t)
	doc.Buyer.VATNumber = "NL123456789B01"
	p, err := parse(mustWrite(t, Invoice, doc, Meta{}))
	if err != nil {
		t.Fatal(err)
	}
	if p.Buyer.Country != "NL" || p.Buyer.Endpoint.Value != "" {
		t.Errorf("country %q, endpoint %q; want NL and none", p.Buyer.Country, p.Buyer.Endpoint.Value)
	}
}

package pdf

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/orderflow/orderflow/internal/money"
)

var brussels = mustLocation("Europe/Brussels")

func mustLocation(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		return time.FixedZone("CET", 3600)
	}
	return loc
}

func date(y int, m time.Month, d int) time.Time {
	return time.Date(y, m, d, 9, 0, 0, 0, brussels)
}

func datePtr(y int, m time.Month, d int) *time.Time {
	t := date(y, m, d)
	return &t
}

func mustLine(desc, qty, price, rate string) money.Line {
	q, err := money.ParseQuantity(qty)
	if err != nil {
		panic(err)
	}
	p, err := money.ParseAmount(price)
	if err != nil {
		panic(err)
	}
	r, err := money.ParseRate(rate)
	if err != nil {
		panic(err)
	}
	return money.Line{Description: desc, Quantity: q, UnitPrice: p, VATRate: r}
}

var smart = Party{
	Company:   "Smart Coop SCRL",
	Name:      "on behalf of Zoë Lefèvre",
	VATNumber: "BE0896755397",
	Email:     "invoices@smart.example",
	Address:   []string{"Rue Coenraets 72", "1060 Saint-Gilles (Bruxelles)", "Belgium"},
}

var client = Party{
	Company:   "Łódź Straße Café GmbH",
	Name:      "Jürgen Søndergård",
	VATNumber: "DE123456789",
	Email:     "jurgen@cafe.example",
	Address:   []string{"Königstraße 12", "70173 Stuttgart", "Germany"},
}

// mixedLines have rates 21/12/6/0 and a fractional quantity; their totals
// are worked out by hand in TestRenderShowsTotals.
var mixedLines = []money.Line{
	mustLine("Workshop facilitation — « Design thinking » session, preparation and follow-up report", "7.5", "85.00", "21"),
	mustLine("Travel (train Bruxelles-Midi → Stuttgart)", "1", "12.34", "0"),
	mustLine("Printed handbooks", "3", "19.99", "6"),
	mustLine("Catering", "2.333", "15.00", "12"),
	mustLine("Licence for workshop materials", "1", "99.99", "21"),
}

func sampleInvoiceDraft() Document {
	return Document{
		Kind:          InvoiceDraft,
		Reference:     "ord_01JQ7Z3K8M2XW5V9T4R6N0B1CD",
		IssueDate:     date(2026, time.March, 24),
		DueDate:       datePtr(2026, time.April, 23),
		ServicePeriod: &Period{Start: date(2026, time.March, 1), End: date(2026, time.March, 31)},
		Seller:        smart,
		Buyer:         client,
		Lines:         slices.Clone(mixedLines), // tests edit lines in place
		Currency:      "EUR",
		Notes:         []string{"Payment by bank transfer to BE71 0961 2345 6769 within 30 days."},
	}
}

func sampleInvoice() Document {
	d := sampleInvoiceDraft()
	d.Kind = Invoice
	d.Number = "2026-000123"
	d.IssueDate = date(2026, time.March, 31)
	d.DueDate = datePtr(2026, time.April, 30)
	return d
}

func sampleCreditNote() Document {
	return Document{
		Kind:            CreditNote,
		Number:          "CN-2026-000007",
		Reference:       "ord_01JQ7Z3K8M2XW5V9T4R6N0B1CD",
		IssueDate:       date(2026, time.April, 8),
		Seller:          smart,
		Buyer:           client,
		CreditedInvoice: "2026-000123",
		Lines: []money.Line{
			mustLine("Workshop facilitation (cancelled)", "7.5", "-85.00", "21"),
			mustLine("Printed handbooks (returned)", "2.5", "-10.01", "6"),
		},
		Currency: "EUR",
	}
}

func samplePurchaseOrder() Document {
	return Document{
		Kind:      PurchaseOrder,
		Number:    "PO-ord_01JQ80AB",
		Reference: "ord_01JQ80ABCDEF0123456789XYZ",
		IssueDate: date(2026, time.May, 4),
		Seller: Party{
			Company:   "Kraków Office Supplies Sp. z o.o.",
			VATNumber: "PL5260250995",
			Email:     "orders@krakow-office.example",
			Address:   []string{"ul. Floriańska 3", "31-019 Kraków", "Poland"},
		},
		Buyer: Party{
			Company:   "Marketplace Procurement NV",
			Name:      "Purchasing team",
			VATNumber: "BE0403170701",
			Email:     "purchasing@marketplace.example",
			Address:   []string{"Avenue Louise 54", "1050 Ixelles", "Belgium"},
		},
		Lines: []money.Line{
			mustLine("Ergonomic office chair, black (SKU CH-2210)", "4", "189.50", "21"),
			mustLine("Standing desk 160×80 cm (SKU DS-1608)", "2", "449.00", "21"),
		},
		Currency: "EUR",
		Delivery: &Delivery{
			Address:       []string{"Marketplace Procurement NV — Warehouse B", "Rue de l'Industrie 9", "1400 Nivelles", "Belgium"},
			Region:        "BE-WAL",
			RequestedDate: date(2026, time.May, 12),
		},
		Notes: []string{"Please quote the PO number on your delivery note and invoice."},
	}
}

func samples() map[string]Document {
	return map[string]Document{
		"invoice_draft":  sampleInvoiceDraft(),
		"invoice":        sampleInvoice(),
		"invoice_long":   sampleLongInvoice(),
		"credit_note":    sampleCreditNote(),
		"purchase_order": samplePurchaseOrder(),
	}
}

// TestWriteSamples writes one PDF of each kind to $ORDERFLOW_PDF_SAMPLES, for
// a person to look at after a layout change.
func TestWriteSamples(t *testing.T) {
	dir := os.Getenv("ORDERFLOW_PDF_SAMPLES")
	if dir == "" {
		t.Skip("set ORDERFLOW_PDF_SAMPLES to a directory to write sample PDFs")
	}
	for name, d := range samples() {
		out, err := Render(d)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if err := os.WriteFile(filepath.Join(dir, name+".pdf"), out, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func sampleLongInvoice() Document {
	d := sampleInvoice()
	d.Lines = nil
	for i := range 45 {
		d.Lines = append(d.Lines, mustLine(fmt.Sprintf("Coaching session %d — follow-up and written summary for the team", i+1), "1.25", "60.00", []string{"21", "6"}[i%2]))
	}
	d.Notes = append(d.Notes, "A second note that is long enough to wrap across the width of the page, so that a reader can check that wrapped notes keep their line spacing and margins.")
	return d
}

package activities_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/testsuite"

	"github.com/orderflow/orderflow/activities"
	"github.com/orderflow/orderflow/internal/money"
	"github.com/orderflow/orderflow/internal/pgtest"
	"github.com/orderflow/orderflow/internal/store"
)

// invoiceEnv runs IssueInvoice on a real store; invoices can be swapped to inject faults.
func invoiceEnv(t *testing.T, invoices func(*store.Store) activities.Invoices) (*testsuite.TestActivityEnvironment, *store.Store) {
	t.Helper()
	st := store.New(pgtest.New(t))
	env := (&testsuite.WorkflowTestSuite{}).NewTestActivityEnvironment()
	env.RegisterActivity(&activities.Activities{Invoices: invoices(st), Documents: st, Now: time.Now})
	return env, st
}

func realInvoices(st *store.Store) activities.Invoices { return st }

// extractPDFText reads a PDF with poppler's pdftotext, an independent reader.
func extractPDFText(t *testing.T, content []byte) string {
	t.Helper()
	tool, err := exec.LookPath("pdftotext")
	if err != nil {
		t.Fatal("pdftotext not found: install poppler-utils (apt-get install -y poppler-utils) to run these tests")
	}
	path := filepath.Join(t.TempDir(), "doc.pdf")
	if err := os.WriteFile(path, content, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(tool, "-layout", "-enc", "UTF-8", path, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return string(out)
}

var brussels = func() *time.Location {
	loc, err := time.LoadLocation("Europe/Brussels")
	if err != nil {
		return time.FixedZone("CET", 3600)
	}
	return loc
}()

func memberInvoice(orderID string, entry int) activities.IssueInvoiceInput {
	return activities.IssueInvoiceInput{
		Key: orderID + "/invoice/" + strconv.Itoa(entry), OrderID: orderID, Entry: entry, Kind: store.KindInvoice, Year: 2026,
		Filename: "invoice-" + orderID + ".pdf",
		Document: activities.Document{
			Kind: activities.InvoiceDocument, Reference: orderID, IssueDate: time.Date(2026, 4, 1, 9, 0, 0, 0, brussels),
			Seller: activities.Party{Company: "Smart Coop", Name: "on behalf of Ana Member"},
			Buyer:  activities.Party{Company: "Client SA", Name: "Carl Client", Email: "carl@client.example"},
			Lines: []money.Line{
				{Description: "Design work", Quantity: money.QuantityOf(10), UnitPrice: 8000, VATRate: money.Percent(21)},
				{Description: "Printed booklets", Quantity: money.QuantityOf(2), UnitPrice: 1250, VATRate: money.Percent(6)},
			},
			Currency: "EUR",
		},
	}
}

func creditNoteFor(inv activities.IssueInvoiceInput, invoiceID string) activities.IssueInvoiceInput {
	cn := inv
	cn.Key = inv.OrderID + "/credit-note/" + strconv.Itoa(inv.Entry)
	cn.Kind, cn.CreditedInvoiceID, cn.Filename = store.KindCreditNote, invoiceID, "credit-note-"+inv.OrderID+".pdf"
	cn.Document.Kind = activities.CreditNoteDocument
	cn.Document.IssueDate = inv.Document.IssueDate.AddDate(0, 0, 3)
	cn.Document.Lines = nil
	for _, l := range inv.Document.Lines {
		l.UnitPrice = -l.UnitPrice
		cn.Document.Lines = append(cn.Document.Lines, l)
	}
	return cn
}

func issueVia(t *testing.T, env *testsuite.TestActivityEnvironment, in activities.IssueInvoiceInput) (activities.IssuedInvoice, error) {
	t.Helper()
	val, err := env.ExecuteActivity("IssueInvoice", in)
	if err != nil {
		return activities.IssuedInvoice{}, err
	}
	var out activities.IssuedInvoice
	if err := val.Get(&out); err != nil {
		t.Fatal(err)
	}
	return out, nil
}

func TestIssueInvoiceRendersTheNumberIntoTheStoredPDF(t *testing.T) {
	env, st := invoiceEnv(t, realInvoices)
	ctx := context.Background()
	in := memberInvoice("ord_1", 0)

	first, err := issueVia(t, env, in)
	if err != nil {
		t.Fatal(err)
	}
	// 10 × 80.00 at 21% + 2 × 12.50 at 6%: net 825.00, VAT 168.00 + 1.50.
	if first.ID != "ord_1-invoice-0" || first.Number != "INV-2026-0001" || first.Gross != 99450 {
		t.Fatalf("issued = %+v", first)
	}
	ref := first.DocumentRef
	if ref.ID != first.ID || ref.Kind != "invoice" || ref.Number != first.Number || ref.Filename != in.Filename || len(ref.SHA256) != 64 {
		t.Fatalf("document ref = %+v", ref)
	}
	doc, err := st.GetDocument(ctx, "ord_1", ref.ID)
	if err != nil {
		t.Fatal(err)
	}
	if doc.SHA256 != ref.SHA256 || doc.Number != first.Number {
		t.Fatalf("stored document %s numbered %q, ref %+v", doc.SHA256, doc.Number, ref)
	}
	text := extractPDFText(t, doc.Content)
	for _, want := range []string{"INV-2026-0001", "Client SA", "Design work", "994.50"} {
		if !strings.Contains(text, want) {
			t.Errorf("the PDF does not show %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "DRAFT") {
		t.Errorf("the final invoice is marked DRAFT:\n%s", text)
	}

	// A retry returns the same invoice and stores nothing new.
	again, err := issueVia(t, env, in)
	if err != nil || again != first {
		t.Fatalf("retry = %+v, %v; want %+v", again, err, first)
	}
	inv, err := st.GetInvoice(ctx, first.ID)
	if err != nil {
		t.Fatal(err)
	}
	if inv.NetCents != 82500 || inv.VATCents != 16950 || inv.ClientName != "Client SA" || inv.ClientEmail != "carl@client.example" ||
		inv.Year != 2026 || inv.Series != "INV" || !inv.IssuedAt.Equal(in.Document.IssueDate) {
		t.Fatalf("stored invoice = %+v", inv)
	}

	second, err := issueVia(t, env, memberInvoice("ord_2", 0))
	if err != nil || second.Number != "INV-2026-0002" {
		t.Fatalf("next invoice = %+v, %v; want INV-2026-0002", second, err)
	}
}

func TestIssueCreditNoteNamesTheCreditedInvoice(t *testing.T) {
	env, st := invoiceEnv(t, realInvoices)
	in := memberInvoice("ord_1", 1)
	inv, err := issueVia(t, env, in)
	if err != nil {
		t.Fatal(err)
	}
	credit, err := issueVia(t, env, creditNoteFor(in, inv.ID))
	if err != nil {
		t.Fatal(err)
	}
	if credit.ID != "ord_1-credit-note-1" || credit.Number != "CN-2026-0001" || credit.Gross != -99450 || credit.DocumentRef.Kind != "credit_note" {
		t.Fatalf("credit note = %+v", credit)
	}
	doc, err := st.GetDocument(context.Background(), "ord_1", credit.DocumentRef.ID)
	if err != nil {
		t.Fatal(err)
	}
	text := extractPDFText(t, doc.Content)
	for _, want := range []string{"CN-2026-0001", "INV-2026-0001"} {
		if !strings.Contains(text, want) {
			t.Errorf("the credit note does not show %q:\n%s", want, text)
		}
	}

	wrong := creditNoteFor(in, inv.ID)
	wrong.Document.CreditedInvoice = "INV-2026-0099"
	wrong.Key, wrong.Entry = "ord_1/credit-note/7", 7
	_, err = issueVia(t, env, wrong)
	if got := nonRetryableType(err); got != activities.ErrInvoiceInvalid {
		t.Fatalf("credit note naming another number: err = %v, want non-retryable %s", err, activities.ErrInvoiceInvalid)
	}
	missing := creditNoteFor(memberInvoice("ord_2", 0), "ord_2-invoice-0")
	_, err = issueVia(t, env, missing)
	if got := nonRetryableType(err); got != activities.ErrInvoiceInvalid {
		t.Fatalf("credit note of an unissued invoice: err = %v, want non-retryable %s", err, activities.ErrInvoiceInvalid)
	}
}

func TestIssueInvoiceRefusesInvalidRequestsWithoutRetry(t *testing.T) {
	env, _ := invoiceEnv(t, realInvoices)
	for name, change := range map[string]func(*activities.IssueInvoiceInput){
		"no lines":             func(in *activities.IssueInvoiceInput) { in.Document.Lines = nil },
		"no buyer":             func(in *activities.IssueInvoiceInput) { in.Document.Buyer = activities.Party{} },
		"a number already":     func(in *activities.IssueInvoiceInput) { in.Document.Number = "X-1" },
		"draft document":       func(in *activities.IssueInvoiceInput) { in.Document.Kind = activities.InvoiceDraftDocument },
		"unknown kind":         func(in *activities.IssueInvoiceInput) { in.Kind = "receipt" },
		"year of another date": func(in *activities.IssueInvoiceInput) { in.Year = 2025 },
		"another order's doc":  func(in *activities.IssueInvoiceInput) { in.Document.Reference = "ord_other" },
		"no key":               func(in *activities.IssueInvoiceInput) { in.Key = "" },
		"credit note of no one": func(in *activities.IssueInvoiceInput) {
			in.Kind, in.Document.Kind = store.KindCreditNote, activities.CreditNoteDocument
		},
	} {
		in := memberInvoice("ord_bad", 0)
		change(&in)
		_, err := issueVia(t, env, in)
		if got := nonRetryableType(err); got != activities.ErrInvoiceInvalid {
			t.Errorf("%s: err = %v, want non-retryable %s", name, err, activities.ErrInvoiceInvalid)
		}
	}
	// None of them took a number.
	ok, err := issueVia(t, env, memberInvoice("ord_ok", 0))
	if err != nil || ok.Number != "INV-2026-0001" {
		t.Fatalf("first valid invoice = %+v, %v; want INV-2026-0001", ok, err)
	}
}

// unreachable fails like a database that does not answer.
type unreachable struct{ activities.Invoices }

func (unreachable) IssueInvoice(context.Context, store.InvoiceRecord, string, store.RenderFunc) (store.Invoice, error) {
	return store.Invoice{}, errors.New("dial tcp 127.0.0.1:5432: connection refused")
}

func TestIssueInvoiceRetriesDatabaseErrors(t *testing.T) {
	env, _ := invoiceEnv(t, func(st *store.Store) activities.Invoices { return unreachable{st} })
	_, err := issueVia(t, env, memberInvoice("ord_1", 0))
	if err == nil || !strings.Contains(err.Error(), "connection refused") {
		t.Fatalf("err = %v, want the database error", err)
	}
	if got := nonRetryableType(err); got != "" {
		t.Fatalf("a database error is non-retryable (%s); it must be retried", got)
	}
}

// The year defaults to the issue date's year in the order's time zone.
func TestIssueInvoiceYearFollowsTheLocalIssueDate(t *testing.T) {
	env, _ := invoiceEnv(t, realInvoices)
	in := memberInvoice("ord_ny", 0)
	in.Year = 0
	// 00:30 in Brussels on 1 January 2027 is still 2026 in UTC.
	in.Document.IssueDate = time.Date(2027, 1, 1, 0, 30, 0, 0, brussels)
	got, err := issueVia(t, env, in)
	if err != nil || got.Number != "INV-2027-0001" {
		t.Fatalf("issued = %+v, %v; want INV-2027-0001", got, err)
	}
}

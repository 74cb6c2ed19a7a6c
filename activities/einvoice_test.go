package activities_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/testsuite"

	"github.com/orderflow/orderflow/activities"
	"github.com/orderflow/orderflow/internal/store"
)

func businessInvoice(orderID string, entry int) activities.IssueInvoiceInput {
	in := memberInvoice(orderID, entry)
	in.Document.Buyer.VATNumber = "BE 0987.654.312"
	return in
}

func TestIssueInvoiceStoresTheEInvoiceOfABusinessBuyer(t *testing.T) {
	env, st := invoiceEnv(t, realInvoices)
	ctx := context.Background()
	in := businessInvoice("ord_1", 0)

	issued, err := issueVia(t, env, in)
	if err != nil {
		t.Fatal(err)
	}
	ref := issued.UBL
	if ref == nil {
		t.Fatal("no e-invoice for a buyer with a VAT number")
	}
	if ref.ID != "ord_1-invoice-0-ubl" || ref.Kind != "invoice_ubl" || ref.Number != "INV-2026-0001" || ref.Filename != "invoice-ord_1.xml" {
		t.Fatalf("e-invoice ref = %+v", ref)
	}
	doc, err := st.GetDocument(ctx, "ord_1", ref.ID)
	if err != nil {
		t.Fatal(err)
	}
	if doc.ContentType != "application/xml" || doc.SHA256 != ref.SHA256 {
		t.Fatalf("stored %s with hash %s, ref %+v", doc.ContentType, doc.SHA256, ref)
	}
	xml := string(doc.Content)
	for _, want := range []string{
		"<cbc:ID>INV-2026-0001</cbc:ID>", "<cbc:InvoiceTypeCode>380</cbc:InvoiceTypeCode>",
		`<cbc:EndpointID schemeID="0208">0987654312</cbc:EndpointID>`,
		`<cbc:PayableAmount currencyID="EUR">994.50</cbc:PayableAmount>`,
	} {
		if !strings.Contains(xml, want) {
			t.Errorf("the e-invoice lacks %s:\n%s", want, xml)
		}
	}

	// A retry stores nothing new and returns the same reference.
	again, err := issueVia(t, env, in)
	if err != nil || again.UBL == nil || *again.UBL != *ref {
		t.Fatalf("retry = %+v, %v; want e-invoice %+v", again, err, ref)
	}

	credit, err := issueVia(t, env, creditNoteFor(in, issued.ID))
	if err != nil {
		t.Fatal(err)
	}
	if credit.UBL == nil || credit.UBL.ID != credit.ID+"-ubl" || credit.UBL.Kind != "credit_note_ubl" {
		t.Fatalf("credit note e-invoice = %+v", credit.UBL)
	}
	cn, err := st.GetDocument(ctx, "ord_1", credit.UBL.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"<CreditNote ", "<cbc:ID>INV-2026-0001</cbc:ID>", `<cbc:PayableAmount currencyID="EUR">994.50</cbc:PayableAmount>`} {
		if !strings.Contains(string(cn.Content), want) {
			t.Errorf("the credit note's e-invoice lacks %s:\n%s", want, cn.Content)
		}
	}
}

func TestIssueInvoiceMakesNoEInvoiceForAConsumer(t *testing.T) {
	env, st := invoiceEnv(t, realInvoices)
	issued, err := issueVia(t, env, memberInvoice("ord_1", 0))
	if err != nil {
		t.Fatal(err)
	}
	if issued.UBL != nil {
		t.Fatalf("e-invoice %+v for a buyer without a VAT number", issued.UBL)
	}
	_, err = st.GetDocument(context.Background(), "ord_1", issued.ID+"-ubl")
	if !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("GetDocument of the e-invoice: %v, want ErrNotFound", err)
	}
}

// failingDocuments refuses to save e-invoices until healed.
type failingDocuments struct {
	*store.Store
	failing bool
}

func (f *failingDocuments) SaveDocument(ctx context.Context, d store.Document) error {
	if f.failing && strings.HasSuffix(d.ID, "-ubl") {
		return errors.New("connection reset")
	}
	return f.Store.SaveDocument(ctx, d)
}

func TestIssueInvoiceRetryCompletesAMissingEInvoice(t *testing.T) {
	env, st := invoiceEnv(t, realInvoices)
	docs := &failingDocuments{Store: st, failing: true}
	failing := (&testsuite.WorkflowTestSuite{}).NewTestActivityEnvironment()
	failing.RegisterActivity(&activities.Activities{Invoices: st, Documents: docs, Now: time.Now})
	in := businessInvoice("ord_1", 0)
	if _, err := issueVia(t, failing, in); err == nil || !strings.Contains(err.Error(), "connection reset") {
		t.Fatalf("issue with the e-invoice unsavable: %v, want the save error", err)
	}
	// The invoice was numbered; the retry finds it and saves the e-invoice.
	issued, err := issueVia(t, env, in)
	if err != nil {
		t.Fatal(err)
	}
	if issued.Number != "INV-2026-0001" || issued.UBL == nil {
		t.Fatalf("retry = %+v", issued)
	}
	if _, err := st.GetDocument(context.Background(), "ord_1", issued.UBL.ID); err != nil {
		t.Fatal(err)
	}
}

package activities

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"go.temporal.io/sdk/temporal"

	"github.com/orderflow/orderflow/internal/money"
	"github.com/orderflow/orderflow/internal/pdf"
	"github.com/orderflow/orderflow/internal/store"
)

// ErrInvoiceInvalid: the invoice or credit note cannot be issued as asked
// (a document that cannot render, a key reused for something else, a credit
// note for an invoice that is not there); retrying cannot help.
const ErrInvoiceInvalid = "InvoiceInvalid"

// Number series of issued documents; each counts from 1 every year.
const (
	InvoiceSeries    = "INV"
	CreditNoteSeries = "CN"
)

// Invoices issues invoices and credit notes with gapless numbers.
type Invoices interface {
	IssueInvoice(ctx context.Context, r store.InvoiceRecord, key string, render store.RenderFunc) (store.Invoice, error)
	GetInvoice(ctx context.Context, id string) (store.Invoice, error)
}

// IssueInvoiceInput asks for one invoice or credit note of one schedule entry.
type IssueInvoiceInput struct {
	// Key makes the issue idempotent: order id + "/invoice/" + entry, or
	// "/credit-note/" + entry.
	Key     string
	OrderID string
	Entry   int
	Kind    string // store.KindInvoice or store.KindCreditNote
	// Year numbers the document: the issue date's year in the order's time
	// zone. Zero means Document.IssueDate's year.
	Year int
	// CreditedInvoiceID is the invoice a credit note credits.
	CreditedInvoiceID string
	// Document is complete except Number, which the issue assigns. A credit
	// note's CreditedInvoice may be left empty: the credited invoice's
	// number is filled in.
	Document Document
	Filename string
}

// IssuedInvoice is what the workflow keeps of an issued document.
type IssuedInvoice struct {
	ID          string
	Number      string // e.g. "INV-2026-0001"
	DocumentRef DocumentRef
	Gross       money.Amount
	// UBL is the structured e-invoice stored next to the PDF when the buyer
	// has a VAT number (see storeEInvoice); nil for consumers.
	UBL *DocumentRef
}

// IssueInvoice assigns the next number of the year, renders the final PDF
// with it and records both, in one transaction: a number is never committed
// without its document, a failure frees it, and a retry returns the invoice
// the first attempt issued.
func (a *Activities) IssueInvoice(ctx context.Context, in IssueInvoiceInput) (IssuedInvoice, error) {
	record, doc, err := a.invoiceRecord(ctx, in)
	if err != nil {
		return IssuedInvoice{}, issueError(in, err)
	}
	// The store renders only when it assigns a new number: a call that
	// rendered and succeeded issued the document, one that found it did not.
	rendered := false
	render := func(number string) ([]byte, error) {
		rendered = true
		d := doc
		d.Number = number
		return pdf.Render(d)
	}
	inv, err := a.Invoices.IssueInvoice(ctx, record, in.Key, render)
	if err != nil {
		return IssuedInvoice{}, issueError(in, err)
	}
	// E-invoicing (Peppol BIS 3.0): the UBL is saved after the PDF's
	// transaction, idempotently, on every attempt.
	eInvoice, err := a.storeEInvoice(ctx, in, doc, inv)
	if err != nil {
		return IssuedInvoice{}, issueError(in, err)
	}
	if rendered {
		a.events().InvoiceIssued(in.Kind)
		a.log().InfoContext(ctx, "invoice issued", "kind", in.Kind, "number", inv.NumberText, "key", in.Key)
	}
	return IssuedInvoice{
		ID: inv.ID, Number: inv.NumberText, Gross: money.Amount(inv.GrossCents),
		DocumentRef: DocumentRef{ID: inv.DocumentID, Kind: inv.Kind, Number: inv.NumberText, Filename: inv.Filename, SHA256: inv.DocumentSHA256},
		UBL:         eInvoice,
	}, nil
}

// issueError makes permanent failures non-retryable; anything else (the
// database unreachable, a timeout) is retried.
func issueError(in IssueInvoiceInput, err error) error {
	if errors.Is(err, pdf.ErrInvalidDocument) || errors.Is(err, store.ErrInvalid) || errors.Is(err, store.ErrConflict) {
		return temporal.NewNonRetryableApplicationError(fmt.Sprintf("issue %s: %v", in.Key, err), ErrInvoiceInvalid, err)
	}
	return fmt.Errorf("issue %s: %w", in.Key, err)
}

// invoiceRecord checks the request and derives what the store records. The
// document is validated (with a stand-in number) and totalled here, before
// the series is locked.
func (a *Activities) invoiceRecord(ctx context.Context, in IssueInvoiceInput) (store.InvoiceRecord, pdf.Document, error) {
	doc := pdfDocument(in.Document)
	if doc.Reference == "" {
		doc.Reference = in.OrderID
	}
	if err := checkIssueInput(in, doc); err != nil {
		return store.InvoiceRecord{}, doc, err
	}
	year := in.Year
	if year == 0 {
		year = doc.IssueDate.Year()
	}
	if in.Kind == store.KindCreditNote {
		credited, err := a.creditedNumber(ctx, in, doc.CreditedInvoice)
		if err != nil {
			return store.InvoiceRecord{}, doc, err
		}
		doc.CreditedInvoice = credited
	}
	withNumber := doc
	withNumber.Number = store.FormatInvoiceNumber(seriesOf(in.Kind), year, 1)
	if err := withNumber.Validate(); err != nil {
		return store.InvoiceRecord{}, doc, err
	}
	totals, err := money.Compute(doc.Lines)
	if err != nil {
		return store.InvoiceRecord{}, doc, fmt.Errorf("%w: %v", pdf.ErrInvalidDocument, err)
	}
	id := issuedDocumentID(in)
	return store.InvoiceRecord{
		ID: id, OrderID: in.OrderID, Entry: in.Entry, Kind: in.Kind, Series: seriesOf(in.Kind), Year: year,
		CreditedInvoiceID: in.CreditedInvoiceID,
		NetCents:          int64(totals.Net), VATCents: int64(totals.VAT), GrossCents: int64(totals.Gross),
		Currency: currencyOf(doc), ClientName: partyName(doc.Buyer), ClientEmail: doc.Buyer.Email,
		IssuedAt: doc.IssueDate, DocumentID: id, Filename: in.Filename,
	}, doc, nil
}

func checkIssueInput(in IssueInvoiceInput, doc pdf.Document) error {
	wantKind := map[string]pdf.Kind{store.KindInvoice: pdf.Invoice, store.KindCreditNote: pdf.CreditNote}[in.Kind]
	switch {
	case wantKind == "":
		return fmt.Errorf("%w: kind %q is neither %q nor %q", store.ErrInvalid, in.Kind, store.KindInvoice, store.KindCreditNote)
	case doc.Kind != wantKind:
		return fmt.Errorf("%w: a %s needs a document of kind %q, not %q", store.ErrInvalid, in.Kind, wantKind, doc.Kind)
	case doc.Number != "":
		return fmt.Errorf("%w: the document already has number %q; the issue assigns it", store.ErrInvalid, doc.Number)
	case doc.Reference != in.OrderID:
		return fmt.Errorf("%w: the document refers to order %q, not %q", store.ErrInvalid, doc.Reference, in.OrderID)
	case in.Year != 0 && !doc.IssueDate.IsZero() && in.Year != doc.IssueDate.Year():
		return fmt.Errorf("%w: year %d is not the year of the issue date %s", store.ErrInvalid, in.Year, doc.IssueDate.Format("2006-01-02"))
	case in.Kind == store.KindCreditNote && in.CreditedInvoiceID == "":
		return fmt.Errorf("%w: a credit note needs the id of the invoice it credits", store.ErrInvalid)
	}
	return nil
}

// creditedNumber is the number of the invoice a credit note credits; a
// number the workflow already put on the document must be that one.
func (a *Activities) creditedNumber(ctx context.Context, in IssueInvoiceInput, onDocument string) (string, error) {
	credited, err := a.Invoices.GetInvoice(ctx, in.CreditedInvoiceID)
	if errors.Is(err, store.ErrNotFound) {
		return "", fmt.Errorf("%w: there is no invoice %s to credit", store.ErrInvalid, in.CreditedInvoiceID)
	}
	if err != nil {
		return "", err
	}
	if onDocument != "" && onDocument != credited.NumberText {
		return "", fmt.Errorf("%w: the credit note names invoice %q but %s is %s", store.ErrInvalid, onDocument, credited.ID, credited.NumberText)
	}
	return credited.NumberText, nil
}

// issuedDocumentID names an issued invoice and its PDF alike, next to the
// order's other documents ("ord_…-purchase-order").
func issuedDocumentID(in IssueInvoiceInput) string {
	return fmt.Sprintf("%s-%s-%d", in.OrderID, strings.ReplaceAll(in.Kind, "_", "-"), in.Entry)
}

func seriesOf(kind string) string {
	if kind == store.KindCreditNote {
		return CreditNoteSeries
	}
	return InvoiceSeries
}

func currencyOf(d pdf.Document) string {
	if d.Currency == "" {
		return "EUR"
	}
	return d.Currency
}

// partyName is how lists name a client: the company when there is one.
func partyName(p pdf.Party) string {
	if strings.TrimSpace(p.Company) != "" {
		return p.Company
	}
	return p.Name
}

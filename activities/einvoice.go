package activities

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/orderflow/orderflow/internal/pdf"
	"github.com/orderflow/orderflow/internal/store"
	"github.com/orderflow/orderflow/internal/ubl"
)

// Content type and id suffix of the structured e-invoice (UBL) stored next
// to an issued invoice's or credit note's PDF.
const (
	EInvoiceContentType = "application/xml"
	eInvoiceSuffix      = "-ubl"
)

// storeEInvoice writes the Peppol BIS 3.0 UBL of an issued invoice or credit
// note and stores it next to its PDF. Only business buyers (with a VAT
// number) get one; consumers get the PDF alone, and then it returns nil.
//
// It runs after the store's issue transaction, not inside it: the store
// renders one document per number. That is safe because the UBL is
// written from the same input and number on every attempt, so the same
// bytes are saved again (SaveDocument is idempotent) and an attempt that
// died between the two saves is completed by the retry.
func (a *Activities) storeEInvoice(ctx context.Context, in IssueInvoiceInput, doc pdf.Document, inv store.Invoice) (*DocumentRef, error) {
	if strings.TrimSpace(doc.Buyer.VATNumber) == "" {
		return nil, nil
	}
	doc.Number = inv.NumberText
	write := ubl.Invoice
	if in.Kind == store.KindCreditNote {
		write = ubl.CreditNote
	}
	// Lines carry no unit in orderflow, so every quantity is written as
	// pieces (C62); BT-10 defaults to the order id.
	content, err := write(doc, ubl.Meta{})
	if err != nil {
		return nil, fmt.Errorf("e-invoice of %s: %w", inv.NumberText, err)
	}
	sum := sha256.Sum256(content)
	saved := store.Document{
		ID: inv.DocumentID + eInvoiceSuffix, OrderID: in.OrderID, Kind: in.Kind + "_ubl", Number: inv.NumberText,
		Filename: strings.TrimSuffix(inv.Filename, ".pdf") + ".xml", ContentType: EInvoiceContentType, Content: content,
		SHA256: hex.EncodeToString(sum[:]),
	}
	if err := a.Documents.SaveDocument(ctx, saved); err != nil {
		return nil, fmt.Errorf("e-invoice of %s: %w", inv.NumberText, err)
	}
	return &DocumentRef{ID: saved.ID, Kind: saved.Kind, Number: saved.Number, Filename: saved.Filename, SHA256: saved.SHA256}, nil
}

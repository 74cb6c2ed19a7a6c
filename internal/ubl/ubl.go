// Package ubl writes issued invoices and credit notes as structured
// e-invoices: UBL 2.1 documents following Peppol BIS Billing 3.0, the
// European standard EN 16931 that Belgian B2B invoices must follow since
// 1 January 2026. The same input always gives the same bytes, because stored
// documents are keyed by the hash of their content.
//
// What orderflow does not know, and a fully Peppol-compliant document needs
// (the schema accepts documents without them; Peppol's Schematron does not):
//   - the seller's VAT number and endpoint when pdf.Party.VATNumber is empty
//     (PEPPOL-EN16931-R020, BR-CO-26);
//   - city and postcode as separate fields (BT-37/38, BT-52/53: optional but
//     expected); printed address lines go to street and address lines;
//   - payment means and the seller's bank account (BG-16), not on our PDFs;
//   - endpoints of non-Belgian parties (see EndpointOf).
package ubl

import (
	"fmt"
	"strings"
	"time"

	"github.com/orderflow/orderflow/internal/money"
	"github.com/orderflow/orderflow/internal/pdf"
)

// Peppol BIS Billing 3.0 identifiers (BT-24 and BT-23).
const (
	CustomizationID = "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"
	ProfileID       = "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"
)

// Document type codes (UNTDID 1001, BT-3).
const (
	commercialInvoice = "380"
	creditNote        = "381"
)

// Unit codes (UN/ECE Recommendation 20) for BT-130.
const (
	UnitPiece = "C62" // "one": a unit without a measure
	UnitHour  = "HUR"
)

// VAT category codes (UNCL5305) for BT-151 and BT-118.
const (
	CategoryStandard  = "S"
	CategoryZeroRated = "Z"
	CategoryExempt    = "E"
)

const (
	dateLayout         = "2006-01-02"
	xmlDeclaration     = `<?xml version="1.0" encoding="UTF-8"?>` + "\n"
	namespaceAggregate = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
	namespaceBasic     = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
)

// Meta is what an e-invoice needs beyond the printed document.
type Meta struct {
	// BuyerReference is BT-10, the reference the buyer asked to be quoted.
	// Peppol needs BT-10 or BT-13; BT-13 (order reference) is always the
	// order id (pdf.Document.Reference), and BT-10 defaults to it too,
	// because some Belgian receivers route on BT-10 alone.
	BuyerReference string
	// UnitCode is the unit of every line's quantity: UnitPiece (default)
	// or UnitHour. Lines do not carry their own unit in orderflow.
	UnitCode string
	// ZeroRateCategory is the VAT category of lines at 0%: CategoryZeroRated
	// (default) or CategoryExempt, which needs ExemptionReason (BR-E-10).
	ZeroRateCategory string
	ExemptionReason  string
	// SellerCountry and BuyerCountry are ISO 3166-1 alpha-2 codes for a
	// party whose VAT number does not say (default BE).
	SellerCountry, BuyerCountry string
}

// Invoice writes an issued invoice (type 380).
func Invoice(doc pdf.Document, meta Meta) ([]byte, error) {
	if doc.Kind != pdf.Invoice {
		return nil, fmt.Errorf("%w: an e-invoice needs a document of kind %q, not %q", pdf.ErrInvalidDocument, pdf.Invoice, doc.Kind)
	}
	return write(doc, meta, invoiceShape)
}

// CreditNote writes an issued credit note (type 381) referring to the
// invoice it credits. Its lines carry negative prices, as orderflow writes
// credits (see money.Line); a UBL credit note is a credit by its type, so
// its amounts are written positive.
func CreditNote(doc pdf.Document, meta Meta) ([]byte, error) {
	if doc.Kind != pdf.CreditNote {
		return nil, fmt.Errorf("%w: a credit note needs a document of kind %q, not %q", pdf.ErrInvalidDocument, pdf.CreditNote, doc.Kind)
	}
	doc.Lines = negated(doc.Lines)
	return write(doc, meta, creditNoteShape)
}

// shape holds the element names in which the two document types differ.
type shape struct {
	root, namespace, typeCode, typeCodeElement, line, quantity string
}

var (
	invoiceShape = shape{
		root: "Invoice", namespace: "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2",
		typeCode: commercialInvoice, typeCodeElement: "cbc:InvoiceTypeCode",
		line: "cac:InvoiceLine", quantity: "cbc:InvoicedQuantity",
	}
	creditNoteShape = shape{
		root: "CreditNote", namespace: "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2",
		typeCode: creditNote, typeCodeElement: "cbc:CreditNoteTypeCode",
		line: "cac:CreditNoteLine", quantity: "cbc:CreditedQuantity",
	}
)

func negated(lines []money.Line) []money.Line {
	out := make([]money.Line, len(lines))
	for i, l := range lines {
		l.UnitPrice = -l.UnitPrice
		out[i] = l
	}
	return out
}

func write(doc pdf.Document, meta Meta, s shape) ([]byte, error) {
	if err := doc.Validate(); err != nil {
		return nil, err
	}
	meta, err := meta.withDefaults()
	if err != nil {
		return nil, err
	}
	totals, err := money.Compute(doc.Lines)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", pdf.ErrInvalidDocument, err)
	}
	currency := doc.Currency
	if currency == "" {
		currency = "EUR"
	}
	w := &writer{}
	w.buf.WriteString(xmlDeclaration)
	w.open(s.root, attr{"xmlns", s.namespace}, attr{"xmlns:cac", namespaceAggregate}, attr{"xmlns:cbc", namespaceBasic})
	writeHeader(w, doc, meta, s, currency)
	w.open("cac:AccountingSupplierParty")
	writeParty(w, doc.Seller, meta.SellerCountry)
	w.close("cac:AccountingSupplierParty")
	w.open("cac:AccountingCustomerParty")
	writeParty(w, doc.Buyer, meta.BuyerCountry)
	w.close("cac:AccountingCustomerParty")
	writeTotals(w, totals, meta, currency)
	for i, l := range doc.Lines {
		if err := writeLine(w, i+1, l, meta, s, currency); err != nil {
			return nil, err
		}
	}
	w.close(s.root)
	return w.buf.Bytes(), nil
}

func (m Meta) withDefaults() (Meta, error) {
	if m.UnitCode == "" {
		m.UnitCode = UnitPiece
	}
	if m.ZeroRateCategory == "" {
		m.ZeroRateCategory = CategoryZeroRated
	}
	switch {
	case m.UnitCode != UnitPiece && m.UnitCode != UnitHour:
		return m, fmt.Errorf("%w: unit code %q is neither %s nor %s", pdf.ErrInvalidDocument, m.UnitCode, UnitPiece, UnitHour)
	case m.ZeroRateCategory != CategoryZeroRated && m.ZeroRateCategory != CategoryExempt:
		return m, fmt.Errorf("%w: VAT category %q for 0%% is neither %s nor %s", pdf.ErrInvalidDocument, m.ZeroRateCategory, CategoryZeroRated, CategoryExempt)
	case m.ZeroRateCategory == CategoryExempt && strings.TrimSpace(m.ExemptionReason) == "":
		return m, fmt.Errorf("%w: exempt lines need an exemption reason", pdf.ErrInvalidDocument)
	}
	return m, nil
}

// writeHeader writes everything before the parties, in the schema's order.
func writeHeader(w *writer, doc pdf.Document, meta Meta, s shape, currency string) {
	w.leaf("cbc:CustomizationID", CustomizationID)
	w.leaf("cbc:ProfileID", ProfileID)
	w.leaf("cbc:ID", doc.Number)
	w.leaf("cbc:IssueDate", date(doc.IssueDate))
	if doc.DueDate != nil && s.root == invoiceShape.root { // a UBL 2.1 credit note has no DueDate
		w.leaf("cbc:DueDate", date(*doc.DueDate))
	}
	w.leaf(s.typeCodeElement, s.typeCode)
	// Peppol allows one note (BT-22).
	w.leafIf("cbc:Note", strings.Join(doc.Notes, "\n"))
	w.leaf("cbc:DocumentCurrencyCode", currency)
	buyerRef := meta.BuyerReference
	if strings.TrimSpace(buyerRef) == "" {
		buyerRef = doc.Reference
	}
	w.leaf("cbc:BuyerReference", buyerRef)
	if p := doc.ServicePeriod; p != nil {
		w.open("cac:InvoicePeriod")
		w.leaf("cbc:StartDate", date(p.Start))
		w.leaf("cbc:EndDate", date(p.End))
		w.close("cac:InvoicePeriod")
	}
	w.open("cac:OrderReference")
	w.leaf("cbc:ID", doc.Reference)
	w.close("cac:OrderReference")
	if doc.CreditedInvoice != "" {
		w.open("cac:BillingReference")
		w.open("cac:InvoiceDocumentReference")
		w.leaf("cbc:ID", doc.CreditedInvoice)
		w.close("cac:InvoiceDocumentReference")
		w.close("cac:BillingReference")
	}
}

func writeTotals(w *writer, t money.Totals, meta Meta, currency string) {
	cur := attr{"currencyID", currency}
	w.open("cac:TaxTotal")
	w.leaf("cbc:TaxAmount", t.VAT.String(), cur)
	for _, r := range t.ByRate {
		w.open("cac:TaxSubtotal")
		w.leaf("cbc:TaxableAmount", r.Base.String(), cur)
		w.leaf("cbc:TaxAmount", r.VAT.String(), cur)
		writeTaxCategory(w, "cac:TaxCategory", r.Rate, meta, true)
		w.close("cac:TaxSubtotal")
	}
	w.close("cac:TaxTotal")
	w.open("cac:LegalMonetaryTotal")
	w.leaf("cbc:LineExtensionAmount", t.Net.String(), cur)
	w.leaf("cbc:TaxExclusiveAmount", t.Net.String(), cur)
	w.leaf("cbc:TaxInclusiveAmount", t.Gross.String(), cur)
	w.leaf("cbc:PayableAmount", t.Gross.String(), cur)
	w.close("cac:LegalMonetaryTotal")
}

// writeTaxCategory writes a VAT category; the exemption reason belongs in
// the breakdown only (BT-120), not on lines.
func writeTaxCategory(w *writer, element string, rate money.Rate, meta Meta, withReason bool) {
	category := CategoryStandard
	if rate == 0 {
		category = meta.ZeroRateCategory
	}
	w.open(element)
	w.leaf("cbc:ID", category)
	w.leaf("cbc:Percent", rate.String())
	if withReason && category == CategoryExempt {
		w.leaf("cbc:TaxExemptionReason", meta.ExemptionReason)
	}
	writeTaxScheme(w)
	w.close(element)
}

// writeLine writes one line. The item price may not be negative (BR-27), so
// a negative price is written positive with a negative quantity: the line
// net, their product, is the same.
func writeLine(w *writer, id int, l money.Line, meta Meta, s shape, currency string) error {
	net, err := money.LineNet(l)
	if err != nil {
		return fmt.Errorf("%w: line %d: %v", pdf.ErrInvalidDocument, id, err)
	}
	quantity, price := l.Quantity, l.UnitPrice
	if price < 0 {
		quantity, price = -quantity, -price
	}
	cur := attr{"currencyID", currency}
	w.open(s.line)
	w.leaf("cbc:ID", fmt.Sprint(id))
	w.leaf(s.quantity, quantity.String(), attr{"unitCode", meta.UnitCode})
	w.leaf("cbc:LineExtensionAmount", net.String(), cur)
	w.open("cac:Item")
	w.leaf("cbc:Name", itemName(l.Description))
	writeTaxCategory(w, "cac:ClassifiedTaxCategory", l.VATRate, meta, false)
	w.close("cac:Item")
	w.open("cac:Price")
	w.leaf("cbc:PriceAmount", price.String(), cur)
	w.close("cac:Price")
	w.close(s.line)
	return nil
}

// itemName is the line's description on one line, as BT-153 is a name.
func itemName(description string) string {
	return strings.Join(strings.Fields(description), " ")
}

// date writes the calendar day in t's own location, like the PDF does.
func date(t time.Time) string {
	return t.Format(dateLayout)
}

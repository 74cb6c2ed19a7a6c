package pdf

import (
	"time"
)

func (d Document) title() string {
	switch d.Kind {
	case InvoiceDraft:
		return "DRAFT INVOICE"
	case Invoice:
		return "INVOICE"
	case CreditNote:
		return "CREDIT NOTE"
	case PurchaseOrder:
		return "PURCHASE ORDER"
	}
	return string(d.Kind)
}

func (d Document) numberLabel() string {
	switch d.Kind {
	case CreditNote:
		return "Credit note no."
	case PurchaseOrder:
		return "PO no."
	}
	return "Invoice no."
}

// issuer is the party whose document this is: the seller of an invoice, the
// buyer placing a purchase order.
func (d Document) issuer() Party {
	if d.Kind == PurchaseOrder {
		return d.Buyer
	}
	return d.Seller
}

func (d Document) recipient() Party {
	if d.Kind == PurchaseOrder {
		return d.Seller
	}
	return d.Buyer
}

func (d Document) recipientLabel() string {
	if d.Kind == PurchaseOrder {
		return "Supplier"
	}
	return "Bill to"
}

func (d Document) grossLabel() string {
	switch d.Kind {
	case Invoice:
		return "Amount due"
	case CreditNote:
		return "Total credited"
	case PurchaseOrder:
		return "Order total incl. VAT"
	}
	return "Total incl. VAT"
}

// notesToPrint adds the sentences each kind needs before the caller's notes.
func (d Document) notesToPrint() []string {
	var notes []string
	switch d.Kind {
	case InvoiceDraft:
		notes = append(notes, "This is a draft for review. The final invoice will carry a number and may still change.")
	case CreditNote:
		if d.CreditsOrder {
			notes = append(notes, "This credit note credits order "+d.Reference+", bought on credit terms, for the amounts shown above: they are no longer due.")
		} else {
			notes = append(notes, "This credit note credits invoice "+d.CreditedInvoice+" for the amounts shown above.")
		}
	}
	return append(notes, d.Notes...)
}

func (p Party) displayName() string {
	if p.Company != "" {
		return p.Company
	}
	return p.Name
}

// formatDate writes a calendar day unambiguously in English: "3 March 2026".
func formatDate(t time.Time) string {
	return t.Format("2 January 2006")
}

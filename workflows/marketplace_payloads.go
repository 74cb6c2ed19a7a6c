package workflows

import (
	"fmt"
	"strings"
	"time"

	"github.com/orderflow/orderflow/activities"
	"github.com/orderflow/orderflow/internal/money"
	"github.com/orderflow/orderflow/lifecycle"
)

// Marketplace order: the bodies of its actions and their registry, the checks
// of its input (Validate) and of an action's payload against the order (vet).

// marketplacePayloads are the bodies of the marketplace actions.
var marketplacePayloads = map[lifecycle.Action]func() Payload{
	lifecycle.PaymentConfirmed: func() Payload { return &PaymentConfirmedPayload{} },
	lifecycle.DeclineCredit:    func() Payload { return &ReasonPayload{} },
	lifecycle.SetMargin:        func() Payload { return &MarginPayload{} },
	lifecycle.Decline:          func() Payload { return &OptionalReasonPayload{} },
	lifecycle.MarkDelivered:    func() Payload { return &DeliveredPayload{} },
	lifecycle.UploadInvoice:    func() Payload { return &InvoicePayload{} },
	lifecycle.CannotFulfil:     func() Payload { return &ReasonPayload{} },
	lifecycle.Cancel:           func() Payload { return &ReasonPayload{} },
	lifecycle.RequestReturn:    func() Payload { return &ReasonPayload{} },
	lifecycle.RejectReturn:     func() Payload { return &ReasonPayload{} },
	lifecycle.RejectResalable:  func() Payload { return &ReasonPayload{} },
}

// Bodies of the marketplace actions. Validate answers field → what to fix.

// PaymentConfirmedPayload is sent by the payment webhook.
type PaymentConfirmedPayload struct {
	PaymentID string       `json:"payment_id"`
	Amount    money.Amount `json:"amount"`
}

func (p *PaymentConfirmedPayload) Validate() map[string]string {
	problems := oneLine(map[string]string{}, "payment_id", p.PaymentID, true, maxCode)
	if p.Amount <= 0 {
		problems["amount"] = "must be greater than 0"
	}
	return problems
}

// MarginPayload sets the spread kept by the marketplace, in percent of the
// customer's price (excl. VAT); the supplier is paid the rest.
type MarginPayload struct {
	MarginPercent money.Rate `json:"margin_percent"`
}

func (p *MarginPayload) Validate() map[string]string {
	if p.MarginPercent < 0 || p.MarginPercent >= money.Percent(100) {
		return map[string]string{"margin_percent": "must be at least 0 and less than 100"}
	}
	return nil
}

// DeliveredPayload is the supplier's proof of delivery.
type DeliveredPayload struct {
	Note string `json:"note"`
}

func (p *DeliveredPayload) Validate() map[string]string {
	return textProblems(map[string]string{}, "note", p.Note, true)
}

// InvoicePayload is the supplier's invoice for the order.
type InvoicePayload struct {
	Number string       `json:"number"`
	Amount money.Amount `json:"amount"`
	// Document is the invoice's PDF, uploaded first (POST
	// /v1/orders/{id}/documents). The supplier sends its id; the API
	// checks it is this order's upload and fills in the rest from its
	// record, so the order lists only documents that exist.
	Document *activities.DocumentRef `json:"document,omitempty"`
}

func (p *InvoicePayload) Validate() map[string]string {
	problems := oneLine(map[string]string{}, "number", p.Number, true, maxCode)
	if p.Amount <= 0 {
		problems["amount"] = "must be greater than 0"
	}
	if p.Document != nil && (p.Document.ID == "" || p.Document.Kind != SupplierInvoiceKind) {
		problems["document"] = "must be the id of the invoice's PDF as POST /v1/orders/{id}/documents answered it"
	}
	return problems
}

// SupplierInvoiceKind is the kind of a supplier's uploaded invoice PDF.
const SupplierInvoiceKind = "supplier_invoice"

func (m *marketplace) vet(a lifecycle.Action, p Payload) string {
	if pc, ok := p.(*PaymentConfirmedPayload); ok && a == lifecycle.PaymentConfirmed {
		switch {
		case m.Payment == nil:
			return "no payment was requested for this order yet"
		case pc.PaymentID != m.Payment.ID:
			return "payment " + pc.PaymentID + " is not this order's payment"
		case pc.Amount != m.Payment.Amount:
			return fmt.Sprintf("the payment of %s does not match the amount due, %s", pc.Amount, m.Payment.Amount)
		}
	}
	return ""
}

// Validate checks a new order before it starts: field → what to fix.
func (in MarketplaceInput) Validate() map[string]string {
	problems := map[string]string{}
	emailProblems(problems, "customer_email", in.CustomerEmail, "ann@example.com")
	oneLine(problems, "customer_id", in.CustomerID, true, maxID)
	oneLine(problems, "customer_name", in.CustomerName, false, maxName)
	switch {
	case len(in.Items) == 0:
		problems["items"] = "must list at least one item"
	case len(in.Items) > maxItems:
		problems["items"] = fmt.Sprintf("must list at most %d items; split the order", maxItems)
	default:
		itemsOK := true
		for i, it := range in.Items {
			at := fmt.Sprintf("items[%d].", i)
			n := len(problems)
			oneLine(problems, at+"description", it.Description, true, maxTitle)
			oneLine(problems, at+"sku", it.SKU, false, maxCode)
			if err := it.Quantity.CheckPositive(); err != nil {
				problems[at+"quantity"] = err.Error()
			}
			if it.UnitPrice < 0 {
				problems[at+"unit_price"] = "must not be negative"
			}
			if err := it.VATRate.Check(); err != nil {
				problems[at+"vat_rate"] = err.Error()
			}
			itemsOK = itemsOK && len(problems) == n
		}
		if itemsOK {
			totalProblems(problems, "items", itemLines(in.Items))
		}
	}
	oneLine(problems, "category", in.Category, true, maxCode)
	oneLine(problems, "delivery.region", in.Delivery.Region, true, maxCode)
	switch {
	case len(in.Delivery.Address) == 0:
		problems["delivery.address"] = "must have at least one line"
	case len(in.Delivery.Address) > maxAddressLines:
		problems["delivery.address"] = fmt.Sprintf("must have at most %d lines; put the address on fewer lines", maxAddressLines)
	default:
		blank := true
		for i, line := range in.Delivery.Address {
			oneLine(problems, fmt.Sprintf("delivery.address[%d]", i), line, false, maxAddressLine)
			blank = blank && strings.TrimSpace(line) == ""
		}
		if blank {
			problems["delivery.address"] = "must have at least one line that is not blank"
		}
	}
	if _, err := time.Parse("2006-01-02", in.Delivery.RequestedDate); err != nil {
		problems["delivery.requested_date"] = "must be a date like 2026-12-01"
	}
	if in.PaymentTerms != "prepaid" && in.PaymentTerms != "credit" {
		problems["payment_terms"] = `must be "prepaid" or "credit"`
	}
	return problems
}

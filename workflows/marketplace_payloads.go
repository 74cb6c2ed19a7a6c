package workflows

import (
	"fmt"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/orderflow/orderflow/internal/money"
)

// Bodies of the marketplace actions. Validate answers field → what to fix.

// maxText bounds free text (reasons, notes) so an order's history stays small.
const maxText = 2000

// ReasonPayload: a reason is required (cancel, decline credit, returns...).
type ReasonPayload struct {
	Reason string `json:"reason"`
}

func (p *ReasonPayload) Validate() map[string]string {
	return textProblems(map[string]string{}, "reason", p.Reason, true)
}

// OptionalReasonPayload: a reason may be given (a supplier declining).
type OptionalReasonPayload struct {
	Reason string `json:"reason"`
}

func (p *OptionalReasonPayload) Validate() map[string]string {
	return textProblems(map[string]string{}, "reason", p.Reason, false)
}

// PaymentConfirmedPayload is sent by the payment webhook.
type PaymentConfirmedPayload struct {
	PaymentID string       `json:"payment_id"`
	Amount    money.Amount `json:"amount"`
}

func (p *PaymentConfirmedPayload) Validate() map[string]string {
	problems := map[string]string{}
	if p.PaymentID == "" {
		problems["payment_id"] = "is required"
	}
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
}

func (p *InvoicePayload) Validate() map[string]string {
	problems := textProblems(map[string]string{}, "number", p.Number, true)
	if p.Amount <= 0 {
		problems["amount"] = "must be greater than 0"
	}
	return problems
}

func textProblems(problems map[string]string, field, value string, required bool) map[string]string {
	switch {
	case required && strings.TrimSpace(value) == "":
		problems[field] = "is required"
	case !utf8.ValidString(value):
		problems[field] = "must be valid UTF-8 text"
	case utf8.RuneCountInString(value) > maxText:
		problems[field] = fmt.Sprintf("must be at most %d characters", maxText)
	}
	return problems
}

func (m *marketplace) vet(a Action, p Payload) string {
	if pc, ok := p.(*PaymentConfirmedPayload); ok && a == PaymentConfirmed {
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
	if !isEmail(in.CustomerEmail) {
		problems["customer_email"] = "must be an email address like ann@example.com"
	}
	if in.CustomerID == "" {
		problems["customer_id"] = "is required"
	}
	textProblems(problems, "customer_name", in.CustomerName, false)
	if len(in.Items) == 0 {
		problems["items"] = "must list at least one item"
	}
	if len(in.Items) > 100 {
		problems["items"] = "must list at most 100 items"
	}
	for i, it := range in.Items {
		at := fmt.Sprintf("items[%d].", i)
		textProblems(problems, at+"description", it.Description, true)
		textProblems(problems, at+"sku", it.SKU, false)
		if err := it.Quantity.CheckPositive(); err != nil {
			problems[at+"quantity"] = err.Error()
		}
		if it.UnitPrice < 0 {
			problems[at+"unit_price"] = "must not be negative"
		}
		if err := it.VATRate.Check(); err != nil {
			problems[at+"vat_rate"] = err.Error()
		}
	}
	if _, err := money.Compute(itemLines(in.Items)); err != nil && len(problems) == 0 {
		problems["items"] = err.Error()
	}
	textProblems(problems, "category", in.Category, true)
	textProblems(problems, "delivery.region", in.Delivery.Region, true)
	if len(in.Delivery.Address) == 0 {
		problems["delivery.address"] = "must have at least one line"
	}
	if _, err := time.Parse("2006-01-02", in.Delivery.RequestedDate); err != nil {
		problems["delivery.requested_date"] = "must be a date like 2026-12-01"
	}
	if in.PaymentTerms != "prepaid" && in.PaymentTerms != "credit" {
		problems["payment_terms"] = `must be "prepaid" or "credit"`
	}
	return problems
}

// isEmail accepts a bare address of printable ASCII (decision: addresses with
// lookalike letters, direction overrides or spaces are refused rather than
// mailed), as net/mail parses it.
func isEmail(s string) bool {
	for _, r := range s {
		if r <= ' ' || r > '~' {
			return false
		}
	}
	a, err := mail.ParseAddress(s)
	return err == nil && a.Address == s && strings.Contains(s, "@")
}

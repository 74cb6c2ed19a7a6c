package workflows

import (
	"strings"
	"time"

	"github.com/orderflow/orderflow/activities"
	"github.com/orderflow/orderflow/internal/money"
)

// Marketplace order: what its emails say and the purchase order it sends,
// with the customer's prices for the customer, the supplier's for suppliers.

func (m *marketplace) purchaseOrder(docID string, now time.Time) activities.RenderDocumentInput {
	lines, _ := m.supplierLines()
	return activities.RenderDocumentInput{
		ID: docID, OrderID: m.ID, Filename: "purchase-order-" + m.ID + ".pdf",
		Document: activities.Document{
			Kind: activities.PurchaseOrderDocument, Number: "PO-" + m.ID, Reference: m.ID, IssueDate: now.In(m.location()),
			Seller: activities.Party{Name: m.Supplier.Name, Email: m.Supplier.Email},
			Buyer:  activities.Party{Name: "orderflow marketplace", Address: []string{"Purchasing"}},
			Lines:  lines, Currency: "EUR",
			Delivery: &activities.Delivery{Address: m.In.Delivery.Address, Region: m.In.Delivery.Region, RequestedDate: m.requestedDate()},
			Notes:    []string{"Mark the order delivered and upload your invoice on orderflow when done."},
		},
	}
}

// OrderEmail is the data every marketplace email template receives. Its
// amounts are the recipient's: the customer's prices in an email to the
// customer, what the supplier is paid in one to a supplier
// (supplierEmailData). Total is incl. VAT, TotalExclVAT and VAT its parts.
type OrderEmail struct {
	OrderID, Recipient, Total, TotalExclVAT, VAT, Reason, ActionURL, Deadline, Supplier, Refund, Delivery string
	Lines                                                                                                 []EmailLine
	// ActionLink, when set, is the bearer link SendEmail puts in ActionURL.
	ActionLink *activities.BearerLink `json:",omitempty"`
}

// emailData is the data of an email to the customer: the customer's prices.
func (m *marketplace) emailData() OrderEmail {
	e := OrderEmail{
		OrderID: m.ID, Recipient: m.customerName(), Delivery: m.deliveryText(),
		Lines: emailLines(itemLines(m.In.Items)),
	}
	e.setTotals(m.Totals)
	if m.Supplier != nil {
		e.Supplier = m.Supplier.Name
	}
	return e
}

// supplierEmailData is the data of an email to supplier s: the goods, the
// delivery and what the supplier is paid (supplierLines), line by line and
// in total. Never the customer's prices, totals, name or address, nor the
// margin: the data is in the workflow's history and the email outbox too.
func (m *marketplace) supplierEmailData(s activities.SupplierRef) OrderEmail {
	lines, totals := m.supplierLines()
	e := OrderEmail{OrderID: m.ID, Recipient: s.Name, Supplier: s.Name, Delivery: m.deliveryText(), Lines: emailLines(lines)}
	e.setTotals(totals)
	return e
}

func (e *OrderEmail) setTotals(t money.Totals) {
	e.Total, e.TotalExclVAT, e.VAT = money.Format(t.Gross, "EUR"), money.Format(t.Net, "EUR"), money.Format(t.VAT, "EUR")
}

func (m *marketplace) deliveryText() string {
	return strings.Join(m.In.Delivery.Address, ", ") + " (" + m.In.Delivery.Region + "), on " + m.In.Delivery.RequestedDate
}

func (m *marketplace) customerName() string {
	if m.In.CustomerName != "" {
		return m.In.CustomerName
	}
	return m.In.CustomerEmail
}

func (m *marketplace) emailCustomer(purpose string, data OrderEmail) {
	m.email(purpose, activities.Address{Name: m.In.CustomerName, Email: m.In.CustomerEmail}, data)
}

func (m *marketplace) emailSupplier(purpose string, data OrderEmail) {
	data.Recipient = m.Supplier.Name
	m.email(purpose, supplierAddress(*m.Supplier), data)
}

func (m *marketplace) emailTo(purpose string, to activities.Address, data OrderEmail, attach ...string) {
	data.Recipient = to.Name
	m.email(purpose, to, data, attach...)
}

func supplierAddress(s activities.SupplierRef) activities.Address {
	return activities.Address{Name: s.Name, Email: s.Email}
}

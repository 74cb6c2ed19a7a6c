package workflows

import (
	"encoding/json"
	"slices"
	"strings"

	"github.com/orderflow/orderflow/activities"
	"github.com/orderflow/orderflow/internal/auth"
	"github.com/orderflow/orderflow/internal/money"
	"github.com/orderflow/orderflow/lifecycle"
)

// Marketplace order: who stands how to it (relations, guards) and what it
// shows (the system view projection.go narrows, the read-model snapshot).

// cancelRequest: Temporal's cancellation request cancels the order as
// purchasing would, with its refund and emails, where the table lets
// purchasing cancel.
func (m *marketplace) cancelRequest() (lifecycle.Action, ActionRequest) {
	return lifecycle.Cancel, ActionRequest{Actor: cancelRequestActor(lifecycle.Purchasing),
		Payload: json.RawMessage(`{"reason": "cancellation requested in Temporal (Web UI or CLI)"}`)}
}

func (m *marketplace) relations(p auth.Principal) []lifecycle.Relation {
	var rs []lifecycle.Relation
	switch {
	case p.Role == lifecycle.Customer && p.Subject == m.In.CustomerID:
		rs = append(rs, lifecycle.Owner)
	case p.Role == lifecycle.Supplier && m.Supplier != nil && m.Supplier.ID == p.Subject:
		rs = append(rs, lifecycle.AcceptedSupplier)
	case p.Role == lifecycle.Supplier && m.Supplier == nil && slices.ContainsFunc(m.Offers, func(o Offer) bool {
		return o.Supplier.ID == p.Subject && !o.Declined
	}):
		rs = append(rs, lifecycle.OfferedSupplier)
	}
	return rs
}

// visibleTo: who may see the order is decided where what they see is
// (projection.go), from the same system view.
func (m *marketplace) visibleTo(p auth.Principal) bool {
	return Visible(m.systemView(), p)
}

func (m *marketplace) guard(name string, p Party) (bool, string) {
	switch name {
	case lifecycle.GuardMarginSet:
		return m.MarginRate != nil, "set a margin (set_margin) before releasing the order"
	case lifecycle.GuardReturnOpen:
		return m.Return == nil && !m.Closed, "a return was already requested for this order"
	case lifecycle.GuardReturnRequested:
		return m.Return != nil && m.Return.Decision == "", "there is no return request waiting for a decision"
	case lifecycle.GuardNotDelivered:
		return m.DeliveryNote == nil, "the delivery is already recorded"
	case lifecycle.GuardNotDeliveredYet:
		// Orders started before ChangeTrustedActions could be cancelled
		// after delivery; when they replay, they still can
		// (docs/versioning.md).
		return !m.trusted || m.DeliveryNote == nil,
			"the supplier has delivered; the order completes with the supplier's invoice, or the customer requests a return after it"
	case lifecycle.GuardNoInvoice:
		return m.SupplierInvoice == nil, "your invoice is already recorded"
	case lifecycle.GuardCustomerMayCancel:
		// Orders started before ChangeBusinessRules let only purchasing
		// cancel in screening; when they replay, a customer's cancel is
		// refused as it was then (docs/versioning.md).
		return p.Principal.Role != lifecycle.Customer || m.businessRules,
			"cancel is not possible for customer while the order is screening (orders placed before the customer could cancel in screening)"
	case lifecycle.GuardReturnApproved:
		return m.Return != nil && m.Return.Decision == "approved" && m.Return.Resalable == nil, "there is no approved return waiting for inspection"
	}
	return false, "unknown guard " + name
}

// MarketplaceDetails is the marketplace part of the order view.
type MarketplaceDetails struct {
	CustomerEmail   string                  `json:"customer_email"`
	Items           []Item                  `json:"items"`
	Category        string                  `json:"category"`
	Delivery        DeliveryInfo            `json:"delivery"`
	PaymentTerms    string                  `json:"payment_terms"`
	Totals          money.Totals            `json:"totals"`
	MarginPercent   *money.Rate             `json:"margin_percent,omitempty"`
	SupplierCost    *money.Amount           `json:"supplier_cost,omitempty"`
	Payment         *PaymentState           `json:"payment,omitempty"`
	Offers          []Offer                 `json:"offers,omitempty"`
	Supplier        *activities.SupplierRef `json:"supplier,omitempty"`
	DeliveryNote    *string                 `json:"delivery_note,omitempty"`
	SupplierInvoice *SupplierInvoice        `json:"supplier_invoice,omitempty"`
	Return          *ReturnState            `json:"return,omitempty"`
	Refunded        money.Amount            `json:"refunded"`
}

func (m *marketplace) view(viewer Party) OrderView {
	return m.forViewer(m.systemView(), viewer)
}

// systemView is the whole order (projection.go narrows it per viewer).
func (m *marketplace) systemView() OrderView {
	v := m.baseView(lifecycle.MarketplaceFlow.Labels[m.Status], m.title(), m.Totals.Gross, m.deadlines())
	v.Marketplace = &MarketplaceDetails{
		CustomerEmail: m.In.CustomerEmail, Items: m.In.Items, Category: m.In.Category, Delivery: m.In.Delivery,
		PaymentTerms: m.In.PaymentTerms, Totals: m.Totals, Payment: m.Payment, Supplier: m.Supplier,
		DeliveryNote: m.DeliveryNote, SupplierInvoice: m.SupplierInvoice, Return: m.Return, Refunded: m.Refunded,
		MarginPercent: m.MarginRate, Offers: m.Offers,
	}
	if m.MarginRate != nil {
		_, cost := m.supplierLines()
		v.Marketplace.SupplierCost = &cost.Net
	}
	return v
}

func (m *marketplace) snapshot() activities.OrderRow {
	o := m.baseSnapshot(m.title(), m.Totals.Gross, m.deadlines())
	if m.Supplier != nil {
		o.SupplierID = m.Supplier.ID
	}
	o.View = RecordedView(m.view(Party{Principal: systemActor}))
	return o
}

func (m *marketplace) title() string {
	parts := make([]string, 0, len(m.In.Items))
	for _, it := range m.In.Items {
		parts = append(parts, it.Quantity.String()+" × "+it.Description)
	}
	return strings.Join(parts, ", ")
}

// supplierLines are the items at the supplier's price, and their totals:
// the customer's unit price less the margin, line by line. The purchase
// order, every email to a supplier and the supplier's view of the order
// take what the supplier is paid from here.
func (m *marketplace) supplierLines() ([]money.Line, money.Totals) {
	return supplierLinesOf(m.In.Items, m.MarginRate)
}

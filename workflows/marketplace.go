package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/orderflow/orderflow/activities"
	"github.com/orderflow/orderflow/internal/auth"
	"github.com/orderflow/orderflow/internal/money"
	"github.com/orderflow/orderflow/lifecycle"
)

// Marketplace order: the workflow, its input and state, continue-as-new and
// the decisions of its actions (apply); the rest is in marketplace_*.go.

// MarketplaceWorkflow is the workflow type name of a marketplace order.
const MarketplaceWorkflow = "MarketplaceOrder"

// Item is one line of a marketplace order, at the customer's price.
type Item struct {
	SKU         string         `json:"sku"`
	Description string         `json:"description"`
	Quantity    money.Quantity `json:"quantity"`
	UnitPrice   money.Amount   `json:"unit_price"`
	VATRate     money.Rate     `json:"vat_rate"`
}

// DeliveryInfo is where and when the goods go.
type DeliveryInfo struct {
	Address       []string `json:"address"`
	Region        string   `json:"region"`
	RequestedDate string   `json:"requested_date"` // YYYY-MM-DD
}

// MarketplaceSettings are the deployment's durations, stamped on the order
// when it is created so it keeps them for its whole life.
type MarketplaceSettings struct {
	PaymentWindow      time.Duration `json:"payment_window"`
	PendingWindow      time.Duration `json:"pending_window"`
	FulfilmentDeadline time.Duration `json:"fulfilment_deadline"`
	ReturnWindow       time.Duration `json:"return_window"`
	TimeZone           string        `json:"time_zone"`
	PublicURL          string        `json:"public_url"`
	// Waits: who is told, reminded and escalated while the order waits for
	// a person (waits.go).
	Waits WaitSettings `json:"waits"`
}

// MarketplaceInput starts a marketplace order.
type MarketplaceInput struct {
	OrderID       string              `json:"order_id"`
	CustomerID    string              `json:"customer_id"`
	CustomerEmail string              `json:"customer_email"`
	CustomerName  string              `json:"customer_name"`
	Items         []Item              `json:"items"`
	Category      string              `json:"category"`
	Delivery      DeliveryInfo        `json:"delivery"`
	PaymentTerms  string              `json:"payment_terms"` // "prepaid" or "credit"
	CreatedBy     auth.Principal      `json:"created_by"`
	RequestID     string              `json:"request_id,omitempty"`
	Settings      MarketplaceSettings `json:"settings"`
	// Resume carries the whole state across continue-as-new.
	Resume *marketplaceState `json:"resume,omitempty"`
}

// Payment state of a marketplace order.
type PaymentState struct {
	ID string `json:"id"`
	// URL is the pay link, a credential: never in the workflow's state or
	// history (activities/links.go); the API fills it in for the paying
	// customer's own view only.
	URL    string       `json:"url,omitempty"`
	Amount money.Amount `json:"amount"`
	Paid   bool         `json:"paid"`
}

// Offer is the order offered to one supplier.
type Offer struct {
	Supplier      activities.SupplierRef `json:"supplier"`
	Round         int                    `json:"round"`
	Declined      bool                   `json:"declined"`
	DeclineReason string                 `json:"decline_reason,omitempty"`
}

// ReturnState follows a return request of a completed order.
type ReturnState struct {
	Reason    string `json:"reason"`
	Decision  string `json:"decision,omitempty"`  // "approved" or "rejected"
	Resalable *bool  `json:"resalable,omitempty"` // the supplier's inspection
}

func (r *ReturnState) open() bool {
	return r != nil && r.Decision != "rejected" && r.Resalable == nil
}

// SupplierInvoice is the invoice the accepted supplier uploaded.
type SupplierInvoice struct {
	Number string       `json:"number"`
	Amount money.Amount `json:"amount"`
}

// marketplace is one marketplace order.
type marketplace struct {
	core
	marketplaceState
}

// marketplaceState is everything a marketplace order knows, carried whole
// across continue-as-new.
type marketplaceState struct {
	Core            coreState
	In              MarketplaceInput
	Totals          money.Totals
	MarginRate      *money.Rate
	Payment         *PaymentState
	ReleasedAt      *time.Time
	CompletedAt     *time.Time
	Offers          []Offer
	Round           int
	Supplier        *activities.SupplierRef
	DeliveryNote    *string
	SupplierInvoice *SupplierInvoice
	Return          *ReturnState
	Refunded        money.Amount
	// PaymentAskedAt is when finance declined the credit and the order
	// asked for payment instead: its payment window counts from then
	// (orders since ChangeBusinessRules; nil before, and for prepaid orders).
	PaymentAskedAt *time.Time `json:",omitempty"`
	// CreditNote is the credit note of a credit order's return (orders
	// since ChangeBusinessRules).
	CreditNote *activities.DocumentRef `json:",omitempty"`
	// Waits: the wait emails already sent (waits.go).
	Waits WaitMarks `json:",omitempty"`
}

// MarketplaceOrder runs one marketplace order from creation to its final status.
func MarketplaceOrder(ctx workflow.Context, in MarketplaceInput) error {
	m := &marketplace{}
	if in.Resume != nil {
		m.marketplaceState = *in.Resume
	}
	m.core = core{coreState: &m.marketplaceState.Core, table: lifecycle.MarketplaceFlow, flow: m}
	if in.Resume == nil {
		totals, err := money.Compute(itemLines(in.Items))
		if err != nil {
			return fmt.Errorf("order %s: %w", in.OrderID, err)
		}
		m.In, m.Totals = in, totals
		m.ID, m.Flow, m.Owner, m.CreatedAt = in.OrderID, lifecycle.MarketplaceFlow.Name, in.CustomerID, workflow.Now(ctx)
	}
	ctx, err := m.begin(ctx, marketplacePayloads)
	if err != nil {
		return err
	}
	// Every update answers with the whole view, so a busy order's history
	// grows fast; past Temporal's suggestion it continues as new rather than
	// reach the size at which Temporal would end it (docs/security.md).
	// Orders started before ChangeTrustedActions never did: they keep not
	// doing it when they replay.
	if m.trusted {
		m.continueAsNew = m.continueAsNewError
	}
	if in.Resume != nil {
		return m.run(ctx)
	}

	first := lifecycle.AwaitingPayment
	if in.PaymentTerms == "credit" {
		first = lifecycle.AwaitingCredit
	}
	m.transition(ctx, first, lifecycle.Create, in.CreatedBy, "", in.RequestID)
	if first == lifecycle.AwaitingPayment {
		m.requestPayment(ctx, "payment_link", "")
	}
	return m.run(ctx)
}

// continueAsNewError hands the whole state to a fresh run.
func (m *marketplace) continueAsNewError(ctx workflow.Context) error {
	state := m.marketplaceState
	next := m.In
	next.Resume = &state
	return workflow.NewContinueAsNewError(ctx, MarketplaceWorkflow, next)
}

func (m *marketplace) apply(ctx workflow.Context, a lifecycle.Action, req ActionRequest, p Payload) {
	actor, rid := req.Actor, req.RequestID
	switch a {
	case lifecycle.PaymentConfirmed:
		m.Payment.Paid = true
		m.transition(ctx, lifecycle.Screening, a, actor, "", rid)
	case lifecycle.ApproveCredit:
		m.transition(ctx, lifecycle.Screening, a, actor, "", rid)
		m.emailCustomer("credit_approved", m.emailData())
	case lifecycle.DeclineCredit:
		reason := p.(*ReasonPayload).Reason
		if m.businessRules {
			// A late decision must not leave the customer minutes to pay:
			// a full payment window from now (paymentDue).
			now := workflow.Now(ctx)
			m.PaymentAskedAt = &now
		}
		m.transition(ctx, lifecycle.AwaitingPayment, a, actor, reason, rid)
		m.requestPayment(ctx, "credit_declined", reason)
	case lifecycle.SetMargin:
		rate := p.(*MarginPayload).MarginPercent
		m.MarginRate = &rate
		m.note(ctx, a, actor, "margin "+rate.String()+"%", rid)
	case lifecycle.Release:
		now := workflow.Now(ctx)
		m.ReleasedAt = &now
		m.transition(ctx, lifecycle.Pending, a, actor, "", rid)
		m.emailCustomer("order_acknowledged", m.emailData())
		m.offerToSuppliers(1, 3)
	case lifecycle.Accept:
		m.accept(ctx, actor, rid)
	case lifecycle.Decline:
		m.decline(ctx, actor, p.(*OptionalReasonPayload).Reason, rid)
	case lifecycle.MarkDelivered:
		note := p.(*DeliveredPayload).Note
		m.DeliveryNote = &note
		m.note(ctx, a, actor, note, rid)
		m.emailCustomer("order_delivered", m.emailData())
		m.completeWhenDone(ctx)
	case lifecycle.UploadInvoice:
		inv := p.(*InvoicePayload)
		m.SupplierInvoice = &SupplierInvoice{Number: inv.Number, Amount: inv.Amount}
		if inv.Document != nil { // state only, no command: histories without it replay alike
			m.Documents = append(m.Documents, *inv.Document)
		}
		m.note(ctx, a, actor, "invoice "+inv.Number, rid)
		m.completeWhenDone(ctx)
	case lifecycle.CannotFulfil, lifecycle.Cancel:
		m.cancel(ctx, a, actor, p.(*ReasonPayload).Reason, rid)
	case lifecycle.RequestReturn:
		m.Return = &ReturnState{Reason: p.(*ReasonPayload).Reason}
		m.note(ctx, a, actor, m.Return.Reason, rid)
	case lifecycle.ApproveReturn:
		m.Return.Decision = "approved"
		m.note(ctx, a, actor, "", rid)
		data := m.emailData()
		data.Reason, data.Refund = m.Return.Reason, m.refundDue()
		m.emailCustomer("return_approved", data)
		toSupplier := m.supplierEmailData(*m.Supplier)
		toSupplier.Reason = m.Return.Reason
		m.emailSupplier("return_approved", toSupplier)
	case lifecycle.RejectReturn:
		m.Return.Decision = "rejected"
		reason := p.(*ReasonPayload).Reason
		m.note(ctx, a, actor, reason, rid)
		data := m.emailData()
		data.Reason = reason
		m.emailCustomer("return_rejected", data)
	case lifecycle.ConfirmResalable:
		yes := true
		m.Return.Resalable = &yes
		m.transition(ctx, lifecycle.Returned, a, actor, "", rid)
		if m.businessRules && (m.Payment == nil || !m.Payment.Paid) {
			m.creditReturn(ctx) // bought on credit terms: no payment to refund
		} else {
			m.refund("return")
		}
	case lifecycle.RejectResalable:
		no := false
		m.Return.Resalable = &no
		reason := p.(*ReasonPayload).Reason
		m.note(ctx, a, actor, reason, rid)
		data := m.emailData()
		data.Reason = reason
		m.emailCustomer("resalable_rejected", data)
	}
}

func (m *marketplace) cancel(ctx workflow.Context, a lifecycle.Action, actor auth.Principal, reason, rid string) {
	m.transition(ctx, lifecycle.Cancelled, a, actor, reason, rid)
	data := m.emailData()
	data.Reason = reason
	data.Refund = m.refundDue()
	m.emailCustomer("order_cancelled", data)
	if m.Supplier != nil {
		toSupplier := m.supplierEmailData(*m.Supplier) // nothing of the customer's price or refund
		toSupplier.Reason = reason
		m.emailSupplier("order_cancelled", toSupplier)
	} else {
		m.withdrawOffers(ctx, reason)
	}
	m.settlePayment(a)
}

// completeWhenDone: delivery and the supplier's invoice both recorded.
func (m *marketplace) completeWhenDone(ctx workflow.Context) {
	if m.DeliveryNote == nil || m.SupplierInvoice == nil {
		return
	}
	now := workflow.Now(ctx)
	m.CompletedAt = &now
	m.transition(ctx, lifecycle.Completed, lifecycle.DeliveredAndInvoiced, systemActor, "", "")
	data := m.emailData()
	data.Deadline = m.localTime(now.Add(m.In.Settings.ReturnWindow))
	m.emailCustomer("order_completed", data)
}

func itemLines(items []Item) []money.Line {
	lines := make([]money.Line, len(items))
	for i, it := range items {
		lines[i] = money.Line{Description: it.Description, Quantity: it.Quantity, UnitPrice: it.UnitPrice, VATRate: it.VATRate}
	}
	return lines
}

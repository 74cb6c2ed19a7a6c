package workflows

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/orderflow/orderflow/activities"
	"github.com/orderflow/orderflow/internal/auth"
	"github.com/orderflow/orderflow/internal/email"
	"github.com/orderflow/orderflow/internal/money"
	"github.com/orderflow/orderflow/internal/pdf"
	"github.com/orderflow/orderflow/internal/store"
	"github.com/orderflow/orderflow/lifecycle"
)

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
	m.core = core{table: lifecycle.MarketplaceFlow, flow: m}
	if in.Resume != nil {
		m.marketplaceState = *in.Resume
		m.core.restore(m.marketplaceState.Core)
	} else {
		totals, err := money.Compute(itemLines(in.Items))
		if err != nil {
			return fmt.Errorf("order %s: %w", in.OrderID, err)
		}
		m.In, m.Totals = in, totals
		m.ID, m.Flow, m.Owner, m.CreatedAt = in.OrderID, lifecycle.MarketplaceFlow.Name, in.CustomerID, workflow.Now(ctx)
	}
	ctx = m.detach(ctx)
	if err := m.registerHandlers(ctx, marketplacePayloads); err != nil {
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
	m.marketplaceState.Core = m.core.save()
	state := m.marketplaceState
	next := m.In
	next.Resume = &state
	return workflow.NewContinueAsNewError(ctx, MarketplaceWorkflow, next)
}

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

// MarketplacePayloads is the registry the API decodes action bodies with.
func MarketplacePayloads() map[lifecycle.Action]func() Payload { return marketplacePayloads }

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

func (m *marketplace) accept(ctx workflow.Context, actor auth.Principal, rid string) {
	for _, o := range m.Offers {
		if o.Supplier.ID == actor.Subject {
			s := o.Supplier
			m.Supplier = &s
		}
	}
	m.transition(ctx, lifecycle.InProgress, lifecycle.Accept, actor, "", rid)
	data := m.emailData()
	m.emailCustomer("order_confirmed", data)
	docID := m.ID + "-purchase-order"
	po := m.purchaseOrder(docID, workflow.Now(ctx))
	m.enqueue("purchase order PDF", true, func(ctx workflow.Context) error {
		var ref activities.DocumentRef
		err := workflow.ExecuteActivity(ctx, acts.RenderDocument, po).Get(ctx, &ref)
		if err == nil {
			m.Documents = append(m.Documents, ref)
		}
		return err
	})
	m.emailTo("purchase_order", supplierAddress(*m.Supplier), m.supplierEmailData(*m.Supplier), docID)
}

func (m *marketplace) decline(ctx workflow.Context, actor auth.Principal, reason, rid string) {
	for i := range m.Offers {
		if m.Offers[i].Supplier.ID == actor.Subject {
			m.Offers[i].Declined, m.Offers[i].DeclineReason = true, reason
		}
	}
	m.note(ctx, lifecycle.Decline, actor, reason, rid)
	in := activities.RecordDeclineInput{OrderID: m.ID, SupplierID: actor.Subject, Reason: reason, At: workflow.Now(ctx)}
	m.enqueue("record decline of "+actor.Subject, true, func(ctx workflow.Context) error {
		return workflow.ExecuteActivity(ctx, acts.RecordDecline, in).Get(ctx, nil)
	})
	if m.Status == lifecycle.Pending && m.firstRoundDeclined() {
		m.expirePending(ctx, lifecycle.TopSuppliersDeclined, "the top suppliers declined")
	}
}

// firstRoundDeclined: every supplier of the first round (up to three) declined.
func (m *marketplace) firstRoundDeclined() bool {
	firstRound := 0
	for _, o := range m.Offers {
		if o.Round == 1 {
			firstRound++
			if !o.Declined {
				return false
			}
		}
	}
	return firstRound > 0
}

func (m *marketplace) expirePending(ctx workflow.Context, a lifecycle.Action, reason string) {
	m.transition(ctx, lifecycle.PendingExpiring, a, systemActor, reason, "")
	m.offerToSuppliers(2, 0)
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

// ChangeCancelTellsOfferedSuppliers is the workflow.GetVersion change id of
// withdrawOffers (docs/versioning.md walks through it).
const ChangeCancelTellsOfferedSuppliers = "cancel-tells-offered-suppliers"

// withdrawOffers tells the suppliers still considering a cancelled order
// that it is gone, so none of them prepares goods for it. Orders cancelled
// before this change told nobody; their histories have no marker for it,
// GetVersion answers DefaultVersion when they replay, and they keep the old
// commands.
func (m *marketplace) withdrawOffers(ctx workflow.Context, reason string) {
	open := slices.DeleteFunc(slices.Clone(m.Offers), func(o Offer) bool { return o.Declined })
	if len(open) == 0 {
		return
	}
	if workflow.GetVersion(ctx, ChangeCancelTellsOfferedSuppliers, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		return
	}
	for _, o := range open {
		// Only what the template shows: never the customer's price or refund.
		m.emailTo("order_cancelled", supplierAddress(o.Supplier), OrderEmail{OrderID: m.ID, Reason: reason})
	}
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

var systemActor = auth.Principal{Role: lifecycle.System, Subject: "orderflow"}

// requestPayment makes (or reuses) the payment link and emails it.
func (m *marketplace) requestPayment(ctx workflow.Context, purpose, reason string) {
	in := activities.PaymentLinkInput{
		Key: m.ID + "/payment", OrderID: m.ID, Amount: m.Totals.Gross, Currency: "EUR",
		Description: m.title(), CustomerEmail: m.In.CustomerEmail, ExpiresAt: m.paymentDue(),
	}
	m.enqueue("payment link", true, func(ctx workflow.Context) error {
		if m.table.IsFinal(m.Status) {
			return nil // ended while this step waited (parked): a link now could be paid and never refunded
		}
		var link activities.PaymentLink
		if err := workflow.ExecuteActivity(ctx, acts.CreatePaymentLink, in).Get(ctx, &link); err != nil {
			return err
		}
		m.Payment = &PaymentState{ID: link.PaymentID, Amount: m.Totals.Gross}
		if m.trusted && m.Status != lifecycle.AwaitingPayment {
			// Cancelled or expired while the link was being made: its
			// settlement found no link, so this one is cancelled now (and
			// refunded, had it been paid already), and no email asks for
			// the money.
			m.settlePayment(m.Timeline[len(m.Timeline)-1].Action)
			return nil
		}
		if link.Paid {
			m.paidBeforeAsked(ctx, link.PaymentID)
			return nil
		}
		data := m.emailData()
		data.Reason, data.Deadline = reason, m.localTime(m.paymentDue())
		data.ActionLink = &activities.BearerLink{Kind: activities.LinkPayment, ID: link.PaymentID}
		m.emailCustomer(purpose, data)
		return nil
	})
}

// paidBeforeAsked applies a payment the provider already holds when the
// order makes its link: the order missed the provider's confirmation, as
// when a reset (docs/runbook.md) replays the order from before its payment
// and the confirmation re-applied at the reset point finds no link yet. The
// money is the order's either way: it moves on as paid (and is refunded
// like any payment if the order ends), instead of waiting for a payment
// that was made.
func (m *marketplace) paidBeforeAsked(ctx workflow.Context, paymentID string) {
	req := ActionRequest{Actor: systemActor, Payload: rawJSON(PaymentConfirmedPayload{PaymentID: paymentID, Amount: m.Totals.Gross})}
	payload, refused := m.check(lifecycle.PaymentConfirmed, req, marketplacePayloads)
	if refused != nil { // settlePayment refunds it when the order ends: its link is the order's
		workflow.GetLogger(ctx).Error("a paid payment could not be applied", "payment", paymentID, "reason", refused.Reason)
		return
	}
	m.apply(ctx, lifecycle.PaymentConfirmed, req, payload)
}

// offerToSuppliers ranks the eligible suppliers and offers the order to
// those not offered yet: the best `limit` of them, or all when limit is 0.
func (m *marketplace) offerToSuppliers(round, limit int) {
	in := activities.RankSuppliersInput{Category: m.In.Category, Region: m.In.Delivery.Region}
	m.enqueue(fmt.Sprintf("offer to suppliers (round %d)", round), true, func(ctx workflow.Context) error {
		if m.Status != lifecycle.Pending && m.Status != lifecycle.PendingExpiring {
			return nil // cancelled, expired or accepted while this step waited: nothing to offer
		}
		var ranked []activities.SupplierRef
		if err := workflow.ExecuteActivity(ctx, acts.RankSuppliers, in).Get(ctx, &ranked); err != nil {
			return err
		}
		var fresh []activities.SupplierRef
		for _, s := range ranked {
			if !m.offered(s.ID) && (limit == 0 || len(fresh) < limit) {
				fresh = append(fresh, s)
			}
		}
		if len(fresh) == 0 {
			return nil
		}
		rec := activities.RecordOffersInput{OrderID: m.ID, Round: round, At: workflow.Now(ctx)}
		for _, s := range fresh {
			rec.SupplierIDs = append(rec.SupplierIDs, s.ID)
		}
		if err := workflow.ExecuteActivity(ctx, acts.RecordOffers, rec).Get(ctx, nil); err != nil {
			return err
		}
		if m.trusted && m.Status != lifecycle.Pending && m.Status != lifecycle.PendingExpiring {
			return nil // accepted, cancelled or expired while the suppliers were ranked: no offer goes out
		}
		for _, s := range fresh {
			m.Offers = append(m.Offers, Offer{Supplier: s, Round: round})
			// No link: the feed is the API's JSON behind a bearer token,
			// nothing a supplier can open (TestEmailsLinkOnlyToPages).
			data := m.supplierEmailData(s)
			data.Deadline = m.localTime(m.fulfilmentDue())
			m.emailTo("supplier_offer", supplierAddress(s), data)
		}
		m.version++
		return nil
	})
}

func (m *marketplace) offered(supplierID string) bool {
	return slices.ContainsFunc(m.Offers, func(o Offer) bool { return o.Supplier.ID == supplierID })
}

// settlePayment closes the payment of an order that ends: an unpaid link is
// cancelled (if the customer paid in the meantime, that payment is refunded),
// a paid one is refunded. Neither step may be skipped.
func (m *marketplace) settlePayment(why lifecycle.Action) {
	switch {
	case m.Payment == nil:
		return
	case m.Payment.Paid:
		m.refund(why)
	default:
		id := m.Payment.ID
		m.enqueue("cancel payment link", false, func(ctx workflow.Context) error {
			var paid bool
			if err := workflow.ExecuteActivity(ctx, acts.CancelPaymentLink, id).Get(ctx, &paid); err != nil {
				return err
			}
			if paid {
				m.Payment.Paid = true
				m.refund(why)
			}
			return nil
		})
	}
}

// refund pays back what the customer paid, exactly once per order: the
// provider is keyed by order, and this step can never be skipped.
func (m *marketplace) refund(why lifecycle.Action) {
	if m.Payment == nil || !m.Payment.Paid || m.Refunded > 0 {
		return
	}
	in := activities.RefundInput{Key: m.ID + "/refund", OrderID: m.ID, PaymentID: m.Payment.ID, Amount: m.Payment.Amount, Reason: string(why)}
	m.enqueue("refund", false, func(ctx workflow.Context) error {
		if err := workflow.ExecuteActivity(ctx, acts.RefundPayment, in).Get(ctx, nil); err != nil {
			return err
		}
		m.Refunded = in.Amount
		data := m.emailData()
		data.Refund = money.Format(in.Amount, "EUR")
		m.emailCustomer("refund_issued", data)
		return nil
	})
}

// creditReturn issues the credit note of a returned order bought on credit
// terms, which was never paid through a link and so has nothing to refund:
// the credit note says the amount is no longer due, and the customer gets
// it by email. Keyed by order: one credit note, one number, however often
// the step is retried. Like a refund, it cannot be skipped.
func (m *marketplace) creditReturn(ctx workflow.Context) {
	now := workflow.Now(ctx).In(m.location())
	lines := itemLines(m.In.Items)
	for i := range lines {
		lines[i].UnitPrice = -lines[i].UnitPrice
	}
	in := activities.OrderCreditNoteInput{
		Key: m.ID + "/credit-note", OrderID: m.ID, DocumentID: m.ID + "-credit-note",
		Filename: "credit-note-" + m.ID + ".pdf", Year: now.Year(),
		Document: pdf.Document{
			Kind: pdf.CreditNote, CreditsOrder: true, Reference: m.ID, IssueDate: now,
			Seller: pdf.Party{Name: "orderflow marketplace"},
			Buyer:  pdf.Party{Name: m.customerName(), Email: m.In.CustomerEmail},
			Lines:  lines, Currency: "EUR",
			Notes: []string{"The goods were returned in resalable condition: " + m.Return.Reason},
		},
	}
	m.enqueue("credit note", false, func(ctx workflow.Context) error {
		var ref activities.DocumentRef
		if err := workflow.ExecuteActivity(ctx, acts.IssueOrderCreditNote, in).Get(ctx, &ref); err != nil {
			return err
		}
		m.CreditNote = &ref
		m.Documents = append(m.Documents, ref)
		m.version++
		data := m.emailData()
		data.Reason, data.Refund = m.Return.Reason, money.Format(m.Totals.Gross, "EUR")
		m.email("credit_note_issued", email.Address{Name: m.In.CustomerName, Email: m.In.CustomerEmail}, data, ref.ID)
		return nil
	})
}

func (m *marketplace) refundDue() string {
	if m.Payment == nil || !m.Payment.Paid {
		return ""
	}
	return money.Format(m.Payment.Amount, "EUR")
}

// Deadlines.

// paymentDue ends the payment window: from creation, or from the credit's
// decline when that asked for the payment (PaymentAskedAt).
func (m *marketplace) paymentDue() time.Time {
	if m.PaymentAskedAt != nil {
		return m.PaymentAskedAt.Add(m.In.Settings.PaymentWindow)
	}
	return m.CreatedAt.Add(m.In.Settings.PaymentWindow)
}

func (m *marketplace) fulfilmentDue() time.Time {
	if m.ReleasedAt == nil {
		return time.Time{}
	}
	return m.ReleasedAt.Add(m.In.Settings.FulfilmentDeadline)
}

// deadlines are what the order waits for in its status now: its lifecycle
// deadlines, then the steps of the waits for a person (waits.go).
func (m *marketplace) deadlines() []Deadline {
	return append(m.lifecycleDeadlines(), waitDeadlines(m.waits(), m.Waits)...)
}

func (m *marketplace) lifecycleDeadlines() []Deadline {
	switch m.Status {
	case lifecycle.AwaitingPayment, lifecycle.AwaitingCredit:
		return []Deadline{{Name: lifecycle.DeadlinePayment, At: m.paymentDue()}}
	case lifecycle.Pending:
		return []Deadline{
			{Name: lifecycle.DeadlinePending, At: m.ReleasedAt.Add(m.In.Settings.PendingWindow)},
			{Name: lifecycle.DeadlineFulfilment, At: m.fulfilmentDue()},
		}
	case lifecycle.PendingExpiring:
		return []Deadline{{Name: lifecycle.DeadlineFulfilment, At: m.fulfilmentDue()}}
	case lifecycle.Completed:
		if m.Return.open() || m.Closed {
			return nil
		}
		return []Deadline{{Name: lifecycle.DeadlineReturns, At: m.CompletedAt.Add(m.In.Settings.ReturnWindow)}}
	}
	return nil
}

func (m *marketplace) elapse(ctx workflow.Context, d Deadline) {
	if m.elapseWait(ctx, d, m.waits(), &m.Waits, m.waitContext()) {
		return
	}
	switch d.Name {
	case lifecycle.DeadlinePayment:
		m.transition(ctx, lifecycle.Expired, lifecycle.PaymentWindowElapsed, systemActor, "not paid in time", "")
		data := m.emailData()
		data.Reason = "it was not paid within the payment window"
		m.emailCustomer("order_expired", data)
		m.settlePayment(lifecycle.PaymentWindowElapsed)
	case lifecycle.DeadlinePending:
		m.expirePending(ctx, lifecycle.PendingWindowElapsed, "pending for "+m.In.Settings.PendingWindow.String())
	case lifecycle.DeadlineFulfilment:
		data := m.emailData()
		data.Reason, data.Refund = "no supplier accepted it in time", m.refundDue()
		m.transition(ctx, lifecycle.Expired, lifecycle.FulfilmentDeadline, systemActor, "no supplier accepted in time", "")
		m.emailCustomer("order_expired", data)
		m.settlePayment(lifecycle.FulfilmentDeadline)
	case lifecycle.DeadlineReturns:
		m.Closed = true
		m.note(ctx, lifecycle.ReturnWindowElapsed, systemActor, "returns closed", "")
	}
}

// waits are what the order waits for a person to do now (issue 12):
// purchasing to release it, finance to decide a credit request, the
// supplier to deliver once the requested date has passed, purchasing to
// decide a return and the supplier to inspect an approved one. Orders
// started before ChangeBusinessRules have none.
func (m *marketplace) waits() []Wait {
	s := m.In.Settings.Waits
	if !m.businessRules || !s.enabled() {
		return nil
	}
	purchasing := WaitOwner{Role: lifecycle.Purchasing, Label: "purchasing", Name: "Purchasing", Email: s.PurchasingEmail}
	finance := WaitOwner{Role: lifecycle.Finance, Label: "finance", Name: "Finance", Email: s.FinanceEmail}
	staff := WaitOwner{Role: lifecycle.Staff, Label: "staff", Name: "Staff", Email: s.StaffEmail}
	var supplier WaitOwner
	if m.Supplier != nil {
		supplier = WaitOwner{Role: lifecycle.Supplier, Label: "the supplier", Name: m.Supplier.Name, Email: m.Supplier.Email}
	}
	switch m.Status {
	case lifecycle.Screening:
		if at, n, ok := m.enteredStatus(lifecycle.Screening); ok {
			return []Wait{s.newWait("screening", n, "release or cancel the order", purchasing, staff, at)}
		}
	case lifecycle.AwaitingCredit:
		if at, n, ok := m.enteredStatus(lifecycle.AwaitingCredit); ok {
			w := s.newWait("credit", n, "approve or decline the credit request", finance, staff, at)
			return []Wait{s.beforeExpiry(w, m.paymentDue())}
		}
	case lifecycle.InProgress:
		// The purchase order told the supplier the date; the wait begins
		// when the date has passed without a delivery.
		due := m.requestedDate()
		accepted, n, ok := m.applied(lifecycle.Accept)
		if m.Supplier == nil || m.DeliveryNote != nil || due.IsZero() || !ok {
			return nil
		}
		since := due.AddDate(0, 0, 1)
		if accepted.After(since) {
			since = accepted
		}
		w := s.newWait("delivery", n, "deliver the order, requested for "+m.In.Delivery.RequestedDate+", and record it", supplier, purchasing, since)
		w.Told = true
		return []Wait{w}
	case lifecycle.Completed:
		switch {
		case m.Return == nil:
		case m.Return.Decision == "":
			if at, n, ok := m.applied(lifecycle.RequestReturn); ok {
				return []Wait{s.newWait("return_decision", n, "approve or reject the return request", purchasing, staff, at)}
			}
		case m.Return.Decision == "approved" && m.Return.Resalable == nil && m.Supplier != nil:
			if at, n, ok := m.applied(lifecycle.ApproveReturn); ok {
				// The supplier's return_approved email told it.
				w := s.newWait("return_inspection", n, "inspect the returned goods and confirm or reject them as resalable", supplier, purchasing, at)
				w.Told = true
				return []Wait{w}
			}
		}
	}
	return nil
}

// waitContext is what the wait emails say of the order; a credit request
// expires with the payment window.
func (m *marketplace) waitContext() waitContext {
	return waitContext{title: m.title(), loc: m.location(), expiry: func(w Wait) time.Time {
		if m.Status == lifecycle.AwaitingCredit {
			return m.paymentDue()
		}
		return time.Time{}
	}}
}

// Parties and guards.

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

// Views, emails, documents.

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

func (m *marketplace) snapshot() store.Order {
	o := m.baseSnapshot(m.title(), m.Totals.Gross, m.deadlines())
	if m.Supplier != nil {
		o.SupplierID = m.Supplier.ID
	}
	view, _ := json.Marshal(m.view(Party{Principal: systemActor}))
	o.View = view
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

func itemLines(items []Item) []money.Line {
	lines := make([]money.Line, len(items))
	for i, it := range items {
		lines[i] = money.Line{Description: it.Description, Quantity: it.Quantity, UnitPrice: it.UnitPrice, VATRate: it.VATRate}
	}
	return lines
}

func (m *marketplace) purchaseOrder(docID string, now time.Time) activities.RenderDocumentInput {
	lines, _ := m.supplierLines()
	return activities.RenderDocumentInput{
		ID: docID, OrderID: m.ID, Filename: "purchase-order-" + m.ID + ".pdf",
		Document: pdf.Document{
			Kind: pdf.PurchaseOrder, Number: "PO-" + m.ID, Reference: m.ID, IssueDate: now.In(m.location()),
			Seller: pdf.Party{Name: m.Supplier.Name, Email: m.Supplier.Email},
			Buyer:  pdf.Party{Name: "orderflow marketplace", Address: []string{"Purchasing"}},
			Lines:  lines, Currency: "EUR",
			Delivery: &pdf.Delivery{Address: m.In.Delivery.Address, Region: m.In.Delivery.Region, RequestedDate: m.requestedDate()},
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

// EmailLine is one line of an email's order summary: Amount excl. VAT,
// AmountInclVAT with the VAT at the line's rate (the document's VAT is
// computed per rate on the total, so the lines incl. VAT may add up to a
// cent more or less than the total).
type EmailLine struct{ Description, Quantity, Amount, AmountInclVAT string }

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

func emailLines(lines []money.Line) []EmailLine {
	out := make([]EmailLine, len(lines))
	for i, l := range lines {
		net, _ := money.LineNet(l)
		vat, _ := money.VATOn(net, l.VATRate)
		out[i] = EmailLine{Description: l.Description, Quantity: l.Quantity.String(),
			Amount: money.Format(net, "EUR"), AmountInclVAT: money.Format(net+vat, "EUR")}
	}
	return out
}

func (m *marketplace) customerName() string {
	if m.In.CustomerName != "" {
		return m.In.CustomerName
	}
	return m.In.CustomerEmail
}

func (m *marketplace) emailCustomer(purpose string, data OrderEmail) {
	m.email(purpose, email.Address{Name: m.In.CustomerName, Email: m.In.CustomerEmail}, data)
}

func (m *marketplace) emailSupplier(purpose string, data OrderEmail) {
	data.Recipient = m.Supplier.Name
	m.email(purpose, supplierAddress(*m.Supplier), data)
}

func (m *marketplace) emailTo(purpose string, to email.Address, data OrderEmail, attach ...string) {
	data.Recipient = to.Name
	m.email(purpose, to, data, attach...)
}

func (m *marketplace) location() *time.Location { return zone(m.In.Settings.TimeZone) }

func (m *marketplace) localTime(t time.Time) string { return localTime(t, m.location()) }

func (m *marketplace) requestedDate() time.Time {
	d, err := time.ParseInLocation("2006-01-02", m.In.Delivery.RequestedDate, m.location())
	if err != nil {
		return time.Time{}
	}
	return d
}

func supplierAddress(s activities.SupplierRef) email.Address {
	return email.Address{Name: s.Name, Email: s.Email}
}

package workflows

import (
	"go.temporal.io/sdk/workflow"

	"github.com/orderflow/orderflow/activities"
	"github.com/orderflow/orderflow/internal/money"
	"github.com/orderflow/orderflow/lifecycle"
)

// Marketplace order: the customer's payment, from the pay link to its
// settlement, refund, or the credit note of a credit order's return.

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
		if err := m.activity(ctx, acts.CreatePaymentLink, in, &link); err != nil {
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
			if err := m.activity(ctx, acts.CancelPaymentLink, id, &paid); err != nil {
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
		if err := m.activity(ctx, acts.RefundPayment, in, nil); err != nil {
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
		Document: activities.Document{
			Kind: activities.CreditNoteDocument, CreditsOrder: true, Reference: m.ID, IssueDate: now,
			Seller: activities.Party{Name: "orderflow marketplace"},
			Buyer:  activities.Party{Name: m.customerName(), Email: m.In.CustomerEmail},
			Lines:  lines, Currency: "EUR",
			Notes: []string{"The goods were returned in resalable condition: " + m.Return.Reason},
		},
	}
	m.enqueue("credit note", false, func(ctx workflow.Context) error {
		var ref activities.DocumentRef
		if err := m.activity(ctx, acts.IssueOrderCreditNote, in, &ref); err != nil {
			return err
		}
		m.CreditNote = &ref
		m.Documents = append(m.Documents, ref)
		m.version++
		data := m.emailData()
		data.Reason, data.Refund = m.Return.Reason, money.Format(m.Totals.Gross, "EUR")
		m.email("credit_note_issued", activities.Address{Name: m.In.CustomerName, Email: m.In.CustomerEmail}, data, ref.ID)
		return nil
	})
}

func (m *marketplace) refundDue() string {
	if m.Payment == nil || !m.Payment.Paid {
		return ""
	}
	return money.Format(m.Payment.Amount, "EUR")
}

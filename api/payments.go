package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/gin-gonic/gin"
	"go.temporal.io/sdk/temporal"

	"github.com/orderflow/orderflow/internal/auth"
	"github.com/orderflow/orderflow/internal/money"
	"github.com/orderflow/orderflow/internal/payments"
	"github.com/orderflow/orderflow/internal/store"
	"github.com/orderflow/orderflow/internal/webpage"
	"github.com/orderflow/orderflow/lifecycle"
	"github.com/orderflow/orderflow/workflows"
)

// The sandbox payment provider's pages and the webhook every provider calls.

// paymentsActor is who confirms payments: the provider, through the webhook.
var paymentsActor = auth.Principal{Role: lifecycle.System, Subject: "payments-webhook"}

func registerPaymentRoutes(r *gin.Engine, d Deps) {
	pay := paymentPages{d}
	if d.Payments != nil {
		r.GET("/pay/:token", pay.show)
		r.POST("/pay/:token", pay.pay)
	}
	r.POST("/v1/webhooks/payments", pay.webhook)
}

type paymentPages struct{ Deps }

func (p paymentPages) show(c *gin.Context) {
	v, err := p.Payments.View(c.Request.Context(), c.Param("token"))
	if err != nil {
		p.problemPage(c, err)
		return
	}
	render := payments.RenderPayPage
	if v.Paid() {
		render = payments.RenderPaidPage
	}
	linkPage(c, http.StatusOK, func(w *bytes.Buffer) error { return render(w, v) })
}

// pay takes the payment, then delivers the provider's webhook at once so the
// order moves while the customer watches; what cannot be delivered now is
// redelivered by the provider's loop.
func (p paymentPages) pay(c *gin.Context) {
	if _, err := p.Payments.Pay(c.Request.Context(), c.Param("token")); err != nil {
		p.problemPage(c, err)
		return
	}
	if p.Deliverer != nil {
		if _, err := p.Deliverer.DeliverPending(c.Request.Context()); err != nil {
			_ = c.Error(err)
		}
	}
	// Post/redirect/get: reloading the result never posts the payment again.
	webpage.ProtectLink(c.Writer.Header())
	c.Redirect(http.StatusSeeOther, "/pay/"+c.Param("token"))
}

func (p paymentPages) problemPage(c *gin.Context, err error) {
	status, title, msg := payments.DescribeLinkError(err)
	if status >= 500 {
		_ = c.Error(err)
	}
	linkPage(c, status, func(w *bytes.Buffer) error { return payments.RenderProblemPage(w, title, msg) })
}

// webhook receives signed payment events. A payment confirms the order (the
// event id is the update's request id, so a redelivered event is applied
// once); refunds are already known to the order, which made them.
func (p paymentPages) webhook(c *gin.Context) {
	body, ok := readBody(c)
	if !ok {
		return
	}
	if err := payments.Verify(p.WebhookSecret, c.GetHeader(payments.SignatureHeader), body, time.Now(), payments.DefaultTolerance); err != nil {
		status := http.StatusUnauthorized
		if errors.Is(err, payments.ErrSignatureMissing) || errors.Is(err, payments.ErrSignatureMalformed) {
			status = http.StatusBadRequest
		}
		abortWith(c, status, "The webhook signature was refused: "+err.Error()+".")
		return
	}
	ev, err := payments.ParseEvent(body)
	if err != nil {
		status := http.StatusUnprocessableEntity
		if errors.Is(err, payments.ErrEventMalformed) {
			status = http.StatusBadRequest
		}
		abortWith(c, status, "The webhook event cannot be used: "+err.Error()+".")
		return
	}
	if ev.Type != payments.EventPaymentSucceeded {
		c.JSON(http.StatusOK, gin.H{"status": "acknowledged", "event": ev.ID})
		return
	}
	payload, _ := json.Marshal(workflows.PaymentConfirmedPayload{PaymentID: ev.Data.PaymentID, Amount: ev.Data.Amount})
	o := orders{p.Deps}
	_, err = o.apply(c.Request.Context(), ev.Data.OrderID, lifecycle.PaymentConfirmed,
		workflows.ActionRequest{Actor: paymentsActor, RequestID: ev.ID, Payload: payload})
	switch {
	case err == nil:
		c.JSON(http.StatusOK, gin.H{"status": "applied", "event": ev.ID})
	case orderWillNotTakeIt(err):
		// The order no longer awaits a payment: a redelivery of the one it
		// took, or a late payment for an order that ended (latePayment).
		p.latePayment(c, ev, err)
	default:
		o.abortForUpdate(c, err)
	}
}

// orderWillNotTakeIt: the order exists but refuses a payment now, or has ended.
func orderWillNotTakeIt(err error) bool {
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) {
		return appErr.Type() == lifecycle.NotAllowedNow
	}
	return workflowClosed(err)
}

// latePayment answers a payment the order refused or could not take (its
// workflow has closed). No payment is kept for an order that ended without
// it: when the order was cancelled or expired, or its workflow has closed
// without this payment as its own, what the provider holds of it is
// refunded here, under the key the workflow's own refund uses (order id +
// "/refund", refundKey), so the customer is refunded once whichever of the
// two comes first, however often the event is delivered. The refund is
// recorded on the order's timeline in the read model (the workflow can no
// longer record it). A redelivery of the payment the order took is only
// acknowledged; so is a payment for a running order that will settle it
// itself (its cancellation or expiry cancels the link and refunds a paid one).
func (p paymentPages) latePayment(c *gin.Context, ev payments.Event, cause error) {
	ctx := c.Request.Context()
	id := ev.Data.OrderID
	ignore := func(reason string) {
		p.Logger.Warn("payment for an order that no longer awaits it", "order_id", id, "event", ev.ID, "reason", reason, "error", cause)
		c.JSON(http.StatusOK, gin.H{"status": "ignored", "event": ev.ID, "reason": reason})
	}
	closed := !workflowRefused(cause)
	view, err := orders{p.Deps}.query(ctx, id, paymentsActor)
	if err != nil {
		_ = c.Error(fmt.Errorf("late payment %s for order %s: read the order: %w", ev.Data.PaymentID, id, err))
		abortWith(c, http.StatusServiceUnavailable, "The order could not be read to settle a late payment; retry.")
		return
	}
	ended := view.Status == lifecycle.Cancelled || view.Status == lifecycle.Expired
	own := view.Marketplace != nil && view.Marketplace.Payment != nil && view.Marketplace.Payment.ID == ev.Data.PaymentID && view.Marketplace.Payment.Paid
	switch {
	case !ended && own:
		ignore("the order took this payment already")
		return
	case !ended && !closed:
		ignore("the order no longer awaits a payment")
		return
	case p.Payments == nil:
		// A real provider: this API has no refund access (Deps.Payments).
		p.Logger.Error("a late payment needs a refund in the provider's dashboard", "order_id", id, "payment_id", ev.Data.PaymentID, "event", ev.ID)
		c.JSON(http.StatusOK, gin.H{"status": "ignored", "event": ev.ID, "reason": "refund it in the provider's dashboard"})
		return
	}
	refund, made, err := p.refundLate(ctx, id, ev.Data.PaymentID, view.Status)
	switch {
	case errors.Is(err, payments.ErrInvalid), errors.Is(err, payments.ErrNotPaid), errors.Is(err, payments.ErrNotFound):
		_ = c.Error(err)
		ignore("the payment cannot be refunded: " + err.Error())
		return
	case err != nil:
		// 5xx: the provider delivers the event again, and the refund is
		// made once however often it does.
		_ = c.Error(err)
		abortWith(c, http.StatusServiceUnavailable, "The late payment could not be refunded yet; retry.")
		return
	}
	// A running order writes its own timeline (its refund of the same key
	// finds this one); only a closed one needs the line written for it.
	if made && closed && p.Store != nil {
		if err := p.recordLateRefund(ctx, id, refund); err != nil {
			_ = c.Error(err) // refunded; only the timeline line is missing
		}
	}
	p.Logger.Warn("late payment refunded", "order_id", id, "status", view.Status, "payment_id", ev.Data.PaymentID, "refund_id", refund.RefundID, "event", ev.ID)
	c.JSON(http.StatusOK, gin.H{"status": "refunded", "event": ev.ID, "refund": refund.RefundID, "amount": refund.Amount})
}

// refundLate refunds what the provider holds of the payment; made is false
// when nothing was held any more (refunded before: by the order, or by an
// earlier delivery of this event), and refund is then the order's refund.
func (p paymentPages) refundLate(ctx context.Context, orderID, paymentID string, status lifecycle.Status) (payments.Refund, bool, error) {
	pays, err := p.Payments.PaymentsOfOrder(ctx, orderID)
	if err != nil {
		return payments.Refund{}, false, err
	}
	i := slices.IndexFunc(pays, func(v payments.PaymentView) bool { return v.PaymentID == paymentID })
	if i < 0 {
		return payments.Refund{}, false, fmt.Errorf("%w: payment %s is not one of order %s", payments.ErrNotFound, paymentID, orderID)
	}
	key := refundKey(orderID, i, paymentID)
	if held := pays[i].Held(); held > 0 {
		r, err := p.Payments.Refund(ctx, payments.RefundRequest{
			Key: key, OrderID: orderID, PaymentID: paymentID, Amount: held,
			Reason: "late payment: the order is " + string(status) + " and took no payment",
		})
		return r, err == nil, err
	}
	r, err := p.Payments.RefundOfKey(ctx, key)
	return r, false, err
}

// LatePaymentRefunded is the timeline action of a late payment refunded by
// the webhook, written to the read model after the order's workflow ended.
const LatePaymentRefunded = "late_payment_refunded"

// recordLateRefund writes the refund on the order's timeline in the read
// model. The entry is keyed by the refund (its instant), so a repeat writes
// nothing new.
func (p paymentPages) recordLateRefund(ctx context.Context, orderID string, r payments.Refund) error {
	o, err := p.Store.GetOrder(ctx, orderID)
	if err != nil {
		return fmt.Errorf("record late refund %s of order %s: %w", r.RefundID, orderID, err)
	}
	entries, err := p.Store.Timeline(ctx, orderID)
	if err != nil {
		return fmt.Errorf("record late refund %s of order %s: %w", r.RefundID, orderID, err)
	}
	reason := "refund " + r.RefundID + " of " + money.Format(r.Amount, "EUR") + " for payment " + r.PaymentID
	for _, e := range entries {
		if e.Action == LatePaymentRefunded && e.Reason == reason {
			return nil
		}
	}
	o.Seq++
	o.UpdatedAt = r.At
	err = p.Store.RecordTransition(ctx, o, store.TimelineEntry{
		OrderID: orderID, Seq: o.Seq, At: r.At, From: o.Status, To: o.Status, Action: LatePaymentRefunded,
		ActorRole: string(paymentsActor.Role), ActorID: paymentsActor.Subject, Reason: reason, Outcome: store.OutcomeApplied,
	})
	if err != nil {
		return fmt.Errorf("record late refund %s of order %s: %w", r.RefundID, orderID, err)
	}
	return nil
}

// workflowRefused: the workflow answered (it runs) and refused.
func workflowRefused(err error) bool {
	var appErr *temporal.ApplicationError
	return errors.As(err, &appErr)
}

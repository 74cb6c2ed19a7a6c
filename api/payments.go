package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/temporal"

	"github.com/orderflow/orderflow/internal/auth"
	"github.com/orderflow/orderflow/internal/payments"
	"github.com/orderflow/orderflow/workflows"
)

// The sandbox payment provider's pages and the webhook every provider calls.

// paymentsActor is who confirms payments: the provider, through the webhook.
var paymentsActor = auth.Principal{Role: auth.System, Subject: "payments-webhook"}

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
	p.page(c, http.StatusOK, func(w *bytes.Buffer) error { return render(w, v) })
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
	protectLinkPage(c.Writer.Header())
	c.Redirect(http.StatusSeeOther, "/pay/"+c.Param("token"))
}

func (p paymentPages) problemPage(c *gin.Context, err error) {
	status, title, msg := payments.DescribeLinkError(err)
	if status >= 500 {
		_ = c.Error(err)
	}
	p.page(c, status, func(w *bytes.Buffer) error { return payments.RenderProblemPage(w, title, msg) })
}

func (p paymentPages) page(c *gin.Context, status int, render func(*bytes.Buffer) error) {
	var buf bytes.Buffer
	if err := render(&buf); err != nil {
		_ = c.Error(err)
		abortWith(c, http.StatusInternalServerError, "The page could not be rendered; report request id "+requestID(c)+".")
		return
	}
	protectLinkPage(c.Writer.Header()) // the URL is the payment link itself
	c.Data(status, "text/html; charset=utf-8", buf.Bytes())
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
	_, err = o.apply(c.Request.Context(), ev.Data.OrderID, workflows.PaymentConfirmed,
		workflows.ActionRequest{Actor: paymentsActor, RequestID: ev.ID, Payload: payload})
	switch {
	case err == nil:
		c.JSON(http.StatusOK, gin.H{"status": "applied", "event": ev.ID})
	case orderWillNotTakeIt(err):
		// The order was cancelled or expired before the payment arrived. A
		// 4xx would make the provider retry and then give up; the order's
		// own cancellation found the payment (CancelLink) and refunds it.
		p.Logger.Warn("payment for an order that no longer awaits it", "order_id", ev.Data.OrderID, "event", ev.ID, "error", err)
		c.JSON(http.StatusOK, gin.H{"status": "ignored", "event": ev.ID, "reason": "the order no longer awaits a payment"})
	default:
		o.abortForUpdate(c, err)
	}
}

// orderWillNotTakeIt: the order exists but refuses a payment now, or has ended.
func orderWillNotTakeIt(err error) bool {
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) {
		return appErr.Type() == workflows.NotAllowedNow
	}
	var notFound *serviceerror.NotFound
	return errors.As(err, &notFound) && strings.Contains(err.Error(), "completed")
}

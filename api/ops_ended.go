package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/orderflow/orderflow/internal/auth"
	"github.com/orderflow/orderflow/internal/money"
	"github.com/orderflow/orderflow/internal/payments"
	"github.com/orderflow/orderflow/internal/store"
	"github.com/orderflow/orderflow/lifecycle"
)

// Orders whose workflow ended abnormally: terminated (by hand, or by
// Temporal when the history grew past its limit), failed or timed out. The
// workflow settles nothing any more: the read model keeps its last status
// and the payment provider keeps the customer's money. The attention list
// shows each with its money state until ops refund what the provider holds
// (POST /v1/ops/orders/{id}/refund) and close it (POST
// /v1/ops/orders/{id}/close). docs/runbook.md, section 8.

// Actions ops may take on an ended order.
const (
	endedRefund lifecycle.Action = "refund"
	endedClose  lifecycle.Action = "close"
)

// maxOpsReason bounds the reason ops give.
const maxOpsReason = 500

// endedOrder is what an attention-list line adds for an ended order.
type endedOrder struct {
	// Ended is "terminated", "failed" or "timed_out"; "" for a parked order.
	Ended   string     `json:"ended,omitempty"`
	EndedAt *time.Time `json:"ended_at,omitempty"`
	// EndedReason is the termination's reason or the failure's message.
	EndedReason string      `json:"ended_reason,omitempty"`
	Money       *endedMoney `json:"money,omitempty"`
}

// endedMoney is what the order's customer paid and what was paid back
// (marketplace orders, from the payment provider), and what was invoiced
// and credited (member orders, from the read model).
type endedMoney struct {
	Currency string `json:"currency"`
	// Held is what the provider holds for the order: paid and not refunded.
	// POST /v1/ops/orders/{id}/refund pays it back.
	Held     money.Amount   `json:"held"`
	Payments []endedPayment `json:"payments"`
	Invoices []endedInvoice `json:"invoices"`
}

type endedPayment struct {
	ID     string `json:"id"`
	Status string `json:"status"` // created, paid, cancelled
	Paid   bool   `json:"paid"`
	// Open: the link can still be paid; closing the order cancels it.
	Open     bool         `json:"open"`
	Amount   money.Amount `json:"amount"`
	Refunded money.Amount `json:"refunded"`
	Held     money.Amount `json:"held"`
}

type endedInvoice struct {
	ID         string       `json:"id"`
	Number     string       `json:"number"`
	Kind       string       `json:"kind"` // invoice, credit_note
	Gross      money.Amount `json:"gross"`
	Paid       bool         `json:"paid"`
	CreditedBy string       `json:"credited_by,omitempty"` // the credit note crediting this invoice
	Credits    string       `json:"credits,omitempty"`     // the invoice this credit note credits
}

// endedState names an abnormal end; "" for any other execution status.
func endedState(s enumspb.WorkflowExecutionStatus) string {
	switch s {
	case enumspb.WORKFLOW_EXECUTION_STATUS_TERMINATED:
		return store.EndedTerminated
	case enumspb.WORKFLOW_EXECUTION_STATUS_FAILED:
		return store.EndedFailed
	case enumspb.WORKFLOW_EXECUTION_STATUS_TIMED_OUT:
		return store.EndedTimedOut
	}
	return ""
}

func timeOf(ts *timestamppb.Timestamp) time.Time {
	if ts == nil {
		return time.Time{}
	}
	return ts.AsTime().UTC()
}

// withoutClosed leaves out of a page of the attention list the ended runs
// ops closed. Without a read model (unit tests) nothing is closed.
func (h opsRoutes) withoutClosed(ctx context.Context, page []*workflowExecution) ([]*workflowExecution, error) {
	var runs []store.EndedRun
	for _, e := range page {
		if e.ended != "" {
			runs = append(runs, store.EndedRun{OrderID: e.id, RunID: e.runID})
		}
	}
	if len(runs) == 0 || h.Store == nil {
		return page, nil
	}
	closed, err := h.Store.ClosedEndedRuns(ctx, runs)
	if err != nil {
		return nil, err
	}
	kept := page[:0]
	for _, e := range page {
		if e.ended == "" || !closed[store.EndedRun{OrderID: e.id, RunID: e.runID}] {
			kept = append(kept, e)
		}
	}
	return kept, nil
}

// latestRun is the order's current workflow run.
type latestRun struct {
	runID  string
	status enumspb.WorkflowExecutionStatus
	ended  string // "" unless it ended abnormally
}

func (h opsRoutes) latestRun(ctx context.Context, id string) (latestRun, error) {
	resp, err := h.Temporal.DescribeWorkflowExecution(ctx, id, "")
	if err != nil {
		return latestRun{}, err
	}
	info := resp.GetWorkflowExecutionInfo()
	return latestRun{runID: info.GetExecution().GetRunId(), status: info.GetStatus(), ended: endedState(info.GetStatus())}, nil
}

// describeEnded completes the line of an ended order; nil when the run
// listed is not the order's current one (a reset's old run: the new run
// carries the order) or the order is gone (past the namespace's retention).
func (h opsRoutes) describeEnded(ctx context.Context, e *workflowExecution) *parkedOrder {
	out := &parkedOrder{ID: e.id, Flow: e.flow, Status: lifecycle.Status(e.status), AllowedActions: []lifecycle.Action{}}
	out.Ended = e.ended
	if !e.closedAt.IsZero() {
		at := e.closedAt
		out.EndedAt = &at
	}
	run, err := h.latestRun(ctx, e.id)
	var notFound *serviceerror.NotFound
	switch {
	case errors.As(err, &notFound):
		return nil
	case err != nil:
		out.Error = "Temporal could not describe the order's workflow: " + err.Error()
		return out
	case run.runID != e.runID:
		return nil
	}
	out.EndedReason = h.endReason(ctx, e.id, e.runID)
	if h.Store != nil {
		// The read model has the last status the workflow recorded; the
		// search attributes stand in when it has none.
		if o, err := h.Store.GetOrder(ctx, e.id); err == nil {
			out.Flow, out.Status = o.Flow, lifecycle.Status(o.Status)
		}
	}
	m, err := h.moneyOf(ctx, e.id)
	if err != nil {
		out.Error = "its money state could not be read: " + err.Error()
		return out
	}
	out.Money = &m
	out.AllowedActions = []lifecycle.Action{endedClose}
	if m.Held > 0 {
		out.AllowedActions = []lifecycle.Action{endedRefund}
	}
	return out
}

// endReason reads the run's close event: why it was terminated, or its
// failure. Best effort: "" when it cannot be read.
func (h opsRoutes) endReason(ctx context.Context, id, runID string) string {
	it := h.Temporal.GetWorkflowHistory(ctx, id, runID, false, enumspb.HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT)
	if it == nil || !it.HasNext() {
		return ""
	}
	ev, err := it.Next()
	if err != nil {
		return ""
	}
	switch {
	case ev.GetWorkflowExecutionTerminatedEventAttributes() != nil:
		return ev.GetWorkflowExecutionTerminatedEventAttributes().GetReason()
	case ev.GetWorkflowExecutionFailedEventAttributes() != nil:
		return ev.GetWorkflowExecutionFailedEventAttributes().GetFailure().GetMessage()
	case ev.GetWorkflowExecutionTimedOutEventAttributes() != nil:
		return "the workflow's execution timeout passed"
	}
	return ""
}

// moneyOf reads the order's money: its payments at the provider, its
// invoices and credit notes in the read model.
func (h opsRoutes) moneyOf(ctx context.Context, id string) (endedMoney, error) {
	m := endedMoney{Currency: "EUR", Payments: []endedPayment{}, Invoices: []endedInvoice{}}
	if h.Payments == nil {
		return m, errors.New("this API has no access to the payment provider's books (Deps.Payments is nil)")
	}
	pays, err := h.Payments.PaymentsOfOrder(ctx, id)
	if err != nil {
		return m, err
	}
	now := time.Now()
	for _, p := range pays {
		m.Currency = p.Currency
		m.Held += p.Held()
		m.Payments = append(m.Payments, endedPayment{
			ID: p.PaymentID, Status: p.Status, Paid: p.Paid(), Open: p.Open(now),
			Amount: p.Amount, Refunded: p.Refunded, Held: p.Held(),
		})
	}
	if h.Store == nil {
		return m, nil
	}
	page, err := h.Store.ListInvoices(ctx, store.InvoiceFilter{OrderID: id, Limit: store.MaxLimit})
	if err != nil {
		return m, err
	}
	for _, inv := range page.Invoices {
		if inv.Currency != "" {
			m.Currency = inv.Currency
		}
		m.Invoices = append(m.Invoices, endedInvoice{
			ID: inv.ID, Number: inv.NumberText, Kind: inv.Kind, Gross: money.Amount(inv.GrossCents),
			Paid: inv.Paid, CreditedBy: inv.CreditedByID, Credits: inv.CreditedInvoiceID,
		})
	}
	return m, nil
}

// endedRunOf finds the order's current run and checks that it ended
// abnormally; otherwise it answers the request and ok is false.
func (h opsRoutes) endedRunOf(c *gin.Context, id string) (run latestRun, ok bool) {
	run, err := h.latestRun(c.Request.Context(), id)
	var notFound *serviceerror.NotFound
	switch {
	case errors.As(err, &notFound):
		abortWith(c, http.StatusNotFound, "There is no such order (or its workflow is past Temporal's retention).")
		return latestRun{}, false
	case err != nil:
		_ = c.Error(err)
		abortWith(c, http.StatusServiceUnavailable, "Temporal did not answer; retry. If it persists, check /readyz.")
		return latestRun{}, false
	case run.ended != "":
		return run, true
	case run.status == enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING:
		abortWith(c, http.StatusConflict, "The order's workflow is running: use the order's own actions (GET /v1/orders/"+id+
			" lists them; `retry` or `skip` when it is parked). Only an order whose workflow ended abnormally (terminated, failed, timed out) is refunded or closed here.")
	default:
		abortWith(c, http.StatusConflict, "The order's workflow ended normally ("+strings.ToLower(strings.TrimPrefix(run.status.String(), "WORKFLOW_EXECUTION_STATUS_"))+
			") and settled its own payment: use the order's own actions (GET /v1/orders/"+id+"). Only an order whose workflow ended abnormally (terminated, failed, timed out) is refunded or closed here.")
	}
	return latestRun{}, false
}

// opsReason reads the body {"reason": "..."}; an empty body is no reason.
// ok is false when the request was answered (bad body, or a reason
// required and missing).
func opsReason(c *gin.Context, required bool) (reason string, ok bool) {
	var req struct {
		Reason string `json:"reason"`
	}
	if !readJSON(c, &req, true, `{"reason": "..."}`) {
		return "", false
	}
	reason = strings.TrimSpace(req.Reason)
	switch {
	case reason == "" && required:
		abort(c, invalid("reason", "is required: say why the order is closed (it is kept with the close)"))
		return "", false
	case utf8.RuneCountInString(reason) > maxOpsReason:
		abort(c, invalid("reason", fmt.Sprintf("must be at most %d characters", maxOpsReason)))
		return "", false
	case badText(reason, 4*maxOpsReason) != "":
		abort(c, invalid("reason", badText(reason, 4*maxOpsReason)))
		return "", false
	}
	return reason, true
}

// refundKey is the provider's idempotency key for refunding the order's
// i-th payment. The first is the order's own payment (key order id +
// "/payment"), which the workflow refunds with the key order id + "/refund"
// (workflows/marketplace.go, refund): the same key here, so the customer is
// refunded once even if the workflow's refund was under way when it ended.
func refundKey(orderID string, i int, paymentID string) string {
	if i == 0 {
		return orderID + "/refund"
	}
	return orderID + "/refund/" + paymentID
}

type refundView struct {
	ID        string       `json:"id"`
	PaymentID string       `json:"payment_id"`
	Amount    money.Amount `json:"amount"`
	At        time.Time    `json:"at"`
}

// refundEnded pays back all the provider holds for an order whose workflow
// ended abnormally. Safe to repeat: each payment is refunded under a fixed
// key, and a repeat after the refund answers with it.
func (h opsRoutes) refundEnded(c *gin.Context) {
	p, _ := principalOf(c)
	id := c.Param("id")
	if !orderIDPattern.MatchString(id) {
		abortWith(c, http.StatusNotFound, "There is no such order: "+orderIDShape+".")
		return
	}
	reason, ok := opsReason(c, false)
	if !ok {
		return
	}
	run, ok := h.endedRunOf(c, id)
	if !ok {
		return
	}
	if h.Payments == nil {
		abortWith(c, http.StatusServiceUnavailable, "This API has no access to the payment provider's books; refund in the provider's dashboard.")
		return
	}
	ctx := c.Request.Context()
	pays, err := h.Payments.PaymentsOfOrder(ctx, id)
	if err != nil {
		_ = c.Error(err)
		abortWith(c, http.StatusServiceUnavailable, "The payment provider's books could not be read; retry.")
		return
	}
	why := fmt.Sprintf("ops refund: the order's workflow %s (by %s)", strings.ReplaceAll(run.ended, "_", " "), p.Subject)
	if reason != "" {
		why += ": " + reason
	}
	var made []payments.Refund
	for i, pay := range pays {
		held := pay.Held()
		if held <= 0 {
			continue
		}
		r, err := h.Payments.Refund(ctx, payments.RefundRequest{
			Key: refundKey(id, i, pay.PaymentID), OrderID: id, PaymentID: pay.PaymentID, Amount: held, Reason: why,
		})
		switch {
		case errors.Is(err, payments.ErrInvalid), errors.Is(err, payments.ErrNotPaid), errors.Is(err, payments.ErrRefundExceedsPayment):
			abortWith(c, http.StatusConflict, "The payment provider refused the refund of payment "+pay.PaymentID+": "+err.Error()+
				". GET /v1/ops/attention shows what it holds now; refund the rest in the provider's dashboard.")
			return
		case err != nil:
			_ = c.Error(err)
			abortWith(c, http.StatusServiceUnavailable, "The payment provider did not answer; retry (a refund is made once however often you retry).")
			return
		}
		made = append(made, r)
	}
	if len(made) == 0 {
		// Nothing held: a repeat of this refund (or the workflow refunded
		// before it ended) answers with the order's refund, if any.
		r, err := h.Payments.RefundOfKey(ctx, id+"/refund")
		switch {
		case errors.Is(err, payments.ErrNotFound):
			abortWith(c, http.StatusConflict, "The payment provider holds nothing for this order (no payment, or not paid): there is nothing to refund. Close it with POST /v1/ops/orders/"+id+"/close.")
			return
		case err != nil:
			_ = c.Error(err)
			abortWith(c, http.StatusServiceUnavailable, "The payment provider's books could not be read; retry.")
			return
		}
		made = append(made, r)
	} else if h.Store != nil {
		for _, r := range made {
			_, err := h.Store.RecordEndedAction(ctx, store.EndedAction{
				EndedRun: store.EndedRun{OrderID: id, RunID: run.runID}, Ended: run.ended, Action: store.EndedRefund,
				Ref: r.RefundID, ActorRole: string(p.Role), ActorID: p.Subject, Reason: reason, At: r.At,
			})
			if err != nil { // the refund is made; only its record for the audit is missing
				_ = c.Error(fmt.Errorf("record the ops refund %s of order %s: %w", r.RefundID, id, err))
			}
		}
	}
	out := gin.H{"order_id": id, "ended": run.ended, "refunds": refundViews(made)}
	if m, err := h.moneyOf(ctx, id); err == nil {
		out["money"] = m
	}
	c.JSON(http.StatusOK, out)
}

func refundViews(rs []payments.Refund) []refundView {
	out := make([]refundView, len(rs))
	for i, r := range rs {
		out[i] = refundView{ID: r.RefundID, PaymentID: r.PaymentID, Amount: r.Amount, At: r.At}
	}
	return out
}

// closeEnded marks an order whose workflow ended abnormally as dealt with,
// so that it leaves the attention list. It cancels the order's payment links
// that can still be paid, and refuses while the provider holds money.
func (h opsRoutes) closeEnded(c *gin.Context) {
	p, _ := principalOf(c)
	id := c.Param("id")
	if !orderIDPattern.MatchString(id) {
		abortWith(c, http.StatusNotFound, "There is no such order: "+orderIDShape+".")
		return
	}
	reason, ok := opsReason(c, true)
	if !ok {
		return
	}
	run, ok := h.endedRunOf(c, id)
	if !ok {
		return
	}
	if h.Store == nil || h.Payments == nil {
		abortWith(c, http.StatusServiceUnavailable, "This API has no access to the read model or the payment provider's books; an ended order cannot be closed here.")
		return
	}
	ctx := c.Request.Context()
	runKey := store.EndedRun{OrderID: id, RunID: run.runID}
	if closed, err := h.Store.EndedClosure(ctx, runKey); err == nil {
		h.answerClosed(c, closed)
		return
	} else if !errors.Is(err, store.ErrNotFound) {
		_ = c.Error(err)
		abortWith(c, http.StatusServiceUnavailable, "The read model could not be read; retry.")
		return
	}
	// A link of an ended order must not take money any more: nobody would
	// refund it.
	pays, err := h.Payments.PaymentsOfOrder(ctx, id)
	if err != nil {
		_ = c.Error(err)
		abortWith(c, http.StatusServiceUnavailable, "The payment provider's books could not be read; retry.")
		return
	}
	for _, pay := range pays {
		if pay.Status != payments.StatusCreated {
			continue
		}
		if err := h.Payments.CancelLink(ctx, pay.PaymentID); err != nil && !errors.Is(err, payments.ErrAlreadyPaid) {
			_ = c.Error(err)
			abortWith(c, http.StatusServiceUnavailable, "The payment link "+pay.PaymentID+" could not be cancelled; retry.")
			return
		}
	}
	m, err := h.moneyOf(ctx, id)
	if err != nil {
		_ = c.Error(err)
		abortWith(c, http.StatusServiceUnavailable, "The order's money state could not be read; retry.")
		return
	}
	if m.Held > 0 {
		pr := NewProblem(http.StatusConflict, fmt.Sprintf("The payment provider still holds %s of this order's money: refund it first with POST /v1/ops/orders/%s/refund, then close.", money.Format(m.Held, m.Currency), id))
		pr.AllowedActions = []string{string(endedRefund)}
		abort(c, pr)
		return
	}
	closed, err := h.Store.RecordEndedAction(ctx, store.EndedAction{
		EndedRun: runKey, Ended: run.ended, Action: store.EndedClose,
		ActorRole: string(p.Role), ActorID: p.Subject, Reason: reason, At: time.Now(),
	})
	if err != nil {
		_ = c.Error(err)
		abortWith(c, http.StatusServiceUnavailable, "The close could not be recorded; retry.")
		return
	}
	h.answerClosed(c, closed)
}

func (h opsRoutes) answerClosed(c *gin.Context, a store.EndedAction) {
	out := gin.H{
		"order_id": a.OrderID, "run_id": a.RunID, "ended": a.Ended, "closed_at": a.At,
		"closed_by": auth.Principal{Role: lifecycle.Role(a.ActorRole), Subject: a.ActorID}, "reason": a.Reason,
	}
	if m, err := h.moneyOf(c.Request.Context(), a.OrderID); err == nil {
		out["money"] = m
	}
	c.JSON(http.StatusOK, out)
}

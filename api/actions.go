package api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/orderflow/orderflow/lifecycle"
	"github.com/orderflow/orderflow/workflows"
)

// POST /v1/orders/{id}/actions/{action}: an action sent to the order's
// workflow as an update, and how its refusals become problems.

// act applies an action to an order as a workflow update.
// act applies an action. The common case costs one call to Temporal: the
// order's flow comes from the read model and the update answers with the
// order (actDirectly). Everything else reads the order first
// (actAfterReading): an order the read model does not have yet, an action the
// flow does not have or the role may never ask, a body that does not
// decode, ops actions, and the member actions whose dates the API checks
// against the order. So a caller who may not see the order learns nothing
// from a refusal: the workflow's validator refuses it as no such order.
func (o orders) act(c *gin.Context) {
	if !o.attachUpload(c) {
		return
	}
	if !o.actDirectly(c) {
		o.actAfterReading(c)
	}
}

// actDirectly applies the action without reading the order first, when it
// can; false: nothing was answered (the request's body is left to read).
func (o orders) actDirectly(c *gin.Context) bool {
	p, _ := principalOf(c)
	id, action := c.Param("id"), lifecycle.Action(c.Param("action"))
	ctx := c.Request.Context()
	if o.Store == nil { // the HTTP surface's own tests run without a read model
		return false
	}
	flowName, err := o.Store.OrderFlow(ctx, id)
	if err != nil {
		return false
	}
	table, _ := lifecycle.FlowNamed(flowName)
	if !slices.Contains(table.Actions(), action) || !table.MayAsk(action, p.Role) || checksMemberDates(flowName, action) {
		return false
	}
	body, ok := peekBody(c)
	if !ok {
		return false
	}
	payload, rid, err := splitRequestID(body)
	if err != nil {
		return false
	}
	if _, err := workflows.DecodePayload(workflows.PayloadsOf(flowName), action, payload); err != nil {
		return false
	}
	if rid == "" {
		rid = requestID(c)
	}
	view, err := o.applyAndView(ctx, id, action, workflows.ActionRequest{Actor: p, RequestID: rid, Payload: payload})
	if err != nil {
		o.abortForAction(c, err, func() workflows.OrderView {
			before, _ := o.query(ctx, id, p)
			return before
		})
		return true
	}
	answerOrder(c, http.StatusOK, view, nil)
	return true
}

// actAfterReading applies the action after reading the order: what the
// caller may do now names every refusal.
func (o orders) actAfterReading(c *gin.Context) {
	p, _ := principalOf(c)
	id, action := c.Param("id"), lifecycle.Action(c.Param("action"))
	view, err := o.query(c.Request.Context(), id, p)
	if err != nil {
		o.abortForUpdate(c, err)
		return
	}
	table, _ := lifecycle.FlowNamed(view.Flow)
	registry := workflows.PayloadsOf(view.Flow)
	ops := slices.Contains(lifecycle.OpsActions, action)
	if !slices.Contains(table.Actions(), action) && !ops {
		pr := NewProblem(http.StatusNotFound, fmt.Sprintf("%q is not an action of %s orders. Allowed now: %s.", action, view.Flow, listOrNone(view.AllowedActions)))
		pr.StatusNow, pr.AllowedActions = string(view.Status), actionNames(view.AllowedActions)
		abort(c, pr)
		return
	}
	if !ops && !table.MayAsk(action, p.Role) {
		pr := NewProblem(http.StatusForbidden, fmt.Sprintf("Your role %q may never %s a %s order. Allowed now: %s.", p.Role, action, view.Flow, listOrNone(view.AllowedActions)))
		pr.StatusNow, pr.AllowedActions = string(view.Status), actionNames(view.AllowedActions)
		abort(c, pr)
		return
	}
	body, ok := readBody(c)
	if !ok {
		return
	}
	payload, rid, err := splitRequestID(body)
	if err != nil {
		abort(c, bodyProblem(err, `{"request_id": "r-1", "reason": "..."}`))
		return
	}
	// A body that cannot be used is answered here, unless the action is not
	// allowed now: then the workflow says why (409, or 403 when the order's
	// part is someone else's) before anything about the body, which fixing
	// would not help.
	if _, err := workflows.DecodePayload(registry, action, payload); err != nil && slices.Contains(view.AllowedActions, action) {
		var pe *workflows.PayloadError
		if errors.As(err, &pe) {
			pr := NewProblem(http.StatusUnprocessableEntity, pe.Error()+". Fix the fields listed in errors.")
			pr.Errors = pe.Fields
			abort(c, pr)
			return
		}
	}
	if rid == "" {
		rid = requestID(c)
	}
	// Member dates (issue 12): refused or warned about here, where today's
	// date is known; a closed rejected order is duplicated from the read model.
	var warnings []Warning
	closedRejected := view.Flow == lifecycle.MemberFlow.Name && view.Closed && view.Status == lifecycle.Rejected
	if slices.Contains(view.AllowedActions, action) || (action == lifecycle.Duplicate && closedRejected) {
		var problem *Problem
		if problem, warnings = o.memberActionChecks(view, action, payload); problem != nil {
			abort(c, *problem)
			return
		}
	}
	if action == lifecycle.Duplicate && closedRejected {
		o.duplicateClosed(c, p, id, &view, payload, rid)
		return
	}
	before := view
	view, err = o.applyAndView(c.Request.Context(), id, action, workflows.ActionRequest{Actor: p, RequestID: rid, Payload: payload})
	if err != nil {
		o.abortForAction(c, err, func() workflows.OrderView { return before })
		return
	}
	if action == lifecycle.Duplicate && view.Member != nil && len(view.Member.Duplicates) > 0 {
		copyID := view.Member.Duplicates[len(view.Member.Duplicates)-1]
		o.waitStarted(c.Request.Context(), copyID)
		c.Header("Location", "/v1/orders/"+copyID)
	}
	answerOrder(c, http.StatusOK, view, warnings)
}

// copyStartWait bounds how long a duplicate's answer waits for its copy.
const copyStartWait = 10 * time.Second

// waitStarted waits until the order's workflow exists, for at most
// copyStartWait. The duplicate action is answered as it applies, and the
// order starts its copy just after, as a child workflow: without the wait a
// client following Location at once could find no order there.
func (o orders) waitStarted(ctx context.Context, id string) {
	ctx, cancel := context.WithTimeout(ctx, copyStartWait)
	defer cancel()
	for {
		_, err := o.Temporal.DescribeWorkflowExecution(ctx, id, "")
		var notFound *serviceerror.NotFound
		if !errors.As(err, &notFound) {
			return // started, or Temporal cannot say: answer as it stands
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(25 * time.Millisecond):
		}
	}
}

// abortForAction answers a refused action: every refusal says the order's
// status and what the caller may do now, from the view read before the
// action where the refusal itself does not (an order that has ended).
func (o orders) abortForAction(c *gin.Context, err error, before func() workflows.OrderView) {
	p := updateProblem(c, err)
	if (p.Status == http.StatusConflict || p.Status == http.StatusForbidden) && p.StatusNow == "" {
		v := before()
		p.StatusNow, p.AllowedActions = string(v.Status), actionNames(v.AllowedActions)
	}
	abort(c, p)
}

// apply sends an action to the order's workflow as an update and waits for
// its answer. The update id is the action, the caller and the request id, so
// a retried request is applied once and answered with the first result, and
// nobody else gets that result by sending the same request id (the workflow
// refuses a request id another caller used: RequestIDTaken).
func (o orders) apply(ctx context.Context, id string, action lifecycle.Action, req workflows.ActionRequest) (workflows.Answer, error) {
	var answer workflows.Answer
	handle, err := o.Temporal.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID:   id,
		UpdateID:     updateID(action, req),
		UpdateName:   string(action),
		Args:         []any{req},
		WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	if err == nil {
		err = handle.Get(ctx, &answer)
	}
	return answer, err
}

// applyAndView applies the action and answers the order as its actor sees
// it after.
func (o orders) applyAndView(ctx context.Context, id string, action lifecycle.Action, req workflows.ActionRequest) (workflows.OrderView, error) {
	answer, err := o.apply(ctx, id, action, req)
	if err != nil {
		return workflows.OrderView{}, err
	}
	return o.viewAfter(ctx, id, req.Actor, answer)
}

// updateID is the action, a digest of the caller and the request id.
func updateID(action lifecycle.Action, req workflows.ActionRequest) string {
	caller := sha256.Sum256([]byte(string(req.Actor.Role) + "\x00" + req.Actor.Subject))
	return string(action) + ":" + hex.EncodeToString(caller[:8]) + ":" + req.RequestID
}

// splitRequestID takes the optional request_id out of an action body; an
// empty body is no payload. The rest is the action's payload, which
// workflows.DecodePayload reads against the action's fields.
func splitRequestID(body []byte) (json.RawMessage, string, error) {
	// No body and a JSON null both mean an action without a payload, as
	// they always have (clients send null for "nothing").
	if string(bytes.Trim(body, " \t\r\n")) == "null" {
		return json.RawMessage(`{}`), "", nil
	}
	var fields map[string]json.RawMessage
	if err := workflows.DecodeJSON(body, &fields); err != nil {
		var je *workflows.JSONError
		if errors.As(err, &je) && je.Kind == workflows.JSONEmpty {
			return nil, "", nil
		}
		return nil, "", err
	}
	var rid string
	if raw, ok := fields["request_id"]; ok {
		if err := json.Unmarshal(raw, &rid); err != nil || !validRequestID.MatchString(rid) {
			return nil, "", &workflows.JSONError{Kind: workflows.JSONShape, Field: "request_id", Problem: "must be a string of 1 to 128 letters, digits or ._:-"}
		}
		delete(fields, "request_id")
	}
	payload, _ := json.Marshal(fields)
	return payload, rid, nil
}

// abortForUpdate turns what Temporal said into the HTTP answer.
func (o orders) abortForUpdate(c *gin.Context, err error) {
	abort(c, updateProblem(c, err))
}

// updateProblem is the answer to what Temporal said; what is not for
// callers is logged with the request instead.
func updateProblem(c *gin.Context, err error) Problem {
	var appErr *temporal.ApplicationError
	var notFound *serviceerror.NotFound
	switch {
	case errors.As(err, &appErr):
		var r lifecycle.Refusal
		_ = appErr.Details(&r)
		if !isRefusal(appErr.Type(), r) {
			_ = c.Error(err) // logged; never in the answer
		}
		return refusalProblem(appErr.Type(), appErr.Message(), r)
	case errors.As(err, &notFound):
		if workflowClosed(err) {
			return NewProblem(http.StatusConflict, "The order has ended; no more actions are possible. GET the order to see its final status.")
		}
		return NewProblem(http.StatusNotFound, "There is no such order, or it is not yours to see.")
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return NewProblem(http.StatusServiceUnavailable, "The order did not answer in time; retry with the same request_id.")
	default:
		_ = c.Error(err)
		return NewProblem(http.StatusServiceUnavailable, "Temporal did not answer; retry with the same request_id. If it persists, check /readyz.")
	}
}

// workflowClosed: Temporal answered that the order's workflow has ended,
// before the update reached it ("workflow execution already completed") or
// while it waited to be taken ("workflow update was aborted by closing
// workflow": a lean order ends within the workflow task that decided it, so
// an update racing the decision that ends it meets this one).
func workflowClosed(err error) bool {
	var notFound *serviceerror.NotFound
	if !errors.As(err, &notFound) {
		return false
	}
	msg := notFound.Error()
	return strings.Contains(msg, "completed") || strings.Contains(msg, "closing workflow")
}

// isRefusal tells a refusal of the order's workflow (an application error
// whose type is the refusal's code and whose details are the refusal) from
// any other error Temporal hands back, whose message is not for callers.
func isRefusal(code string, r lifecycle.Refusal) bool {
	return code != "" && r.Code == code
}

func refusalProblem(code, message string, r lifecycle.Refusal) Problem {
	status := map[string]int{
		workflows.NotVisible:     http.StatusNotFound,
		lifecycle.UnknownAction:  http.StatusNotFound,
		lifecycle.WrongRole:      http.StatusForbidden,
		lifecycle.NotYours:       http.StatusForbidden,
		lifecycle.NotAllowedNow:  http.StatusConflict,
		workflows.InvalidPayload: http.StatusUnprocessableEntity,
	}[code]
	if status == 0 {
		status = http.StatusConflict
		if !isRefusal(code, r) {
			// Not the workflow's refusal but Temporal's own text (an unknown
			// update with the list of known ones, a failed handler): never
			// shown to the caller.
			return NewProblem(status, "The order did not take this action. GET the order to see its status and what you may do now.")
		}
	}
	if code == workflows.NotVisible {
		return NewProblem(status, "There is no such order, or it is not yours to see.")
	}
	p := NewProblem(status, upperFirst(message)+". Allowed now: "+listOrNone(r.Allowed)+".")
	p.StatusNow, p.AllowedActions = string(r.Status), actionNames(r.Allowed)
	return p
}

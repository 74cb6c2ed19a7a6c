package api

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/converter"

	"github.com/orderflow/orderflow/internal/auth"
	"github.com/orderflow/orderflow/lifecycle"
	"github.com/orderflow/orderflow/workflows"
)

// The attention list: orders parked on a side effect that failed after its
// retries, waiting for ops to retry or skip it (POST
// /v1/orders/{id}/actions/retry|skip), and orders whose workflow ended
// abnormally (terminated, failed, timed out), which ops refund or close
// (POST /v1/ops/orders/{id}/refund|close, ops_ended.go). It is read from
// Temporal's visibility, not from the read model: the step that failed may be
// the read-model write itself, and then the read model does not know the
// order is parked; an ended workflow records nothing more at all.

const (
	// parkedQuery finds parked orders; closed workflows are never parked.
	parkedQuery = `NeedsAttention = true AND ExecutionStatus = "Running"`
	// endedQuery finds orders whose workflow ended abnormally (ops_ended.go);
	// a reset's old run is among them, and left out once described.
	endedQuery = `ExecutionStatus = "Terminated" OR ExecutionStatus = "Failed" OR ExecutionStatus = "TimedOut"`
	// attentionQuery lists both in one pass, so that limit and truncated
	// keep their meaning.
	attentionQuery = `(` + parkedQuery + `) OR ` + endedQuery
	// maxAttention bounds one call: each listed order costs a query.
	maxAttention = 200
	// attentionQueries is how many order queries run at once.
	attentionQueries = 4
	// attentionQueryTimeout bounds one order's query, so an order whose
	// worker is down cannot hold up the whole list.
	attentionQueryTimeout = 10 * time.Second
)

func registerOpsRoutes(v1 *gin.RouterGroup, d Deps) {
	h := opsRoutes{orders{d}}
	v1.GET("/ops/attention", requireRole(lifecycle.Ops), h.attention)
	v1.POST("/ops/orders/:id/refund", requireRole(lifecycle.Ops), h.refundEnded)
	v1.POST("/ops/orders/:id/close", requireRole(lifecycle.Ops), h.closeEnded)
	v1.PUT("/ops/people/:role/:subject", requireRole(lifecycle.Ops), h.rebindPerson)
}

type opsRoutes struct{ orders }

// parkedOrder is one line of the attention list: a parked order (Attention
// set) or one whose workflow ended abnormally (Ended set).
type parkedOrder struct {
	ID             string               `json:"id"`
	Flow           string               `json:"flow"`
	Status         lifecycle.Status     `json:"status"`
	Attention      *workflows.Attention `json:"attention"`
	AllowedActions []lifecycle.Action   `json:"allowed_actions"`
	// Error says why the order could not be asked for its view (its worker
	// is down, say); flow and status then come from its search attributes.
	// For an ended order: why its money state could not be read.
	Error string `json:"error,omitempty"`
	endedOrder
}

func (h opsRoutes) attention(c *gin.Context) {
	p, _ := principalOf(c)
	limit := maxAttention
	if s := c.Query("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > maxAttention {
			abort(c, invalid("limit", fmt.Sprintf("must be a whole number from 1 to %d", maxAttention)))
			return
		}
		limit = n
	}
	found, truncated, err := h.listParked(c.Request.Context(), limit)
	if err != nil {
		_ = c.Error(err)
		abortWith(c, http.StatusServiceUnavailable, "Temporal's visibility (or the read model) could not be read; check /readyz and retry. The Web UI lists the same orders with the filter `"+attentionQuery+"`.")
		return
	}
	out := h.describeAll(c.Request.Context(), found, p)
	c.JSON(http.StatusOK, gin.H{"orders": out, "truncated": truncated})
}

// listParked pages through visibility for at most limit parked or
// abnormally ended orders, leaving out the ended runs ops closed; truncated
// says there are more.
func (h opsRoutes) listParked(ctx context.Context, limit int) (found []*workflowExecution, truncated bool, err error) {
	var token []byte
	for {
		resp, err := h.Temporal.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
			PageSize: int32(min(limit+1, 100)), NextPageToken: token, Query: attentionQuery,
		})
		if err != nil {
			return nil, false, fmt.Errorf("list parked orders: %w", err)
		}
		page := make([]*workflowExecution, 0, len(resp.GetExecutions()))
		for _, e := range resp.GetExecutions() {
			page = append(page, &workflowExecution{
				id:       e.GetExecution().GetWorkflowId(),
				runID:    e.GetExecution().GetRunId(),
				flow:     keyword(e.GetSearchAttributes(), workflows.OrderFlow.GetName()),
				status:   keyword(e.GetSearchAttributes(), workflows.OrderStatus.GetName()),
				ended:    endedState(e.GetStatus()),
				closedAt: timeOf(e.GetCloseTime()),
			})
		}
		if page, err = h.withoutClosed(ctx, page); err != nil {
			return nil, false, err
		}
		found = append(found, page...)
		if len(found) > limit {
			return found[:limit], true, nil
		}
		token = resp.GetNextPageToken()
		if len(token) == 0 {
			return found, false, nil
		}
	}
}

// workflowExecution is what visibility says of a parked or ended order.
type workflowExecution struct {
	id, runID, flow, status string
	ended                   string // "" for a running (parked) order
	closedAt                time.Time
}

// keyword reads a keyword search attribute; "" when absent or not a string.
func keyword(attrs *commonpb.SearchAttributes, name string) string {
	payload, ok := attrs.GetIndexedFields()[name]
	if !ok {
		return ""
	}
	var s string
	if err := converter.GetDefaultDataConverter().FromPayload(payload, &s); err != nil {
		return ""
	}
	return s
}

// describeAll asks each order for its view, a few at a time, and sorts the
// list by how long each order has waited (longest first). An order that is
// no longer parked when asked (ops just decided, visibility lagged) is left out.
func (h opsRoutes) describeAll(ctx context.Context, found []*workflowExecution, ops auth.Principal) []parkedOrder {
	results := make([]*parkedOrder, len(found))
	slots := make(chan struct{}, attentionQueries)
	var wg sync.WaitGroup
	for i, e := range found {
		wg.Go(func() {
			slots <- struct{}{}
			defer func() { <-slots }()
			results[i] = h.describe(ctx, e, ops)
		})
	}
	wg.Wait()

	out := make([]parkedOrder, 0, len(results))
	for _, r := range results {
		if r != nil {
			out = append(out, *r)
		}
	}
	slices.SortFunc(out, func(a, b parkedOrder) int {
		sa, sb := a.since(), b.since()
		switch {
		case sa.IsZero() && sb.IsZero():
			return cmp.Compare(a.ID, b.ID)
		case sa.IsZero(): // unknown wait: after the known ones
			return 1
		case sb.IsZero():
			return -1
		}
		return cmp.Or(sa.Compare(sb), cmp.Compare(a.ID, b.ID))
	})
	return out
}

// since is when the order started to wait for ops: when it parked, or when
// its workflow ended; zero when unknown.
func (o parkedOrder) since() time.Time {
	switch {
	case o.Attention != nil:
		return o.Attention.Since
	case o.EndedAt != nil:
		return *o.EndedAt
	}
	return time.Time{}
}

// describe queries one order as the ops caller (describes an ended one);
// nil when it is not parked (any more).
func (h opsRoutes) describe(ctx context.Context, e *workflowExecution, ops auth.Principal) *parkedOrder {
	ctx, cancel := context.WithTimeout(ctx, attentionQueryTimeout)
	defer cancel()
	if e.ended != "" {
		return h.describeEnded(ctx, e)
	}
	view, err := h.query(ctx, e.id, ops)
	var notFound *serviceerror.NotFound
	switch {
	case errors.As(err, &notFound): // ended since visibility listed it
		return nil
	case err != nil:
		return &parkedOrder{
			ID: e.id, Flow: e.flow, Status: lifecycle.Status(e.status), AllowedActions: []lifecycle.Action{},
			Error: "the order did not answer its query (is its worker running?): " + err.Error(),
		}
	case view.Attention == nil:
		return nil
	}
	return &parkedOrder{ID: view.ID, Flow: view.Flow, Status: view.Status, Attention: view.Attention, AllowedActions: view.AllowedActions}
}

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
	"github.com/orderflow/orderflow/workflows"
)

// The attention list: orders parked on a side effect that failed after its
// retries, waiting for ops to retry or skip it (POST
// /v1/orders/{id}/actions/retry|skip). It is read from Temporal's visibility,
// not from the read model: the step that failed may be the read-model write
// itself, and then the read model does not know the order is parked.

const (
	// parkedQuery finds parked orders; closed workflows are never parked.
	parkedQuery = `NeedsAttention = true AND ExecutionStatus = "Running"`
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
	v1.GET("/ops/attention", requireRole(auth.Ops), h.attention)
}

type opsRoutes struct{ orders }

// parkedOrder is one line of the attention list.
type parkedOrder struct {
	ID             string               `json:"id"`
	Flow           string               `json:"flow"`
	Status         workflows.Status     `json:"status"`
	Attention      *workflows.Attention `json:"attention"`
	AllowedActions []workflows.Action   `json:"allowed_actions"`
	// Error says why the order could not be asked for its view (its worker
	// is down, say); flow and status then come from its search attributes.
	Error string `json:"error,omitempty"`
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
		abortWith(c, http.StatusServiceUnavailable, "Temporal's visibility could not be read; check /readyz and retry. The Web UI lists the same orders with the filter `NeedsAttention = true`.")
		return
	}
	out := h.describeAll(c.Request.Context(), found, p)
	c.JSON(http.StatusOK, gin.H{"orders": out, "truncated": truncated})
}

// listParked pages through visibility for at most limit parked orders;
// truncated says there are more.
func (h opsRoutes) listParked(ctx context.Context, limit int) (found []*workflowExecution, truncated bool, err error) {
	var token []byte
	for {
		resp, err := h.Temporal.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
			PageSize: int32(min(limit+1, 100)), NextPageToken: token, Query: parkedQuery,
		})
		if err != nil {
			return nil, false, fmt.Errorf("list parked orders: %w", err)
		}
		for _, e := range resp.GetExecutions() {
			found = append(found, &workflowExecution{
				id:     e.GetExecution().GetWorkflowId(),
				flow:   keyword(e.GetSearchAttributes(), workflows.OrderFlow.GetName()),
				status: keyword(e.GetSearchAttributes(), workflows.OrderStatus.GetName()),
			})
		}
		if len(found) > limit {
			return found[:limit], true, nil
		}
		token = resp.GetNextPageToken()
		if len(token) == 0 {
			return found, false, nil
		}
	}
}

// workflowExecution is what visibility says of a parked order.
type workflowExecution struct {
	id, flow, status string
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
		switch {
		case a.Attention == nil && b.Attention == nil:
			return cmp.Compare(a.ID, b.ID)
		case a.Attention == nil: // unknown wait: after the known ones
			return 1
		case b.Attention == nil:
			return -1
		}
		return cmp.Or(a.Attention.Since.Compare(b.Attention.Since), cmp.Compare(a.ID, b.ID))
	})
	return out
}

// describe queries one order as the ops caller; nil when it is not parked (any more).
func (h opsRoutes) describe(ctx context.Context, e *workflowExecution, ops auth.Principal) *parkedOrder {
	ctx, cancel := context.WithTimeout(ctx, attentionQueryTimeout)
	defer cancel()
	view, err := h.query(ctx, e.id, ops)
	var notFound *serviceerror.NotFound
	switch {
	case errors.As(err, &notFound): // ended since visibility listed it
		return nil
	case err != nil:
		return &parkedOrder{
			ID: e.id, Flow: e.flow, Status: workflows.Status(e.status), AllowedActions: []workflows.Action{},
			Error: "the order did not answer its query (is its worker running?): " + err.Error(),
		}
	case view.Attention == nil:
		return nil
	}
	return &parkedOrder{ID: view.ID, Flow: view.Flow, Status: view.Status, Attention: view.Attention, AllowedActions: view.AllowedActions}
}

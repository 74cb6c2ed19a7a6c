package api

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/orderflow/orderflow/internal/auth"
	"github.com/orderflow/orderflow/internal/money"
	"github.com/orderflow/orderflow/internal/store"
	"github.com/orderflow/orderflow/lifecycle"
)

// GET /v1/orders: the orders a caller may list, filtered by the query. What
// a role may list is the lifecycle's Access (lifecycle/), not a rule of its
// own here.

func (o orders) list(c *gin.Context) {
	p, _ := principalOf(c)
	f, problem := listFilter(c, p)
	if problem != nil {
		abort(c, *problem)
		return
	}
	page, err := o.Store.ListOrders(c.Request.Context(), f)
	if errors.Is(err, store.ErrInvalidCursor) {
		abortWith(c, http.StatusBadRequest, "The cursor is not one this API gave for these filters; start again without it.")
		return
	}
	if err != nil {
		_ = c.Error(err)
		abortWith(c, http.StatusServiceUnavailable, "The order list could not be read; check /readyz and retry.")
		return
	}
	out := make([]orderSummary, len(page.Orders))
	for i, row := range page.Orders {
		out[i] = summarize(row)
	}
	c.JSON(http.StatusOK, gin.H{"orders": out, "next_cursor": page.NextCursor})
}

// orderSummary is one row of a list.
type orderSummary struct {
	ID             string       `json:"id"`
	Flow           string       `json:"flow"`
	Status         string       `json:"status"`
	Owner          string       `json:"owner"`
	Supplier       string       `json:"supplier,omitempty"`
	Title          string       `json:"title"`
	Total          money.Amount `json:"total"`
	NextDeadline   any          `json:"next_deadline"`
	NeedsAttention bool         `json:"needs_attention"`
	Overdue        bool         `json:"overdue"`
	CreatedAt      any          `json:"created_at"`
	UpdatedAt      any          `json:"updated_at"`
}

func summarize(r store.Order) orderSummary {
	return orderSummary{
		ID: r.ID, Flow: r.Flow, Status: r.Status, Owner: r.OwnerID, Supplier: r.SupplierID, Title: r.Title,
		Total: money.Amount(r.TotalCents), NextDeadline: r.NextDeadline, NeedsAttention: r.NeedsAttention,
		Overdue: r.Overdue, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt,
	}
}

// listFilter reads the query and narrows it to what the caller may see.
// Every filter is checked: a value the list could never match (a flow or
// status that does not exist, a cursor the API did not give) is refused
// rather than answered with an empty or unfiltered page.
func listFilter(c *gin.Context, p auth.Principal) (store.OrderFilter, *Problem) {
	f := store.OrderFilter{
		Flow: c.Query("flow"), Status: c.Query("status"), OwnerID: c.Query("owner"),
		SupplierID: c.Query("supplier"), Q: c.Query("q"), Cursor: c.Query("cursor"),
	}
	if s := c.Query("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || strings.TrimLeft(s, "0123456789") != "" || n < 1 || n > store.MaxLimit {
			pr := invalid("limit", fmt.Sprintf("must be a whole number from 1 to %d", store.MaxLimit))
			return f, &pr
		}
		f.Limit = n
	}
	if _, known := lifecycle.FlowNamed(f.Flow); f.Flow != "" && !known {
		pr := invalid("flow", flowChoice())
		return f, &pr
	}
	if f.Status != "" && !knownStatus(f.Flow, lifecycle.Status(f.Status)) {
		where := "of either flow"
		if f.Flow != "" {
			where = "of " + f.Flow + " orders"
		}
		pr := invalid("status", "is not a status "+where+"; the statuses are listed in /openapi.yaml")
		return f, &pr
	}
	if f.Cursor != "" && !cursorPattern.MatchString(f.Cursor) {
		pr := NewProblem(http.StatusBadRequest, "The cursor is not one this API gave; start again without it.")
		pr.Errors = map[string]string{"cursor": "is not a cursor of this API"}
		return f, &pr
	}
	switch c.Query("overdue") {
	case "":
	case "true", "false":
		v := c.Query("overdue") == "true"
		f.Overdue = &v
	default:
		pr := invalid("overdue", "must be true or false")
		return f, &pr
	}
	scopes, problem := listScopes(f.Flow, p)
	if problem != nil {
		return f, problem
	}
	f.Scopes = scopes
	return f, nil
}

// listScopes are the orders p may list, as the lifecycle's Access says,
// narrowed to flow when the query names one: every order of a flow its role
// reaches whole, its own, the ones it took as a supplier; never the orders
// in a CreatorOnly status but the ones it created.
func listScopes(flow string, p auth.Principal) ([]store.Scope, *Problem) {
	var scopes []store.Scope
	var lists []string
	for _, fl := range lifecycle.Flows {
		access := fl.Access[p.Role]
		if !access.List || access.Reach == lifecycle.NoOrders {
			continue
		}
		lists = append(lists, fl.Name)
		if flow != "" && flow != fl.Name {
			continue
		}
		scope := store.Scope{Flow: fl.Name}
		switch access.Reach {
		case lifecycle.OwnOrders:
			scope.OwnerID = p.Subject
		case lifecycle.OfferedOrders:
			scope.SupplierID = p.Subject
		case lifecycle.LinkedOrder:
			continue // a link opens one order, it lists none
		}
		if len(access.CreatorOnly) > 0 {
			scope.CreatorOnly = statusNames(access.CreatorOnly)
			scope.Creator = store.Creator{Role: string(p.Role), ID: p.Subject}
		}
		scopes = append(scopes, scope)
	}
	switch {
	case len(lists) == 0:
		pr := NewProblem(http.StatusForbidden, "Your role may not list orders.")
		return nil, &pr
	case len(scopes) == 0:
		pr := NewProblem(http.StatusForbidden, fmt.Sprintf("Your role %q may not list %s orders; it lists %s orders.", p.Role, flow, strings.Join(lists, " and ")))
		return nil, &pr
	}
	return scopes, nil
}

func statusNames(ss []lifecycle.Status) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = string(s)
	}
	return out
}

// flowChoice says which flows there are, for a refusal.
func flowChoice() string {
	return "must be one of: " + strings.Join(lifecycle.FlowNames(), ", ")
}

// knownStatus: status is one of flow's, or of either flow when flow is "".
func knownStatus(flow string, status lifecycle.Status) bool {
	for _, fl := range lifecycle.Flows {
		if (flow == "" || flow == fl.Name) && fl.HasStatus(status) {
			return true
		}
	}
	return false
}

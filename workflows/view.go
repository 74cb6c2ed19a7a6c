package workflows

import (
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/orderflow/orderflow/activities"
	"github.com/orderflow/orderflow/internal/money"
	"github.com/orderflow/orderflow/lifecycle"
)

// The order view and read-model row every flow builds: the parts all flows
// share, seen by the system or narrowed to one viewer.

// OrderView is the order as the workflow knows it now, for one viewer: what
// GET /v1/orders/{id} returns and what the read model stores (as seen by the system).
type OrderView struct {
	ID             string                   `json:"id"`
	Flow           string                   `json:"flow"`
	Status         lifecycle.Status         `json:"status"`
	StatusLabel    string                   `json:"status_label"`
	Owner          string                   `json:"owner"`
	Title          string                   `json:"title"`
	Currency       string                   `json:"currency"`
	Total          money.Amount             `json:"total"`
	CreatedAt      time.Time                `json:"created_at"`
	UpdatedAt      time.Time                `json:"updated_at"`
	Deadlines      []Deadline               `json:"deadlines"`
	Timeline       []TimelineEntry          `json:"timeline"`
	Documents      []activities.DocumentRef `json:"documents"`
	Emails         []SentEmail              `json:"emails"`
	AllowedActions []lifecycle.Action       `json:"allowed_actions"`
	// WaitingFor is whom the order waits for now (none once it ended):
	// the workflow's business, like AllowedActions.
	WaitingFor     []Waiting  `json:"waiting_for,omitempty"`
	NeedsAttention bool       `json:"needs_attention"`
	Attention      *Attention `json:"attention,omitempty"`
	Closed         bool       `json:"closed"`

	Marketplace *MarketplaceDetails `json:"marketplace,omitempty"`
	Member      *MemberDetails      `json:"member,omitempty"`
}

// baseView fills what every flow's view shares, as the system sees it: the
// whole order, which the read model stores and Project (projection.go)
// narrows to each viewer's part.
func (c *core) baseView(label, title string, total money.Amount, deadlines []Deadline) OrderView {
	return OrderView{
		ID: c.ID, Flow: c.Flow, Status: c.Status, StatusLabel: label, Owner: c.Owner,
		Title: title, Currency: "EUR", Total: total, CreatedAt: c.CreatedAt, UpdatedAt: c.updatedAt(),
		Deadlines: nonNil(deadlines), Timeline: nonNil(slices.Clone(c.Timeline)), Documents: nonNil(slices.Clone(c.Documents)),
		Emails: nonNil(slices.Clone(c.Emails)), AllowedActions: []lifecycle.Action{},
		NeedsAttention: c.Attention != nil, Attention: c.Attention, Closed: c.Closed || c.table.IsFinal(c.Status),
	}
}

// forViewer is the order as viewer may see it: the system's view projected
// onto viewer (the same function serves an order read back from Postgres),
// with what viewer may do now, which only the workflow knows. An order the
// viewer may not see is the empty view.
func (c *core) forViewer(full OrderView, viewer Party) OrderView {
	if viewer.Principal.Role == lifecycle.System {
		// The system's view is the read model's record, which holds no
		// wait: whom the order waits for is read from the workflow.
		full.AllowedActions = c.allowedFor(viewer)
		return full
	}
	v, ok := Project(full, viewer.Principal)
	if !ok {
		return OrderView{}
	}
	v.AllowedActions, v.WaitingFor = c.allowedFor(viewer), c.waitingNow()
	return v
}

// Waiting is a party the order waits for: its role and, where the role is
// no person, who people should read as the one to act ("the customer to
// pay": the payment webhook acts as the system).
type Waiting struct {
	Role lifecycle.Role `json:"role"`
	Who  string         `json:"who,omitempty"`
}

// waitingNow is whom the order waits for now (waitsNow) as a view says it.
func (c *core) waitingNow() []Waiting {
	var out []Waiting
	for _, w := range c.waitsNow(c.actionsNow()) {
		out = append(out, Waiting{Role: w.Role, Who: w.Who})
	}
	return out
}

// roleWait is a party the order waits for now, with what it may do.
type roleWait struct {
	lifecycle.Wait
	roleActions
}

// waitsNow are the parties of the lifecycle's WaitsOn for the status that
// may act now (of now, actionsNow), in the lifecycle's order of roles: none
// once the order ended. The order's current details and every view name
// them from here.
func (c *core) waitsNow(now []roleActions) []roleWait {
	if c.table.IsFinal(c.Status) || c.Closed {
		return nil
	}
	var out []roleWait
	for _, ra := range now {
		if w, ok := c.table.WaitFor(c.Status, ra.role); ok {
			out = append(out, roleWait{w, ra})
		}
	}
	return out
}

// allowedFor is what viewer may do now: the lifecycle's actions, and ops'
// retry or skip while the order is parked.
func (c *core) allowedFor(viewer Party) []lifecycle.Action {
	allowed := nonNil(c.allowed(viewer))
	if c.Attention != nil && viewer.Principal.Role == lifecycle.Ops {
		allowed = append(allowed, lifecycle.OpsRetry)
		if c.Attention.Skippable {
			allowed = append(allowed, lifecycle.OpsSkip)
		}
	}
	return allowed
}

// RecordedView is the system view as the read model stores it: without the
// timeline, which the read model keeps entry by entry in its own table.
// Every transition records the view, and Temporal keeps each record in the
// order's history: with the timeline in it the history grew with the square
// of the timeline's length (the API puts the table's timeline back when it
// reads an order from Postgres).
func RecordedView(v OrderView) json.RawMessage {
	v.Timeline = nil
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("order view is not JSON: %v", err)) // a code bug, caught by tests
	}
	return b
}

// baseSnapshot is the read-model row of what every flow shares.
func (c *core) baseSnapshot(title string, total money.Amount, deadlines []Deadline) activities.OrderRow {
	o := activities.OrderRow{
		ID: c.ID, Flow: c.Flow, Status: string(c.Status), OwnerID: c.Owner, Title: title, Currency: "EUR",
		TotalCents: int64(total), NeedsAttention: c.Attention != nil, Seq: c.Seq,
		CreatedAt: c.CreatedAt, UpdatedAt: c.updatedAt(),
	}
	if d, ok := nearest(deadlines); ok {
		o.NextDeadline = &d.At
	}
	return o
}

func (c *core) updatedAt() time.Time {
	if len(c.Timeline) == 0 {
		return c.CreatedAt
	}
	return c.Timeline[len(c.Timeline)-1].At
}

// nonNil makes empty lists JSON arrays rather than null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

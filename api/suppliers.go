package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/oklog/ulid/v2"

	"github.com/orderflow/orderflow/internal/store"
	"github.com/orderflow/orderflow/lifecycle"
	"github.com/orderflow/orderflow/workflows"
)

// supplierRoutes serves suppliers and their live feeds from the read model.
type supplierRoutes struct {
	store *store.Store
	feed  feedTiming
}

// feedTiming paces a feed stream.
type feedTiming struct {
	poll      time.Duration // how often the feed is read again
	keepAlive time.Duration // a comment after this much silence keeps proxies from closing the stream
	maxAge    time.Duration // then the stream ends and the client reconnects with a token still valid
}

var defaultFeedTiming = feedTiming{poll: time.Second, keepAlive: 15 * time.Second, maxAge: 30 * time.Minute}

func registerSupplierRoutes(v1 *gin.RouterGroup, d Deps) {
	h := supplierRoutes{store: d.Store, feed: defaultFeedTiming}
	purchasing := requireRole(lifecycle.Purchasing)
	g := v1.Group("/suppliers")
	g.POST("", purchasing, h.create)
	g.GET("", requireRole(lifecycle.Purchasing, lifecycle.Ops), h.list)
	g.GET("/:id", requireRole(lifecycle.Purchasing, lifecycle.Ops, lifecycle.Supplier), supplierSelfOnly, h.get)
	g.PATCH("/:id", purchasing, h.update)
	g.POST("/:id/deactivate", purchasing, h.setActive(false))
	g.POST("/:id/activate", purchasing, h.setActive(true))
	g.GET("/:id/feed", requireRole(lifecycle.Supplier, lifecycle.Purchasing), supplierSelfOnly, h.feedNow)
	g.GET("/:id/feed/stream", requireRole(lifecycle.Supplier), supplierSelfOnly, h.stream)
}

// supplierSelfOnly lets a supplier reach its own record only. Another
// supplier's id gets 404, as if it did not exist, so ids cannot be probed.
func supplierSelfOnly(c *gin.Context) {
	p, _ := principalOf(c)
	if p.Role == lifecycle.Supplier && p.Subject != c.Param("id") {
		abortWith(c, http.StatusNotFound, fmt.Sprintf("There is no supplier %q that you can see. As a supplier you can only reach your own record, /v1/suppliers/%s.", c.Param("id"), p.Subject))
		return
	}
	c.Next()
}

// supplierJSON is a supplier as the API shows it.
type supplierJSON struct {
	ID         string    `json:"id"`
	Name       string    `json:"name"`
	Email      string    `json:"email"`
	Categories []string  `json:"categories"`
	Regions    []string  `json:"regions"`
	Rating     int       `json:"rating"`
	Active     bool      `json:"active"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
}

func toSupplierJSON(s store.Supplier) supplierJSON {
	nonNil := func(list []string) []string { return append([]string{}, list...) }
	return supplierJSON{ID: s.ID, Name: s.Name, Email: s.Email, Categories: nonNil(s.Categories), Regions: nonNil(s.Regions),
		Rating: s.Rating, Active: s.Active, CreatedAt: s.CreatedAt, UpdatedAt: s.UpdatedAt}
}

// feedItemJSON is one order on a supplier's live feed.
type feedItemJSON struct {
	OrderID      string              `json:"order_id"`
	Status       string              `json:"status"`
	Title        string              `json:"title"`
	OfferedAt    time.Time           `json:"offered_at"`
	NextDeadline *time.Time          `json:"next_deadline"`
	Order        workflows.FeedOrder `json:"order"`
}

type feedJSON struct {
	SupplierID string         `json:"supplier_id"`
	Orders     []feedItemJSON `json:"orders"`
}

func toFeedJSON(supplierID string, items []store.FeedItem) feedJSON {
	out := feedJSON{SupplierID: supplierID, Orders: make([]feedItemJSON, len(items))}
	for i, it := range items {
		out.Orders[i] = toFeedItemJSON(it)
	}
	return out
}

// toFeedItemJSON shows the supplier its part of the order only: the read
// model's view is the system's, with the customer and their price in it.
func toFeedItemJSON(it store.FeedItem) feedItemJSON {
	var view workflows.OrderView
	_ = json.Unmarshal(it.View, &view) // an unreadable view shows an order without details
	return feedItemJSON{OrderID: it.OrderID, Status: it.Status, Title: it.Title, OfferedAt: it.OfferedAt,
		NextDeadline: it.NextDeadline, Order: workflows.ForSupplier(view)}
}

func (h supplierRoutes) create(c *gin.Context) {
	in, ok := readSupplierInput(c, supplierCreateFields, supplierRequiredFields, nil)
	if !ok {
		return
	}
	sup := store.Supplier{ID: "sup_" + strings.ToLower(ulid.Make().String()), Active: true}
	if in.id != nil {
		sup.ID = *in.id
	}
	if in.active != nil {
		sup.Active = *in.active
	}
	in.applyTo(&sup)
	created, err := h.store.CreateSupplier(c.Request.Context(), sup)
	if err != nil {
		h.fail(c, sup.ID, err)
		return
	}
	c.Header("Location", "/v1/suppliers/"+created.ID)
	c.JSON(http.StatusCreated, toSupplierJSON(created))
}

func (h supplierRoutes) list(c *gin.Context) {
	includeInactive := false
	if s := c.Query("include_inactive"); s != "" {
		b, err := strconv.ParseBool(s)
		if err != nil {
			abortWith(c, http.StatusBadRequest, fmt.Sprintf("include_inactive must be true or false, not %q.", s))
			return
		}
		includeInactive = b
	}
	suppliers, err := h.store.ListSuppliers(c.Request.Context(), includeInactive)
	if err != nil {
		h.fail(c, "", err)
		return
	}
	out := make([]supplierJSON, len(suppliers))
	for i, s := range suppliers {
		out[i] = toSupplierJSON(s)
	}
	c.JSON(http.StatusOK, gin.H{"suppliers": out})
}

func (h supplierRoutes) get(c *gin.Context) {
	sup, err := h.store.GetSupplier(c.Request.Context(), c.Param("id"))
	if err != nil {
		h.fail(c, c.Param("id"), err)
		return
	}
	c.JSON(http.StatusOK, toSupplierJSON(sup))
}

// update changes only the fields sent. Active is switched by its own
// endpoints, and the id never changes.
func (h supplierRoutes) update(c *gin.Context) {
	id := c.Param("id")
	in, ok := readSupplierInput(c, supplierPatchFields, nil, map[string]string{
		"id":     "The id of a supplier cannot be changed; create a new supplier instead.",
		"active": "Switch a supplier on or off with POST /v1/suppliers/" + id + "/activate or /deactivate.",
	})
	if !ok {
		return
	}
	if in.empty() {
		abortWith(c, http.StatusUnprocessableEntity, "There is nothing to change: send at least one of "+strings.Join(supplierPatchFields, ", ")+".")
		return
	}
	updated, err := h.store.UpdateSupplier(c.Request.Context(), id, in.applyTo)
	if err != nil {
		h.fail(c, id, err)
		return
	}
	c.JSON(http.StatusOK, toSupplierJSON(updated))
}

func (h supplierRoutes) setActive(active bool) gin.HandlerFunc {
	return func(c *gin.Context) {
		id, ctx := c.Param("id"), c.Request.Context()
		set := h.store.DeactivateSupplier
		if active {
			set = h.store.ActivateSupplier
		}
		if err := set(ctx, id); err != nil {
			h.fail(c, id, err)
			return
		}
		sup, err := h.store.GetSupplier(ctx, id)
		if err != nil {
			h.fail(c, id, err)
			return
		}
		c.JSON(http.StatusOK, toSupplierJSON(sup))
	}
}

func (h supplierRoutes) feedNow(c *gin.Context) {
	id, ctx := c.Param("id"), c.Request.Context()
	if _, err := h.store.GetSupplier(ctx, id); err != nil {
		h.fail(c, id, err)
		return
	}
	items, err := h.store.Feed(ctx, id)
	if err != nil {
		h.fail(c, id, err)
		return
	}
	c.JSON(http.StatusOK, toFeedJSON(id, items))
}

// streamDeadlineSlack is how long after a stream's end its connection may
// still take to write the last event and close.
const streamDeadlineSlack = 10 * time.Second

// stream serves the feed as Server-Sent Events until the client goes away,
// the stream reaches its maximum age, or the token that opened it expires:
// a stream outliving its token would go on showing orders to a caller whom
// the API no longer knows.
func (h supplierRoutes) stream(c *gin.Context) {
	id := c.Param("id")
	if _, err := h.store.GetSupplier(c.Request.Context(), id); err != nil {
		h.fail(c, id, err)
		return
	}
	end := time.Now().Add(h.feed.maxAge)
	if expires, ok := tokenExpiry(c); ok && expires.Before(end) {
		end = expires
	}
	ctx, cancel := context.WithDeadline(c.Request.Context(), end)
	defer cancel()
	// The server's read and write timeouts bound ordinary requests (and a
	// read timeout would end the request's context); the stream sets its own
	// deadlines instead, up to its end.
	rc := http.NewResponseController(c.Writer)
	if err := errors.Join(rc.SetWriteDeadline(end.Add(streamDeadlineSlack)), rc.SetReadDeadline(end.Add(streamDeadlineSlack))); err != nil && !errors.Is(err, http.ErrNotSupported) {
		_ = c.Error(fmt.Errorf("feed stream deadlines: %w", err))
	}
	c.Header("Content-Type", "text/event-stream")
	c.Header("Cache-Control", "no-cache")
	c.Header("X-Accel-Buffering", "no") // nginx would otherwise hold events back
	c.Status(http.StatusOK)
	load := func(ctx context.Context) ([]store.FeedItem, error) { return h.store.Feed(ctx, id) }
	if err := streamFeed(ctx, c.Writer, id, load, h.feed); err != nil {
		_ = c.Error(err) // the access log reports it; the headers are gone, so no problem body
	}
}

// fail answers a store error. An id of "" means the call named no supplier.
func (h supplierRoutes) fail(c *gin.Context, id string, err error) {
	switch {
	case errors.Is(err, store.ErrNotFound):
		abortWith(c, http.StatusNotFound, fmt.Sprintf("There is no supplier %q. GET /v1/suppliers?include_inactive=true lists them all.", id))
	case errors.Is(err, store.ErrConflict):
		abortWith(c, http.StatusConflict, fmt.Sprintf("A supplier with id %q already exists. Choose another id, or leave id out to get a generated one.", id))
	case errors.Is(err, store.ErrInvalid):
		abortWith(c, http.StatusUnprocessableEntity, "The supplier cannot be stored: "+strings.TrimPrefix(err.Error(), store.ErrInvalid.Error()+": ")+".")
	default:
		_ = c.Error(err)
		abortWith(c, http.StatusServiceUnavailable, "Suppliers could not be read or written in Postgres; check /readyz and try again. If it persists, report request id "+requestID(c)+".")
	}
}

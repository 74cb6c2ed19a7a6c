package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/mail"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

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

// Request bodies.

var (
	supplierCreateFields = []string{"id", "name", "email", "categories", "regions", "rating", "active"}
	supplierPatchFields  = []string{"name", "email", "categories", "regions", "rating"}
	// A new supplier needs everything that decides whether and how it is ranked.
	supplierRequiredFields = []string{"name", "email", "categories", "regions", "rating"}
	supplierIDPattern      = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)
)

const (
	maxSupplierName    = 200
	maxEmailLength     = 254
	maxTagLength       = 64
	maxTagsPerSupplier = 50
)

// supplierInput holds the members a request sent, each checked; nil means
// not sent.
type supplierInput struct {
	id, name, email     *string
	categories, regions []string
	rating              *int
	active              *bool
}

func (in supplierInput) empty() bool {
	return in.id == nil && in.name == nil && in.email == nil && in.categories == nil &&
		in.regions == nil && in.rating == nil && in.active == nil
}

// applyTo copies the sent fields except id and active onto s.
func (in supplierInput) applyTo(s *store.Supplier) {
	if in.name != nil {
		s.Name = *in.name
	}
	if in.email != nil {
		s.Email = *in.email
	}
	if in.categories != nil {
		s.Categories = in.categories
	}
	if in.regions != nil {
		s.Regions = in.regions
	}
	if in.rating != nil {
		s.Rating = *in.rating
	}
}

// readSupplierInput reads a JSON object holding only the allowed members and
// checks each. It answers 400 for a body that is not such an object (an
// unknown member is named, with the reason from refused when it has one) and
// 422 with field errors for members missing, of the wrong type or value.
func readSupplierInput(c *gin.Context, allowed, required []string, refused map[string]string) (supplierInput, bool) {
	members, ok := readSupplierBody(c)
	if !ok {
		return supplierInput{}, false
	}
	if unknown := unknownSupplierFields(members, allowed); len(unknown) > 0 {
		detail := refused[unknown[0]]
		if detail == "" {
			detail = fmt.Sprintf("Unknown field %q. A supplier request may have only: %s.", unknown[0], strings.Join(allowed, ", "))
		}
		pr := NewProblem(http.StatusBadRequest, detail)
		pr.Errors = map[string]string{unknown[0]: "is not a field of this request; leave it out"}
		abort(c, pr)
		return supplierInput{}, false
	}
	in, fieldErrs := decodeSupplierMembers(members)
	for _, name := range required {
		if _, sent := members[name]; !sent {
			fieldErrs[name] = "is required"
		}
	}
	if len(fieldErrs) > 0 {
		abortInvalidSupplier(c, fieldErrs)
		return supplierInput{}, false
	}
	return in, true
}

// readSupplierBody reads the body as one JSON object, its members kept raw.
func readSupplierBody(c *gin.Context) (map[string]json.RawMessage, bool) {
	const example = `{"name": "Brico", "email": "orders@brico.example", "categories": ["building"], "regions": ["BE-BRU"], "rating": 80}`
	var members map[string]json.RawMessage
	return members, readJSON(c, &members, false, example)
}

// unknownSupplierFields returns the member names not in allowed, sorted.
func unknownSupplierFields(members map[string]json.RawMessage, allowed []string) []string {
	var unknown []string
	for name := range members {
		if !slices.Contains(allowed, name) {
			unknown = append(unknown, name)
		}
	}
	sort.Strings(unknown)
	return unknown
}

func decodeSupplierMembers(members map[string]json.RawMessage) (supplierInput, map[string]string) {
	var in supplierInput
	errs := map[string]string{}
	check := func(name string, decode func(json.RawMessage) error) {
		raw, sent := members[name]
		if !sent {
			return
		}
		if bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
			errs[name] = "must not be null; leave the field out instead"
			return
		}
		if err := decode(raw); err != nil {
			errs[name] = err.Error()
		}
	}
	check("id", func(raw json.RawMessage) (err error) { in.id, err = decodeSupplierID(raw); return err })
	check("name", func(raw json.RawMessage) (err error) { in.name, err = decodeSupplierName(raw); return err })
	check("email", func(raw json.RawMessage) (err error) { in.email, err = decodeSupplierEmail(raw); return err })
	check("categories", func(raw json.RawMessage) (err error) {
		in.categories, err = decodeSupplierTags(raw, "building")
		return err
	})
	check("regions", func(raw json.RawMessage) (err error) { in.regions, err = decodeSupplierTags(raw, "BE-BRU"); return err })
	check("rating", func(raw json.RawMessage) (err error) { in.rating, err = decodeSupplierRating(raw); return err })
	check("active", func(raw json.RawMessage) error {
		var b bool
		if json.Unmarshal(raw, &b) != nil {
			return errors.New("must be true or false")
		}
		in.active = &b
		return nil
	})
	return in, errs
}

func decodeSupplierString(raw json.RawMessage) (string, error) {
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return "", errors.New("must be a string")
	}
	return strings.TrimSpace(s), nil
}

func decodeSupplierID(raw json.RawMessage) (*string, error) {
	s, err := decodeSupplierString(raw)
	if err != nil {
		return nil, err
	}
	if !supplierIDPattern.MatchString(s) {
		return nil, errors.New("must be 1 to 64 letters, digits, '_', '.' or '-', starting with a letter or digit (or leave it out to get a generated id)")
	}
	return &s, nil
}

func decodeSupplierName(raw json.RawMessage) (*string, error) {
	s, err := decodeSupplierString(raw)
	switch {
	case err != nil:
		return nil, err
	case s == "":
		return nil, errors.New("must not be empty")
	case utf8.RuneCountInString(s) > maxSupplierName:
		return nil, fmt.Errorf("must be at most %d characters", maxSupplierName)
	}
	return &s, nil
}

func decodeSupplierEmail(raw json.RawMessage) (*string, error) {
	s, err := decodeSupplierString(raw)
	if err != nil {
		return nil, err
	}
	addr, err := mail.ParseAddress(s)
	if err != nil || addr.Address != s || len(s) > maxEmailLength {
		return nil, errors.New("must be a plain email address, e.g. orders@supplier.example")
	}
	return &s, nil
}

// decodeTags reads a list of categories or regions: at least one, each
// non-empty and listed once. They are matched exactly against orders, so
// they are kept as written, only trimmed.
func decodeSupplierTags(raw json.RawMessage, example string) ([]string, error) {
	var list []string
	if json.Unmarshal(raw, &list) != nil {
		return nil, fmt.Errorf("must be a list of strings, e.g. [%q]", example)
	}
	if len(list) == 0 {
		return nil, fmt.Errorf("must name at least one, e.g. [%q]", example)
	}
	if len(list) > maxTagsPerSupplier {
		return nil, fmt.Errorf("must have at most %d entries", maxTagsPerSupplier)
	}
	for i, tag := range list {
		tag = strings.TrimSpace(tag)
		switch {
		case tag == "":
			return nil, fmt.Errorf("entry %d is empty", i+1)
		case utf8.RuneCountInString(tag) > maxTagLength:
			return nil, fmt.Errorf("entry %d is longer than %d characters", i+1, maxTagLength)
		case slices.Contains(list[:i], tag):
			return nil, fmt.Errorf("%q is listed twice", tag)
		}
		list[i] = tag
	}
	return list, nil
}

func decodeSupplierRating(raw json.RawMessage) (*int, error) {
	const want = "must be a whole number from 0 to 100"
	var n int
	if json.Unmarshal(raw, &n) != nil || n < 0 || n > 100 {
		return nil, errors.New(want)
	}
	return &n, nil
}

func abortInvalidSupplier(c *gin.Context, fieldErrs map[string]string) {
	fields := make([]string, 0, len(fieldErrs))
	for f := range fieldErrs {
		fields = append(fields, f)
	}
	sort.Strings(fields)
	parts := make([]string, len(fields))
	for i, f := range fields {
		parts[i] = f + " " + fieldErrs[f]
	}
	p := NewProblem(http.StatusUnprocessableEntity, "The supplier is not valid: "+strings.Join(parts, "; ")+". Correct these fields and send it again.")
	p.Errors = fieldErrs
	abort(c, p)
}

// The live feed as Server-Sent Events.

// flushWriter is a response that can push what was written to the client now.
type flushWriter interface {
	io.Writer
	Flush()
}

type feedLoader func(context.Context) ([]store.FeedItem, error)

// sseEvent is one event of the feed stream.
type sseEvent struct {
	name string
	data any
}

// streamFeed writes a snapshot of the feed, then, every poll, an event for
// each order that appeared on it ("added"), left it ("removed") or changed
// status, title or deadline while on it ("updated"). A comment keeps the
// connection alive. It returns when ctx ends or the client is gone (nil), or
// when the feed cannot be read (the error).
func streamFeed(ctx context.Context, w flushWriter, supplierID string, load feedLoader, timing feedTiming) error {
	items, err := load(ctx)
	if err != nil {
		return feedErrUnlessDone(ctx, err)
	}
	if writeSSE(w, sseEvent{"snapshot", toFeedJSON(supplierID, items)}) != nil {
		return nil // the client is gone
	}
	shown := indexFeed(items)
	poll := time.NewTicker(timing.poll)
	defer poll.Stop()
	keepAlive := time.NewTicker(timing.keepAlive)
	defer keepAlive.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-keepAlive.C:
			if _, err := io.WriteString(w, ": keep-alive\n\n"); err != nil {
				return nil
			}
			w.Flush()
		case <-poll.C:
			items, err := load(ctx)
			if err != nil {
				return feedErrUnlessDone(ctx, err)
			}
			for _, ev := range diffFeed(shown, items) {
				if writeSSE(w, ev) != nil {
					return nil
				}
			}
			shown = indexFeed(items)
		}
	}
}

func feedErrUnlessDone(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return nil
	}
	return fmt.Errorf("feed stream: %w", err)
}

func writeSSE(w flushWriter, ev sseEvent) error {
	data, err := json.Marshal(ev.data)
	if err != nil {
		return err
	}
	// Marshalled JSON holds no newline, so it is one data line.
	if _, err := fmt.Fprintf(w, "event: %s\ndata: %s\n\n", ev.name, data); err != nil {
		return err
	}
	w.Flush()
	return nil
}

func indexFeed(items []store.FeedItem) map[string]store.FeedItem {
	m := make(map[string]store.FeedItem, len(items))
	for _, it := range items {
		m[it.OrderID] = it
	}
	return m
}

// diffFeed lists what changed from shown to now: removals by order id, then
// additions and updates in feed order.
func diffFeed(shown map[string]store.FeedItem, now []store.FeedItem) []sseEvent {
	current := indexFeed(now)
	var removed []string
	for id := range shown {
		if _, still := current[id]; !still {
			removed = append(removed, id)
		}
	}
	sort.Strings(removed)
	var events []sseEvent
	for _, id := range removed {
		events = append(events, sseEvent{"removed", map[string]string{"order_id": id}})
	}
	for _, it := range now {
		before, was := shown[it.OrderID]
		switch {
		case !was:
			events = append(events, sseEvent{"added", toFeedItemJSON(it)})
		case feedItemChanged(before, it):
			events = append(events, sseEvent{"updated", toFeedItemJSON(it)})
		}
	}
	return events
}

func feedItemChanged(a, b store.FeedItem) bool {
	sameDeadline := (a.NextDeadline == nil) == (b.NextDeadline == nil) &&
		(a.NextDeadline == nil || a.NextDeadline.Equal(*b.NextDeadline))
	return a.Status != b.Status || a.Title != b.Title || !sameDeadline
}

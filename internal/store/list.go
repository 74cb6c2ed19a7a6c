package store

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/orderflow/orderflow/lifecycle"
)

// List page sizes.
const (
	DefaultLimit = 50
	MaxLimit     = 200
)

// OrderFilter selects orders for ListOrders. Empty strings and nil pointers
// do not filter.
type OrderFilter struct {
	Flow           string
	Status         string
	OwnerID        string
	SupplierID     string
	Overdue        *bool
	NeedsAttention *bool
	Q              string // case-insensitive substring of the id or the title
	// Scopes are what the caller may list (the API makes them from the
	// lifecycle's Access): an order is listed when it is in one of them.
	// No scope lists nothing.
	Scopes []Scope
	Limit  int    // <= 0 means DefaultLimit; above MaxLimit means MaxLimit
	Cursor string // NextCursor of the previous page, "" for the first
}

// Scope is the part of one flow's orders a caller may list.
type Scope struct {
	Flow       string
	OwnerID    string // only the orders it owns, when set
	SupplierID string // only the orders this supplier took, when set
	// CreatorOnly are statuses in which only the orders Creator created are
	// in the scope (the order's create entry in its timeline names its
	// creator): a member's drafts are the member's own until submitted.
	CreatorOnly []string
	Creator     Creator
}

// Creator is who created an order: the role and subject of its create entry.
type Creator struct{ Role, ID string }

// OrderPage is one page of orders, newest first. NextCursor is "" on the last page.
type OrderPage struct {
	Orders     []Order
	NextCursor string
}

// ListOrders returns orders matching f, newest first (created_at, then id,
// descending), one page at a time. A cursor that was not issued for the same
// filters returns an error matching ErrInvalidCursor.
func (s *Store) ListOrders(ctx context.Context, f OrderFilter) (OrderPage, error) {
	where, args := f.conditions()
	if f.Cursor != "" {
		after, err := decodeCursor(f.Cursor, f.fingerprint())
		if err != nil {
			return OrderPage{}, err
		}
		args = append(args, after.createdAt(), after.ID)
		where = append(where, fmt.Sprintf("(created_at, id) < ($%d, $%d)", len(args)-1, len(args)))
	}
	limit := f.pageSize()
	args = append(args, limit+1) // one more than a page tells whether another page exists
	sql := `SELECT ` + orderColumns + ` FROM orders`
	if len(where) > 0 {
		sql += ` WHERE ` + strings.Join(where, " AND ")
	}
	sql += fmt.Sprintf(` ORDER BY created_at DESC, id DESC LIMIT $%d`, len(args))

	rows, err := s.pool.Query(ctx, sql, args...)
	if err != nil {
		return OrderPage{}, fmt.Errorf("store: list orders: %w", err)
	}
	orders, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Order, error) { return scanOrder(row) })
	if err != nil {
		return OrderPage{}, fmt.Errorf("store: list orders: %w", err)
	}
	page := OrderPage{Orders: orders}
	if len(orders) > limit {
		page.Orders = orders[:limit]
		last := page.Orders[limit-1]
		page.NextCursor = encodeCursor(position{Micros: last.CreatedAt.UnixMicro(), ID: last.ID}, f.fingerprint())
	}
	return page, nil
}

func (f OrderFilter) pageSize() int {
	switch {
	case f.Limit <= 0:
		return DefaultLimit
	case f.Limit > MaxLimit:
		return MaxLimit
	default:
		return f.Limit
	}
}

func (f OrderFilter) conditions() (where []string, args []any) {
	add := func(cond string, arg any) {
		args = append(args, arg)
		where = append(where, strings.ReplaceAll(cond, "$?", "$"+strconv.Itoa(len(args))))
	}
	if f.Flow != "" {
		add("flow = $?", f.Flow)
	}
	if f.Status != "" {
		add("status = $?", f.Status)
	}
	if f.OwnerID != "" {
		add("owner_id = $?", f.OwnerID)
	}
	if f.SupplierID != "" {
		add("supplier_id = $?", f.SupplierID)
	}
	if f.Overdue != nil {
		add("overdue = $?", *f.Overdue)
	}
	if f.NeedsAttention != nil {
		add("needs_attention = $?", *f.NeedsAttention)
	}
	scopes := make([]string, 0, len(f.Scopes))
	for _, sc := range f.Scopes {
		scope := []string{fmt.Sprintf("flow = $%d", len(args)+1)}
		args = append(args, sc.Flow)
		if sc.OwnerID != "" {
			args = append(args, sc.OwnerID)
			scope = append(scope, fmt.Sprintf("owner_id = $%d", len(args)))
		}
		if sc.SupplierID != "" {
			args = append(args, sc.SupplierID)
			scope = append(scope, fmt.Sprintf("supplier_id = $%d", len(args)))
		}
		if len(sc.CreatorOnly) > 0 {
			args = append(args, sc.CreatorOnly, string(lifecycle.Create), sc.Creator.Role, sc.Creator.ID)
			n := len(args)
			scope = append(scope, fmt.Sprintf(`(status <> ALL($%d) OR EXISTS (SELECT 1 FROM order_timeline t
				WHERE t.order_id = orders.id AND t.action = $%d AND t.actor_role = $%d AND t.actor_id = $%d))`, n-3, n-2, n-1, n))
		}
		scopes = append(scopes, "("+strings.Join(scope, " AND ")+")")
	}
	if len(scopes) == 0 {
		scopes = append(scopes, "FALSE")
	}
	where = append(where, "("+strings.Join(scopes, " OR ")+")")
	if f.Q != "" {
		// strpos rather than ILIKE: no escaping of % and _ in user input.
		add("(strpos(lower(id), lower($?)) > 0 OR strpos(lower(title), lower($?)) > 0)", f.Q)
	}
	return where, args
}

// fingerprint identifies the filters a cursor belongs to; the page size is
// not part of it, so a client may change it between pages.
func (f OrderFilter) fingerprint() string {
	b := func(p *bool) string {
		if p == nil {
			return "-"
		}
		return strconv.FormatBool(*p)
	}
	parts := []string{f.Flow, f.Status, f.OwnerID, f.SupplierID, b(f.Overdue), b(f.NeedsAttention), f.Q}
	for _, sc := range f.Scopes {
		parts = append(parts, fmt.Sprintf("scope %q", sc))
	}
	return strings.Join(parts, "\x00")
}

// position is where the previous page ended.
type position struct {
	Micros int64  `json:"t"` // created_at in microseconds, Postgres' own precision
	ID     string `json:"i"`
	Sum    string `json:"s"`
}

func (p position) createdAt() time.Time {
	return time.UnixMicro(p.Micros)
}

// checksum binds a position to its filters. It is no secret: it detects a
// corrupted or edited cursor and one reused with other filters, while the
// filters themselves (not the cursor) decide what a caller may see.
func (p position) checksum(fingerprint string) string {
	h := sha256.Sum256([]byte(fingerprint + "\x00" + strconv.FormatInt(p.Micros, 10) + "\x00" + p.ID))
	return hex.EncodeToString(h[:12])
}

func encodeCursor(p position, fingerprint string) string {
	p.Sum = p.checksum(fingerprint)
	raw, _ := json.Marshal(p) // cannot fail: a struct of an int and strings
	return base64.RawURLEncoding.EncodeToString(raw)
}

func decodeCursor(cursor, fingerprint string) (position, error) {
	bad := func(why string) (position, error) {
		return position{}, fmt.Errorf("%w: %s", ErrInvalidCursor, why)
	}
	raw, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil {
		return bad("not base64url")
	}
	var p position
	if err := json.Unmarshal(raw, &p); err != nil {
		return bad("malformed")
	}
	if p.ID == "" || p.Sum != p.checksum(fingerprint) {
		return bad("it was altered or belongs to other filters")
	}
	return p, nil
}

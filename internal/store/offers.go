package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgerrcode"
	"github.com/jackc/pgx/v5"

	"github.com/orderflow/orderflow/lifecycle"
)

// Offer is a marketplace order offered to one supplier.
type Offer struct {
	OrderID       string
	SupplierID    string
	Round         int // 1 on release, 2 once the order is expiring
	Rank          int // 1 is the most eligible supplier of its round
	OfferedAt     time.Time
	DeclinedAt    *time.Time // nil while the supplier has not declined
	DeclineReason string
}

// FeedItem is one order on a supplier's live feed.
type FeedItem struct {
	OrderID      string
	Status       string
	Title        string
	OfferedAt    time.Time
	NextDeadline *time.Time
	View         json.RawMessage // the order's view as the workflow last recorded it
}

const offerColumns = `order_id, supplier_id, round, rank, offered_at, declined_at, decline_reason`

// RecordOffers offers an order to suppliers in one round, ranked by their
// position in supplierIDs (the first gets rank 1). A supplier that already
// has an offer for the order keeps it as it was (its round, rank and time),
// so repeating a call, or a later round naming earlier suppliers again,
// changes nothing for them. An unknown supplier id returns ErrInvalid and
// records nothing. A zero at means now.
func (s *Store) RecordOffers(ctx context.Context, orderID string, round int, supplierIDs []string, at time.Time) error {
	if err := checkOffers(orderID, round, supplierIDs); err != nil {
		return err
	}
	if len(supplierIDs) == 0 {
		return nil
	}
	_, err := s.pool.Exec(ctx, `
		INSERT INTO order_offers (order_id, supplier_id, round, rank, offered_at)
		SELECT $1, o.supplier_id, $2, o.rank, COALESCE($4, now())
		FROM unnest($3::text[]) WITH ORDINALITY AS o (supplier_id, rank)
		ON CONFLICT (order_id, supplier_id) DO NOTHING`, orderID, round, supplierIDs, timeOrNil(at))
	if pgCode(err) == pgerrcode.ForeignKeyViolation {
		return invalid("offers of order %s: a supplier in %v does not exist", orderID, supplierIDs)
	}
	if err != nil {
		return fmt.Errorf("store: record offers of order %s (round %d): %w", orderID, round, err)
	}
	return nil
}

func checkOffers(orderID string, round int, supplierIDs []string) error {
	if orderID == "" {
		return invalid("offers have no order id")
	}
	if round < 1 {
		return invalid("offers of order %s: round %d; rounds start at 1", orderID, round)
	}
	seen := make(map[string]bool, len(supplierIDs))
	for _, id := range supplierIDs {
		if id == "" {
			return invalid("offers of order %s: an empty supplier id", orderID)
		}
		if seen[id] {
			return invalid("offers of order %s: supplier %s is listed twice, so its rank is ambiguous", orderID, id)
		}
		seen[id] = true
	}
	return nil
}

// RecordDecline marks a supplier's offer declined, with its reason. Only the
// first decline counts: repeating it (even with another reason or time)
// keeps the first. A supplier without an offer for the order gets ErrNotFound.
// A zero at means now.
func (s *Store) RecordDecline(ctx context.Context, orderID, supplierID, reason string, at time.Time) error {
	if err := requireFields("decline", "order id", orderID, "supplier id", supplierID); err != nil {
		return err
	}
	// In SET, declined_at names the value before the update, so the CASE
	// keeps the first reason together with the first time.
	tag, err := s.pool.Exec(ctx, `
		UPDATE order_offers SET
			decline_reason = CASE WHEN declined_at IS NULL THEN $3 ELSE decline_reason END,
			declined_at = COALESCE(declined_at, $4, now())
		WHERE order_id = $1 AND supplier_id = $2`, orderID, supplierID, reason, timeOrNil(at))
	if err != nil {
		return fmt.Errorf("store: record decline of order %s by supplier %s: %w", orderID, supplierID, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("store: order %s was never offered to supplier %s: %w", orderID, supplierID, ErrNotFound)
	}
	return nil
}

// Offers returns every offer of an order: by round, then rank.
func (s *Store) Offers(ctx context.Context, orderID string) ([]Offer, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT `+offerColumns+` FROM order_offers WHERE order_id = $1
		ORDER BY round, rank, supplier_id`, orderID)
	if err != nil {
		return nil, fmt.Errorf("store: offers of order %s: %w", orderID, err)
	}
	offers, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Offer, error) { return scanOffer(row) })
	if err != nil {
		return nil, fmt.Errorf("store: offers of order %s: %w", orderID, err)
	}
	return offers, nil
}

// OfferedTo returns the offer of an order to a supplier, declined or not,
// whatever the order's status now; found is false when there was none.
func (s *Store) OfferedTo(ctx context.Context, orderID, supplierID string) (offer Offer, found bool, err error) {
	row := s.pool.QueryRow(ctx, `
		SELECT `+offerColumns+` FROM order_offers WHERE order_id = $1 AND supplier_id = $2`, orderID, supplierID)
	offer, err = scanOffer(row)
	if errors.Is(err, pgx.ErrNoRows) {
		return Offer{}, false, nil
	}
	if err != nil {
		return Offer{}, false, fmt.Errorf("store: offer of order %s to supplier %s: %w", orderID, supplierID, err)
	}
	return offer, true, nil
}

// Feed returns the orders on a supplier's live feed now: offered to it, not
// declined by it, and in a status of the marketplace's Feed in the read
// model (so an order leaves every feed once accepted, cancelled or expired).
// Oldest offer first, then by order id.
func (s *Store) Feed(ctx context.Context, supplierID string) ([]FeedItem, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT o.id, o.status, o.title, f.offered_at, o.next_deadline, o.view
		FROM order_offers f JOIN orders o ON o.id = f.order_id
		WHERE f.supplier_id = $1 AND f.declined_at IS NULL AND o.flow = $2 AND o.status = ANY($3)
		ORDER BY f.offered_at, o.id`, supplierID, lifecycle.MarketplaceFlow.Name, statusNames(lifecycle.MarketplaceFlow.Feed))
	if err != nil {
		return nil, fmt.Errorf("store: feed of supplier %s: %w", supplierID, err)
	}
	items, err := pgx.CollectRows(rows, scanFeedItem)
	if err != nil {
		return nil, fmt.Errorf("store: feed of supplier %s: %w", supplierID, err)
	}
	return items, nil
}

func scanFeedItem(row pgx.CollectableRow) (FeedItem, error) {
	var it FeedItem
	var view []byte
	if err := row.Scan(&it.OrderID, &it.Status, &it.Title, &it.OfferedAt, &it.NextDeadline, &view); err != nil {
		return FeedItem{}, err
	}
	it.View = json.RawMessage(view)
	it.OfferedAt = it.OfferedAt.UTC()
	it.NextDeadline = utcOrNil(it.NextDeadline)
	return it, nil
}

func scanOffer(row pgx.Row) (Offer, error) {
	var o Offer
	err := row.Scan(&o.OrderID, &o.SupplierID, &o.Round, &o.Rank, &o.OfferedAt, &o.DeclinedAt, &o.DeclineReason)
	if err != nil {
		return Offer{}, err
	}
	o.OfferedAt = o.OfferedAt.UTC()
	o.DeclinedAt = utcOrNil(o.DeclinedAt)
	return o, nil
}

func utcOrNil(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	utc := t.UTC()
	return &utc
}

// timeOrNil lets SQL fill in now() for a zero time.
func timeOrNil(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// statusNames are statuses as the read model writes them.
func statusNames(ss []lifecycle.Status) []string {
	out := make([]string, len(ss))
	for i, st := range ss {
		out[i] = string(st)
	}
	return out
}

package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgerrcode"
	"github.com/jackc/pgx/v5"
)

// Order is one row of the read model: the order as of its latest recorded
// transition (Seq).
type Order struct {
	ID             string
	Flow           string // "member" or "marketplace"
	Status         string
	OwnerID        string
	SupplierID     string // "" when no supplier is assigned
	Title          string
	Currency       string // "" is stored as the default, EUR
	TotalCents     int64
	Overdue        bool
	NeedsAttention bool
	NextDeadline   *time.Time
	View           json.RawMessage // the workflow's order view; nil is stored as {}
	Seq            int64
	CreatedAt      time.Time
	UpdatedAt      time.Time
	// RunID is the workflow run recording the transition (RecordTransition);
	// empty when not known.
	RunID string
}

// TimelineEntry is one transition, or one refused action, of an order.
type TimelineEntry struct {
	OrderID   string
	Seq       int64
	At        time.Time
	From      string
	To        string
	Action    string
	ActorRole string
	ActorID   string
	Reason    string
	RequestID string
	Outcome   string // OutcomeApplied (the default) or OutcomeRefused
	Via       string // "" (the API or the workflow itself) or ViaSignal
}

// How a timeline entry's action reached the order, besides the API and the
// order's own steps: a Temporal signal or Temporal's cancellation request.
const (
	ViaSignal        = "signal"
	ViaCancelRequest = "cancel_request"
)

// Timeline outcomes.
const (
	OutcomeApplied = "applied"
	OutcomeRefused = "refused"
)

const defaultCurrency = "EUR"

const orderColumns = `id, flow, status, owner_id, supplier_id, title, currency, total_cents,
	overdue, needs_attention, next_deadline, view, seq, created_at, updated_at`

const timelineColumns = `order_id, seq, at, from_status, to_status, action, actor_role,
	actor_id, reason, request_id, outcome, via`

// RecordTransition stores transition entry.Seq of an order in one
// transaction: the order row takes the given state unless it already holds
// this or a later sequence (so a late retry never rolls an order back), and
// the timeline gains the entry once. Repeating a call is a no-op; recording
// the same sequence with different content returns ErrConflict.
//
// order.Seq and entry.OrderID may be left zero; they are taken from the other
// argument. Zero order timestamps default to entry.At, which is required.
func (s *Store) RecordTransition(ctx context.Context, order Order, entry TimelineEntry) error {
	order, entry, err := normalizeTransition(order, entry)
	if err != nil {
		return err
	}
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if stale, err := replaceAfterReset(ctx, tx, order, entry); err != nil || stale {
			return err
		}
		inserted, err := upsertOrder(ctx, tx, order)
		if err != nil {
			return err
		}
		if inserted {
			if err := bindPerson(ctx, tx, order); err != nil {
				return err
			}
		}
		if err := insertTimelineEntry(ctx, tx, entry); err != nil {
			return err
		}
		if order.RunID == "" {
			return nil
		}
		_, err = tx.Exec(ctx, `UPDATE orders SET run_id = $2 WHERE id = $1 AND seq = $3`, order.ID, order.RunID, order.Seq)
		return err
	})
	if err != nil {
		return fmt.Errorf("store: record transition %d of order %s: %w", entry.Seq, order.ID, err)
	}
	return nil
}

// replaceAfterReset lets a reset's new run rewrite the read model: when
// another run than the one that wrote the order records, under a sequence
// already recorded, an entry that differs from the recorded one, that run
// was replaced by a reset (a run that continued as new never reuses a
// sequence), so the recorded entries from that sequence on are dropped and
// the old run is remembered as superseded. A write of a superseded run is
// stale: it is acknowledged and changes nothing.
func replaceAfterReset(ctx context.Context, tx pgx.Tx, o Order, e TimelineEntry) (stale bool, err error) {
	if o.RunID == "" {
		return false, nil
	}
	var storedRun string
	var storedSeq int64
	var superseded bool
	err = tx.QueryRow(ctx, `
		SELECT run_id, seq, EXISTS (SELECT 1 FROM superseded_runs WHERE order_id = $1 AND run_id = $2)
		FROM orders WHERE id = $1 FOR UPDATE`, o.ID, o.RunID).Scan(&storedRun, &storedSeq, &superseded)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("read the order's run: %w", err)
	case superseded:
		return true, nil
	case storedRun == "" || storedRun == o.RunID || e.Seq > storedSeq:
		return false, nil
	}
	differs, err := timelineEntryDiffers(ctx, tx, e)
	if err != nil || !differs {
		return false, err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO superseded_runs (order_id, run_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`, o.ID, storedRun); err != nil {
		return false, fmt.Errorf("supersede run %s: %w", storedRun, err)
	}
	if _, err := tx.Exec(ctx, `DELETE FROM order_timeline WHERE order_id = $1 AND seq >= $2`, o.ID, e.Seq); err != nil {
		return false, fmt.Errorf("drop the replaced timeline: %w", err)
	}
	if _, err := tx.Exec(ctx, `UPDATE orders SET seq = $2 WHERE id = $1`, o.ID, e.Seq-1); err != nil {
		return false, fmt.Errorf("rewind the order: %w", err)
	}
	return false, nil
}

func normalizeTransition(order Order, entry TimelineEntry) (Order, TimelineEntry, error) {
	if entry.OrderID == "" {
		entry.OrderID = order.ID
	}
	if order.Seq == 0 {
		order.Seq = entry.Seq
	}
	switch {
	case order.ID == "":
		return order, entry, invalid("order id is empty")
	case entry.OrderID != order.ID:
		return order, entry, invalid("timeline entry is for order %s, not %s", entry.OrderID, order.ID)
	case entry.Seq < 0:
		return order, entry, invalid("sequence %d is negative", entry.Seq)
	case order.Seq != entry.Seq:
		return order, entry, invalid("order is at sequence %d but the entry is %d", order.Seq, entry.Seq)
	case entry.At.IsZero():
		return order, entry, invalid("timeline entry of order %s has no time", order.ID)
	case order.View != nil && !json.Valid(order.View):
		return order, entry, invalid("view of order %s is not valid JSON", order.ID)
	}
	if entry.Outcome == "" {
		entry.Outcome = OutcomeApplied
	}
	if order.Currency == "" {
		order.Currency = defaultCurrency
	}
	if len(order.View) == 0 {
		order.View = json.RawMessage(`{}`)
	}
	if order.CreatedAt.IsZero() {
		order.CreatedAt = entry.At
	}
	if order.UpdatedAt.IsZero() {
		order.UpdatedAt = entry.At
	}
	return order, entry, nil
}

func orderArgs(o Order) []any {
	return []any{o.ID, o.Flow, o.Status, o.OwnerID, nullIfEmpty(o.SupplierID), o.Title, o.Currency,
		o.TotalCents, o.Overdue, o.NeedsAttention, o.NextDeadline, string(o.View), o.Seq, o.CreatedAt, o.UpdatedAt}
}

// upsertOrder writes o unless a later sequence is stored; inserted: the
// order's first record.
func upsertOrder(ctx context.Context, tx pgx.Tx, o Order) (inserted bool, err error) {
	err = tx.QueryRow(ctx, `
		INSERT INTO orders (`+orderColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12::jsonb, $13, $14, $15)
		ON CONFLICT (id) DO UPDATE SET
			flow = EXCLUDED.flow, status = EXCLUDED.status, owner_id = EXCLUDED.owner_id,
			supplier_id = EXCLUDED.supplier_id, title = EXCLUDED.title, currency = EXCLUDED.currency,
			total_cents = EXCLUDED.total_cents, overdue = EXCLUDED.overdue,
			needs_attention = EXCLUDED.needs_attention, next_deadline = EXCLUDED.next_deadline,
			view = EXCLUDED.view, seq = EXCLUDED.seq, created_at = EXCLUDED.created_at,
			updated_at = EXCLUDED.updated_at
		WHERE orders.seq < EXCLUDED.seq
		RETURNING xmax = 0`, orderArgs(o)...).Scan(&inserted)
	switch {
	case errors.Is(err, pgx.ErrNoRows): // a later or the same sequence is stored
		return false, checkSameOrderState(ctx, tx, o)
	case pgCode(err) == pgerrcode.CheckViolation: // an unknown flow
		return false, invalid("order %s: %v", o.ID, err)
	case err != nil:
		return false, fmt.Errorf("upsert order: %w", err)
	}
	return inserted, nil
}

// checkSameOrderState runs when the stored order is at o.Seq or later. At a
// later sequence there is nothing to compare against; at the same sequence
// the stored state must be exactly o. Comparing in SQL keeps the comparison
// exact for jsonb (key order, spacing) and for timestamps (microseconds).
func checkSameOrderState(ctx context.Context, tx pgx.Tx, o Order) error {
	var differs bool
	err := tx.QueryRow(ctx, `
		SELECT seq = $13 AND (flow, status, owner_id, supplier_id, title, currency, total_cents,
			overdue, needs_attention, next_deadline, view, created_at, updated_at)
			IS DISTINCT FROM
			($2::text, $3::text, $4::text, $5::text, $6::text, $7::text, $8::bigint,
			$9::boolean, $10::boolean, $11::timestamptz, $12::jsonb, $14::timestamptz, $15::timestamptz)
		FROM orders WHERE id = $1`, orderArgs(o)...).Scan(&differs)
	if err != nil {
		return fmt.Errorf("compare order: %w", err)
	}
	if differs {
		return fmt.Errorf("%w: order state at this sequence was already recorded with different content (is the workflow deterministic?)", ErrConflict)
	}
	return nil
}

func timelineArgs(e TimelineEntry) []any {
	return []any{e.OrderID, e.Seq, e.At, e.From, e.To, e.Action, e.ActorRole, e.ActorID, e.Reason, e.RequestID, e.Outcome, e.Via}
}

func insertTimelineEntry(ctx context.Context, tx pgx.Tx, e TimelineEntry) error {
	tag, err := tx.Exec(ctx, `
		INSERT INTO order_timeline (`+timelineColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
		ON CONFLICT (order_id, seq) DO NOTHING`, timelineArgs(e)...)
	if err != nil {
		if pgCode(err) == pgerrcode.CheckViolation { // an unknown outcome
			return invalid("timeline entry: %v", err)
		}
		return fmt.Errorf("insert timeline entry: %w", err)
	}
	if tag.RowsAffected() == 1 {
		return nil
	}
	differs, err := timelineEntryDiffers(ctx, tx, e)
	if err != nil {
		return err
	}
	if differs {
		return fmt.Errorf("%w: timeline entry at this sequence was already recorded with different content (is the workflow deterministic?)", ErrConflict)
	}
	return nil
}

// timelineEntryDiffers reports whether the order's recorded entry at e.Seq
// differs from e (false when there is none).
func timelineEntryDiffers(ctx context.Context, tx pgx.Tx, e TimelineEntry) (bool, error) {
	var differs bool
	err := tx.QueryRow(ctx, `
		SELECT (at, from_status, to_status, action, actor_role, actor_id, reason, request_id, outcome, via)
			IS DISTINCT FROM
			($3::timestamptz, $4::text, $5::text, $6::text, $7::text, $8::text, $9::text, $10::text, $11::text, $12::text)
		FROM order_timeline WHERE order_id = $1 AND seq = $2`, timelineArgs(e)...).Scan(&differs)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("compare timeline entry: %w", err)
	}
	return differs, nil
}

// OrderFlow is the flow of the order, or ErrNotFound: all the API needs to
// send an action straight to the order (a flow never changes).
func (s *Store) OrderFlow(ctx context.Context, id string) (string, error) {
	var flow string
	err := s.pool.QueryRow(ctx, `SELECT flow FROM orders WHERE id = $1`, id).Scan(&flow)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", fmt.Errorf("store: order %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return "", fmt.Errorf("store: flow of order %s: %w", id, err)
	}
	return flow, nil
}

// GetOrder returns the order as last recorded, or ErrNotFound.
func (s *Store) GetOrder(ctx context.Context, id string) (Order, error) {
	row := s.pool.QueryRow(ctx, `SELECT `+orderColumns+` FROM orders WHERE id = $1`, id)
	o, err := scanOrder(row)
	if errors.Is(err, pgx.ErrNoRows) {
		return Order{}, fmt.Errorf("store: order %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return Order{}, fmt.Errorf("store: get order %s: %w", id, err)
	}
	return o, nil
}

// Timeline returns every recorded entry of an order, oldest first; an unknown
// order has an empty timeline.
func (s *Store) Timeline(ctx context.Context, orderID string) ([]TimelineEntry, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+timelineColumns+` FROM order_timeline WHERE order_id = $1 ORDER BY seq`, orderID)
	if err != nil {
		return nil, fmt.Errorf("store: timeline of order %s: %w", orderID, err)
	}
	entries, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (TimelineEntry, error) {
		var e TimelineEntry
		err := row.Scan(&e.OrderID, &e.Seq, &e.At, &e.From, &e.To, &e.Action, &e.ActorRole,
			&e.ActorID, &e.Reason, &e.RequestID, &e.Outcome, &e.Via)
		e.At = e.At.UTC()
		return e, err
	})
	if err != nil {
		return nil, fmt.Errorf("store: timeline of order %s: %w", orderID, err)
	}
	return entries, nil
}

func scanOrder(row pgx.Row) (Order, error) {
	var o Order
	var supplierID *string
	var view []byte
	err := row.Scan(&o.ID, &o.Flow, &o.Status, &o.OwnerID, &supplierID, &o.Title, &o.Currency,
		&o.TotalCents, &o.Overdue, &o.NeedsAttention, &o.NextDeadline, &view, &o.Seq, &o.CreatedAt, &o.UpdatedAt)
	if err != nil {
		return Order{}, err
	}
	o.SupplierID = deref(supplierID)
	o.View = json.RawMessage(view)
	o.CreatedAt, o.UpdatedAt = o.CreatedAt.UTC(), o.UpdatedAt.UTC()
	if o.NextDeadline != nil {
		utc := o.NextDeadline.UTC()
		o.NextDeadline = &utc
	}
	return o, nil
}

func nullIfEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

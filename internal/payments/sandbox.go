package payments

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgerrcode"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/oklog/ulid/v2"

	"github.com/orderflow/orderflow/internal/linktoken"
	"github.com/orderflow/orderflow/internal/money"
)

const (
	paymentIDPrefix = "pay_"
	refundIDPrefix  = "re_"
	eventIDPrefix   = "evt_"
)

// Sandbox is the built-in payment provider: links to its own pay page,
// payments taken there, refunds recorded, each reported as a webhook event
// through the payment_events outbox.
type Sandbox struct {
	pool      *pgxpool.Pool
	publicURL string
	links     linktoken.Signer
	hasSecret bool
	now       func() time.Time // replaced in tests
}

var _ Provider = (*Sandbox)(nil)

// NewSandbox returns the sandbox provider. Pay links are publicURL +
// "/pay/" + token. The link tokens are signed with a key derived from
// secret (the webhook secret, ORDERFLOW_PAYMENT_WEBHOOK_SECRET), so one
// configured secret serves both; changing it invalidates outstanding links.
func NewSandbox(pool *pgxpool.Pool, publicURL string, secret []byte) *Sandbox {
	return &Sandbox{
		pool:      pool,
		publicURL: strings.TrimRight(publicURL, "/"),
		links:     linkSigner(secret),
		hasSecret: len(secret) > 0,
		now:       time.Now,
	}
}

// PaymentView is what the pay page shows about a payment.
type PaymentView struct {
	PaymentID   string
	OrderID     string
	Description string
	Amount      money.Amount
	Currency    string
	Status      string // StatusCreated, StatusPaid or StatusCancelled
	ExpiresAt   time.Time
	PaidAt      time.Time    // zero unless paid
	Refunded    money.Amount // the sum of its refunds
}

// Paid reports whether the customer has paid.
func (v PaymentView) Paid() bool { return v.Status == StatusPaid }

// CreateLink makes a payment link, or returns the one Key already made.
func (s *Sandbox) CreateLink(ctx context.Context, r LinkRequest) (Link, error) {
	if err := s.ready(); err != nil {
		return Link{}, err
	}
	if err := validateLinkRequest(r); err != nil {
		return Link{}, err
	}
	id := newID(paymentIDPrefix)
	var expiresAt time.Time
	err := s.pool.QueryRow(ctx, `
		INSERT INTO payments (id, order_id, idempotency_key, amount_cents, currency, description,
			customer_email, token_hash, status, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'created', $9, $10)
		ON CONFLICT (idempotency_key) DO NOTHING
		RETURNING expires_at`,
		id, r.OrderID, r.Key, int64(r.Amount), r.Currency, r.Description, r.CustomerEmail,
		linktoken.Hash(s.links.Token(id)), s.clock(), r.ExpiresAt).Scan(&expiresAt)
	if err == nil {
		return s.link(id, expiresAt), nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return Link{}, fmt.Errorf("payments: create link for order %s: %w", r.OrderID, err)
	}
	// The key made a link before (ON CONFLICT waited for it to commit).
	existing, err := scanPayment(s.pool.QueryRow(ctx, `SELECT `+paymentColumns+` FROM payments WHERE idempotency_key = $1`, r.Key))
	if err != nil {
		return Link{}, fmt.Errorf("payments: create link for order %s: read the link of key %s: %w", r.OrderID, r.Key, err)
	}
	if existing.OrderID != r.OrderID || existing.Amount != r.Amount || existing.Currency != r.Currency {
		return Link{}, fmt.Errorf("payments: create link: %w: %w: key %s made a link for order %s, %s %s",
			ErrInvalid, ErrKeyConflict, r.Key, existing.OrderID, existing.Amount, existing.Currency)
	}
	l := s.link(existing.PaymentID, existing.ExpiresAt)
	l.Paid = existing.Paid()
	return l, nil
}

func (s *Sandbox) link(paymentID string, expiresAt time.Time) Link {
	return Link{
		PaymentID: paymentID,
		URL:       s.payPage(paymentID),
		ExpiresAt: expiresAt.UTC(),
	}
}

// LinkURL is the pay page of paymentID; its token is derived from the id.
func (s *Sandbox) LinkURL(_ context.Context, paymentID string) (string, error) {
	return s.payPage(paymentID), nil
}

func (s *Sandbox) payPage(paymentID string) string {
	return s.publicURL + "/pay/" + s.links.Token(paymentID)
}

// CancelLink makes a link refuse payment from now on.
func (s *Sandbox) CancelLink(ctx context.Context, paymentID string) error {
	// One statement: it waits for a Pay holding the row, then sees its outcome.
	tag, err := s.pool.Exec(ctx, `
		UPDATE payments SET status = 'cancelled', cancelled_at = $2
		WHERE id = $1 AND status = 'created'`, paymentID, s.clock())
	if err != nil {
		return fmt.Errorf("payments: cancel %s: %w", paymentID, err)
	}
	if tag.RowsAffected() == 1 {
		return nil
	}
	p, err := s.Payment(ctx, paymentID)
	switch {
	case err != nil:
		return fmt.Errorf("payments: cancel: %w", err)
	case p.Status == StatusPaid:
		return fmt.Errorf("payments: cancel %s: %w (on %s); refund it instead", paymentID, ErrAlreadyPaid, p.PaidAt.Format(time.RFC3339))
	default:
		return nil // already cancelled
	}
}

// Payment returns a payment by id.
func (s *Sandbox) Payment(ctx context.Context, paymentID string) (PaymentView, error) {
	p, err := scanPayment(s.pool.QueryRow(ctx, `SELECT `+paymentColumns+` FROM payments WHERE id = $1`, paymentID))
	if errors.Is(err, pgx.ErrNoRows) {
		return PaymentView{}, fmt.Errorf("%w: %s", ErrNotFound, paymentID)
	}
	if err != nil {
		return PaymentView{}, fmt.Errorf("payments: read %s: %w", paymentID, err)
	}
	return p, nil
}

// View returns what the pay page of token shows. A tampered token is
// ErrLinkTampered, one without a payment ErrNotFound. For a link that can
// no longer be paid (ErrLinkExpired, ErrLinkCancelled) the view comes with
// the error, so the page can still name the order. A paid payment is no
// error, however late: the page shows that it was paid.
func (s *Sandbox) View(ctx context.Context, token string) (PaymentView, error) {
	if err := s.ready(); err != nil {
		return PaymentView{}, err
	}
	p, err := s.lookup(ctx, s.pool, token, false)
	if err != nil {
		return PaymentView{}, err
	}
	if p.Status != StatusPaid {
		if err := p.payable(s.clock()); err != nil {
			return p, err
		}
	}
	return p, nil
}

// Pay takes the payment of token and records its payment.succeeded event,
// in one transaction. Paying a paid payment returns the event of the first
// payment and records nothing.
func (s *Sandbox) Pay(ctx context.Context, token string) (Event, error) {
	if err := s.ready(); err != nil {
		return Event{}, err
	}
	var event Event
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		p, err := s.lookup(ctx, tx, token, true)
		if err != nil {
			return err
		}
		if p.Status == StatusPaid {
			event, err = successEvent(ctx, tx, p.PaymentID)
			return err
		}
		now := s.clock()
		if err := p.payable(now); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE payments SET status = 'paid', paid_at = $2 WHERE id = $1`, p.PaymentID, now); err != nil {
			return fmt.Errorf("payments: mark %s paid: %w", p.PaymentID, err)
		}
		event = newEvent(EventPaymentSucceeded, now, EventData{
			PaymentID: p.PaymentID, OrderID: p.OrderID, Amount: p.Amount, Currency: p.Currency,
		})
		return insertEvent(ctx, tx, event)
	})
	if err != nil {
		return Event{}, err
	}
	return event, nil
}

// Refund pays back part or all of a payment, or returns the refund Key
// already made.
func (s *Sandbox) Refund(ctx context.Context, r RefundRequest) (Refund, error) {
	if err := validateRefundRequest(r); err != nil {
		return Refund{}, err
	}
	refund, err := s.refundOnce(ctx, r)
	if isUniqueViolation(err) {
		// The same key raced in for another payment and committed first; a
		// second pass finds its refund and reports the conflict.
		refund, err = s.refundOnce(ctx, r)
	}
	return refund, err
}

func (s *Sandbox) refundOnce(ctx context.Context, r RefundRequest) (Refund, error) {
	var refund Refund
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var found bool
		var err error
		if refund, found, err = refundByKey(ctx, tx, r); found || err != nil {
			return err
		}
		p, err := lockPayment(ctx, tx, r.PaymentID)
		if err != nil {
			return err
		}
		// Look again under the payment's lock: a racing call with the same key
		// may have committed while this one waited.
		if refund, found, err = refundByKey(ctx, tx, r); found || err != nil {
			return err
		}
		if err := refundable(p, r); err != nil {
			return err
		}
		refund = Refund{RefundID: newID(refundIDPrefix), PaymentID: p.PaymentID, Amount: r.Amount, At: s.clock()}
		return insertRefund(ctx, tx, r, refund, p)
	})
	if err != nil {
		return Refund{}, err
	}
	return refund, nil
}

// refundable checks a new refund against its payment, whose refunded total
// was read under the payment's lock.
func refundable(p PaymentView, r RefundRequest) error {
	if p.OrderID != r.OrderID {
		return fmt.Errorf("payments: refund %s: %w: payment %s belongs to order %s, not %s", r.Key, ErrInvalid, p.PaymentID, p.OrderID, r.OrderID)
	}
	if p.Status != StatusPaid {
		return fmt.Errorf("payments: refund %s: %w: payment %s is %s", r.Key, ErrNotPaid, p.PaymentID, p.Status)
	}
	if left := p.Amount - p.Refunded; r.Amount > left {
		return fmt.Errorf("payments: refund %s of %s: %w: paid %s, already refunded %s, at most %s left",
			r.Key, r.Amount, ErrRefundExceedsPayment, p.Amount, p.Refunded, left)
	}
	return nil
}

func insertRefund(ctx context.Context, tx pgx.Tx, r RefundRequest, refund Refund, p PaymentView) error {
	_, err := tx.Exec(ctx, `
		INSERT INTO refunds (id, payment_id, order_id, idempotency_key, amount_cents, reason, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		refund.RefundID, refund.PaymentID, p.OrderID, r.Key, int64(refund.Amount), r.Reason, refund.At)
	if err != nil {
		return fmt.Errorf("payments: record refund %s: %w", r.Key, err)
	}
	return insertEvent(ctx, tx, newEvent(EventRefundSucceeded, refund.At, EventData{
		PaymentID: p.PaymentID, OrderID: p.OrderID, Amount: refund.Amount, Currency: p.Currency, RefundID: refund.RefundID,
	}))
}

func refundByKey(ctx context.Context, tx pgx.Tx, r RefundRequest) (Refund, bool, error) {
	var refund Refund
	var orderID string
	var cents int64
	err := tx.QueryRow(ctx, `SELECT id, payment_id, order_id, amount_cents, created_at FROM refunds WHERE idempotency_key = $1`, r.Key).
		Scan(&refund.RefundID, &refund.PaymentID, &orderID, &cents, &refund.At)
	if errors.Is(err, pgx.ErrNoRows) {
		return Refund{}, false, nil
	}
	if err != nil {
		return Refund{}, false, fmt.Errorf("payments: read refund %s: %w", r.Key, err)
	}
	refund.Amount, refund.At = money.Amount(cents), refund.At.UTC()
	if refund.PaymentID != r.PaymentID || orderID != r.OrderID || refund.Amount != r.Amount {
		return Refund{}, true, fmt.Errorf("payments: refund: %w: %w: key %s refunded %s of payment %s (order %s)",
			ErrInvalid, ErrKeyConflict, r.Key, refund.Amount, refund.PaymentID, orderID)
	}
	return refund, true, nil
}

// lockPayment locks a payment, then reads it. Two statements on purpose: a
// statement sees the data as of its start, so the refunded sum must be read
// after the lock is held, or a refund committed while waiting would be missed.
func lockPayment(ctx context.Context, tx pgx.Tx, paymentID string) (PaymentView, error) {
	_, err := tx.Exec(ctx, `SELECT 1 FROM payments WHERE id = $1 FOR UPDATE`, paymentID)
	if err != nil {
		return PaymentView{}, fmt.Errorf("payments: lock %s: %w", paymentID, err)
	}
	p, err := scanPayment(tx.QueryRow(ctx, `SELECT `+paymentColumns+` FROM payments WHERE id = $1`, paymentID))
	if errors.Is(err, pgx.ErrNoRows) {
		return PaymentView{}, fmt.Errorf("%w: %s", ErrNotFound, paymentID)
	}
	if err != nil {
		return PaymentView{}, fmt.Errorf("payments: read %s: %w", paymentID, err)
	}
	return p, nil
}

type queryRower interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// lookup finds the payment of a link token, locking it when forUpdate.
func (s *Sandbox) lookup(ctx context.Context, q queryRower, token string, forUpdate bool) (PaymentView, error) {
	paymentID, err := s.checkToken(token)
	if err != nil {
		return PaymentView{}, err
	}
	sql := `SELECT ` + paymentColumns + ` FROM payments WHERE token_hash = $1`
	if forUpdate {
		sql += ` FOR UPDATE`
	}
	p, err := scanPayment(q.QueryRow(ctx, sql, linktoken.Hash(token)))
	if errors.Is(err, pgx.ErrNoRows) {
		return PaymentView{}, fmt.Errorf("%w: no payment %s", ErrNotFound, paymentID)
	}
	if err != nil {
		return PaymentView{}, fmt.Errorf("payments: find the payment of link %s: %w", paymentID, err)
	}
	return p, nil
}

// payable says why an unpaid payment cannot be paid at now, if it cannot.
func (p PaymentView) payable(now time.Time) error {
	switch {
	case p.Status == StatusCancelled:
		return fmt.Errorf("%w: payment %s of order %s", ErrLinkCancelled, p.PaymentID, p.OrderID)
	case !now.Before(p.ExpiresAt):
		return fmt.Errorf("%w: payment %s of order %s expired at %s", ErrLinkExpired, p.PaymentID, p.OrderID, p.ExpiresAt.Format(time.RFC3339))
	}
	return nil
}

const paymentColumns = `id, order_id, description, amount_cents, currency, status, expires_at, paid_at,
	(SELECT COALESCE(sum(r.amount_cents), 0) FROM refunds r WHERE r.payment_id = payments.id)::bigint`

func scanPayment(row pgx.Row) (PaymentView, error) {
	var p PaymentView
	var amount, refunded int64
	var paidAt *time.Time
	if err := row.Scan(&p.PaymentID, &p.OrderID, &p.Description, &amount, &p.Currency, &p.Status, &p.ExpiresAt, &paidAt, &refunded); err != nil {
		return PaymentView{}, err
	}
	p.Amount, p.Refunded, p.ExpiresAt = money.Amount(amount), money.Amount(refunded), p.ExpiresAt.UTC()
	if paidAt != nil {
		p.PaidAt = paidAt.UTC()
	}
	return p, nil
}

func newEvent(eventType string, at time.Time, data EventData) Event {
	return Event{ID: newID(eventIDPrefix), Type: eventType, Created: at.UTC().Truncate(time.Second), Data: data}
}

func insertEvent(ctx context.Context, tx pgx.Tx, e Event) error {
	payload, err := e.MarshalJSON()
	if err != nil {
		return fmt.Errorf("payments: encode event %s: %w", e.ID, err)
	}
	var refundID *string
	if e.Data.RefundID != "" {
		refundID = &e.Data.RefundID
	}
	_, err = tx.Exec(ctx, `
		INSERT INTO payment_events (id, type, payment_id, order_id, refund_id, payload, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		e.ID, e.Type, e.Data.PaymentID, e.Data.OrderID, refundID, payload, e.Created)
	if err != nil {
		return fmt.Errorf("payments: record event %s for payment %s: %w", e.Type, e.Data.PaymentID, err)
	}
	return nil
}

func successEvent(ctx context.Context, tx pgx.Tx, paymentID string) (Event, error) {
	var payload []byte
	err := tx.QueryRow(ctx, `SELECT payload FROM payment_events WHERE payment_id = $1 AND type = $2`,
		paymentID, EventPaymentSucceeded).Scan(&payload)
	if err != nil {
		return Event{}, fmt.Errorf("payments: read the payment event of %s: %w", paymentID, err)
	}
	return ParseEvent(payload)
}

// clock is now as Postgres stores it (microseconds), so that what a call
// returns equals what a retry reads back.
func (s *Sandbox) clock() time.Time {
	return s.now().UTC().Truncate(time.Microsecond)
}

func (s *Sandbox) ready() error {
	if !s.hasSecret {
		return fmt.Errorf("payments: %w: set ORDERFLOW_PAYMENT_WEBHOOK_SECRET", ErrNoSecret)
	}
	return nil
}

func newID(prefix string) string {
	return prefix + ulid.Make().String()
}

func isUniqueViolation(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == pgerrcode.UniqueViolation
}

package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgerrcode"
	"github.com/jackc/pgx/v5"
)

// Email statuses. "sending" is claimed with an unknown outcome, "failed"
// definitely not sent (may be claimed again), "sent" final.
const (
	EmailSending = "sending"
	EmailSent    = "sent"
	EmailFailed  = "failed"
)

// Email is one row of the outbox: at most one send per key, and per
// (order, purpose, recipient).
type Email struct {
	Key               string
	OrderID           string
	Purpose           string
	Recipient         string
	Subject           string
	Status            string
	ProviderMessageID string
	LastError         string
	Attempts          int
	CreatedAt         time.Time
	SentAt            *time.Time
}

const emailColumns = `idempotency_key, order_id, purpose, recipient, subject, status,
	provider_message_id, attempts, last_error, created_at, sent_at`

// ClaimEmail reserves the right to send e, atomically. A new key is inserted
// as "sending" with one attempt; a "failed" one goes back to "sending" with
// one more attempt; both return claimed=true. A "sending" or "sent" email is
// returned as it is with claimed=false: "sending" means an earlier attempt's
// outcome is unknown, and the caller decides. Of concurrent claims of one
// key exactly one wins. The same key for another order, purpose or recipient,
// or another key for the same triple, returns ErrConflict.
func (s *Store) ClaimEmail(ctx context.Context, e Email) (current Email, claimed bool, err error) {
	if err := requireFields("email", "key", e.Key, "order id", e.OrderID, "purpose", e.Purpose, "recipient", e.Recipient); err != nil {
		return Email{}, false, err
	}
	// One statement: the unique key serialises racing claims, and the WHERE
	// lets only a failed email (of the same identity) be claimed again.
	row := s.pool.QueryRow(ctx, `
		INSERT INTO emails (idempotency_key, order_id, purpose, recipient, subject, status, attempts)
		VALUES ($1, $2, $3, $4, $5, 'sending', 1)
		ON CONFLICT (idempotency_key) DO UPDATE SET status = 'sending', attempts = emails.attempts + 1
		WHERE emails.status = 'failed' AND emails.order_id = EXCLUDED.order_id
			AND emails.purpose = EXCLUDED.purpose AND emails.recipient = EXCLUDED.recipient
		RETURNING `+emailColumns, e.Key, e.OrderID, e.Purpose, e.Recipient, e.Subject)
	current, err = scanEmail(row)
	switch {
	case err == nil:
		return current, true, nil
	case pgCode(err) == pgerrcode.UniqueViolation:
		// Either another key covers this (order, purpose, recipient), or a
		// racing claim of this very key committed first and tripped the
		// triple's index before the key's: only the key's row tells which.
		if _, getErr := s.GetEmail(ctx, e.Key); errors.Is(getErr, ErrNotFound) {
			return Email{}, false, fmt.Errorf("store: claim email %s: %w: another key already covers %s to %s for order %s",
				e.Key, ErrConflict, e.Purpose, e.Recipient, e.OrderID)
		}
	case !errors.Is(err, pgx.ErrNoRows):
		return Email{}, false, fmt.Errorf("store: claim email %s: %w", e.Key, err)
	}
	current, err = s.GetEmail(ctx, e.Key)
	if err != nil {
		return Email{}, false, err
	}
	if current.OrderID != e.OrderID || current.Purpose != e.Purpose || current.Recipient != e.Recipient {
		return current, false, fmt.Errorf("store: claim email %s: %w: the key is taken by %s to %s for order %s",
			e.Key, ErrConflict, current.Purpose, current.Recipient, current.OrderID)
	}
	return current, false, nil
}

// MarkEmailSent records the provider's acceptance of a claimed email. Marking
// it sent again with the same message id is a no-op; any other transition
// out of a state other than "sending" returns ErrConflict. A zero at means now.
func (s *Store) MarkEmailSent(ctx context.Context, key, providerMessageID string, at time.Time) error {
	var sentAt *time.Time
	if !at.IsZero() {
		sentAt = &at
	}
	tag, err := s.pool.Exec(ctx, `
		UPDATE emails SET status = 'sent', provider_message_id = $2, sent_at = COALESCE($3, now())
		WHERE idempotency_key = $1 AND status = 'sending'`, key, nullIfEmpty(providerMessageID), sentAt)
	if err != nil {
		return fmt.Errorf("store: mark email %s sent: %w", key, err)
	}
	if tag.RowsAffected() == 1 {
		return nil
	}
	current, err := s.GetEmail(ctx, key)
	if err != nil {
		return err
	}
	if current.Status == EmailSent && current.ProviderMessageID == providerMessageID {
		return nil
	}
	return fmt.Errorf("store: mark email %s sent: %w: it is %s (provider message %q)", key, ErrConflict, current.Status, current.ProviderMessageID)
}

// MarkEmailFailed records that a claimed email was definitely not sent, so a
// later claim may try again. An email already failed stays failed (no-op);
// a sent one returns ErrConflict.
func (s *Store) MarkEmailFailed(ctx context.Context, key, reason string) error {
	tag, err := s.pool.Exec(ctx, `
		UPDATE emails SET status = 'failed', last_error = $2
		WHERE idempotency_key = $1 AND status = 'sending'`, key, reason)
	if err != nil {
		return fmt.Errorf("store: mark email %s failed: %w", key, err)
	}
	if tag.RowsAffected() == 1 {
		return nil
	}
	current, err := s.GetEmail(ctx, key)
	if err != nil {
		return err
	}
	if current.Status == EmailFailed {
		return nil
	}
	return fmt.Errorf("store: mark email %s failed: %w: it is %s", key, ErrConflict, current.Status)
}

// GetEmail returns the outbox row of key, or ErrNotFound.
func (s *Store) GetEmail(ctx context.Context, key string) (Email, error) {
	e, err := scanEmail(s.pool.QueryRow(ctx, `SELECT `+emailColumns+` FROM emails WHERE idempotency_key = $1`, key))
	if errors.Is(err, pgx.ErrNoRows) {
		return Email{}, fmt.Errorf("store: email %s: %w", key, ErrNotFound)
	}
	if err != nil {
		return Email{}, fmt.Errorf("store: get email %s: %w", key, err)
	}
	return e, nil
}

// ListEmails returns the emails of an order, oldest first.
func (s *Store) ListEmails(ctx context.Context, orderID string) ([]Email, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+emailColumns+` FROM emails WHERE order_id = $1
		ORDER BY created_at, idempotency_key`, orderID)
	if err != nil {
		return nil, fmt.Errorf("store: emails of order %s: %w", orderID, err)
	}
	emails, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Email, error) { return scanEmail(row) })
	if err != nil {
		return nil, fmt.Errorf("store: emails of order %s: %w", orderID, err)
	}
	return emails, nil
}

func scanEmail(row pgx.Row) (Email, error) {
	var e Email
	var providerID *string
	err := row.Scan(&e.Key, &e.OrderID, &e.Purpose, &e.Recipient, &e.Subject, &e.Status,
		&providerID, &e.Attempts, &e.LastError, &e.CreatedAt, &e.SentAt)
	if err != nil {
		return Email{}, err
	}
	e.ProviderMessageID = deref(providerID)
	e.CreatedAt = e.CreatedAt.UTC()
	if e.SentAt != nil {
		utc := e.SentAt.UTC()
		e.SentAt = &utc
	}
	return e, nil
}

package payments

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/orderflow/orderflow/internal/money"
)

// Held is what the provider holds of a payment: paid and not refunded.
func (v PaymentView) Held() money.Amount {
	if !v.Paid() {
		return 0
	}
	return v.Amount - v.Refunded
}

// Open reports whether the payment's link can still be paid at now: neither
// paid, cancelled nor expired.
func (v PaymentView) Open(now time.Time) bool {
	return v.Status == StatusCreated && now.Before(v.ExpiresAt)
}

// PaymentsOfOrder lists an order's payments, oldest first, with what each
// has refunded: what the provider holds for an order whose workflow can no
// longer say (docs/runbook.md, "An order whose workflow ended abnormally").
func (s *Sandbox) PaymentsOfOrder(ctx context.Context, orderID string) ([]PaymentView, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+paymentColumns+` FROM payments WHERE order_id = $1 ORDER BY created_at, id`, orderID)
	if err != nil {
		return nil, fmt.Errorf("payments: payments of order %s: %w", orderID, err)
	}
	views, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (PaymentView, error) { return scanPayment(row) })
	if err != nil {
		return nil, fmt.Errorf("payments: payments of order %s: %w", orderID, err)
	}
	return views, nil
}

// RefundOfKey returns the refund made with an idempotency key, or ErrNotFound.
func (s *Sandbox) RefundOfKey(ctx context.Context, key string) (Refund, error) {
	var r Refund
	var cents int64
	err := s.pool.QueryRow(ctx, `SELECT id, payment_id, amount_cents, created_at FROM refunds WHERE idempotency_key = $1`, key).
		Scan(&r.RefundID, &r.PaymentID, &cents, &r.At)
	if errors.Is(err, pgx.ErrNoRows) {
		return Refund{}, fmt.Errorf("%w: no refund with key %s", ErrNotFound, key)
	}
	if err != nil {
		return Refund{}, fmt.Errorf("payments: read refund %s: %w", key, err)
	}
	r.Amount, r.At = money.Amount(cents), r.At.UTC()
	return r, nil
}

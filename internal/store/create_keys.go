package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// ClaimCreateKey records fingerprint as the body that creates order id
// under an Idempotency-Key, unless a body was recorded first, and reports
// whether fingerprint is the recorded one. The order's workflow keeps the
// fingerprint too, but only until Temporal's retention purges it.
func (s *Store) ClaimCreateKey(ctx context.Context, orderID, fingerprint string) (bool, error) {
	for range 2 {
		var first string
		// The claim and the read in one statement: the SELECT sees the
		// table as the statement began, so it finds a record made before,
		// and the INSERT's RETURNING the one it makes.
		err := s.pool.QueryRow(ctx, `
			WITH claimed AS (
				INSERT INTO create_keys (order_id, fingerprint) VALUES ($1, $2)
				ON CONFLICT (order_id) DO NOTHING RETURNING fingerprint)
			SELECT fingerprint FROM claimed
			UNION ALL SELECT fingerprint FROM create_keys WHERE order_id = $1
			LIMIT 1`, orderID, fingerprint).Scan(&first)
		if errors.Is(err, pgx.ErrNoRows) {
			continue // a racing claim committed after this statement began: read it again
		}
		if err != nil {
			return false, fmt.Errorf("store: claim the create key of %s: %w", orderID, err)
		}
		return first == fingerprint, nil
	}
	return false, fmt.Errorf("store: claim the create key of %s: no record after two tries", orderID)
}

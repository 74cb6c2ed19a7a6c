package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// CreateKey is what ClaimCreateKey found: whether the body is the one
// the key was first used with, and whether the read model has recorded an
// order under the key's id.
type CreateKey struct {
	SameBody, OrderRecorded bool
}

// ClaimCreateKey records fingerprint as the body that creates order id
// under an Idempotency-Key, unless a body was recorded first, and says
// whether fingerprint is the recorded one and whether the order was
// recorded. The order's workflow keeps the fingerprint too, but only until
// Temporal's retention purges it.
func (s *Store) ClaimCreateKey(ctx context.Context, orderID, fingerprint string) (CreateKey, error) {
	for range 2 {
		var first string
		var k CreateKey
		// The claim and the read in one statement: the SELECT sees the
		// table as the statement began, so it finds a record made before,
		// and the INSERT's RETURNING the one it makes.
		err := s.pool.QueryRow(ctx, `
			WITH claimed AS (
				INSERT INTO create_keys (order_id, fingerprint) VALUES ($1, $2)
				ON CONFLICT (order_id) DO NOTHING RETURNING fingerprint),
			first AS (
				SELECT fingerprint FROM claimed
				UNION ALL SELECT fingerprint FROM create_keys WHERE order_id = $1
				LIMIT 1)
			SELECT fingerprint, EXISTS (SELECT 1 FROM orders WHERE id = $1) FROM first`,
			orderID, fingerprint).Scan(&first, &k.OrderRecorded)
		if errors.Is(err, pgx.ErrNoRows) {
			continue // a racing claim committed after this statement began: read it again
		}
		if err != nil {
			return CreateKey{}, fmt.Errorf("store: claim the create key of %s: %w", orderID, err)
		}
		k.SameBody = first == fingerprint
		return k, nil
	}
	return CreateKey{}, fmt.Errorf("store: claim the create key of %s: no record after two tries", orderID)
}

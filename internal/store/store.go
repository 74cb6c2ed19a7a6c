// Package store is the Postgres read model: orders and their timelines,
// documents, the email outbox, suppliers and gapless document numbers.
//
// Temporal workflows own the truth. The store is written only by activities,
// and every write is keyed deterministically (order id and transition
// sequence, document id, email key, number key), so an activity retried any
// number of times, or two workers racing, leave exactly one effect. A write
// that reuses a key with different content is refused with ErrConflict: it
// means a non-deterministic caller, and retrying will not help.
package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

var (
	// ErrNotFound: the requested row does not exist (or is not visible under the given parent).
	ErrNotFound = errors.New("store: not found")
	// ErrConflict: the key is already taken by different content. Not retryable.
	ErrConflict = errors.New("store: conflict")
	// ErrInvalid: the input cannot be stored as given. Not retryable.
	ErrInvalid = errors.New("store: invalid input")
	// ErrInvalidCursor: a list cursor that this store did not issue for this
	// filter (tampered, truncated or reused with other filters); an API
	// answers it with 400.
	ErrInvalidCursor = errors.New("store: invalid cursor")
)

// Store reads and writes the read model through one connection pool.
type Store struct {
	pool *pgxpool.Pool
}

// New returns a Store on pool. The caller keeps ownership of the pool.
func New(pool *pgxpool.Pool) *Store {
	return &Store{pool: pool}
}

// Pool is the underlying pool, for callers that run their own transaction
// around store functions taking a pgx.Tx (AssignNumberTx).
func (s *Store) Pool() *pgxpool.Pool {
	return s.pool
}

// Ping checks that Postgres answers; readiness probes use it.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.pool.Ping(ctx); err != nil {
		return fmt.Errorf("store: ping: %w", err)
	}
	return nil
}

// pgCode is the SQLSTATE of err, or "" when err did not come from the server.
func pgCode(err error) string {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code
	}
	return ""
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
}

// requireFields checks name/value pairs in order and names the first empty one.
func requireFields(what string, pairs ...string) error {
	for i := 0; i+1 < len(pairs); i += 2 {
		if pairs[i+1] == "" {
			return invalid("%s has no %s", what, pairs[i])
		}
	}
	return nil
}

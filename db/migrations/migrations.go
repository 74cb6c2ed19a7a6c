// Package migrations holds the SQL migrations of the read model, embedded in
// the binary, and applies them with goose under a Postgres advisory lock so
// that several processes starting at once migrate exactly once.
package migrations

import (
	"context"
	"embed"
	"fmt"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

//go:embed *.sql
var files embed.FS

func provider(pool *pgxpool.Pool) (*goose.Provider, func(), error) {
	db := stdlib.OpenDBFromPool(pool)
	// Poll the advisory lock every second (goose waits 5 s between tries) for up to 5 minutes.
	locker, err := lock.NewPostgresSessionLocker(lock.WithLockTimeout(1, 300))
	if err != nil {
		db.Close()
		return nil, nil, fmt.Errorf("migrations: lock: %w", err)
	}
	p, err := goose.NewProvider(goose.DialectPostgres, db, files, goose.WithSessionLocker(locker))
	if err != nil {
		db.Close()
		return nil, nil, fmt.Errorf("migrations: %w", err)
	}
	return p, func() { db.Close() }, nil
}

// Pending reports whether the database lacks migrations of this build.
func Pending(ctx context.Context, pool *pgxpool.Pool) (bool, error) {
	p, closeDB, err := provider(pool)
	if err != nil {
		return false, err
	}
	defer closeDB()
	pending, err := p.HasPending(ctx)
	if err != nil {
		return false, fmt.Errorf("migrations: check: %w", err)
	}
	return pending, nil
}

// Apply brings the database behind pool up to the newest migration and
// returns the version it is at.
func Apply(ctx context.Context, pool *pgxpool.Pool) (int64, error) {
	p, closeDB, err := provider(pool)
	if err != nil {
		return 0, err
	}
	defer closeDB()
	if _, err := p.Up(ctx); err != nil {
		return 0, fmt.Errorf("migrations: apply: %w", err)
	}
	version, err := p.GetDBVersion(ctx)
	if err != nil {
		return 0, fmt.Errorf("migrations: read version: %w", err)
	}
	return version, nil
}

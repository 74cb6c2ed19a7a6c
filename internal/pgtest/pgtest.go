// Package pgtest gives each test (or package) a real, fresh Postgres database
// with the migrations applied, and drops it afterwards.
//
// The server is TEST_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/postgres.
// Tests fail, never skip, when it is unreachable: an integration test that
// silently does not run is worse than a red one.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/orderflow/orderflow/db/migrations"
)

// DefaultAdminURL is the local Postgres of a development machine.
const DefaultAdminURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// AdminURL is the URL of the maintenance database used to create and drop test databases.
func AdminURL() string {
	if u := os.Getenv("TEST_DATABASE_URL"); u != "" {
		return u
	}
	return DefaultAdminURL
}

// NewURL creates an empty, migrated database and returns its URL. The database
// is dropped when the test ends.
func NewURL(t testing.TB) string {
	t.Helper()
	dbURL := NewEmptyURL(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	pool, err := pgxpool.New(ctx, dbURL)
	if err != nil {
		t.Fatalf("pgtest: open %s: %v", dbURL, err)
	}
	defer pool.Close()
	if _, err := migrations.Apply(ctx, pool); err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	return dbURL
}

// NewEmptyURL creates a database without any migration (for tests of the
// migrations themselves and of dev mode's first start) and returns its URL.
func NewEmptyURL(t testing.TB) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	admin, err := pgx.Connect(ctx, AdminURL())
	if err != nil {
		t.Fatalf("pgtest: cannot reach Postgres at %s (%v); start it with: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start", AdminURL(), err)
	}
	defer admin.Close(ctx)

	name := "orderflow_test_" + randomSuffix()
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		t.Fatalf("pgtest: create database %s: %v", name, err)
	}
	t.Cleanup(func() { drop(t, name) })

	dbURL, err := withDatabase(AdminURL(), name)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	return dbURL
}

// New creates an empty, migrated database and returns a pool on it; the pool
// is closed and the database dropped when the test ends.
func New(t testing.TB) *pgxpool.Pool {
	t.Helper()
	pool, err := pgxpool.New(context.Background(), NewURL(t))
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	t.Cleanup(pool.Close) // registered after the drop, so it runs before it
	return pool
}

// UnusedURL returns the URL of a database that does not exist yet, for code
// that creates its own (dev mode); it is dropped, if created, when the test ends.
func UnusedURL(t testing.TB) string {
	t.Helper()
	name := "orderflow_test_" + randomSuffix()
	t.Cleanup(func() { drop(t, name) })
	dbURL, err := withDatabase(AdminURL(), name)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	return dbURL
}

func drop(t testing.TB, name string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	admin, err := pgx.Connect(ctx, AdminURL())
	if err != nil {
		t.Logf("pgtest: drop %s: %v", name, err)
		return
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
		t.Logf("pgtest: drop %s: %v", name, err)
	}
}

func withDatabase(raw, name string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("TEST_DATABASE_URL is not a URL: %w", err)
	}
	u.Path = "/" + name
	return u.String(), nil
}

func randomSuffix() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

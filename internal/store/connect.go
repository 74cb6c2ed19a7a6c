package store

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
)

// connectTimeout bounds Open and EnsureDatabase so that a wrong host fails
// fast instead of hanging a starting process.
const connectTimeout = 10 * time.Second

const (
	urlShape       = "postgres://USER[:PASSWORD]@HOST[:PORT]/DBNAME[?sslmode=disable], e.g. postgres://postgres@127.0.0.1:5432/orderflow?sslmode=disable"
	startPostgres  = "start it with: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start, or set DATABASE_URL to a reachable server"
	maintenanceDB  = "postgres"
	unknownDBHint  = "create it (dev mode creates it when missing) or set DATABASE_URL to an existing database"
	maxIdentLength = 63
)

// Open connects a pool to databaseURL and checks that the server answers.
// Its errors never contain the password.
func Open(ctx context.Context, databaseURL string) (*pgxpool.Pool, error) {
	cfg, err := parseURL(databaseURL)
	if err != nil {
		return nil, err
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", describe(cfg.ConnConfig), err)
	}
	pingCtx, cancel := context.WithTimeout(ctx, connectTimeout)
	defer cancel()
	if err := pool.Ping(pingCtx); err != nil {
		pool.Close()
		return nil, explainConnectError(cfg.ConnConfig, err)
	}
	return pool, nil
}

// EnsureDatabase creates the database named in databaseURL when it does not
// exist, connecting to the "postgres" maintenance database of the same server
// to do so. It is idempotent and safe when several processes race.
func EnsureDatabase(ctx context.Context, databaseURL string) error {
	cfg, err := parseURL(databaseURL)
	if err != nil {
		return err
	}
	target := cfg.ConnConfig.Database
	if target == "" {
		return invalid("the database URL names no database; want %s", urlShape)
	}
	if len(target) > maxIdentLength {
		return invalid("database name %q is longer than %d bytes", target, maxIdentLength)
	}
	ctx, cancel := context.WithTimeout(ctx, connectTimeout)
	defer cancel()

	// Try the database itself first: a user may own it without being allowed
	// into the maintenance database.
	conn, err := pgx.ConnectConfig(ctx, cfg.ConnConfig.Copy())
	if err == nil {
		return conn.Close(ctx)
	}
	if pgCode(err) != pgerrcode.InvalidCatalogName {
		return explainConnectError(cfg.ConnConfig, err)
	}

	adminCfg := cfg.ConnConfig.Copy()
	adminCfg.Database = maintenanceDB
	admin, err := pgx.ConnectConfig(ctx, adminCfg)
	if err != nil {
		return explainConnectError(adminCfg, err)
	}
	defer admin.Close(context.Background())

	_, err = admin.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{target}.Sanitize())
	if err != nil && !createdByAnother(err) {
		return fmt.Errorf("store: create database %q on %s: %w", target, describe(adminCfg), err)
	}
	return nil
}

// createdByAnother recognises losing a race to create the same database:
// duplicate_database, or, when both commands reached the catalog at once, a
// unique violation on pg_database's name index.
func createdByAnother(err error) bool {
	code := pgCode(err)
	return code == pgerrcode.DuplicateDatabase || code == pgerrcode.UniqueViolation
}

// defaultMaxConns replaces pgx's default pool size (4 on two cores) unless
// the URL sets pool_max_conns: a worker runs every order's steps as local
// activities inside its workflow tasks, and the API reads beside it, so many
// more than four want a connection at once. At 4, `make bench` (8 orders in
// flight) saw approve and pay wait 8 s at p99, their workflow tasks held until
// the SDK's heartbeat; at 16, under 0.5 s (Postgres allows 100 connections by default: four processes fit).
const defaultMaxConns = 16

// parseURL parses without ever echoing the input: the parser's own messages
// may contain the password of a malformed URL.
func parseURL(databaseURL string) (*pgxpool.Config, error) {
	if databaseURL == "" {
		return nil, invalid("no database URL given; want %s", urlShape)
	}
	cfg, err := pgxpool.ParseConfig(databaseURL)
	if err != nil {
		return nil, invalid("the database URL cannot be parsed; want %s", urlShape)
	}
	if !strings.Contains(databaseURL, "pool_max_conns") {
		cfg.MaxConns = defaultMaxConns
	}
	return cfg, nil
}

// explainConnectError turns a failed connection into advice. A PgError means
// the server answered (wrong database, password, permissions); anything else
// means it could not be reached.
func explainConnectError(cfg *pgx.ConnConfig, err error) error {
	where := describe(cfg)
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) {
		return fmt.Errorf("store: cannot reach Postgres at %s (%w); %s", where, err, startPostgres)
	}
	if pgErr.Code == pgerrcode.InvalidCatalogName {
		return fmt.Errorf("store: database %q does not exist on %s: %w; %s", cfg.Database, where, err, unknownDBHint)
	}
	return fmt.Errorf("store: Postgres at %s refused the connection: %w", where, err)
}

// describe names the server and database without the password.
func describe(cfg *pgx.ConnConfig) string {
	return fmt.Sprintf("%s:%d/%s as user %q", cfg.Host, cfg.Port, cfg.Database, cfg.User)
}

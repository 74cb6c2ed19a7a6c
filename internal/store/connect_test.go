package store

import (
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/orderflow/orderflow/internal/pgtest"
)

func TestOpenConnectsAndPings(t *testing.T) {
	ctx := testContext(t)
	pool, err := Open(ctx, pgtest.NewURL(t))
	mustNoErr(t, err)
	defer pool.Close()
	var one int
	mustNoErr(t, pool.QueryRow(ctx, "SELECT 1").Scan(&one))
}

func TestOpenExplainsABadURLWithoutThePassword(t *testing.T) {
	for _, bad := range []string{
		"postgres://admin:s3cr3t-pw@db.example.com:notaport/orderflow",
		"postgres://admin:s3cr3t-pw@[::1/orderflow",
		"",
	} {
		_, err := Open(testContext(t), bad)
		wantErrIs(t, err, ErrInvalid)
		if strings.Contains(err.Error(), "s3cr3t-pw") {
			t.Fatalf("error leaks the password: %v", err)
		}
		if !strings.Contains(err.Error(), "postgres://USER[:PASSWORD]@HOST") {
			t.Fatalf("error does not show a valid URL's shape: %v", err)
		}
	}
}

func TestOpenExplainsAnUnreachableServer(t *testing.T) {
	// Port 1 on loopback: nothing listens there, the connection is refused at once.
	_, err := Open(testContext(t), "postgres://admin:s3cr3t-pw@127.0.0.1:1/orderflow?sslmode=disable&connect_timeout=5")
	if err == nil {
		t.Fatal("Open of an unreachable server succeeded")
	}
	msg := err.Error()
	for _, want := range []string{"cannot reach Postgres", "127.0.0.1:1", "pg_ctlcluster --skip-systemctl-redirect", "DATABASE_URL"} {
		if !strings.Contains(msg, want) {
			t.Fatalf("error %q does not mention %q", msg, want)
		}
	}
	if strings.Contains(msg, "s3cr3t-pw") {
		t.Fatalf("error leaks the password: %v", err)
	}
}

func TestOpenExplainsAMissingDatabase(t *testing.T) {
	_, err := Open(testContext(t), urlWithDatabase(t, "orderflow_missing_"+randomHex(t)))
	if err == nil || !strings.Contains(err.Error(), "does not exist") || !strings.Contains(err.Error(), "create it") {
		t.Fatalf("error = %v, want one saying the database does not exist and how to get it", err)
	}
}

func TestEnsureDatabaseCreatesItOnceUnderARace(t *testing.T) {
	ctx := testContext(t)
	name := "orderflow_ensure_" + randomHex(t)
	dbURL := urlWithDatabase(t, name)
	t.Cleanup(func() { dropDatabase(t, name) })

	const racers = 4
	errs := make([]error, racers)
	var wg sync.WaitGroup
	for i := range racers {
		wg.Go(func() { errs[i] = EnsureDatabase(ctx, dbURL) })
	}
	wg.Wait()
	for _, err := range errs {
		mustNoErr(t, err)
	}
	mustNoErr(t, EnsureDatabase(ctx, dbURL)) // existing: a no-op

	pool, err := Open(ctx, dbURL)
	mustNoErr(t, err)
	defer pool.Close()
	var current string
	mustNoErr(t, pool.QueryRow(ctx, "SELECT current_database()").Scan(&current))
	if current != name {
		t.Fatalf("connected to %s, want %s", current, name)
	}
}

func TestEnsureDatabaseRefusesBadInput(t *testing.T) {
	ctx := testContext(t)
	wantErrIs(t, EnsureDatabase(ctx, "postgres://u:pw@host:port/db"), ErrInvalid)
	wantErrIs(t, EnsureDatabase(ctx, urlWithDatabase(t, strings.Repeat("x", 64))), ErrInvalid)
	err := EnsureDatabase(ctx, "postgres://postgres@127.0.0.1:1/orderflow?sslmode=disable")
	if err == nil || !strings.Contains(err.Error(), "cannot reach Postgres") {
		t.Fatalf("error = %v, want one saying the server cannot be reached", err)
	}
}

func urlWithDatabase(t *testing.T, name string) string {
	t.Helper()
	u, err := url.Parse(pgtest.AdminURL())
	mustNoErr(t, err)
	u.Path = "/" + name
	return u.String()
}

func randomHex(t *testing.T) string {
	b := make([]byte, 6)
	_, err := rand.Read(b)
	mustNoErr(t, err)
	return hex.EncodeToString(b)
}

func dropDatabase(t *testing.T, name string) {
	ctx := testContext(t)
	conn, err := pgx.Connect(ctx, pgtest.AdminURL())
	if err != nil {
		t.Logf("drop %s: %v", name, err)
		return
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
		t.Logf("drop %s: %v", name, err)
	}
}

package migrations_test

import (
	"context"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/orderflow/orderflow/db/migrations"
	"github.com/orderflow/orderflow/internal/pgtest"
)

func TestApplyIsIdempotentAndSafeConcurrently(t *testing.T) {
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, pgtest.NewEmptyURL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()

	pending, err := migrations.Pending(ctx, pool)
	if err != nil || !pending {
		t.Fatalf("empty database: pending = %v, %v; want true", pending, err)
	}

	// Three processes starting at once: the advisory lock lets one migrate.
	var wg sync.WaitGroup
	versions := make([]int64, 3)
	errs := make([]error, 3)
	for i := range versions {
		wg.Go(func() { versions[i], errs[i] = migrations.Apply(ctx, pool) })
	}
	wg.Wait()
	for i := range versions {
		if errs[i] != nil {
			t.Fatalf("apply %d: %v", i, errs[i])
		}
		if versions[i] != versions[0] || versions[i] < 1 {
			t.Fatalf("versions = %v, want all equal and ≥ 1", versions)
		}
	}

	pending, err = migrations.Pending(ctx, pool)
	if err != nil || pending {
		t.Fatalf("after apply: pending = %v, %v; want false", pending, err)
	}
	again, err := migrations.Apply(ctx, pool)
	if err != nil || again != versions[0] {
		t.Fatalf("second apply: %d, %v; want %d", again, err, versions[0])
	}
}

package pgtest

import (
	"context"
	"testing"
)

func TestNewGivesAMigratedDatabaseAndDropsIt(t *testing.T) {
	var name string
	t.Run("inner", func(t *testing.T) {
		pool := New(t)
		ctx := context.Background()
		if err := pool.QueryRow(ctx, "SELECT current_database()").Scan(&name); err != nil {
			t.Fatal(err)
		}
		var tables int
		err := pool.QueryRow(ctx, `SELECT count(*) FROM information_schema.tables
			WHERE table_schema = 'public' AND table_name IN ('orders', 'order_timeline', 'emails', 'documents', 'suppliers')`).Scan(&tables)
		if err != nil {
			t.Fatal(err)
		}
		if tables != 5 {
			t.Fatalf("read-model tables present = %d, want 5", tables)
		}
	})

	pool := New(t)
	var exists bool
	if err := pool.QueryRow(context.Background(), "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
		t.Fatal(err)
	}
	if exists {
		t.Fatalf("database %s still exists after its test ended", name)
	}
}

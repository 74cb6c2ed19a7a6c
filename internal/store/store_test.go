package store

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/orderflow/orderflow/internal/pgtest"
)

// newTestStore is a Store on a fresh, migrated database of its own.
func newTestStore(t *testing.T) *Store {
	t.Helper()
	return New(pgtest.New(t))
}

func testContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func mustNoErr(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func wantErrIs(t *testing.T, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("error = %v, want one matching %v", err, target)
	}
}

func TestPing(t *testing.T) {
	s := newTestStore(t)
	mustNoErr(t, s.Ping(testContext(t)))

	s.Pool().Close()
	if err := s.Ping(testContext(t)); err == nil {
		t.Fatal("Ping on a closed pool succeeded")
	}
}

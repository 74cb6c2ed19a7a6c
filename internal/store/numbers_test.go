package store

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
)

func TestAssignNumberConcurrentlyIsGapless(t *testing.T) {
	s, ctx := newTestStore(t), testContext(t)
	const callers = 50
	numbers := make([]int64, callers)
	errs := make([]error, callers)
	var wg sync.WaitGroup
	for i := range callers {
		wg.Go(func() {
			numbers[i], errs[i] = s.AssignNumber(ctx, "invoice", 2026, fmt.Sprintf("invoice/o-%d", i))
		})
	}
	wg.Wait()
	for _, err := range errs {
		mustNoErr(t, err)
	}
	sorted := slices.Clone(numbers)
	slices.Sort(sorted)
	for i, n := range sorted {
		if n != int64(i+1) {
			t.Fatalf("numbers = %v, want 1..%d each once", sorted, callers)
		}
	}

	// A retry returns the number the key already has, and takes no new one.
	for i := range callers {
		again, err := s.AssignNumber(ctx, "invoice", 2026, fmt.Sprintf("invoice/o-%d", i))
		mustNoErr(t, err)
		if again != numbers[i] {
			t.Fatalf("retry of key %d got %d, first call got %d", i, again, numbers[i])
		}
	}
	next, err := s.AssignNumber(ctx, "invoice", 2026, "invoice/o-new")
	mustNoErr(t, err)
	if next != callers+1 {
		t.Fatalf("next number = %d, want %d", next, callers+1)
	}
}

func TestAssignNumberSameKeyRacing(t *testing.T) {
	s, ctx := newTestStore(t), testContext(t)
	const callers = 20
	numbers := make([]int64, callers)
	errs := make([]error, callers)
	var wg sync.WaitGroup
	for i := range callers {
		wg.Go(func() { numbers[i], errs[i] = s.AssignNumber(ctx, "invoice", 2026, "invoice/o-1") })
	}
	wg.Wait()
	for i := range callers {
		mustNoErr(t, errs[i])
		if numbers[i] != 1 {
			t.Fatalf("racing retries of one key got %v, want all 1", numbers)
		}
	}
	next, err := s.AssignNumber(ctx, "invoice", 2026, "invoice/o-2")
	mustNoErr(t, err)
	if next != 2 {
		t.Fatalf("next number = %d, want 2: a race consumed numbers", next)
	}
}

func TestAssignNumberSeriesAndYearsAreIndependent(t *testing.T) {
	s, ctx := newTestStore(t), testContext(t)
	steps := []struct {
		series string
		year   int
		key    string
		want   int64
	}{
		{"invoice", 2026, "i-a", 1},
		{"invoice", 2026, "i-b", 2},
		{"invoice", 2027, "i-c", 1},
		{"credit_note", 2026, "c-a", 1},
		{"invoice", 2026, "i-d", 3},
		{"credit_note", 2026, "c-b", 2},
		{"invoice", 2027, "i-e", 2},
	}
	for _, st := range steps {
		got, err := s.AssignNumber(ctx, st.series, st.year, st.key)
		mustNoErr(t, err)
		if got != st.want {
			t.Fatalf("%s/%d %s = %d, want %d", st.series, st.year, st.key, got, st.want)
		}
	}

	_, err := s.AssignNumber(ctx, "credit_note", 2026, "i-a") // a key of another series
	wantErrIs(t, err, ErrConflict)
	_, err = s.AssignNumber(ctx, "invoice", 2027, "i-a") // a key of another year
	wantErrIs(t, err, ErrConflict)
	_, err = s.AssignNumber(ctx, "", 2026, "k")
	wantErrIs(t, err, ErrInvalid)
	_, err = s.AssignNumber(ctx, "invoice", 0, "k")
	wantErrIs(t, err, ErrInvalid)
}

func TestAssignNumberTxRollsBackWithTheCaller(t *testing.T) {
	s, ctx := newTestStore(t), testContext(t)
	errAbort := errors.New("the invoice could not be recorded")
	var inside int64
	err := pgx.BeginFunc(ctx, s.Pool(), func(tx pgx.Tx) error {
		var err error
		inside, err = AssignNumberTx(ctx, tx, "invoice", 2026, "invoice/o-1")
		if err != nil {
			return err
		}
		return errAbort
	})
	if !errors.Is(err, errAbort) || inside != 1 {
		t.Fatalf("err = %v, number inside = %d", err, inside)
	}

	// The rolled-back number is free again: no gap, and the key is unassigned.
	got, err := s.AssignNumber(ctx, "invoice", 2026, "invoice/o-2")
	mustNoErr(t, err)
	if got != 1 {
		t.Fatalf("number after a rolled-back assignment = %d, want 1", got)
	}
	got, err = s.AssignNumber(ctx, "invoice", 2026, "invoice/o-1")
	mustNoErr(t, err)
	if got != 2 {
		t.Fatalf("number of the rolled-back key = %d, want 2", got)
	}

	// Committed with the caller, it stays.
	err = pgx.BeginFunc(ctx, s.Pool(), func(tx pgx.Tx) error {
		n, err := AssignNumberTx(ctx, tx, "invoice", 2026, "invoice/o-2")
		if err == nil && n != 1 {
			err = fmt.Errorf("retried key got %d inside a transaction, want 1", n)
		}
		return err
	})
	mustNoErr(t, err)
}

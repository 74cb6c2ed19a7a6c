package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgerrcode"
	"github.com/jackc/pgx/v5"
)

// AssignNumber gives key the next number of series in year, or the number it
// already got. Numbers of a series and year start at 1 and never repeat or
// skip, under concurrency and retries alike.
func (s *Store) AssignNumber(ctx context.Context, series string, year int, key string) (int64, error) {
	var number int64
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		number, err = AssignNumberTx(ctx, tx, series, year, key)
		return err
	})
	return number, err
}

// AssignNumberTx is AssignNumber inside the caller's transaction, so that a
// number and the document carrying it commit together or not at all (a
// rolled-back number is free again, which keeps the series gapless). It
// holds the series' lock until the transaction ends: keep that transaction
// short. Under READ COMMITTED (the default) racing callers simply wait; under
// stricter isolation they may get a serialization failure to retry.
func AssignNumberTx(ctx context.Context, tx pgx.Tx, series string, year int, key string) (int64, error) {
	if err := requireFields("number assignment", "series", series, "key", key); err != nil {
		return 0, err
	}
	if year < 1 || year > 9999 {
		return 0, invalid("number assignment %s: year %d is out of range", key, year)
	}
	if number, found, err := assignedNumber(ctx, tx, series, year, key); err != nil || found {
		return number, err
	}
	// Lock the counter (creating it for the first number of a year), then
	// look again: a racing call for the same key may have committed while we
	// waited, and a statement after the lock sees its assignment.
	if err := lockCounter(ctx, tx, series, year); err != nil {
		return 0, err
	}
	if number, found, err := assignedNumber(ctx, tx, series, year, key); err != nil || found {
		return number, err
	}
	var number int64
	err := tx.QueryRow(ctx, `
		UPDATE number_series SET last_number = last_number + 1
		WHERE series = $1 AND year = $2
		RETURNING last_number`, series, year).Scan(&number)
	if err != nil {
		return 0, fmt.Errorf("store: number %s/%d: increment: %w", series, year, err)
	}
	_, err = tx.Exec(ctx, `
		INSERT INTO number_assignments (idempotency_key, series, year, number) VALUES ($1, $2, $3, $4)`,
		key, series, year, number)
	if pgCode(err) == pgerrcode.UniqueViolation {
		// Only reachable when the same key races in another series or year.
		return 0, fmt.Errorf("store: number %s/%d for %s: %w: the key was assigned a number of another series", series, year, key, ErrConflict)
	}
	if err != nil {
		return 0, fmt.Errorf("store: number %s/%d for %s: record: %w", series, year, key, err)
	}
	return number, nil
}

func lockCounter(ctx context.Context, tx pgx.Tx, series string, year int) error {
	_, err := tx.Exec(ctx, `
		INSERT INTO number_series (series, year, last_number) VALUES ($1, $2, 0)
		ON CONFLICT (series, year) DO NOTHING`, series, year)
	if err != nil {
		return fmt.Errorf("store: number %s/%d: create series: %w", series, year, err)
	}
	_, err = tx.Exec(ctx, `SELECT 1 FROM number_series WHERE series = $1 AND year = $2 FOR UPDATE`, series, year)
	if err != nil {
		return fmt.Errorf("store: number %s/%d: lock series: %w", series, year, err)
	}
	return nil
}

// assignedNumber looks up key's earlier assignment; one in another series or
// year is a caller bug and returns ErrConflict.
func assignedNumber(ctx context.Context, tx pgx.Tx, series string, year int, key string) (int64, bool, error) {
	var gotSeries string
	var gotYear int
	var number int64
	err := tx.QueryRow(ctx, `SELECT series, year, number FROM number_assignments WHERE idempotency_key = $1`, key).
		Scan(&gotSeries, &gotYear, &number)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("store: number for %s: %w", key, err)
	}
	if gotSeries != series || gotYear != year {
		return 0, false, fmt.Errorf("store: number %s/%d for %s: %w: the key already has number %d of %s/%d",
			series, year, key, ErrConflict, number, gotSeries, gotYear)
	}
	return number, true, nil
}

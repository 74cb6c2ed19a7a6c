package store

import (
	"context"
	"errors"
	"fmt"
	"github.com/orderflow/orderflow/lifecycle"
	"time"

	"github.com/jackc/pgerrcode"
	"github.com/jackc/pgx/v5"
)

// Supplier is a marketplace supplier.
type Supplier struct {
	ID         string
	Name       string
	Email      string
	Categories []string
	Regions    []string
	Rating     int // 0..100
	Active     bool
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

const supplierColumns = `id, name, email, categories, regions, rating, active, created_at, updated_at`

// CreateSupplier stores a new supplier with its Active flag as given and
// returns it as stored. An existing id returns ErrConflict.
func (s *Store) CreateSupplier(ctx context.Context, sup Supplier) (Supplier, error) {
	sup, err := normalizeSupplier(sup)
	if err != nil {
		return Supplier{}, err
	}
	row := s.pool.QueryRow(ctx, `
		INSERT INTO suppliers (id, name, email, categories, regions, rating, active)
		VALUES ($1, $2, $3, $4, $5, $6, $7)
		RETURNING `+supplierColumns,
		sup.ID, sup.Name, sup.Email, sup.Categories, sup.Regions, sup.Rating, sup.Active)
	created, err := scanSupplier(row)
	if pgCode(err) == pgerrcode.UniqueViolation {
		return Supplier{}, fmt.Errorf("store: create supplier %s: %w: the id is taken", sup.ID, ErrConflict)
	}
	if err != nil {
		return Supplier{}, fmt.Errorf("store: create supplier %s: %w", sup.ID, err)
	}
	return created, nil
}

// UpdateSupplier applies change to supplier id and returns it as stored.
// The row is locked from the read to the write, so two updates at once each
// see the other's result and neither is lost. change may alter the name,
// email, categories, regions and rating; Active is left alone (see
// DeactivateSupplier, ActivateSupplier) and so is the id.
func (s *Store) UpdateSupplier(ctx context.Context, id string, change func(*Supplier)) (Supplier, error) {
	var updated Supplier
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		sup, err := scanSupplier(tx.QueryRow(ctx, `SELECT `+supplierColumns+` FROM suppliers WHERE id = $1 FOR UPDATE`, id))
		if err != nil {
			return err
		}
		change(&sup)
		sup.ID = id
		if sup, err = normalizeSupplier(sup); err != nil {
			return err
		}
		updated, err = scanSupplier(tx.QueryRow(ctx, `
			UPDATE suppliers SET name = $2, email = $3, categories = $4, regions = $5, rating = $6, updated_at = now()
			WHERE id = $1
			RETURNING `+supplierColumns,
			sup.ID, sup.Name, sup.Email, sup.Categories, sup.Regions, sup.Rating))
		return err
	})
	if errors.Is(err, ErrInvalid) {
		return Supplier{}, err
	}
	return supplierResult(id, "update", updated, err)
}

// DeactivateSupplier takes a supplier out of every future ranking; its
// history stays. Deactivating twice is a no-op.
func (s *Store) DeactivateSupplier(ctx context.Context, id string) error {
	return s.setSupplierActive(ctx, id, false)
}

// ActivateSupplier undoes DeactivateSupplier.
func (s *Store) ActivateSupplier(ctx context.Context, id string) error {
	return s.setSupplierActive(ctx, id, true)
}

func (s *Store) setSupplierActive(ctx context.Context, id string, active bool) error {
	tag, err := s.pool.Exec(ctx, `
		UPDATE suppliers SET active = $2, updated_at = CASE WHEN active = $2 THEN updated_at ELSE now() END
		WHERE id = $1`, id, active)
	if err != nil {
		return fmt.Errorf("store: set supplier %s active=%t: %w", id, active, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("store: supplier %s: %w", id, ErrNotFound)
	}
	return nil
}

// GetSupplier returns one supplier, active or not, or ErrNotFound.
func (s *Store) GetSupplier(ctx context.Context, id string) (Supplier, error) {
	row := s.pool.QueryRow(ctx, `SELECT `+supplierColumns+` FROM suppliers WHERE id = $1`, id)
	sup, err := scanSupplier(row)
	return supplierResult(id, "get", sup, err)
}

// ListSuppliers returns suppliers by id, the inactive ones only when asked.
func (s *Store) ListSuppliers(ctx context.Context, includeInactive bool) ([]Supplier, error) {
	return s.querySuppliers(ctx, "list suppliers", `
		SELECT `+supplierColumns+` FROM suppliers WHERE active OR $1 ORDER BY id`, includeInactive)
}

// EligibleSuppliers returns the active suppliers serving category and region,
// best first: highest rating, then fewest open (in_progress) orders, then id,
// so the ranking is stable. Category and region match exactly.
func (s *Store) EligibleSuppliers(ctx context.Context, category, region string) ([]Supplier, error) {
	return s.querySuppliers(ctx, "eligible suppliers", `
		SELECT `+supplierColumns+` FROM suppliers s
		LEFT JOIN (
			SELECT supplier_id, count(*) AS open_orders FROM orders
			WHERE status = $3 AND supplier_id IS NOT NULL
			GROUP BY supplier_id
		) o ON o.supplier_id = s.id
		WHERE s.active AND $1 = ANY (s.categories) AND $2 = ANY (s.regions)
		ORDER BY s.rating DESC, COALESCE(o.open_orders, 0), s.id`, category, region, string(lifecycle.InProgress))
}

func (s *Store) querySuppliers(ctx context.Context, what, sql string, args ...any) ([]Supplier, error) {
	rows, err := s.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("store: %s: %w", what, err)
	}
	suppliers, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Supplier, error) { return scanSupplier(row) })
	if err != nil {
		return nil, fmt.Errorf("store: %s: %w", what, err)
	}
	return suppliers, nil
}

func normalizeSupplier(sup Supplier) (Supplier, error) {
	if err := requireFields("supplier", "id", sup.ID, "name", sup.Name, "email", sup.Email); err != nil {
		return sup, err
	}
	if sup.Rating < 0 || sup.Rating > 100 {
		return sup, invalid("supplier %s: rating %d is outside 0..100", sup.ID, sup.Rating)
	}
	// nil slices would be NULL, which the columns refuse.
	if sup.Categories == nil {
		sup.Categories = []string{}
	}
	if sup.Regions == nil {
		sup.Regions = []string{}
	}
	return sup, nil
}

func supplierResult(id, verb string, sup Supplier, err error) (Supplier, error) {
	if errors.Is(err, pgx.ErrNoRows) {
		return Supplier{}, fmt.Errorf("store: supplier %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return Supplier{}, fmt.Errorf("store: %s supplier %s: %w", verb, id, err)
	}
	return sup, nil
}

func scanSupplier(row pgx.Row) (Supplier, error) {
	var sup Supplier
	err := row.Scan(&sup.ID, &sup.Name, &sup.Email, &sup.Categories, &sup.Regions, &sup.Rating,
		&sup.Active, &sup.CreatedAt, &sup.UpdatedAt)
	if err != nil {
		return Supplier{}, err
	}
	sup.CreatedAt, sup.UpdatedAt = sup.CreatedAt.UTC(), sup.UpdatedAt.UTC()
	return sup, nil
}

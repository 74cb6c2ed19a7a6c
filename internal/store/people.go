package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/orderflow/orderflow/lifecycle"
)

// People: the members and customers who may sign in to the pages (/app),
// each by the address its first recorded order named. The first address
// wins, so an order naming another address for the same member (one staff
// typed, or a member's typo) never opens that member's other orders to it.

// Person is who an address may sign in as.
type Person struct {
	Role    string // "member" or "customer"
	Subject string // the member or customer id
}

// personRoles: the role an order's owner holds, by flow.
var personRoles = map[string]lifecycle.Role{
	lifecycle.MemberFlow.Name: lifecycle.Member, lifecycle.MarketplaceFlow.Name: lifecycle.Customer,
}

// bindPerson records the owner of an order's first record under the address
// its view names, unless the owner has one already.
func bindPerson(ctx context.Context, tx pgx.Tx, o Order) error {
	var view struct { // the parts of workflows.OrderView that name the owner's address
		Member struct {
			Email string `json:"member_email"`
		} `json:"member"`
		Marketplace struct {
			Email string `json:"customer_email"`
		} `json:"marketplace"`
	}
	if len(o.View) > 0 {
		if err := json.Unmarshal(o.View, &view); err != nil {
			return fmt.Errorf("bind person of order %s: %w", o.ID, err)
		}
	}
	email := NormalizeEmail(view.Member.Email + view.Marketplace.Email) // a view has one of them
	if email == "" || o.OwnerID == "" {
		return nil
	}
	_, err := tx.Exec(ctx, `
		INSERT INTO people (role, subject, email, bound_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (role, subject) DO NOTHING`, personRoles[o.Flow], o.OwnerID, email, o.CreatedAt)
	if err != nil {
		return fmt.Errorf("bind person of order %s: %w", o.ID, err)
	}
	return nil
}

// PeopleByEmail lists who email may sign in as, members before customers.
func (s *Store) PeopleByEmail(ctx context.Context, email string) ([]Person, error) {
	rows, err := s.pool.Query(ctx, `SELECT role, subject FROM people WHERE email = $1 ORDER BY role DESC, subject`, NormalizeEmail(email))
	if err != nil {
		return nil, fmt.Errorf("store: people by email: %w", err)
	}
	people, err := pgx.CollectRows(rows, pgx.RowToStructByPos[Person])
	if err != nil {
		return nil, fmt.Errorf("store: people by email: %w", err)
	}
	return people, nil
}

// SuppliersByEmail lists the active suppliers whose address is email.
func (s *Store) SuppliersByEmail(ctx context.Context, email string) ([]Supplier, error) {
	return s.querySuppliers(ctx, "suppliers by email",
		`SELECT `+supplierColumns+` FROM suppliers WHERE lower(email) = $1 AND active ORDER BY id`, NormalizeEmail(email))
}

// NormalizeEmail is an address as compared: trimmed, lower case.
func NormalizeEmail(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

// RebindPerson binds the member or customer p to another address, for ops:
// a person whose address changed, or whose first order named a wrong one.
// The person's open sessions and unused sign-in links end in the same
// transaction, so whoever holds the old address acts as them no more. It
// returns the address it replaced; ErrNotFound when p is bound to none (a
// person is bound by their first order).
func (s *Store) RebindPerson(ctx context.Context, p Person, email string) (old string, err error) {
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `SELECT email FROM people WHERE role = $1 AND subject = $2 FOR UPDATE`, p.Role, p.Subject).Scan(&old)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("store: %s %s: %w", p.Role, p.Subject, ErrNotFound)
		}
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE people SET email = $3, bound_at = now() WHERE role = $1 AND subject = $2`,
			p.Role, p.Subject, NormalizeEmail(email)); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE sessions SET ended_at = now() WHERE role = $1 AND subject = $2 AND ended_at IS NULL`, p.Role, p.Subject); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE sign_in_links SET expires_at = now() WHERE role = $1 AND subject = $2 AND used_at IS NULL AND expires_at > now()`, p.Role, p.Subject)
		return err
	})
	if err != nil && !errors.Is(err, ErrNotFound) {
		return "", fmt.Errorf("store: rebind %s %s: %w", p.Role, p.Subject, err)
	}
	return old, err
}

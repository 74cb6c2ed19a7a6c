package store

import (
	"context"
	"errors"
	"fmt"
	"github.com/orderflow/orderflow/lifecycle"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/oklog/ulid/v2"

	"github.com/orderflow/orderflow/internal/linktoken"
)

// Client confirmation links: the email a client of a member order gets, with
// a link to confirm or decline the order without an account.
//
// A link's token is an internal/linktoken token of its id (MAC over
// "client-link:" + id): derived, so a retried CreateClientLink returns the
// same URL while the table keeps only sha256(token); the MAC makes it
// unguessable and lets a damaged link be told apart without a query.

// Why a client link cannot be used. Resolve and Use return the link together
// with ErrLinkUsed, ErrLinkExpired and ErrLinkRevoked, so a page can still
// say when and how it was used.
var (
	// ErrLinkUnknown: no such link, or the token was damaged or forged.
	ErrLinkUnknown = errors.New("client link unknown")
	// ErrLinkUsed: the client already answered with this link.
	ErrLinkUsed = errors.New("client link already used")
	// ErrLinkExpired: the offer the link belongs to has expired.
	ErrLinkExpired = errors.New("client link expired")
	// ErrLinkRevoked: a newer link of the order replaced it, or the order
	// stopped waiting for the client.
	ErrLinkRevoked = errors.New("client link revoked")
)

// ClientAnswer is what a client did with a link.
type ClientAnswer string

const (
	AnswerConfirm = ClientAnswer(lifecycle.Confirm)
	AnswerDecline = ClientAnswer(lifecycle.Decline)
)

// ClientLinkRequest asks for the confirmation link of an order. Key is the
// creating activity's idempotency key; a new key (a resend) makes a new link.
type ClientLinkRequest struct {
	Key       string
	OrderID   string
	ExpiresAt time.Time // the end of the offer's validity
}

// ClientLink is one emailed link. Times are UTC.
type ClientLink struct {
	ID         string
	OrderID    string
	Token      string
	ExpiresAt  time.Time
	UsedAt     *time.Time   // nil until the client answers
	Answer     ClientAnswer // "" until the client answers
	RevokedAt  *time.Time
	ReplacedBy string // the newer link that revoked this one, if one did
	CreatedAt  time.Time
}

// TokenOf is the token of link id, made again from its id: the token is
// derived, so the email that carries it can be rendered without the
// workflow ever holding the token.
func (c *ClientLinks) TokenOf(id string) string { return c.token(id) }

// LinkTokens make and check the links' tokens (internal/linktoken); the web
// layer that owns the links' pages and secret hands them to the store, which
// keeps only their hashes.
type LinkTokens interface {
	Token(id string) string
	Check(token string) (id string, err error)
}

// ClientLinks keeps the client confirmation links.
type ClientLinks struct {
	pool  *pgxpool.Pool
	links LinkTokens
	now   func() time.Time // replaced in tests
}

// ClientLinkPrefix starts every link id.
const ClientLinkPrefix = "cl_"

// NewClientLinks keeps links in pool, their tokens made by tokens, whose
// ids start with ClientLinkPrefix.
func NewClientLinks(pool *pgxpool.Pool, tokens LinkTokens) (*ClientLinks, error) {
	if tokens == nil {
		return nil, invalid("client links need their tokens' signer")
	}
	return &ClientLinks{pool: pool, links: tokens, now: time.Now}, nil
}

const clientLinkColumns = `id, order_id, expires_at, used_at, answer, revoked_at, replaced_by, created_at`

// CreateClientLink makes the confirmation link of an order, or returns the
// one its Key already made (even if it was revoked since). A new link
// revokes every other link of the order: after a resend only the newest
// email works. A used link keeps its answer (Resolve still reports it as
// used); its revocation matters only if that use is released, so a released
// old link never comes back to life next to a newer one. The same key with
// another order or expiry is ErrConflict.
func (c *ClientLinks) CreateClientLink(ctx context.Context, r ClientLinkRequest) (ClientLink, error) {
	if err := requireFields("client link", "key", r.Key, "order id", r.OrderID); err != nil {
		return ClientLink{}, err
	}
	if r.ExpiresAt.IsZero() {
		return ClientLink{}, invalid("client link of order %s has no expiry", r.OrderID)
	}
	var link ClientLink
	err := pgx.BeginFunc(ctx, c.pool, func(tx pgx.Tx) error {
		// One creation per order at a time, so that of two racing resends the
		// later one always revokes the earlier.
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('client_links:' || $1, 0))`, r.OrderID); err != nil {
			return fmt.Errorf("lock the links of order %s: %w", r.OrderID, err)
		}
		var err error
		link, err = c.createOnce(ctx, tx, r)
		return err
	})
	if err != nil {
		return ClientLink{}, fmt.Errorf("store: create client link %s: %w", r.Key, err)
	}
	return link, nil
}

func (c *ClientLinks) createOnce(ctx context.Context, tx pgx.Tx, r ClientLinkRequest) (ClientLink, error) {
	id := ClientLinkPrefix + ulid.Make().String()
	token := c.token(id)
	link, err := c.scan(tx.QueryRow(ctx, `
		INSERT INTO client_links (id, order_id, idempotency_key, token_hash, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (idempotency_key) DO NOTHING
		RETURNING `+clientLinkColumns,
		id, r.OrderID, r.Key, linktoken.Hash(token), c.clock(), r.ExpiresAt))
	if errors.Is(err, pgx.ErrNoRows) {
		return c.existing(ctx, tx, r)
	}
	if err != nil {
		return ClientLink{}, err
	}
	_, err = tx.Exec(ctx, `
		UPDATE client_links SET revoked_at = $3, replaced_by = $2
		WHERE order_id = $1 AND id <> $2 AND revoked_at IS NULL`,
		r.OrderID, id, link.CreatedAt)
	if err != nil {
		return ClientLink{}, fmt.Errorf("revoke the older links of order %s: %w", r.OrderID, err)
	}
	return link, nil
}

// existing is the link an earlier call with the same key made.
func (c *ClientLinks) existing(ctx context.Context, tx pgx.Tx, r ClientLinkRequest) (ClientLink, error) {
	link, err := c.scan(tx.QueryRow(ctx, `SELECT `+clientLinkColumns+` FROM client_links WHERE idempotency_key = $1`, r.Key))
	if err != nil {
		return ClientLink{}, fmt.Errorf("read the link of key %s: %w", r.Key, err)
	}
	if link.OrderID != r.OrderID || !link.ExpiresAt.Equal(r.ExpiresAt.Truncate(time.Microsecond)) {
		return ClientLink{}, fmt.Errorf("%w: key %s made a link for order %s expiring at %s", ErrConflict,
			r.Key, link.OrderID, link.ExpiresAt.Format(time.RFC3339Nano))
	}
	return link, nil
}

// ResolveClientLink finds the link of a token and checks that it can still
// be used now. See the Err variables for why it cannot.
func (c *ClientLinks) ResolveClientLink(ctx context.Context, token string) (ClientLink, error) {
	link, err := c.lookup(ctx, token)
	if err != nil {
		return ClientLink{}, err
	}
	return link, link.usable(c.clock())
}

// UseClientLink records the client's answer with a link: the one use it
// allows. Of racing uses exactly one succeeds; the others get ErrLinkUsed.
// An expired or revoked link is refused and stays unused.
func (c *ClientLinks) UseClientLink(ctx context.Context, token string, answer ClientAnswer, now time.Time) (ClientLink, error) {
	if answer != AnswerConfirm && answer != AnswerDecline {
		return ClientLink{}, invalid("client answer %q; want %q or %q", answer, AnswerConfirm, AnswerDecline)
	}
	if _, err := c.checkToken(token); err != nil {
		return ClientLink{}, err
	}
	now = now.UTC().Truncate(time.Microsecond)
	// One statement: a racing use waits for the row, then finds used_at set.
	link, err := c.scan(c.pool.QueryRow(ctx, `
		UPDATE client_links SET used_at = $2, answer = $3
		WHERE token_hash = $1 AND used_at IS NULL AND revoked_at IS NULL AND expires_at > $2
		RETURNING `+clientLinkColumns, linktoken.Hash(token), now, answer))
	if err == nil {
		return link, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return ClientLink{}, fmt.Errorf("store: use client link: %w", err)
	}
	link, err = c.lookup(ctx, token)
	if err != nil {
		return ClientLink{}, err
	}
	if err := link.usable(now); err != nil {
		return link, err
	}
	// Usable now, yet the update matched nothing: a release happened in
	// between. Rare enough that the client may simply press again.
	return link, fmt.Errorf("%w: link %s changed while it was being used; try again", ErrLinkUsed, link.ID)
}

// ReleaseClientLink undoes a use of a link whose answer did not reach the
// order, so that the client can answer again. It releases exactly the use
// that returned l; a link used again since, or never used, stays as it is.
func (c *ClientLinks) ReleaseClientLink(ctx context.Context, l ClientLink) error {
	if l.UsedAt == nil {
		return invalid("client link %s was not used, so there is nothing to release", l.ID)
	}
	_, err := c.pool.Exec(ctx, `
		UPDATE client_links SET used_at = NULL, answer = NULL
		WHERE id = $1 AND used_at = $2 AND answer = $3`, l.ID, *l.UsedAt, l.Answer)
	if err != nil {
		return fmt.Errorf("store: release client link %s: %w", l.ID, err)
	}
	return nil
}

// RevokeClientLinks makes every link of an order unusable, for an order
// that stops waiting for its client; it returns how many it revoked (used
// links included, as in CreateClientLink).
func (c *ClientLinks) RevokeClientLinks(ctx context.Context, orderID string) (int64, error) {
	tag, err := c.pool.Exec(ctx, `
		UPDATE client_links SET revoked_at = $2
		WHERE order_id = $1 AND revoked_at IS NULL`, orderID, c.clock())
	if err != nil {
		return 0, fmt.Errorf("store: revoke the client links of order %s: %w", orderID, err)
	}
	return tag.RowsAffected(), nil
}

// ClientLinksOf lists the links of an order, oldest first.
func (c *ClientLinks) ClientLinksOf(ctx context.Context, orderID string) ([]ClientLink, error) {
	rows, err := c.pool.Query(ctx, `SELECT `+clientLinkColumns+` FROM client_links WHERE order_id = $1 ORDER BY created_at, id`, orderID)
	if err != nil {
		return nil, fmt.Errorf("store: client links of order %s: %w", orderID, err)
	}
	links, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (ClientLink, error) { return c.scan(row) })
	if err != nil {
		return nil, fmt.Errorf("store: client links of order %s: %w", orderID, err)
	}
	return links, nil
}

// usable says why the link cannot be used at now, if it cannot. A used link
// reports that first: the client's answer is the most useful thing to show.
func (l ClientLink) usable(now time.Time) error {
	switch {
	case l.UsedAt != nil:
		return fmt.Errorf("%w: link %s of order %s answered %s at %s", ErrLinkUsed, l.ID, l.OrderID, l.Answer, l.UsedAt.Format(time.RFC3339))
	case !now.Before(l.ExpiresAt):
		return fmt.Errorf("%w: link %s of order %s expired at %s", ErrLinkExpired, l.ID, l.OrderID, l.ExpiresAt.Format(time.RFC3339))
	case l.RevokedAt != nil:
		return fmt.Errorf("%w: link %s of order %s", ErrLinkRevoked, l.ID, l.OrderID)
	}
	return nil
}

func (c *ClientLinks) lookup(ctx context.Context, token string) (ClientLink, error) {
	id, err := c.checkToken(token)
	if err != nil {
		return ClientLink{}, err
	}
	link, err := c.scan(c.pool.QueryRow(ctx, `SELECT `+clientLinkColumns+` FROM client_links WHERE token_hash = $1`, linktoken.Hash(token)))
	if errors.Is(err, pgx.ErrNoRows) {
		return ClientLink{}, fmt.Errorf("%w: no link %s", ErrLinkUnknown, id)
	}
	if err != nil {
		return ClientLink{}, fmt.Errorf("store: find client link %s: %w", id, err)
	}
	return link, nil
}

func (c *ClientLinks) scan(row pgx.Row) (ClientLink, error) {
	var l ClientLink
	var answer *string
	if err := row.Scan(&l.ID, &l.OrderID, &l.ExpiresAt, &l.UsedAt, &answer, &l.RevokedAt, &l.ReplacedBy, &l.CreatedAt); err != nil {
		return ClientLink{}, err
	}
	if answer != nil {
		l.Answer = ClientAnswer(*answer)
	}
	l.Token = c.token(l.ID)
	l.ExpiresAt, l.CreatedAt = l.ExpiresAt.UTC(), l.CreatedAt.UTC()
	l.UsedAt, l.RevokedAt = utcOrNil(l.UsedAt), utcOrNil(l.RevokedAt)
	return l, nil
}

func (c *ClientLinks) token(id string) string { return c.links.Token(id) }

// checkToken verifies that token was made with this key and returns its link
// id; anything else is ErrLinkUnknown.
func (c *ClientLinks) checkToken(token string) (string, error) {
	id, err := c.links.Check(token)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrLinkUnknown, err)
	}
	return id, nil
}

// clock is now as Postgres stores it (microseconds), so that what a call
// returns equals what a retry reads back.
func (c *ClientLinks) clock() time.Time {
	return c.now().UTC().Truncate(time.Microsecond)
}

// Package signin signs people in to the pages (/app) by an emailed link:
// who an address may sign in as (Directory), the single-use, short-lived
// links, and the sessions a link opens. A session names a role and a
// subject exactly as a bearer token does; the pages act through the API
// with it, so every rule stays the API's and the workflow's.
//
// Link and session tokens are 256 random bits; the database keeps only
// their SHA-256, so a leaked table opens nothing.
package signin

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/orderflow/orderflow/internal/auth"
	"github.com/orderflow/orderflow/internal/store"
	"github.com/orderflow/orderflow/lifecycle"
)

const (
	// LinkTTL is how long an emailed link signs in: long enough to switch
	// to the mail app and back, short enough that an old mail opens nothing.
	LinkTTL = 15 * time.Minute
	// SessionTTL is how long a session lasts from sign-in: a working day.
	SessionTTL = 12 * time.Hour
	// MaxLinksPerAddress is how many times one address may be asked for
	// links within LinkTTL: a form anyone can fill must not flood someone's
	// mailbox.
	MaxLinksPerAddress = 5
	// maxTokenLength stops absurd input before any hashing.
	maxTokenLength = 100
)

// Why a link does not sign in.
var (
	ErrLinkUnknown = errors.New("sign-in link unknown")
	ErrLinkUsed    = errors.New("sign-in link already used")
	ErrLinkExpired = errors.New("sign-in link expired")
	// ErrTooManyLinks: the address was asked for MaxLinksPerAddress times lately.
	ErrTooManyLinks = errors.New("too many sign-in links")
	// ErrNoSession: the session token is unknown, ended or expired.
	ErrNoSession = errors.New("no session")
)

// Identity is one way an address may sign in: a role and its subject, and
// a name for the person to recognise it by.
type Identity struct {
	auth.Principal
	Name string
}

// Link is a sign-in link as stored.
type Link struct {
	ID      string
	Email   string
	Who     auth.Principal
	Expires time.Time
	Used    *time.Time
}

// Session is a signed-in person. CSRF is the token every form of the
// session must carry.
type Session struct {
	Who     auth.Principal
	Email   string
	CSRF    string
	Expires time.Time
}

// Service keeps links and sessions in Postgres.
type Service struct {
	pool *pgxpool.Pool
	now  func() time.Time
}

// New keeps links and sessions in pool's database.
func New(pool *pgxpool.Pool) *Service { return &Service{pool: pool, now: time.Now} }

// Request records that someone asked for links for email, and returns the
// request's id for Handled. Every request counts, whether or not the address
// may sign in: once an address was asked for MaxLinksPerAddress times within
// LinkTTL it refuses (ErrTooManyLinks), so the limit floods no mailbox and
// tells nobody which addresses are known.
func (s *Service) Request(ctx context.Context, email string) (int64, error) {
	email, now := store.NormalizeEmail(email), s.now().UTC()
	var id int64
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		// One address's requests queue behind each other, so the count holds.
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, "sign-in:"+email); err != nil {
			return err
		}
		// Requests older than a link are of no more use.
		if _, err := tx.Exec(ctx, `DELETE FROM sign_in_requests WHERE requested_at <= $1`, now.Add(-LinkTTL)); err != nil {
			return err
		}
		var recent int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM sign_in_requests WHERE email = $1`, email).Scan(&recent); err != nil {
			return err
		}
		if recent >= MaxLinksPerAddress {
			return ErrTooManyLinks
		}
		return tx.QueryRow(ctx, `INSERT INTO sign_in_requests (email, requested_at) VALUES ($1, $2) RETURNING id`,
			email, now).Scan(&id)
	})
	if errors.Is(err, ErrTooManyLinks) {
		return 0, err
	}
	if err != nil {
		return 0, fmt.Errorf("signin: record request: %w", err)
	}
	return id, nil
}

// Handled records that the request's links were mailed, or that the
// address had none.
func (s *Service) Handled(ctx context.Context, request int64) error {
	if _, err := s.pool.Exec(ctx, `UPDATE sign_in_requests SET handled_at = $2 WHERE id = $1`, request, s.now().UTC()); err != nil {
		return fmt.Errorf("signin: mark request %d handled: %w", request, err)
	}
	return nil
}

// IssueLink makes a link signing email in as who, and returns its token.
// Request, not IssueLink, limits how often an address is sent links.
func (s *Service) IssueLink(ctx context.Context, email string, who auth.Principal) (string, error) {
	email, now := store.NormalizeEmail(email), s.now().UTC()
	token, id := newToken(), "sil_"+newToken()[:16]
	if _, err := s.pool.Exec(ctx, `
		INSERT INTO sign_in_links (id, token_hash, email, role, subject, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, id, hash(token), email, who.Role, who.Subject, now, now.Add(LinkTTL)); err != nil {
		return "", fmt.Errorf("signin: issue link: %w", err)
	}
	return token, nil
}

// PeekLink returns the link of token without using it (the page that asks
// to confirm the sign-in), with ErrLinkUsed or ErrLinkExpired when it can
// no longer sign in.
func (s *Service) PeekLink(ctx context.Context, token string) (Link, error) {
	l, err := s.lookup(ctx, token)
	if err != nil {
		return l, err
	}
	return l, l.usable(s.now())
}

// UseLink uses the link of token once and opens a session for it; the
// session's token goes in the person's cookie. Of two requests racing with
// one link, one signs in and the other gets ErrLinkUsed.
func (s *Service) UseLink(ctx context.Context, token string) (Session, string, error) {
	now := s.now().UTC()
	var l Link
	err := s.pool.QueryRow(ctx, `
		UPDATE sign_in_links SET used_at = $2
		WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2
		RETURNING id, email, role, subject, expires_at`, hash(token), now).
		Scan(&l.ID, &l.Email, &l.Who.Role, &l.Who.Subject, &l.Expires)
	if errors.Is(err, pgx.ErrNoRows) {
		_, why := s.PeekLink(ctx, token)
		if why == nil { // it expired between the two reads
			why = ErrLinkExpired
		}
		return Session{}, "", why
	}
	if err != nil {
		return Session{}, "", fmt.Errorf("signin: use link: %w", err)
	}
	return s.startSession(ctx, l, now)
}

func (s *Service) startSession(ctx context.Context, l Link, now time.Time) (Session, string, error) {
	token := newToken()
	sess := Session{Who: l.Who, Email: l.Email, CSRF: newToken(), Expires: now.Add(SessionTTL)}
	_, err := s.pool.Exec(ctx, `
		INSERT INTO sessions (token_hash, role, subject, email, csrf, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, hash(token), sess.Who.Role, sess.Who.Subject, sess.Email, sess.CSRF, now, sess.Expires)
	if err != nil {
		return Session{}, "", fmt.Errorf("signin: start session: %w", err)
	}
	return sess, token, nil
}

// Session returns the live session of token, or ErrNoSession.
func (s *Service) Session(ctx context.Context, token string) (Session, error) {
	if token == "" || len(token) > maxTokenLength {
		return Session{}, ErrNoSession
	}
	var sess Session
	err := s.pool.QueryRow(ctx, `
		SELECT role, subject, email, csrf, expires_at FROM sessions
		WHERE token_hash = $1 AND ended_at IS NULL AND expires_at > $2`, hash(token), s.now()).
		Scan(&sess.Who.Role, &sess.Who.Subject, &sess.Email, &sess.CSRF, &sess.Expires)
	if errors.Is(err, pgx.ErrNoRows) {
		return Session{}, ErrNoSession
	}
	if err != nil {
		return Session{}, fmt.Errorf("signin: read session: %w", err)
	}
	return sess, nil
}

// EndSession signs out: the token opens nothing afterwards.
func (s *Service) EndSession(ctx context.Context, token string) error {
	_, err := s.pool.Exec(ctx, `UPDATE sessions SET ended_at = $2 WHERE token_hash = $1 AND ended_at IS NULL`, hash(token), s.now())
	if err != nil {
		return fmt.Errorf("signin: end session: %w", err)
	}
	return nil
}

// ValidCSRF reports whether a form's token is the session's, in constant time.
func (sess Session) ValidCSRF(token string) bool {
	return token != "" && subtle.ConstantTimeCompare([]byte(token), []byte(sess.CSRF)) == 1
}

func (s *Service) lookup(ctx context.Context, token string) (Link, error) {
	if token == "" || len(token) > maxTokenLength {
		return Link{}, ErrLinkUnknown
	}
	var l Link
	err := s.pool.QueryRow(ctx, `
		SELECT id, email, role, subject, expires_at, used_at FROM sign_in_links WHERE token_hash = $1`, hash(token)).
		Scan(&l.ID, &l.Email, &l.Who.Role, &l.Who.Subject, &l.Expires, &l.Used)
	if errors.Is(err, pgx.ErrNoRows) {
		return Link{}, ErrLinkUnknown
	}
	if err != nil {
		return Link{}, fmt.Errorf("signin: read link: %w", err)
	}
	return l, nil
}

func (l Link) usable(now time.Time) error {
	switch {
	case l.Used != nil:
		return ErrLinkUsed
	case !now.Before(l.Expires):
		return ErrLinkExpired
	}
	return nil
}

// newToken is 256 random bits, URL-safe.
func newToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return base64.RawURLEncoding.EncodeToString(b)
}

func hash(token string) []byte {
	sum := sha256.Sum256([]byte(token))
	return sum[:]
}

// Directory says who an address may sign in as: the staff-side roles whose
// configured address it is, the active suppliers with that address, and the
// members and customers bound to it (store.People).
type Directory struct {
	Store *store.Store
	// Staff: address (lower case) → the staff-side roles it holds, from
	// configuration (ORDERFLOW_STAFF_EMAIL, _PURCHASING_EMAIL, _FINANCE_EMAIL).
	Staff map[string][]lifecycle.Role
}

// Lookup lists the identities of email; none for an unknown address.
func (d Directory) Lookup(ctx context.Context, email string) ([]Identity, error) {
	email = store.NormalizeEmail(email)
	var out []Identity
	for _, r := range d.Staff[email] {
		out = append(out, Identity{Principal: auth.Principal{Role: r, Subject: email}, Name: roleNames[r]})
	}
	suppliers, err := d.Store.SuppliersByEmail(ctx, email)
	if err != nil {
		return nil, err
	}
	for _, sup := range suppliers {
		out = append(out, Identity{Principal: auth.Principal{Role: lifecycle.Supplier, Subject: sup.ID}, Name: sup.Name})
	}
	people, err := d.Store.PeopleByEmail(ctx, email)
	if err != nil {
		return nil, err
	}
	for _, p := range people {
		role := lifecycle.Role(p.Role)
		out = append(out, Identity{Principal: auth.Principal{Role: role, Subject: p.Subject}, Name: roleNames[role] + " " + p.Subject})
	}
	return out, nil
}

var roleNames = map[lifecycle.Role]string{
	lifecycle.Staff: "Smart staff", lifecycle.Purchasing: "Purchasing", lifecycle.Finance: "Finance",
	lifecycle.Member: "Member", lifecycle.Customer: "Customer",
}

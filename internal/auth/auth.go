// Package auth mints and verifies the API's bearer tokens: HS256 JWTs that
// name a role and a subject (member id, customer id, supplier id, staff user).
package auth

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/orderflow/orderflow/lifecycle"
)

// Principal is who is calling.
type Principal struct {
	Role    lifecycle.Role `json:"role"`
	Subject string         `json:"sub"`
}

const (
	issuer   = "orderflow"
	audience = "orderflow-api"
	// MaxTTL bounds a token's life so a leaked one does not live forever;
	// Verify holds every token to it, not only the ones Mint made.
	MaxTTL = 90 * 24 * time.Hour
	// clockSkew is how far in the future a token's iat may be: another
	// machine's clock may run a little ahead.
	clockSkew = time.Minute
)

// ErrInvalidToken is returned, wrapped with the reason, for any token that is
// not one of ours or no longer valid.
var ErrInvalidToken = errors.New("invalid token")

type claims struct {
	Role lifecycle.Role `json:"role"`
	jwt.RegisteredClaims
}

// Tokens signs and verifies with one secret.
type Tokens struct {
	secret []byte
	now    func() time.Time
}

// NewTokens uses secret for both signing and verifying.
func NewTokens(secret string) *Tokens {
	return &Tokens{secret: []byte(secret), now: time.Now}
}

// Mint returns a signed token for p valid for ttl.
func (t *Tokens) Mint(p Principal, ttl time.Duration) (string, error) {
	if _, err := lifecycle.ParsePersonRole(string(p.Role)); err != nil {
		return "", err
	}
	if strings.TrimSpace(p.Subject) == "" {
		return "", errors.New("a token needs a subject (the member, customer, supplier or staff id)")
	}
	if ttl <= 0 || ttl > MaxTTL {
		return "", fmt.Errorf("token lifetime must be between 1s and %s, not %s", MaxTTL, ttl)
	}
	now := t.now()
	c := claims{
		Role: p.Role,
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    issuer,
			Audience:  jwt.ClaimStrings{audience},
			Subject:   p.Subject,
			IssuedAt:  jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(now.Add(ttl)),
		},
	}
	return jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(t.secret)
}

// Verify checks signature, method, issuer, audience, issue time and expiry,
// and returns who the token names.
func (t *Tokens) Verify(token string) (Principal, error) {
	v, err := t.VerifyToken(token)
	return v.Principal, err
}

// Verified is what a valid token says: who, and until when.
type Verified struct {
	Principal
	// Expires is when the token stops being valid; whatever it opened (a
	// live feed) ends then too.
	Expires time.Time
}

// VerifyToken is Verify with the token's expiry. A token must name a person's
// role (PersonRoles), carry iat and exp, and live at most MaxTTL: a token
// minted elsewhere with the secret cannot outlive the rules Mint keeps.
func (t *Tokens) VerifyToken(token string) (Verified, error) {
	var c claims
	_, err := jwt.ParseWithClaims(token, &c, func(*jwt.Token) (any, error) { return t.secret, nil },
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithExpirationRequired(),
		jwt.WithIssuer(issuer),
		jwt.WithAudience(audience),
		jwt.WithTimeFunc(t.now),
	)
	if err != nil {
		return Verified{}, fmt.Errorf("%w: %s", ErrInvalidToken, reason(err))
	}
	if _, err := lifecycle.ParseRole(string(c.Role)); err != nil || c.Subject == "" {
		return Verified{}, fmt.Errorf("%w: it names no valid role and subject", ErrInvalidToken)
	}
	if !c.Role.IsPerson() {
		return Verified{}, fmt.Errorf("%w: it names the role %q, which no token may carry (one of %s)", ErrInvalidToken, c.Role, lifecycle.JoinRoles(lifecycle.PersonRoles))
	}
	if c.IssuedAt == nil {
		return Verified{}, fmt.Errorf("%w: it has no issue time (iat); mint one with `orderflow token`", ErrInvalidToken)
	}
	issued, expires := c.IssuedAt.Time, c.ExpiresAt.Time
	if issued.After(t.now().Add(clockSkew)) {
		return Verified{}, fmt.Errorf("%w: it was issued in the future", ErrInvalidToken)
	}
	life := expires.Sub(issued)
	if life <= 0 {
		return Verified{}, fmt.Errorf("%w: it expires before it was issued", ErrInvalidToken)
	}
	if life > MaxTTL {
		return Verified{}, fmt.Errorf("%w: it is valid for %s, longer than the %s a token may live; ask for a new one", ErrInvalidToken, life.Round(time.Second), MaxTTL)
	}
	return Verified{Principal: Principal{Role: c.Role, Subject: c.Subject}, Expires: expires}, nil
}

func reason(err error) string {
	switch {
	case errors.Is(err, jwt.ErrTokenExpired):
		return "it has expired; ask for a new one"
	case errors.Is(err, jwt.ErrTokenMalformed):
		return "it is not a well-formed token"
	case errors.Is(err, jwt.ErrTokenSignatureInvalid), errors.Is(err, jwt.ErrTokenUnverifiable):
		return "its signature does not match this server's secret"
	default:
		return "it was not issued by this server for this API"
	}
}

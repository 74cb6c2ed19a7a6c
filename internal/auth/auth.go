// Package auth mints and verifies the API's bearer tokens: HS256 JWTs that
// name a role and a subject (member id, customer id, supplier id, staff user).
package auth

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Role is what a caller may do; the lifecycle tables grant actions to roles.
type Role string

const (
	Member     Role = "member"
	Client     Role = "client"
	Staff      Role = "staff"
	Customer   Role = "customer"
	Purchasing Role = "purchasing"
	Finance    Role = "finance"
	Supplier   Role = "supplier"
	Ops        Role = "ops"
	System     Role = "system"
)

// Roles lists every role, in the order of lifecycles.md.
var Roles = []Role{Member, Client, Staff, Customer, Purchasing, Finance, Supplier, Ops, System}

// ParseRole accepts a role name as written in lifecycles.md.
func ParseRole(s string) (Role, error) {
	for _, r := range Roles {
		if string(r) == s {
			return r, nil
		}
	}
	names := make([]string, len(Roles))
	for i, r := range Roles {
		names[i] = string(r)
	}
	return "", fmt.Errorf("unknown role %q (one of %s)", s, strings.Join(names, ", "))
}

// Principal is who is calling.
type Principal struct {
	Role    Role   `json:"role"`
	Subject string `json:"sub"`
}

const (
	issuer   = "orderflow"
	audience = "orderflow-api"
	// MaxTTL bounds a token's life so a leaked one does not live forever.
	MaxTTL = 90 * 24 * time.Hour
)

// ErrInvalidToken is returned, wrapped with the reason, for any token that is
// not one of ours or no longer valid.
var ErrInvalidToken = errors.New("invalid token")

type claims struct {
	Role Role `json:"role"`
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
	if _, err := ParseRole(string(p.Role)); err != nil {
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

// Verify checks signature, method, issuer, audience and expiry, and returns
// who the token names.
func (t *Tokens) Verify(token string) (Principal, error) {
	var c claims
	_, err := jwt.ParseWithClaims(token, &c, func(*jwt.Token) (any, error) { return t.secret, nil },
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithExpirationRequired(),
		jwt.WithIssuer(issuer),
		jwt.WithAudience(audience),
		jwt.WithTimeFunc(t.now),
	)
	if err != nil {
		return Principal{}, fmt.Errorf("%w: %s", ErrInvalidToken, reason(err))
	}
	if _, err := ParseRole(string(c.Role)); err != nil || c.Subject == "" {
		return Principal{}, fmt.Errorf("%w: it names no valid role and subject", ErrInvalidToken)
	}
	return Principal{Role: c.Role, Subject: c.Subject}, nil
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

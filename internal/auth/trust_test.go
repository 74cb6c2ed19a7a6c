package auth

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/orderflow/orderflow/lifecycle"
)

// Only people hold tokens: client and system are principals orderflow builds
// itself (a confirmation link's holder, the payment webhook, the timers).
func TestOnlyPersonRolesAreMinted(t *testing.T) {
	tokens := NewTokens("a-test-secret-of-sufficient-length!")
	for _, role := range []lifecycle.Role{lifecycle.System, lifecycle.Client} {
		_, err := tokens.Mint(Principal{Role: role, Subject: "payments-webhook"}, time.Hour)
		if err == nil {
			t.Fatalf("Mint(%s) succeeded: a %s token confirms payments that never happened", role, role)
		}
		if !strings.Contains(err.Error(), string(role)) || !strings.Contains(err.Error(), "member") {
			t.Errorf("Mint(%s) error %q does not name the role and the roles a token may name", role, err)
		}
		if r, err := lifecycle.ParsePersonRole(string(role)); err == nil {
			t.Errorf("ParsePersonRole(%s) = %s, want an error", role, r)
		}
	}
	for _, role := range lifecycle.PersonRoles {
		if !role.IsPerson() {
			t.Errorf("%s is not a person role", role)
		}
		if _, err := tokens.Mint(Principal{Role: role, Subject: "x-1"}, time.Hour); err != nil {
			t.Errorf("Mint(%s): %v", role, err)
		}
	}
	if len(lifecycle.PersonRoles) != len(lifecycle.Roles)-2 {
		t.Fatalf("PersonRoles = %v: every role but client and system", lifecycle.PersonRoles)
	}
}

// A token made with the secret but not by Mint is held to Mint's rules.
func TestVerifyHoldsEveryTokenToMintsRules(t *testing.T) {
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	tokens := NewTokens("secret-one-secret-one-secret-one")
	tokens.now = func() time.Time { return now }
	forge := func(role lifecycle.Role, iat *jwt.NumericDate, exp time.Time) string {
		t.Helper()
		s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims{Role: role, RegisteredClaims: jwt.RegisteredClaims{
			Issuer: issuer, Audience: jwt.ClaimStrings{audience}, Subject: "someone",
			IssuedAt: iat, ExpiresAt: jwt.NewNumericDate(exp),
		}}).SignedString(tokens.secret)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	at := jwt.NewNumericDate
	if _, err := tokens.Verify(forge(lifecycle.Staff, at(now), now.Add(time.Hour))); err != nil {
		t.Fatalf("a well-made forged-by-hand token is refused (%v): the cases below prove nothing", err)
	}
	cases := map[string]struct {
		token, want string
	}{
		"system role":                 {forge(lifecycle.System, at(now), now.Add(time.Hour)), `"system"`},
		"client role":                 {forge(lifecycle.Client, at(now), now.Add(time.Hour)), `"client"`},
		"no iat":                      {forge(lifecycle.Staff, nil, now.Add(time.Hour)), "iat"},
		"lifetime over MaxTTL":        {forge(lifecycle.Staff, at(now), now.Add(MaxTTL+time.Hour)), "longer than"},
		"iat long ago, exp far ahead": {forge(lifecycle.Staff, at(now.Add(-MaxTTL)), now.Add(time.Hour)), "longer than"},
		"issued in the future":        {forge(lifecycle.Staff, at(now.Add(time.Hour)), now.Add(2*time.Hour)), "future"},
		"expires before issued":       {forge(lifecycle.Staff, at(now.Add(30*time.Second)), now.Add(20*time.Second)), "before"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			p, err := tokens.Verify(tc.token)
			if !errors.Is(err, ErrInvalidToken) {
				t.Fatalf("Verify = %+v, %v; want ErrInvalidToken", p, err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %q, want it to say %q", err, tc.want)
			}
		})
	}
}

func TestVerifyTokenTellsTheExpiry(t *testing.T) {
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	tokens := NewTokens("secret-one-secret-one-secret-one")
	tokens.now = func() time.Time { return now }
	tok, err := tokens.Mint(Principal{Role: lifecycle.Supplier, Subject: "sup_1"}, 90*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	v, err := tokens.VerifyToken(tok)
	if err != nil {
		t.Fatal(err)
	}
	if v.Principal != (Principal{Role: lifecycle.Supplier, Subject: "sup_1"}) || !v.Expires.Equal(now.Add(90*time.Second)) {
		t.Fatalf("VerifyToken = %+v, want supplier sup_1 expiring at %s", v, now.Add(90*time.Second))
	}
}

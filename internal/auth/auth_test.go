package auth

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/orderflow/orderflow/lifecycle"
)

func TestMintVerifyRoundTrip(t *testing.T) {
	tokens := NewTokens("a-test-secret-of-sufficient-length!")
	for _, role := range lifecycle.PersonRoles {
		tok, err := tokens.Mint(Principal{Role: role, Subject: "sub-" + string(role)}, time.Hour)
		if err != nil {
			t.Fatalf("mint %s: %v", role, err)
		}
		p, err := tokens.Verify(tok)
		if err != nil {
			t.Fatalf("verify %s: %v", role, err)
		}
		if p.Role != role || p.Subject != "sub-"+string(role) {
			t.Fatalf("got %+v", p)
		}
	}
}

func TestVerifyRefuses(t *testing.T) {
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	tokens := NewTokens("secret-one-secret-one-secret-one")
	tokens.now = func() time.Time { return now }
	good, err := tokens.Mint(Principal{Role: lifecycle.Staff, Subject: "s-1"}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}

	other := NewTokens("secret-two-secret-two-secret-two")
	other.now = tokens.now
	foreign, _ := other.Mint(Principal{Role: lifecycle.Staff, Subject: "s-1"}, time.Hour)

	noExpiry, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, claims{Role: lifecycle.Staff, RegisteredClaims: jwt.RegisteredClaims{
		Issuer: issuer, Audience: jwt.ClaimStrings{audience}, Subject: "s-1",
	}}).SignedString(tokens.secret)
	unsigned, _ := jwt.NewWithClaims(jwt.SigningMethodNone, claims{Role: lifecycle.Staff, RegisteredClaims: jwt.RegisteredClaims{
		Issuer: issuer, Audience: jwt.ClaimStrings{audience}, Subject: "s-1", ExpiresAt: jwt.NewNumericDate(now.Add(time.Hour)),
	}}).SignedString(jwt.UnsafeAllowNoneSignatureType)
	parts := strings.Split(good, ".")
	tampered := parts[0] + "." + strings.TrimRight(parts[1], "=") + "x." + parts[2]

	cases := map[string]struct {
		token string
		want  string
	}{
		"other secret": {foreign, "signature"},
		"no expiry":    {noExpiry, "not issued"},
		"alg none":     {unsigned, ""},
		"tampered":     {tampered, ""},
		"garbage":      {"not-a-token", "well-formed"},
		"empty":        {"", "well-formed"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := tokens.Verify(tc.token)
			if !errors.Is(err, ErrInvalidToken) {
				t.Fatalf("err = %v, want ErrInvalidToken", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %q, want it to mention %q", err, tc.want)
			}
		})
	}

	t.Run("expired", func(t *testing.T) {
		later := NewTokens("secret-one-secret-one-secret-one")
		later.now = func() time.Time { return now.Add(2 * time.Hour) }
		_, err := later.Verify(good)
		if !errors.Is(err, ErrInvalidToken) || !strings.Contains(err.Error(), "expired") {
			t.Fatalf("err = %v, want an expiry error", err)
		}
	})
}

func TestMintRefusesBadInput(t *testing.T) {
	tokens := NewTokens("a-test-secret-of-sufficient-length!")
	cases := []struct {
		p   Principal
		ttl time.Duration
	}{
		{Principal{Role: "admin", Subject: "x"}, time.Hour},
		{Principal{Role: lifecycle.Member, Subject: " "}, time.Hour},
		{Principal{Role: lifecycle.Member, Subject: "m-1"}, 0},
		{Principal{Role: lifecycle.Member, Subject: "m-1"}, MaxTTL + time.Second},
	}
	for _, tc := range cases {
		if _, err := tokens.Mint(tc.p, tc.ttl); err == nil {
			t.Errorf("Mint(%+v, %s) succeeded, want an error", tc.p, tc.ttl)
		}
	}
}

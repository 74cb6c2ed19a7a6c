package payments

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strings"
)

// A link token is "<payment id>.<base64url HMAC-SHA256(key, "pay:" + id)>".
//
// Derived, not random, so that a retried CreateLink returns the same URL
// while the database keeps only sha256(token). Carrying the payment id lets
// the page tell a damaged link (bad MAC) from one whose payment does not
// exist. Changing the secret invalidates every outstanding link.

const (
	tokenSeparator = "."
	macLength      = sha256.Size
	// maxTokenLength stops absurd input before any hashing; real tokens are ~75 characters.
	maxTokenLength = 200
)

// tokenKey derives the link-token key from the webhook secret, so that one
// configured secret serves both without a pay-link MAC ever being usable as
// a webhook signature or the other way round.
func tokenKey(secret []byte) []byte {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte("orderflow sandbox payment link tokens v1"))
	return mac.Sum(nil)
}

func linkToken(key []byte, paymentID string) string {
	return paymentID + tokenSeparator + base64.RawURLEncoding.EncodeToString(linkMAC(key, paymentID))
}

func linkMAC(key []byte, paymentID string) []byte {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte("pay:" + paymentID))
	return mac.Sum(nil)
}

func tokenHash(token string) []byte {
	sum := sha256.Sum256([]byte(token))
	return sum[:]
}

// checkToken verifies that token was made by linkToken with key and returns
// its payment id. Any malformed or forged token is ErrLinkTampered.
func checkToken(key []byte, token string) (string, error) {
	if len(token) > maxTokenLength {
		return "", fmt.Errorf("%w: too long", ErrLinkTampered)
	}
	paymentID, encodedMAC, ok := strings.Cut(token, tokenSeparator)
	if !ok || !strings.HasPrefix(paymentID, paymentIDPrefix) {
		return "", fmt.Errorf("%w: not a payment link token", ErrLinkTampered)
	}
	got, err := base64.RawURLEncoding.Strict().DecodeString(encodedMAC)
	if err != nil || len(got) != macLength {
		return "", fmt.Errorf("%w: malformed signature", ErrLinkTampered)
	}
	if !hmac.Equal(got, linkMAC(key, paymentID)) {
		return "", fmt.Errorf("%w: signature does not match", ErrLinkTampered)
	}
	return paymentID, nil
}

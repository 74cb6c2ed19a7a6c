// Package linktoken makes and checks the tokens of the links orderflow
// emails to people without an account: the client's confirmation link and
// the sandbox pay link. A token is "<id>.<base64url HMAC-SHA256(key, scope + id)>".
//
// Derived, not random, so that a retried step that makes a link returns
// the same URL while the database keeps only sha256(token). Carrying the id
// lets a page tell a damaged link (bad MAC) from one whose record does not
// exist. The key is derived from a configured secret and a label, so one
// secret serves several purposes without a token of one ever being valid as
// anything else; changing the secret invalidates every outstanding link.
package linktoken

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strings"
)

// ErrInvalid: the token is too long, malformed, for another kind of link,
// or its MAC does not match; the wrapped text says which.
var ErrInvalid = errors.New("invalid link token")

const (
	separator = "."
	// maxLength stops absurd input before any hashing; real tokens are about 75 characters.
	maxLength = 200
)

// Signer makes and checks the tokens of one kind of link.
type Signer struct {
	key      []byte
	scope    string // what the MAC covers before the id ("pay:")
	idPrefix string // every id of this kind starts with it ("pay_")
}

// New is the signer of ids starting with idPrefix, keyed by secret and
// label (the key is HMAC-SHA256(secret, label)), whose MACs cover scope + id.
func New(secret []byte, label, scope, idPrefix string) Signer {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(label))
	return Signer{key: mac.Sum(nil), scope: scope, idPrefix: idPrefix}
}

// Token is the token of id.
func (s Signer) Token(id string) string {
	return id + separator + base64.RawURLEncoding.EncodeToString(s.mac(id))
}

// Check returns the id of a token this signer made; anything else is
// ErrInvalid.
func (s Signer) Check(token string) (string, error) {
	if len(token) > maxLength {
		return "", invalid("too long")
	}
	id, encodedMAC, ok := strings.Cut(token, separator)
	if !ok || !strings.HasPrefix(id, s.idPrefix) {
		return "", invalid("not a token of this kind of link")
	}
	got, err := base64.RawURLEncoding.Strict().DecodeString(encodedMAC)
	if err != nil || len(got) != sha256.Size {
		return "", invalid("malformed signature")
	}
	if !hmac.Equal(got, s.mac(id)) {
		return "", invalid("signature does not match")
	}
	return id, nil
}

// Hash is what a database keeps of a token: sha256(token), never the
// token itself.
func Hash(token string) []byte {
	sum := sha256.Sum256([]byte(token))
	return sum[:]
}

func (s Signer) mac(id string) []byte {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(s.scope + id))
	return m.Sum(nil)
}

type invalidError string

func (e invalidError) Error() string        { return string(e) }
func (e invalidError) Is(target error) bool { return target == ErrInvalid }

func invalid(why string) error { return invalidError(why) }

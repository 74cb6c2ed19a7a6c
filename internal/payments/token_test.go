package payments

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"testing"
)

// Pay links already emailed must keep working: the token is the one the
// sandbox has always made (key HMAC(secret, label), MAC over "pay:" + id).
func TestPayLinkTokensAreTheOnesAlreadySent(t *testing.T) {
	key := hmac.New(sha256.New, []byte("secret"))
	key.Write([]byte("orderflow sandbox payment link tokens v1"))
	mac := hmac.New(sha256.New, key.Sum(nil))
	mac.Write([]byte("pay:pay_01ABC"))
	want := "pay_01ABC." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
	if got := linkSigner([]byte("secret")).Token("pay_01ABC"); got != want {
		t.Fatalf("pay-link token %q, want %q", got, want)
	}
}

func TestForgedPayLinkTokensAreTampered(t *testing.T) {
	s := &Sandbox{links: linkSigner([]byte("secret"))}
	if id, err := s.checkToken(s.links.Token("pay_01ABC")); err != nil || id != "pay_01ABC" {
		t.Fatalf("checkToken(own token) = %q, %v", id, err)
	}
	for name, token := range map[string]string{
		"other secret":  linkSigner([]byte("other")).Token("pay_01ABC"),
		"not a payment": "cl_01ABC.AAAA",
		"garbage":       "hello",
	} {
		if _, err := s.checkToken(token); !errors.Is(err, ErrLinkTampered) {
			t.Errorf("%s: checkToken = %v, want ErrLinkTampered", name, err)
		}
	}
}

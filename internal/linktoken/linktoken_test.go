package linktoken

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
)

func TestTokenIsDerivedAndChecked(t *testing.T) {
	s := New([]byte("secret"), "label v1", "pay:", "pay_")
	token := s.Token("pay_01ABC")
	if again := s.Token("pay_01ABC"); again != token {
		t.Fatalf("the same id made %q then %q; want one token", token, again)
	}
	if other := s.Token("pay_01ABD"); other == token {
		t.Fatal("two ids made the same token")
	}
	if id, err := s.Check(token); err != nil || id != "pay_01ABC" {
		t.Fatalf("Check(own token) = %q, %v", id, err)
	}
}

// The format is what links already emailed carry: changing it would break
// every outstanding link.
func TestTokenFormatIsStable(t *testing.T) {
	keyMAC := hmac.New(sha256.New, []byte("secret"))
	keyMAC.Write([]byte("label v1"))
	m := hmac.New(sha256.New, keyMAC.Sum(nil))
	m.Write([]byte("pay:pay_01ABC"))
	want := "pay_01ABC." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
	if got := New([]byte("secret"), "label v1", "pay:", "pay_").Token("pay_01ABC"); got != want {
		t.Fatalf("token %q, want %q", got, want)
	}
}

func TestForeignAndDamagedTokensAreInvalid(t *testing.T) {
	s := New([]byte("secret"), "label v1", "pay:", "pay_")
	good := s.Token("pay_01ABC")
	id, mac, _ := strings.Cut(good, ".")
	for name, token := range map[string]string{
		"empty":               "",
		"no separator":        id,
		"other kind":          "cl_01ABC." + mac,
		"mac of another id":   "pay_01ABD." + mac,
		"mac not base64":      id + ".!!!",
		"mac cut short":       id + "." + mac[:10],
		"too long":            id + "." + strings.Repeat("A", 300),
		"other secret":        New([]byte("other"), "label v1", "pay:", "pay_").Token(id),
		"other label":         New([]byte("secret"), "label v2", "pay:", "pay_").Token(id),
		"other scope":         New([]byte("secret"), "label v1", "client-link:", "pay_").Token(id),
		"trailing characters": good + "x",
	} {
		if _, err := s.Check(token); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: Check = %v, want ErrInvalid", name, err)
		}
	}
}

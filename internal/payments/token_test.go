package payments

import (
	"errors"
	"strings"
	"testing"
)

func TestLinkTokenIsDeterministicAndChecked(t *testing.T) {
	key := tokenKey([]byte("secret"))
	token := linkToken(key, "pay_01ABC")
	if again := linkToken(key, "pay_01ABC"); again != token {
		t.Fatalf("token of the same payment changed: %q then %q", token, again)
	}
	if other := linkToken(key, "pay_01ABD"); other == token {
		t.Fatal("two payments got the same token")
	}
	id, err := checkToken(key, token)
	if err != nil || id != "pay_01ABC" {
		t.Fatalf("checkToken(own token) = %q, %v; want pay_01ABC", id, err)
	}
}

func TestCheckTokenRefusesForgedTokens(t *testing.T) {
	key := tokenKey([]byte("secret"))
	good := linkToken(key, "pay_01ABC")
	id, mac, _ := strings.Cut(good, ".")
	flipped := []byte(mac)
	flipped[3] ^= 1 // still base64url, another MAC
	for name, token := range map[string]string{
		"empty":               "",
		"no separator":        "pay_01ABC" + mac,
		"not a payment id":    "order_1." + mac,
		"changed payment id":  "pay_01ABD." + mac,
		"changed signature":   id + "." + string(flipped),
		"truncated signature": good[:len(good)-2],
		"not base64":          id + ".!!!!",
		"other secret":        linkToken(tokenKey([]byte("other")), "pay_01ABC"),
		"absurdly long":       id + "." + strings.Repeat("A", 5000),
	} {
		if _, err := checkToken(key, token); !errors.Is(err, ErrLinkTampered) {
			t.Errorf("%s: checkToken = %v, want ErrLinkTampered", name, err)
		}
	}
}

func TestTokenKeyIsNotTheWebhookSecret(t *testing.T) {
	secret := []byte("shared secret")
	if string(tokenKey(secret)) == string(secret) {
		t.Fatal("link tokens are signed with the webhook secret itself")
	}
	if string(tokenKey(secret)) == string(tokenKey([]byte("another secret"))) {
		t.Fatal("different secrets derive the same token key")
	}
}

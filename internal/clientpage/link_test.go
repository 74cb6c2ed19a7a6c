package clientpage

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"testing"
)

// Confirmation links already emailed must keep working: the token is the
// one orderflow has always made (key HMAC(secret, label), MAC over
// "client-link:" + id), at the path it has always had.
func TestClientLinkTokensAreTheOnesAlreadySent(t *testing.T) {
	key := hmac.New(sha256.New, []byte("secret"))
	key.Write([]byte("orderflow client confirmation link tokens v1"))
	mac := hmac.New(sha256.New, key.Sum(nil))
	mac.Write([]byte("client-link:cl_01ABC"))
	want := "/c/cl_01ABC." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
	if got := Path(Tokens([]byte("secret")).Token("cl_01ABC")); got != want {
		t.Fatalf("client link path %q, want %q", got, want)
	}
}

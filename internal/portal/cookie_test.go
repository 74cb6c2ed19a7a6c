package portal

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestCookiesAreSecureOverHTTPS(t *testing.T) {
	for publicURL, secure := range map[string]bool{"https://orders.example": true, "http://localhost:8080": false} {
		rec := httptest.NewRecorder()
		New(Deps{PublicURL: publicURL}).setCookie(rec, sessionCookie, "token", Prefix, time.Now().Add(time.Hour))
		cookies := rec.Result().Cookies()
		if len(cookies) != 1 || cookies[0].Secure != secure || !cookies[0].HttpOnly || cookies[0].SameSite != http.SameSiteLaxMode {
			t.Errorf("%s: cookies %+v, want one, Secure=%v, HttpOnly, SameSite=Lax", publicURL, cookies, secure)
		}
	}
}

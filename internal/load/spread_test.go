package load

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// Requests for a replica go round the replicas; others go where they were sent.
func TestSpreadTakesTurns(t *testing.T) {
	var hits [3][]string
	var servers [3]*httptest.Server
	for i := range servers {
		servers[i] = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			hits[i] = append(hits[i], r.URL.Path)
		}))
		defer servers[i].Close()
	}
	host := func(s *httptest.Server) string { u, _ := url.Parse(s.URL); return u.Host }
	c := &http.Client{Transport: &Spread{Hosts: []string{host(servers[0]), host(servers[1])}}}
	for _, target := range []string{servers[0].URL + "/a", servers[0].URL + "/b", servers[1].URL + "/c", servers[2].URL + "/d"} {
		resp, err := c.Get(target)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	got := []string{strings.Join(hits[0], ","), strings.Join(hits[1], ","), strings.Join(hits[2], ",")}
	if want := []string{"/a,/c", "/b", "/d"}; strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("replicas got %q, want %q", got, want)
	}
}

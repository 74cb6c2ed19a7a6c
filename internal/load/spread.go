package load

import (
	"net/http"
	"slices"
	"sync/atomic"
)

// Spread sends each request for one of Hosts to the next of them in turn,
// as a load balancer in front of API replicas would: the steps of one order
// land on different replicas. A request for another host goes as it is.
// Under a RetryTransport, a retry goes to the next replica too, so a
// replica that is down costs a retry, not a failure.
type Spread struct {
	Base  http.RoundTripper
	Hosts []string // host:port of each replica
	next  atomic.Uint64
}

// RoundTrip implements http.RoundTripper.
func (s *Spread) RoundTrip(req *http.Request) (*http.Response, error) {
	base := s.Base
	if base == nil {
		base = http.DefaultTransport
	}
	if len(s.Hosts) == 0 || !slices.Contains(s.Hosts, req.URL.Host) {
		return base.RoundTrip(req)
	}
	host := s.Hosts[(s.next.Add(1)-1)%uint64(len(s.Hosts))]
	out := req.Clone(req.Context())
	out.URL.Host, out.Host = host, host
	return base.RoundTrip(out)
}

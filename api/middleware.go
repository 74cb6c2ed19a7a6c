package api

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"github.com/orderflow/orderflow/internal/clientpage"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/orderflow/orderflow/internal/auth"
	"github.com/orderflow/orderflow/internal/observe"
	"github.com/orderflow/orderflow/lifecycle"
	"github.com/orderflow/orderflow/workflows"
)

const (
	requestIDHeader = "X-Request-Id"
	ctxRequestID    = "orderflow.request_id"
	ctxPrincipal    = "orderflow.principal"
	ctxTokenExpiry  = "orderflow.token_expiry"
	// maxBodyBytes bounds every request body. Orders and actions are a few
	// KiB (each field has its own bound); a webhook event is smaller still.
	maxBodyBytes = 128 << 10
	// maxBodyText is maxBodyBytes as the 413 answers name it.
	maxBodyText = "128 KiB"
)

// validRequestID is the workflows' rule for request ids, for X-Request-Id too.
var validRequestID = workflows.ValidRequestID

// withRequestID adopts the caller's X-Request-Id or mints one, and echoes it.
// The request's context carries it too: the Temporal client sends it to the
// workflow and its activities, whose log lines then name it. A traced
// request's span is named after its route and tagged with the id.
func withRequestID(c *gin.Context) {
	id := c.GetHeader(requestIDHeader)
	if !validRequestID.MatchString(id) {
		id = newRequestID()
	}
	c.Set(ctxRequestID, id)
	c.Header(requestIDHeader, id)
	c.Request = c.Request.WithContext(observe.WithRequestID(c.Request.Context(), id))
	if span := trace.SpanFromContext(c.Request.Context()); span.IsRecording() {
		span.SetName(c.Request.Method + " " + routeOf(c))
		// url.path replaces the one the HTTP instrumentation recorded: the
		// path of a pay or client page is the bearer link itself.
		span.SetAttributes(attribute.String("http.route", routeOf(c)), attribute.String("orderflow.request_id", id),
			attribute.String("url.path", redactPath(c.Request.URL.Path)))
	}
	c.Next()
}

func newRequestID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return "req_" + hex.EncodeToString(b)
}

func requestID(c *gin.Context) string { return c.GetString(ctxRequestID) }

// withAccessLog writes one structured line per request.
func withAccessLog(log *slog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		status := c.Writer.Status()
		level := slog.LevelInfo
		if status >= 500 {
			level = slog.LevelError
		}
		attrs := []any{
			"request_id", requestID(c),
			"method", c.Request.Method,
			"route", routeOf(c),
			"path", redactPath(c.Request.URL.Path),
			"status", status,
			"duration_ms", float64(time.Since(start).Microseconds()) / 1000,
		}
		if p, ok := principalOf(c); ok {
			attrs = append(attrs, "role", p.Role, "subject", p.Subject)
		}
		if id := orderOf(c); id != "" {
			attrs = append(attrs, "order_id", id)
		}
		if len(c.Errors) > 0 {
			attrs = append(attrs, "error", c.Errors.String())
		}
		log.Log(c.Request.Context(), level, "http request", attrs...)
	}
}

// bearerPathPrefixes are the paths whose next segment is a bearer link's
// token: whoever reads it can pay the order or answer for the client.
var bearerPathPrefixes = []string{"/pay/", clientpage.Route}

// redactPath is path with a link token replaced by redactToken's digest, so
// logs and traces can tell requests for one link apart from another's and
// match them with a link at hand, but nobody can open the link from them.
func redactPath(path string) string {
	for _, prefix := range bearerPathPrefixes {
		rest, ok := strings.CutPrefix(path, prefix)
		if !ok || rest == "" {
			continue
		}
		token, tail, hasTail := strings.Cut(rest, "/")
		if hasTail {
			tail = "/" + tail
		}
		return prefix + redactToken(token) + tail
	}
	return path
}

// redactToken names a token by the start of its SHA-256: "sha256:1a2b3c4d5e6f".
func redactToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return "sha256:" + hex.EncodeToString(sum[:6])
}

// orderOf is the order a request is about: the :id of an order route, or
// the order a create made (its Location), so its access log line can be
// matched with the worker's lines about that order.
func orderOf(c *gin.Context) string {
	if strings.HasPrefix(c.FullPath(), "/v1/orders/:id") {
		return c.Param("id")
	}
	if c.FullPath() == "/v1/orders" && c.Request.Method == http.MethodPost {
		return strings.TrimPrefix(c.Writer.Header().Get("Location"), "/v1/orders/")
	}
	return ""
}

// routeOf is the route template ("/v1/orders/:id"), so metrics and logs do not
// explode into one series per order.
func routeOf(c *gin.Context) string {
	if r := c.FullPath(); r != "" {
		return r
	}
	return "unmatched"
}

// httpMetrics are the API's request metrics.
type httpMetrics struct {
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
}

func newHTTPMetrics(reg prometheus.Registerer) *httpMetrics {
	m := &httpMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "orderflow_http_requests_total",
			Help: "HTTP requests answered by the API, by route template, method and status code.",
		}, []string{"method", "route", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "orderflow_http_request_duration_seconds",
			Help:    "Time to answer an HTTP request, by route template and method.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 14), // 1 ms .. 8 s
		}, []string{"method", "route"}),
	}
	reg.MustRegister(m.requests, m.latency)
	return m
}

func (m *httpMetrics) observe(c *gin.Context) {
	start := time.Now()
	c.Next()
	route := routeOf(c)
	m.requests.WithLabelValues(c.Request.Method, route, strconv.Itoa(c.Writer.Status())).Inc()
	m.latency.WithLabelValues(c.Request.Method, route).Observe(time.Since(start).Seconds())
}

// withBodyLimit refuses oversized bodies before anything reads them.
func withBodyLimit(c *gin.Context) {
	limit, text := int64(maxBodyBytes), maxBodyText
	if slices.Contains(uploadRoutes, c.FullPath()) {
		limit, text = maxUploadBytes, maxUploadText
	}
	if c.Request.ContentLength > limit {
		abortWith(c, http.StatusRequestEntityTooLarge, fmt.Sprintf("The request body is %d bytes; the limit is %s (%d bytes). Send a smaller body.", c.Request.ContentLength, text, limit))
		return
	}
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, limit)
	c.Next()
}

// recoverToProblem turns a panic into a logged 500 problem instead of a dropped connection.
func recoverToProblem(log *slog.Logger) gin.HandlerFunc {
	return gin.CustomRecoveryWithWriter(nil, func(c *gin.Context, err any) {
		log.Error("panic in handler", "request_id", requestID(c), "panic", fmt.Sprint(err))
		abortWith(c, http.StatusInternalServerError, "Something went wrong on our side. Try again; if it persists, report request id "+requestID(c)+".")
	})
}

// authenticated requires a valid bearer token and records who is calling.
func authenticated(tokens *auth.Tokens) gin.HandlerFunc {
	return func(c *gin.Context) {
		header := c.GetHeader("Authorization")
		scheme, token, found := strings.Cut(header, " ")
		if header == "" {
			c.Header("WWW-Authenticate", `Bearer realm="orderflow"`)
			abortWith(c, http.StatusUnauthorized, "This endpoint needs a bearer token: send `Authorization: Bearer <token>` (mint one with `orderflow token --role ROLE --sub ID`).")
			return
		}
		if !found || !strings.EqualFold(scheme, "Bearer") {
			c.Header("WWW-Authenticate", `Bearer realm="orderflow"`)
			abortWith(c, http.StatusUnauthorized, "The Authorization header must read `Bearer <token>`.")
			return
		}
		v, err := tokens.VerifyToken(strings.TrimSpace(token))
		if err != nil {
			c.Header("WWW-Authenticate", `Bearer realm="orderflow", error="invalid_token"`)
			abortWith(c, http.StatusUnauthorized, "The bearer token was refused: "+strings.TrimPrefix(err.Error(), auth.ErrInvalidToken.Error()+": ")+".")
			return
		}
		c.Set(ctxPrincipal, v.Principal)
		c.Set(ctxTokenExpiry, v.Expires)
		c.Next()
	}
}

// requireRole lets only the given roles through; others get 403.
func requireRole(roles ...lifecycle.Role) gin.HandlerFunc {
	return func(c *gin.Context) {
		p, _ := principalOf(c)
		for _, r := range roles {
			if p.Role == r {
				c.Next()
				return
			}
		}
		abortWith(c, http.StatusForbidden, fmt.Sprintf("Your role %q may not do this; it needs one of: %s.", p.Role, lifecycle.JoinRoles(roles)))
	}
}

// tokenExpiry is when the caller's bearer token expires; false without one.
func tokenExpiry(c *gin.Context) (time.Time, bool) {
	v, ok := c.Get(ctxTokenExpiry)
	if !ok {
		return time.Time{}, false
	}
	t, ok := v.(time.Time)
	return t, ok && !t.IsZero()
}

func principalOf(c *gin.Context) (auth.Principal, bool) {
	v, ok := c.Get(ctxPrincipal)
	if !ok {
		return auth.Principal{}, false
	}
	p, ok := v.(auth.Principal)
	return p, ok
}

// isBodyTooLarge reports whether err came from the body limit.
func isBodyTooLarge(err error) bool {
	var mbe *http.MaxBytesError
	return errors.As(err, &mbe)
}

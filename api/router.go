// Package api is orderflow's HTTP API: it authenticates, validates the shape
// of requests and talks to Temporal (start, update, query) or reads the
// Postgres read model. It holds no lifecycle logic of its own.
package api

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.temporal.io/sdk/client"

	"github.com/orderflow/orderflow/internal/auth"
	"github.com/orderflow/orderflow/internal/payments"
	"github.com/orderflow/orderflow/internal/store"
	"github.com/orderflow/orderflow/workflows"
)

// Deps is what the API needs from the process that runs it.
type Deps struct {
	Tokens *auth.Tokens
	// Store is the read model (lists, documents, suppliers, feeds).
	Store *store.Store
	// Temporal runs the orders; TaskQueue is where their workflows run.
	Temporal  client.Client
	TaskQueue string
	// Settings stamped on every new order of each flow.
	Marketplace workflows.MarketplaceSettings
	Member      workflows.MemberSettings
	// Payments is the sandbox provider behind /pay/{token}; nil with a real
	// provider. Deliverer sends its webhooks; WebhookSecret verifies them.
	Payments      *payments.Sandbox
	Deliverer     *payments.Deliverer
	WebhookSecret []byte
	// ClientLinks are the links behind /c/{token}, where the client of a
	// member order confirms or declines it; nil makes those pages say so.
	ClientLinks *store.ClientLinks
	Logger      *slog.Logger
	// Registry receives the API's metrics and is what /metrics serves
	// (the worker's metrics join it when both run in one process).
	Registry *prometheus.Registry
	// Readiness checks, by name ("temporal", "postgres"); /readyz runs them all.
	Readiness map[string]func(context.Context) error
	// Inbox lists captured mail at GET /dev/mail, which has no login: only
	// dev mode (and tests) set it; nil, /dev/mail does not exist.
	Inbox Inbox
	// Pages builds the people's pages (/app, internal/portal) on the API
	// they act through; nil serves none.
	Pages func(api http.Handler) http.Handler
}

// New builds the router.
func New(d Deps) http.Handler { return newEngine(d) }

func newEngine(d Deps) *gin.Engine {
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.HandleMethodNotAllowed = true
	r.ContextWithFallback = true

	metrics := newHTTPMetrics(d.Registry)
	r.Use(withRequestID, metrics.observe, withAccessLog(d.Logger), recoverToProblem(d.Logger), withBodyLimit, withStrictQuery)
	r.NoRoute(func(c *gin.Context) {
		abortWith(c, http.StatusNotFound, "There is nothing at "+c.Request.URL.Path+". The endpoints are listed in /openapi.yaml.")
	})
	r.NoMethod(func(c *gin.Context) {
		abortWith(c, http.StatusMethodNotAllowed, c.Request.Method+" is not supported on "+c.Request.URL.Path+". See /openapi.yaml for the allowed methods.")
	})

	r.GET("/healthz", healthz)
	r.GET("/readyz", readyz(d.Readiness))
	r.GET("/metrics", gin.WrapH(promhttp.HandlerFor(d.Registry, promhttp.HandlerOpts{Registry: d.Registry})))
	r.GET("/openapi.yaml", serveOpenAPI)
	if d.Inbox != nil {
		r.GET("/dev/mail", devMail(d.Inbox))
	}
	registerPaymentRoutes(r, d)
	registerClientRoutes(r, d)
	if d.Pages != nil {
		pages := gin.WrapH(d.Pages(r))
		r.Any("/app", func(c *gin.Context) { c.Redirect(http.StatusSeeOther, "/app/") })
		r.Any("/app/*page", pages)
	}

	v1 := r.Group("/v1", authenticated(d.Tokens), withValidPathIDs)
	v1.GET("/me", me)
	registerOrderRoutes(v1, d)
	registerInvoiceRoutes(v1, d)
	registerSupplierRoutes(v1, d)
	registerOpsRoutes(v1, d)
	return r
}

// me tells callers who their token says they are: handy to check a token.
func me(c *gin.Context) {
	p, _ := principalOf(c)
	c.JSON(http.StatusOK, p)
}

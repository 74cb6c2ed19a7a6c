// Package app wires orderflow's parts from configuration. The `worker`, `api`
// and `dev` commands and the integration tests all assemble the system here,
// so what the tests run is what production runs.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/contrib/envconfig"
	sdklog "go.temporal.io/sdk/log"
	sdkworker "go.temporal.io/sdk/worker"

	"github.com/orderflow/orderflow/activities"
	"github.com/orderflow/orderflow/api"
	"github.com/orderflow/orderflow/db/migrations"
	"github.com/orderflow/orderflow/internal/auth"
	"github.com/orderflow/orderflow/internal/clientpage"
	"github.com/orderflow/orderflow/internal/config"
	"github.com/orderflow/orderflow/internal/email"
	"github.com/orderflow/orderflow/internal/observe"
	"github.com/orderflow/orderflow/internal/payments"
	"github.com/orderflow/orderflow/internal/portal"
	"github.com/orderflow/orderflow/internal/signin"
	"github.com/orderflow/orderflow/internal/store"
	"github.com/orderflow/orderflow/lifecycle"
	"github.com/orderflow/orderflow/worker"
	"github.com/orderflow/orderflow/workflows"
)

// DatabaseMode says how much OpenDatabase may change.
type DatabaseMode int

const (
	// DatabaseExisting expects a migrated database (production: `orderflow migrate` runs first).
	DatabaseExisting DatabaseMode = iota
	// DatabaseCreate creates the database when missing and migrates it (dev mode, tests).
	DatabaseCreate
)

// OpenDatabase connects to the read model and makes sure its schema is the
// one this build expects.
func OpenDatabase(ctx context.Context, databaseURL string, mode DatabaseMode, log *slog.Logger) (*pgxpool.Pool, error) {
	if mode == DatabaseCreate {
		if err := store.EnsureDatabase(ctx, databaseURL); err != nil {
			return nil, err
		}
	}
	pool, err := store.Open(ctx, databaseURL)
	if err != nil {
		return nil, err
	}
	if err := prepareSchema(ctx, pool, mode); err != nil {
		pool.Close()
		return nil, err
	}
	cc := pool.Config().ConnConfig
	log.Info("read model ready", "database", cc.Database, "host", cc.Host, "port", cc.Port)
	return pool, nil
}

func prepareSchema(ctx context.Context, pool *pgxpool.Pool, mode DatabaseMode) error {
	if mode == DatabaseCreate {
		_, err := migrations.Apply(ctx, pool)
		return err
	}
	pending, err := migrations.Pending(ctx, pool)
	if err != nil {
		return err
	}
	if pending {
		return errors.New("the database schema is older than this build: run `orderflow migrate` first")
	}
	return nil
}

// TemporalTarget overrides where the client connects; dev mode and tests use
// it for their in-process server. Empty fields fall back to TEMPORAL_* variables.
type TemporalTarget struct {
	HostPort  string
	Namespace string
	// Telemetry measures and traces the client and the workers built on it;
	// nil makes a new one, tracing as the OTEL_* variables say.
	Telemetry *observe.Telemetry
}

// dialTimeout bounds the first connection so a wrong address fails fast.
const dialTimeout = 15 * time.Second

// DialTemporal connects a client configured like Temporal's CLI (envconfig:
// TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TLS and API key variables, profiles).
func DialTemporal(ctx context.Context, vars map[string]string, target TemporalTarget, log *slog.Logger) (_ client.Client, err error) {
	opts, err := envconfig.LoadClientOptions(envconfig.LoadClientOptionsRequest{EnvLookup: mapLookup(vars)})
	if err != nil {
		return nil, fmt.Errorf("temporal client configuration (TEMPORAL_* variables): %w", err)
	}
	if target.HostPort != "" {
		opts.HostPort = target.HostPort
	}
	if target.Namespace != "" {
		opts.Namespace = target.Namespace
	}
	if opts.HostPort == "" {
		opts.HostPort = client.DefaultHostPort
	}
	if opts.Namespace == "" {
		opts.Namespace = client.DefaultNamespace
	}
	opts.Logger = sdklog.NewStructuredLogger(log.With("component", "temporal-sdk"))
	tel := target.Telemetry
	if tel == nil {
		if tel, err = NewTelemetry(ctx, vars, log); err != nil {
			return nil, err
		}
		defer func() {
			if err != nil {
				_ = tel.Shutdown(context.Background())
			}
		}()
	}
	tel.ConfigureTemporal(&opts)

	dialCtx, cancel := context.WithTimeout(ctx, dialTimeout)
	defer cancel()
	c, err := client.DialContext(dialCtx, opts)
	if err != nil {
		return nil, fmt.Errorf("cannot reach Temporal at %s, namespace %s (set TEMPORAL_ADDRESS and TEMPORAL_NAMESPACE, or run `orderflow dev`): %w",
			opts.HostPort, opts.Namespace, err)
	}
	return c, nil
}

// NewTelemetry is telemetry on a new registry (NewRegistry), tracing when
// vars set OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_TRACES_EXPORTER.
func NewTelemetry(ctx context.Context, vars map[string]string, log *slog.Logger) (*observe.Telemetry, error) {
	tp, err := observe.TracingFromEnv(ctx, mapLookup(vars).LookupEnv)
	if err != nil {
		return nil, err
	}
	opts := observe.Options{Registry: NewRegistry(), FlowAttribute: workflows.OrderFlow, Logger: log}
	if tp != nil {
		opts.TracerProvider = tp
	}
	return observe.New(opts)
}

// Mail builds the configured email sender; in capture mode it also returns
// the inbox behind GET /dev/mail.
func Mail(cfg config.Config, pool *pgxpool.Pool) (email.Sender, *email.Capture, error) {
	switch cfg.EmailMode {
	case "capture":
		capture := email.NewCapture(pool)
		return capture, capture, nil
	case "sendgrid":
		sg, err := email.NewSendGrid(email.SendGridConfig{
			APIKey: cfg.SendGridAPIKey, BaseURL: cfg.SendGridURL, Timeout: cfg.SendGridTimeout,
		})
		return sg, nil, err
	default:
		return nil, nil, fmt.Errorf("ORDERFLOW_EMAIL_MODE must be capture or sendgrid, not %q", cfg.EmailMode)
	}
}

// Payments is the built-in sandbox payment provider; its links point at the
// API's pay page and its webhooks are signed with the webhook secret.
func Payments(cfg config.Config, pool *pgxpool.Pool) *payments.Sandbox {
	return payments.NewSandbox(pool, cfg.PublicURL, []byte(cfg.PaymentWebhookSecret))
}

// Activities builds every activity on the read model and the sender.
func Activities(cfg config.Config, pool *pgxpool.Pool, sender email.Sender, log *slog.Logger) (*activities.Activities, error) {
	templates, err := email.LoadTemplates()
	if err != nil {
		return nil, err
	}
	from, err := email.ParseAddress(cfg.EmailFrom)
	if err != nil {
		return nil, fmt.Errorf("ORDERFLOW_EMAIL_FROM: %w", err)
	}
	links, err := ClientLinks(cfg, pool)
	if err != nil {
		return nil, err
	}
	acts := activities.New(store.New(pool), Payments(cfg, pool), sender, templates, from, log)
	acts.ClientLinks, acts.PublicURL = links, cfg.PublicURL
	return acts, nil
}

// ClientLinks keeps member orders' client confirmation links; their tokens
// are signed with a key derived from the token secret.
func ClientLinks(cfg config.Config, pool *pgxpool.Pool) (*store.ClientLinks, error) {
	return store.NewClientLinks(pool, clientpage.Tokens([]byte(cfg.TokenSecret)))
}

// Worker builds the worker with every workflow and activity registered.
func Worker(c client.Client, cfg config.Config, acts *activities.Activities) sdkworker.Worker {
	// The cache is the process's, sized when its first worker starts: in a
	// process with several workers (tests) the first one's setting holds.
	sdkworker.SetStickyWorkflowCacheSize(cfg.WorkflowCacheSize)
	return worker.New(c, cfg.TaskQueue, acts)
}

// APIOptions is what the HTTP API needs besides configuration.
type APIOptions struct {
	Temporal client.Client
	Pool     *pgxpool.Pool
	Inbox    api.Inbox // serves /dev/mail (no login): dev mode and tests only, else nil
	// Mail sends the pages' sign-in links; nil serves no pages (/app).
	Mail email.Sender
	// Deliverer sends the sandbox provider's webhooks (see PaymentWebhooks).
	Deliverer *payments.Deliverer
	Logger    *slog.Logger
	// Registry receives the API's metrics and is what /metrics serves.
	Registry *prometheus.Registry
	// Telemetry traces the requests when tracing is on; nil: untraced.
	Telemetry *observe.Telemetry
}

// API builds the HTTP handler.
func API(cfg config.Config, o APIOptions) (http.Handler, error) {
	st := store.New(o.Pool)
	links, err := ClientLinks(cfg, o.Pool)
	if err != nil {
		return nil, err
	}
	deps := api.Deps{
		Tokens:        auth.NewTokens(cfg.TokenSecret),
		Store:         st,
		Temporal:      o.Temporal,
		TaskQueue:     cfg.TaskQueue,
		Marketplace:   MarketplaceSettings(cfg),
		Member:        MemberSettings(cfg),
		Payments:      Payments(cfg, o.Pool),
		Deliverer:     o.Deliverer,
		WebhookSecret: []byte(cfg.PaymentWebhookSecret),
		ClientLinks:   links,
		Logger:        o.Logger,
		Registry:      o.Registry,
		Readiness: map[string]func(context.Context) error{
			"postgres": st.Ping,
			"temporal": func(ctx context.Context) error {
				_, err := o.Temporal.CheckHealth(ctx, &client.CheckHealthRequest{})
				return err
			},
		},
	}
	if o.Inbox != nil {
		deps.Inbox = o.Inbox
	}
	if o.Mail != nil {
		if deps.Pages, err = pages(cfg, o, st, deps.Tokens); err != nil {
			return nil, err
		}
	}
	if err := watchAttention(o.Registry, o.Temporal); err != nil {
		return nil, err
	}
	h := api.New(deps)
	if o.Telemetry != nil {
		h = o.Telemetry.TraceHTTP(h)
	}
	return h, nil
}

// pages builds the people's pages on the API, signing in by emailed link.
func pages(cfg config.Config, o APIOptions, st *store.Store, tokens *auth.Tokens) (func(http.Handler) http.Handler, error) {
	from, err := email.ParseAddress(cfg.EmailFrom)
	if err != nil {
		return nil, fmt.Errorf("ORDERFLOW_EMAIL_FROM: %w", err)
	}
	staff := map[string][]lifecycle.Role{}
	for role, addr := range map[lifecycle.Role]string{
		lifecycle.Staff: cfg.StaffEmail, lifecycle.Purchasing: cfg.Lifecycle.PurchasingEmail, lifecycle.Finance: cfg.Lifecycle.FinanceEmail,
	} {
		if addr := store.NormalizeEmail(addr); addr != "" {
			staff[addr] = append(staff[addr], role)
		}
	}
	d := portal.Deps{
		Tokens: tokens, SignIn: signin.New(o.Pool), Directory: signin.Directory{Store: st, Staff: staff},
		Mail: o.Mail, From: from, PublicURL: cfg.PublicURL, Zone: cfg.Lifecycle.Location(), Logger: o.Logger,
	}
	if o.Inbox != nil {
		d.DevInbox = "/dev/mail"
	}
	return func(api http.Handler) http.Handler {
		d.API = api
		return portal.New(d)
	}, nil
}

// watchAttention adds orderflow_orders_needing_attention to reg, or points
// the gauge already there at c.
func watchAttention(reg prometheus.Registerer, c client.Client) error {
	err := reg.Register(observe.NewAttentionGauge(c, workflows.NeedsAttention))
	var registered prometheus.AlreadyRegisteredError
	if errors.As(err, &registered) {
		if gauge, ok := registered.ExistingCollector.(*observe.AttentionGauge); ok {
			gauge.Use(c)
			return nil
		}
	}
	return err
}

// MarketplaceSettings are the durations every new marketplace order keeps.
func MarketplaceSettings(cfg config.Config) workflows.MarketplaceSettings {
	l := cfg.Lifecycle
	return workflows.MarketplaceSettings{
		PaymentWindow: l.PaymentWindow, PendingWindow: l.PendingWindow,
		FulfilmentDeadline: l.FulfilmentDeadline, ReturnWindow: l.ReturnWindow,
		TimeZone: l.TimeZone, PublicURL: cfg.PublicURL, Waits: WaitSettings(cfg),
	}
}

// WaitSettings are who is told, reminded and escalated, and when, while an
// order waits for a person (workflows/waits.go).
func WaitSettings(cfg config.Config) workflows.WaitSettings {
	l := cfg.Lifecycle
	return workflows.WaitSettings{
		RemindAfter: l.RemindAfter, EscalateAfter: l.EscalateAfter,
		CreditReminderLead: l.CreditReminderLead, CreditEscalationLead: l.CreditEscalationLead,
		PurchasingEmail: l.PurchasingEmail, FinanceEmail: l.FinanceEmail, StaffEmail: cfg.StaffEmail,
	}
}

// MemberSettings are the durations and places every new member order keeps.
func MemberSettings(cfg config.Config) workflows.MemberSettings {
	l := cfg.Lifecycle
	return workflows.MemberSettings{
		TimeZone: l.TimeZone, InvoiceTime: l.InvoiceTime, InvoiceDraftLead: l.InvoiceDraftLead, MinReview: l.MinReview,
		ClientReminderLead: l.ClientReminderLead, SmartSLA: l.SmartSLA, DuplicateWindow: l.DuplicateWindow,
		PublicURL: cfg.PublicURL, StaffEmail: cfg.StaffEmail, SellerName: cfg.SellerName, SellerVAT: cfg.SellerVAT,
		Waits: WaitSettings(cfg),
	}
}

// PaymentWebhooks delivers the sandbox provider's events to this API's own
// webhook endpoint, as a real provider would.
func PaymentWebhooks(cfg config.Config, pool *pgxpool.Pool) *payments.Deliverer {
	return payments.NewDeliverer(pool, cfg.PublicURL+"/v1/webhooks/payments", []byte(cfg.PaymentWebhookSecret), &http.Client{Timeout: 10 * time.Second})
}

// NewRegistry is a Prometheus registry with the Go runtime and process collectors.
func NewRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}

// Process is what one orderflow process runs: the worker, the API, or both
// (dev mode), on an opened database and a connected Temporal client.
type Process struct {
	Config   config.Config
	Logger   *slog.Logger
	Pool     *pgxpool.Pool
	Temporal client.Client
	// Telemetry is the one the client was dialed with (TemporalTarget), so
	// the worker's and the API's metrics share a registry; nil makes a new
	// one without the Temporal SDK's metrics.
	Telemetry *observe.Telemetry
	Worker    bool
	API       bool
	// OnReady is called once everything runs (dev mode logs where things are).
	OnReady func()
}

// Run starts the parts and blocks until ctx ends, then stops them cleanly.
func (p Process) Run(ctx context.Context) error {
	tel, err := p.telemetry(ctx)
	if err != nil {
		return err
	}
	defer flushTelemetry(tel, p.Logger)
	// Lines logged with a request's or an activity's context say which.
	log := observe.CorrelatedLogger(p.Logger)
	sender, inbox, err := Mail(p.Config, p.Pool)
	if err != nil {
		return err
	}
	if p.Worker {
		acts, err := Activities(p.Config, p.Pool, sender, log)
		if err != nil {
			return err
		}
		acts.Events = tel.Events
		w := Worker(p.Temporal, p.Config, acts)
		if err := w.Start(); err != nil {
			return err
		}
		defer w.Stop()
		log.Info("worker running", "task_queue", p.Config.TaskQueue)
	}
	wait := func() error { <-ctx.Done(); return nil }
	if p.Worker && !p.API {
		if wait, err = serveHTTP(ctx, p.Config.MetricsAddr, "ORDERFLOW_METRICS_ADDR", "metrics", p.Config.HTTP, tel.MetricsHandler(), log); err != nil {
			return err
		}
	}
	if p.API {
		deliverer := PaymentWebhooks(p.Config, p.Pool)
		go func() { _ = deliverer.Run(ctx, webhookRedelivery) }()
		opts := APIOptions{Temporal: p.Temporal, Pool: p.Pool, Logger: log, Registry: tel.Registry, Telemetry: tel, Deliverer: deliverer, Mail: sender}
		switch {
		case inbox != nil && p.Config.Mode == config.DevMode:
			opts.Inbox = inbox
		case inbox != nil:
			// /dev/mail has no login: only `orderflow dev`, on loopback, serves it.
			log.Warn("ORDERFLOW_EMAIL_MODE=capture: emails are kept in Postgres (table captured_mail) and not sent; /dev/mail is served by `orderflow dev` only")
		}
		h, err := API(p.Config, opts)
		if err != nil {
			return err
		}
		if wait, err = Serve(ctx, p.Config.APIAddr, p.Config.HTTP, h, log); err != nil {
			return err
		}
	}
	if p.OnReady != nil {
		p.OnReady()
	}
	err = wait()
	log.Info("shutting down")
	return err
}

func (p Process) telemetry(ctx context.Context) (*observe.Telemetry, error) {
	if p.Telemetry != nil {
		return p.Telemetry, nil
	}
	return NewTelemetry(ctx, nil, p.Logger)
}

// flushTelemetry sends the spans still buffered before the process exits.
func flushTelemetry(tel *observe.Telemetry, log *slog.Logger) {
	ctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := tel.Flush(ctx); err != nil {
		log.Warn("could not send the last traces", "error", err)
	}
}

// webhookRedelivery is how often undelivered payment events are retried.
const webhookRedelivery = 5 * time.Second

// shutdownTimeout lets in-flight requests finish after Ctrl-C.
const shutdownTimeout = 10 * time.Second

// Serve answers HTTP on addr until ctx ends, then shuts down gracefully.
// It listens before returning control so a busy port is reported at once.
// limits bound each connection's time and how many are served at once.
func Serve(ctx context.Context, addr string, limits config.HTTP, h http.Handler, log *slog.Logger) (wait func() error, err error) {
	return serveHTTP(ctx, addr, "ORDERFLOW_API_ADDR", "API", limits, h, log)
}

// serveHTTP is Serve for the server named what, whose address is set by variable.
func serveHTTP(ctx context.Context, addr, variable, what string, limits config.HTTP, h http.Handler, log *slog.Logger) (wait func() error, err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("cannot listen on %s (set %s to a free address): %w", addr, variable, err)
	}
	if limits.MaxConnections > 0 {
		ln = limitListener(ln, limits.MaxConnections)
	}
	// Requests run under a context that shutdown cancels, so long-lived
	// streams (the supplier feed) end instead of holding the shutdown up.
	baseCtx, cancelRequests := context.WithCancel(context.Background())
	srv := newServer(h, limits)
	srv.BaseContext = func(net.Listener) context.Context { return baseCtx }
	srv.RegisterOnShutdown(cancelRequests)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	log.Info(what+" listening", "addr", ln.Addr().String(), "max_connections", limits.MaxConnections)
	return func() error {
		select {
		case err := <-done:
			return err
		case <-ctx.Done():
		}
		shutdownCtx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
		defer cancel()
		if err := srv.Shutdown(shutdownCtx); err != nil {
			return err
		}
		if err := <-done; !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	}, nil
}

// defaultReadHeaderTimeout holds when limits leave it unset (a Config built
// by hand): a server without it can be held open by a trickle of headers.
const defaultReadHeaderTimeout = 10 * time.Second

// newServer is an http.Server bounded by limits (config.HTTP, README
// "Configuration"): the request's headers and whole body must arrive in
// time, the answer must be written in time (the supplier feed stream extends
// its own deadlines), and an idle keep-alive connection is closed.
func newServer(h http.Handler, limits config.HTTP) *http.Server {
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: limits.ReadHeaderTimeout,
		ReadTimeout:       limits.ReadTimeout,
		WriteTimeout:      limits.WriteTimeout,
		IdleTimeout:       limits.IdleTimeout,
	}
	if srv.ReadHeaderTimeout <= 0 {
		srv.ReadHeaderTimeout = defaultReadHeaderTimeout
	}
	return srv
}

// mapLookup lets envconfig read a given environment instead of the process's.
type mapLookup map[string]string

func (m mapLookup) Environ() []string {
	out := make([]string, 0, len(m))
	for k, v := range m {
		out = append(out, k+"="+v)
	}
	return out
}

func (m mapLookup) LookupEnv(k string) (string, bool) {
	v, ok := m[k]
	return v, ok
}

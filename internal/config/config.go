// Package config reads orderflow's settings from the environment. Every
// setting has a documented default (README, "Configuration"); the Temporal
// client is configured separately by the SDK's envconfig (TEMPORAL_* variables).
package config

import (
	"errors"
	"fmt"
	"net/url"
	"reflect"
	"sort"
	"strings"
	"time"

	"github.com/caarlos0/env/v11"
)

// DevTokenSecret signs tokens in dev mode only. It is public by design, so a
// non-dev process refuses to start with it (or without a secret of its own).
const DevTokenSecret = "orderflow-dev-secret-NOT-FOR-PRODUCTION"

// DevWebhookSecret is dev mode's payment webhook secret: public too, and
// refused outside dev mode for the same reason.
const DevWebhookSecret = DevTokenSecret + "-payments"

// Where the API listens when ORDERFLOW_API_ADDR is unset: dev mode, with its
// public secrets and its unauthenticated /dev/mail inbox, only on loopback.
const (
	DevAPIAddr        = "127.0.0.1:8080"
	ProductionAPIAddr = ":8080"
)

// Config is everything a process of orderflow can be told.
type Config struct {
	DatabaseURL string `env:"DATABASE_URL" envDefault:"postgres://postgres@127.0.0.1:5432/orderflow?sslmode=disable"`
	TaskQueue   string `env:"ORDERFLOW_TASK_QUEUE" envDefault:"orderflow"`
	// WorkflowCacheSize is how many orders a worker process keeps in memory
	// between their workflow tasks (the SDK's sticky cache; its own default is
	// 10,000). 2,000 was chosen from `make scale` (README, "Performance"): a
	// cached order costs about 85 KiB, so a worker stays under half a GiB
	// however many orders are open, and an evicted order is replayed from its
	// short history (tens of events) at its next event.
	WorkflowCacheSize int `env:"ORDERFLOW_WORKFLOW_CACHE_SIZE" envDefault:"2000"`
	// APIAddr defaults to DevAPIAddr in dev mode, ProductionAPIAddr otherwise.
	APIAddr string `env:"ORDERFLOW_API_ADDR"`
	// MetricsAddr serves /metrics and /healthz of a worker-only process; the
	// API (and dev mode) serve them on APIAddr.
	MetricsAddr string `env:"ORDERFLOW_METRICS_ADDR" envDefault:":9090"`
	// PublicURL is the base of links in emails (confirmation page, pay page).
	PublicURL   string `env:"ORDERFLOW_PUBLIC_URL" envDefault:"http://localhost:8080"`
	TokenSecret string `env:"ORDERFLOW_TOKEN_SECRET"`
	// WebUIURL is where staff open the Temporal Web UI; used for links in logs and order views.
	WebUIURL string `env:"ORDERFLOW_WEB_UI_URL" envDefault:"http://localhost:8233"`

	EmailMode  string `env:"ORDERFLOW_EMAIL_MODE"` // "capture" or "sendgrid"; default depends on the mode
	EmailFrom  string `env:"ORDERFLOW_EMAIL_FROM" envDefault:"orderflow <orders@orderflow.localhost>"`
	StaffEmail string `env:"ORDERFLOW_STAFF_EMAIL" envDefault:"staff@orderflow.localhost"`
	// The seller of record of member invoices; the default VAT number is a
	// placeholder (valid checksum, no company) to replace in a deployment.
	SellerName      string        `env:"ORDERFLOW_SELLER_NAME" envDefault:"Smart"`
	SellerVAT       string        `env:"ORDERFLOW_SELLER_VAT" envDefault:"BE0000000097"`
	SendGridAPIKey  string        `env:"SENDGRID_API_KEY"`
	SendGridURL     string        `env:"SENDGRID_BASE_URL" envDefault:"https://api.sendgrid.com"`
	SendGridTimeout time.Duration `env:"SENDGRID_TIMEOUT" envDefault:"10s"`

	PaymentWebhookSecret string `env:"ORDERFLOW_PAYMENT_WEBHOOK_SECRET"`

	LogLevel  string `env:"LOG_LEVEL" envDefault:"info"`
	LogFormat string `env:"LOG_FORMAT"` // "json" or "text"; default json, text in dev mode

	HTTP      HTTP
	Dev       Dev
	Lifecycle Lifecycle

	// Mode is the mode the configuration was loaded for (not a variable):
	// what only dev mode may do (serve /dev/mail) asks it.
	Mode Mode
}

// HTTP bounds what one client can hold of the API's server (and of a
// worker's metrics server). Without them a body sent a byte at a time, or
// an idle keep-alive connection, holds a connection and its goroutine for as
// long as the client likes: thousands of half-sent webhooks were held at once.
type HTTP struct {
	// ReadHeaderTimeout: the request line and headers.
	ReadHeaderTimeout time.Duration `env:"ORDERFLOW_HTTP_READ_HEADER_TIMEOUT" envDefault:"10s"`
	// ReadTimeout: the whole request, body included. Orders and actions are a
	// few KiB (the body limit is 128 KiB), so 30s is plenty on a slow link.
	ReadTimeout time.Duration `env:"ORDERFLOW_HTTP_READ_TIMEOUT" envDefault:"30s"`
	// WriteTimeout: from the end of the headers to the end of the answer, so
	// it bounds a request's handling too; an action waits for its workflow's
	// answer, which takes well under a second normally. The supplier feed
	// stream extends it for itself, up to its own end.
	WriteTimeout time.Duration `env:"ORDERFLOW_HTTP_WRITE_TIMEOUT" envDefault:"60s"`
	// IdleTimeout: how long a keep-alive connection may wait for its next request.
	IdleTimeout time.Duration `env:"ORDERFLOW_HTTP_IDLE_TIMEOUT" envDefault:"60s"`
	// MaxConnections: connections served at once; more wait to be accepted.
	// Each costs a goroutine and buffers (some KiB); open feed streams count too.
	MaxConnections int `env:"ORDERFLOW_HTTP_MAX_CONNECTIONS" envDefault:"1024"`
}

// Dev holds the settings of `orderflow dev` only.
type Dev struct {
	DataDir      string `env:"ORDERFLOW_DATA_DIR" envDefault:"./data"`
	TemporalAddr string `env:"ORDERFLOW_DEV_TEMPORAL_ADDR" envDefault:"127.0.0.1:7233"`
	UIAddr       string `env:"ORDERFLOW_DEV_UI_ADDR" envDefault:"127.0.0.1:8233"`
	Namespace    string `env:"ORDERFLOW_DEV_NAMESPACE" envDefault:"default"`
	// Worker false leaves the worker out of the dev process, for a separate
	// `orderflow worker` (the scale run measures that process alone).
	Worker bool `env:"ORDERFLOW_DEV_WORKER" envDefault:"true"`
}

// Lifecycle holds the durations of docs/lifecycles: every one a default that a
// deployment may change.
type Lifecycle struct {
	TimeZone           string        `env:"ORDERFLOW_TIMEZONE" envDefault:"Europe/Brussels"`
	PaymentWindow      time.Duration `env:"ORDERFLOW_PAYMENT_WINDOW" envDefault:"24h"`
	PendingWindow      time.Duration `env:"ORDERFLOW_PENDING_WINDOW" envDefault:"2h"`
	FulfilmentDeadline time.Duration `env:"ORDERFLOW_FULFILMENT_DEADLINE" envDefault:"24h"`
	ReturnWindow       time.Duration `env:"ORDERFLOW_RETURN_WINDOW" envDefault:"720h"`
	InvoiceDraftLead   time.Duration `env:"ORDERFLOW_INVOICE_DRAFT_LEAD" envDefault:"168h"`
	MinReview          time.Duration `env:"ORDERFLOW_MIN_REVIEW" envDefault:"48h"`
	ClientReminderLead time.Duration `env:"ORDERFLOW_CLIENT_REMINDER_LEAD" envDefault:"48h"`
	InvoiceTime        string        `env:"ORDERFLOW_INVOICE_TIME" envDefault:"09:00"`
	SmartSLA           time.Duration `env:"ORDERFLOW_SMART_SLA" envDefault:"24h"`
	// DuplicateWindow keeps a rejected member order open for `duplicate` (decision).
	DuplicateWindow time.Duration `env:"ORDERFLOW_DUPLICATE_WINDOW" envDefault:"720h"`
	// Waits for a person (issue 12): the owner is reminded RemindAfter and
	// staff escalated EscalateAfter after the wait began; a credit request
	// is reminded and escalated its leads before the payment window ends.
	RemindAfter          time.Duration `env:"ORDERFLOW_REMIND_AFTER" envDefault:"24h"`
	EscalateAfter        time.Duration `env:"ORDERFLOW_ESCALATE_AFTER" envDefault:"48h"`
	CreditReminderLead   time.Duration `env:"ORDERFLOW_CREDIT_REMINDER_LEAD" envDefault:"12h"`
	CreditEscalationLead time.Duration `env:"ORDERFLOW_CREDIT_ESCALATION_LEAD" envDefault:"6h"`
	PurchasingEmail      string        `env:"ORDERFLOW_PURCHASING_EMAIL" envDefault:"purchasing@orderflow.localhost"`
	FinanceEmail         string        `env:"ORDERFLOW_FINANCE_EMAIL" envDefault:"finance@orderflow.localhost"`
}

// Location is TimeZone as a location; Load refused a name that is none, so
// only a Lifecycle made by hand falls back to UTC.
func (l Lifecycle) Location() *time.Location {
	loc, err := time.LoadLocation(l.TimeZone)
	if err != nil || l.TimeZone == "" {
		return time.UTC
	}
	return loc
}

// Mode says which command reads the configuration: dev mode fills in safe
// local defaults, every other mode insists on real secrets.
type Mode int

const (
	Production Mode = iota
	DevMode
)

// Load reads the settings from environ (the process environment in main,
// a literal map in tests).
func Load(mode Mode, environ map[string]string) (Config, error) {
	var c Config
	if err := env.ParseWithOptions(&c, env.Options{Environment: environ}); err != nil {
		return Config{}, fmt.Errorf("configuration: %s", describe(err))
	}
	c.Mode = mode
	c.applyModeDefaults(mode)
	return c, c.validate(mode)
}

func (c *Config) applyModeDefaults(mode Mode) {
	if mode == DevMode {
		if c.TokenSecret == "" {
			c.TokenSecret = DevTokenSecret
		}
		if c.PaymentWebhookSecret == "" {
			c.PaymentWebhookSecret = DevWebhookSecret
		}
		if c.APIAddr == "" {
			c.APIAddr = DevAPIAddr
		}
		if c.EmailMode == "" {
			c.EmailMode = "capture"
		}
		if c.LogFormat == "" {
			c.LogFormat = "text"
		}
	}
	if c.APIAddr == "" {
		c.APIAddr = ProductionAPIAddr
	}
	if c.EmailMode == "" {
		c.EmailMode = "sendgrid"
	}
	if c.LogFormat == "" {
		c.LogFormat = "json"
	}
}

func (c Config) validate(mode Mode) error {
	var problems []string
	if _, err := url.Parse(c.DatabaseURL); err != nil || !strings.HasPrefix(c.DatabaseURL, "postgres") {
		problems = append(problems, "DATABASE_URL must be a postgres:// URL, e.g. postgres://user@host:5432/orderflow")
	}
	if mode == Production && len(c.TokenSecret) < 32 {
		problems = append(problems, "ORDERFLOW_TOKEN_SECRET must be set to a random string of at least 32 characters (e.g. `openssl rand -hex 32`)")
	}
	if mode == Production && c.TokenSecret == DevTokenSecret {
		problems = append(problems, "ORDERFLOW_TOKEN_SECRET is the public development secret, which anyone can sign tokens with: set a random string of at least 32 characters (e.g. `openssl rand -hex 32`); the development secret is for `orderflow dev` only")
	}
	if mode == Production && c.PaymentWebhookSecret == "" {
		problems = append(problems, "ORDERFLOW_PAYMENT_WEBHOOK_SECRET must be set (the payment provider signs webhooks with it)")
	}
	if mode == Production && (c.PaymentWebhookSecret == DevWebhookSecret || c.PaymentWebhookSecret == DevTokenSecret) {
		problems = append(problems, "ORDERFLOW_PAYMENT_WEBHOOK_SECRET is the public development secret, which anyone can sign payment webhooks with: set the secret your payment provider signs with; the development secret is for `orderflow dev` only")
	}
	switch c.EmailMode {
	case "capture":
	case "sendgrid":
		if c.SendGridAPIKey == "" {
			problems = append(problems, "SENDGRID_API_KEY must be set when ORDERFLOW_EMAIL_MODE=sendgrid (or use ORDERFLOW_EMAIL_MODE=capture)")
		}
	default:
		problems = append(problems, fmt.Sprintf("ORDERFLOW_EMAIL_MODE must be capture or sendgrid, not %q", c.EmailMode))
	}
	if c.WorkflowCacheSize < 1 {
		problems = append(problems, fmt.Sprintf("ORDERFLOW_WORKFLOW_CACHE_SIZE must be at least 1 (orders kept in a worker's memory), not %d", c.WorkflowCacheSize))
	}
	problems = append(problems, c.HTTP.validate()...)
	if _, err := time.LoadLocation(c.Lifecycle.TimeZone); err != nil {
		problems = append(problems, fmt.Sprintf("ORDERFLOW_TIMEZONE %q is not a known time zone (e.g. Europe/Brussels)", c.Lifecycle.TimeZone))
	}
	if _, err := time.Parse("15:04", c.Lifecycle.InvoiceTime); err != nil {
		problems = append(problems, fmt.Sprintf("ORDERFLOW_INVOICE_TIME %q must be a time of day like 09:00", c.Lifecycle.InvoiceTime))
	}
	problems = append(problems, c.Lifecycle.validateWaits()...)
	if len(problems) == 0 {
		return nil
	}
	return errors.New("configuration: " + strings.Join(problems, "; "))
}

// validateWaits: a reminder comes before its escalation, both after the wait began.
func (l Lifecycle) validateWaits() []string {
	var problems []string
	if l.RemindAfter <= 0 || l.EscalateAfter <= l.RemindAfter {
		problems = append(problems, fmt.Sprintf("ORDERFLOW_REMIND_AFTER (%s) must be positive and ORDERFLOW_ESCALATE_AFTER (%s) longer than it", l.RemindAfter, l.EscalateAfter))
	}
	if l.CreditEscalationLead <= 0 || l.CreditReminderLead <= l.CreditEscalationLead {
		problems = append(problems, fmt.Sprintf("ORDERFLOW_CREDIT_ESCALATION_LEAD (%s) must be positive and ORDERFLOW_CREDIT_REMINDER_LEAD (%s) longer than it (the reminder comes first)", l.CreditEscalationLead, l.CreditReminderLead))
	}
	for name, addr := range map[string]string{"ORDERFLOW_PURCHASING_EMAIL": l.PurchasingEmail, "ORDERFLOW_FINANCE_EMAIL": l.FinanceEmail} {
		if !strings.Contains(addr, "@") || strings.ContainsAny(addr, " \t\r\n") {
			problems = append(problems, fmt.Sprintf("%s %q must be an email address", name, addr))
		}
	}
	sort.Strings(problems)
	return problems
}

func (h HTTP) validate() []string {
	var problems []string
	for _, d := range []struct {
		name  string
		value time.Duration
	}{
		{"ORDERFLOW_HTTP_READ_HEADER_TIMEOUT", h.ReadHeaderTimeout},
		{"ORDERFLOW_HTTP_READ_TIMEOUT", h.ReadTimeout},
		{"ORDERFLOW_HTTP_WRITE_TIMEOUT", h.WriteTimeout},
		{"ORDERFLOW_HTTP_IDLE_TIMEOUT", h.IdleTimeout},
	} {
		if d.value <= 0 {
			problems = append(problems, fmt.Sprintf("%s must be a positive duration such as 30s, not %s", d.name, d.value))
		}
	}
	if h.MaxConnections < 1 {
		problems = append(problems, fmt.Sprintf("ORDERFLOW_HTTP_MAX_CONNECTIONS must be at least 1, not %d", h.MaxConnections))
	}
	return problems
}

// describe names the variable behind each unparsable value (the env library
// names the Go field) and keeps the message on one line.
func describe(err error) string {
	keys := fieldKeys(reflect.TypeOf(Config{}))
	var problems []string
	for _, e := range unwrapAll(err) {
		var pe env.ParseError
		if errors.As(e, &pe) {
			problems = append(problems, fmt.Sprintf("%s: %v", keys[pe.Name], pe.Err))
			continue
		}
		problems = append(problems, strings.Join(strings.Fields(e.Error()), " "))
	}
	return strings.Join(problems, "; ")
}

func unwrapAll(err error) []error {
	var agg env.AggregateError
	if errors.As(err, &agg) {
		return agg.Errors
	}
	return []error{err}
}

// Names lists every environment variable orderflow reads (besides the
// Temporal client's TEMPORAL_* ones), for docs and for checks of deployment files.
func Names() []string {
	keys := fieldKeys(reflect.TypeOf(Config{}))
	names := make([]string, 0, len(keys))
	for _, k := range keys {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

// fieldKeys maps each field name of t (nested structs included) to its env tag.
func fieldKeys(t reflect.Type) map[string]string {
	keys := map[string]string{}
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Type.Kind() == reflect.Struct && f.Type != reflect.TypeOf(time.Duration(0)) && f.Tag.Get("env") == "" {
			for k, v := range fieldKeys(f.Type) {
				keys[k] = v
			}
			continue
		}
		if key := f.Tag.Get("env"); key != "" {
			keys[f.Name] = key
		}
	}
	return keys
}

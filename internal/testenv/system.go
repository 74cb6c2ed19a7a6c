// Package testenv assembles orderflow for integration tests on real parts:
// an in-process Temporal server, a fresh Postgres database, the SendGrid
// stand-in (or capture mode), the real worker and the real HTTP API over a
// real socket, all wired by internal/app exactly as the commands wire them.
package testenv

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"go.temporal.io/sdk/client"

	"github.com/orderflow/orderflow/internal/app"
	"github.com/orderflow/orderflow/internal/auth"
	"github.com/orderflow/orderflow/internal/config"
	"github.com/orderflow/orderflow/internal/email"
	"github.com/orderflow/orderflow/internal/pgtest"
	"github.com/orderflow/orderflow/internal/sendgridtest"
	"github.com/orderflow/orderflow/internal/store"
	"github.com/orderflow/orderflow/lifecycle"
	"github.com/orderflow/orderflow/workflows"
)

const (
	// TokenSecret signs the test system's bearer tokens.
	TokenSecret    = "testenv-token-secret-0123456789abcdef"
	sendGridAPIKey = "SG.testenv"
)

// Options change the assembled system.
type Options struct {
	// Capture keeps emails in Postgres (dev mode's sender) instead of sending
	// them to the SendGrid stand-in.
	Capture bool
	// Env adds or overrides configuration variables (e.g. short lifecycle windows).
	Env map[string]string
	// ShortHistories runs the orders in ShortHistoryNamespace, where Temporal
	// suggests continuing as new after a few dozen events.
	ShortHistories bool
}

// System is one running orderflow.
type System struct {
	URL       string // base URL of the API
	Config    config.Config
	Temporal  client.Client
	Namespace string // the Temporal namespace of this system's orders
	Pool      *pgxpool.Pool
	Store     *store.Store
	SendGrid  *sendgridtest.Server // nil in capture mode
	Capture   *email.Capture       // nil unless capture mode
	tokens    *auth.Tokens
}

// NewSystem starts everything and stops it when the test ends.
func NewSystem(t testing.TB, o Options) *System {
	t.Helper()
	ctx := context.Background()
	log := testLogger(t)

	ns := temporalNamespaceName(t.Name())
	if o.ShortHistories {
		ns = ShortHistoryNamespace
	}
	c, hostPort, namespace := TemporalNamespace(t, workflows.SearchAttributes(), ns)
	// The server's address is known before it serves, so links in emails
	// and the payment provider's webhook point at it.
	srv := httptest.NewUnstartedServer(nil)
	t.Cleanup(srv.Close)
	publicURL := "http://" + srv.Listener.Addr().String()
	vars := map[string]string{
		"ORDERFLOW_PUBLIC_URL":             publicURL,
		"DATABASE_URL":                     pgtest.NewURL(t),
		"TEMPORAL_ADDRESS":                 hostPort,
		"TEMPORAL_NAMESPACE":               namespace,
		"ORDERFLOW_TASK_QUEUE":             "orderflow-" + sanitize(t.Name()),
		"ORDERFLOW_TOKEN_SECRET":           TokenSecret,
		"ORDERFLOW_PAYMENT_WEBHOOK_SECRET": "testenv-webhook-secret",
	}
	s := &System{Temporal: c, Namespace: namespace, tokens: auth.NewTokens(TokenSecret)}
	if o.Capture {
		vars["ORDERFLOW_EMAIL_MODE"] = "capture"
	} else {
		s.SendGrid = sendgridtest.New(sendGridAPIKey)
		t.Cleanup(s.SendGrid.Close)
		vars["ORDERFLOW_EMAIL_MODE"] = "sendgrid"
		vars["SENDGRID_API_KEY"] = sendGridAPIKey
		vars["SENDGRID_BASE_URL"] = s.SendGrid.URL()
	}
	for k, v := range o.Env {
		vars[k] = v
	}
	cfg, err := config.Load(config.Production, vars)
	if err != nil {
		t.Fatal(err)
	}
	s.Config = cfg

	s.Pool, err = app.OpenDatabase(ctx, cfg.DatabaseURL, app.DatabaseExisting, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Pool.Close)
	s.Store = store.New(s.Pool)

	sender, capture, err := app.Mail(cfg, s.Pool)
	if err != nil {
		t.Fatal(err)
	}
	s.Capture = capture
	acts, err := app.Activities(cfg, s.Pool, sender, log)
	if err != nil {
		t.Fatal(err)
	}
	w := app.Worker(c, cfg, acts)
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Stop)

	opts := app.APIOptions{Temporal: c, Pool: s.Pool, Logger: log, Registry: app.NewRegistry(),
		Deliverer: app.PaymentWebhooks(cfg, s.Pool), Mail: sender}
	if capture != nil {
		opts.Inbox = capture
	}
	h, err := app.API(cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = h
	srv.Start()
	s.URL = publicURL
	return s
}

// Token mints a bearer token for role and subject.
func (s *System) Token(t testing.TB, role lifecycle.Role, subject string) string {
	t.Helper()
	tok, err := s.tokens.Mint(auth.Principal{Role: role, Subject: subject}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// Do sends one request to the API; token may be empty, body may be nil.
func (s *System) Do(t testing.TB, method, path, token string, body []byte) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, s.URL+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, data
}

// testLogger keeps the system's logs out of passing tests' output; set
// ORDERFLOW_TEST_LOGS=1 to see them.
func testLogger(t testing.TB) *slog.Logger {
	if os.Getenv("ORDERFLOW_TEST_LOGS") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug})).With("test", t.Name())
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

func sanitize(name string) string {
	return strings.NewReplacer("/", "-", " ", "_").Replace(name)
}

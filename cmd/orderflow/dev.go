//go:build !nodev

// Dev mode embeds a Temporal server (~200 MB of dependencies). Production
// images build with -tags nodev and leave it out.

package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"path/filepath"
	"strings"

	"github.com/orderflow/orderflow/internal/app"
	"github.com/orderflow/orderflow/internal/config"
	"github.com/orderflow/orderflow/internal/devserver"
	"github.com/orderflow/orderflow/internal/store"
	"github.com/orderflow/orderflow/workflows"
)

func init() {
	commands["dev"] = command{"run everything in one process: embedded Temporal + Web UI, worker, API", runDev}
}

// runDev starts the whole system in one process and runs until Ctrl-C.
func runDev(ctx context.Context, _ []string, env environment) error {
	cfg, log, err := setup(config.DevMode, env)
	if err != nil {
		return err
	}
	pool, err := app.OpenDatabase(ctx, cfg.DatabaseURL, app.DatabaseCreate, log)
	if err != nil {
		return err
	}
	defer pool.Close()
	if n, err := store.New(pool).SeedDemoSuppliers(ctx); err != nil {
		return err
	} else if n > 0 {
		log.Info("seeded demo suppliers", "count", n)
	}

	dataDir, err := filepath.Abs(cfg.Dev.DataDir)
	if err != nil {
		return err
	}
	srv, err := devserver.Start(ctx, devserver.Options{
		DataDir:          dataDir,
		Namespace:        cfg.Dev.Namespace,
		FrontendAddress:  cfg.Dev.TemporalAddr,
		UIAddress:        cfg.Dev.UIAddr,
		SearchAttributes: workflows.SearchAttributes(),
		ReservedPorts:    []int{portOf(cfg.APIAddr)},
		Logger:           log.With("component", "temporal-server"),
	})
	if err != nil {
		return err
	}
	defer stopLogged(log, "temporal server", srv.Stop)

	tel, err := app.NewTelemetry(ctx, env.vars, log)
	if err != nil {
		return err
	}
	c, err := app.DialTemporal(ctx, env.vars, app.TemporalTarget{HostPort: srv.FrontendHostPort(), Namespace: srv.Namespace(), Telemetry: tel}, log)
	if err != nil {
		return err
	}
	defer c.Close()

	return app.Process{
		Config: cfg, Logger: log, Pool: pool, Temporal: c, Telemetry: tel, Worker: cfg.Dev.Worker, API: true,
		OnReady: func() {
			log.Info("orderflow dev is up (Ctrl-C stops it)",
				"api", cfg.PublicURL,
				"web_ui", srv.UIURL(),
				"captured_mail", cfg.PublicURL+"/dev/mail",
				"openapi", cfg.PublicURL+"/openapi.yaml",
				"temporal", srv.FrontendHostPort(),
				"namespace", srv.Namespace(),
				"temporal_data", dataDir,
				"token", "go run ./cmd/orderflow token --role staff --sub s-1")
			printReady(env.stdout, readyInfo{
				API:       localAPIURL(cfg.APIAddr, cfg.PublicURL),
				WebUI:     srv.UIURL(),
				Temporal:  srv.FrontendHostPort(),
				Namespace: srv.Namespace(),
				DataFile:  filepath.Join(dataDir, "temporal.db"),
			})
		},
	}.Run(ctx)
}

// readyInfo is where a newcomer finds the parts of a running `orderflow dev`.
type readyInfo struct {
	API, WebUI, Temporal, Namespace, DataFile string
}

// defaultAPIURL is the starter's default ORDERFLOW_API_URL.
const defaultAPIURL = "http://localhost:8080"

// printReady prints the table of addresses `make run` shows once everything
// answers, and the next command to try.
func printReady(w io.Writer, r readyInfo) {
	demo := "go run ./starter demo"
	if r.API != defaultAPIURL {
		demo = "ORDERFLOW_API_URL=" + r.API + " " + demo
	}
	fmt.Fprintf(w, `
orderflow dev is ready (Ctrl-C stops it):

  HTTP API           %[1]s  (/healthz, /readyz, /metrics, /openapi.yaml)
  Pages              %[1]s/app/sign-in  (every party signs in by emailed link)
  Temporal Web UI    %[2]s
  Captured email     %[1]s/dev/mail  (dev mode sends no email)
  Temporal frontend  %[3]s  (namespace %[4]s, for the temporal CLI)
  Temporal state     %[5]s

Next, in another terminal:
  %[6]s
  go run ./cmd/orderflow token --role staff --sub s-1   (a bearer token for curl)

`, r.API, r.WebUI, r.Temporal, r.Namespace, r.DataFile, demo)
}

// localAPIURL is the API's base URL as seen from this machine: the public URL
// when it names the port the API listens on (http://localhost:8080 by
// default), else the listening address itself.
func localAPIURL(apiAddr, publicURL string) string {
	host, port, err := net.SplitHostPort(apiAddr)
	if err != nil {
		return publicURL
	}
	if u, err := url.Parse(publicURL); err == nil && u.Scheme == "http" && u.Port() == port && (u.Path == "" || u.Path == "/") {
		return strings.TrimSuffix(publicURL, "/")
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port)
}

func stopLogged(log *slog.Logger, what string, stop func() error) {
	if err := stop(); err != nil {
		log.Warn("stop "+what, "error", err)
	}
}

//go:build !nodev

// Dev mode embeds a Temporal server (~200 MB of dependencies). Production
// images build with -tags nodev and leave it out.

package main

import (
	"context"
	"log/slog"
	"path/filepath"

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
		},
	}.Run(ctx)
}

func stopLogged(log *slog.Logger, what string, stop func() error) {
	if err := stop(); err != nil {
		log.Warn("stop "+what, "error", err)
	}
}

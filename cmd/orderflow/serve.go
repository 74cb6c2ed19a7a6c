package main

import (
	"context"
	"log/slog"
	"net"
	"strconv"

	"github.com/orderflow/orderflow/internal/app"
	"github.com/orderflow/orderflow/internal/config"
	"github.com/orderflow/orderflow/internal/logging"
)

// setup reads the configuration of mode and builds the logger.
func setup(mode config.Mode, env environment) (config.Config, *slog.Logger, error) {
	cfg, err := config.Load(mode, env.vars)
	if err != nil {
		return config.Config{}, nil, err
	}
	log, err := logging.New(env.stderr, cfg.LogLevel, cfg.LogFormat)
	if err != nil {
		return config.Config{}, nil, err
	}
	return cfg, log, nil
}

// runWorker runs workflows and activities until interrupted.
func runWorker(ctx context.Context, _ []string, env environment) error {
	cfg, log, err := setup(config.Production, env)
	if err != nil {
		return err
	}
	pool, err := app.OpenDatabase(ctx, cfg.DatabaseURL, app.DatabaseExisting, log)
	if err != nil {
		return err
	}
	defer pool.Close()
	c, err := app.DialTemporal(ctx, env.vars, app.TemporalTarget{}, log)
	if err != nil {
		return err
	}
	defer c.Close()
	sender, _, err := app.Mail(cfg, pool)
	if err != nil {
		return err
	}
	acts, err := app.Activities(cfg, pool, sender, log)
	if err != nil {
		return err
	}
	w := app.Worker(c, cfg, acts)
	if err := w.Start(); err != nil {
		return err
	}
	defer w.Stop()
	log.Info("worker running", "task_queue", cfg.TaskQueue)
	<-ctx.Done()
	log.Info("worker stopping")
	return nil
}

// runAPI serves the HTTP API until interrupted.
func runAPI(ctx context.Context, _ []string, env environment) error {
	cfg, log, err := setup(config.Production, env)
	if err != nil {
		return err
	}
	pool, err := app.OpenDatabase(ctx, cfg.DatabaseURL, app.DatabaseExisting, log)
	if err != nil {
		return err
	}
	defer pool.Close()
	c, err := app.DialTemporal(ctx, env.vars, app.TemporalTarget{}, log)
	if err != nil {
		return err
	}
	defer c.Close()
	_, inbox, err := app.Mail(cfg, pool)
	if err != nil {
		return err
	}
	opts := app.APIOptions{Temporal: c, Pool: pool, Logger: log, Registry: app.NewRegistry()}
	if inbox != nil {
		opts.Inbox = inbox
	}
	wait, err := app.Serve(ctx, cfg.APIAddr, app.API(cfg, opts), log)
	if err != nil {
		return err
	}
	return wait()
}

// portOf is the numeric port of a host:port address, 0 when it has none.
func portOf(addr string) int {
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		return 0
	}
	n, _ := strconv.Atoi(p)
	return n
}

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

func runWorker(ctx context.Context, _ []string, env environment) error {
	return serve(ctx, env, app.Process{Worker: true})
}

func runAPI(ctx context.Context, _ []string, env environment) error {
	return serve(ctx, env, app.Process{API: true})
}

// serve runs p against an existing Temporal and a migrated database until interrupted.
func serve(ctx context.Context, env environment, p app.Process) error {
	cfg, log, err := setup(config.Production, env)
	if err != nil {
		return err
	}
	pool, err := app.OpenDatabase(ctx, cfg.DatabaseURL, app.DatabaseExisting, log)
	if err != nil {
		return err
	}
	defer pool.Close()
	tel, err := app.NewTelemetry(ctx, env.vars, log)
	if err != nil {
		return err
	}
	c, err := app.DialTemporal(ctx, env.vars, app.TemporalTarget{Telemetry: tel}, log)
	if err != nil {
		return err
	}
	defer c.Close()
	p.Config, p.Logger, p.Pool, p.Temporal, p.Telemetry = cfg, log, pool, c, tel
	return p.Run(ctx)
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

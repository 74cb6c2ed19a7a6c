package main

import (
	"context"
	"fmt"

	"github.com/orderflow/orderflow/db/migrations"
	"github.com/orderflow/orderflow/internal/config"
	"github.com/orderflow/orderflow/internal/store"
)

// runMigrate applies the embedded migrations to DATABASE_URL. Safe to run
// from several processes at once: goose holds an advisory lock.
func runMigrate(ctx context.Context, _ []string, env environment) error {
	cfg, err := config.Load(config.DevMode, env.vars) // needs DATABASE_URL only, no secrets
	if err != nil {
		return err
	}
	pool, err := store.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer pool.Close()
	version, err := migrations.Apply(ctx, pool)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "database is at migration %d\n", version)
	return nil
}

package main

import (
	"context"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"time"

	"github.com/orderflow/orderflow/internal/load"
)

// devStack is an `orderflow dev` the tool starts itself, on ports of its own
// so a developer's `make run` keeps going, with a fresh data directory and
// database. Each mode has its own, so their figures never mix (run them one
// after the other all the same: they share two cores).
type devStack struct {
	name                        string // names the temporary directory
	api, temporal, ui, database string
}

var (
	benchPorts = devStack{name: "bench", api: "127.0.0.1:18080", temporal: "127.0.0.1:17233", ui: "127.0.0.1:18233", database: "orderflow_bench"}
	chaosPorts = devStack{name: "chaos", api: "127.0.0.1:18180", temporal: "127.0.0.1:17333", ui: "127.0.0.1:18333", database: "orderflow_chaos"}
	scalePorts = devStack{name: "scale", api: "127.0.0.1:18280", temporal: "127.0.0.1:17433", ui: "127.0.0.1:18433", database: "orderflow_scale"}
)

// prepare makes the work directory (workDir, or a new temporary one) and
// drops the previous run's database. It returns the directory and the
// environment every process of the stack gets: extra over the stack's own.
func (d devStack) prepare(ctx context.Context, workDir string, extra map[string]string) (string, map[string]string, error) {
	dir := workDir
	if dir == "" {
		var err error
		if dir, err = os.MkdirTemp("", "orderflow-"+d.name+"-"); err != nil {
			return "", nil, err
		}
	}
	if err := os.MkdirAll(filepath.Join(dir, "data"), 0o755); err != nil {
		return "", nil, err
	}
	if err := dropDatabase(ctx, d.database); err != nil {
		return "", nil, err
	}
	env := map[string]string{
		"DATABASE_URL":                databaseURL(d.database),
		"ORDERFLOW_API_ADDR":          d.api,
		"ORDERFLOW_PUBLIC_URL":        "http://" + d.api,
		"ORDERFLOW_DEV_TEMPORAL_ADDR": d.temporal,
		"ORDERFLOW_DEV_UI_ADDR":       d.ui,
		"ORDERFLOW_DATA_DIR":          filepath.Join(dir, "data"),
		// For the `orderflow worker`s a mode starts beside the dev process.
		"TEMPORAL_ADDRESS": d.temporal,
		"LOG_LEVEL":        "warn",
	}
	maps.Copy(env, extra)
	return dir, env, nil
}

// start starts `bin dev` with env, logging into dir, and waits until its API
// is ready; what says what else the stack has, for the first line printed.
func (d devStack) start(ctx context.Context, bin, dir string, env map[string]string, what string, stderr io.Writer) (*stack, error) {
	fmt.Fprintf(stderr, "starting %s dev (API %s, Temporal %s, database %s%s; logs in %s)\n", bin, d.api, d.temporal, d.database, what, dir)
	p, err := load.StartProc("orderflow dev", bin, []string{"dev"}, env, filepath.Join(dir, "orderflow-dev.log"))
	if err != nil {
		return nil, err
	}
	st := &stack{api: "http://" + d.api, temporal: d.temporal, procs: []*load.Proc{p}}
	if err := load.WaitReady(ctx, st.api+"/readyz", p, 5*time.Minute); err != nil {
		st.stop()
		return nil, err
	}
	return st, nil
}

// startWorker starts `bin worker` number i with env (extra over it), logging into dir.
func startWorker(bin, dir string, env map[string]string, i int, extra map[string]string) (*load.Proc, error) {
	e := maps.Clone(env)
	maps.Copy(e, extra)
	return load.StartProc(fmt.Sprintf("worker %d", i+1), bin, []string{"worker"}, e, filepath.Join(dir, fmt.Sprintf("worker-%d.log", i+1)))
}

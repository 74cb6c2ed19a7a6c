package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/jackc/pgx/v5"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/contrib/envconfig"

	"github.com/orderflow/orderflow/internal/load"
)

// stack is what the run talks to, and the processes it started (if any).
type stack struct {
	api      string
	temporal string // host:port, empty: TEMPORAL_ADDRESS
	procs    []*load.Proc
}

func (s *stack) stop() {
	for _, p := range s.procs {
		p.Stop(30 * time.Second)
	}
}

func (s *stack) peakRSS() map[string]int64 {
	if len(s.procs) == 0 {
		return nil
	}
	out := map[string]int64{}
	for _, p := range s.procs {
		out[p.Name] = p.PeakRSS()
	}
	return out
}

func bench(ctx context.Context, o options, stdout, stderr io.Writer, orderflow bool) error {
	st, err := startStack(ctx, o, stderr)
	if err != nil {
		return err
	}
	defer st.stop()
	tc, err := dialTemporal(st.temporal)
	if err != nil {
		return err
	}
	defer tc.Close()
	tag := time.Now().UTC().Format("150405")

	var report *load.Report
	if orderflow {
		report = runOrders(ctx, o, st, tc, tag, stderr)
	}
	base, err := runBaseline(ctx, o, tc, tag, stderr)
	if err != nil {
		return err
	}
	if report == nil {
		report = base
	} else {
		report.CompareTo(base)
		report.Targets = report.BenchTargets()
	}
	if len(st.procs) > 0 {
		report.PeakRSSBytes = st.peakRSS()
		report.Notes = append(report.Notes, "peak RSS is of `orderflow dev`: embedded Temporal server, worker and API in one process")
	}
	report.Print(stdout)
	if o.out != "" {
		if err := load.WriteJSON(o.out, report); err != nil {
			return err
		}
	}
	if report.OrdersFailed > 0 {
		return fmt.Errorf("%d orders failed", report.OrdersFailed)
	}
	return nil
}

// runOrders drives o.orders marketplace and o.orders member orders, interleaved.
func runOrders(ctx context.Context, o options, st *stack, tc client.Client, tag string, stderr io.Writer) *load.Report {
	rec := load.NewRecorder()
	api := load.NewAPI(st.api, o.secret, rec)
	api.Wait = o.wait
	ledger := &load.Ledger{}
	lc := &load.Lifecycles{API: api, Ledger: ledger, Supplier: o.supplier, Tag: tag}
	script := func(ctx context.Context, i int) error {
		if i%2 == 0 {
			return lc.Marketplace(ctx, i/2)
		}
		return lc.Member(ctx, i/2)
	}
	fmt.Fprintf(stderr, "orderflow: %d marketplace + %d member orders, concurrency %d, against %s\n", o.orders, o.orders, o.concurrency, st.api)
	started := time.Now()
	failed, samples := load.RunAll(ctx, 2*o.orders, o.concurrency, script, stderr)
	elapsed := time.Since(started)
	for _, s := range samples {
		fmt.Fprintln(stderr, "  failed:", s)
	}
	r := &load.Report{Mode: "orderflow", Started: started.UTC(), Orders: 2 * o.orders, OrdersFailed: failed, Concurrency: o.concurrency}
	r.Finish(rec, elapsed)
	if len(st.procs) > 0 {
		// Timers, not load, decide when these land: waited for outside the measured time.
		fmt.Fprintln(stderr, "waiting for the member orders' first invoices…")
		missing := lc.AwaitFirstInvoices(ctx, ledger.Orders())
		r.Notes = append(r.Notes, fmt.Sprintf("member orders' first invoice (draft, %s review, issue) checked after the measured run: %d missing", o.minReview, missing))
		if missing > 0 {
			r.OrdersFailed += missing
		}
	}
	fmt.Fprintln(stderr, "reading workflow histories…")
	r.HistoryEvents, r.HistoryBytes = load.Histories(ctx, tc, ledger.Orders(), rec)
	r.Errors = rec.Errors()
	return r
}

func runBaseline(ctx context.Context, o options, tc client.Client, tag string, stderr io.Writer) (*load.Report, error) {
	rec := load.NewRecorder()
	b := &load.Baseline{Client: tc, TaskQueue: o.baselineTQ, Rec: rec, Tag: tag, Ledger: &load.Ledger{}}
	w, err := b.StartWorker()
	if err != nil {
		return nil, err
	}
	defer w.Stop()
	// The same number of workflows as orders of both flows.
	n := 2 * o.orders
	fmt.Fprintf(stderr, "baseline: %d minimal workflows (update-with-start, update, completion), concurrency %d\n", n, o.concurrency)
	started := time.Now()
	failed, samples := load.RunAll(ctx, n, o.concurrency, b.Run, stderr)
	elapsed := time.Since(started)
	for _, s := range samples {
		fmt.Fprintln(stderr, "  failed:", s)
	}
	r := &load.Report{Mode: "baseline", Started: started.UTC(), Orders: n, OrdersFailed: failed, Concurrency: o.concurrency}
	r.Finish(rec, elapsed)
	r.HistoryEvents, r.HistoryBytes = load.Histories(ctx, tc, b.Ledger.Orders(), rec)
	r.Errors = rec.Errors()
	return r, nil
}

func dialTemporal(hostPort string) (client.Client, error) {
	opts, err := envconfig.LoadClientOptions(envconfig.LoadClientOptionsRequest{})
	if err != nil {
		return nil, fmt.Errorf("temporal client configuration (TEMPORAL_* variables): %w", err)
	}
	if hostPort != "" {
		opts.HostPort = hostPort
	}
	c, err := client.Dial(opts)
	if err != nil {
		return nil, fmt.Errorf("dial Temporal at %s: %w", opts.HostPort, err)
	}
	return c, nil
}

// startStack starts `orderflow dev` when asked, else describes the running stack.
func startStack(ctx context.Context, o options, stderr io.Writer) (*stack, error) {
	if o.start == "" {
		return &stack{api: o.api}, nil
	}
	dir, env, err := benchPorts.prepare(ctx, o.workDir, map[string]string{
		"ORDERFLOW_TIMEZONE":     "UTC",
		"ORDERFLOW_INVOICE_TIME": "00:00",
		"ORDERFLOW_MIN_REVIEW":   o.minReview.String(),
	})
	if err != nil {
		return nil, err
	}
	return benchPorts.start(ctx, o.start, dir, env, "", stderr)
}

// databaseURL is DATABASE_URL (or the local default) with its database replaced by name.
func databaseURL(name string) string {
	base := os.Getenv("DATABASE_URL")
	if base == "" {
		base = "postgres://postgres@127.0.0.1:5432/orderflow?sslmode=disable"
	}
	cfg, err := pgx.ParseConfig(base)
	if err != nil {
		return base
	}
	host := fmt.Sprintf("%s:%d", cfg.Host, cfg.Port)
	user := cfg.User
	if cfg.Password != "" {
		user += ":" + cfg.Password
	}
	return fmt.Sprintf("postgres://%s@%s/%s?sslmode=disable", user, host, name)
}

// dropDatabase removes a previous run's database so the audit sees only this run.
func dropDatabase(ctx context.Context, name string) error {
	return adminExec(ctx, "drop "+name, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)")
}

func createDatabase(ctx context.Context, name string) error {
	return adminExec(ctx, "create "+name, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize())
}

// adminExec runs sql in the postgres database.
func adminExec(ctx context.Context, what, sql string) error {
	conn, err := pgx.Connect(ctx, databaseURL("postgres"))
	if err != nil {
		return fmt.Errorf("connect to Postgres: %w", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/orderflow/orderflow/internal/load"
	"github.com/orderflow/orderflow/lifecycle"
)

// The scale run leaves -n orders open, each waiting on a timer, then
// measures the worker's memory and the API's latency while they wait, once
// per worker cache size: the figures the default ORDERFLOW_WORKFLOW_CACHE_SIZE
// was chosen from (README, "Performance").

// scaleMetricsAddr is where the run's worker serves /metrics.
const scaleMetricsAddr = "127.0.0.1:18490"

type scaleOptions struct {
	options
	cacheSizes []int
	watch      time.Duration
	readRate   float64
	createRate float64
	settle     time.Duration
}

func (o *scaleOptions) register(fs *flag.FlagSet) {
	o.options.register(fs)
	setDefault(fs, "n", "10000")
	fs.Lookup("n").Usage = "orders left open, a third of each kind (marketplace awaiting payment, member in smart_confirmation, member active)"
	setDefault(fs, "c", "16")
	o.cacheSizes = []int{10000, 2000, 500}
	fs.Func("cache-sizes", "worker cache sizes measured in turn, the first one during the fill (default 10000,2000,500)", func(s string) error {
		sizes, err := parseSizes(s)
		o.cacheSizes = sizes
		return err
	})
	fs.DurationVar(&o.watch, "watch", time.Minute, "how long reads and creations are measured at each cache size")
	fs.Float64Var(&o.readRate, "read-rate", 40, "reads per second during the watch: order views of random open orders, every tenth the order list")
	fs.Float64Var(&o.createRate, "create-rate", 1, "new marketplace orders per second during the watch")
	fs.DurationVar(&o.settle, "settle", 10*time.Minute, "longest wait after the fill for every order to reach the status it waits in")
}

func parseSizes(s string) ([]int, error) {
	var sizes []int
	for _, part := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(part))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("%q is not a cache size (a whole number, at least 1)", part)
		}
		sizes = append(sizes, n)
	}
	return sizes, nil
}

// scaleReport is what the scale run measured, printed and written as JSON.
type scaleReport struct {
	Started time.Time `json:"started"`
	// Fill is the creation of the open orders: throughput and latency.
	Fill *load.Report `json:"fill"`
	// Open counts the orders placed; Waiting those in the status their
	// script left them in with a pending timer (next_deadline) in the read model.
	Open          int          `json:"open_orders"`
	Waiting       int          `json:"waiting_on_a_timer"`
	SettleSeconds float64      `json:"settle_seconds"`
	Phases        []scalePhase `json:"cache_sizes"`
	DevPeakRSS    int64        `json:"dev_peak_rss_bytes"`
	// HistoryEvents is the length of the histories a cache miss replays (a sample).
	HistoryEvents map[string]load.Distribution `json:"history_events_per_order"`
	// Targets: what a cached order costs the worker, against its target.
	Targets []load.Target `json:"targets,omitempty"`
	Notes   []string      `json:"notes,omitempty"`
}

// memoryPerCachedOrder is what one more cached order costs the worker: the
// difference in Go heap and stacks in use between the cache sizes that held
// the most and the fewest orders, over the difference in orders. Goroutine
// stacks count: a cached order keeps its coroutines.
func memoryPerCachedOrder(phases []scalePhase) load.Target {
	t := load.Target{Name: "worker memory per cached order", Limit: 50, Unit: "KiB"}
	if len(phases) < 2 {
		t.Note = "needs two cache sizes"
		return t
	}
	most, fewest := phases[0], phases[0]
	for _, p := range phases[1:] {
		if p.Cached > most.Cached {
			most = p
		}
		if p.Cached < fewest.Cached {
			fewest = p
		}
	}
	if most.Cached-fewest.Cached < 1 {
		t.Note = "the cache sizes held as many orders"
		return t
	}
	return load.Judge(t, (most.Heap+most.Stacks-fewest.Heap-fewest.Stacks)/(most.Cached-fewest.Cached)/1024)
}

// scalePhase is the worker at one cache size while the orders wait.
type scalePhase struct {
	CacheSize int `json:"cache_size"`
	// Cached is the SDK's temporal_sticky_cache_size gauge before the watch.
	Cached float64 `json:"cached_orders"`
	// RSS and Heap (Go heap in use) are the worker's before the watch, once
	// the cache is filled; RSSAfter after it; Peak its VmHWM.
	RSS  int64   `json:"worker_rss_bytes"`
	Heap float64 `json:"worker_heap_inuse_bytes"`
	// Stacks and Goroutines: a cached order keeps its coroutines' goroutines.
	Stacks     float64 `json:"worker_stack_inuse_bytes"`
	Goroutines float64 `json:"worker_goroutines"`
	// HeapProfile is the worker's heap profile at the largest cache size.
	HeapProfile string `json:"worker_heap_profile,omitempty"`
	RSSAfter    int64  `json:"worker_rss_after_watch_bytes"`
	Peak        int64  `json:"worker_peak_rss_bytes"`
	// Touch is the pass that filled a restarted worker's cache.
	Touch *load.Latency `json:"touch,omitempty"`
	// Latency is per kind during the watch; Hits and Misses the worker's
	// cache hits and misses during it.
	Latency map[string]load.Latency `json:"watch_latency_ms"`
	Reads   float64                 `json:"watch_reads_per_second"` // achieved
	Hits    float64                 `json:"watch_cache_hits"`
	Misses  float64                 `json:"watch_cache_misses"`
	Errors  map[string]int          `json:"errors"`
}

func runScale(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var o scaleOptions
	return runOnOwnStack("scale", "the run measures a worker process it started itself", args, stderr, o.register, &o.start,
		func() error { o.ownStackSecret(); return scale(ctx, o, stdout, stderr) })
}

// scaleStack is `orderflow dev` without its worker, and one `orderflow worker`.
type scaleStack struct {
	*stack
	bin, dir string
	env      map[string]string
	worker   *load.Proc
}

func startScaleStack(ctx context.Context, o scaleOptions, stderr io.Writer) (*scaleStack, error) {
	dir, env, err := scalePorts.prepare(ctx, o.workDir, map[string]string{
		"ORDERFLOW_DEV_WORKER":             "false",
		"ORDERFLOW_TOKEN_SECRET":           o.secret,
		"ORDERFLOW_PAYMENT_WEBHOOK_SECRET": o.secret + "-payments",
		// Emails are kept in Postgres: the run measures orderflow, not a mail stand-in.
		"ORDERFLOW_EMAIL_MODE":   "capture",
		"ORDERFLOW_METRICS_ADDR": scaleMetricsAddr,
	})
	if err != nil {
		return nil, err
	}
	dev, err := scalePorts.start(ctx, o.start, dir, env, ", no worker of its own", stderr)
	if err != nil {
		return nil, err
	}
	s := &scaleStack{stack: dev, bin: o.start, dir: dir, env: env}
	if err := s.restartWorker(ctx, o.cacheSizes[0]); err != nil {
		s.stop()
		return nil, err
	}
	return s, nil
}

// restartWorker stops the worker (if any) and starts one with cacheSize.
func (s *scaleStack) restartWorker(ctx context.Context, cacheSize int) error {
	if s.worker != nil {
		s.worker.Stop(30 * time.Second)
	}
	w, err := startWorker(s.bin, s.dir, s.env, 0, map[string]string{"ORDERFLOW_WORKFLOW_CACHE_SIZE": strconv.Itoa(cacheSize)})
	if err != nil {
		return err
	}
	s.worker = w
	return load.WaitReady(ctx, "http://"+scaleMetricsAddr+"/healthz", w, time.Minute)
}

func (s *scaleStack) stop() {
	if s.worker != nil {
		s.worker.Stop(30 * time.Second)
	}
	s.stack.stop()
}

func scale(ctx context.Context, o scaleOptions, stdout, stderr io.Writer) error {
	st, err := startScaleStack(ctx, o, stderr)
	if err != nil {
		return err
	}
	defer st.stop()
	pool, err := pgxpool.New(ctx, databaseURL(scalePorts.database))
	if err != nil {
		return fmt.Errorf("connect to %s: %w", scalePorts.database, err)
	}
	defer pool.Close()
	ops, err := load.NewAPI(st.api, o.secret, nil).Token(lifecycle.Ops, "o-scale")
	if err != nil {
		return err
	}

	report := &scaleReport{Started: time.Now().UTC()}
	tag := time.Now().UTC().Format("150405")
	placed, err := fill(ctx, o, st, tag, report, stderr)
	if err != nil {
		return err
	}
	settled := time.Now()
	report.Waiting, err = awaitWaiting(ctx, pool, placed, o.settle, stderr)
	if err != nil {
		return err
	}
	report.SettleSeconds = time.Since(settled).Seconds()
	if report.Waiting < len(placed) {
		report.Notes = append(report.Notes, fmt.Sprintf("%d orders were not waiting on a timer in their expected status after %s", len(placed)-report.Waiting, o.settle))
	}

	for i, size := range o.cacheSizes {
		phase, err := measureCacheSize(ctx, o, st, placed, ops, tag, i, size, stderr)
		if err != nil {
			return err
		}
		report.Phases = append(report.Phases, phase)
	}
	report.DevPeakRSS = st.procs[0].PeakRSS()
	report.Open = len(placed)
	report.HistoryEvents = historyEvents(ctx, st, placed)
	report.Targets = []load.Target{memoryPerCachedOrder(report.Phases)}
	report.print(stdout)
	if o.out != "" {
		if err := load.WriteJSON(o.out, report); err != nil {
			return err
		}
	}
	if report.Fill.OrdersFailed > 0 || report.Waiting < len(placed) {
		return fmt.Errorf("%d orders failed to open, %d of %d not waiting on a timer", report.Fill.OrdersFailed, len(placed)-report.Waiting, len(placed))
	}
	return nil
}

// fill opens o.orders orders, o.concurrency at a time, and reports it.
func fill(ctx context.Context, o scaleOptions, st *scaleStack, tag string, report *scaleReport, stderr io.Writer) ([]load.Placed, error) {
	rec := load.NewRecorder()
	api := load.NewAPI(st.api, o.secret, rec)
	api.Wait = o.wait
	// A fill keeps the stack saturated: an order's first view can take
	// longer than the API waits for it (503). A client retries that with the
	// same Idempotency-Key, as the API asks; the report counts the retries.
	retry := &load.RetryTransport{Base: &http.Transport{MaxIdleConnsPerHost: 64}, Retries: 4, Pause: time.Second}
	api.HTTP.Transport = retry
	ledger := &load.Ledger{}
	lc := &load.Lifecycles{API: api, Ledger: ledger, Tag: tag}
	fmt.Fprintf(stderr, "fill: %d orders left open (a third each: marketplace awaiting payment, member in smart_confirmation, member active), concurrency %d\n", o.orders, o.concurrency)
	started := time.Now()
	failed, samples := load.RunAll(ctx, o.orders, o.concurrency, lc.Open, stderr)
	for _, s := range samples {
		fmt.Fprintln(stderr, "  failed:", s)
	}
	r := &load.Report{Mode: "fill", Started: started.UTC(), Orders: o.orders, OrdersFailed: failed, Concurrency: o.concurrency}
	r.Finish(rec, time.Since(started))
	r.Notes = append(r.Notes, fmt.Sprintf("%d requests retried after a 502/503/504 or a broken connection (creations with their Idempotency-Key, actions with their request_id)", retry.Retried.Load()))
	report.Fill = r
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	return ledger.Orders(), nil
}

// awaitWaiting waits until every placed order is in its expected status with
// a pending timer in the read model, or limit passes; it returns how many are.
func awaitWaiting(ctx context.Context, pool *pgxpool.Pool, placed []load.Placed, limit time.Duration, stderr io.Writer) (int, error) {
	deadline := time.Now().Add(limit)
	for {
		end, err := load.ReadEndState(ctx, pool)
		if err != nil {
			return 0, err
		}
		waiting := load.WaitingOnTimers(placed, end)
		if waiting == len(placed) || time.Now().After(deadline) {
			return waiting, nil
		}
		fmt.Fprintf(stderr, "settling: %d of %d orders waiting on a timer\n", waiting, len(placed))
		select {
		case <-ctx.Done():
			return waiting, ctx.Err()
		case <-time.After(5 * time.Second):
		}
	}
}

// measureCacheSize measures the worker at cache size size: the one that ran
// the fill (round 0), else a new one whose cache is filled by touching every
// open order.
func measureCacheSize(ctx context.Context, o scaleOptions, st *scaleStack, placed []load.Placed, ops, tag string, round, size int, stderr io.Writer) (scalePhase, error) {
	phase := scalePhase{CacheSize: size}
	rec := load.NewRecorder()
	api := load.NewAPI(st.api, o.secret, rec)
	if round > 0 {
		fmt.Fprintf(stderr, "worker restarted with cache size %d; touching the %d open orders to fill its cache…\n", size, len(placed))
		if err := st.restartWorker(ctx, size); err != nil {
			return phase, err
		}
		touch := func(ctx context.Context, i int) error { return api.Touch(ctx, placed[i].ID, ops) }
		load.RunAll(ctx, len(placed), o.concurrency, touch, stderr) // failures are in rec's errors
		l := rec.Latencies()["touch (refused retry)"]
		phase.Touch = &l
	}
	err := measureWaiting(ctx, o, st, api, rec, placed, ops, tag, round, &phase, stderr)
	return phase, err
}

// measureWaiting reads the worker's memory and cache once the orders wait,
// then drives reads (order views: workflow queries; the order list:
// Postgres) and a trickle of new orders for o.watch, timing them.
func measureWaiting(ctx context.Context, o scaleOptions, st *scaleStack, api *load.API, rec *load.Recorder, placed []load.Placed, ops, tag string, round int, phase *scalePhase, stderr io.Writer) error {
	// Let the last tasks finish and the GC run before reading memory.
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(10 * time.Second):
	}
	metrics := "http://" + scaleMetricsAddr + "/metrics"
	before, err := load.Scrape(ctx, metrics)
	if err != nil {
		return fmt.Errorf("worker metrics: %w", err)
	}
	// The SDK sets this gauge to the whole cache's size, labelled with the
	// workflow type of the task that set it: the largest is the latest.
	phase.Cached = load.FamilyMax(before, "temporal_sticky_cache_size")
	phase.Heap = load.Family(before, "go_memstats_heap_inuse_bytes")
	phase.Stacks = load.Family(before, "go_memstats_stack_inuse_bytes")
	phase.Goroutines = load.Family(before, "go_goroutines")
	phase.RSS = st.worker.RSS()
	fmt.Fprintf(stderr, "cache size %d: %.0f orders cached, worker RSS %d MiB (Go heap in use %d MiB); watching for %s…\n",
		phase.CacheSize, phase.Cached, phase.RSS>>20, int64(phase.Heap)>>20, o.watch)
	if round == 0 && o.out != "" {
		// Where the memory of the most orders goes, by allocation site.
		profile := strings.TrimSuffix(o.out, filepath.Ext(o.out)) + "-worker-heap.pprof"
		heap, err := load.Fetch(ctx, "http://"+scaleMetricsAddr+"/debug/pprof/heap")
		if err == nil {
			err = os.WriteFile(profile, heap, 0o644)
		}
		if err != nil {
			return fmt.Errorf("worker heap profile: %w", err)
		}
		phase.HeapProfile = profile
		fmt.Fprintf(stderr, "worker heap profile in %s (go tool pprof -top %s)\n", profile, profile)
	}

	// Open loop: calls start at a steady rate whatever the answers take (up
	// to 32 reads and 4 creations in flight), so latencies compare across
	// cache sizes; when the stack falls behind, the rates achieved say so.
	nReads, nCreates := int(o.readRate*o.watch.Seconds()), int(o.createRate*o.watch.Seconds())
	read := load.Paced(func(ctx context.Context, k int) error {
		if k%10 == 9 {
			return api.List(ctx, ops)
		}
		return api.Read(ctx, placed[rand.IntN(len(placed))].ID, ops)
	}, nReads, o.watch)
	lc := &load.Lifecycles{API: api, Ledger: &load.Ledger{}, Tag: fmt.Sprintf("%s-w%d", tag, round)}
	create := load.Paced(lc.OpenMarketplace, nCreates, o.watch)
	var readFailures int
	var readTime time.Duration
	var wg sync.WaitGroup
	wg.Go(func() {
		started := time.Now()
		readFailures, _ = load.RunAll(ctx, nReads, 32, read, nil)
		readTime = time.Since(started)
	})
	wg.Go(func() { load.RunAll(ctx, nCreates, 4, create, nil) })
	wg.Wait()

	after, err := load.Scrape(ctx, metrics)
	if err != nil {
		return fmt.Errorf("worker metrics: %w", err)
	}
	phase.Hits = load.Family(after, "temporal_sticky_cache_hit_total") - load.Family(before, "temporal_sticky_cache_hit_total")
	phase.Misses = load.Family(after, "temporal_sticky_cache_miss_total") - load.Family(before, "temporal_sticky_cache_miss_total")
	phase.RSSAfter = st.worker.RSS()
	phase.Peak = st.worker.PeakRSS()
	phase.Latency = rec.Latencies()
	phase.Errors = rec.Errors()
	phase.Reads = float64(nReads-readFailures) / readTime.Seconds()
	return nil
}

func historyEvents(ctx context.Context, st *scaleStack, placed []load.Placed) map[string]load.Distribution {
	tc, err := dialTemporal(st.temporal)
	if err != nil {
		return nil
	}
	defer tc.Close()
	// A sample is enough to say how long the histories a cache miss replays are.
	sample := placed[:min(len(placed), 300)]
	return load.HistoryLengths(ctx, tc, sample, load.NewRecorder())
}

func (r *scaleReport) print(w io.Writer) {
	f := r.Fill
	fmt.Fprintf(w, "scale run: %d orders opened (%d failed), concurrency %d, %.0f s: %.2f orders/s\n", f.Orders, f.OrdersFailed, f.Concurrency, f.Seconds, f.OrdersPerSecond)
	fmt.Fprintf(w, "  fill latency ms %-17s %6s %8s %8s %8s\n", "action", "count", "p50", "p95", "p99")
	printLatencies(w, "                  ", f.Latency)
	for _, n := range f.Notes {
		fmt.Fprintf(w, "  fill: %s\n", n)
	}
	fmt.Fprintf(w, "  %d of %d open orders waiting on a timer in their expected status (settled in %.0f s)\n", r.Waiting, r.Open, r.SettleSeconds)
	for _, flow := range []string{lifecycle.MarketplaceFlow.Name, lifecycle.MemberFlow.Name} {
		if d, ok := r.HistoryEvents[flow]; ok {
			fmt.Fprintf(w, "  history events per open %s order: mean %.1f, max %d (%d sampled)\n", flow, d.Mean, d.Max, d.Count)
		}
	}
	fmt.Fprintf(w, "  peak RSS of `orderflow dev` (Temporal server + API, no worker): %d MiB\n", r.DevPeakRSS>>20)
	for _, p := range r.Phases {
		fmt.Fprintf(w, "  worker cache size %d: %.0f orders cached; worker RSS %d MiB (Go heap in use %d MiB, %.0f goroutines on %d MiB of stacks), %d MiB after the watch, peak %d MiB\n",
			p.CacheSize, p.Cached, p.RSS>>20, int64(p.Heap)>>20, p.Goroutines, int64(p.Stacks)>>20, p.RSSAfter>>20, p.Peak>>20)
		if p.Touch != nil {
			fmt.Fprintf(w, "    cache filled by touching every order: p50 %.1f ms, p95 %.1f ms\n", p.Touch.P50, p.Touch.P95)
		}
		fmt.Fprintf(w, "    while they wait: %.1f reads/s, cache hits %.0f, misses %.0f\n", p.Reads, p.Hits, p.Misses)
		printLatencies(w, "    latency ms ", p.Latency)
		for _, kind := range slices.Sorted(maps.Keys(p.Errors)) {
			fmt.Fprintf(w, "    errors %s: %d\n", kind, p.Errors[kind])
		}
	}
	load.PrintTargets(w, r.Targets)
	for _, n := range r.Notes {
		fmt.Fprintf(w, "  note: %s\n", n)
	}
}

func printLatencies(w io.Writer, indent string, ls map[string]load.Latency) {
	for _, kind := range slices.Sorted(maps.Keys(ls)) {
		l := ls[kind]
		fmt.Fprintf(w, "%s%-22s %6d %8.1f %8.1f %8.1f\n", indent, kind, l.Count, l.P50, l.P95, l.P99)
	}
}

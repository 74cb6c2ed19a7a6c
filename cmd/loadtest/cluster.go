package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/orderflow/orderflow/internal/deploy"
	"github.com/orderflow/orderflow/internal/load"
	"github.com/orderflow/orderflow/internal/sendgridtest"
	"github.com/orderflow/orderflow/internal/store"
	"github.com/orderflow/orderflow/lifecycle"
	"github.com/orderflow/orderflow/workflows"
)

// loadtest cluster: the production shape (cluster_stack.go) driven through
// every API replica in turn, first the checks only several replicas can
// fail, then both lifecycles under faults (workers and API replicas
// SIGKILLed, the Temporal server restarted, SendGrid bursts), then the
// audit `loadtest chaos` makes.

type clusterOptions struct {
	options
	compose   string
	previous  string
	bins      clusterBinaries
	workers   int
	faults    bool
	kills     int
	apiKills  int
	bursts    int
	burstSize int
	interval  time.Duration
	settle    time.Duration
	show      int
}

func (o *clusterOptions) register(fs *flag.FlagSet) {
	o.options.register(fs)
	setDefault(fs, "n", "6")
	setDefault(fs, "c", "6")
	fs.StringVar(&o.compose, "compose", "docker-compose.yml", "the compose file whose production shape the run starts")
	fs.StringVar(&o.bins.server, "server", "bin/temporal-server", "Temporal server binary (go.temporal.io/server/cmd/server)")
	fs.StringVar(&o.bins.sqlTool, "sql-tool", "bin/temporal-sql-tool", "temporal-sql-tool binary (go.temporal.io/server/cmd/tools/sql)")
	fs.StringVar(&o.bins.schemaRoot, "schema-root", "", "go.temporal.io/server's schema/postgresql/v12 directory (required)")
	fs.IntVar(&o.workers, "workers", 0, "worker processes (default: as many as the compose file runs)")
	fs.StringVar(&o.previous, "previous", "", "the previous release's orderflow binary: the workers start from it and are rolled to -start's during the faults (make cluster builds it: workflows.buildLeanVersion=3)")
	fs.BoolVar(&o.faults, "faults", true, "inject faults during the load (without: a throughput run)")
	fs.IntVar(&o.kills, "kills", 3, "SIGKILLs of a worker, every worker in turn (each restarted 2s later)")
	fs.IntVar(&o.apiKills, "api-kills", 2, "SIGKILLs of an API replica, every replica in turn (each restarted 2s later)")
	fs.IntVar(&o.bursts, "bursts", 2, "bursts of SendGrid errors, 429 and 500 in turn")
	fs.IntVar(&o.burstSize, "burst-size", 6, "requests answered with the error in each burst")
	fs.DurationVar(&o.interval, "fault-every", 7*time.Second, "pause before each fault")
	fs.DurationVar(&o.settle, "settle", 4*time.Minute, "longest wait after the load for every order, invoice and email to land")
	fs.IntVar(&o.show, "show", 20, "violations printed in full")
}

// Faults only a cluster has.
const (
	KillAPI         load.FaultKind = "API replica SIGKILL"
	RestartTemporal load.FaultKind = "Temporal server restart"
	RollWorkers     load.FaultKind = "rolling deploy of the workers"
)

// clusterSchedule: worker and API kills, mail bursts, the server restart in
// the middle, the rolling deploy (with -previous) right after it, so orders
// run on both builds and on the new one after.
func clusterSchedule(o clusterOptions) []load.FaultKind {
	out := load.Schedule(o.kills, o.bursts, false)
	for i := range o.apiKills {
		at := min(len(out), (i*2+1)*len(out)/(2*o.apiKills)+i)
		out = append(out[:at], append([]load.FaultKind{KillAPI}, out[at:]...)...)
	}
	middle := []load.FaultKind{RestartTemporal}
	if o.previous != "" {
		middle = append(middle, RollWorkers)
	}
	mid := len(out) / 2
	return append(out[:mid], append(middle, out[mid:]...)...)
}

func runCluster(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var o clusterOptions
	return runOnOwnStack("cluster", "it is the orderflow binary (`make build`) of the workers and API replicas", args, stderr, o.register, &o.start,
		func() error {
			if o.bins.schemaRoot == "" {
				return fmt.Errorf("-schema-root is required (make cluster passes it)")
			}
			o.bins.orderflow, o.bins.previous = o.start, o.previous
			o.ownStackSecret()
			return cluster(ctx, o, stdout, stderr)
		})
}

func cluster(ctx context.Context, o clusterOptions, stdout, stderr io.Writer) error {
	stderr = &lockedWriter{w: stderr} // progress, faults and the stack write at once
	project, err := deploy.LoadCompose(ctx, o.compose, nil)
	if err != nil {
		return err
	}
	plan, err := deploy.PlanCluster(project)
	if err != nil {
		return err
	}
	if o.workers > 0 {
		plan.Workers = o.workers
	}
	mail := sendgridtest.New(chaosSendGridKey)
	defer mail.Close()
	st, err := startCluster(ctx, plan, o.bins, o.workDir, map[string]string{
		"ORDERFLOW_TOKEN_SECRET":           o.secret,
		"ORDERFLOW_PAYMENT_WEBHOOK_SECRET": o.secret + "-payments",
		"ORDERFLOW_EMAIL_MODE":             "sendgrid",
		"SENDGRID_API_KEY":                 chaosSendGridKey,
		"SENDGRID_BASE_URL":                mail.URL(),
		// The lifecycles' member orders issue their first invoice during the run.
		"ORDERFLOW_TIMEZONE":     "UTC",
		"ORDERFLOW_INVOICE_TIME": "00:00",
		"ORDERFLOW_MIN_REVIEW":   o.minReview.String(),
	}, stderr)
	if err != nil {
		return err
	}
	defer st.stop()
	pool, err := pgxpool.New(ctx, databaseURL(clusterDatabase))
	if err != nil {
		return err
	}
	defer pool.Close()
	// The suppliers an operator would enter; dev mode seeds the same ones.
	if _, err := store.New(pool).SeedDemoSuppliers(ctx); err != nil {
		return fmt.Errorf("suppliers: %w", err)
	}

	rec := load.NewRecorder()
	api := load.NewAPI(st.apiURL(0), o.secret, rec)
	api.Wait = o.wait
	var hosts []string
	for _, u := range st.apiURLs() {
		parsed, _ := url.Parse(u)
		hosts = append(hosts, parsed.Host)
	}
	retries := &load.RetryTransport{Base: &load.Spread{Base: &http.Transport{MaxIdleConnsPerHost: 64}, Hosts: hosts}, Retries: 8, Pause: 500 * time.Millisecond}
	api.HTTP.Transport = retries
	ledger := &load.Ledger{}
	lc := &load.Lifecycles{API: api, Ledger: ledger, Supplier: o.supplier, Tag: time.Now().UTC().Format("150405")}

	checks, err := replicaChecks(ctx, st, o, ledger)
	if err != nil {
		return err
	}
	checked := len(ledger.Orders())

	var schedule []load.FaultKind
	if o.faults {
		schedule = clusterSchedule(o)
	}
	faults := &load.FaultLog{}
	spread := time.Duration(len(schedule)) * o.interval
	// Money moves under the faults: paid orders cancelled, payments racing
	// their cancellation, completed orders returned, each refunded as its
	// script expects (load.Placed.Refunds), beside both lifecycles.
	mix := []func(context.Context, int) error{lc.Marketplace, lc.Member, lc.CancelledPaid, lc.PaymentRacingCancel, lc.Returned}
	total := len(mix) * o.orders
	script := func(ctx context.Context, i int) error { return mix[i%len(mix)](ctx, i/len(mix)) }
	if o.faults {
		script = load.Paced(script, total, spread)
	}
	stop := make(chan struct{})
	faultsDone := make(chan struct{})
	go func() {
		defer close(faultsDone)
		load.InjectFaults(ctx, schedule, o.interval, st.injectors(o, mail, stderr), stop, stderr, faults)
	}()
	fmt.Fprintf(stderr, "cluster run: %d orders (%d each: marketplace completed, member active, paid then cancelled, payment racing the cancellation, returned) through %d API replicas in turn, concurrency %d; %d faults, one every %s\n",
		total, o.orders, plan.APIs, o.concurrency, len(schedule), o.interval)
	cpuBefore := st.cpu()
	started := time.Now()
	failed, samples := load.RunAll(ctx, total, o.concurrency, script, stderr)
	loadTime := time.Since(started)
	cpuAfter := st.cpu()
	for _, s := range samples {
		fmt.Fprintln(stderr, "  failed:", s)
	}
	<-faultsDone
	close(stop)
	if faults.Injected()[RollWorkers] > 0 {
		if err := afterTheRoll(ctx, st, *lc); err != nil {
			return fmt.Errorf("after the rolling deploy: %w", err)
		}
		checked++ // audited with the rest, counted with the checks
	}

	placed := ledger.Orders()
	end, settled, vs, err := settleAndAudit(ctx, pool, mail, placed, o.settle, stderr)
	if err != nil {
		return err
	}

	fmt.Fprintf(stdout, "cluster run: Temporal %s (Postgres persistence and visibility), Web UI %s, %d workers, %d API replicas (%s)\n",
		plan.TemporalVersion, plan.UIVersion, plan.Workers, plan.APIs, o.compose)
	for _, c := range checks {
		fmt.Fprintf(stdout, "replica check: %s\n", c)
	}
	loaded := len(placed) - checked
	fmt.Fprintf(stdout, "load: %d orders placed of %d (%d scripts failed), concurrency %d, %s (%.2f orders/s, %d requests retried), %s\n",
		loaded, total, failed, o.concurrency, loadTime.Round(100*time.Millisecond), float64(loaded)/loadTime.Seconds(), retries.Retried.Load(), settled)
	if !o.faults { // with faults, killed processes take their CPU time with them
		fmt.Fprintf(stdout, "CPU during the load (%d cores, %s of CPU time available): %s\n",
			runtime.NumCPU(), (time.Duration(runtime.NumCPU()) * loadTime).Round(100*time.Millisecond), cpuShares(cpuBefore, cpuAfter, loadTime))
	}
	if o.faults {
		fmt.Fprintf(stdout, "faults injected: %s\n", faults.Summary())
		for _, s := range faults.Skipped() {
			fmt.Fprintf(stdout, "fault skipped: %s\n", s)
		}
	}
	if faults.Injected()[RollWorkers] > 0 {
		fmt.Fprintf(stdout, "rolling deploy: the workers rolled from %s to %s during the load; an order placed after the roll records this build's version %d of %s\n",
			o.previous, o.start, workflows.RecordedLeanVersion(), workflows.ChangeLeanEngine)
	}
	fmt.Fprintf(stdout, "read model: %d orders, %d emails sent, %d not sent, %d invoices and credit notes, %d refunds\n",
		len(end.Orders), len(end.Recorded), len(end.Unsent), len(end.Numbers), sum(end.RefundsPerOrder))
	printViolations(stdout, vs, o.show)
	if len(vs) > 0 || failed > 0 {
		return fmt.Errorf("%d violations, %d scripts failed", len(vs), failed)
	}
	return nil
}

func (s *clusterStack) injectors(o clusterOptions, mail *sendgridtest.Server, stderr io.Writer) map[load.FaultKind]load.Injector {
	// Every worker and every replica is killed in turn: none is spared.
	var workers, apis turns
	inject := mailFaults(mail, o.burstSize)
	inject[load.KillWorker] = func(ctx context.Context) error {
		return s.killAndRestart(ctx, workers.next(s.plan.Workers), func(i int) *load.Proc { return s.workers[i] }, func(_ context.Context, i int) error { return s.startWorker(i) })
	}
	inject[KillAPI] = func(ctx context.Context) error {
		return s.killAndRestart(ctx, apis.next(s.plan.APIs), func(i int) *load.Proc { return s.apis[i] }, s.startAPI)
	}
	inject[RollWorkers] = func(ctx context.Context) error { return s.rollWorkers(ctx, o.start, stderr) }
	inject[RestartTemporal] = func(ctx context.Context) error {
		s.mu.Lock()
		server := s.server
		s.mu.Unlock()
		fmt.Fprintln(stderr, "\nrestarting the Temporal server")
		server.Stop(30 * time.Second)
		return s.startServer(ctx)
	}
	return inject
}

// lockedWriter lets several goroutines write to w.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// afterTheRoll drives a marketplace order placed once every worker runs the
// new build to completed; it must record the new build's version of the lean
// engine, which the previous release cannot replay.
func afterTheRoll(ctx context.Context, st *clusterStack, lc load.Lifecycles) error {
	want := int(workflows.RecordedLeanVersion())
	lc.Offered = func(ctx context.Context, id string) error {
		return retry(ctx, 30*time.Second, func() error {
			v, err := st.leanVersion(ctx, id)
			if err == nil && v != want {
				err = fmt.Errorf("order %s records version %d of %s, not this build's %d", id, v, workflows.ChangeLeanEngine, want)
			}
			return err
		})
	}
	return lc.Marketplace(ctx, 1_000_000) // an index no script of the load reaches
}

// turns counts round a set of processes.
type turns struct {
	mu sync.Mutex
	n  int
}

func (t *turns) next(of int) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.n++
	return (t.n - 1) % of
}

// killAndRestart SIGKILLs process i (proc reads it under the stack's lock)
// and starts it again 2 s later.
func (s *clusterStack) killAndRestart(ctx context.Context, i int, proc func(int) *load.Proc, restart func(context.Context, int) error) error {
	s.mu.Lock()
	p := proc(i)
	s.mu.Unlock()
	p.Kill()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(2 * time.Second):
	}
	return restart(ctx, i)
}

// cpuShares says how much CPU time each part used between two samples, and
// what share of the machine that is.
func cpuShares(before, after map[string]time.Duration, elapsed time.Duration) string {
	available := time.Duration(runtime.NumCPU()) * elapsed
	parts := make([]string, 0, len(cpuParts))
	for _, name := range cpuParts {
		used := max(after[name]-before[name], 0)
		parts = append(parts, fmt.Sprintf("%s %s (%.0f%%)", name, used.Round(100*time.Millisecond), 100*used.Seconds()/available.Seconds()))
	}
	return strings.Join(parts, ", ")
}

// replicaChecks are what only several API replicas can get wrong: a create
// retried on another replica finds the same order; a supplier's live feed
// held on one replica sees an order released through another. Their orders
// join the audit.
func replicaChecks(ctx context.Context, st *clusterStack, o clusterOptions, ledger *load.Ledger) ([]string, error) {
	if st.plan.APIs < 2 {
		return []string{"skipped: the compose file runs one API replica"}, nil
	}
	first, second := st.apiURL(0), st.apiURL(1)
	var out []string

	// An idempotent create retried on the other replica.
	customer := "c-replicas-" + time.Now().UTC().Format("150405")
	rec := load.NewRecorder()
	one, two := load.NewAPI(first, o.secret, rec), load.NewAPI(second, o.secret, rec)
	token, err := one.Token(lifecycle.Customer, customer)
	if err != nil {
		return nil, err
	}
	body, _ := json.Marshal(load.MarketplaceOrder(customer))
	key := "replicas-" + customer
	create := func(base string) (int, string, error) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, base+"/v1/orders", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Idempotency-Key", key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, "", err
		}
		defer resp.Body.Close()
		var v struct {
			ID string `json:"id"`
		}
		_ = json.NewDecoder(resp.Body).Decode(&v)
		return resp.StatusCode, v.ID, nil
	}
	code1, id1, err := create(first)
	if err != nil {
		return nil, err
	}
	code2, id2, err := create(second)
	if err != nil {
		return nil, err
	}
	if code1 != http.StatusCreated || code2 != http.StatusOK || id1 == "" || id1 != id2 {
		return nil, fmt.Errorf("replica check: a create on %s answered %d %s, retried on %s %d %s; want 201 then 200, one order", first, code1, id1, second, code2, id2)
	}
	ledger.Add(load.Placed{ID: id1, Flow: lifecycle.MarketplaceFlow.Name, Expected: string(lifecycle.AwaitingPayment)})
	out = append(out, fmt.Sprintf("a create on replica 1 (201) retried on replica 2 answered 200 with the same order %s", id1))

	// The live feed on one replica, the order driven through the other.
	feedCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	supplierToken, err := one.Token(lifecycle.Supplier, o.supplier)
	if err != nil {
		return nil, err
	}
	seen := make(chan string, 64)
	streamErr := make(chan error, 1)
	go func() { streamErr <- readFeed(feedCtx, first, o.supplier, supplierToken, seen) }()
	via := &load.Lifecycles{API: two, Ledger: ledger, Supplier: o.supplier, Tag: "replicas-" + time.Now().UTC().Format("150405")}
	via.Offered = func(ctx context.Context, id string) error {
		deadline := time.After(30 * time.Second)
		for {
			select {
			case got := <-seen:
				if got == id {
					return nil
				}
			case err := <-streamErr:
				return fmt.Errorf("the live feed on replica 1 ended: %v", err)
			case <-deadline:
				return fmt.Errorf("the live feed on replica 1 never showed the order released through replica 2")
			case <-ctx.Done():
				return ctx.Err()
			}
		}
	}
	before := len(ledger.Orders())
	if err := via.Marketplace(ctx, 0); err != nil {
		return nil, fmt.Errorf("replica check: %w", err)
	}
	id := ledger.Orders()[before].ID
	return append(out, fmt.Sprintf("supplier %s's live feed held on replica 1 showed order %s as it was released through replica 2", o.supplier, id)), nil
}

// readFeed holds supplier's live feed on the API at base and sends the id
// of every order added to it.
func readFeed(ctx context.Context, base, supplier, token string, added chan<- string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/v1/suppliers/"+supplier+"/feed/stream", nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept", "text/event-stream")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	event := ""
	lines := bufio.NewScanner(resp.Body)
	lines.Buffer(make([]byte, 0, 64*1024), 1<<20)
	for lines.Scan() {
		line := lines.Text()
		switch {
		case strings.HasPrefix(line, "event: "):
			event = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: ") && event == "added":
			var item struct {
				OrderID string `json:"order_id"`
			}
			if json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &item) == nil {
				select {
				case added <- item.OrderID:
				case <-ctx.Done():
					return nil
				}
			}
		}
	}
	return lines.Err()
}

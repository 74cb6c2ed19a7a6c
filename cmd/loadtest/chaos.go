package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/orderflow/orderflow/internal/load"
	"github.com/orderflow/orderflow/internal/sendgridtest"
	"github.com/orderflow/orderflow/lifecycle"
)

// chaosSendGridKey is what the fault run's processes send to its SendGrid stand-in.
const chaosSendGridKey = "SG.chaos-standin-key"

type chaosOptions struct {
	options
	workers    int
	kills      int
	bursts     int
	burstSize  int
	interval   time.Duration
	pgRestart  bool
	settle     time.Duration
	violations int // how many violations to print in full
}

func (o *chaosOptions) register(fs *flag.FlagSet) {
	o.options.register(fs)
	// A fault run is sized to finish in minutes on two cores, not to measure.
	setDefault(fs, "n", "30")
	setDefault(fs, "c", "6")
	fs.IntVar(&o.workers, "workers", 2, "extra `orderflow worker` processes, the ones that are killed")
	fs.IntVar(&o.kills, "kills", 4, "SIGKILLs of an extra worker (each restarted 2s later)")
	fs.IntVar(&o.bursts, "bursts", 4, "bursts of SendGrid errors, 429 and 500 in turn")
	fs.IntVar(&o.burstSize, "burst-size", 6, "requests answered with the error in each burst")
	fs.DurationVar(&o.interval, "fault-every", 7*time.Second, "pause before each fault")
	fs.BoolVar(&o.pgRestart, "pg-restart", true, "restart the local Postgres cluster once (pg_ctlcluster; affects every user of it)")
	fs.DurationVar(&o.settle, "settle", 4*time.Minute, "longest wait after the load for every order, invoice and email to land")
	fs.IntVar(&o.violations, "show", 20, "violations printed in full")
}

func setDefault(fs *flag.FlagSet, name, value string) {
	f := fs.Lookup(name)
	_ = f.Value.Set(value)
	f.DefValue = value
}

// runChaos parses the fault run's flags and runs it: 0 clean, 1 violations
// or failure, 2 bad usage.
func runChaos(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var o chaosOptions
	return runOnOwnStack("chaos", "the run kills and restarts processes it started itself", args, stderr, o.register, &o.start,
		func() error { o.ownStackSecret(); return chaos(ctx, o, stdout, stderr) })
}

// runOnOwnStack parses the flags of a mode that needs a stack it starts
// itself (-start) and runs it: 0 clean, 1 failure, 2 bad usage.
func runOnOwnStack(mode, why string, args []string, stderr io.Writer, register func(*flag.FlagSet), start *string, run func() error) int {
	fs := flag.NewFlagSet("loadtest "+mode, flag.ContinueOnError)
	fs.SetOutput(stderr)
	register(fs)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *start == "" {
		fmt.Fprintf(stderr, "loadtest %s: -start BIN is required: %s\n", mode, why)
		return 2
	}
	if err := run(); err != nil {
		fmt.Fprintf(stderr, "loadtest %s: %v\n", mode, err)
		return 1
	}
	return 0
}

func chaos(ctx context.Context, o chaosOptions, stdout, stderr io.Writer) error {
	mail := sendgridtest.New(chaosSendGridKey)
	defer mail.Close()
	st, err := startChaosStack(ctx, o, mail.URL(), stderr)
	if err != nil {
		return err
	}
	defer st.stop()
	pool, err := pgxpool.New(ctx, databaseURL(chaosPorts.database))
	if err != nil {
		return fmt.Errorf("connect to %s: %w", chaosPorts.database, err)
	}
	defer pool.Close()

	rec := load.NewRecorder()
	api := load.NewAPI(st.api, o.secret, rec)
	api.Wait = o.wait
	api.HTTP.Transport = &load.RetryTransport{Base: &http.Transport{MaxIdleConnsPerHost: 64}, Retries: 6, Pause: 500 * time.Millisecond}
	ledger := &load.Ledger{}
	lc := &load.Lifecycles{API: api, Ledger: ledger, Supplier: o.supplier, Tag: time.Now().UTC().Format("150405")}
	faults := &load.FaultLog{}
	schedule := load.Schedule(o.kills, o.bursts, o.pgRestart)
	// Orders keep starting until the last fault, so every fault meets work in flight.
	script := load.Paced(func(ctx context.Context, i int) error {
		if i%2 == 0 {
			return lc.Marketplace(ctx, i/2)
		}
		return lc.Member(ctx, i/2)
	}, 2*o.orders, time.Duration(len(schedule))*o.interval)
	stop := make(chan struct{})
	faultsDone := make(chan struct{})
	go func() {
		defer close(faultsDone)
		load.InjectFaults(ctx, schedule, o.interval, st.injectors(o, mail, stderr), stop, stderr, faults)
	}()

	fmt.Fprintf(stderr, "fault run: %d marketplace + %d member orders started over %s, concurrency %d; %d faults scheduled, one every %s\n",
		o.orders, o.orders, time.Duration(len(schedule))*o.interval, o.concurrency, len(schedule), o.interval)
	started := time.Now()
	failed, samples := load.RunAll(ctx, 2*o.orders, o.concurrency, script, stderr)
	loadTime := time.Since(started)
	for _, s := range samples {
		fmt.Fprintln(stderr, "  failed:", s)
	}
	// The schedule is played to its end even when the load finished first:
	// the late faults then hit the invoices and emails still under way.
	<-faultsDone
	close(stop)
	faultTime := time.Since(started)

	placed := ledger.Orders()
	end, settled, vs, err := settleAndAudit(ctx, pool, mail, placed, o.settle, stderr)
	if err != nil {
		return err
	}

	fmt.Fprintf(stdout, "fault run: %d orders placed of %d (%d scripts failed), concurrency %d, load %s, faults until %s, %s\n",
		len(placed), 2*o.orders, failed, o.concurrency, loadTime.Round(time.Second), faultTime.Round(time.Second), settled)
	fmt.Fprintf(stdout, "processes: `orderflow dev` (Temporal, API and a worker; never killed) + %d `orderflow worker` (the ones killed)\n", o.workers)
	fmt.Fprintf(stdout, "faults injected: %s\n", faults.Summary())
	for _, s := range faults.Skipped() {
		fmt.Fprintf(stdout, "fault skipped: %s\n", s)
	}
	accepted := len(mail.Messages())
	inj := faults.Injected()
	queued := (inj[load.MailBurst429] + inj[load.MailBurst500]) * o.burstSize
	fmt.Fprintf(stdout, "SendGrid stand-in: %d requests, %d accepted, %d answered with an error (%d errors queued in bursts; %d problems found in invalid requests)\n",
		mail.Requests(), accepted, mail.Requests()-accepted, queued, len(mail.Violations()))
	fmt.Fprintf(stdout, "read model: %d orders, %d emails sent, %d not sent, %d invoices and credit notes, %d refunds\n",
		len(end.Orders), len(end.Recorded), len(end.Unsent), len(end.Numbers), sum(end.RefundsPerOrder))
	printViolations(stdout, vs, o.violations)
	if len(vs) > 0 {
		return fmt.Errorf("%d violations", len(vs))
	}
	return nil
}

// settleAndAudit waits for the run to settle (settle) and audits its end
// state; settled says how long it waited, or what it still waited for.
func settleAndAudit(ctx context.Context, pool *pgxpool.Pool, mail *sendgridtest.Server, placed []load.Placed, limit time.Duration, stderr io.Writer) (load.EndState, string, []load.Violation, error) {
	end, waited, waiting, err := settle(ctx, pool, mail, placed, limit, stderr)
	if err != nil {
		return end, "", nil, err
	}
	settled := "settled after " + waited.Round(time.Second).String()
	if waiting != "" {
		settled = fmt.Sprintf("NOT settled after %s (%s)", waited.Round(time.Second), waiting)
	}
	return end, settled, load.AuditRun(placed, end, load.DeliveredKeys(mail.Messages()), finalStatuses()), nil
}

// settle waits until every order, first invoice and email has landed, or
// the wait runs out (then the audit reports what is missing). It returns
// the end state, how long it waited and what it still waited for.
func settle(ctx context.Context, pool *pgxpool.Pool, mail *sendgridtest.Server, placed []load.Placed, limit time.Duration, stderr io.Writer) (load.EndState, time.Duration, string, error) {
	started := time.Now()
	deadline := started.Add(limit)
	last := ""
	for {
		end, err := load.ReadEndState(ctx, pool)
		if err != nil {
			return load.EndState{}, 0, "", err
		}
		waiting := load.Unsettled(placed, end, len(load.DeliveredKeys(mail.Messages())))
		if waiting == "" || time.Now().After(deadline) || ctx.Err() != nil {
			return end, time.Since(started), waiting, nil
		}
		if waiting != last {
			fmt.Fprintf(stderr, "settling: %s\n", waiting)
			last = waiting
		}
		select {
		case <-ctx.Done():
		case <-time.After(2 * time.Second):
		}
	}
}

func printViolations(w io.Writer, vs []load.Violation, show int) {
	counts := load.CountByRule(vs)
	rules := make([]string, 0, len(counts))
	for r := range counts {
		rules = append(rules, r)
	}
	sort.Strings(rules)
	parts := make([]string, len(rules))
	for i, r := range rules {
		parts[i] = fmt.Sprintf("%s %d", r, counts[r])
	}
	fmt.Fprintf(w, "violations: %d (%s)\n", len(vs), strings.Join(parts, ", "))
	for i, v := range vs {
		if i == show {
			fmt.Fprintf(w, "  … and %d more\n", len(vs)-show)
			break
		}
		fmt.Fprintf(w, "  %s: %s\n", v.Rule, v.Detail)
	}
}

func finalStatuses() map[string][]string {
	out := map[string][]string{}
	for _, t := range lifecycle.Flows {
		for _, s := range t.Final {
			out[t.Name] = append(out[t.Name], string(s))
		}
	}
	return out
}

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// chaosStack is the dev process and the extra workers that get killed.
type chaosStack struct {
	stack
	bin     string
	env     map[string]string
	dir     string
	mu      sync.Mutex
	workers []*load.Proc
	next    int // the worker the next kill hits
}

func (s *chaosStack) stop() {
	s.mu.Lock()
	workers := s.workers
	s.mu.Unlock()
	for _, w := range workers {
		w.Stop(10 * time.Second)
	}
	s.stack.stop()
}

// startChaosStack starts `BIN dev` with email through the stand-in at
// mailURL, then the extra workers against its Temporal.
func startChaosStack(ctx context.Context, o chaosOptions, mailURL string, stderr io.Writer) (*chaosStack, error) {
	// Every process gets the same settings: they run the same workflows.
	dir, env, err := chaosPorts.prepare(ctx, o.workDir, map[string]string{
		"ORDERFLOW_TIMEZONE":               "UTC",
		"ORDERFLOW_INVOICE_TIME":           "00:00",
		"ORDERFLOW_MIN_REVIEW":             o.minReview.String(),
		"ORDERFLOW_TOKEN_SECRET":           o.secret,
		"ORDERFLOW_PAYMENT_WEBHOOK_SECRET": o.secret + "-payments",
		"ORDERFLOW_EMAIL_MODE":             "sendgrid",
		"SENDGRID_API_KEY":                 chaosSendGridKey,
		"SENDGRID_BASE_URL":                mailURL,
		"ORDERFLOW_METRICS_ADDR":           "127.0.0.1:0",
	})
	if err != nil {
		return nil, err
	}
	dev, err := chaosPorts.start(ctx, o.start, dir, env, ", SendGrid stand-in "+mailURL, stderr)
	if err != nil {
		return nil, err
	}
	st := &chaosStack{stack: *dev, bin: o.start, env: env, dir: dir}
	for i := range o.workers {
		w, err := st.startWorker(i)
		if err != nil {
			st.stop()
			return nil, err
		}
		st.workers = append(st.workers, w)
	}
	return st, nil
}

func (s *chaosStack) startWorker(i int) (*load.Proc, error) {
	return startWorker(s.bin, s.dir, s.env, i, nil)
}

// killWorker SIGKILLs the next extra worker in turn and starts it again
// after a pause, so its tasks time out on the server and run elsewhere.
func (s *chaosStack) killWorker(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.workers) == 0 {
		return errors.New("no extra workers (-workers 0)")
	}
	i := s.next % len(s.workers)
	s.next++
	s.workers[i].Kill()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(2 * time.Second):
	}
	w, err := s.startWorker(i)
	if err != nil {
		return fmt.Errorf("killed worker %d but could not restart it: %w", i+1, err)
	}
	s.workers[i] = w
	return nil
}

func (s *chaosStack) injectors(o chaosOptions, mail *sendgridtest.Server, stderr io.Writer) map[load.FaultKind]load.Injector {
	inject := mailFaults(mail, o.burstSize)
	inject[load.KillWorker] = s.killWorker
	inject[load.RestartPostgres] = func(ctx context.Context) error { return restartPostgres(ctx, stderr) }
	return inject
}

// mailFaults have the SendGrid stand-in answer the next size requests with
// a 429 (asking to wait 2 s) or a 500.
func mailFaults(mail *sendgridtest.Server, size int) map[load.FaultKind]load.Injector {
	return map[load.FaultKind]load.Injector{
		load.MailBurst429: func(context.Context) error {
			mail.FailNext(size, sendgridtest.Fault{Status: http.StatusTooManyRequests, Reset: time.Now().Add(2 * time.Second)})
			return nil
		},
		load.MailBurst500: func(context.Context) error {
			mail.FailNext(size, sendgridtest.Fault{Status: http.StatusInternalServerError})
			return nil
		},
	}
}

// restartPostgres restarts the local cluster the way Debian's tools do.
func restartPostgres(ctx context.Context, stderr io.Writer) error {
	if _, err := exec.LookPath("pg_ctlcluster"); err != nil {
		return errors.New("pg_ctlcluster not found (not a Debian-style Postgres install)")
	}
	versions, err := os.ReadDir("/etc/postgresql")
	if err != nil || len(versions) != 1 {
		return fmt.Errorf("cannot tell the cluster's version from /etc/postgresql (%d entries, %v)", len(versions), err)
	}
	fmt.Fprintf(stderr, "\nrestarting Postgres: pg_ctlcluster --skip-systemctl-redirect %s main restart\n", versions[0].Name())
	cmd := exec.CommandContext(ctx, "pg_ctlcluster", "--skip-systemctl-redirect", versions[0].Name(), "main", "restart")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("pg_ctlcluster: %v: %s", err, strings.TrimSpace(string(out)))
	}
	return nil
}

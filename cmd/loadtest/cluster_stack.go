package main

import (
	"context"
	"fmt"
	"io"
	"maps"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"log/slog"

	"github.com/jackc/pgx/v5"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"

	"github.com/orderflow/orderflow/internal/deploy"
	"github.com/orderflow/orderflow/internal/load"
	"github.com/orderflow/orderflow/internal/temporalsetup"
	"github.com/orderflow/orderflow/internal/webui"
	"github.com/orderflow/orderflow/workflows"
)

// The production shape on one machine (make cluster): what docker-compose.yml
// starts (deploy.PlanCluster), without containers. The official Temporal
// server binary (built from go.temporal.io/server's cmd/server at the version
// go.mod and the compose file name) with Postgres persistence and
// visibility, its schemas applied by the compose file's own script with
// temporal-sql-tool; the namespace and search attributes the setup job
// registers; the Web UI; `orderflow migrate`; the workers and API replicas,
// as many as the compose file runs, with its environment. Only hosts,
// ports, database names, secrets and the SendGrid endpoint are this run's.

// clusterPorts: the run's own, beside `make run` and the other modes.
const (
	clusterFrontendPort = 17533 // +1 history, +2 matching, +3 internal frontend, +6 worker; +100 membership; +10 HTTP
	clusterUIPort       = 18533
	clusterAPIPort      = 18580 // replica i listens on +i
	clusterDatabase     = "orderflow_cluster"
	clusterTemporalDB   = "temporal_cluster"
	clusterVisibilityDB = "temporal_cluster_visibility"
)

// clusterBinaries are the programs the run starts.
type clusterBinaries struct {
	server, sqlTool, orderflow string
	previous                   string // the workers' first build ("": orderflow)
	schemaRoot                 string // go.temporal.io/server's schema/postgresql/v12
}

// clusterStack is the running cluster.
type clusterStack struct {
	plan    deploy.Cluster
	bins    clusterBinaries
	dir     string
	env     map[string]string // every orderflow process's
	ui      *webui.UI
	mu      sync.Mutex
	server  *load.Proc
	workers []*load.Proc
	apis    []*load.Proc
	// workerBin is what a (re)started worker runs: the rolling deploy
	// changes it.
	workerBin string
}

func (s *clusterStack) frontend() string { return "127.0.0.1:" + strconv.Itoa(clusterFrontendPort) }

func (s *clusterStack) apiURL(i int) string {
	return "http://127.0.0.1:" + strconv.Itoa(clusterAPIPort+i)
}

// apiURLs are every replica's base URL.
func (s *clusterStack) apiURLs() []string {
	urls := make([]string, s.plan.APIs)
	for i := range urls {
		urls[i] = s.apiURL(i)
	}
	return urls
}

// startCluster starts everything the plan names, in the compose file's
// order: databases and schemas, server, namespace, UI, migrate, workers, APIs.
func startCluster(ctx context.Context, plan deploy.Cluster, bins clusterBinaries, workDir string, orderflowEnv map[string]string, stderr io.Writer) (*clusterStack, error) {
	dir := workDir
	if dir == "" {
		var err error
		if dir, err = os.MkdirTemp("", "orderflow-cluster-"); err != nil {
			return nil, err
		}
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	for _, port := range []int{clusterFrontendPort, clusterUIPort, clusterAPIPort, clusterAPIPort + plan.APIs - 1} {
		if !portFree(port) {
			return nil, fmt.Errorf("cluster: port %d of 127.0.0.1 is in use (another make cluster, or its test, still running?)", port)
		}
	}
	s := &clusterStack{plan: plan, bins: bins, dir: dir, workerBin: bins.orderflow}
	if bins.previous != "" {
		s.workerBin = bins.previous
	}
	s.env = maps.Clone(plan.OrderflowEnv)
	maps.Copy(s.env, map[string]string{
		"DATABASE_URL":           databaseURL(clusterDatabase),
		"TEMPORAL_ADDRESS":       s.frontend(),
		"ORDERFLOW_PUBLIC_URL":   s.apiURL(0),
		"ORDERFLOW_METRICS_ADDR": "127.0.0.1:0",
	})
	maps.Copy(s.env, orderflowEnv)
	fmt.Fprintf(stderr, "cluster: Temporal %s (frontend %s, Postgres %s and %s), Web UI %s on http://127.0.0.1:%d, %d workers, %d API replicas from %s; logs in %s\n",
		plan.TemporalVersion, s.frontend(), clusterTemporalDB, clusterVisibilityDB, plan.UIVersion, clusterUIPort, plan.Workers, plan.APIs, bins.orderflow, dir)
	steps := []struct {
		what string
		run  func(context.Context) error
	}{
		{"fresh databases", func(ctx context.Context) error {
			for _, db := range []string{clusterDatabase, clusterTemporalDB, clusterVisibilityDB} {
				if err := dropDatabase(ctx, db); err != nil {
					return err
				}
			}
			// As the postgres service's POSTGRES_DB does; the schema
			// script creates Temporal's.
			return createDatabase(ctx, clusterDatabase)
		}},
		{"Temporal schemas (" + filepath.Base(plan.SchemaScript) + ")", s.applySchemas},
		{"Temporal server", s.startServer},
		{"namespace and search attributes", s.setupNamespace},
		{"Web UI", func(ctx context.Context) (err error) {
			s.ui, err = webui.Start(ctx, "127.0.0.1", clusterUIPort, s.frontend(), s.namespace())
			return err
		}},
		{"orderflow migrate", s.migrate},
		{"workers", func(context.Context) error {
			for i := range plan.Workers {
				if err := s.startWorker(i); err != nil {
					return err
				}
			}
			return nil
		}},
		{"API replicas", func(ctx context.Context) error {
			for i := range plan.APIs {
				if err := s.startAPI(ctx, i); err != nil {
					return err
				}
			}
			return nil
		}},
	}
	for _, step := range steps {
		started := time.Now()
		if err := step.run(ctx); err != nil {
			s.stop()
			return nil, fmt.Errorf("cluster: %s: %w", step.what, err)
		}
		fmt.Fprintf(stderr, "cluster: %s ready (%s)\n", step.what, time.Since(started).Round(100*time.Millisecond))
	}
	return s, nil
}

func (s *clusterStack) namespace() string {
	if ns := s.plan.SetupEnv["TEMPORAL_NAMESPACE"]; ns != "" {
		return ns
	}
	return "default"
}

// postgresEnv is where this machine's Postgres is, in the names the
// server's config template and temporal-sql-tool read.
func postgresEnv() (host, port, user, password string, err error) {
	cfg, err := pgx.ParseConfig(databaseURL("postgres"))
	if err != nil {
		return "", "", "", "", err
	}
	return cfg.Host, strconv.Itoa(int(cfg.Port)), cfg.User, cfg.Password, nil
}

// applySchemas runs the compose file's temporal-schema script with its
// environment, against this machine's Postgres.
func (s *clusterStack) applySchemas(ctx context.Context) error {
	host, port, user, password, err := postgresEnv()
	if err != nil {
		return err
	}
	env := maps.Clone(s.plan.SchemaEnv)
	maps.Copy(env, map[string]string{
		"SQL_HOST": host, "SQL_PORT": port, "SQL_USER": user, "SQL_PASSWORD": password,
		"DBNAME": clusterTemporalDB, "VISIBILITY_DBNAME": clusterVisibilityDB,
		"TEMPORAL_SCHEMA_ROOT": s.bins.schemaRoot,
		"PATH":                 filepath.Dir(s.bins.sqlTool) + string(os.PathListSeparator) + os.Getenv("PATH"),
	})
	if filepath.Base(s.bins.sqlTool) != "temporal-sql-tool" {
		return fmt.Errorf("the script calls temporal-sql-tool; %s is named otherwise", s.bins.sqlTool)
	}
	cmd := exec.CommandContext(ctx, "/bin/sh", s.plan.SchemaScript)
	cmd.Env = os.Environ()
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	out, err := cmd.CombinedOutput()
	if werr := os.WriteFile(filepath.Join(s.dir, "temporal-schema.log"), out, 0o644); werr != nil && err == nil {
		err = werr
	}
	if err != nil {
		return fmt.Errorf("%w: %s", err, lastLines(string(out), 5))
	}
	return nil
}

// serverEnv is the compose file's environment of the temporal service with
// this machine's Postgres, databases, ports and dynamic config file.
func (s *clusterStack) serverEnv() (map[string]string, error) {
	host, port, user, password, err := postgresEnv()
	if err != nil {
		return nil, err
	}
	env := maps.Clone(s.plan.TemporalEnv)
	p := func(offset int) string { return strconv.Itoa(clusterFrontendPort + offset) }
	maps.Copy(env, map[string]string{
		"POSTGRES_SEEDS": host, "DB_PORT": port, "POSTGRES_USER": user, "POSTGRES_PWD": password,
		"DBNAME": clusterTemporalDB, "VISIBILITY_DBNAME": clusterVisibilityDB,
		"DYNAMIC_CONFIG_FILE_PATH": s.plan.DynamicConfig,
		"BIND_ON_IP":               "127.0.0.1", "TEMPORAL_BROADCAST_ADDRESS": "127.0.0.1",
		"FRONTEND_GRPC_PORT": p(0), "FRONTEND_HTTP_PORT": p(10), "FRONTEND_MEMBERSHIP_PORT": p(100),
		"HISTORY_GRPC_PORT": p(1), "HISTORY_MEMBERSHIP_PORT": p(101),
		"MATCHING_GRPC_PORT": p(2), "MATCHING_MEMBERSHIP_PORT": p(102),
		"INTERNAL_FRONTEND_GRPC_PORT": p(3), "INTERNAL_FRONTEND_HTTP_PORT": p(13), "INTERNAL_FRONTEND_MEMBERSHIP_PORT": p(103),
		"WORKER_GRPC_PORT": p(6), "WORKER_MEMBERSHIP_PORT": p(106),
		"PPROF_PORT": "0",
	})
	return env, nil
}

// startServer starts `temporal-server start` (its embedded config template,
// as the server image does) and waits until the frontend answers.
func (s *clusterStack) startServer(ctx context.Context) error {
	env, err := s.serverEnv()
	if err != nil {
		return err
	}
	p, err := load.StartProc("temporal server", s.bins.server, []string{"--allow-no-auth", "start"}, env, filepath.Join(s.dir, "temporal-server.log"))
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.server = p
	s.mu.Unlock()
	return s.waitFrontend(ctx, p)
}

// waitFrontend waits until the frontend accepts a health check.
func (s *clusterStack) waitFrontend(ctx context.Context, p *load.Proc) error {
	deadline := time.Now().Add(2 * time.Minute)
	for {
		c, err := s.dial(ctx, "temporal-system")
		if err == nil {
			_, err = c.CheckHealth(ctx, &client.CheckHealthRequest{})
			c.Close()
			if err == nil {
				return nil
			}
		}
		if p.Exited() {
			return fmt.Errorf("the server exited: %s", lastLines(readFile(filepath.Join(s.dir, "temporal-server.log")), 5))
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("the frontend at %s did not answer: %v", s.frontend(), err)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// setupNamespace does what the compose file's temporal-setup job does: the
// namespace with its retention, and the search attributes it lists.
func (s *clusterStack) setupNamespace(ctx context.Context) error {
	retention := 720 * time.Hour
	if r := s.plan.SetupEnv["TEMPORAL_NAMESPACE_RETENTION"]; r != "" {
		d, err := time.ParseDuration(r)
		if err != nil {
			return fmt.Errorf("TEMPORAL_NAMESPACE_RETENTION %q: %w", r, err)
		}
		retention = d
	}
	attrs := map[string]enumspb.IndexedValueType{}
	for _, pair := range s.plan.SearchAttributes {
		name, typ, _ := strings.Cut(pair, "=")
		v, err := enumspb.IndexedValueTypeFromString(typ) // the CLI's names: Keyword, KeywordList, Bool, …
		if err != nil {
			return fmt.Errorf("search attribute %s: %w", name, err)
		}
		attrs[name] = v
	}
	c, err := s.dial(ctx, s.namespace())
	if err != nil {
		return err
	}
	defer c.Close()
	// The namespace registry catches up with a new namespace within seconds.
	return retry(ctx, time.Minute, func() error {
		if err := temporalsetup.EnsureNamespace(ctx, c.WorkflowService(), s.namespace(), retention); err != nil {
			return err
		}
		return temporalsetup.RegisterSearchAttributes(ctx, c.OperatorService(), s.namespace(), attrs)
	})
}

// cpuParts are the parts of the run whose CPU time the report shows, in its order.
var cpuParts = []string{"Temporal server", "Postgres", "workers", "API replicas", "load tool"}

// cpu is the CPU time each part has used so far (a process restarted since
// counts from its restart).
func (s *clusterStack) cpu() map[string]time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]time.Duration{
		"Temporal server": load.CPUTime(s.server.Cmd.Process.Pid),
		"Postgres":        load.CPUTimeOf("postgres"),
		"load tool":       load.CPUTime(os.Getpid()),
	}
	for _, w := range s.workers {
		out["workers"] += load.CPUTime(w.Cmd.Process.Pid)
	}
	for _, a := range s.apis {
		out["API replicas"] += load.CPUTime(a.Cmd.Process.Pid)
	}
	return out
}

// dial is a quiet client of the cluster's frontend on namespace.
func (s *clusterStack) dial(ctx context.Context, namespace string) (client.Client, error) {
	return client.DialContext(ctx, client.Options{HostPort: s.frontend(), Namespace: namespace, Logger: sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler))})
}

// leanVersion is the version of the lean engine order id recorded when it
// started (its workflow.GetVersion marker).
func (s *clusterStack) leanVersion(ctx context.Context, id string) (int, error) {
	c, err := s.dial(ctx, s.namespace())
	if err != nil {
		return 0, err
	}
	defer c.Close()
	events := c.GetWorkflowHistory(ctx, id, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for events.HasNext() {
		e, err := events.Next()
		if err != nil {
			return 0, err
		}
		if change, version, ok := workflows.VersionMarker(e); ok && change == workflows.ChangeLeanEngine {
			return int(version), nil
		}
	}
	return 0, fmt.Errorf("order %s recorded no version of %s", id, workflows.ChangeLeanEngine)
}

func (s *clusterStack) migrate(ctx context.Context) error {
	p, err := load.StartProc("migrate", s.bins.orderflow, []string{"migrate"}, s.env, filepath.Join(s.dir, "migrate.log"))
	if err != nil {
		return err
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-p.Done():
	}
	if code := p.Cmd.ProcessState.ExitCode(); code != 0 {
		return fmt.Errorf("exit %d: %s", code, lastLines(readFile(filepath.Join(s.dir, "migrate.log")), 5))
	}
	return nil
}

// startWorker starts worker i (again) from workerBin.
func (s *clusterStack) startWorker(i int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, err := startWorker(s.workerBin, s.dir, s.env, i, nil)
	if err != nil {
		return err
	}
	if i < len(s.workers) {
		s.workers[i] = p
	} else {
		s.workers = append(s.workers, p)
	}
	return nil
}

// rollWorkers is a rolling deploy: each worker in turn stops (Ctrl-C, as
// an orchestrator's SIGTERM) and starts again from bin, the next one once it
// runs, so the other keeps serving while one is replaced.
func (s *clusterStack) rollWorkers(ctx context.Context, bin string, stderr io.Writer) error {
	s.mu.Lock()
	from := s.workerBin
	s.workerBin = bin
	n := len(s.workers)
	s.mu.Unlock()
	fmt.Fprintf(stderr, "\nrolling %d workers from %s to %s\n", n, from, bin)
	for i := range n {
		s.mu.Lock()
		w := s.workers[i]
		s.mu.Unlock()
		w.Stop(30 * time.Second)
		if err := s.startWorker(i); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(3 * time.Second):
		}
	}
	return nil
}

// startAPI starts API replica i (again) and waits until it is ready.
func (s *clusterStack) startAPI(ctx context.Context, i int) error {
	env := maps.Clone(s.env)
	env["ORDERFLOW_API_ADDR"] = "127.0.0.1:" + strconv.Itoa(clusterAPIPort+i)
	p, err := load.StartProc(fmt.Sprintf("api %d", i+1), s.bins.orderflow, []string{"api"}, env, filepath.Join(s.dir, fmt.Sprintf("api-%d.log", i+1)))
	if err != nil {
		return err
	}
	s.mu.Lock()
	if i < len(s.apis) {
		s.apis[i] = p
	} else {
		s.apis = append(s.apis, p)
	}
	s.mu.Unlock()
	return load.WaitReady(ctx, s.apiURL(i)+"/readyz", p, 2*time.Minute)
}

func (s *clusterStack) stop() {
	s.mu.Lock()
	procs := append(append([]*load.Proc{}, s.apis...), s.workers...)
	server := s.server
	s.mu.Unlock()
	for _, p := range procs {
		p.Stop(10 * time.Second)
	}
	if s.ui != nil {
		s.ui.Stop()
	}
	if server != nil {
		server.Stop(30 * time.Second)
	}
}

func retry(ctx context.Context, limit time.Duration, f func() error) error {
	deadline := time.Now().Add(limit)
	for {
		err := f()
		if err == nil || time.Now().After(deadline) || ctx.Err() != nil {
			return err
		}
		time.Sleep(time.Second)
	}
}

func readFile(path string) string {
	b, _ := os.ReadFile(path)
	return string(b)
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// portFree reports whether nothing listens on port of 127.0.0.1.
func portFree(port int) bool {
	l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
	if err != nil {
		return false
	}
	l.Close()
	return true
}

package e2e_test

// Observability end to end: the API and the worker as separate processes (as
// deployed) and as one (dev mode), driven through a marketplace order over
// HTTP; their /metrics are scraped, their JSON logs read and their spans
// collected in memory.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/orderflow/orderflow/internal/app"
	"github.com/orderflow/orderflow/internal/auth"
	"github.com/orderflow/orderflow/internal/config"
	"github.com/orderflow/orderflow/internal/load"
	"github.com/orderflow/orderflow/internal/observe"
	"github.com/orderflow/orderflow/internal/pgtest"
	"github.com/orderflow/orderflow/internal/store"
	"github.com/orderflow/orderflow/internal/testenv"
	"github.com/orderflow/orderflow/lifecycle"
	"github.com/orderflow/orderflow/workflows"
)

// deployment is what the processes of one test share: Temporal namespace,
// database, task queue and the API's address.
type deployment struct {
	vars   map[string]string
	apiURL string
	tokens *auth.Tokens
}

func newDeployment(t *testing.T) *deployment {
	t.Helper()
	_, hostPort, namespace := testenv.Temporal(t, workflows.SearchAttributes())
	apiAddr := freeAddr(t)
	d := &deployment{
		apiURL: "http://" + apiAddr,
		tokens: auth.NewTokens(testenv.TokenSecret),
		vars: map[string]string{
			"ORDERFLOW_API_ADDR":               apiAddr,
			"ORDERFLOW_PUBLIC_URL":             "http://" + apiAddr,
			"DATABASE_URL":                     pgtest.NewURL(t),
			"TEMPORAL_ADDRESS":                 hostPort,
			"TEMPORAL_NAMESPACE":               namespace,
			"ORDERFLOW_TASK_QUEUE":             "observe-" + strings.ReplaceAll(t.Name(), "/", "-"),
			"ORDERFLOW_TOKEN_SECRET":           testenv.TokenSecret,
			"ORDERFLOW_PAYMENT_WEBHOOK_SECRET": "observe-webhook-secret",
			"ORDERFLOW_EMAIL_MODE":             "capture",
		},
	}
	return d
}

// process is one running orderflow process.
type process struct {
	metricsURL string // where its /metrics is: the API's, or the worker's own server
	tel        *observe.Telemetry
	logs       *lockedBuffer
}

// start runs app.Process with the given parts, its own telemetry (tracing
// into tp when not nil) and a JSON log at debug level, until the test ends.
func (d *deployment) start(t *testing.T, worker, api bool, tp *sdktrace.TracerProvider) *process {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	vars := map[string]string{"ORDERFLOW_METRICS_ADDR": freeAddr(t)}
	for k, v := range d.vars {
		vars[k] = v
	}
	cfg, err := config.Load(config.Production, vars)
	if err != nil {
		t.Fatal(err)
	}
	p := &process{logs: &lockedBuffer{}}
	log := slog.New(slog.NewJSONHandler(p.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	opts := observe.Options{Registry: app.NewRegistry(), FlowAttribute: workflows.OrderFlow, Logger: log}
	if tp != nil {
		opts.TracerProvider = tp
	}
	if p.tel, err = observe.New(opts); err != nil {
		t.Fatal(err)
	}
	pool, err := app.OpenDatabase(ctx, cfg.DatabaseURL, app.DatabaseExisting, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	c, err := app.DialTemporal(ctx, vars, app.TemporalTarget{Telemetry: p.tel}, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)

	done := make(chan error, 1)
	go func() {
		// The process gets the telemetry its client was dialed with, as the commands' do.
		done <- app.Process{Config: cfg, Logger: log, Pool: pool, Temporal: c, Telemetry: p.tel, Worker: worker, API: api}.Run(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("process ended with %v", err)
			}
		case <-time.After(time.Minute):
			t.Error("process did not stop within a minute")
		}
	})

	p.metricsURL = "http://" + cfg.MetricsAddr + "/metrics"
	ready := "http://" + cfg.MetricsAddr + "/healthz"
	if api {
		p.metricsURL, ready = d.apiURL+"/metrics", d.apiURL+"/readyz"
	}
	testenv.Eventually(t, ready+" answers 200", func() bool {
		resp, err := http.Get(ready)
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	return p
}

func (d *deployment) addSuppliers(t *testing.T) {
	t.Helper()
	pool, err := app.OpenDatabase(context.Background(), d.vars["DATABASE_URL"], app.DatabaseExisting, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	for i, name := range []string{"Alpha", "Bravo", "Charlie", "Delta"} {
		_, err := store.New(pool).CreateSupplier(context.Background(), store.Supplier{
			ID: "sup_" + strings.ToLower(name), Name: name, Email: strings.ToLower(name) + "@suppliers.test",
			Categories: []string{"building"}, Regions: []string{"BE-BRU"}, Rating: 90 - 10*i, Active: true,
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// call sends a request with a bearer token for role/sub and an X-Request-Id.
func (d *deployment) call(t *testing.T, method, path string, role lifecycle.Role, sub, requestID string, body any, header map[string]string) (int, []byte) {
	t.Helper()
	var raw []byte
	if body != nil {
		raw, _ = json.Marshal(body)
	}
	req, err := http.NewRequest(method, d.apiURL+path, bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	tok, err := d.tokens.Mint(auth.Principal{Role: role, Subject: sub}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Request-Id", requestID)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, data
}

func (d *deployment) mustCall(t *testing.T, want int, method, path string, role lifecycle.Role, sub, requestID string, body any, header map[string]string) []byte {
	t.Helper()
	status, data := d.call(t, method, path, role, sub, requestID, body, header)
	if status != want {
		t.Fatalf("%s %s = %d, want %d: %s", method, path, status, want, data)
	}
	return data
}

// creditOrder creates a marketplace order on credit (no payment link email)
// under request id requestID and idempotency key key; it returns the order
// id and the answer's status, 201 or 200.
func (d *deployment) creditOrder(t *testing.T, requestID, key string) (string, int) {
	t.Helper()
	status, data := d.call(t, "POST", "/v1/orders", lifecycle.Customer, "c-1", requestID, map[string]any{
		"flow": "marketplace", "customer_email": "c-1@customers.test", "customer_name": "Customer One",
		"items":    []map[string]any{{"sku": "CEM-25", "description": "Cement 25 kg", "quantity": 10, "unit_price": "6.50", "vat_rate": 21}},
		"category": "building", "delivery": map[string]any{"address": []string{"Rue Haute 1", "1000 Brussels"}, "region": "BE-BRU", "requested_date": "2026-12-01"},
		"payment_terms": "credit",
	}, map[string]string{"Idempotency-Key": key})
	var v workflows.OrderView
	if err := json.Unmarshal(data, &v); err != nil || v.ID == "" || (status != http.StatusCreated && status != http.StatusOK) {
		t.Fatalf("create = %d: %v %s", status, err, data)
	}
	return v.ID, status
}

func (d *deployment) act(t *testing.T, id, action string, role lifecycle.Role, sub, requestID string, body any) {
	t.Helper()
	d.mustCall(t, http.StatusOK, "POST", "/v1/orders/"+id+"/actions/"+action, role, sub, requestID, body, nil)
}

// The API and the worker run as two processes, as deployed: each serves
// /metrics with its own part of the counters, and a request id the API logs
// is on the worker's log lines about what that request caused.
func TestAPIAndWorkerProcessesMeasureAndCorrelate(t *testing.T) {
	d := newDeployment(t)
	d.addSuppliers(t)
	worker := d.start(t, true, false, nil)
	api := d.start(t, false, true, nil)

	id, _ := d.creditOrder(t, "req-create-1", "key-1")
	again, retryStatus := d.creditOrder(t, "req-create-2", "key-1")
	if again != id {
		t.Fatalf("the retried create found %s, want %s", again, id)
	}
	// A retried create that found its order is not a new order. (The API
	// answers it 201 as long as it starts workflows without
	// WorkflowExecutionErrorWhenAlreadyStarted; the counter follows the answer.)
	created := 1.0
	if retryStatus == http.StatusCreated {
		created = 2
	}
	d.act(t, id, "approve_credit", lifecycle.Finance, "f-1", "req-approve-1", nil)
	d.act(t, id, "set_margin", lifecycle.Purchasing, "p-1", "req-margin-1", map[string]any{"margin_percent": 12.5})
	d.act(t, id, "release", lifecycle.Purchasing, "p-1", "req-release-1", nil)

	// The worker counts what it did, once it did it.
	wantWorker := map[string]float64{
		`orderflow_transitions_total{flow="marketplace",status="awaiting_credit"}`: 1,
		`orderflow_transitions_total{flow="marketplace",status="screening"}`:       1,
		`orderflow_transitions_total{flow="marketplace",status="pending"}`:         1,
		`orderflow_emails_sent_total{purpose="credit_approved"}`:                   1,
		`orderflow_emails_sent_total{purpose="order_acknowledged"}`:                1,
		`orderflow_emails_sent_total{purpose="supplier_offer"}`:                    3,
	}
	var workerMetrics map[string]float64
	testenv.Eventually(t, "the worker's counters", func() bool {
		workerMetrics = scrape(t, worker.metricsURL)
		return subset(wantWorker, workerMetrics) == ""
	})
	if diff := subset(wantWorker, workerMetrics); diff != "" {
		t.Fatal(diff)
	}
	// set_margin left the status as it was: not a transition.
	if n := countSeries(workerMetrics, "orderflow_transitions_total{"); n != 3 {
		t.Errorf("worker has %d transition series, want 3", n)
	}
	// The order's steps ran as local activities (workflows.ChangeLeanEngine).
	for _, sdk := range []string{"temporal_workflow_task_execution_latency_seconds_count{", "temporal_local_activity_execution_latency_seconds_count{", "temporal_request_total{"} {
		if countSeries(workerMetrics, sdk) == 0 {
			t.Errorf("worker /metrics lacks the SDK's %s…}", sdk)
		}
	}

	apiMetrics := scrape(t, api.metricsURL)
	wantAPI := map[string]float64{
		`orderflow_orders_created_total{flow="marketplace"}`:                           created,
		`orderflow_http_requests_total{method="POST",route="/v1/orders",status="201"}`: created,
		`orderflow_orders_needing_attention`:                                           0,
	}
	if diff := subset(wantAPI, apiMetrics); diff != "" {
		t.Error(diff)
	}
	if countSeries(apiMetrics, "temporal_request_total{") == 0 {
		t.Error("API /metrics lacks the SDK's client metrics (temporal_request_total)")
	}
	if countSeries(apiMetrics, "orderflow_transitions_total{") != 0 {
		t.Error("the API counted transitions: only the worker records them")
	}

	// One request id, in both processes' logs.
	apiLine := findLine(t, api.logs, map[string]any{"msg": "http request", "request_id": "req-release-1", "order_id": id})
	if apiLine["route"] != "/v1/orders/:id/actions/:action" {
		t.Errorf("API access log line: %v", apiLine)
	}
	createLine := findLine(t, api.logs, map[string]any{"msg": "http request", "request_id": "req-create-1"})
	if createLine["order_id"] != id {
		t.Errorf("the create's access log line names order %v, want %s", createLine["order_id"], id)
	}
	workerLine := findLine(t, worker.logs, map[string]any{
		"msg": "transition recorded", "request_id": "req-release-1", "status": "pending",
		"order_id": id, "workflow_id": id, "activity": "RecordTransition", "attempt": float64(1),
	})
	if run, _ := workerLine["run_id"].(string); run == "" {
		t.Errorf("activity line without a run id: %v", workerLine)
	}
	findLine(t, worker.logs, map[string]any{"msg": "email sent", "purpose": "order_acknowledged", "request_id": "req-release-1", "order_id": id})
	findLine(t, worker.logs, map[string]any{"msg": "transition recorded", "request_id": "req-create-1", "status": "awaiting_credit", "order_id": id})
}

// In one process (dev mode) one registry has it all, and one trace runs from
// the HTTP request through the update into the activities it caused.
func TestOneProcessTracesARequestIntoItsActivities(t *testing.T) {
	d := newDeployment(t)
	d.addSuppliers(t)
	spans := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(spans))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	p := d.start(t, true, true, tp)

	id, status := d.creditOrder(t, "req-create-1", "key-1")
	if status != http.StatusCreated {
		t.Fatalf("create = %d, want 201", status)
	}
	d.act(t, id, "approve_credit", lifecycle.Finance, "f-1", "req-approve-1", nil)

	// The HTTP request's span, named after its route by the API.
	var request tracetest.SpanStub
	testenv.Eventually(t, "the approve request's span", func() bool {
		for _, s := range spans.GetSpans() {
			if s.Name == "POST /v1/orders/:id/actions/:action" && hasAttr(s, "orderflow.request_id", "req-approve-1") {
				request = s
				return true
			}
		}
		return false
	})
	trace := request.SpanContext.TraceID()
	// Spans by name: the order may start more than one RecordTransition in
	// the request's trace (the notice of the wait the order enters).
	inTrace := func() map[string][]tracetest.SpanStub {
		out := map[string][]tracetest.SpanStub{}
		for _, s := range spans.GetSpans() {
			if s.SpanContext.TraceID() == trace {
				out[s.Name] = append(out[s.Name], s)
			}
		}
		return out
	}
	var got map[string][]tracetest.SpanStub
	want := []string{"UpdateWorkflow:approve_credit", "HandleUpdate:approve_credit", "StartActivity:RecordTransition", "RunActivity:RecordTransition", "RunActivity:SendEmail"}
	testenv.Eventually(t, "the update's activities in the request's trace", func() bool {
		got = inTrace()
		for _, name := range want {
			if len(got[name]) == 0 {
				return false
			}
		}
		return true
	})
	// The chain of parents: request → update call → update handler → activity.
	chain := [][2]string{
		{"UpdateWorkflow:approve_credit", ""},
		{"HandleUpdate:approve_credit", "UpdateWorkflow:approve_credit"},
		{"StartActivity:RecordTransition", "HandleUpdate:approve_credit"},
		{"RunActivity:RecordTransition", "StartActivity:RecordTransition"},
	}
	for _, link := range chain {
		parents := []string{request.SpanContext.SpanID().String()}
		if link[1] != "" {
			parents = nil
			for _, s := range got[link[1]] {
				parents = append(parents, s.SpanContext.SpanID().String())
			}
		}
		if !slices.ContainsFunc(got[link[0]], func(child tracetest.SpanStub) bool {
			return slices.Contains(parents, child.Parent.SpanID().String())
		}) {
			t.Errorf("no %s has a parent among %v (%s)", link[0], parents, or(link[1], "the HTTP request"))
		}
	}

	// The activity's log line names the trace, the request and the order.
	findLine(t, p.logs, map[string]any{
		"msg": "transition recorded", "status": "screening", "request_id": "req-approve-1",
		"order_id": id, "trace_id": trace.String(),
	})
	findLine(t, p.logs, map[string]any{"msg": "http request", "request_id": "req-approve-1", "order_id": id, "trace_id": trace.String()})

	// Dev mode: the API's /metrics serves the worker's metrics too.
	m := scrape(t, p.metricsURL)
	want2 := map[string]float64{
		`orderflow_orders_created_total{flow="marketplace"}`:                 1,
		`orderflow_transitions_total{flow="marketplace",status="screening"}`: 1,
	}
	testenv.Eventually(t, "the shared registry's counters", func() bool {
		m = scrape(t, p.metricsURL)
		return subset(want2, m) == ""
	})
	if countSeries(m, "temporal_workflow_task_execution_latency_seconds_count{") == 0 {
		t.Error("the dev-mode registry lacks the worker's SDK metrics")
	}
}

func hasAttr(s tracetest.SpanStub, key, value string) bool {
	for _, a := range s.Attributes {
		if string(a.Key) == key && a.Value.AsString() == value {
			return true
		}
	}
	return false
}

func or(s, otherwise string) string {
	if s == "" {
		return otherwise
	}
	return s
}

// scrape reads a Prometheus text exposition into series → value.
func scrape(t *testing.T, url string) map[string]float64 {
	t.Helper()
	series, err := load.Scrape(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	return series
}

// subset says how got differs from the series of want, "" if it has them all.
func subset(want, got map[string]float64) string {
	var diffs []string
	for k, v := range want {
		if g, ok := got[k]; !ok || g != v {
			diffs = append(diffs, fmt.Sprintf("%s = %v (present %v), want %v", k, g, ok, v))
		}
	}
	return strings.Join(diffs, "\n")
}

func countSeries(m map[string]float64, prefix string) int {
	n := 0
	for k := range m {
		if strings.HasPrefix(k, prefix) {
			n++
		}
	}
	return n
}

// findLine returns the first JSON log line that has every field of want,
// waiting for it a while (workers log after the HTTP answer).
func findLine(t *testing.T, logs *lockedBuffer, want map[string]any) map[string]any {
	t.Helper()
	var found map[string]any
	deadline := time.Now().Add(30 * time.Second)
	for found == nil {
		for _, raw := range strings.Split(logs.String(), "\n") {
			var line map[string]any
			if json.Unmarshal([]byte(raw), &line) != nil {
				continue
			}
			if matches(line, want) {
				found = line
				break
			}
		}
		if found == nil && time.Now().After(deadline) {
			t.Fatalf("no log line has %v; the log:\n%s", want, logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	return found
}

func matches(line, want map[string]any) bool {
	for k, v := range want {
		if line[k] != v {
			return false
		}
	}
	return true
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// lockedBuffer is a log destination that the test may read while processes write.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

package devserver

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

// productSearchAttributes are the ones orderflow registers.
var productSearchAttributes = map[string]enumspb.IndexedValueType{
	"OrderStatus":    enumspb.INDEXED_VALUE_TYPE_KEYWORD,
	"OrderFlow":      enumspb.INDEXED_VALUE_TYPE_KEYWORD,
	"OrderOwner":     enumspb.INDEXED_VALUE_TYPE_KEYWORD,
	"SupplierId":     enumspb.INDEXED_VALUE_TYPE_KEYWORD,
	"NeedsAttention": enumspb.INDEXED_VALUE_TYPE_BOOL,
	"Overdue":        enumspb.INDEXED_VALUE_TYPE_BOOL,
	"NextDeadline":   enumspb.INDEXED_VALUE_TYPE_DATETIME,
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// startServer starts on free ports and stops at the end of the test.
func startServer(t *testing.T, o Options) *Server {
	t.Helper()
	if o.FrontendAddress == "" {
		o.FrontendAddress = "127.0.0.1:0"
	}
	if o.UIAddress == "" {
		o.UIAddress = "127.0.0.1:0"
	}
	began := time.Now()
	s, err := Start(testContext(t), o)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Logf("Start took %v", time.Since(began))
	t.Cleanup(func() {
		if err := s.Stop(); err != nil {
			t.Errorf("Stop: %v", err)
		}
	})
	return s
}

func dial(t *testing.T, s *Server) client.Client {
	t.Helper()
	c, err := client.DialContext(testContext(t), client.Options{
		HostPort:  s.FrontendHostPort(),
		Namespace: s.Namespace(),
		Logger:    nopSDKLogger{},
	})
	if err != nil {
		t.Fatalf("dial %s: %v", s.FrontendHostPort(), err)
	}
	t.Cleanup(c.Close)
	return c
}

func TestStartServesFrontendAndWebUI(t *testing.T) {
	logs := &levelRecorder{}
	s := startServer(t, Options{
		DataDir:          t.TempDir(),
		Namespace:        "orders",
		SearchAttributes: productSearchAttributes,
		Logger:           slog.New(logs),
	})
	ctx := testContext(t)
	c := dial(t, s)

	list, err := c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Namespace: s.Namespace()})
	if err != nil {
		t.Fatalf("list workflows: %v", err)
	}
	if n := len(list.GetExecutions()); n != 0 {
		t.Errorf("a new server lists %d workflows, want 0", n)
	}
	assertSearchAttributes(t, c, s.Namespace(), productSearchAttributes)
	ns, err := c.WorkflowService().DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: s.Namespace()})
	if err != nil {
		t.Fatalf("describe namespace: %v", err)
	}
	if got := ns.GetConfig().GetWorkflowExecutionRetentionTtl().AsDuration(); got != retention {
		t.Errorf("namespace retention = %v, want %v", got, retention)
	}

	status, contentType, body := get(t, s.UIURL()+"/")
	if status != http.StatusOK || !strings.HasPrefix(contentType, "text/html") || !strings.Contains(strings.ToLower(body), "<html") {
		t.Errorf("GET / = %d %q (%.80q), want 200 with an HTML page", status, contentType, body)
	}

	// Through the UI's API to the frontend: proves the UI is wired to this server.
	status, _, body = get(t, s.UIURL()+"/api/v1/namespaces/"+s.Namespace())
	if status != http.StatusOK || !strings.Contains(body, `"`+s.Namespace()+`"`) {
		t.Errorf("GET namespace through the UI = %d %.200q, want 200 naming %q", status, body, s.Namespace())
	}
	status, _, body = get(t, s.UIURL()+"/api/v1/namespaces/"+s.Namespace()+"/workflows")
	if status != http.StatusOK {
		t.Errorf("GET workflows through the UI = %d %.200q, want 200", status, body)
	}

	var settings struct {
		DefaultNamespace         string
		ActivityCommandsDisabled bool
		DisableWriteActions      bool
	}
	status, _, body = get(t, s.UIURL()+"/api/v1/settings")
	if err := json.Unmarshal([]byte(body), &settings); status != http.StatusOK || err != nil {
		t.Fatalf("GET settings = %d %v %.200q", status, err, body)
	}
	if settings.DefaultNamespace != "orders" || settings.ActivityCommandsDisabled || settings.DisableWriteActions {
		t.Errorf("UI settings = %+v, want default namespace orders with activity and write actions enabled", settings)
	}

	if low := logs.belowWarn(); len(low) > 0 {
		t.Errorf("the logger got records below WARN: %v", low)
	}
}

func TestStateAndSearchAttributesSurviveRestart(t *testing.T) {
	dataDir := t.TempDir()
	first := map[string]enumspb.IndexedValueType{"OrderStatus": enumspb.INDEXED_VALUE_TYPE_KEYWORD}
	s := startServer(t, Options{DataDir: dataDir, SearchAttributes: first})
	ctx := testContext(t)
	c := dial(t, s)

	w := worker.New(c, "devserver-test", worker.Options{})
	w.RegisterWorkflow(markPlaced)
	if err := w.Start(); err != nil {
		t.Fatalf("start worker: %v", err)
	}
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "order-1", TaskQueue: "devserver-test"}, markPlaced)
	if err != nil {
		t.Fatalf("start workflow: %v", err)
	}
	if err := run.Get(ctx, nil); err != nil {
		t.Fatalf("workflow: %v", err)
	}
	w.Stop()
	c.Close()
	if err := s.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}

	second := map[string]enumspb.IndexedValueType{
		"OrderStatus":    enumspb.INDEXED_VALUE_TYPE_KEYWORD,
		"NeedsAttention": enumspb.INDEXED_VALUE_TYPE_BOOL,
	}
	s = startServer(t, Options{DataDir: dataDir, SearchAttributes: second})
	c = dial(t, s)

	desc, err := c.DescribeWorkflowExecution(ctx, "order-1", "")
	if err != nil {
		t.Fatalf("the workflow is gone after a restart: %v", err)
	}
	if got := desc.GetWorkflowExecutionInfo().GetStatus(); got != enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED {
		t.Errorf("workflow status after restart = %v, want completed", got)
	}
	assertSearchAttributes(t, c, s.Namespace(), second)

	found := countWorkflows(t, c, "OrderStatus = 'placed'")
	if found != 1 {
		t.Errorf("visibility finds %d workflows with OrderStatus = 'placed' after restart, want 1", found)
	}
	// The attribute added on the existing database is usable in a query at once.
	if n := countWorkflows(t, c, "NeedsAttention = true"); n != 0 {
		t.Errorf("NeedsAttention = true matched %d workflows, want 0", n)
	}
}

func markPlaced(ctx workflow.Context) error {
	return workflow.UpsertTypedSearchAttributes(ctx, temporal.NewSearchAttributeKeyKeyword("OrderStatus").ValueSet("placed"))
}

func countWorkflows(t *testing.T, c client.Client, query string) int64 {
	t.Helper()
	resp, err := c.CountWorkflow(testContext(t), &workflowservice.CountWorkflowExecutionsRequest{Query: query})
	if err != nil {
		t.Fatalf("count %q: %v", query, err)
	}
	return resp.GetCount()
}

func TestConflictingSearchAttributeTypeIsAnError(t *testing.T) {
	dataDir := t.TempDir()
	s := startServer(t, Options{DataDir: dataDir, SearchAttributes: map[string]enumspb.IndexedValueType{
		"Overdue": enumspb.INDEXED_VALUE_TYPE_BOOL,
	}})
	if err := s.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	_, err := Start(testContext(t), Options{
		DataDir: dataDir, FrontendAddress: "127.0.0.1:0", UIAddress: "127.0.0.1:0",
		SearchAttributes: map[string]enumspb.IndexedValueType{"Overdue": enumspb.INDEXED_VALUE_TYPE_KEYWORD},
	})
	if err == nil || !strings.Contains(err.Error(), "Overdue") {
		t.Fatalf("Start with Overdue retyped = %v, want an error naming Overdue", err)
	}
}

func TestBusyPortIsAClearError(t *testing.T) {
	frontendPort := freeBlock(t, 4)
	frontend := "127.0.0.1:" + strconv.Itoa(frontendPort)
	historyAddr := "127.0.0.1:" + strconv.Itoa(frontendPort+1)
	uiProbe := listen(t, "127.0.0.1:0")
	uiAddr := uiProbe.Addr().String()
	uiProbe.Close()

	cases := []struct {
		name    string
		occupy  string
		options Options
		setting string
	}{
		{"frontend", frontend, Options{FrontendAddress: frontend, UIAddress: "127.0.0.1:0"}, "ORDERFLOW_DEV_TEMPORAL_ADDR"},
		{"internal history port", historyAddr, Options{FrontendAddress: frontend, UIAddress: "127.0.0.1:0"}, "ORDERFLOW_DEV_TEMPORAL_ADDR"},
		{"web ui", uiAddr, Options{FrontendAddress: "127.0.0.1:0", UIAddress: uiAddr}, "ORDERFLOW_DEV_UI_ADDR"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			listen(t, tc.occupy)
			tc.options.DataDir = t.TempDir()
			s, err := Start(testContext(t), tc.options)
			if err == nil {
				s.Stop()
				t.Fatal("Start succeeded on a busy port")
			}
			var busy *PortInUseError
			if !errors.As(err, &busy) || busy.Addr != tc.occupy {
				t.Fatalf("error = %v, want a PortInUseError for %s", err, tc.occupy)
			}
			if msg := err.Error(); !strings.Contains(msg, tc.occupy) || !strings.Contains(msg, tc.setting) {
				t.Errorf("error %q should name %s and %s", msg, tc.occupy, tc.setting)
			}
			if _, statErr := os.Stat(filepath.Join(tc.options.DataDir, dbFileName)); statErr == nil {
				t.Error("a refused start created the database anyway")
			}
		})
	}
}

func TestStopIsIdempotentAndPortsAreReusable(t *testing.T) {
	frontend := "127.0.0.1:" + strconv.Itoa(freeBlock(t, 4))
	ui := listen(t, "127.0.0.1:0")
	uiAddr := ui.Addr().String()
	ui.Close()
	o := Options{DataDir: t.TempDir(), FrontendAddress: frontend, UIAddress: uiAddr}

	s, err := Start(testContext(t), o)
	if err != nil {
		t.Fatalf("first Start: %v", err)
	}
	if s.FrontendHostPort() != frontend || s.UIURL() != "http://"+uiAddr {
		t.Errorf("addresses = %s, %s; want %s, http://%s", s.FrontendHostPort(), s.UIURL(), frontend, uiAddr)
	}
	began := time.Now()
	if err := s.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	t.Logf("Stop took %v", time.Since(began))
	if err := s.Stop(); err != nil {
		t.Errorf("second Stop: %v", err)
	}
	if _, err := net.DialTimeout("tcp", uiAddr, time.Second); err == nil {
		t.Errorf("the Web UI still accepts connections on %s after Stop", uiAddr)
	}

	s = startServer(t, o)
	c := dial(t, s)
	if _, err := c.ListWorkflow(testContext(t), &workflowservice.ListWorkflowExecutionsRequest{}); err != nil {
		t.Errorf("list workflows after restart on the same ports: %v", err)
	}
}

func TestUnusableDataDirIsAnError(t *testing.T) {
	notADir := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(notADir, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	corrupt := t.TempDir()
	if err := os.WriteFile(filepath.Join(corrupt, dbFileName), []byte(strings.Repeat("not a database ", 512)), 0o600); err != nil {
		t.Fatal(err)
	}

	empty := t.TempDir()
	if err := os.WriteFile(filepath.Join(empty, dbFileName), nil, 0o600); err != nil {
		t.Fatal(err)
	}

	cases := map[string]struct{ dataDir, want string }{
		"missing":       {"", "DataDir is required"},
		"under a file":  {filepath.Join(notADir, "data"), "create DataDir"},
		"corrupt db":    {corrupt, "not a usable Temporal database"},
		"empty db file": {empty, "not a usable Temporal database"},
	}
	if runtime.GOOS == "linux" {
		// Exists but refuses writes, even to root (tests often run as root).
		cases["read-only"] = struct{ dataDir, want string }{"/proc/self", "not writable"}
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			s, err := Start(testContext(t), Options{DataDir: tc.dataDir, FrontendAddress: "127.0.0.1:0", UIAddress: "127.0.0.1:0"})
			if err == nil {
				s.Stop()
				t.Fatal("Start succeeded")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error = %q, want it to contain %q", err, tc.want)
			}
		})
	}
}

func assertSearchAttributes(t *testing.T, c client.Client, namespace string, want map[string]enumspb.IndexedValueType) {
	t.Helper()
	resp, err := c.OperatorService().ListSearchAttributes(testContext(t), &operatorservice.ListSearchAttributesRequest{Namespace: namespace})
	if err != nil {
		t.Fatalf("list search attributes: %v", err)
	}
	got := resp.GetCustomAttributes()
	for name, typ := range want {
		if got[name] != typ {
			t.Errorf("search attribute %s = %v, want %v", name, got[name], typ)
		}
	}
}

func get(t *testing.T, url string) (status int, contentType, body string) {
	t.Helper()
	req, err := http.NewRequestWithContext(testContext(t), http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: read body: %v", url, err)
	}
	return resp.StatusCode, resp.Header.Get("Content-Type"), string(b)
}

func listen(t *testing.T, addr string) net.Listener {
	t.Helper()
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("listen %s: %v", addr, err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// freeBlock finds a port p with p..p+n-1 all free now, for a frontend whose
// internal services take the ports right above it.
func freeBlock(t *testing.T, n int) int {
	t.Helper()
	for range 50 {
		l := listen(t, "127.0.0.1:0")
		base := l.Addr().(*net.TCPAddr).Port
		l.Close()
		if base+n > 65535 {
			continue
		}
		if checkFree(blockEndpoints(base, n)) == nil {
			return base
		}
	}
	t.Fatalf("no block of %d free ports", n)
	return 0
}

func blockEndpoints(base, n int) []endpoint {
	var es []endpoint
	for i := range n {
		es = append(es, endpoint{host: "127.0.0.1", port: base + i})
	}
	return es
}

// levelRecorder is a slog handler remembering the level of every record.
type levelRecorder struct {
	mu     sync.Mutex
	levels []slog.Level
}

func (r *levelRecorder) Enabled(context.Context, slog.Level) bool { return true }
func (r *levelRecorder) WithAttrs([]slog.Attr) slog.Handler       { return r }
func (r *levelRecorder) WithGroup(string) slog.Handler            { return r }
func (r *levelRecorder) Handle(_ context.Context, rec slog.Record) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.levels = append(r.levels, rec.Level)
	return nil
}

func (r *levelRecorder) belowWarn() []slog.Level {
	r.mu.Lock()
	defer r.mu.Unlock()
	var low []slog.Level
	for _, l := range r.levels {
		if l < slog.LevelWarn {
			low = append(low, l)
		}
	}
	return low
}

type nopSDKLogger struct{}

func (nopSDKLogger) Debug(string, ...any) {}
func (nopSDKLogger) Info(string, ...any)  {}
func (nopSDKLogger) Warn(string, ...any)  {}
func (nopSDKLogger) Error(string, ...any) {}

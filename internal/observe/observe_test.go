package observe

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

func lookup(vars map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := vars[k]; return v, ok }
}

func TestTracingIsOffUnlessTheEnvironmentAsks(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		vars map[string]string
		on   bool
		err  string
	}{
		{"nothing set", nil, false, ""},
		{"endpoint", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318"}, true, ""},
		{"traces endpoint over grpc", map[string]string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://127.0.0.1:4317", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"}, true, ""},
		{"exporter otlp", map[string]string{"OTEL_TRACES_EXPORTER": "otlp"}, true, ""},
		{"exporter none wins over an endpoint", map[string]string{"OTEL_TRACES_EXPORTER": "none", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://x:4318"}, false, ""},
		{"sdk disabled", map[string]string{"OTEL_SDK_DISABLED": "true", "OTEL_TRACES_EXPORTER": "otlp"}, false, ""},
		{"unsupported exporter", map[string]string{"OTEL_TRACES_EXPORTER": "zipkin"}, false, "OTEL_TRACES_EXPORTER"},
		{"unsupported protocol", map[string]string{"OTEL_TRACES_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_PROTOCOL": "http/json"}, false, "OTEL_EXPORTER_OTLP_PROTOCOL"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tp, err := TracingFromEnv(ctx, lookup(tc.vars))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want one naming %s", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if (tp != nil) != tc.on {
				t.Fatalf("tracing on = %v, want %v", tp != nil, tc.on)
			}
			if tp != nil {
				// Nothing listens: shutting down must not hang on the export.
				shutdownCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
				defer cancel()
				_ = tp.Shutdown(shutdownCtx)
			}
		})
	}
}

func TestTraceHTTPContinuesTheCallersTraceAndSkipsProbes(t *testing.T) {
	spans := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(spans))
	tel := newTestTelemetry(t, tp)
	var seen trace.SpanContext
	h := tel.TraceHTTP(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v1/orders" {
			seen = trace.SpanContextFromContext(r.Context())
		}
	}))

	caller, _ := trace.TraceIDFromHex("4bf92f3577b34da6a3ce929d0e0e4736")
	req := httptest.NewRequest("POST", "/v1/orders", nil)
	req.Header.Set("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	h.ServeHTTP(httptest.NewRecorder(), req)
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/healthz", nil))

	got := spans.GetSpans()
	if len(got) != 1 {
		t.Fatalf("spans %v, want one (the probe untraced)", spanNames(got))
	}
	if got[0].SpanContext.TraceID() != caller || seen.TraceID() != caller {
		t.Fatalf("span trace %s, handler saw %s; want the caller's %s", got[0].SpanContext.TraceID(), seen.TraceID(), caller)
	}
}

func TestTraceHTTPWithoutTracingIsTheHandler(t *testing.T) {
	tel := newTestTelemetry(t, nil)
	called := false
	h := tel.TraceHTTP(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		called = !trace.SpanContextFromContext(r.Context()).IsValid()
	}))
	req := httptest.NewRequest("GET", "/v1/me", nil)
	propagation.TraceContext{}.Inject(context.Background(), propagation.HeaderCarrier(req.Header))
	h.ServeHTTP(httptest.NewRecorder(), req)
	if !called {
		t.Fatal("the untraced handler did not run or saw a span")
	}
}

func TestWorkerMetricsHandlerServesTemporalAndDomainMetrics(t *testing.T) {
	tel := newTestTelemetry(t, nil)
	// What the SDK does on every request and workflow task.
	h := tel.temporal.handler.WithTags(map[string]string{"namespace": "default"})
	h.Counter("temporal_request").Inc(2)
	h.Timer("temporal_workflow_task_execution_latency").Record(30 * time.Millisecond)
	tel.Events.EmailSent("payment_link")

	srv := httptest.NewServer(tel.MetricsHandler())
	defer srv.Close()
	body := get(t, srv.URL+"/metrics")
	for _, want := range []string{
		`temporal_request_total{namespace="default"} 2`,
		`temporal_workflow_task_execution_latency_seconds_bucket{namespace="default",le="0.05"} 1`,
		`temporal_workflow_task_execution_latency_seconds_bucket{namespace="default",le="0.025"} 0`,
		`orderflow_emails_sent_total{purpose="payment_link"} 1`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if t.Failed() {
		t.Log(body)
	}
	if body := get(t, srv.URL+"/healthz"); !strings.Contains(body, "ok") {
		t.Fatalf("/healthz = %s", body)
	}
}

func get(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET %s = %d %v", url, resp.StatusCode, err)
	}
	return string(b)
}

// The worker's metrics address serves its heap profile (make scale reads it).
func TestWorkerMetricsHandlerServesTheHeapProfile(t *testing.T) {
	tel := newTestTelemetry(t, nil)
	srv := httptest.NewServer(tel.MetricsHandler())
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/debug/pprof/heap")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	// A profile is gzipped protobuf.
	if resp.StatusCode != http.StatusOK || len(body) < 2 || body[0] != 0x1f || body[1] != 0x8b {
		t.Fatalf("GET /debug/pprof/heap = %d, %d bytes", resp.StatusCode, len(body))
	}
}

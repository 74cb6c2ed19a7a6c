package observe

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/trace"
	commonpb "go.temporal.io/api/common/v1"
)

// header is a Temporal header for the propagator: writer and reader at once.
type header map[string]*commonpb.Payload

func (h header) Set(k string, p *commonpb.Payload)      { h[k] = p }
func (h header) Get(k string) (*commonpb.Payload, bool) { p, ok := h[k]; return p, ok }
func (h header) ForEachKey(f func(string, *commonpb.Payload) error) error {
	for k, p := range h {
		if err := f(k, p); err != nil {
			return err
		}
	}
	return nil
}

func TestRequestIDTravelsThroughTheHeader(t *testing.T) {
	var prop requestIDPropagator
	h := header{}
	if err := prop.Inject(WithRequestID(context.Background(), "req_abc"), h); err != nil {
		t.Fatal(err)
	}
	ctx, err := prop.Extract(context.Background(), h)
	if err != nil {
		t.Fatal(err)
	}
	if got := RequestID(ctx); got != "req_abc" {
		t.Fatalf("request id after the header = %q, want req_abc", got)
	}

	empty := header{}
	if err := prop.Inject(context.Background(), empty); err != nil || len(empty) != 0 {
		t.Fatalf("a context without a request id wrote %v (%v)", empty, err)
	}
}

func TestForgedRequestIDIsIgnored(t *testing.T) {
	h := header{}
	if err := writeRequestID("x\n{\"level\":\"ERROR\"}", h); err != nil {
		t.Fatal(err)
	}
	ctx, err := requestIDPropagator{}.Extract(context.Background(), h)
	if err != nil {
		t.Fatal(err)
	}
	if got := RequestID(ctx); got != "" {
		t.Fatalf("forged request id accepted: %q", got)
	}
}

// logLine logs one line through CorrelatedLogger and decodes it.
func logLine(t *testing.T, ctx context.Context, with []any, args ...any) map[string]any {
	t.Helper()
	var buf bytes.Buffer
	log := CorrelatedLogger(slog.New(slog.NewJSONHandler(&buf, nil))).With(with...)
	log.InfoContext(ctx, "hello", args...)
	var line map[string]any
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
		t.Fatalf("%v: %s", err, buf.String())
	}
	if n := strings.Count(buf.String(), `"request_id"`); n > 1 {
		t.Fatalf("request_id appears %d times: %s", n, buf.String())
	}
	return line
}

func TestCorrelatedLoggerAddsWhatTheContextKnows(t *testing.T) {
	ctx := WithRequestID(context.Background(), "req_1")
	ctx = withActivity(ctx, activityFields{workflowID: "ord_1", runID: "run-1", activity: "SendEmail", attempt: 2})
	traceID, _ := trace.TraceIDFromHex("0123456789abcdef0123456789abcdef")
	spanID, _ := trace.SpanIDFromHex("0123456789abcdef")
	ctx = trace.ContextWithSpanContext(ctx, trace.NewSpanContext(trace.SpanContextConfig{TraceID: traceID, SpanID: spanID}))

	line := logLine(t, ctx, nil)
	want := map[string]any{
		"request_id": "req_1", "order_id": "ord_1", "workflow_id": "ord_1", "run_id": "run-1",
		"activity": "SendEmail", "attempt": float64(2),
		"trace_id": "0123456789abcdef0123456789abcdef", "span_id": "0123456789abcdef",
	}
	for k, v := range want {
		if line[k] != v {
			t.Errorf("%s = %v, want %v (line %v)", k, line[k], v, line)
		}
	}
}

func TestCorrelatedLoggerDoesNotRepeatAKey(t *testing.T) {
	ctx := WithRequestID(context.Background(), "req_ctx")
	if line := logLine(t, ctx, nil, "request_id", "req_line"); line["request_id"] != "req_line" {
		t.Fatalf("the line's own request id was replaced: %v", line)
	}
	if line := logLine(t, ctx, []any{"request_id", "req_with"}); line["request_id"] != "req_with" {
		t.Fatalf("the logger's bound request id was replaced: %v", line)
	}
	if line := logLine(t, context.Background(), nil); line["request_id"] != nil {
		t.Fatalf("a line without context got a request id: %v", line)
	}
}

func TestCorrelatedLoggerWrapsOnce(t *testing.T) {
	log := CorrelatedLogger(slog.New(slog.DiscardHandler))
	if CorrelatedLogger(log) != log {
		t.Fatal("wrapping twice made a second handler")
	}
}

// Package observe is orderflow's telemetry: Prometheus metrics (the Temporal
// SDK's and the orders' own), logs that say which request, order, workflow
// run and activity they belong to, and optional OpenTelemetry tracing from an
// HTTP request through Temporal into the activities.
//
// One Telemetry serves a process: the Temporal client it configures carries
// the metrics handler, the interceptors and the request-id propagator into
// every worker built on that client, and its registry is what /metrics serves.
package observe

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/pprof"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/otel/trace"
	"go.temporal.io/sdk/client"
	temporalotel "go.temporal.io/sdk/contrib/opentelemetry"
	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/temporal"
)

// Options configure a process's telemetry.
type Options struct {
	// Registry receives every metric; required.
	Registry *prometheus.Registry
	// TracerProvider turns tracing on; nil leaves it off (see TracingFromEnv).
	TracerProvider trace.TracerProvider
	// FlowAttribute is the search attribute naming an order's flow, the
	// label of orderflow_orders_created_total.
	FlowAttribute temporal.SearchAttributeKeyKeyword
	// Logger reports telemetry trouble; nil means slog.Default().
	Logger *slog.Logger
}

// Telemetry is what one process measures and traces with.
type Telemetry struct {
	// Registry is what /metrics serves.
	Registry *prometheus.Registry
	// Events are the domain counters (orders, transitions, emails, invoices).
	Events *Events

	temporal     *temporalMetrics
	tracer       trace.TracerProvider
	interceptors []interceptor.ClientInterceptor
}

// spanKey is where the Temporal tracing interceptor keeps its span on
// workflow contexts; ours, so that workflows can re-parent activities.
type spanKey struct{}

// New registers the metrics on o.Registry and builds the interceptors.
func New(o Options) (*Telemetry, error) {
	if o.Registry == nil {
		return nil, errors.New("observe: a registry is required")
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	events, err := NewEvents(o.Registry)
	if err != nil {
		return nil, err
	}
	tm, err := newTemporalMetrics(o.Registry, o.Logger)
	if err != nil {
		return nil, err
	}
	t := &Telemetry{Registry: o.Registry, Events: events, temporal: tm, tracer: o.TracerProvider}
	c := &correlator{events: events, flowKey: o.FlowAttribute}
	if t.tracer != nil {
		tracing, err := temporalotel.NewTracingInterceptor(temporalotel.TracerOptions{
			Tracer:         t.tracer.Tracer("temporal-sdk-go"),
			SpanContextKey: spanKey{},
		})
		if err != nil {
			return nil, fmt.Errorf("temporal tracing interceptor: %w", err)
		}
		c.spanKey = spanKey{}
		// Tracing first: it is the outer interceptor, so the correlator sees its spans.
		t.interceptors = append(t.interceptors, tracing)
	}
	t.interceptors = append(t.interceptors, c)
	return t, nil
}

// Tracing reports whether spans are recorded.
func (t *Telemetry) Tracing() bool { return t.tracer != nil }

// ConfigureTemporal adds the metrics handler, the interceptors and the
// request-id propagator to a client's options; workers built on the client
// inherit the interceptors and the propagator.
func (t *Telemetry) ConfigureTemporal(opts *client.Options) {
	opts.MetricsHandler = t.temporal.handler
	opts.Interceptors = append(opts.Interceptors, t.interceptors...)
	opts.ContextPropagators = append(opts.ContextPropagators, requestIDPropagator{})
}

// TraceHTTP starts a span for every request to h (probes and scrapes
// excepted), continuing the caller's trace; without tracing it returns h.
func (t *Telemetry) TraceHTTP(h http.Handler) http.Handler {
	if t.tracer == nil {
		return h
	}
	return traceHTTP(h, t.tracer)
}

// MetricsHandler serves /metrics from the registry, /healthz, and the Go
// heap profile at /debug/pprof/heap, for a process without the API (the
// worker): what its cached orders cost, by allocation site (`make scale`
// saves one; `go tool pprof -top` reads it). A profile holds code locations,
// never order data; like /metrics it belongs on the internal network.
func (t *Telemetry) MetricsHandler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(t.Registry, promhttp.HandlerOpts{Registry: t.Registry}))
	mux.Handle("GET /debug/pprof/heap", pprof.Handler("heap"))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"status":"ok"}`))
	})
	return mux
}

// Shutdown stops the exporters; the telemetry records nothing afterwards.
func (t *Telemetry) Shutdown(ctx context.Context) error {
	err := t.temporal.shutdown(ctx)
	if s, ok := t.tracer.(interface{ Shutdown(context.Context) error }); ok {
		err = errors.Join(err, s.Shutdown(ctx))
	}
	return err
}

// Flush sends the spans still buffered; a process calls it before exiting.
func (t *Telemetry) Flush(ctx context.Context) error {
	if f, ok := t.tracer.(interface{ ForceFlush(context.Context) error }); ok {
		return f.ForceFlush(ctx)
	}
	return nil
}

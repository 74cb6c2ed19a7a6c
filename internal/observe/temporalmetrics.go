package observe

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	temporalotel "go.temporal.io/sdk/contrib/opentelemetry"
)

// latencyBuckets suit the SDK's timers, which record seconds: OpenTelemetry's
// default buckets are meant for milliseconds and would put everything in the first.
var latencyBuckets = []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120}

// temporalMetrics exports the Temporal SDK's metrics (temporal_request_total,
// temporal_workflow_task_execution_latency_seconds, ...) through an
// OpenTelemetry meter read by a Prometheus collector registered on reg.
type temporalMetrics struct {
	handler  temporalotel.MetricsHandler
	provider *sdkmetric.MeterProvider
}

func newTemporalMetrics(reg prometheus.Registerer, log *slog.Logger) (*temporalMetrics, error) {
	exporter, err := otelprom.New(
		otelprom.WithRegisterer(reg),
		// One scope (the SDK) and no resource: the labels would only repeat themselves.
		otelprom.WithoutScopeInfo(),
		otelprom.WithoutTargetInfo(),
	)
	if err != nil {
		return nil, fmt.Errorf("temporal SDK metrics exporter: %w", err)
	}
	provider := sdkmetric.NewMeterProvider(
		sdkmetric.WithReader(exporter),
		sdkmetric.WithView(sdkmetric.NewView(
			sdkmetric.Instrument{Kind: sdkmetric.InstrumentKindHistogram, Unit: "s"},
			sdkmetric.Stream{Aggregation: sdkmetric.AggregationExplicitBucketHistogram{Boundaries: latencyBuckets}},
		)),
	)
	handler := temporalotel.NewMetricsHandler(temporalotel.MetricsHandlerOptions{
		Meter: provider.Meter("temporal-sdk-go"),
		// Counters exported as counters (…_total), not as up-down gauges.
		UseMonotonicCounters: true,
		// The default panics; a metric that cannot be recorded is not worth a worker.
		OnError: func(err error) { log.Warn("temporal SDK metric not recorded", "error", err) },
	})
	return &temporalMetrics{handler: handler, provider: provider}, nil
}

func (m *temporalMetrics) shutdown(ctx context.Context) error {
	return m.provider.Shutdown(ctx)
}

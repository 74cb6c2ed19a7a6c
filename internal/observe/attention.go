package observe

import (
	"context"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/temporal"
)

// Visibility is the part of the Temporal client the attention gauge asks.
type Visibility interface {
	CountWorkflow(ctx context.Context, request *workflowservice.CountWorkflowExecutionsRequest) (*workflowservice.CountWorkflowExecutionsResponse, error)
}

const (
	// attentionTTL spares Temporal's visibility store a query per scrape when
	// several Prometheus servers (or people) scrape at once.
	attentionTTL = 5 * time.Second
	// attentionTimeout keeps a slow visibility store from holding a scrape up.
	attentionTimeout = 3 * time.Second
)

// AttentionGauge is orderflow_orders_needing_attention: running orders parked
// for ops. Only the workflows know when they park, and they cannot touch
// Prometheus, so the gauge asks Temporal's visibility on scrape (the
// NeedsAttention search attribute) and keeps the answer a few seconds.
type AttentionGauge struct {
	query  string
	desc   *prometheus.Desc
	errors prometheus.Counter
	now    func() time.Time

	mu     sync.Mutex
	source Visibility
	value  float64
	at     time.Time // when value was read; zero: never
}

// NewAttentionGauge counts the running workflows whose key is true.
func NewAttentionGauge(source Visibility, key temporal.SearchAttributeKeyBool) *AttentionGauge {
	return &AttentionGauge{
		query: key.GetName() + ` = true AND ExecutionStatus = "Running"`,
		desc: prometheus.NewDesc("orderflow_orders_needing_attention",
			"Running orders parked until ops retry or skip a step (from Temporal visibility, cached "+attentionTTL.String()+").", nil, nil),
		errors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "orderflow_orders_needing_attention_errors_total",
			Help: "Scrapes that could not count the orders needing attention (Temporal visibility failed).",
		}),
		now:    time.Now,
		source: source,
	}
}

// Use points the gauge at another client (a process that reconnected).
func (g *AttentionGauge) Use(source Visibility) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.source, g.at = source, time.Time{}
}

// Describe implements prometheus.Collector.
func (g *AttentionGauge) Describe(ch chan<- *prometheus.Desc) {
	ch <- g.desc
	g.errors.Describe(ch)
}

// Collect implements prometheus.Collector. When visibility fails the gauge is
// left out of the scrape (rather than failing the whole scrape or showing a
// stale count) and the error counter goes up.
func (g *AttentionGauge) Collect(ch chan<- prometheus.Metric) {
	if value, ok := g.current(); ok {
		ch <- prometheus.MustNewConstMetric(g.desc, prometheus.GaugeValue, value)
	}
	g.errors.Collect(ch)
}

func (g *AttentionGauge) current() (float64, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.now()
	if !g.at.IsZero() && now.Sub(g.at) < attentionTTL {
		return g.value, true
	}
	ctx, cancel := context.WithTimeout(context.Background(), attentionTimeout)
	defer cancel()
	resp, err := g.source.CountWorkflow(ctx, &workflowservice.CountWorkflowExecutionsRequest{Query: g.query})
	if err != nil {
		g.errors.Inc()
		g.at = time.Time{}
		return 0, false
	}
	g.value, g.at = float64(resp.GetCount()), now
	return g.value, true
}

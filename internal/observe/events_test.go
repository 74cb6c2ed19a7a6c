package observe

import (
	"context"
	"errors"
	"maps"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/temporal"
)

func TestEventsCountByLabel(t *testing.T) {
	reg := prometheus.NewRegistry()
	e, err := NewEvents(reg)
	if err != nil {
		t.Fatal(err)
	}
	e.OrderCreated("marketplace")
	e.TransitionRecorded("marketplace", "screening")
	e.TransitionRecorded("marketplace", "screening")
	e.TransitionRecorded("member", "")
	e.EmailSent("invoice_issued#1")
	e.EmailSent("invoice_issued#2")
	e.EmailSent("payment_link")
	e.InvoiceIssued("credit_note")

	want := map[string]float64{
		`orderflow_orders_created_total{flow="marketplace"}`:                 1,
		`orderflow_transitions_total{flow="marketplace",status="screening"}`: 2,
		`orderflow_transitions_total{flow="member",status="unknown"}`:        1,
		`orderflow_emails_sent_total{purpose="invoice_issued"}`:              2,
		`orderflow_emails_sent_total{purpose="payment_link"}`:                1,
		`orderflow_invoices_issued_total{kind="credit_note"}`:                1,
	}
	if got := series(t, reg); !maps.Equal(got, want) {
		t.Fatalf("series:\n got %v\nwant %v", got, want)
	}
}

func TestEventsRegisterOncePerRegistry(t *testing.T) {
	reg := prometheus.NewRegistry()
	if _, err := NewEvents(reg); err != nil {
		t.Fatal(err)
	}
	if _, err := NewEvents(reg); err == nil {
		t.Fatal("a second set of domain counters on one registry was accepted")
	}
}

func TestNilEventsCountNothing(t *testing.T) {
	var e *Events
	e.OrderCreated("member") // must not panic
	e.EmailSent("x")
}

type fakeVisibility struct {
	count   int64
	err     error
	calls   int
	queries []string
}

func (f *fakeVisibility) CountWorkflow(_ context.Context, req *workflowservice.CountWorkflowExecutionsRequest) (*workflowservice.CountWorkflowExecutionsResponse, error) {
	f.calls++
	f.queries = append(f.queries, req.GetQuery())
	if f.err != nil {
		return nil, f.err
	}
	return &workflowservice.CountWorkflowExecutionsResponse{Count: f.count}, nil
}

func TestAttentionGaugeAsksVisibilityAndCaches(t *testing.T) {
	vis := &fakeVisibility{count: 3}
	g := NewAttentionGauge(vis, temporal.NewSearchAttributeKeyBool("NeedsAttention"))
	now := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
	g.now = func() time.Time { return now }
	reg := prometheus.NewRegistry()
	reg.MustRegister(g)

	if got := gaugeValue(t, reg); got != "3" {
		t.Fatalf("gauge = %s, want 3", got)
	}
	if want := `NeedsAttention = true AND ExecutionStatus = "Running"`; vis.queries[0] != want {
		t.Fatalf("query = %q, want %q", vis.queries[0], want)
	}
	vis.count = 5
	now = now.Add(attentionTTL - time.Second)
	if got := gaugeValue(t, reg); got != "3" || vis.calls != 1 {
		t.Fatalf("within the cache time: gauge = %s after %d queries, want 3 after 1", got, vis.calls)
	}
	now = now.Add(time.Second)
	if got := gaugeValue(t, reg); got != "5" || vis.calls != 2 {
		t.Fatalf("after the cache time: gauge = %s after %d queries, want 5 after 2", got, vis.calls)
	}
}

func TestAttentionGaugeLeavesItselfOutWhenVisibilityFails(t *testing.T) {
	vis := &fakeVisibility{err: errors.New("visibility unavailable")}
	g := NewAttentionGauge(vis, temporal.NewSearchAttributeKeyBool("NeedsAttention"))
	reg := prometheus.NewRegistry()
	reg.MustRegister(g)

	scraped := series(t, reg)
	if got, ok := scraped["orderflow_orders_needing_attention"]; ok {
		t.Fatalf("gauge = %v while visibility fails, want it absent", got)
	}
	if got := scraped["orderflow_orders_needing_attention_errors_total"]; got != 1 {
		t.Fatalf("errors = %v, want 1", got)
	}
	// Another client (a reconnect) is asked at once.
	g.Use(&fakeVisibility{count: 2})
	if got := gaugeValue(t, reg); got != "2" {
		t.Fatalf("gauge after Use = %s, want 2", got)
	}
}

// gaugeValue is orderflow_orders_needing_attention as scraped, "absent" when left out.
func gaugeValue(t *testing.T, reg *prometheus.Registry) string {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() == "orderflow_orders_needing_attention" {
			return strconv.FormatFloat(f.GetMetric()[0].GetGauge().GetValue(), 'f', -1, 64)
		}
	}
	return "absent"
}

// series is every sample reg gathers, keyed like the text exposition:
// name{label="value",...} (histograms by their _count).
func series(t *testing.T, reg prometheus.Gatherer) map[string]float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, f := range families {
		for _, m := range f.GetMetric() {
			var labels []string
			for _, l := range m.GetLabel() {
				labels = append(labels, l.GetName()+`="`+l.GetValue()+`"`)
			}
			key := f.GetName()
			if len(labels) > 0 {
				key += "{" + strings.Join(labels, ",") + "}"
			}
			switch {
			case m.GetCounter() != nil:
				out[key] = m.GetCounter().GetValue()
			case m.GetGauge() != nil:
				out[key] = m.GetGauge().GetValue()
			case m.GetHistogram() != nil:
				out[strings.Replace(key, f.GetName(), f.GetName()+"_count", 1)] = float64(m.GetHistogram().GetSampleCount())
			}
		}
	}
	return out
}

package load

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"sort"
	"strings"
	"time"
)

// Report is what a run measured. It is printed as text and written as JSON.
type Report struct {
	Mode             string                  `json:"mode"`
	Started          time.Time               `json:"started"`
	Orders           int                     `json:"orders"`
	OrdersFailed     int                     `json:"orders_failed"`
	Concurrency      int                     `json:"concurrency"`
	Seconds          float64                 `json:"seconds"`
	OrdersPerSecond  float64                 `json:"orders_per_second"`
	Actions          int                     `json:"actions"`
	ActionsPerSecond float64                 `json:"actions_per_second"`
	Latency          map[string]Latency      `json:"latency"`
	HistoryEvents    map[string]Distribution `json:"history_events_per_order,omitempty"`
	// HistoryBytes is each order's history size as the server counts it
	// (the size Temporal's limits use).
	HistoryBytes map[string]Distribution `json:"history_bytes_per_order,omitempty"`
	// Targets are the engine's goals and what this run measured of them.
	Targets      []Target         `json:"targets,omitempty"`
	PeakRSSBytes map[string]int64 `json:"peak_rss_bytes,omitempty"`
	Errors       map[string]int   `json:"errors"`
	// Baseline is raw Temporal on the same server with the same concurrency;
	// Ratio is this run's orders per second over the baseline's workflows per second.
	Baseline *Report  `json:"baseline,omitempty"`
	Ratio    float64  `json:"throughput_ratio_to_baseline,omitempty"`
	Notes    []string `json:"notes,omitempty"`
}

// Finish fills the throughput figures from the recorder and the elapsed time.
func (r *Report) Finish(rec *Recorder, elapsed time.Duration) {
	r.Seconds = round2(elapsed.Seconds())
	r.Actions = rec.Actions()
	r.Latency = rec.Latencies()
	r.Errors = rec.Errors()
	if elapsed > 0 {
		r.OrdersPerSecond = round2(float64(r.Orders-r.OrdersFailed) / elapsed.Seconds())
		r.ActionsPerSecond = round2(float64(r.Actions) / elapsed.Seconds())
	}
}

// CompareTo records base as the baseline and the throughput ratio to it.
func (r *Report) CompareTo(base *Report) {
	r.Baseline = base
	if base != nil && base.OrdersPerSecond > 0 {
		r.Ratio = math.Round(r.OrdersPerSecond/base.OrdersPerSecond*1000) / 1000
	}
}

func round2(f float64) float64 { return math.Round(f*100) / 100 }

// WriteJSON writes v (a report), indented, to path.
func WriteJSON(path string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("encode report: %w", err)
	}
	if err := os.WriteFile(path, append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	return nil
}

// Print writes the report as human-readable text.
func (r *Report) Print(w io.Writer) {
	fmt.Fprintf(w, "%s: %d orders (%d failed), concurrency %d, %.1f s\n", r.Mode, r.Orders, r.OrdersFailed, r.Concurrency, r.Seconds)
	fmt.Fprintf(w, "  throughput: %.2f orders/s, %.2f actions/s (%d actions)\n", r.OrdersPerSecond, r.ActionsPerSecond, r.Actions)
	fmt.Fprintf(w, "  latency ms %-22s %6s %8s %8s %8s\n", "action", "count", "p50", "p95", "p99")
	for _, kind := range sortedKeys(r.Latency) {
		l := r.Latency[kind]
		fmt.Fprintf(w, "             %-22s %6d %8.1f %8.1f %8.1f\n", kind, l.Count, l.P50, l.P95, l.P99)
	}
	for _, flow := range sortedKeys(r.HistoryEvents) {
		d := r.HistoryEvents[flow]
		fmt.Fprintf(w, "  history events per %s order: mean %.1f, p50 %d, p95 %d, max %d (%d orders)\n", flow, d.Mean, d.P50, d.P95, d.Max, d.Count)
	}
	for _, flow := range sortedKeys(r.HistoryBytes) {
		d := r.HistoryBytes[flow]
		fmt.Fprintf(w, "  history bytes per %s order: mean %.0f, p50 %d, p95 %d, max %d (%d orders)\n", flow, d.Mean, d.P50, d.P95, d.Max, d.Count)
	}
	for _, proc := range sortedKeys(r.PeakRSSBytes) {
		fmt.Fprintf(w, "  peak RSS %s: %d MiB\n", proc, r.PeakRSSBytes[proc]>>20)
	}
	if len(r.Errors) == 0 {
		fmt.Fprintln(w, "  errors: none")
	}
	for _, kind := range sortedKeys(r.Errors) {
		fmt.Fprintf(w, "  errors %s: %d\n", kind, r.Errors[kind])
	}
	if r.Baseline != nil {
		fmt.Fprintf(w, "  baseline (raw Temporal): %.2f workflows/s, %.2f actions/s; orderflow/baseline throughput ratio %.3f\n",
			r.Baseline.OrdersPerSecond, r.Baseline.ActionsPerSecond, r.Ratio)
	}
	if len(r.Targets) > 0 {
		PrintTargets(w, r.Targets)
	}
	for _, n := range r.Notes {
		fmt.Fprintf(w, "  note: %s\n", strings.TrimSpace(n))
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

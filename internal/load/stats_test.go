package load

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func durations(ms ...int) []time.Duration {
	out := make([]time.Duration, len(ms))
	for i, m := range ms {
		out[i] = time.Duration(m) * time.Millisecond
	}
	return out
}

func TestPercentileNearestRank(t *testing.T) {
	sorted := durations(1, 2, 3, 4, 5, 6, 7, 8, 9, 10)
	for p, want := range map[float64]int{50: 5, 95: 10, 99: 10, 10: 1, 11: 2, 0: 1, 100: 10} {
		if got := Percentile(sorted, p); got != time.Duration(want)*time.Millisecond {
			t.Errorf("p%v = %v, want %dms", p, got, want)
		}
	}
	if got := Percentile(nil, 50); got != 0 {
		t.Errorf("p50 of nothing = %v", got)
	}
}

func TestSummarizeSortsAndLeavesInputAlone(t *testing.T) {
	in := durations(40, 10, 30, 20)
	l := Summarize(in)
	if l.Count != 4 || l.P50 != 20 || l.P95 != 40 || l.Max != 40 {
		t.Fatalf("summary = %+v", l)
	}
	if in[0] != 40*time.Millisecond {
		t.Fatal("Summarize reordered its input")
	}
}

func TestDistribute(t *testing.T) {
	d := Distribute([]int{170, 168, 173, 90})
	if d.Count != 4 || d.Mean != 150.3 || d.P50 != 168 || d.Max != 173 {
		t.Fatalf("distribution = %+v", d)
	}
	if (Distribute(nil) != Distribution{}) {
		t.Fatal("empty distribution not zero")
	}
}

func TestRecorderCountsActionsButNotReads(t *testing.T) {
	r := NewRecorder()
	r.Observe("accept", time.Millisecond)
	r.Observe("accept", 3*time.Millisecond)
	r.ObserveRead("get_order", time.Millisecond)
	r.Fail("accept: 409")
	r.Fail("accept: 409")
	if r.Actions() != 2 {
		t.Fatalf("actions = %d, want 2", r.Actions())
	}
	if l := r.Latencies(); l["get_order"].Count != 1 || l["accept"].P99 != 3 {
		t.Fatalf("latencies = %+v", l)
	}
	if e := r.Errors(); e["accept: 409"] != 2 || len(e) != 1 {
		t.Fatalf("errors = %v", e)
	}
}

func TestReportRatesJSONAndText(t *testing.T) {
	rec := NewRecorder()
	for range 10 {
		rec.Observe("create", 5*time.Millisecond)
	}
	rec.Fail("pay: 500")
	r := &Report{Mode: "orderflow", Orders: 4, OrdersFailed: 0, Concurrency: 2}
	r.Finish(rec, 2*time.Second)
	if r.OrdersPerSecond != 2 || r.ActionsPerSecond != 5 {
		t.Fatalf("rates: %v orders/s, %v actions/s", r.OrdersPerSecond, r.ActionsPerSecond)
	}
	base := &Report{Mode: "baseline", OrdersPerSecond: 8}
	r.CompareTo(base)
	if r.Ratio != 0.25 {
		t.Fatalf("ratio = %v, want 0.25", r.Ratio)
	}

	path := filepath.Join(t.TempDir(), "report.json")
	if err := WriteJSON(path, r); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var back map[string]any
	if err := json.Unmarshal(raw, &back); err != nil {
		t.Fatal(err)
	}
	if back["orders_per_second"] != 2.0 || back["throughput_ratio_to_baseline"] != 0.25 {
		t.Fatalf("json: %s", raw)
	}
	if lat := back["latency"].(map[string]any)["create"].(map[string]any); lat["p95_ms"] != 5.0 {
		t.Fatalf("json latency: %v", lat)
	}

	var text strings.Builder
	r.Print(&text)
	for _, want := range []string{"2.00 orders/s", "errors pay: 500: 1", "ratio 0.250"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("text report lacks %q:\n%s", want, text.String())
		}
	}
}

func TestBar(t *testing.T) {
	if got := Bar(5, 10, 1, 10); got != "[#####.....]  5/10 orders, 1 failed" {
		t.Fatalf("bar = %q", got)
	}
	if got := Bar(0, 0, 0, 4); !strings.HasPrefix(got, "[....]") {
		t.Fatalf("empty bar = %q", got)
	}
}

func TestRunAllRunsEveryIndexOnceAndCountsFailures(t *testing.T) {
	var seen [20]atomic.Int32
	var out strings.Builder
	failed, samples := RunAll(context.Background(), 20, 3, func(_ context.Context, i int) error {
		seen[i].Add(1)
		if i%5 == 0 {
			return errors.New("boom")
		}
		return nil
	}, &syncWriter{b: &out})
	if failed != 4 || len(samples) != 4 {
		t.Fatalf("failed %d, samples %v", failed, samples)
	}
	for i := range seen {
		if seen[i].Load() != 1 {
			t.Fatalf("index %d ran %d times", i, seen[i].Load())
		}
	}
	if !strings.Contains(out.String(), "20/20 orders, 4 failed") {
		t.Fatalf("progress: %q", out.String())
	}
}

func TestRunAllCountsUnstartedOrdersAsFailedWhenCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	failed, _ := RunAll(ctx, 10, 1, func(_ context.Context, i int) error {
		if i == 2 {
			cancel()
		}
		return nil
	}, nil)
	if failed < 6 { // of indexes 3..9, at most one more was handed out before the cancel was seen
		t.Fatalf("failed = %d, want at least 6", failed)
	}
}

func TestStatusLine(t *testing.T) {
	if v, ok := StatusLine("VmHWM:\t  257024 kB", "VmHWM"); !ok || v != 257024*1024 {
		t.Fatalf("VmHWM = %d %v", v, ok)
	}
	for _, bad := range []string{"VmRSS:  1 kB", "VmHWM: x kB", "VmHWM: 12 MB"} {
		if _, ok := StatusLine(bad, "VmHWM"); ok {
			t.Errorf("%q parsed", bad)
		}
	}
	// Resident now, then the peak: the peak can only have grown since.
	now, err := readStatus(os.Getpid(), "VmRSS")
	if err != nil || now <= 0 {
		t.Fatalf("own VmRSS = %d, %v", now, err)
	}
	peak, err := readStatus(os.Getpid(), "VmHWM")
	if err != nil || peak < now {
		t.Fatalf("own VmHWM = %d (resident %d), %v", peak, now, err)
	}
}

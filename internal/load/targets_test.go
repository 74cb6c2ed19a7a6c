package load

import (
	"bytes"
	"strings"
	"testing"
)

func TestBenchTargetsJudgeEachMeasure(t *testing.T) {
	r := &Report{
		ActionsPerSecond: 30,
		Latency: map[string]Latency{
			"create_marketplace": {P95: 90}, "create_member": {P95: 120}, // worst create: 120
			"accept": {P95: 70}, "get_order": {P95: 900, Read: true}, // a read is no action
		},
		HistoryEvents: map[string]Distribution{"marketplace": {Count: 2, Max: 61}, "member": {Count: 2, Max: 40}},
		HistoryBytes:  map[string]Distribution{"marketplace": {Count: 2, Max: 20000}},
	}
	r.CompareTo(&Report{Concurrency: 8, ActionsPerSecond: 100, Latency: map[string]Latency{"update": {P95: 50, P99: 49}}})
	got := map[string]Target{}
	for _, tg := range r.BenchTargets() {
		got[tg.Name] = tg
	}
	want := map[string]string{
		"marketplace prepaid to completed: history events (max)":      "miss", // 61 > 60
		"marketplace prepaid to completed: history size (max)":        "ok",   // 20000 <= 20480
		"member to active, skipping the client: history events (max)": "ok",   // 40 <= 40
		"actions/s over the baseline's updates/s":                     "miss", // 0.3 < 0.5
		"create p95 over the baseline's update p95":                   "miss", // 120/50 = 2.4
		"action p95 over the baseline's update p95":                   "ok",   // 70/50 = 1.4, the read left out
		"baseline update p99 at 8 in flight":                          "ok",   // 49 < 50
	}
	if len(got) != len(want) {
		t.Fatalf("%d targets, want %d: %+v", len(got), len(want), got)
	}
	for name, verdict := range want {
		if g := got[name].Verdict(); g != verdict {
			t.Errorf("%s: %s (%+v), want %s", name, g, got[name], verdict)
		}
	}
	if m := got["create p95 over the baseline's update p95"].Measured; m != 2.4 {
		t.Errorf("create ratio %v, want 2.4", m)
	}

	// Without a baseline, or with another concurrency, a target says why it
	// was not measured rather than pass.
	alone := (&Report{HistoryEvents: map[string]Distribution{}}).BenchTargets()
	var out bytes.Buffer
	PrintTargets(&out, alone)
	if !strings.Contains(out.String(), "no baseline in this run") || !strings.Contains(out.String(), "no marketplace order in this run") || strings.Contains(out.String(), " ok\n") {
		t.Errorf("targets without measures:\n%s", out.String())
	}
}

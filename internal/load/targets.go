package load

import (
	"fmt"
	"io"
	"math"
	"strings"

	"github.com/orderflow/orderflow/lifecycle"
)

// Target is one goal of the engine (README, "Performance"), and what a run
// measured of it. A target the run could not measure says why in Note and
// is neither ok nor a miss.
type Target struct {
	Name     string  `json:"name"`
	Measured float64 `json:"measured"`
	Limit    float64 `json:"limit"`
	Unit     string  `json:"unit"`
	// AtLeast: the measure must reach Limit; otherwise it must stay at or
	// below it.
	AtLeast bool   `json:"at_least,omitempty"`
	OK      bool   `json:"ok"`
	Note    string `json:"note,omitempty"`
}

// Judge is t with measured and its verdict.
func Judge(t Target, measured float64) Target {
	t.check(measured)
	return t
}

func (t *Target) check(measured float64) {
	t.Measured = math.Round(measured*1000) / 1000
	t.OK = measured <= t.Limit
	if t.AtLeast {
		t.OK = measured >= t.Limit
	}
}

// Verdict is "ok", "miss", or "not measured".
func (t Target) Verdict() string {
	switch {
	case t.Note != "":
		return "not measured"
	case t.OK:
		return "ok"
	}
	return "miss"
}

// Flows of the bench's orders, as HistoryEvents and HistoryBytes key them.
var (
	benchMarketplace = lifecycle.MarketplaceFlow.Name
	benchMember      = lifecycle.MemberFlow.Name
)

// isCreate: the latency kinds of creating an order ("create_marketplace").
func isCreate(kind string) bool { return strings.HasPrefix(kind, string(lifecycle.Create)) }

// BenchTargets are the targets a bench run measures: the histories of its
// orders (a prepaid marketplace order to completed, a member order skipping
// client confirmation to active), its throughput and latencies against the
// raw Temporal baseline on the same server in the same run.
func (r *Report) BenchTargets() []Target {
	ts := []Target{
		historyTarget("marketplace prepaid to completed: history events (max)", r.HistoryEvents, benchMarketplace, 60, "events"),
		historyTarget("marketplace prepaid to completed: history size (max)", r.HistoryBytes, benchMarketplace, 20*1024, "bytes"),
		historyTarget("member to active, skipping the client: history events (max)", r.HistoryEvents, benchMember, 40, "events"),
	}
	base := r.Baseline
	actions := Target{Name: "actions/s over the baseline's updates/s", Limit: 0.5, Unit: "ratio", AtLeast: true}
	create := Target{Name: "create p95 over the baseline's update p95", Limit: 2, Unit: "ratio"}
	action := Target{Name: "action p95 over the baseline's update p95", Limit: 2, Unit: "ratio"}
	baseP99 := Target{Name: "baseline update p99 at 8 in flight", Limit: 50, Unit: "ms"}
	switch {
	case base == nil:
		for _, t := range []*Target{&actions, &create, &action, &baseP99} {
			t.Note = "no baseline in this run"
		}
	default:
		update := base.Latency["update"]
		if base.ActionsPerSecond > 0 {
			actions.check(r.ActionsPerSecond / base.ActionsPerSecond)
		} else {
			actions.Note = "the baseline made no updates"
		}
		if update.P95 > 0 {
			create.check(r.worstP95(isCreate) / update.P95)
			action.check(r.worstP95(func(kind string) bool { return !isCreate(kind) }) / update.P95)
		} else {
			create.Note, action.Note = "the baseline made no updates", "the baseline made no updates"
		}
		if base.Concurrency == 8 {
			baseP99.check(update.P99)
		} else {
			baseP99.Note = fmt.Sprintf("the run had %d in flight, not 8", base.Concurrency)
		}
	}
	return append(ts, actions, create, action, baseP99)
}

// worstP95 is the highest p95 among the actions (not the reads) whose kind
// matches.
func (r *Report) worstP95(match func(kind string) bool) float64 {
	worst := 0.0
	for kind, l := range r.Latency {
		if match(kind) && !l.Read && l.P95 > worst {
			worst = l.P95
		}
	}
	return worst
}

func historyTarget(name string, by map[string]Distribution, flow string, limit float64, unit string) Target {
	t := Target{Name: name, Limit: limit, Unit: unit}
	d, ok := by[flow]
	if !ok || d.Count == 0 {
		t.Note = "no " + flow + " order in this run"
		return t
	}
	t.check(float64(d.Max))
	return t
}

// PrintTargets writes one line per target: measured, limit, verdict.
func PrintTargets(w io.Writer, ts []Target) {
	fmt.Fprintln(w, "  targets:")
	for _, t := range ts {
		rel := "<="
		if t.AtLeast {
			rel = ">="
		}
		measured := fmt.Sprintf("%g %s", t.Measured, t.Unit)
		if t.Note != "" {
			measured = t.Note
		}
		fmt.Fprintf(w, "    %-62s %-28s (target %s %g %s) %s\n", t.Name, measured, rel, t.Limit, t.Unit, t.Verdict())
	}
}

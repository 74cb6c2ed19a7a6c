// Package load drives orderflow through its HTTP API under load, measures it
// (throughput, latency per action, history size, memory, errors), runs the
// same load shape against a minimal Temporal workflow as a baseline, and
// audits the end state after a fault run.
package load

import (
	"math"
	"slices"
	"sort"
	"sync"
	"time"
)

// Recorder collects latencies per action kind and errors per kind. It is
// safe for concurrent use.
type Recorder struct {
	mu        sync.Mutex
	latencies map[string][]time.Duration
	reads     map[string]bool // kinds that only read (polls), left out of Actions
	errors    map[string]int
}

// NewRecorder returns an empty recorder.
func NewRecorder() *Recorder {
	return &Recorder{latencies: map[string][]time.Duration{}, reads: map[string]bool{}, errors: map[string]int{}}
}

// Observe records one successful action of kind that took d.
func (r *Recorder) Observe(kind string, d time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.latencies[kind] = append(r.latencies[kind], d)
}

// ObserveRead records one read of kind (a poll while waiting) that took d:
// its latency is reported, but it does not count as an action.
func (r *Recorder) ObserveRead(kind string, d time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.reads[kind] = true
	r.latencies[kind] = append(r.latencies[kind], d)
}

// Fail records one error of kind (e.g. "accept: 409").
func (r *Recorder) Fail(kind string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errors[kind]++
}

// Actions is the number of successful actions recorded, reads left out.
func (r *Recorder) Actions() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for kind, ds := range r.latencies {
		if !r.reads[kind] {
			n += len(ds)
		}
	}
	return n
}

// Latencies summarises every kind recorded so far.
func (r *Recorder) Latencies() map[string]Latency {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make(map[string]Latency, len(r.latencies))
	for kind, ds := range r.latencies {
		l := Summarize(ds)
		l.Read = r.reads[kind]
		out[kind] = l
	}
	return out
}

// Errors is a copy of the error counts by kind.
func (r *Recorder) Errors() map[string]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make(map[string]int, len(r.errors))
	for k, v := range r.errors {
		out[k] = v
	}
	return out
}

// Latency is the distribution of one action kind, in milliseconds.
type Latency struct {
	Count int     `json:"count"`
	P50   float64 `json:"p50_ms"`
	P95   float64 `json:"p95_ms"`
	P99   float64 `json:"p99_ms"`
	Max   float64 `json:"max_ms"`
	// Read: a poll while waiting, not an action.
	Read bool `json:"read,omitempty"`
}

// Summarize computes the percentiles of ds (nearest-rank method).
func Summarize(ds []time.Duration) Latency {
	if len(ds) == 0 {
		return Latency{}
	}
	sorted := slices.Clone(ds)
	slices.Sort(sorted)
	return Latency{
		Count: len(sorted),
		P50:   ms(Percentile(sorted, 50)),
		P95:   ms(Percentile(sorted, 95)),
		P99:   ms(Percentile(sorted, 99)),
		Max:   ms(sorted[len(sorted)-1]),
	}
}

// Percentile is the nearest-rank p-th percentile of sorted (ascending), zero
// when empty: the smallest value with at least p% of the values at or below it.
func Percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	rank = min(max(rank, 1), len(sorted))
	return sorted[rank-1]
}

func ms(d time.Duration) float64 { return math.Round(float64(d)/float64(time.Millisecond)*100) / 100 }

// Distribution summarises integer samples (history events per order).
type Distribution struct {
	Count int     `json:"count"`
	Mean  float64 `json:"mean"`
	P50   int     `json:"p50"`
	P95   int     `json:"p95"`
	Max   int     `json:"max"`
}

// Distribute summarises values.
func Distribute(values []int) Distribution {
	if len(values) == 0 {
		return Distribution{}
	}
	sorted := slices.Clone(values)
	sort.Ints(sorted)
	sum := 0
	for _, v := range sorted {
		sum += v
	}
	at := func(p float64) int {
		rank := int(math.Ceil(p / 100 * float64(len(sorted))))
		return sorted[min(max(rank, 1), len(sorted))-1]
	}
	return Distribution{
		Count: len(sorted),
		Mean:  math.Round(float64(sum)/float64(len(sorted))*10) / 10,
		P50:   at(50), P95: at(95), Max: sorted[len(sorted)-1],
	}
}

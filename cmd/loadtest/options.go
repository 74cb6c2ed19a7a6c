package main

import (
	"crypto/rand"
	"encoding/hex"
	"flag"
	"os"
	"time"

	"github.com/orderflow/orderflow/internal/config"
)

type options struct {
	api         string
	secret      string
	orders      int
	concurrency int
	out         string
	start       string // orderflow binary to run in dev mode; empty: use a running stack
	workDir     string
	supplier    string
	baselineTQ  string
	wait        time.Duration
	minReview   time.Duration
}

func (o *options) register(fs *flag.FlagSet) {
	secret := os.Getenv("ORDERFLOW_TOKEN_SECRET")
	if secret == "" {
		secret = config.DevTokenSecret
	}
	fs.StringVar(&o.api, "api", "http://localhost:8080", "base URL of the API (ignored with -start)")
	fs.StringVar(&o.secret, "token-secret", secret, "secret signing bearer tokens (default ORDERFLOW_TOKEN_SECRET or the dev secret; chaos and scale, whose workers refuse the dev secret, use a random one instead)")
	fs.IntVar(&o.orders, "n", 100, "orders per flow (baseline: workflows)")
	fs.IntVar(&o.concurrency, "c", 8, "orders driven at once")
	fs.StringVar(&o.out, "out", "", "write the report as JSON to this file")
	fs.StringVar(&o.start, "start", "", "start `BIN dev` (an orderflow binary) on the mode's own ports with a fresh database (cmd/loadtest/stack.go: bench 18080/17233/18233 and orderflow_bench, chaos 18180/…, scale 18280/…)")
	fs.StringVar(&o.workDir, "workdir", "", "where -start keeps Temporal data and logs (default a new temporary directory)")
	fs.StringVar(&o.supplier, "supplier", "sup_demo_1", "supplier that accepts the marketplace orders")
	fs.StringVar(&o.baselineTQ, "baseline-task-queue", "loadtest-baseline", "task queue of the baseline workflow")
	fs.DurationVar(&o.wait, "wait", 3*time.Minute, "longest wait for one step of an order")
	fs.DurationVar(&o.minReview, "min-review", 10*time.Second, "with -start: ORDERFLOW_MIN_REVIEW, so a member's first invoice is issued during the run")
}

// ownStackSecret replaces dev mode's public secret with a random one for a
// stack the tool starts itself: its `orderflow worker`s run outside dev
// mode, which refuses dev mode's public secrets.
func (o *options) ownStackSecret() {
	if o.secret != config.DevTokenSecret {
		return
	}
	b := make([]byte, 32)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	o.secret = hex.EncodeToString(b)
}

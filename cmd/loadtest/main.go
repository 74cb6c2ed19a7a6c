// Command loadtest measures orderflow under load over its real HTTP API.
//
//	loadtest bench     N orders of both flows through their lifecycles, then the baseline
//	loadtest baseline  raw Temporal only: update-with-start + update + completion
//	loadtest chaos     orders under faults (worker SIGKILLs, a Postgres restart,
//	                   SendGrid 429/500 bursts), then an audit of the end state
//	loadtest scale     many orders left open on their timers, then worker memory
//	                   and API latency while they wait, per worker cache size
//	loadtest cluster   the production shape of docker-compose.yml on this machine
//	                   (Temporal server on Postgres, workers, API replicas): checks
//	                   across replicas, both lifecycles under faults, the audit
//
// With -start BIN it starts `BIN dev` itself on other ports, a fresh data
// directory and database, and short member windows; otherwise it drives the
// stack at -api and TEMPORAL_*.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "usage: loadtest bench|baseline|chaos|scale|cluster [flags] (loadtest bench -h for the flags)")
		return 2
	}
	switch args[0] {
	case "chaos":
		return runChaos(ctx, args[1:], stdout, stderr)
	case "scale":
		return runScale(ctx, args[1:], stdout, stderr)
	case "cluster":
		return runCluster(ctx, args[1:], stdout, stderr)
	}
	var o options
	fs := flag.NewFlagSet("loadtest "+args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	o.register(fs)
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	var err error
	switch args[0] {
	case "bench":
		err = bench(ctx, o, stdout, stderr, true)
	case "baseline":
		err = bench(ctx, o, stdout, stderr, false)
	default:
		fmt.Fprintf(stderr, "loadtest: unknown mode %q (bench, baseline, chaos, scale or cluster)\n", args[0])
		return 2
	}
	if err != nil {
		fmt.Fprintf(stderr, "loadtest %s: %v\n", args[0], err)
		return 1
	}
	return 0
}

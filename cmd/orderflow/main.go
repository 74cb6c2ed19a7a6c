// Command orderflow runs orderflow: `dev` runs everything in one process
// (embedded Temporal server and Web UI, worker, API); `worker`, `api` and
// `migrate` are the parts of a real deployment; `token` mints bearer tokens.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
)

// command is one subcommand. run returns an error whose message is printed
// as a single line: bad configuration never ends in a stack trace.
type command struct {
	summary string
	run     func(ctx context.Context, args []string, env environment) error
}

// environment is what a command may read and write besides its arguments.
type environment struct {
	vars   map[string]string
	stdout io.Writer
	stderr io.Writer
}

var commands = map[string]command{
	"worker":  {"run a worker (workflows and activities) against TEMPORAL_ADDRESS", runWorker},
	"api":     {"serve the HTTP API on ORDERFLOW_API_ADDR", runAPI},
	"migrate": {"apply the database migrations to DATABASE_URL and exit", runMigrate},
	"token":   {"mint a bearer token: token --role ROLE --sub ID [--ttl 24h]", runToken},
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], environment{vars: environ(), stdout: os.Stdout, stderr: os.Stderr})
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, env environment) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(env.stderr)
		return 2
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(env.stderr, "orderflow: unknown command %q\n", args[0])
		usage(env.stderr)
		return 2
	}
	if err := cmd.run(ctx, args[1:], env); err != nil {
		fmt.Fprintf(env.stderr, "orderflow %s: %s\n", args[0], strings.Join(strings.Fields(err.Error()), " "))
		return 1
	}
	return 0
}

func usage(w io.Writer) {
	names := make([]string, 0, len(commands))
	for name := range commands {
		names = append(names, name)
	}
	sort.Strings(names)
	fmt.Fprintln(w, "usage: orderflow COMMAND [options]")
	for _, name := range names {
		fmt.Fprintf(w, "  %-8s %s\n", name, commands[name].summary)
	}
}

func environ() map[string]string {
	vars := map[string]string{}
	for _, kv := range os.Environ() {
		if k, v, ok := strings.Cut(kv, "="); ok {
			vars[k] = v
		}
	}
	return vars
}

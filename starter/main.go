// Command starter drives orderflow from a terminal through its HTTP API, the
// way the Temporal samples' starters drive their workflows. It never talks
// to Temporal: it is the reference client of the API.
//
//	go run ./starter demo                                   # both lifecycles, end to end
//	go run ./starter create --flow marketplace              # a sample order (or --file order.json)
//	go run ./starter act ID set_margin --as purchasing:p-1 --json '{"margin_percent": 12}'
//	go run ./starter show ID                                # status, deadlines, timeline, documents
//	go run ./starter list --status screening
//	go run ./starter filters                                # the Web UI's everyday filters, for now
//	go run ./starter token --role staff --sub s-1
//	go run ./starter health | whoami
//
// Environment: ORDERFLOW_API_URL (default http://localhost:8080),
// ORDERFLOW_TOKEN (a fixed token; otherwise tokens are minted per role with
// ORDERFLOW_TOKEN_SECRET, default dev mode's public secret),
// ORDERFLOW_WEB_UI_URL (default http://localhost:8233) and TEMPORAL_NAMESPACE
// (default default) for the Web UI links.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"time"

	"github.com/orderflow/orderflow/internal/auth"
	"github.com/orderflow/orderflow/internal/config"
)

const usage = `usage: starter COMMAND [flags]
  demo                           walk a marketplace and a member order through their lifecycles
  create --flow marketplace|member [--file order.json] [--as ROLE:ID] [...]
  act ID ACTION [--json PAYLOAD] [--as ROLE:ID]
  show ID [--as ROLE:ID]
  list [--status S] [--flow F] [--owner O] [--as ROLE:ID]
  filters                        the Web UI list filters staff use every day, with links
  token --role ROLE --sub ID [--ttl 24h]
  health | whoami
run "starter COMMAND -h" for a command's flags`

// session is what every command works with: the API as some caller, and
// where the Temporal Web UI shows each order's workflow.
type session struct {
	api       client
	webUI     string
	namespace string
	// poll is how often demo re-reads an order while it waits.
	poll time.Duration
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	secret := envOr("ORDERFLOW_TOKEN_SECRET", config.DevTokenSecret)
	s := session{
		api: client{
			base: envOr("ORDERFLOW_API_URL", "http://localhost:8080"), token: os.Getenv("ORDERFLOW_TOKEN"),
			tokens: auth.NewTokens(secret), http: &http.Client{Timeout: 30 * time.Second},
		},
		webUI:     envOr("ORDERFLOW_WEB_UI_URL", "http://localhost:8233"),
		namespace: envOr("TEMPORAL_NAMESPACE", "default"),
		poll:      500 * time.Millisecond,
	}
	if err := run(ctx, s, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "starter:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, s session, args []string, out io.Writer) error {
	if len(args) == 0 {
		return errors.New(usage)
	}
	commands := map[string]func(context.Context, session, []string, io.Writer) error{
		"health": health, "whoami": whoami, "token": token, "create": create,
		"act": act, "show": show, "list": list, "demo": demo, "filters": filters,
	}
	cmd, ok := commands[args[0]]
	if !ok {
		return fmt.Errorf("unknown command %q\n%s", args[0], usage)
	}
	if err := cmd(ctx, s, args[1:], out); !errors.Is(err, flag.ErrHelp) {
		return err
	}
	return nil
}

func envOr(key, fallback string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return fallback
}

// Command starter drives orderflow from a terminal through its HTTP API, the
// way the Temporal samples' starters drive their workflows. It is also the
// reference client of the API. Orders and actions arrive with the lifecycles;
// for now it checks a stack and a token:
//
//	go run ./starter health                      # is the stack ready?
//	go run ./starter whoami                      # who does $ORDERFLOW_TOKEN name?
//
// ORDERFLOW_API_URL (default http://localhost:8080) says where the API is.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"
)

func main() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c := client{base: envOr("ORDERFLOW_API_URL", "http://localhost:8080"), token: os.Getenv("ORDERFLOW_TOKEN"), http: http.DefaultClient}
	if err := run(ctx, c, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "starter:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, c client, args []string, out io.Writer) error {
	if len(args) != 1 {
		return errors.New("usage: starter health | whoami")
	}
	var path string
	switch args[0] {
	case "health":
		path = "/readyz"
	case "whoami":
		if c.token == "" {
			return errors.New("set ORDERFLOW_TOKEN (mint one with `go run ./cmd/orderflow token --role ROLE --sub ID`)")
		}
		path = "/v1/me"
	default:
		return fmt.Errorf("unknown command %q (usage: starter health | whoami)", args[0])
	}
	body, err := c.get(ctx, path)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(out, string(body))
	return err
}

type client struct {
	base  string
	token string
	http  *http.Client
}

// get returns the body of a 2xx answer, or the problem's detail as an error.
func (c client) get(ctx context.Context, path string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+path, nil)
	if err != nil {
		return nil, err
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("cannot reach the API at %s (is `make run` running?): %w", c.base, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode/100 == 2 {
		return body, nil
	}
	var problem struct{ Detail string }
	if json.Unmarshal(body, &problem) == nil && problem.Detail != "" {
		return nil, fmt.Errorf("%s: %s", resp.Status, problem.Detail)
	}
	return nil, fmt.Errorf("%s: %s", resp.Status, body)
}

func envOr(key, fallback string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return fallback
}

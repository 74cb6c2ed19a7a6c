package e2e_test

// The API's server as `orderflow api` runs it (issue 11): slow and idle
// clients cannot hold connections, and /dev/mail is dev mode's only.

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/orderflow/orderflow/api"
	"github.com/orderflow/orderflow/internal/app"
	"github.com/orderflow/orderflow/internal/auth"
	"github.com/orderflow/orderflow/internal/config"
	"github.com/orderflow/orderflow/internal/pgtest"
)

func limits(read, idle time.Duration) config.HTTP {
	return config.HTTP{ReadHeaderTimeout: 10 * time.Second, ReadTimeout: read, WriteTimeout: time.Minute, IdleTimeout: idle, MaxConnections: 64}
}

// closedWithin reads from conn until the server closes it, or fails the test
// after bound (a generous wait, not a measurement).
func closedWithin(t *testing.T, conn net.Conn, bound time.Duration) string {
	t.Helper()
	done := make(chan string, 1)
	go func() {
		b, _ := io.ReadAll(conn) // ends when the server closes (or resets) the connection
		done <- string(b)
	}()
	select {
	case got := <-done:
		return got
	case <-time.After(bound):
		t.Fatalf("the server still holds the connection after %s", bound)
		return ""
	}
}

// A body sent a byte at a time held a connection for minutes (4,000
// half-sent webhooks at once): the read timeout cuts it off.
func TestServerCutsATrickledBody(t *testing.T) {
	addr := serveAPIAt(t, limits(500*time.Millisecond, time.Minute))
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := fmt.Fprintf(conn, "POST /v1/webhooks/payments HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	defer close(stop)
	go func() { // a byte every 20 ms: 100 kB would take over half an hour
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				if _, err := conn.Write([]byte(" ")); err != nil {
					return
				}
			}
		}
	}()
	answer := closedWithin(t, conn, time.Minute)
	if answer != "" && !strings.HasPrefix(answer, "HTTP/1.1 4") {
		t.Fatalf("the cut-off request was answered with %q", firstLine(answer))
	}
}

// An idle keep-alive connection is closed after the idle timeout.
func TestServerClosesIdleConnections(t *testing.T) {
	addr := serveAPIAt(t, limits(time.Minute, 500*time.Millisecond))
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := fmt.Fprintf(conn, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Close {
		t.Fatalf("healthz = %d (close %v): the connection should stay open for the next request", resp.StatusCode, resp.Close)
	}
	closedWithin(t, conn, time.Minute)
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\r\n")
	return line
}

// serveAPIAt runs the router (without Temporal or Postgres: the webhook
// endpoint reads its body before it needs either) through app.Serve with
// limits l on a free loopback port, and returns its address.
func serveAPIAt(t *testing.T, l config.HTTP) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	h := api.New(api.Deps{
		Tokens: auth.NewTokens("trust-http-test-secret-0123456789"), Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Registry: prometheus.NewRegistry(), WebhookSecret: []byte("trust-http-webhook"),
	})
	ctx, cancel := context.WithCancel(context.Background())
	wait, err := app.Serve(ctx, addr, l, h, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		_ = wait()
	})
	return addr
}

// /dev/mail has no login: `orderflow api` never serves it, even in capture
// mode; dev mode does.
func TestDevMailIsServedInDevModeOnly(t *testing.T) {
	for _, mode := range []config.Mode{config.Production, config.DevMode} {
		name := map[config.Mode]string{config.Production: "production", config.DevMode: "dev"}[mode]
		t.Run(name, func(t *testing.T) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			addr := ln.Addr().String()
			ln.Close()
			cfg, err := config.Load(config.Production, map[string]string{
				"DATABASE_URL":                     pgtest.NewURL(t),
				"ORDERFLOW_API_ADDR":               addr,
				"ORDERFLOW_PUBLIC_URL":             "http://" + addr,
				"ORDERFLOW_TOKEN_SECRET":           strings.Repeat("t", 40),
				"ORDERFLOW_PAYMENT_WEBHOOK_SECRET": "trust-http-webhook",
				"ORDERFLOW_EMAIL_MODE":             "capture",
			})
			if err != nil {
				t.Fatal(err)
			}
			cfg.Mode = mode // what config.Load(DevMode) records; the rest as production
			log := slog.New(slog.NewTextHandler(io.Discard, nil))
			pool, err := app.OpenDatabase(context.Background(), cfg.DatabaseURL, app.DatabaseExisting, log)
			if err != nil {
				t.Fatal(err)
			}
			defer pool.Close()
			ctx, cancel := context.WithCancel(context.Background())
			exited := make(chan error, 1)
			ready := make(chan struct{})
			go func() {
				exited <- app.Process{Config: cfg, Logger: log, Pool: pool, API: true, OnReady: func() { close(ready) }}.Run(ctx)
			}()
			defer func() {
				cancel()
				<-exited
			}()
			select {
			case <-ready:
			case err := <-exited:
				t.Fatalf("the process ended: %v", err)
			case <-time.After(time.Minute):
				t.Fatal("the process is not ready after a minute")
			}
			resp, err := http.Get("http://" + addr + "/dev/mail")
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			want := map[config.Mode]int{config.Production: http.StatusNotFound, config.DevMode: http.StatusOK}[mode]
			if resp.StatusCode != want {
				t.Fatalf("/dev/mail in %s mode = %d, want %d", name, resp.StatusCode, want)
			}
		})
	}
}

// Package webui serves the Temporal Web UI from assets embedded in the
// binary (the ui-server module at the version go.mod names): dev mode's, and
// the one `make cluster` starts beside a Temporal server of its own.
package webui

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"time"

	uiserver "github.com/temporalio/ui-server/v2/server"
	uiconfig "github.com/temporalio/ui-server/v2/server/config"
	uioptions "github.com/temporalio/ui-server/v2/server/server_options"
)

// UI is a running Web UI.
type UI struct {
	server *uiserver.Server
	done   chan struct{} // closed when the UI server's Start returns
}

// Start serves the UI on host:port for the Temporal frontend at
// frontendAddr and waits until it answers. The caller must have checked that
// the port is free: the UI server exits the process otherwise.
func Start(ctx context.Context, host string, port int, frontendAddr, namespace string) (*UI, error) {
	server, err := newUIServer(&uiconfig.Config{
		Host:                host,
		Port:                port,
		TemporalGRPCAddress: frontendAddr,
		DefaultNamespace:    namespace,
		EnableUI:            true,
		// Plain HTTP on localhost: a Secure cookie would never come back and
		// every write action (signal, reset, activity pause) would fail CSRF.
		CORS: uiconfig.CORS{CookieInsecure: true},
		// The browser would fetch release news from temporal.io; a dev box may be
		// offline, and nobody here needs a newer-version banner.
		DisableNewsFetch:   true,
		NotifyOnNewVersion: false,
		HideLogs:           true,
	})
	if err != nil {
		return nil, err
	}
	w := &UI{server: server, done: make(chan struct{})}
	go func() {
		defer close(w.done)
		_ = server.Start() // returns nil once stopped; a listen failure exits inside it
	}()
	if err := w.waitReady(ctx, "http://"+net.JoinHostPort(host, strconv.Itoa(port))+"/healthz"); err != nil {
		w.Stop()
		return nil, err
	}
	return w, nil
}

// newUIServer turns the UI server's panics on bad configuration into errors.
func newUIServer(cfg *uiconfig.Config) (server *uiserver.Server, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("webui:  configuration: %v", r)
		}
	}()
	return uiserver.NewServer(uioptions.WithConfigProvider(cfg)), nil
}

func (w *UI) waitReady(ctx context.Context, healthURL string) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	client := &http.Client{Timeout: 2 * time.Second}
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, healthURL, nil)
		if err != nil {
			return fmt.Errorf("webui:  health check: %w", err)
		}
		if resp, err := client.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-w.done:
			return errors.New("webui:  server stopped while starting")
		case <-ctx.Done():
			return fmt.Errorf("webui:  did not answer at %s: %w", healthURL, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Stop stops the UI server and waits until it has.
func (w *UI) Stop() {
	w.server.Stop()
	<-w.done
}

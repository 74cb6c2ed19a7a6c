package devserver

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	uiserver "github.com/temporalio/ui-server/v2/server"
	uiconfig "github.com/temporalio/ui-server/v2/server/config"
	uioptions "github.com/temporalio/ui-server/v2/server/server_options"
)

// webUI is the Temporal Web UI served from assets embedded in the binary.
type webUI struct {
	server *uiserver.Server
	done   chan struct{} // closed when the UI server's Start returns
}

// startUI serves the UI on ui and waits until it answers. The caller must have
// checked that the port is free: the UI server exits the process otherwise.
func startUI(ctx context.Context, ui endpoint, frontendAddr, namespace string) (*webUI, error) {
	server, err := newUIServer(&uiconfig.Config{
		Host:                ui.host,
		Port:                ui.port,
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
	w := &webUI{server: server, done: make(chan struct{})}
	go func() {
		defer close(w.done)
		_ = server.Start() // returns nil once stopped; a listen failure exits inside it
	}()
	if err := w.waitReady(ctx, "http://"+ui.addr()+"/healthz"); err != nil {
		w.stop()
		return nil, err
	}
	return w, nil
}

// newUIServer turns the UI server's panics on bad configuration into errors.
func newUIServer(cfg *uiconfig.Config) (server *uiserver.Server, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("devserver: Web UI configuration: %v", r)
		}
	}()
	return uiserver.NewServer(uioptions.WithConfigProvider(cfg)), nil
}

func (w *webUI) waitReady(ctx context.Context, healthURL string) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	client := &http.Client{Timeout: 2 * time.Second}
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, healthURL, nil)
		if err != nil {
			return fmt.Errorf("devserver: Web UI health check: %w", err)
		}
		if resp, err := client.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-w.done:
			return errors.New("devserver: Web UI server stopped while starting")
		case <-ctx.Done():
			return fmt.Errorf("devserver: Web UI did not answer at %s: %w", healthURL, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func (w *webUI) stop() {
	w.server.Stop()
	<-w.done
}

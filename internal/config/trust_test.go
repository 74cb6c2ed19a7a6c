package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func productionEnv(extra map[string]string) map[string]string {
	env := map[string]string{
		"ORDERFLOW_TOKEN_SECRET":           strings.Repeat("s", 32),
		"ORDERFLOW_PAYMENT_WEBHOOK_SECRET": "webhook-secret",
		"ORDERFLOW_EMAIL_MODE":             "sendgrid",
		"SENDGRID_API_KEY":                 "SG.key",
	}
	for k, v := range extra {
		env[k] = v
	}
	return env
}

// The development secrets are public: a process outside dev mode refuses
// them, naming the variable and what to do.
func TestProductionRefusesTheDevSecrets(t *testing.T) {
	for name, tc := range map[string]struct {
		env  map[string]string
		want string
	}{
		"dev token secret":   {productionEnv(map[string]string{"ORDERFLOW_TOKEN_SECRET": DevTokenSecret}), "ORDERFLOW_TOKEN_SECRET is the public development secret"},
		"dev webhook secret": {productionEnv(map[string]string{"ORDERFLOW_PAYMENT_WEBHOOK_SECRET": DevWebhookSecret}), "ORDERFLOW_PAYMENT_WEBHOOK_SECRET is the public development secret"},
		"dev token secret as webhook secret": {productionEnv(map[string]string{"ORDERFLOW_PAYMENT_WEBHOOK_SECRET": DevTokenSecret}),
			"ORDERFLOW_PAYMENT_WEBHOOK_SECRET is the public development secret"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Load(Production, tc.env)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to say %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error spans several lines: %q", err)
			}
		})
	}
	// Dev mode fills them in and takes them.
	c, err := Load(DevMode, map[string]string{})
	if err != nil || c.TokenSecret != DevTokenSecret || c.PaymentWebhookSecret != DevWebhookSecret || c.Mode != DevMode {
		t.Fatalf("dev mode: %+v, %v", c, err)
	}
	if c, err := Load(Production, productionEnv(nil)); err != nil || c.Mode != Production {
		t.Fatalf("production: mode %v, %v", c.Mode, err)
	}
}

// Dev mode (public secrets, an unauthenticated mail inbox) listens on
// loopback unless told otherwise; a deployment listens on every interface.
func TestDevModeListensOnLoopback(t *testing.T) {
	dev, err := Load(DevMode, map[string]string{})
	if err != nil {
		t.Fatal(err)
	}
	if dev.APIAddr != "127.0.0.1:8080" {
		t.Errorf("dev mode's API address = %q, want 127.0.0.1:8080", dev.APIAddr)
	}
	prod, err := Load(Production, productionEnv(nil))
	if err != nil {
		t.Fatal(err)
	}
	if prod.APIAddr != ":8080" {
		t.Errorf("production API address = %q, want :8080", prod.APIAddr)
	}
	for _, mode := range []Mode{DevMode, Production} {
		c, err := Load(mode, productionEnv(map[string]string{"ORDERFLOW_API_ADDR": "0.0.0.0:9999"}))
		if err != nil || c.APIAddr != "0.0.0.0:9999" {
			t.Errorf("mode %v: ORDERFLOW_API_ADDR ignored: %q, %v", mode, c.APIAddr, err)
		}
	}
}

func TestHTTPLimits(t *testing.T) {
	c, err := Load(Production, productionEnv(nil))
	if err != nil {
		t.Fatal(err)
	}
	want := HTTP{ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second, WriteTimeout: 60 * time.Second, IdleTimeout: 60 * time.Second, MaxConnections: 1024}
	if c.HTTP != want {
		t.Errorf("HTTP defaults = %+v, want %+v", c.HTTP, want)
	}
	for name, value := range map[string]string{
		"ORDERFLOW_HTTP_READ_TIMEOUT":        "0s",
		"ORDERFLOW_HTTP_WRITE_TIMEOUT":       "-1s",
		"ORDERFLOW_HTTP_IDLE_TIMEOUT":        "0s",
		"ORDERFLOW_HTTP_READ_HEADER_TIMEOUT": "0s",
		"ORDERFLOW_HTTP_MAX_CONNECTIONS":     "0",
	} {
		if _, err := Load(Production, productionEnv(map[string]string{name: value})); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s=%s: err = %v, want it named", name, value, err)
		}
	}
}

// Every variable is in the README's configuration table, with its default.
func TestReadmeDocumentsEveryVariable(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range Names() {
		if !strings.Contains(string(readme), "| `"+name+"` |") {
			t.Errorf("README's configuration table has no row for %s", name)
		}
	}
}

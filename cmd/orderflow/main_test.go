package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/orderflow/orderflow/internal/auth"
	"github.com/orderflow/orderflow/internal/config"
	"github.com/orderflow/orderflow/internal/pgtest"
	"github.com/orderflow/orderflow/lifecycle"
)

func runCommand(t *testing.T, ctx context.Context, vars map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(ctx, args, environment{vars: vars, stdout: &out, stderr: &errOut})
	return code, out.String(), errOut.String()
}

// lastLine is what the process said when it gave up.
func lastLine(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return lines[len(lines)-1]
}

func productionVars(extra map[string]string) map[string]string {
	vars := map[string]string{
		"ORDERFLOW_TOKEN_SECRET":           strings.Repeat("k", 40),
		"ORDERFLOW_PAYMENT_WEBHOOK_SECRET": "webhook",
		"ORDERFLOW_EMAIL_MODE":             "capture",
		"LOG_LEVEL":                        "error",
	}
	for k, v := range extra {
		vars[k] = v
	}
	return vars
}

// Bad configuration ends the process with one clear line, never a stack trace.
func TestBadConfigurationExitsWithOneClearLine(t *testing.T) {
	migrated := pgtest.NewURL(t)
	cases := []struct {
		name string
		args []string
		vars map[string]string
		want string
	}{
		{"missing secret", []string{"api"}, map[string]string{"LOG_LEVEL": "error"}, "ORDERFLOW_TOKEN_SECRET must be set"},
		{"malformed database url", []string{"worker"}, productionVars(map[string]string{"DATABASE_URL": "postgres://x:y@h:notaport/db"}), "DATABASE_URL"},
		{"unreachable postgres", []string{"worker"}, productionVars(map[string]string{"DATABASE_URL": "postgres://postgres@127.0.0.1:1/orderflow"}), "pg_ctlcluster"},
		{"unreachable temporal", []string{"worker"}, productionVars(map[string]string{"DATABASE_URL": migrated, "TEMPORAL_ADDRESS": "127.0.0.1:1"}), "cannot reach Temporal at 127.0.0.1:1"},
		{"unmigrated database", []string{"api"}, productionVars(map[string]string{"DATABASE_URL": pgtest.NewEmptyURL(t)}), "run `orderflow migrate`"},
		{"dev without postgres", []string{"dev"}, map[string]string{"DATABASE_URL": "postgres://postgres@127.0.0.1:1/orderflow"}, "pg_ctlcluster"},
		{"bad duration", []string{"dev"}, map[string]string{"ORDERFLOW_PAYMENT_WINDOW": "tomorrow"}, "ORDERFLOW_PAYMENT_WINDOW"},
		{"unknown command", []string{"serve"}, nil, "usage: orderflow"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			code, _, stderr := runCommand(t, ctx, tc.vars, tc.args...)
			if code == 0 {
				t.Fatalf("exit code 0, want failure; stderr:\n%s", stderr)
			}
			if strings.Contains(stderr, "goroutine ") || strings.Contains(stderr, "panic") {
				t.Fatalf("stack trace in the output:\n%s", stderr)
			}
			if !strings.Contains(stderr, tc.want) {
				t.Fatalf("stderr does not say %q:\n%s", tc.want, stderr)
			}
			if tc.name != "unknown command" && !strings.HasPrefix(lastLine(stderr), "orderflow "+tc.args[0]+": ") {
				t.Fatalf("last line %q is not the command's error", lastLine(stderr))
			}
		})
	}
}

func TestTokenCommandMintsAVerifiableToken(t *testing.T) {
	code, stdout, stderr := runCommand(t, context.Background(), map[string]string{}, "token", "--role", "member", "--sub", "m-100", "--ttl", "2h")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	p, err := auth.NewTokens(config.DevTokenSecret).Verify(strings.TrimSpace(stdout))
	if err != nil || p.Role != lifecycle.Member || p.Subject != "m-100" {
		t.Fatalf("token names %+v, %v", p, err)
	}
	if !strings.Contains(stderr, "development secret") {
		t.Errorf("no warning that the dev secret was used: %q", stderr)
	}

	secret := strings.Repeat("z", 32)
	code, stdout, _ = runCommand(t, context.Background(), map[string]string{"ORDERFLOW_TOKEN_SECRET": secret}, "token", "--role", "ops", "--sub", "o-1")
	if _, err := auth.NewTokens(secret).Verify(strings.TrimSpace(stdout)); code != 0 || err != nil {
		t.Fatalf("token with the configured secret: exit %d, %v", code, err)
	}

	code, _, stderr = runCommand(t, context.Background(), map[string]string{}, "token", "--role", "king", "--sub", "x")
	if code != 1 || !strings.Contains(stderr, `unknown role "king"`) {
		t.Fatalf("bad role: exit %d, %q", code, stderr)
	}
}

func TestMigrateCommand(t *testing.T) {
	url := pgtest.NewEmptyURL(t)
	for range 2 { // twice: the second run has nothing to do and still succeeds
		code, stdout, stderr := runCommand(t, context.Background(), map[string]string{"DATABASE_URL": url}, "migrate")
		if code != 0 || !strings.HasPrefix(stdout, "database is at migration ") {
			t.Fatalf("migrate: exit %d, %q, %q", code, stdout, stderr)
		}
	}
}

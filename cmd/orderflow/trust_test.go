package main

import (
	"context"
	"strings"
	"testing"

	"github.com/orderflow/orderflow/internal/config"
)

// Outside dev mode the public development secrets are refused at start, with
// one line saying which and what to do.
func TestDeploymentRefusesTheDevSecrets(t *testing.T) {
	for name, tc := range map[string]struct {
		command string
		vars    map[string]string
		want    string
	}{
		"api with the dev token secret":      {"api", productionVars(map[string]string{"ORDERFLOW_TOKEN_SECRET": config.DevTokenSecret}), "ORDERFLOW_TOKEN_SECRET is the public development secret"},
		"api with the dev webhook secret":    {"api", productionVars(map[string]string{"ORDERFLOW_PAYMENT_WEBHOOK_SECRET": config.DevWebhookSecret}), "ORDERFLOW_PAYMENT_WEBHOOK_SECRET is the public development secret"},
		"worker with the dev token secret":   {"worker", productionVars(map[string]string{"ORDERFLOW_TOKEN_SECRET": config.DevTokenSecret}), "ORDERFLOW_TOKEN_SECRET is the public development secret"},
		"worker with the dev webhook secret": {"worker", productionVars(map[string]string{"ORDERFLOW_PAYMENT_WEBHOOK_SECRET": config.DevWebhookSecret}), "ORDERFLOW_PAYMENT_WEBHOOK_SECRET is the public development secret"},
	} {
		t.Run(name, func(t *testing.T) {
			code, _, stderr := runCommand(t, context.Background(), tc.vars, tc.command)
			if code != 1 || !strings.Contains(lastLine(stderr), tc.want) || !strings.HasPrefix(lastLine(stderr), "orderflow "+tc.command+": configuration: ") {
				t.Fatalf("exit %d, stderr %q; want 1 and a line saying %q", code, stderr, tc.want)
			}
		})
	}
}

// Only people hold tokens: the command refuses client and system.
func TestTokenCommandMintsPersonRolesOnly(t *testing.T) {
	for _, role := range []string{"system", "client"} {
		code, stdout, stderr := runCommand(t, context.Background(), map[string]string{}, "token", "--role", role, "--sub", "payments-webhook")
		if code != 1 || stdout != "" || !strings.Contains(stderr, `no token may name the role "`+role+`"`) || !strings.Contains(stderr, "member, staff, customer, purchasing, finance, supplier, ops") {
			t.Fatalf("token --role %s: exit %d, stdout %q, stderr %q", role, code, stdout, stderr)
		}
	}
}

package devserver

import (
	"slices"
	"strings"
	"testing"
)

func TestPlanPortsDerivesInternalPortsAboveTheFrontend(t *testing.T) {
	cases := []struct {
		name, frontend, ui string
		reserved           []int
		want               []int // history, matching, worker
	}{
		{"defaults", "127.0.0.1:7233", "127.0.0.1:8233", nil, []int{7234, 7235, 7236}},
		{"skips the API port", "127.0.0.1:8078", "127.0.0.1:8233", nil, []int{8079, 8081, 8082}},
		{"skips the UI ports", "127.0.0.1:8231", "127.0.0.1:8234", nil, []int{8232, 8235, 8236}},
		{"skips reserved ports", "127.0.0.1:7233", "127.0.0.1:8233", []int{7234, 7236}, []int{7235, 7237, 7238}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			plan, err := planPorts(tc.frontend, tc.ui, tc.reserved)
			if err != nil {
				t.Fatal(err)
			}
			got := []int{plan.history.port, plan.matching.port, plan.worker.port}
			if !slices.Equal(got, tc.want) {
				t.Errorf("internal ports = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestPlanPortsWithPortZeroPicksDistinctPorts(t *testing.T) {
	plan, err := planPorts("127.0.0.1:0", "127.0.0.1:0", nil)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int]bool{}
	for _, e := range plan.all() {
		if e.port == 0 || seen[e.port] || e.port == 8080 || e.port == 8233 {
			t.Errorf("%s got port %d; ports so far %v", e.role, e.port, seen)
		}
		seen[e.port] = true
	}
}

func TestPlanPortsRejectsBadAddresses(t *testing.T) {
	cases := []struct{ frontend, ui, want string }{
		{"7233", "127.0.0.1:8233", "ORDERFLOW_DEV_TEMPORAL_ADDR"},
		{"example.com:7233", "127.0.0.1:8233", "IP address"},
		{"127.0.0.1:70000", "127.0.0.1:8233", "no valid port"},
		{"127.0.0.1:7233", "127.0.0.1:x", "ORDERFLOW_DEV_UI_ADDR"},
		{"127.0.0.1:8233", "127.0.0.1:8233", "cannot share"},
	}
	for _, tc := range cases {
		_, err := planPorts(tc.frontend, tc.ui, nil)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("planPorts(%q, %q) = %v, want an error containing %q", tc.frontend, tc.ui, err, tc.want)
		}
	}
}

func TestLocalhostMeansLoopback(t *testing.T) {
	plan, err := planPorts("localhost:7233", ":8233", nil)
	if err != nil {
		t.Fatal(err)
	}
	if plan.frontend.addr() != "127.0.0.1:7233" || plan.ui.addr() != "127.0.0.1:8233" {
		t.Errorf("addresses = %s, %s; want loopback", plan.frontend.addr(), plan.ui.addr())
	}
}

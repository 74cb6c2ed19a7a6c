package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// make cluster, small: the production shape of docker-compose.yml (a
// Temporal server binary on Postgres, two workers, two API replicas) with
// its checks across replicas, the five scripts under every kind of fault,
// and the audit. The binaries are built as the Makefile builds them.
func TestClusterRunSurvivesItsFaults(t *testing.T) {
	bin := t.TempDir()
	build := func(out string, env []string, args ...string) string {
		t.Helper()
		path := filepath.Join(bin, out)
		cmd := exec.Command("go", append([]string{"build", "-o", path}, args...)...)
		cmd.Env = append(os.Environ(), env...)
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go build %s: %v\n%s", out, err, b)
		}
		return path
	}
	server := build("temporal-server", nil, "go.temporal.io/server/cmd/server")
	sqlTool := build("temporal-sql-tool", nil, "go.temporal.io/server/cmd/tools/sql")
	orderflow := build("orderflow", []string{"CGO_ENABLED=0"}, "-tags", "nodev", "github.com/orderflow/orderflow/cmd/orderflow")
	previous := build("orderflow-previous", []string{"CGO_ENABLED=0"}, "-tags", "nodev", "-ldflags", previousReleaseFlags, "github.com/orderflow/orderflow/cmd/orderflow")
	dir, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "go.temporal.io/server").Output()
	if err != nil {
		t.Fatal(err)
	}
	schemaRoot := filepath.Join(strings.TrimSpace(string(dir)), "schema", "postgresql", "v12")

	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	var stdout, stderr bytes.Buffer
	code := run(ctx, []string{"cluster", "-start", orderflow, "-previous", previous, "-server", server, "-sql-tool", sqlTool, "-schema-root", schemaRoot,
		"-compose", filepath.Join("..", "..", "docker-compose.yml"), "-workdir", t.TempDir(),
		"-n", "2", "-c", "5", "-kills", "2", "-api-kills", "2", "-bursts", "2", "-fault-every", "4s"}, &stdout, &stderr)
	out := stdout.String()
	if code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr (end):\n%s", code, out, lastLines(stderr.String(), 40))
	}
	for _, want := range []string{
		"2 workers, 2 API replicas",
		"replica check: a create on replica 1 (201) retried on replica 2 answered 200",
		"replica check: supplier sup_demo_1's live feed held on replica 1 showed order",
		"load: 10 orders placed of 10 (0 scripts failed)",
		"worker SIGKILL 2", "API replica SIGKILL 2", "Temporal server restart 1", "SendGrid 429 burst 1", "SendGrid 500 burst 1",
		"rolling deploy of the workers 1", "an order placed after the roll records this build's version",
		"violations: 0",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the report lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "fault skipped") || strings.Contains(out, " 0 refunds") {
		t.Errorf("a fault was skipped or no refund was made:\n%s", out)
	}
}

// previousReleaseFlags build the release before version 4 of the lean
// engine, as the Makefile's cluster target does.
const previousReleaseFlags = "-X github.com/orderflow/orderflow/workflows.buildLeanVersion=3"

package deploy_test

// The one-shot jobs' scripts under deploy/temporal, run with the environment
// compose gives them against stand-ins for the Temporal tools of
// temporalio/admin-tools that log their arguments: the calls must be exactly
// the expected ones, in order.

import (
	"cmp"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestSetupNamespaceScript(t *testing.T) {
	project := loadProject(t, nil)
	setup := service(t, project, temporalSetup)
	args := searchAttributeArgs(t, project)
	flags := "--address temporal:7233 --namespace " + envValue(t, setup, "TEMPORAL_NAMESPACE")
	health := "operator cluster health --address temporal:7233"
	create := func(arg string) string {
		name, typ, _ := strings.Cut(arg, "=")
		return "operator search-attribute create " + flags + " --name " + name + " --type " + typ
	}
	registered := []string{health, health, health, // the server is still starting
		"operator namespace describe " + flags,
		"operator namespace create " + flags + " --retention 720h"}
	for _, arg := range args {
		registered = append(registered, create(arg))
	}
	tests := []struct {
		name      string
		fake      fakeTemporal
		args      []string
		wantErr   bool
		wantCalls []string
	}{
		{"registers every attribute, an existing one counts",
			fakeTemporal{failHealth: 2, existing: "OrderFlow"}, args, false, registered},
		{"stops on a type conflict",
			fakeTemporal{conflicting: "Overdue"}, []string{"NeedsAttention=Bool", "Overdue=Bool", "NextDeadline=Datetime"}, true,
			[]string{health, registered[3], registered[4], create("NeedsAttention=Bool"), create("Overdue=Bool")}},
		{"gives up on a dead server",
			fakeTemporal{failHealth: 1000, env: []string{"SETUP_ATTEMPTS=3"}}, []string{"OrderStatus=Keyword"}, true,
			[]string{health, health, health}},
		{"rejects NAME", fakeTemporal{}, []string{"OrderFlow=Keyword", "OrderStatus"}, true, nil},
		{"rejects =Type", fakeTemporal{}, []string{"OrderFlow=Keyword", "=Keyword"}, true, nil},
		{"rejects NAME=", fakeTemporal{}, []string{"OrderFlow=Keyword", "OrderStatus="}, true, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := []string{"SETUP_RETRY_SECONDS=0"}
			for k, v := range setup.Environment {
				env = append(env, k+"="+deref(v))
			}
			calls, out, err := tc.fake.run(t, "setup-namespace.sh", env, tc.args...)
			if (err != nil) != tc.wantErr || !slices.Equal(calls, tc.wantCalls) {
				t.Errorf("err %v (want error: %v), calls:\n%s\nwant:\n%s\noutput:\n%s", err, tc.wantErr,
					strings.Join(calls, "\n"), strings.Join(tc.wantCalls, "\n"), out)
			}
		})
	}
}

func TestSetupSchemaScript(t *testing.T) {
	const schema = "/etc/temporal/schema/postgresql/v12"
	all := []string{
		"--db temporal create",
		"--db temporal setup-schema -v 0.0",
		"--db temporal update-schema -d " + schema + "/temporal/versioned",
		"--db temporal_visibility create",
		"--db temporal_visibility setup-schema -v 0.0",
		"--db temporal_visibility update-schema -d " + schema + "/visibility/versioned",
	}
	calls, out, err := fakeTemporal{}.run(t, "setup-schema.sh", nil)
	if err != nil || !slices.Equal(calls, all) {
		t.Errorf("err %v, temporal-sql-tool calls:\n%s\nwant:\n%s\noutput:\n%s", err, strings.Join(calls, "\n"), strings.Join(all, "\n"), out)
	}
	calls, out, err = fakeTemporal{failSQL: "update-schema"}.run(t, "setup-schema.sh", nil)
	if err == nil || !slices.Equal(calls, all[:3]) {
		t.Errorf("a failing update-schema: err %v, calls %q, want a failure after %q\n%s", err, calls, all[:3], out)
	}
}

// fakeTemporal stands in for the temporal and temporal-sql-tool commands of
// temporalio/admin-tools: it logs each call and answers like the real tools.
type fakeTemporal struct {
	failHealth  int    // health checks that fail before one succeeds
	existing    string // attribute reported as already there with the same type
	conflicting string // attribute reported as there with another type
	failSQL     string // temporal-sql-tool subcommand that fails
	env         []string
}

const fakeTemporalScript = `#!/bin/sh
echo "$*" >> "$FAKE_DIR/calls"
case "$*" in
"operator cluster health"*)
	n=$(cat "$FAKE_DIR/health" 2>/dev/null || echo 0)
	echo $((n + 1)) > "$FAKE_DIR/health"
	[ "$n" -ge "$FAKE_FAIL_HEALTH" ] || { echo "connection refused" >&2; exit 1; } ;;
"operator namespace describe"*) echo "Namespace not found" >&2; exit 1 ;;
"operator search-attribute create"*"--name $FAKE_CONFLICT "*)
	echo "Error: search attribute $FAKE_CONFLICT already exists and has different type Keyword" >&2; exit 1 ;;
"operator search-attribute create"*"--name $FAKE_EXISTING "*)
	echo "Error: Search attribute $FAKE_EXISTING already exists." >&2; exit 1 ;;
"operator namespace create"* | "operator search-attribute create"*) ;;
*) echo "fake temporal: unexpected call $*" >&2; exit 2 ;;
esac
`

const fakeSQLToolScript = `#!/bin/sh
echo "$*" >> "$FAKE_DIR/calls"
case " $* " in *" $FAKE_FAIL_SQL "*) exit 1 ;; esac
`

// run runs a deploy/temporal script with the stand-ins first on PATH and
// returns the calls they logged.
func (f fakeTemporal) run(t *testing.T, script string, env []string, args ...string) (calls []string, output string, err error) {
	t.Helper()
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh to run the scripts with")
	}
	dir := t.TempDir()
	for name, body := range map[string]string{"temporal": fakeTemporalScript, "temporal-sql-tool": fakeSQLToolScript} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	orNone := func(s string) string { return cmp.Or(s, "<none>") }
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "sh", append([]string{filepath.Join(repoRoot(t), "deploy", "temporal", script)}, args...)...)
	cmd.Env = append(append(env, f.env...),
		"PATH="+dir+string(os.PathListSeparator)+os.Getenv("PATH"),
		"FAKE_DIR="+dir,
		fmt.Sprintf("FAKE_FAIL_HEALTH=%d", f.failHealth),
		"FAKE_EXISTING="+orNone(f.existing),
		"FAKE_CONFLICT="+orNone(f.conflicting),
		"FAKE_FAIL_SQL="+orNone(f.failSQL),
	)
	out, err := cmd.CombinedOutput()
	data, readErr := os.ReadFile(filepath.Join(dir, "calls"))
	if readErr == nil {
		calls = strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	}
	return calls, string(out), err
}

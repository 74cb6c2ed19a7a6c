package workflows

// Replays the committed histories of real runs (testdata/histories, recorded
// by internal/e2e's TestRecordHistories) against the workflow code as it is
// now: a change that would break orders already running fails here, before
// it reaches a worker. docs/versioning.md says how to change a workflow safely.

import (
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/temporalproto"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

const historiesDir = "../testdata/histories"

// committedHistories lists the history files; there must be some.
func committedHistories(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(historiesDir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("no histories in %s: record them (docs/versioning.md)", historiesDir)
	}
	return files
}

// newReplayer knows the order workflows under the names workers register.
func newReplayer() worker.WorkflowReplayer {
	r := worker.NewWorkflowReplayer()
	r.RegisterWorkflowWithOptions(MarketplaceOrder, workflow.RegisterOptions{Name: MarketplaceWorkflow})
	r.RegisterWorkflowWithOptions(MemberOrder, workflow.RegisterOptions{Name: MemberWorkflow})
	return r
}

// replayLogger keeps the SDK's replay chatter out of the test output and
// lets its errors through: a failing replay logs where the workflow stood.
func replayLogger() sdklog.Logger {
	return sdklog.NewStructuredLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError})))
}

// quietLogger drops everything: for replays expected to fail, whose
// failure the SDK logs as a panic with its stack.
func quietLogger() sdklog.Logger {
	return sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler))
}

func TestReplayCommittedHistories(t *testing.T) {
	for _, file := range committedHistories(t) {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".json"), func(t *testing.T) {
			if err := newReplayer().ReplayWorkflowHistoryFromJSONFile(replayLogger(), file); err != nil {
				t.Fatalf("%s no longer replays: %v", file, err)
			}
		})
	}
}

// Both workflows have histories: an empty or half-deleted directory would
// otherwise leave one flow unchecked.
func TestCommittedHistoriesCoverBothWorkflows(t *testing.T) {
	var types []string
	for _, file := range committedHistories(t) {
		types = append(types, readHistory(t, file).workflowType())
	}
	for _, want := range []string{MarketplaceWorkflow, MemberWorkflow} {
		if !slices.Contains(types, want) {
			t.Errorf("no committed history of %s (have %v)", want, types)
		}
	}
}

// A deliberately incompatible change, one timer before the order starts, is
// caught: the replayer fails with TMPRL1100, the SDK's code for a history
// the workflow code no longer reproduces (nondeterminism).
func TestReplayCatchesAnIncompatibleChange(t *testing.T) {
	file := filepath.Join(historiesDir, "marketplace_prepaid_completed.json")
	if err := newReplayer().ReplayWorkflowHistoryFromJSONFile(replayLogger(), file); err != nil {
		t.Fatalf("the unchanged workflow does not replay %s: %v", file, err)
	}
	r := worker.NewWorkflowReplayer()
	r.RegisterWorkflowWithOptions(marketplaceWithATimerFirst, workflow.RegisterOptions{Name: MarketplaceWorkflow})
	err := r.ReplayWorkflowHistoryFromJSONFile(quietLogger(), file)
	if err == nil {
		t.Fatal("the changed workflow replayed the old history without complaint")
	}
	if !strings.Contains(err.Error(), "[TMPRL1100]") {
		t.Fatalf("replay failed, but not for nondeterminism: %v", err)
	}
}

// marketplaceWithATimerFirst is the marketplace workflow with one command
// added before its first one.
func marketplaceWithATimerFirst(ctx workflow.Context, in MarketplaceInput) error {
	if err := workflow.Sleep(ctx, time.Second); err != nil {
		return err
	}
	return MarketplaceOrder(ctx, in)
}

// history is the part of a committed history file the tests look into.
type history struct {
	Events []struct {
		EventType                               string `json:"eventType"`
		WorkflowExecutionStartedEventAttributes *struct {
			WorkflowType struct {
				Name string `json:"name"`
			} `json:"workflowType"`
		} `json:"workflowExecutionStartedEventAttributes"`
		MarkerRecordedEventAttributes *struct {
			MarkerName string                     `json:"markerName"`
			Details    map[string]json.RawMessage `json:"details"`
		} `json:"markerRecordedEventAttributes"`
	} `json:"events"`
}

// readProtoHistory is a committed history as Temporal's own type.
func readProtoHistory(t *testing.T, file string) *historypb.History {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var h historypb.History
	if err := (temporalproto.CustomJSONUnmarshalOptions{}).Unmarshal(data, &h); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return &h
}

func readHistory(t *testing.T, file string) history {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var h history
	if err := json.Unmarshal(data, &h); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	if len(h.Events) == 0 {
		t.Fatalf("%s has no events", file)
	}
	return h
}

func (h history) workflowType() string {
	if a := h.Events[0].WorkflowExecutionStartedEventAttributes; a != nil {
		return a.WorkflowType.Name
	}
	return ""
}

// records reports whether the history has a workflow.GetVersion marker
// for changeID.
func (h history) records(changeID string) bool {
	for _, e := range h.Events {
		m := e.MarkerRecordedEventAttributes
		if m == nil || m.MarkerName != "Version" {
			continue
		}
		var payloads struct {
			Payloads []struct {
				Data []byte `json:"data"` // base64 in the file
			} `json:"payloads"`
		}
		if json.Unmarshal(m.Details["change-id"], &payloads) != nil || len(payloads.Payloads) != 1 {
			continue
		}
		var id string
		if json.Unmarshal(payloads.Payloads[0].Data, &id) == nil && id == changeID {
			return true
		}
	}
	return false
}

package workflows

// The worked example of docs/versioning.md: since change
// "cancel-tells-offered-suppliers", cancelling an order that suppliers are
// still considering tells them; orders cancelled before it told nobody. New
// runs take the new branch, histories from before the change take the old
// one, and the same change without its GetVersion guard breaks them.

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/orderflow/orderflow/lifecycle"
	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

// Offered to alpha, bravo and charlie; charlie declines; the customer cancels.
var cancelledWhileOffered = steps(paidAt1m, releasedAt3m, []step{
	{5 * minute, lifecycle.Decline, supplierC, OptionalReasonPayload{Reason: "fully booked"}},
	{10 * minute, lifecycle.Cancel, customer, because("found it cheaper")},
})

func TestCancelTellsTheSuppliersStillConsideringTheOffer(t *testing.T) {
	r := newRun(t)
	r.script(cancelledWhileOffered)
	r.execute(orderInput("prepaid"))

	r.requireCompleted()
	v := r.query(buyer)
	r.requireEmails(v, slices.Concat(paymentLinkMail, releaseMails, []string{
		"order_cancelled→" + ann, "order_cancelled→alpha@example.com", "order_cancelled→bravo@example.com", "refund_issued→" + ann,
	}))
	r.requireRefunds(v, 1)
	r.fakes.mu.Lock()
	defer r.fakes.mu.Unlock()
	for _, m := range r.fakes.sent {
		if m.Purpose == "order_cancelled" && m.To.Email != ann {
			if !strings.Contains(m.Text, "found it cheaper") || strings.Contains(m.Text, "refund") || strings.Contains(m.Text, "93.17") {
				t.Errorf("cancellation email to %s shows the reason and nothing of the customer's money? %q", m.To.Email, m.Text)
			}
		}
	}
}

// An order running the code from before the change (its history has no
// marker for it) keeps the old behaviour: only the customer is told.
func TestCancelBeforeTheChangeTellsOnlyTheCustomer(t *testing.T) {
	r := newRun(t)
	r.startedBefore(ChangeCancelTellsOfferedSuppliers)
	r.script(cancelledWhileOffered)
	r.execute(orderInput("prepaid"))

	r.requireCompleted()
	v := r.query(buyer)
	r.requireEmails(v, slices.Concat(paymentLinkMail, releaseMails, []string{"order_cancelled→" + ann, "refund_issued→" + ann}))
	r.requireRefunds(v, 1)
}

// The committed histories of a changed path: one recorded before the
// change, one after; both replay (TestReplayCommittedHistories), and the
// markers show which branch each took.
func TestHistoriesOfTheChangeTakeBothBranches(t *testing.T) {
	for change, path := range map[string]string{
		ChangeCancelTellsOfferedSuppliers: "marketplace_cancelled_pending",
		ChangeOneSignalLoop:               "marketplace_parked_email_retried",
	} {
		before := readHistory(t, filepath.Join(historiesDir, path+".json"))
		after := readHistory(t, filepath.Join(historiesDir, path+"_v1.json"))
		if before.records(change) {
			t.Errorf("%s: the history from before the change records it", change)
		}
		if !after.records(change) {
			t.Errorf("%s: the history from after the change does not record it", change)
		}
	}
}

// Without GetVersion, the same change breaks the orders cancelled before
// it: their history scheduled the refund where the code now emails the
// suppliers.
func TestTheChangeWithoutItsGuardBreaksOldHistories(t *testing.T) {
	r, err := worker.NewWorkflowReplayerWithOptions(worker.WorkflowReplayerOptions{
		Interceptors: []interceptor.WorkerInterceptor{&unguarded{}},
	})
	if err != nil {
		t.Fatal(err)
	}
	r.RegisterWorkflowWithOptions(MarketplaceOrder, workflow.RegisterOptions{Name: MarketplaceWorkflow})
	err = r.ReplayWorkflowHistoryFromJSONFile(quietLogger(), filepath.Join(historiesDir, "marketplace_cancelled_pending.json"))
	if err == nil || !strings.Contains(err.Error(), "[TMPRL1100]") {
		t.Fatalf("replaying the history from before the change without the guard: %v, want a nondeterminism error", err)
	}
}

// unguarded makes every workflow.GetVersion answer the newest version
// without recording anything: the code as if the change had no guard.
type unguarded struct {
	interceptor.WorkerInterceptorBase
}

func (*unguarded) InterceptWorkflow(_ workflow.Context, next interceptor.WorkflowInboundInterceptor) interceptor.WorkflowInboundInterceptor {
	return &unguardedInbound{WorkflowInboundInterceptorBase: interceptor.WorkflowInboundInterceptorBase{Next: next}}
}

type unguardedInbound struct {
	interceptor.WorkflowInboundInterceptorBase
}

func (i *unguardedInbound) Init(outbound interceptor.WorkflowOutboundInterceptor) error {
	return i.Next.Init(&unguardedOutbound{WorkflowOutboundInterceptorBase: interceptor.WorkflowOutboundInterceptorBase{Next: outbound}})
}

type unguardedOutbound struct {
	interceptor.WorkflowOutboundInterceptorBase
}

func (*unguardedOutbound) GetVersion(_ workflow.Context, _ string, _, maxSupported workflow.Version) workflow.Version {
	return maxSupported
}

// The rolling deploy of version 4 of lean-engine: the previous release
// (buildLeanVersion 3, as make cluster builds it) replays the orders it
// started, and refuses one started at version 4, whose workflow task then
// fails on it and runs again on a newer worker; this build replays both.
func TestPreviousReleaseRefusesOrdersOfTheNewVersion(t *testing.T) {
	v1 := filepath.Join(historiesDir, "marketplace_prepaid_completed_v6.json")
	v2 := filepath.Join(historiesDir, "marketplace_prepaid_completed_v7.json")
	for _, file := range []string{v1, v2} {
		if err := newReplayer().ReplayWorkflowHistoryFromJSONFile(replayLogger(), file); err != nil {
			t.Errorf("this build does not replay %s: %v", filepath.Base(file), err)
		}
	}
	defer func(v string) { buildLeanVersion = v }(buildLeanVersion)
	buildLeanVersion = "3"
	if err := newReplayer().ReplayWorkflowHistoryFromJSONFile(replayLogger(), v1); err != nil {
		t.Errorf("the previous release does not replay its own order: %v", err)
	}
	err := newReplayer().ReplayWorkflowHistoryFromJSONFile(quietLogger(), v2) // the SDK logs the panic it expects
	if err == nil || !strings.Contains(err.Error(), "lean-engine") {
		t.Errorf("the previous release replayed an order of version 4: %v", err)
	}
}

// VersionMarker reads what a history's version marker records: the order of
// marketplace_prepaid_completed_v7 started at version 4 of lean-engine, and
// no other event reads as a marker.
func TestVersionMarkerReadsTheRecordedVersion(t *testing.T) {
	hist := readProtoHistory(t, filepath.Join(historiesDir, "marketplace_prepaid_completed_v7.json"))
	var markers []string
	for _, e := range hist.Events {
		if change, version, ok := VersionMarker(e); ok {
			markers = append(markers, fmt.Sprintf("%s@%d", change, version))
		}
	}
	if len(markers) != 1 || markers[0] != fmt.Sprintf("%s@%d", ChangeLeanEngine, LeanAnswersBeforeEmails) {
		t.Errorf("version markers %v, want lean-engine@4 only", markers)
	}
}

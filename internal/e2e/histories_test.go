package e2e_test

// Records the histories that workflows/replay_test.go replays (issue 5,
// longevity): real runs of every main lifecycle path, through the HTTP API,
// on the in-process Temporal server with the real activities. Run it with
// ORDERFLOW_RECORD_HISTORIES=1; see docs/versioning.md.
//
// A recorded history is never overwritten: it stands for orders that older
// code started and that the current code must still be able to finish. To
// record a path again, add it under a new name (or delete its file on
// purpose, knowing that the old shape is then no longer checked).

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/temporalproto"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/orderflow/orderflow/internal/auth"
	"github.com/orderflow/orderflow/internal/sendgridtest"
	"github.com/orderflow/orderflow/internal/store"
	"github.com/orderflow/orderflow/lifecycle"
	"github.com/orderflow/orderflow/workflows"
)

// recordHistoriesVar turns the recorder on.
const recordHistoriesVar = "ORDERFLOW_RECORD_HISTORIES"

// historiesDir is where the replay test finds the histories.
const historiesDir = "../../testdata/histories"

// historyPath is one lifecycle path to record.
type historyPath struct {
	name string            // file name without .json
	env  map[string]string // short windows, so the run ends within seconds
	// run drives an order along the path and returns its workflow id.
	run func(m *market) string
	// open: the order is still running when recorded (it waits for a far
	// deadline); otherwise the recorder waits for the workflow to end.
	open bool
	// changes are the workflow.GetVersion change ids the history must
	// record: a path recorded to show a change's new branch.
	changes []string
}

var historyPaths = []historyPath{
	{name: "marketplace_prepaid_completed", env: map[string]string{"ORDERFLOW_RETURN_WINDOW": "3s"}, run: prepaidCompleted},
	{name: "marketplace_credit_declined_returned", run: creditDeclinedReturned},
	{name: "marketplace_expired_unpaid", env: map[string]string{"ORDERFLOW_PAYMENT_WINDOW": "3s"}, run: expiredUnpaid},
	{name: "marketplace_pending_expiring_accepted", env: map[string]string{"ORDERFLOW_PENDING_WINDOW": "2s", "ORDERFLOW_RETURN_WINDOW": "3s"},
		run: pendingExpiringAccepted},
	{name: "marketplace_cancelled_in_progress_refund", run: cancelledInProgress},
	// Recorded before offered suppliers were told of a cancellation (change
	// id "cancel-tells-offered-suppliers"): it replays the old branch. Never
	// record it again (workflows/replay_version_test.go would notice).
	{name: "marketplace_cancelled_pending", run: cancelledPending},
	// The same path recorded after that change: it replays the new branch.
	{name: "marketplace_cancelled_pending_v1", run: cancelledPending, changes: []string{workflows.ChangeCancelTellsOfferedSuppliers}},
	{name: "marketplace_parked_email_retried", run: parkedEmailRetried},
	// Its signals received by the one coroutine of change "one-signal-loop";
	// the history above keeps a coroutine per action.
	{name: "marketplace_parked_email_retried_v1", run: parkedEmailRetried, changes: []string{workflows.ChangeOneSignalLoop}},
	// Recorded after change "trusted-actions" (signals from staff-side roles
	// only, request ids per caller, marketplace continue-as-new, the
	// delivered and race guards, the member schedule and review rules): they
	// replay its new branch; the ones above keep the old.
	{name: "marketplace_prepaid_completed_v1", env: map[string]string{"ORDERFLOW_RETURN_WINDOW": "3s"}, run: prepaidCompleted,
		changes: []string{workflows.ChangeTrustedActions}},
	{name: "marketplace_parked_email_retried_v2", run: parkedEmailRetried, changes: []string{workflows.ChangeOneSignalLoop, workflows.ChangeTrustedActions}},
	{name: "member_confirmed_changed_issued_completed_v1", env: memberEnv, run: memberConfirmedChangedCompleted,
		changes: []string{workflows.ChangeTrustedActions}},
	{name: "member_confirmed_changed_issued_completed", env: memberEnv, run: memberConfirmedChangedCompleted},
	{name: "member_cancelled_credit_note", env: memberEnv, run: memberCancelledCreditNote},
	{name: "member_rejected_duplicated", env: withEnv(memberEnv, "ORDERFLOW_DUPLICATE_WINDOW", "10s"), run: memberRejectedDuplicated},
	{name: "member_skip_confirmation_active", env: memberEnv, run: memberSkipConfirmationActive, open: true},
	// Recorded after change "business-rules" (issue 12): withdrawn from
	// client confirmation (links revoked, client told), submitted and
	// confirmed again, a cancellation request withdrawn, completed.
	{name: "member_withdrawn_reconfirmed", env: memberEnv, run: memberWithdrawnReconfirmed, changes: []string{workflows.ChangeBusinessRules}},
	// Recorded after change "business-rules": the waits told, reminded and
	// escalated (short delays), a credit order's return credited, a paid
	// customer's cancel in screening refunded.
	{name: "marketplace_credit_escalated_credit_note", env: shortWaits(nil), run: creditEscalatedCreditNote,
		changes: []string{workflows.ChangeBusinessRules}},
	{name: "marketplace_screening_cancelled_by_customer", run: screeningCancelledByCustomer,
		changes: []string{workflows.ChangeBusinessRules}},
	// Recorded after change "flat-records" (issue 14): the read model's
	// records carry no timeline, the timeline's instants are microseconds.
	{name: "marketplace_prepaid_completed_v2", env: map[string]string{"ORDERFLOW_RETURN_WINDOW": "3s"}, run: prepaidCompleted,
		changes: []string{workflows.ChangeFlatRecords}},
	{name: "member_skip_confirmation_active_v1", env: memberEnv, run: memberSkipConfirmationActive, open: true,
		changes: []string{workflows.ChangeFlatRecords}},
	// Parked after "flat-records": the read model shows it waits for ops at once.
	{name: "marketplace_parked_email_retried_v3", run: parkedEmailRetried,
		changes: []string{workflows.ChangeOneSignalLoop, workflows.ChangeTrustedActions, workflows.ChangeFlatRecords}},
	// Every path again after change "lean-engine" (issue 14): steps run as
	// local activities first, one marker of the change instead of one per
	// earlier change, search attributes upserted once per workflow task.
	{name: "marketplace_prepaid_completed_v3", env: map[string]string{"ORDERFLOW_RETURN_WINDOW": "3s"}, run: prepaidCompleted, changes: lean},
	{name: "marketplace_credit_declined_returned_v1", run: creditDeclinedReturned, changes: lean},
	{name: "marketplace_expired_unpaid_v1", env: map[string]string{"ORDERFLOW_PAYMENT_WINDOW": "3s"}, run: expiredUnpaid, changes: lean},
	{name: "marketplace_pending_expiring_accepted_v1", env: map[string]string{"ORDERFLOW_PENDING_WINDOW": "2s", "ORDERFLOW_RETURN_WINDOW": "3s"},
		run: pendingExpiringAccepted, changes: lean},
	{name: "marketplace_cancelled_in_progress_refund_v1", run: cancelledInProgress, changes: lean},
	{name: "marketplace_cancelled_pending_v2", run: cancelledPending, changes: lean},
	{name: "marketplace_parked_email_retried_v4", run: parkedEmailRetried, changes: lean},
	{name: "marketplace_credit_escalated_credit_note_v1", env: shortWaits(nil), run: creditEscalatedCreditNote, changes: lean},
	{name: "marketplace_screening_cancelled_by_customer_v1", run: screeningCancelledByCustomer, changes: lean},
	{name: "member_confirmed_changed_issued_completed_v2", env: memberEnv, run: memberConfirmedChangedCompleted, changes: lean},
	{name: "member_cancelled_credit_note_v1", env: memberEnv, run: memberCancelledCreditNote, changes: lean},
	{name: "member_rejected_duplicated_v1", env: withEnv(memberEnv, "ORDERFLOW_DUPLICATE_WINDOW", "10s"), run: memberRejectedDuplicated, changes: lean},
	{name: "member_skip_confirmation_active_v2", env: memberEnv, run: memberSkipConfirmationActive, open: true, changes: lean},
	{name: "member_withdrawn_reconfirmed_v1", env: memberEnv, run: memberWithdrawnReconfirmed, changes: lean},
	// Created through the API's update-with-start (its view update in the
	// first workflow task) and acted on without a query first: no workflow
	// change, the shape of every order the API creates since.
	{name: "marketplace_prepaid_completed_v4", env: map[string]string{"ORDERFLOW_RETURN_WINDOW": "3s"}, run: prepaidCompleted, changes: lean},
	{name: "member_skip_confirmation_active_v3", env: memberEnv, run: memberSkipConfirmationActive, open: true, changes: lean},
	// Version 2 of "lean-engine": the offers indexed (OfferedTo), on the
	// paths that offer the order.
	{name: "marketplace_prepaid_completed_v5", env: map[string]string{"ORDERFLOW_RETURN_WINDOW": "3s"}, run: prepaidCompleted, changes: offersIndexed},
	{name: "marketplace_pending_expiring_accepted_v2", env: map[string]string{"ORDERFLOW_PENDING_WINDOW": "2s", "ORDERFLOW_RETURN_WINDOW": "3s"},
		run: pendingExpiringAccepted, changes: offersIndexed},
	{name: "marketplace_cancelled_pending_v3", run: cancelledPending, changes: offersIndexed},
	// Version 3: the total and a member order's client indexed (OrderTotal, ClientEmail).
	{name: "marketplace_prepaid_completed_v6", env: map[string]string{"ORDERFLOW_RETURN_WINDOW": "3s"}, run: prepaidCompleted, changes: partiesIndexed},
	{name: "member_skip_confirmation_active_v4", env: memberEnv, run: memberSkipConfirmationActive, open: true, changes: partiesIndexed},
	// Version 4: the create is answered before its emails.
	{name: "marketplace_prepaid_completed_v7", env: map[string]string{"ORDERFLOW_RETURN_WINDOW": "3s"}, run: prepaidCompleted, changes: answersBeforeEmails},
}

// offersIndexed: the paths recorded at version 2 of "lean-engine".
var offersIndexed = []string{fmt.Sprintf("%s@%d", workflows.ChangeLeanEngine, workflows.LeanOffersIndexed)}

// partiesIndexed: the paths recorded at version 3 of "lean-engine".
var partiesIndexed = []string{fmt.Sprintf("%s@%d", workflows.ChangeLeanEngine, workflows.LeanPartiesIndexed)}

// answersBeforeEmails: the paths recorded at version 4 of "lean-engine".
var answersBeforeEmails = []string{fmt.Sprintf("%s@%d", workflows.ChangeLeanEngine, workflows.LeanAnswersBeforeEmails)}

// lean: the paths recorded after change "lean-engine".
var lean = []string{workflows.ChangeLeanEngine}

// requireRecording skips unless histories are to be recorded: recording
// starts a dozen systems and writes into the source tree.
func requireRecording(t *testing.T) {
	t.Helper()
	if os.Getenv(recordHistoriesVar) != "1" {
		t.Skipf("not recording workflow histories: set %s=1 to record the missing files in testdata/histories "+
			"(existing ones are kept); the replay test in workflows/ checks them on every run", recordHistoriesVar)
	}
}

func TestRecordHistories(t *testing.T) {
	requireRecording(t)
	if err := os.MkdirAll(historiesDir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, p := range historyPaths {
		file := filepath.Join(historiesDir, p.name+".json")
		if _, err := os.Stat(file); err == nil {
			if err := newReplayer().ReplayWorkflowHistoryFromJSONFile(quietLogger(), file); err != nil {
				t.Errorf("%s no longer replays: %v", file, err)
			}
			t.Logf("%s: kept (a recorded history is never overwritten); it replays", file)
			continue
		} else if !errors.Is(err, fs.ErrNotExist) {
			t.Fatal(err)
		}
		t.Run(p.name, func(t *testing.T) { recordHistory(t, p, file) })
	}
}

func recordHistory(t *testing.T, p historyPath, file string) {
	m := newMarket(t, p.env)
	id := p.run(m)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if p.open {
		m.waitQuiescent(id)
	} else if err := m.sys.Temporal.GetWorkflow(ctx, id, "").Get(ctx, nil); err != nil {
		t.Fatalf("%s ended with %v", id, err)
	}
	hist := m.fetchHistory(ctx, id)
	last := hist.Events[len(hist.Events)-1].GetEventType()
	if closed := last == enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED; closed == p.open {
		t.Fatalf("history of %s ends with %s, want it open=%v", id, last, p.open)
	}
	if got := changeIDs(hist); !isSubset(p.changes, got) {
		t.Fatalf("the history records the changes %v, want at least %v", got, p.changes)
	}
	if err := replay(hist); err != nil {
		t.Fatalf("the recorded history does not replay: %v", err)
	}
	data, err := temporalproto.CustomJSONMarshalOptions{Indent: "  "}.Marshal(hist)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, append(data, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("recorded %s: %d events, %d bytes", file, len(hist.Events), len(data))
}

// fetchHistory is the workflow's whole history as the server keeps it.
func (m *market) fetchHistory(ctx context.Context, id string) *historypb.History {
	m.t.Helper()
	hist := &historypb.History{}
	it := m.sys.Temporal.GetWorkflowHistory(ctx, id, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		e, err := it.Next()
		if err != nil {
			m.t.Fatalf("history of %s: %v", id, err)
		}
		hist.Events = append(hist.Events, e)
	}
	if len(hist.Events) == 0 {
		m.t.Fatalf("history of %s is empty", id)
	}
	return hist
}

// waitQuiescent waits until a running workflow has nothing in flight (no
// workflow task, activity or child start pending), so its history ends
// where a worker would simply wait for the next deadline or action.
func (m *market) waitQuiescent(id string) {
	m.t.Helper()
	m.eventually(id+" is quiescent", func() bool {
		desc, err := m.sys.Temporal.DescribeWorkflowExecution(context.Background(), id, "")
		return err == nil && desc.GetPendingWorkflowTask() == nil && len(desc.GetPendingActivities()) == 0 &&
			len(desc.GetPendingChildren()) == 0
	})
}

// replay checks the history against the code that just made it.
func replay(hist *historypb.History) error {
	return newReplayer().ReplayWorkflowHistory(quietLogger(), hist)
}

func newReplayer() worker.WorkflowReplayer {
	r := worker.NewWorkflowReplayer()
	r.RegisterWorkflowWithOptions(workflows.MarketplaceOrder, workflow.RegisterOptions{Name: workflows.MarketplaceWorkflow})
	r.RegisterWorkflowWithOptions(workflows.MemberOrder, workflow.RegisterOptions{Name: workflows.MemberWorkflow})
	return r
}

// quietLogger: a replay that fails says why in its error.
func quietLogger() sdklog.Logger { return sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler)) }

// changeIDs lists the change ids of the workflow.GetVersion markers in hist.
// changeIDs are the change ids the history's version markers record, each
// also as id@version.
func changeIDs(hist *historypb.History) []string {
	var ids []string
	for _, e := range hist.Events {
		if id, version, ok := workflows.VersionMarker(e); ok {
			ids = append(ids, id, fmt.Sprintf("%s@%d", id, version))
		}
	}
	return ids
}

func isSubset(want, got []string) bool {
	for _, w := range want {
		if !slices.Contains(got, w) {
			return false
		}
	}
	return true
}

func withEnv(base map[string]string, key, value string) map[string]string {
	env := map[string]string{key: value}
	for k, v := range base {
		if k != key {
			env[k] = v
		}
	}
	return env
}

// Marketplace paths.

// releasedToSuppliers pays a prepaid order, sets a margin and releases it
// to the top three suppliers.
func (m *market) releasedToSuppliers(customer string) string {
	m.t.Helper()
	purchasing := m.token(lifecycle.Purchasing, "p-1")
	o := m.create(customer, "prepaid")
	m.pay(o.ID, customer)
	m.waitStatus(o.ID, lifecycle.Screening)
	m.act(o.ID, "set_margin", purchasing, map[string]any{"margin_percent": 10}, http.StatusOK)
	m.act(o.ID, "release", purchasing, nil, http.StatusOK)
	m.offeredTo(o.ID, 3)
	return o.ID
}

// fulfil has the accepted supplier deliver and invoice.
func (m *market) fulfil(id, supplier string) {
	m.t.Helper()
	tok := m.token(lifecycle.Supplier, supplier)
	m.act(id, "mark_delivered", tok, map[string]any{"note": "signed by J. Doe"}, http.StatusOK)
	if v := m.act(id, "upload_invoice", tok, map[string]any{"number": "INV-" + supplier, "amount": "74.10"}, http.StatusOK); v.Status != lifecycle.Completed {
		m.t.Fatalf("after delivery and invoice: %s", v.Status)
	}
}

func prepaidCompleted(m *market) string {
	id := m.releasedToSuppliers("c-1")
	m.act(id, "accept", m.token(lifecycle.Supplier, "sup_bravo"), nil, http.StatusOK)
	m.fulfil(id, "sup_bravo")
	return id
}

func creditDeclinedReturned(m *market) string {
	o := m.create("c-2", "credit")
	m.act(o.ID, "decline_credit", m.token(lifecycle.Finance, "f-1"), map[string]any{"reason": "no credit history"}, http.StatusOK)
	m.pay(o.ID, "c-2")
	m.waitStatus(o.ID, lifecycle.Screening)
	m.releasedDeliveredReturned(o.ID, "c-2")
	m.expectRefunded(o.ID, "c-2")
	return o.ID
}

// creditEscalatedCreditNote: finance approves a credit order only after
// it was reminded and staff escalated; purchasing releases it after the
// same; delivered, invoiced, returned: the customer gets a credit note.
func creditEscalatedCreditNote(m *market) string {
	o := m.create("c-7", "credit")
	m.waitMessage(o.ID, "wait_escalation#credit.1", staffAddr)
	m.act(o.ID, "approve_credit", m.token(lifecycle.Finance, "f-1"), nil, http.StatusOK)
	m.waitMessage(o.ID, "wait_escalation#screening.1", staffAddr)
	m.releasedDeliveredReturned(o.ID, "c-7")
	m.expectEmailsAmong(o.ID, "credit_note_issued→c-7@customers.test")
	return o.ID
}

// releasedDeliveredReturned takes an order in screening through release,
// sup_alpha's acceptance, delivery and invoice, to a return the supplier
// confirms resalable.
func (m *market) releasedDeliveredReturned(id, customer string) {
	m.t.Helper()
	purchasing, alpha := m.token(lifecycle.Purchasing, "p-1"), m.token(lifecycle.Supplier, "sup_alpha")
	m.act(id, "set_margin", purchasing, map[string]any{"margin_percent": "10"}, http.StatusOK)
	m.act(id, "release", purchasing, nil, http.StatusOK)
	m.offeredTo(id, 3)
	m.act(id, "accept", alpha, nil, http.StatusOK)
	m.fulfil(id, "sup_alpha")
	m.act(id, "request_return", m.token(lifecycle.Customer, customer), map[string]any{"reason": "wrong colour"}, http.StatusOK)
	m.act(id, "approve_return", purchasing, nil, http.StatusOK)
	if v := m.act(id, "confirm_resalable", alpha, nil, http.StatusOK); v.Status != lifecycle.Returned {
		m.t.Fatalf("after resalable: %s", v.Status)
	}
}

// screeningCancelledByCustomer: a paid customer cancels before release.
func screeningCancelledByCustomer(m *market) string {
	o := m.create("c-8", "prepaid")
	m.pay(o.ID, "c-8")
	m.waitStatus(o.ID, lifecycle.Screening)
	m.act(o.ID, "cancel", m.token(lifecycle.Customer, "c-8"), map[string]any{"reason": "ordered twice"}, http.StatusOK)
	m.expectRefunded(o.ID, "c-8")
	return o.ID
}

func expiredUnpaid(m *market) string {
	o := m.create("c-3", "prepaid")
	m.waitStatus(o.ID, lifecycle.Expired)
	return o.ID
}

func pendingExpiringAccepted(m *market) string {
	purchasing, delta := m.token(lifecycle.Purchasing, "p-1"), m.token(lifecycle.Supplier, "sup_delta")
	o := m.create("c-4", "prepaid")
	m.pay(o.ID, "c-4")
	m.waitStatus(o.ID, lifecycle.Screening)
	m.act(o.ID, "set_margin", purchasing, map[string]any{"margin_percent": 8}, http.StatusOK)
	m.act(o.ID, "release", purchasing, nil, http.StatusOK)
	m.waitStatus(o.ID, lifecycle.PendingExpiring)
	m.offeredTo(o.ID, 4)
	m.act(o.ID, "accept", delta, nil, http.StatusOK)
	m.fulfil(o.ID, "sup_delta")
	return o.ID
}

func cancelledInProgress(m *market) string {
	id := m.releasedToSuppliers("c-5")
	m.act(id, "accept", m.token(lifecycle.Supplier, "sup_bravo"), nil, http.StatusOK)
	m.act(id, "cancel", m.token(lifecycle.Customer, "c-5"), map[string]any{"reason": "found it cheaper"}, http.StatusOK)
	m.expectRefunded(id, "c-5")
	return id
}

// cancelledPending: one offered supplier declines, then the customer cancels.
func cancelledPending(m *market) string {
	id := m.releasedToSuppliers("c-6")
	m.act(id, "decline", m.token(lifecycle.Supplier, "sup_charlie"), map[string]any{"reason": "fully booked"}, http.StatusOK)
	m.act(id, "cancel", m.token(lifecycle.Customer, "c-6"), map[string]any{"reason": "found it cheaper"}, http.StatusOK)
	m.expectRefunded(id, "c-6")
	return id
}

// parkedEmailRetried: the provider refuses the payment link email, the order
// parks, ops retry once the provider is back; then staff send actions as
// signals, as from the Web UI: a release that is refused, a cancel.
func parkedEmailRetried(m *market) string {
	m.sys.SendGrid.FailAll(sendgridtest.Fault{Status: http.StatusBadRequest})
	o := m.create("c-7", "prepaid")
	ops := m.token(lifecycle.Ops, "o-1")
	m.eventually(o.ID+" parks on its payment link email", func() bool {
		a := m.get(o.ID, ops).Attention
		return a != nil && a.Step == "email payment_link to c-7@customers.test"
	})
	m.sys.SendGrid.Recover()
	m.act(o.ID, "retry", ops, nil, http.StatusOK)
	m.expectEmails(o.ID, "payment_link→c-7@customers.test")
	staff := auth.Principal{Role: lifecycle.Purchasing, Subject: "p-1"}
	m.signalAction(o.ID, lifecycle.Release, workflows.ActionRequest{Actor: staff})
	m.eventually("the release signal is refused", func() bool {
		tl := m.get(o.ID, ops).Timeline
		return tl[len(tl)-1].Action == lifecycle.Release && tl[len(tl)-1].Outcome == store.OutcomeRefused
	})
	m.signalAction(o.ID, lifecycle.Cancel, workflows.ActionRequest{Actor: staff, Payload: json.RawMessage(`{"reason": "duplicate order"}`)})
	return o.ID
}

func (m *market) signalAction(id string, a lifecycle.Action, req workflows.ActionRequest) {
	m.t.Helper()
	if err := m.sys.Temporal.SignalWorkflow(context.Background(), id, "", string(a), req); err != nil {
		m.t.Fatalf("signal %s to %s: %v", a, id, err)
	}
}

// expectRefunded waits until the customer's whole payment is refunded.
func (m *market) expectRefunded(id, customer string) {
	m.t.Helper()
	m.eventually(id+" refunded", func() bool {
		v := m.get(id, m.token(lifecycle.Customer, customer))
		return v.Marketplace.Refunded > 0 && v.Marketplace.Refunded == v.Total
	})
}

// Member paths.

func memberConfirmedChangedCompleted(m *market) string {
	member, staff := m.token(lifecycle.Member, "m-1"), m.token(lifecycle.Staff, "s-1")
	o := m.createMember("m-1", map[string]any{"schedule": []map[string]any{{"date": day(0), "amount": "1000.00"}}})
	m.act(o.ID, "submit", member, nil, http.StatusOK)
	m.act(o.ID, "approve", staff, nil, http.StatusOK)
	m.clientConfirms(o.ID)
	m.waitStatus(o.ID, lifecycle.Active)
	m.eventually("draft of invoice 1", func() bool {
		return slices.Contains(m.emails(o.ID), "invoice_draft_ready#1.1→m-1@members.test")
	})
	m.act(o.ID, "request_changes", member, map[string]any{"entry": 1, "comment": "please mention the project code PX-7"}, http.StatusOK)
	m.act(o.ID, "resolve_changes", staff, map[string]any{"entry": 1, "amount": "950.00", "note": "discount agreed"}, http.StatusOK)
	m.waitStatus(o.ID, lifecycle.Completed)
	return o.ID
}

// clientConfirms confirms the order on the page the emailed link opens.
func (m *market) clientConfirms(id string) {
	m.t.Helper()
	resp, err := http.PostForm(m.link(id)+"/confirm", url.Values{})
	if err != nil {
		m.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		m.t.Fatalf("confirm = %d", resp.StatusCode)
	}
}

func memberCancelledCreditNote(m *market) string {
	member, staff := m.token(lifecycle.Member, "m-2"), m.token(lifecycle.Staff, "s-1")
	o := m.createMember("m-2", map[string]any{
		"submit": true, "skip_client_confirmation": true, "proof_reference": "framework contract FC-2026-3",
		"service_period": map[string]any{"start": day(-1), "end": day(60)},
		"schedule":       []map[string]any{{"date": day(0), "amount": "500.00"}, {"date": day(40), "amount": "500.00"}},
	})
	m.act(o.ID, "approve", staff, nil, http.StatusOK)
	m.eventually("invoice 1 issued", func() bool { return len(m.invoices(o.ID)) == 1 })
	m.act(o.ID, "request_cancellation", member, map[string]any{"reason": "The client closed the project; no further work will be done."}, http.StatusOK)
	m.act(o.ID, "approve_cancellation", staff, nil, http.StatusOK)
	m.eventually("credit note", func() bool { return len(m.invoices(o.ID)) == 2 })
	return o.ID
}

func memberWithdrawnReconfirmed(m *market) string {
	member, staff := m.token(lifecycle.Member, "m-5"), m.token(lifecycle.Staff, "s-1")
	o := m.createMember("m-5", map[string]any{"submit": true, "schedule": []map[string]any{{"date": day(0), "amount": "1000.00"}}})
	m.act(o.ID, "approve", staff, nil, http.StatusOK)
	m.link(o.ID)
	m.act(o.ID, "withdraw", member, nil, http.StatusOK)
	m.act(o.ID, "submit", member, nil, http.StatusOK)
	m.act(o.ID, "approve", staff, nil, http.StatusOK)
	link := m.emailedLink(o.ID, "confirmation_request#2", "/c/")
	resp, err := http.PostForm(link+"/confirm", nil)
	if err != nil {
		m.t.Fatal(err)
	}
	resp.Body.Close()
	m.waitStatus(o.ID, lifecycle.Active)
	m.act(o.ID, "request_cancellation", member, map[string]any{"reason": "The client may stop the project next month."}, http.StatusOK)
	m.act(o.ID, "withdraw_cancellation", member, nil, http.StatusOK)
	return o.ID
}

func memberRejectedDuplicated(m *market) string {
	member, staff := m.token(lifecycle.Member, "m-3"), m.token(lifecycle.Staff, "s-1")
	o := m.createMember("m-3", map[string]any{"submit": true, "schedule": []map[string]any{{"date": day(20), "amount": "1000.00"}}})
	m.act(o.ID, "reject", staff, map[string]any{"reason": "the client's VAT number is not valid"}, http.StatusOK)
	v := m.act(o.ID, "duplicate", member, map[string]any{}, http.StatusOK)
	if len(v.Member.Duplicates) != 1 {
		m.t.Fatalf("duplicates after duplicate: %v", v.Member.Duplicates)
	}
	copyID := v.Member.Duplicates[0]
	m.eventually("the copy runs", func() bool {
		resp, _ := m.sys.Do(m.t, "GET", "/v1/orders/"+copyID, member, nil)
		return resp.StatusCode == http.StatusOK
	})
	return o.ID
}

// memberSkipConfirmationActive: approved without client confirmation (and
// without proof), the first invoice is issued; the order stays active,
// waiting for the second entry's draft weeks away.
func memberSkipConfirmationActive(m *market) string {
	o := m.createMember("m-4", map[string]any{
		"submit": true, "skip_client_confirmation": true,
		"service_period": map[string]any{"start": day(-1), "end": day(60)},
		"schedule":       []map[string]any{{"date": day(0), "amount": "500.00"}, {"date": day(40), "amount": "500.00"}},
	})
	if v := m.act(o.ID, "approve", m.token(lifecycle.Staff, "s-1"), nil, http.StatusOK); v.Status != lifecycle.Active {
		m.t.Fatalf("approved without client confirmation: %s", v.Status)
	}
	m.eventually("invoice 1 emailed", func() bool {
		return slices.Contains(m.emails(o.ID), "invoice_issued#1→carl@client.test")
	})
	return o.ID
}

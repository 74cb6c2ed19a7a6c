package e2e_test

// Trust between parties on the real system (real Temporal, Postgres, the
// SendGrid stand-in, the HTTP API): a request id answers only for its
// caller, bearer links live only in the emails that carry them, and the
// Temporal Web UI's signals and "Request Cancellation" button act as the
// order's own rules say (docs/security.md).

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/converter"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/orderflow/orderflow/internal/auth"
	"github.com/orderflow/orderflow/internal/testenv"
	"github.com/orderflow/orderflow/lifecycle"
	"github.com/orderflow/orderflow/workflows"
)

// rawGet is the body of GET /v1/orders/{id} as token reads it.
func (m *market) rawGet(id, token string) string {
	m.t.Helper()
	resp, body := m.sys.Do(m.t, "GET", "/v1/orders/"+id, token, nil)
	if resp.StatusCode != http.StatusOK {
		m.t.Fatalf("GET %s = %d: %s", id, resp.StatusCode, body)
	}
	return string(body)
}

// history is the order's whole workflow history as JSON, as the Web UI shows it.
func (m *market) history(id string) string {
	m.t.Helper()
	var out strings.Builder
	it := m.sys.Temporal.GetWorkflowHistory(context.Background(), id, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		e, err := it.Next()
		if err != nil {
			m.t.Fatal(err)
		}
		b, err := protojson.Marshal(e)
		if err != nil {
			m.t.Fatal(err)
		}
		out.Write(b)
		out.WriteByte('\n')
	}
	return out.String()
}

func TestARequestIDAnswersOnlyForItsCaller(t *testing.T) {
	m := newMarket(t, nil)
	o := m.pendingOrder("c-1")
	alpha, bravo := m.token(lifecycle.Supplier, "sup_alpha"), m.token(lifecycle.Supplier, "sup_bravo")
	purchasing := m.token(lifecycle.Purchasing, "p-1")

	if v := m.act(o.ID, "accept", alpha, map[string]any{"request_id": "shared-1"}, http.StatusOK); v.Status != lifecycle.InProgress {
		t.Fatalf("alpha accepted: %s", v.Status)
	}
	// Another supplier replaying the winner's request id gets a conflict,
	// not the winner's answer (purchasing's costs and offers) nor a 200.
	resp, body := m.sys.Do(t, "POST", "/v1/orders/"+o.ID+"/actions/accept", bravo, []byte(`{"request_id": "shared-1"}`))
	if resp.StatusCode != http.StatusConflict || !strings.Contains(string(body), "request_id") || strings.Contains(string(body), "sup_alpha") {
		t.Fatalf("bravo replaying alpha's request id = %d: %s", resp.StatusCode, body)
	}
	resp, body = m.sys.Do(t, "POST", "/v1/orders/"+o.ID+"/actions/cancel", purchasing, []byte(`{"request_id": "shared-1", "reason": "mine now"}`))
	if resp.StatusCode != http.StatusConflict {
		t.Fatalf("purchasing replaying alpha's request id = %d: %s", resp.StatusCode, body)
	}
	// The caller's own retry is answered as the first time.
	if v := m.act(o.ID, "accept", alpha, map[string]any{"request_id": "shared-1"}, http.StatusOK); v.Status != lifecycle.InProgress {
		t.Fatalf("alpha's retry: %s", v.Status)
	}
	if v := m.waitStatus(o.ID, lifecycle.InProgress); len(entriesOf(v, lifecycle.Cancel)) != 0 {
		t.Fatalf("the order was cancelled by a replayed request id: %+v", v.Timeline)
	}

	// The request id is shown to its author and to staff, to nobody else.
	if body := m.rawGet(o.ID, m.token(lifecycle.Customer, "c-1")); strings.Contains(body, "shared-1") {
		t.Errorf("the customer reads the supplier's request id: %s", body)
	}
	for name, token := range map[string]string{"alpha": alpha, "purchasing": purchasing, "ops": m.token(lifecycle.Ops, "o-1")} {
		if body := m.rawGet(o.ID, token); !strings.Contains(body, `"request_id":"shared-1"`) {
			t.Errorf("%s does not read the request id: %s", name, body)
		}
	}
}

func TestBearerLinksAreOnlyInTheirEmails(t *testing.T) {
	m := newMarket(t, nil)
	member, staff := m.token(lifecycle.Member, "m-1"), m.token(lifecycle.Staff, "s-1")

	o := m.createMember("m-1", map[string]any{"submit": true, "schedule": []map[string]any{{"date": day(20), "amount": "1000.00"}}})
	m.act(o.ID, "approve", staff, nil, http.StatusOK)
	link := m.link(o.ID)
	token := link[strings.LastIndex(link, "/c/")+len("/c/"):]
	m.settled(o.ID)
	for name, body := range map[string]string{
		"the member's view": m.rawGet(o.ID, member), "staff's view": m.rawGet(o.ID, staff), "ops' view": m.rawGet(o.ID, m.token(lifecycle.Ops, "o-1")),
		"the workflow history": m.history(o.ID), "the read model": m.readModel(o.ID),
	} {
		if strings.Contains(body, token) || strings.Contains(body, "/c/") {
			t.Errorf("%s holds the client's link %s", name, link)
		}
	}
	// The emailed link still works for the client.
	resp, err := http.Post(link+"/confirm", "application/x-www-form-urlencoded", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	m.waitStatus(o.ID, lifecycle.Active)

	// The pay link: in the paying customer's own view and email, nowhere else.
	p := m.create("c-2", "prepaid")
	pay := m.payLink(p.ID, "c-2")
	payToken := pay[strings.LastIndex(pay, "/pay/")+len("/pay/"):]
	m.expectEmails(p.ID, "payment_link→c-2@customers.test")
	if text := m.sys.SendGrid.Messages()[len(m.sys.SendGrid.Messages())-1].Content("text/plain"); !strings.Contains(text, pay) {
		t.Errorf("the payment email does not carry the pay link %s:\n%s", pay, text)
	}
	m.settled(p.ID)
	for name, body := range map[string]string{
		"purchasing's view": m.rawGet(p.ID, m.token(lifecycle.Purchasing, "p-1")), "ops' view": m.rawGet(p.ID, m.token(lifecycle.Ops, "o-1")),
		"the workflow history": m.history(p.ID), "the read model": m.readModel(p.ID),
	} {
		if strings.Contains(body, payToken) || strings.Contains(body, "/pay/") {
			t.Errorf("%s holds the pay link %s", name, pay)
		}
	}
}

// readModel is everything the read model keeps of an order, as text.
func (m *market) readModel(id string) string {
	m.t.Helper()
	row, err := m.sys.Store.GetOrder(context.Background(), id)
	if err != nil {
		m.t.Fatal(err)
	}
	entries, err := m.sys.Store.Timeline(context.Background(), id)
	if err != nil {
		m.t.Fatal(err)
	}
	b, _ := json.Marshal(entries)
	return string(row.View) + string(b)
}

// The Web UI's "Request Cancellation" button (a Temporal cancellation
// request) cancels a marketplace order as purchasing would, refund
// included; on a member order that is not waiting for a cancellation
// decision it is refused on the timeline. Either way the order still
// answers and acts.
func TestTemporalCancellationRequestIsTheOrdersOwn(t *testing.T) {
	m := newMarket(t, nil)
	ctx := context.Background()
	ops := m.token(lifecycle.Ops, "o-1")

	p := m.create("c-1", "prepaid")
	m.pay(p.ID, "c-1")
	m.waitStatus(p.ID, lifecycle.Screening)
	if err := m.sys.Temporal.CancelWorkflow(ctx, p.ID, ""); err != nil {
		t.Fatal(err)
	}
	v := m.waitStatus(p.ID, lifecycle.Cancelled)
	if e := v.Timeline[len(v.Timeline)-1]; e.Action != lifecycle.Cancel || e.Via != "cancel_request" || e.ActorRole != lifecycle.Purchasing {
		t.Errorf("the cancellation's entry %+v", e)
	}
	m.eventually("the refund", func() bool { return m.get(p.ID, ops).Marketplace.Refunded == p.Total })
	m.refundsOf(p.ID, 1)

	o := m.createMember("m-1", map[string]any{"submit": true, "skip_client_confirmation": true, "proof_reference": "framework contract FC-1",
		"schedule": []map[string]any{{"date": day(20), "amount": "1000.00"}}})
	staff := m.token(lifecycle.Staff, "s-1")
	m.act(o.ID, "approve", staff, nil, http.StatusOK)
	m.waitStatus(o.ID, lifecycle.Active)
	if err := m.sys.Temporal.CancelWorkflow(ctx, o.ID, ""); err != nil {
		t.Fatal(err)
	}
	m.eventually("the refused cancellation request on the timeline", func() bool {
		for _, e := range m.get(o.ID, ops).Timeline {
			if e.Via == "cancel_request" {
				return e.Outcome == "refused" && e.Action == lifecycle.ApproveCancellation
			}
		}
		return false
	})
	m.act(o.ID, "request_cancellation", m.token(lifecycle.Member, "m-1"), map[string]any{"reason": "The client closed the project for good."}, http.StatusOK)
	m.act(o.ID, "approve_cancellation", staff, nil, http.StatusOK)
	m.waitStatus(o.ID, lifecycle.Cancelled)
}

// Signals as the Web UI sends them: a typo in the JSON box, a misspelt
// signal name and a signal claiming the customer's role are each refused on
// the timeline, and finance's well-formed signal after them applies, marked
// "via signal" there and in the read model.
func TestWebUISignalsAreAnsweredOnTheTimeline(t *testing.T) {
	m := newMarket(t, nil)
	ctx := context.Background()
	o := m.create("c-1", "credit")

	typo := converter.NewRawValue(&commonpb.Payload{
		Metadata: map[string][]byte{converter.MetadataEncoding: []byte(converter.MetadataEncodingJSON)},
		Data:     []byte(`{"actor": {"role": "finance", "sub": "f-1"},}`),
	})
	signals := []struct {
		name string
		arg  any
	}{
		{"approve_credit", typo},
		{"aprove_credit", workflows.ActionRequest{Actor: auth.Principal{Role: lifecycle.Finance, Subject: "f-1"}}},
		{"cancel", workflows.ActionRequest{Actor: auth.Principal{Role: lifecycle.Customer, Subject: "c-1"}, Payload: json.RawMessage(`{"reason": "as the customer"}`)}},
		{"approve_credit", workflows.ActionRequest{Actor: auth.Principal{Role: lifecycle.Finance, Subject: "f-1"}, RequestID: "ui-1"}},
	}
	for _, s := range signals {
		if err := m.sys.Temporal.SignalWorkflow(ctx, o.ID, "", s.name, s.arg); err != nil {
			t.Fatal(err)
		}
	}
	v := m.waitStatus(o.ID, lifecycle.Screening)
	m.eventually("every signal answered", func() bool { v = m.get(o.ID, m.token(lifecycle.Ops, "o-1")); return len(withoutWaits(v.Timeline)) == 5 })
	// Signals of one workflow task may be answered in another order than
	// they were sent: misspelt names are answered after the known ones.
	got := map[string]string{}
	for _, e := range withoutWaits(v.Timeline)[1:] {
		got[string(e.Action)+" "+e.Outcome+" via "+e.Via] = e.Reason
	}
	for entry, why := range map[string]string{
		"approve_credit refused via signal": "not an action request",
		"aprove_credit refused via signal":  `"aprove_credit" is not an action of marketplace orders`,
		"cancel refused via signal":         "a customer acts through the API",
		"approve_credit applied via signal": "",
	} {
		if reason, ok := got[entry]; !ok || !strings.Contains(reason, why) {
			t.Errorf("no timeline entry %q saying %q: %v", entry, why, got)
		}
	}
	m.settled(o.ID)
	entries, err := m.sys.Store.Timeline(ctx, o.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries[1:] {
		if e.Via != "signal" && !isWaitAction(e.Action) {
			t.Errorf("read-model entry %+v, want via signal", e)
		}
	}
}

// A reset as the runbook's CLI command makes it, to the order's first
// workflow task, after the customer paid: the payment confirmation that
// Temporal re-applies at the reset point finds no payment link yet and is
// refused, but the provider holds the money, so the order learns of it when
// it makes its link again and moves on as paid, with nothing refunded and
// no email sent twice.
func TestAResetNeverLosesAPayment(t *testing.T) {
	m := newMarket(t, nil)
	ctx := context.Background()
	p := m.create("c-1", "prepaid")
	m.pay(p.ID, "c-1")
	m.waitStatus(p.ID, lifecycle.Screening)
	m.settled(p.ID)

	var firstTask int64
	it := m.sys.Temporal.GetWorkflowHistory(ctx, p.ID, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() && firstTask == 0 {
		e, err := it.Next()
		if err != nil {
			t.Fatal(err)
		}
		if e.GetEventType() == enumspb.EVENT_TYPE_WORKFLOW_TASK_COMPLETED {
			firstTask = e.GetEventId()
		}
	}
	_, err := m.sys.Temporal.ResetWorkflowExecution(ctx, &workflowservice.ResetWorkflowExecutionRequest{
		Namespace:                 m.sys.Namespace,
		WorkflowExecution:         &commonpb.WorkflowExecution{WorkflowId: p.ID},
		Reason:                    "test: reset to the first workflow task",
		WorkflowTaskFinishEventId: firstTask,
		RequestId:                 "reset-" + p.ID,
	})
	if err != nil {
		t.Fatal(err)
	}
	v := m.waitStatus(p.ID, lifecycle.Screening)
	if !v.Marketplace.Payment.Paid || v.Marketplace.Refunded != 0 {
		t.Fatalf("after the reset: payment %+v, refunded %s", v.Marketplace.Payment, v.Marketplace.Refunded)
	}
	// The order still moves on, and the payment email went out once.
	purchasing := m.token(lifecycle.Purchasing, "p-1")
	m.act(p.ID, "set_margin", purchasing, map[string]any{"margin_percent": 10}, http.StatusOK)
	m.act(p.ID, "release", purchasing, nil, http.StatusOK)
	m.waitStatus(p.ID, lifecycle.Pending)
	m.refundsOf(p.ID, 0)
	n := 0
	for _, e := range m.emails(p.ID) {
		if e == "payment_link→c-1@customers.test" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("the payment email went out %d times: %v", n, m.emails(p.ID))
	}
}

// A busy order continues as new when Temporal suggests it (here after a few
// dozen events) instead of growing until Temporal ends it, and nobody
// notices: the API answers throughout, the timeline carries on, every email
// goes out once.
func TestABusyMarketplaceOrderContinuesAsNew(t *testing.T) {
	sys := testenv.NewSystem(t, testenv.Options{ShortHistories: true})
	m := &market{t: t, sys: sys}
	m.seedSuppliers()
	p := m.acceptedBy("c-1", "sup_bravo")
	bravo := m.token(lifecycle.Supplier, "sup_bravo")
	m.act(p.ID, "mark_delivered", bravo, map[string]any{"note": "left at the gate"}, http.StatusOK)
	m.act(p.ID, "upload_invoice", bravo, map[string]any{"number": "SUP-1", "amount": "70.00"}, http.StatusOK)
	v := m.waitStatus(p.ID, lifecycle.Completed)

	// It continues as new once its effects have run, at the latest.
	m.eventually("the order continues as new", func() bool {
		desc, err := sys.Temporal.DescribeWorkflowExecution(context.Background(), p.ID, "")
		info := desc.GetWorkflowExecutionInfo()
		return err == nil && info.GetFirstRunId() != info.GetExecution().GetRunId()
	})
	for i, e := range v.Timeline {
		if e.Seq != int64(i+1) {
			t.Fatalf("timeline entry %d has seq %d across the runs: %+v", i+1, e.Seq, v.Timeline)
		}
	}
	m.settled(p.ID)
	m.expectEmails(p.ID, "payment_link→c-1@customers.test", "order_acknowledged→c-1@customers.test",
		"supplier_offer→alpha@suppliers.test", "supplier_offer→bravo@suppliers.test", "supplier_offer→charlie@suppliers.test",
		"order_confirmed→c-1@customers.test", "purchase_order→bravo@suppliers.test",
		"order_delivered→c-1@customers.test", "order_completed→c-1@customers.test")
	m.refundsOf(p.ID, 0)
}

package api

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	failurepb "go.temporal.io/api/failure/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/serviceerror"
	workflowpb "go.temporal.io/api/workflow/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/orderflow/orderflow/internal/auth"
	"github.com/orderflow/orderflow/internal/money"
	"github.com/orderflow/orderflow/internal/payments"
	"github.com/orderflow/orderflow/internal/pgtest"
	"github.com/orderflow/orderflow/internal/store"
	"github.com/orderflow/orderflow/lifecycle"
	"github.com/orderflow/orderflow/workflows"
)

// visibilityFake answers ListWorkflow from pages of executions and
// QueryWorkflow from views by workflow id; the integration test in
// internal/e2e runs the same handler against a real Temporal server.
type visibilityFake struct {
	client.Client // any other call panics: the handler must not make it

	pages     [][]string // workflow ids, page by page
	listErr   error
	views     map[string]workflows.OrderView
	queryErrs map[string]error

	// Ended orders: their status in visibility (absent: running), when
	// they closed, the order's current run as DescribeWorkflowExecution
	// tells it (absent: not found) and the reason in their close event.
	statuses   map[string]enumspb.WorkflowExecutionStatus
	closedAt   map[string]time.Time
	current    map[string]currentRun
	endReasons map[string]string
	described  []string

	mu        sync.Mutex
	queries   []string // visibility queries received
	pageSizes []int32
	viewers   []auth.Principal // who each order query was made for
}

func (f *visibilityFake) ListWorkflow(_ context.Context, req *workflowservice.ListWorkflowExecutionsRequest) (*workflowservice.ListWorkflowExecutionsResponse, error) {
	f.mu.Lock()
	f.queries = append(f.queries, req.GetQuery())
	f.pageSizes = append(f.pageSizes, req.GetPageSize())
	f.mu.Unlock()
	if f.listErr != nil {
		return nil, f.listErr
	}
	page := 0
	if len(req.GetNextPageToken()) > 0 {
		page, _ = strconv.Atoi(string(req.GetNextPageToken()))
	}
	resp := &workflowservice.ListWorkflowExecutionsResponse{}
	for _, id := range f.pages[page] {
		info := &workflowpb.WorkflowExecutionInfo{
			Execution: &commonpb.WorkflowExecution{WorkflowId: id, RunId: "run-" + id},
			SearchAttributes: &commonpb.SearchAttributes{IndexedFields: map[string]*commonpb.Payload{
				workflows.OrderFlow.GetName():   mustPayload("marketplace"),
				workflows.OrderStatus.GetName(): mustPayload("status-of-" + id),
			}},
		}
		if st, ok := f.statuses[id]; ok {
			info.Status = st
			info.CloseTime = timestamppb.New(f.closedAt[id])
		}
		resp.Executions = append(resp.Executions, info)
	}
	if page+1 < len(f.pages) {
		resp.NextPageToken = []byte(strconv.Itoa(page + 1))
	}
	return resp, nil
}

func (f *visibilityFake) QueryWorkflow(_ context.Context, id, _, queryType string, args ...any) (converter.EncodedValue, error) {
	if queryType != workflows.OrderQuery || len(args) != 1 {
		return nil, errors.New("unexpected query " + queryType)
	}
	f.mu.Lock()
	f.viewers = append(f.viewers, args[0].(auth.Principal))
	f.mu.Unlock()
	if err := f.queryErrs[id]; err != nil {
		return nil, err
	}
	payloads, err := converter.GetDefaultDataConverter().ToPayloads(f.views[id])
	if err != nil {
		return nil, err
	}
	return client.NewValue(payloads), nil
}

// currentRun is what DescribeWorkflowExecution says of an order's latest run.
type currentRun struct {
	runID  string
	status enumspb.WorkflowExecutionStatus
}

func (f *visibilityFake) DescribeWorkflowExecution(_ context.Context, id, runID string) (*workflowservice.DescribeWorkflowExecutionResponse, error) {
	f.mu.Lock()
	f.described = append(f.described, id)
	f.mu.Unlock()
	run, ok := f.current[id]
	if !ok || runID != "" {
		return nil, serviceerror.NewNotFound("workflow not found")
	}
	return &workflowservice.DescribeWorkflowExecutionResponse{WorkflowExecutionInfo: &workflowpb.WorkflowExecutionInfo{
		Execution: &commonpb.WorkflowExecution{WorkflowId: id, RunId: run.runID}, Status: run.status,
	}}, nil
}

func (f *visibilityFake) GetWorkflowHistory(_ context.Context, id, runID string, _ bool, filter enumspb.HistoryEventFilterType) client.HistoryEventIterator {
	if filter != enumspb.HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT {
		panic("only the close event is read")
	}
	ev := &historypb.HistoryEvent{}
	switch f.current[id].status {
	case enumspb.WORKFLOW_EXECUTION_STATUS_TERMINATED:
		ev.Attributes = &historypb.HistoryEvent_WorkflowExecutionTerminatedEventAttributes{
			WorkflowExecutionTerminatedEventAttributes: &historypb.WorkflowExecutionTerminatedEventAttributes{Reason: f.endReasons[id]}}
	case enumspb.WORKFLOW_EXECUTION_STATUS_FAILED:
		ev.Attributes = &historypb.HistoryEvent_WorkflowExecutionFailedEventAttributes{
			WorkflowExecutionFailedEventAttributes: &historypb.WorkflowExecutionFailedEventAttributes{Failure: &failurepb.Failure{Message: f.endReasons[id]}}}
	case enumspb.WORKFLOW_EXECUTION_STATUS_TIMED_OUT:
		ev.Attributes = &historypb.HistoryEvent_WorkflowExecutionTimedOutEventAttributes{
			WorkflowExecutionTimedOutEventAttributes: &historypb.WorkflowExecutionTimedOutEventAttributes{}}
	}
	return &oneEvent{ev: ev}
}

type oneEvent struct {
	ev   *historypb.HistoryEvent
	read bool
}

func (it *oneEvent) HasNext() bool { return !it.read }
func (it *oneEvent) Next() (*historypb.HistoryEvent, error) {
	it.read = true
	return it.ev, nil
}

func mustPayload(v any) *commonpb.Payload {
	p, err := converter.GetDefaultDataConverter().ToPayload(v)
	if err != nil {
		panic(err)
	}
	return p
}

var parkedAt = time.Date(2026, 5, 4, 9, 0, 0, 0, time.UTC)

func parkedView(id string, status lifecycle.Status, waitedMinutes int, skippable bool) workflows.OrderView {
	actions := []lifecycle.Action{"cancel", lifecycle.OpsRetry}
	if skippable {
		actions = append(actions, lifecycle.OpsSkip)
	}
	return workflows.OrderView{
		ID: id, Flow: "marketplace", Status: status, NeedsAttention: true, AllowedActions: actions,
		Attention: &workflows.Attention{
			Step: "step of " + id, Error: "error of " + id, Skippable: skippable,
			Since: parkedAt.Add(-time.Duration(waitedMinutes) * time.Minute),
		},
	}
}

// wireAttention spells out the JSON shape so a renamed member fails the tests.
type wireAttention struct {
	Orders []struct {
		ID        string `json:"id"`
		Flow      string `json:"flow"`
		Status    string `json:"status"`
		Attention *struct {
			Step      string    `json:"step"`
			Error     string    `json:"error"`
			Since     time.Time `json:"since"`
			Skippable bool      `json:"skippable"`
		} `json:"attention"`
		AllowedActions []string `json:"allowed_actions"`
		Error          string   `json:"error"`
	} `json:"orders"`
	Truncated *bool `json:"truncated"`
}

func (w wireAttention) ids() []string {
	var ids []string
	for _, o := range w.Orders {
		ids = append(ids, o.ID)
	}
	return ids
}

func opsAPI(t *testing.T, fake *visibilityFake) (http.Handler, func(role lifecycle.Role) map[string]string) {
	t.Helper()
	d := testDeps(nil)
	d.Temporal = fake
	bearer := func(role lifecycle.Role) map[string]string {
		tok, err := auth.NewTokens(testSecret).Mint(auth.Principal{Role: role, Subject: string(role) + "-1"}, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		return map[string]string{"Authorization": "Bearer " + tok}
	}
	return New(d), bearer
}

func getAttention(t *testing.T, h http.Handler, path string, header map[string]string) wireAttention {
	t.Helper()
	rec := do(t, h, "GET", path, nil, header)
	if rec.Code != http.StatusOK {
		t.Fatalf("GET %s = %d: %s", path, rec.Code, rec.Body)
	}
	var w wireAttention
	if err := json.Unmarshal(rec.Body.Bytes(), &w); err != nil {
		t.Fatal(err)
	}
	return w
}

func TestAttentionListsParkedOrdersLongestWaitingFirst(t *testing.T) {
	fake := &visibilityFake{
		pages: [][]string{{"ord_new", "ord_decided", "ord_old"}, {"ord_gone", "ord_mid", "ord_mute"}},
		views: map[string]workflows.OrderView{
			"ord_new":     parkedView("ord_new", "screening", 1, true),
			"ord_old":     parkedView("ord_old", "cancelled", 90, false),
			"ord_mid":     parkedView("ord_mid", "pending", 30, true),
			"ord_decided": {ID: "ord_decided", Flow: "marketplace", Status: "screening", AllowedActions: []lifecycle.Action{}},
		},
		queryErrs: map[string]error{
			"ord_gone": serviceerror.NewNotFound("workflow not found"),
			"ord_mute": errors.New("context deadline exceeded"),
		},
	}
	h, bearer := opsAPI(t, fake)
	got := getAttention(t, h, "/v1/ops/attention", bearer(lifecycle.Ops))

	// Parked orders by waiting time, then the one that did not answer; an
	// order decided or ended since visibility listed it is left out.
	if want := []string{"ord_old", "ord_mid", "ord_new", "ord_mute"}; !slices.Equal(got.ids(), want) {
		t.Fatalf("orders %v, want %v", got.ids(), want)
	}
	if got.Truncated == nil || *got.Truncated {
		t.Errorf("truncated = %v, want false", got.Truncated)
	}
	old := got.Orders[0]
	if old.Flow != "marketplace" || old.Status != "cancelled" || old.Attention == nil || old.Attention.Step != "step of ord_old" ||
		old.Attention.Error != "error of ord_old" || old.Attention.Skippable || !old.Attention.Since.Equal(parkedAt.Add(-90*time.Minute)) ||
		!slices.Equal(old.AllowedActions, []string{"cancel", "retry"}) || old.Error != "" {
		t.Errorf("first order %+v (attention %+v)", old, old.Attention)
	}
	mute := got.Orders[3]
	if mute.Attention != nil || mute.Status != "status-of-ord_mute" || mute.Flow != "marketplace" || mute.Error == "" || mute.AllowedActions == nil {
		t.Errorf("order that did not answer: %+v", mute)
	}

	want := `(NeedsAttention = true AND ExecutionStatus = "Running") OR ExecutionStatus = "Terminated" OR ExecutionStatus = "Failed" OR ExecutionStatus = "TimedOut"`
	if len(fake.queries) != 2 || fake.queries[0] != want || fake.queries[1] != fake.queries[0] {
		t.Errorf("visibility queries %q, want the parked-or-ended query on both pages", fake.queries)
	}
	if len(fake.viewers) != 6 || slices.ContainsFunc(fake.viewers, func(p auth.Principal) bool { return p != (auth.Principal{Role: lifecycle.Ops, Subject: "ops-1"}) }) {
		t.Errorf("orders queried for %v, want each once for the ops caller", fake.viewers)
	}
}

func TestAttentionIsForOpsOnly(t *testing.T) {
	fake := &visibilityFake{pages: [][]string{{"ord_a"}}, views: map[string]workflows.OrderView{"ord_a": parkedView("ord_a", "screening", 5, true)}}
	h, bearer := opsAPI(t, fake)
	for _, role := range []lifecycle.Role{lifecycle.Purchasing, lifecycle.Staff, lifecycle.Customer} {
		p := decodeProblem(t, do(t, h, "GET", "/v1/ops/attention", nil, bearer(role)), http.StatusForbidden)
		if p.Detail == "" {
			t.Errorf("%s: empty detail", role)
		}
	}
	decodeProblem(t, do(t, h, "GET", "/v1/ops/attention", nil, nil), http.StatusUnauthorized)
	if len(fake.queries) != 0 || len(fake.viewers) != 0 {
		t.Fatalf("Temporal was asked for a refused caller: %q %v", fake.queries, fake.viewers)
	}
}

func TestAttentionLimit(t *testing.T) {
	fake := &visibilityFake{
		pages: [][]string{{"ord_a", "ord_b"}, {"ord_c"}},
		views: map[string]workflows.OrderView{
			"ord_a": parkedView("ord_a", "screening", 1, true),
			"ord_b": parkedView("ord_b", "screening", 2, true),
			"ord_c": parkedView("ord_c", "screening", 3, true),
		},
	}
	h, bearer := opsAPI(t, fake)
	for _, bad := range []string{"0", "201", "x", "-1"} {
		p := decodeProblem(t, do(t, h, "GET", "/v1/ops/attention?limit="+bad, nil, bearer(lifecycle.Ops)), http.StatusUnprocessableEntity)
		if p.Errors["limit"] == "" {
			t.Errorf("limit=%s: errors %v, want one for limit", bad, p.Errors)
		}
	}

	got := getAttention(t, h, "/v1/ops/attention?limit=2", bearer(lifecycle.Ops))
	if !slices.Equal(got.ids(), []string{"ord_b", "ord_a"}) || got.Truncated == nil || !*got.Truncated {
		t.Fatalf("limit 2: orders %v truncated %v, want ord_b, ord_a and truncated", got.ids(), got.Truncated)
	}
	if len(fake.viewers) != 2 {
		t.Errorf("%d orders queried, want only the 2 listed", len(fake.viewers))
	}
	if fake.pageSizes[0] != 3 {
		t.Errorf("page size %d, want limit+1 = 3 (to tell whether more are parked)", fake.pageSizes[0])
	}

	got = getAttention(t, h, "/v1/ops/attention?limit=3", bearer(lifecycle.Ops))
	if !slices.Equal(got.ids(), []string{"ord_c", "ord_b", "ord_a"}) || *got.Truncated {
		t.Fatalf("limit 3: orders %v truncated %v, want all three, not truncated", got.ids(), *got.Truncated)
	}
}

func TestAttentionWhenVisibilityFails(t *testing.T) {
	h, bearer := opsAPI(t, &visibilityFake{listErr: serviceerror.NewUnavailable("visibility store down")})
	p := decodeProblem(t, do(t, h, "GET", "/v1/ops/attention", nil, bearer(lifecycle.Ops)), http.StatusServiceUnavailable)
	if p.Detail == "" {
		t.Fatal("empty detail")
	}
}

func TestAttentionWithNothingParkedIsAnEmptyList(t *testing.T) {
	h, bearer := opsAPI(t, &visibilityFake{pages: [][]string{{}}})
	rec := do(t, h, "GET", "/v1/ops/attention", nil, bearer(lifecycle.Ops))
	if rec.Code != http.StatusOK || rec.Body.String() != `{"orders":[],"truncated":false}` {
		t.Fatalf("nothing parked = %d %s, want an empty array", rec.Code, rec.Body)
	}
}

// Orders whose workflow ended abnormally (ops_ended.go).

// endedAPI serves the ops routes on the fake, with a real read model and
// the sandbox payment provider in a fresh database.
func endedAPI(t *testing.T, fake *visibilityFake) (http.Handler, func(role lifecycle.Role) map[string]string, *store.Store, *payments.Sandbox) {
	t.Helper()
	pool := pgtest.New(t)
	d := testDeps(nil)
	d.Temporal = fake
	d.Store = store.New(pool)
	d.Payments = payments.NewSandbox(pool, "http://shop.test", []byte("webhook-secret"))
	_, bearer := opsAPI(t, fake)
	return New(d), bearer, d.Store, d.Payments
}

// paidOrder makes the order's payment link, as its workflow does, and pays it.
func paidOrder(t *testing.T, s *payments.Sandbox, orderID string, cents money.Amount) {
	t.Helper()
	ctx := context.Background()
	l, err := s.CreateLink(ctx, payments.LinkRequest{Key: orderID + "/payment", OrderID: orderID, Amount: cents, Currency: "EUR", ExpiresAt: time.Now().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	_, token, _ := strings.Cut(l.URL, "/pay/")
	if _, err := s.Pay(ctx, token); err != nil {
		t.Fatal(err)
	}
}

type wireEnded struct {
	Orders []struct {
		ID             string   `json:"id"`
		Status         string   `json:"status"`
		Ended          string   `json:"ended"`
		EndedAt        string   `json:"ended_at"`
		EndedReason    string   `json:"ended_reason"`
		AllowedActions []string `json:"allowed_actions"`
		Error          string   `json:"error"`
		Money          *struct {
			Held     string            `json:"held"`
			Payments []json.RawMessage `json:"payments"`
			Invoices []json.RawMessage `json:"invoices"`
		} `json:"money"`
	} `json:"orders"`
}

const (
	terminated = enumspb.WORKFLOW_EXECUTION_STATUS_TERMINATED
	failed     = enumspb.WORKFLOW_EXECUTION_STATUS_FAILED
	timedOut   = enumspb.WORKFLOW_EXECUTION_STATUS_TIMED_OUT
	running    = enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING
	completed  = enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED
)

func TestAttentionListsOrdersWhoseWorkflowEndedAbnormally(t *testing.T) {
	ids := []string{"ord_parked", "ord_term", "ord_fail", "ord_tout", "ord_reset", "ord_closed", "ord_gone"}
	fake := &visibilityFake{
		pages: [][]string{ids[:4], ids[4:]},
		views: map[string]workflows.OrderView{"ord_parked": parkedView("ord_parked", "screening", 30, true)}, // parked at 08:30
		statuses: map[string]enumspb.WorkflowExecutionStatus{
			"ord_term": terminated, "ord_fail": failed, "ord_tout": timedOut, "ord_reset": terminated, "ord_closed": terminated, "ord_gone": terminated,
		},
		closedAt: map[string]time.Time{
			"ord_term": parkedAt.Add(-10 * time.Minute), "ord_fail": parkedAt.Add(-time.Hour), "ord_tout": parkedAt.Add(-5 * time.Minute),
			"ord_reset": parkedAt.Add(-2 * time.Hour), "ord_closed": parkedAt.Add(-3 * time.Hour), "ord_gone": parkedAt,
		},
		current: map[string]currentRun{
			"ord_term": {"run-ord_term", terminated}, "ord_fail": {"run-ord_fail", failed}, "ord_tout": {"run-ord_tout", timedOut},
			"ord_reset":  {"run-after-reset", running}, // a reset's old run: the new run carries the order
			"ord_closed": {"run-ord_closed", terminated},
		},
		endReasons: map[string]string{"ord_term": "Workflow history size exceeds limit.", "ord_fail": "panic: boom"},
	}
	h, bearer, st, pay := endedAPI(t, fake)
	paidOrder(t, pay, "ord_term", 9317)
	ctx := context.Background()
	if _, err := st.RecordEndedAction(ctx, store.EndedAction{EndedRun: store.EndedRun{OrderID: "ord_closed", RunID: "run-ord_closed"},
		Ended: "terminated", Action: "close", ActorRole: "ops", ActorID: "ops-1", Reason: "dealt with"}); err != nil {
		t.Fatal(err)
	}
	o, e := readModelOrder("ord_fail", "active")
	if err := st.RecordTransition(ctx, o, e); err != nil {
		t.Fatal(err)
	}

	rec := do(t, h, "GET", "/v1/ops/attention", nil, bearer(lifecycle.Ops))
	if rec.Code != http.StatusOK {
		t.Fatalf("attention = %d %s", rec.Code, rec.Body)
	}
	var got wireEnded
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	var listed []string
	for _, o := range got.Orders {
		listed = append(listed, o.ID)
	}
	// Longest waiting first: ended at 08:00, parked at 08:30, ended at 08:50 and 08:55.
	if want := []string{"ord_fail", "ord_parked", "ord_term", "ord_tout"}; !slices.Equal(listed, want) {
		t.Fatalf("listed %v, want %v\n%s", listed, want, rec.Body)
	}
	fail, term, tout := got.Orders[0], got.Orders[2], got.Orders[3]
	if fail.Ended != "failed" || fail.Status != "active" || fail.EndedReason != "panic: boom" || fail.Error != "" ||
		fail.Money == nil || fail.Money.Held != "0.00" || !slices.Equal(fail.AllowedActions, []string{"close"}) {
		t.Errorf("failed order %+v", fail)
	}
	if term.Ended != "terminated" || term.Status != "status-of-ord_term" || term.EndedReason != "Workflow history size exceeds limit." ||
		term.EndedAt != "2026-05-04T08:50:00Z" || term.Money == nil || term.Money.Held != "93.17" || len(term.Money.Payments) != 1 ||
		!slices.Equal(term.AllowedActions, []string{"refund"}) {
		t.Errorf("terminated order %+v", term)
	}
	if tout.Ended != "timed_out" || tout.EndedReason == "" || tout.Money == nil || len(tout.Money.Payments) != 0 || tout.Money.Invoices == nil {
		t.Errorf("timed-out order %+v", tout)
	}
	if slices.Contains(fake.described, "ord_closed") {
		t.Error("a closed order was described: it should be left out as listed")
	}
	if got.Orders[1].Ended != "" || got.Orders[1].Money != nil {
		t.Errorf("parked order %+v", got.Orders[1])
	}
}

// readModelOrder is the read model's row of an order at its first transition.
func readModelOrder(id, status string) (store.Order, store.TimelineEntry) {
	return store.Order{ID: id, Flow: "member", Status: status, OwnerID: "m-1", Title: id, CreatedAt: parkedAt, UpdatedAt: parkedAt},
		store.TimelineEntry{Seq: 1, At: parkedAt, From: "", To: status, Action: "create", ActorRole: "member", ActorID: "m-1"}
}

func TestRefundAndCloseAreOnlyForOrdersWhoseWorkflowEndedAbnormally(t *testing.T) {
	id := "ord_01ARZ3NDEKTSV4RRFFQ69G5FAV"
	fake := &visibilityFake{current: map[string]currentRun{id: {"run-1", running}}}
	h, bearer, _, pay := endedAPI(t, fake)
	paidOrder(t, pay, id, 5000)
	ops := bearer(lifecycle.Ops)
	reason := func(s string) *strings.Reader { return strings.NewReader(`{"reason": "` + s + `"}`) }

	for _, path := range []string{"/v1/ops/orders/" + id + "/refund", "/v1/ops/orders/" + id + "/close"} {
		for _, role := range []lifecycle.Role{lifecycle.Purchasing, lifecycle.Staff, lifecycle.Customer, lifecycle.Supplier} {
			decodeProblem(t, do(t, h, "POST", path, reason("x"), bearer(role)), http.StatusForbidden)
		}
		decodeProblem(t, do(t, h, "POST", path, reason("x"), nil), http.StatusUnauthorized)
		p := decodeProblem(t, do(t, h, "POST", path, reason("x"), ops), http.StatusConflict)
		if !strings.Contains(p.Detail, "is running: use the order's own actions") {
			t.Errorf("%s of a running order: %q", path, p.Detail)
		}
	}
	fake.current[id] = currentRun{"run-1", completed}
	p := decodeProblem(t, do(t, h, "POST", "/v1/ops/orders/"+id+"/refund", nil, ops), http.StatusConflict)
	if !strings.Contains(p.Detail, "ended normally (completed)") {
		t.Errorf("refund of a completed order: %q", p.Detail)
	}
	decodeProblem(t, do(t, h, "POST", "/v1/ops/orders/ord_01ARZ3NDEKTSV4RRFFQ69G5FAW/refund", nil, ops), http.StatusNotFound)
	decodeProblem(t, do(t, h, "POST", "/v1/ops/orders/not-an-order/close", reason("x"), ops), http.StatusNotFound)

	fake.current[id] = currentRun{"run-1", failed}
	for _, body := range []string{"", "{}", `{"reason": ""}`, `{"reason": " \t "}`, `{"reason": "` + strings.Repeat("x", 501) + `"}`} {
		p := decodeProblem(t, do(t, h, "POST", "/v1/ops/orders/"+id+"/close", strings.NewReader(body), ops), http.StatusUnprocessableEntity)
		if p.Errors["reason"] == "" {
			t.Errorf("close with %q: errors %v, want one for reason", body, p.Errors)
		}
	}
	decodeProblem(t, do(t, h, "POST", "/v1/ops/orders/"+id+"/close", strings.NewReader(`{"reason": "x", "force": true}`), ops), http.StatusBadRequest)
	p = decodeProblem(t, do(t, h, "POST", "/v1/ops/orders/"+id+"/close", reason("done"), ops), http.StatusConflict)
	if !strings.Contains(p.Detail, "refund it first") || !slices.Equal(p.AllowedActions, []string{"refund"}) {
		t.Errorf("close while money is held: %+v", p)
	}

	rec := do(t, h, "POST", "/v1/ops/orders/"+id+"/refund", nil, ops)
	if rec.Code != http.StatusOK {
		t.Fatalf("refund of a failed order = %d %s", rec.Code, rec.Body)
	}
	rec = do(t, h, "POST", "/v1/ops/orders/"+id+"/close", reason("refunded"), ops)
	if rec.Code != http.StatusOK {
		t.Fatalf("close after the refund = %d %s", rec.Code, rec.Body)
	}
}

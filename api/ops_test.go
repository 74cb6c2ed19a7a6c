package api

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/api/serviceerror"
	workflowpb "go.temporal.io/api/workflow/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"

	"github.com/orderflow/orderflow/internal/auth"
	"github.com/orderflow/orderflow/workflows"
)

// visibilityFake answers ListWorkflow from pages of executions and
// QueryWorkflow from views by workflow id; the integration test in
// internal/app runs the same handler against a real Temporal server.
type visibilityFake struct {
	client.Client // any other call panics: the handler must not make it

	pages     [][]string // workflow ids, page by page
	listErr   error
	views     map[string]workflows.OrderView
	queryErrs map[string]error

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
		resp.Executions = append(resp.Executions, &workflowpb.WorkflowExecutionInfo{
			Execution: &commonpb.WorkflowExecution{WorkflowId: id, RunId: "run-" + id},
			SearchAttributes: &commonpb.SearchAttributes{IndexedFields: map[string]*commonpb.Payload{
				workflows.OrderFlow.GetName():   mustPayload("marketplace"),
				workflows.OrderStatus.GetName(): mustPayload("status-of-" + id),
			}},
		})
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

func mustPayload(v any) *commonpb.Payload {
	p, err := converter.GetDefaultDataConverter().ToPayload(v)
	if err != nil {
		panic(err)
	}
	return p
}

var parkedAt = time.Date(2026, 5, 4, 9, 0, 0, 0, time.UTC)

func parkedView(id string, status workflows.Status, waitedMinutes int, skippable bool) workflows.OrderView {
	actions := []workflows.Action{"cancel", workflows.OpsRetry}
	if skippable {
		actions = append(actions, workflows.OpsSkip)
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

func opsAPI(t *testing.T, fake *visibilityFake) (http.Handler, func(role auth.Role) map[string]string) {
	t.Helper()
	d := testDeps(nil)
	d.Temporal = fake
	bearer := func(role auth.Role) map[string]string {
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
			"ord_decided": {ID: "ord_decided", Flow: "marketplace", Status: "screening", AllowedActions: []workflows.Action{}},
		},
		queryErrs: map[string]error{
			"ord_gone": serviceerror.NewNotFound("workflow not found"),
			"ord_mute": errors.New("context deadline exceeded"),
		},
	}
	h, bearer := opsAPI(t, fake)
	got := getAttention(t, h, "/v1/ops/attention", bearer(auth.Ops))

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

	if len(fake.queries) != 2 || fake.queries[0] != `NeedsAttention = true AND ExecutionStatus = "Running"` || fake.queries[1] != fake.queries[0] {
		t.Errorf("visibility queries %q, want the parked query on both pages", fake.queries)
	}
	if len(fake.viewers) != 6 || slices.ContainsFunc(fake.viewers, func(p auth.Principal) bool { return p != (auth.Principal{Role: auth.Ops, Subject: "ops-1"}) }) {
		t.Errorf("orders queried for %v, want each once for the ops caller", fake.viewers)
	}
}

func TestAttentionIsForOpsOnly(t *testing.T) {
	fake := &visibilityFake{pages: [][]string{{"ord_a"}}, views: map[string]workflows.OrderView{"ord_a": parkedView("ord_a", "screening", 5, true)}}
	h, bearer := opsAPI(t, fake)
	for _, role := range []auth.Role{auth.Purchasing, auth.Staff, auth.Customer} {
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
		p := decodeProblem(t, do(t, h, "GET", "/v1/ops/attention?limit="+bad, nil, bearer(auth.Ops)), http.StatusUnprocessableEntity)
		if p.Errors["limit"] == "" {
			t.Errorf("limit=%s: errors %v, want one for limit", bad, p.Errors)
		}
	}

	got := getAttention(t, h, "/v1/ops/attention?limit=2", bearer(auth.Ops))
	if !slices.Equal(got.ids(), []string{"ord_b", "ord_a"}) || got.Truncated == nil || !*got.Truncated {
		t.Fatalf("limit 2: orders %v truncated %v, want ord_b, ord_a and truncated", got.ids(), got.Truncated)
	}
	if len(fake.viewers) != 2 {
		t.Errorf("%d orders queried, want only the 2 listed", len(fake.viewers))
	}
	if fake.pageSizes[0] != 3 {
		t.Errorf("page size %d, want limit+1 = 3 (to tell whether more are parked)", fake.pageSizes[0])
	}

	got = getAttention(t, h, "/v1/ops/attention?limit=3", bearer(auth.Ops))
	if !slices.Equal(got.ids(), []string{"ord_c", "ord_b", "ord_a"}) || *got.Truncated {
		t.Fatalf("limit 3: orders %v truncated %v, want all three, not truncated", got.ids(), *got.Truncated)
	}
}

func TestAttentionWhenVisibilityFails(t *testing.T) {
	h, bearer := opsAPI(t, &visibilityFake{listErr: serviceerror.NewUnavailable("visibility store down")})
	p := decodeProblem(t, do(t, h, "GET", "/v1/ops/attention", nil, bearer(auth.Ops)), http.StatusServiceUnavailable)
	if p.Detail == "" {
		t.Fatal("empty detail")
	}
}

func TestAttentionWithNothingParkedIsAnEmptyList(t *testing.T) {
	h, bearer := opsAPI(t, &visibilityFake{pages: [][]string{{}}})
	rec := do(t, h, "GET", "/v1/ops/attention", nil, bearer(auth.Ops))
	if rec.Code != http.StatusOK || rec.Body.String() != `{"orders":[],"truncated":false}` {
		t.Fatalf("nothing parked = %d %s, want an empty array", rec.Code, rec.Body)
	}
}

package api

// Fuzz targets for what the API decodes from callers: order bodies, action
// bodies and the request_id folded into them. They run without Temporal: a
// recording stand-in tells whether a request got as far as starting or
// updating a workflow. Seed corpora live in testdata/fuzz/<FuzzName>/.
//
//	go test -run='^$' -fuzz=FuzzCreateOrderBody -fuzztime=10m ./api

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"

	"github.com/orderflow/orderflow/internal/auth"
	"github.com/orderflow/orderflow/lifecycle"
	"github.com/orderflow/orderflow/workflows"
)

// recordingTemporal stands in for Temporal: it records starts and updates
// and answers the order query with a view of the order's flow. Embedding the
// interface makes any other call panic, which the router turns into a 500
// that fails the test.
type recordingTemporal struct {
	client.Client
	flow string // the flow of the order that queries answer for

	mu      sync.Mutex
	starts  []any // workflow inputs
	updates []client.UpdateWorkflowOptions
}

// startOperation is the start half of an update-with-start.
type startOperation struct {
	client.WithStartWorkflowOperation
	id   string
	args []any
}

func (r *recordingTemporal) NewWithStartWorkflowOperation(o client.StartWorkflowOptions, _ any, args ...any) client.WithStartWorkflowOperation {
	return &startOperation{id: o.ID, args: args}
}

// UpdateWithStartWorkflow records the start and answers the view update
// as a new order's would.
func (r *recordingTemporal) UpdateWithStartWorkflow(_ context.Context, o client.UpdateWithStartWorkflowOptions) (client.WorkflowUpdateHandle, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	start := o.StartWorkflowOperation.(*startOperation)
	r.starts = append(r.starts, start.args[0])
	req := o.UpdateOptions.Args[0].(workflows.ViewRequest)
	return appliedUpdate{answer: workflows.ViewAnswer{Order: &workflows.OrderView{ID: start.id, Flow: r.flow, Status: "pending"}, Created: true, RequestID: req.RequestID}}, nil
}

func (r *recordingTemporal) QueryWorkflow(_ context.Context, id, _, _ string, _ ...any) (converter.EncodedValue, error) {
	if !strings.HasPrefix(id, "ord_") {
		return nil, serviceerror.NewNotFound("workflow not found")
	}
	// Every action allowed now: the API answers a body it cannot use itself
	// (a refused action's body goes to the workflow, which refuses the action).
	table, _ := lifecycle.FlowNamed(r.flow)
	allowed := append(table.Actions(), lifecycle.OpsRetry, lifecycle.OpsSkip)
	return encodedJSON{workflows.OrderView{ID: id, Flow: r.flow, Status: "pending", AllowedActions: allowed}}, nil
}

func (r *recordingTemporal) UpdateWorkflow(_ context.Context, o client.UpdateWorkflowOptions) (client.WorkflowUpdateHandle, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.updates = append(r.updates, o)
	return appliedUpdate{answer: workflows.OrderView{ID: o.WorkflowID, Flow: r.flow, Status: "pending"}}, nil
}

// appliedUpdate answers an update (the order's view, or the view update's
// answer), as if applied.
type appliedUpdate struct {
	client.WorkflowUpdateHandle
	answer any
}

func (u appliedUpdate) Get(_ context.Context, ptr any) error { return encodedJSON{u.answer}.Get(ptr) }

func (r *recordingTemporal) counts() (starts, updates int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.starts), len(r.updates)
}

func (r *recordingTemporal) lastStart() any {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.starts[len(r.starts)-1]
}

// encodedJSON hands a value over encoded and decoded, as Temporal would.
type encodedJSON struct{ v any }

func (e encodedJSON) HasValue() bool { return true }
func (e encodedJSON) Get(ptr any) error {
	b, err := json.Marshal(e.v)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, ptr)
}

// fuzzRoles are the callers a fuzz input picks from by index: the roles a
// token may name (client and system never hold one).
var fuzzRoles = lifecycle.PersonRoles

// testOrderID is an order id of the shape the API mints ("ord_" + ULID).
const testOrderID = "ord_01JQ3ZK7VX4Y2T9M8N6P5R3S1A"

func fuzzAPI(t testing.TB, flow string) (http.Handler, *recordingTemporal) {
	rec := &recordingTemporal{flow: flow}
	d := testDeps(nil)
	d.Temporal = rec
	d.TaskQueue = "fuzz"
	return New(d), rec
}

func bearer(t testing.TB, role lifecycle.Role, subject string) string {
	t.Helper()
	tok, err := auth.NewTokens(testSecret).Mint(auth.Principal{Role: role, Subject: subject}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return "Bearer " + tok
}

func send(h http.Handler, method, path, authz string, body []byte) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, strings.NewReader(string(body)))
	if authz != "" {
		req.Header.Set("Authorization", authz)
	}
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// checkAnswer fails on a 5xx and on any 4xx that is not a complete problem.
func checkAnswer(t testing.TB, rec *httptest.ResponseRecorder, body []byte) {
	t.Helper()
	if rec.Code >= 500 {
		t.Fatalf("status %d for body %q: %s", rec.Code, body, rec.Body)
	}
	if rec.Code < 400 {
		return
	}
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, problemContentType) {
		t.Fatalf("status %d with Content-Type %q for body %q", rec.Code, ct, body)
	}
	var p Problem
	if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
		t.Fatalf("status %d: the problem is not JSON (%v): %s", rec.Code, err, rec.Body)
	}
	if p.Status != rec.Code || p.Type == "" || p.Title == "" || p.Detail == "" {
		t.Fatalf("incomplete problem for body %q: %+v", body, p)
	}
}

const (
	seedMarketplaceOrder = `{"flow":"marketplace","customer_email":"c-1@customers.test","customer_name":"Customer","items":[{"sku":"CEM-25","description":"Cement 25 kg","quantity":10,"unit_price":"6.50","vat_rate":21}],"category":"building","delivery":{"address":["Rue Haute 1","1000 Brussels"],"region":"BE-BRU","requested_date":"2026-12-01"},"payment_terms":"prepaid"}`
	seedMemberOrder      = `{"flow":"member","member_email":"m-1@members.test","member_name":"Mia","client":{"name":"Carl","email":"carl@client.test"},"title":"Website","lines":[{"description":"Build","quantity":1,"unit_price":"1000.00","vat_rate":21}],"service_period":{"start":"2026-01-01","end":"2026-03-31"},"schedule":[{"date":"2026-02-01","amount":"1000.00"}],"offer_valid_until":"2026-12-01"}`
)

func FuzzCreateOrderBody(f *testing.F) {
	for _, s := range []string{seedMarketplaceOrder, seedMemberOrder, `{}`, `{"flow":"member"}`, `null`, `[]`, `{"flow":"marketplace","items":[{"quantity":-1}]}`} {
		for role := range 4 {
			f.Add(uint8(role), []byte(s))
		}
	}
	f.Fuzz(func(t *testing.T, roleIndex uint8, body []byte) {
		h, tc := fuzzAPI(t, "")
		role := fuzzRoles[int(roleIndex)%len(fuzzRoles)]
		rec := send(h, "POST", "/v1/orders", bearer(t, role, "sub-1"), body)
		checkAnswer(t, rec, body)

		starts, updates := tc.counts()
		if updates != 0 {
			t.Fatalf("creating an order sent %d updates", updates)
		}
		if rec.Code != http.StatusCreated {
			if starts != 0 {
				t.Fatalf("status %d but a workflow was started for body %q", rec.Code, body)
			}
			return
		}
		if starts != 1 {
			t.Fatalf("201 after %d starts for body %q", starts, body)
		}
		checkStartedInput(t, role, tc.lastStart(), body)
	})
}

// checkStartedInput: what was started is valid, and is the caller's own
// order when the caller may only create their own.
func checkStartedInput(t *testing.T, role lifecycle.Role, in any, body []byte) {
	t.Helper()
	switch in := in.(type) {
	case workflows.MarketplaceInput:
		if problems := in.Validate(); len(problems) > 0 {
			t.Fatalf("started an invalid marketplace order %v from body %q", problems, body)
		}
		if role == lifecycle.Customer && in.CustomerID != "sub-1" || role != lifecycle.Customer && role != lifecycle.Purchasing {
			t.Fatalf("%s started a marketplace order for %q", role, in.CustomerID)
		}
	case workflows.MemberInput:
		if problems := in.Validate(); len(problems) > 0 {
			t.Fatalf("started an invalid member order %v from body %q", problems, body)
		}
		if role == lifecycle.Member && in.MemberID != "sub-1" || role != lifecycle.Member && role != lifecycle.Staff {
			t.Fatalf("%s started a member order for %q", role, in.MemberID)
		}
	default:
		t.Fatalf("started a workflow with input %T", in)
	}
}

// flowActions lists every action of a flow that a caller may name, with the
// flow's payload registry.
func flowActions(flow string) ([]lifecycle.Action, map[lifecycle.Action]func() workflows.Payload) {
	table, _ := lifecycle.FlowNamed(flow)
	registry := workflows.PayloadsOf(flow)
	return append(table.Actions(), lifecycle.OpsRetry, lifecycle.OpsSkip), registry
}

var actionSeeds = []string{
	``, `{}`, `null`, `[]`, `"x"`, `{"reason":"The client closed the project; no more work."}`, `{"reason":""}`,
	`{"margin_percent":12.5}`, `{"margin_percent":"100"}`, `{"margin_percent":-1}`,
	`{"payment_id":"pay_1","amount":"10.00"}`, `{"amount":"-1"}`, `{"note":"delivered at the back door"}`,
	`{"number":"INV-7","amount":"1000000000000.01"}`, `{"entry":1,"comment":"please add PO"}`, `{"entry":0}`,
	`{"entry":1,"lines":[{"description":"x","quantity":1,"unit_price":"1","vat_rate":21}],"amount":"5"}`,
	`{"entry":1,"date":"2026-02-30"}`, `{"to_draft":true}`, `{"reason":"x"} {"reason":"y"}`, `{"unknown":1}`,
	`{"reason":"\u202egnp.exe"}`, "{\"reason\":\"\xff\xfe\"}", `{"entry":99999999999999999999}`,
}

func FuzzActionPayload(f *testing.F) {
	for _, s := range actionSeeds {
		f.Add([]byte(s))
	}
	f.Add([]byte(seedMemberOrder))
	f.Fuzz(func(t *testing.T, raw []byte) {
		for _, flow := range []string{"marketplace", "member"} {
			actions, registry := flowActions(flow)
			for _, a := range actions {
				checkDecoded(t, flow, a, raw, registry)
			}
		}
	})
}

func checkDecoded(t *testing.T, flow string, a lifecycle.Action, raw []byte, registry map[lifecycle.Action]func() workflows.Payload) {
	t.Helper()
	p, err := workflows.DecodePayload(registry, a, raw)
	if err == nil {
		if p == nil {
			t.Fatalf("%s %s: neither a payload nor an error for %q", flow, a, raw)
		}
		if problems := p.Validate(); len(problems) > 0 {
			t.Fatalf("%s %s: accepted %q with problems %v", flow, a, raw, problems)
		}
		return
	}
	var pe *workflows.PayloadError
	if !errors.As(err, &pe) || len(pe.Fields) == 0 || p != nil {
		t.Fatalf("%s %s: %q gave payload %v and error %#v, want a *PayloadError with fields", flow, a, raw, p, err)
	}
	for field, msg := range pe.Fields {
		if field == "" || msg == "" {
			t.Fatalf("%s %s: an unnamed or empty problem %q: %q for %q", flow, a, field, msg, raw)
		}
	}
}

// FuzzActionRequest sends any body, as any role, to every action of both
// flows through the router: never a 5xx, a problem on every refusal, and an
// update reaches the workflow exactly when the body is UTF-8, decodes and
// validates, and the role appears in some grant of the action (the workflow
// decides the rest).
func FuzzActionRequest(f *testing.F) {
	for i, s := range actionSeeds {
		f.Add(uint8(i), []byte(s))
	}
	f.Add(uint8(7), []byte(`{"request_id":"r-1","reason":"a reason long enough to cancel an order"}`))
	f.Add(uint8(0), []byte(`{"request_id":"bad id\n"}`))
	f.Fuzz(func(t *testing.T, roleIndex uint8, raw []byte) {
		role := fuzzRoles[int(roleIndex)%len(fuzzRoles)]
		authz := bearer(t, role, "sub-1")
		for _, flow := range []string{"marketplace", "member"} {
			h, tc := fuzzAPI(t, flow)
			actions, registry := flowActions(flow)
			table, _ := lifecycle.FlowNamed(flow)
			for _, a := range actions {
				_, before := tc.counts()
				rec := send(h, "POST", "/v1/orders/"+testOrderID+"/actions/"+string(a), authz, raw)
				checkAnswer(t, rec, raw)
				_, after := tc.counts()
				payload, _, splitErr := splitRequestID(raw)
				_, decodeErr := workflows.DecodePayload(registry, a, payload)
				ops := a == lifecycle.OpsRetry || a == lifecycle.OpsSkip
				usable := utf8.Valid(raw) && splitErr == nil && decodeErr == nil && (ops || table.MayAsk(a, role))
				if after > before && !usable {
					t.Fatalf("%s %s as %s: the unusable request %q reached the workflow", flow, a, role, raw)
				}
				if usable && after == before {
					t.Fatalf("%s %s as %s: the usable request %q never reached the workflow (status %d)", flow, a, role, raw, rec.Code)
				}
			}
		}
	})
}

func FuzzSplitRequestID(f *testing.F) {
	for _, s := range []string{``, `  `, `{}`, `null`, `[]`, `{"request_id":"r-1"}`, `{"request_id":"r-1","reason":"x"}`,
		`{"request_id":""}`, `{"request_id":1}`, `{"request_id":"a b"}`, `{"request_id":"r-1","request_id":"r-2"}`,
		`{"request_id":"` + strings.Repeat("x", 129) + `"}`, `{"reason":"x"}x`, `"x"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		payload, rid, err := splitRequestID(body)
		if err != nil {
			if payload != nil || rid != "" {
				t.Fatalf("%q: error %v but payload %q, request id %q", body, err, payload, rid)
			}
			return
		}
		if rid != "" && !validRequestID.MatchString(rid) {
			t.Fatalf("%q: accepted request id %q", body, rid)
		}
		if payload == nil {
			if strings.TrimSpace(string(body)) != "" {
				t.Fatalf("%q: a non-blank body lost its payload", body)
			}
			return
		}
		var original, rest map[string]json.RawMessage
		if err := json.Unmarshal(body, &original); err != nil {
			t.Fatalf("%q: accepted a body that is not a JSON object: %v", body, err)
		}
		if err := json.Unmarshal(payload, &rest); err != nil {
			t.Fatalf("%q: payload %q is not JSON: %v", body, payload, err)
		}
		if _, ok := rest["request_id"]; ok {
			t.Fatalf("%q: request_id left in the payload %q", body, payload)
		}
		if want := len(original) - btoi(original["request_id"] != nil); len(rest) != want {
			t.Fatalf("%q: payload %q has %d fields, want %d", body, payload, len(rest), want)
		}
		if raw, ok := original["request_id"]; ok {
			var want string
			_ = json.Unmarshal(raw, &want)
			if rid != want {
				t.Fatalf("%q: request id %q, want %q", body, rid, want)
			}
		}
	})
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

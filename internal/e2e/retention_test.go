package e2e_test

// Closed orders stay readable (issue 12): once Temporal's retention purged a
// closed order's workflow, GET /v1/orders/{id} and its documents are read
// back from Postgres, through the same per-role projection as the live
// order.

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"

	"go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"

	"github.com/orderflow/orderflow/activities"
	"github.com/orderflow/orderflow/lifecycle"
	"github.com/orderflow/orderflow/workflows"
)

// waitClosed waits until the order's workflow has ended.
func (m *market) waitClosed(id string) {
	m.t.Helper()
	m.eventually(id+" workflow closes", func() bool {
		d, err := m.sys.Temporal.DescribeWorkflowExecution(context.Background(), id, "")
		return err == nil && d.WorkflowExecutionInfo.Status != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING
	})
}

// purge deletes the order's workflow as Temporal's retention would, and
// waits until Temporal no longer knows it.
func (m *market) purge(id string) {
	m.t.Helper()
	ctx := context.Background()
	_, err := m.sys.Temporal.WorkflowService().DeleteWorkflowExecution(ctx, &workflowservice.DeleteWorkflowExecutionRequest{
		Namespace: m.sys.Namespace, WorkflowExecution: &common.WorkflowExecution{WorkflowId: id},
	})
	if err != nil {
		m.t.Fatalf("delete %s: %v", id, err)
	}
	m.eventually(id+" purged from Temporal", func() bool {
		_, err := m.sys.Temporal.DescribeWorkflowExecution(ctx, id, "")
		var notFound *serviceerror.NotFound
		return errors.As(err, &notFound)
	})
}

// viewsOf reads the order as each token sees it, as JSON (404 as "404").
func (m *market) viewsOf(id string, tokens map[string]string) map[string]string {
	m.t.Helper()
	out := map[string]string{}
	for name, tok := range tokens {
		resp, body := m.sys.Do(m.t, "GET", "/v1/orders/"+id, tok, nil)
		switch resp.StatusCode {
		case http.StatusOK:
			var v workflows.OrderView
			if err := json.Unmarshal(body, &v); err != nil {
				m.t.Fatal(err)
			}
			v.AllowedActions = nil // the workflow's: nothing is allowed on a purged order
			b, _ := json.Marshal(v)
			out[name] = string(b)
		case http.StatusNotFound:
			out[name] = "404"
		default:
			m.t.Fatalf("GET %s as %s = %d: %s", id, name, resp.StatusCode, body)
		}
	}
	return out
}

// documentBytes is the PDF of an order's document as token downloads it.
func (m *market) documentBytes(id, doc, token string) string {
	m.t.Helper()
	resp, body := m.sys.Do(m.t, "GET", "/v1/orders/"+id+"/documents/"+doc, token, nil)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/pdf" || !strings.HasPrefix(string(body), "%PDF") {
		m.t.Fatalf("document %s = %d %s: %.60q", doc, resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	return string(body)
}

func (m *market) sameViews(id string, before, after map[string]string) {
	m.t.Helper()
	for name, want := range before {
		if after[name] != want {
			m.t.Errorf("%s reads %s differently once purged:\n live %s\n read %s", name, id, want, after[name])
		}
	}
}

func TestRetentionClosedMarketplaceOrderStaysReadable(t *testing.T) {
	m := newMarket(t, map[string]string{"ORDERFLOW_RETURN_WINDOW": "3s"})
	id := m.completedMarketplaceOrder()
	m.waitClosed(id)
	tokens := map[string]string{
		"customer": m.token(lifecycle.Customer, "c-1"), "other customer": m.token(lifecycle.Customer, "c-2"),
		"winner": m.token(lifecycle.Supplier, "sup_alpha"), "loser": m.token(lifecycle.Supplier, "sup_bravo"),
		"decliner": m.token(lifecycle.Supplier, "sup_charlie"), "never offered": m.token(lifecycle.Supplier, "sup_delta"),
		"purchasing": m.token(lifecycle.Purchasing, "p-1"), "finance": m.token(lifecycle.Finance, "f-1"), "ops": m.token(lifecycle.Ops, "o-1"),
		"staff": m.token(lifecycle.Staff, "s-1"), "member": m.token(lifecycle.Member, "c-1"),
	}
	live := m.viewsOf(id, tokens)
	if !m.get(id, tokens["ops"]).Closed {
		t.Fatalf("the order is not closed: %s", live["ops"])
	}

	m.purge(id)
	read := m.viewsOf(id, tokens)
	m.sameViews(id, live, read)
	for _, who := range []string{"other customer", "never offered", "staff", "member"} {
		if read[who] != "404" {
			t.Errorf("%s reads a purged order it may not see: %s", who, read[who])
		}
	}
	// Field by field, as on the live order; the purchase order PDF too.
	m.checkMarketplaceParts(id)
	v := m.get(id, tokens["purchasing"])
	if len(v.AllowedActions) != 0 || !v.Closed || v.Status != lifecycle.Completed {
		t.Errorf("purged order: status %s closed %v allowed %v", v.Status, v.Closed, v.AllowedActions)
	}
	// Nothing can be done to it.
	resp, body := m.sys.Do(t, "POST", "/v1/orders/"+id+"/actions/request_return", tokens["customer"], mustJSON(t, map[string]any{"reason": "late"}))
	if resp.StatusCode < 400 || resp.StatusCode >= 500 {
		t.Errorf("an action on a purged order = %d: %s", resp.StatusCode, body)
	}
	m.call("GET", "/v1/orders/ord_01JZZZZZZZZZZZZZZZZZZZZZZZ", tokens["ops"], nil, http.StatusNotFound, nil)
}

func TestRetentionClosedMemberOrderAndItsInvoiceStayReadable(t *testing.T) {
	m := newMarket(t, memberEnv)
	member, staff := m.token(lifecycle.Member, "m-1"), m.token(lifecycle.Staff, "s-1")
	o := m.createMember("m-1", map[string]any{
		"submit": true, "skip_client_confirmation": true, "proof_reference": "contract 2026-17",
		"schedule": []map[string]any{{"date": day(0), "amount": "1000.00"}},
	})
	m.act(o.ID, "approve", staff, nil, http.StatusOK)
	m.waitStatus(o.ID, lifecycle.Completed)
	m.waitClosed(o.ID)
	invs := m.invoices(o.ID)
	if len(invs) != 1 {
		t.Fatalf("invoices %+v", invs)
	}
	tokens := map[string]string{
		"member": member, "other member": m.token(lifecycle.Member, "m-2"), "staff": staff, "finance": m.token(lifecycle.Finance, "f-1"),
		"ops": m.token(lifecycle.Ops, "o-1"), "customer": m.token(lifecycle.Customer, "m-1"), "purchasing": m.token(lifecycle.Purchasing, "p-1"),
		"supplier": m.token(lifecycle.Supplier, "m-1"),
	}
	live := m.viewsOf(o.ID, tokens)
	livePDF := m.documentBytes(o.ID, invs[0].DocumentID, member)

	m.purge(o.ID)
	read := m.viewsOf(o.ID, tokens)
	m.sameViews(o.ID, live, read)
	for _, who := range []string{"other member", "customer", "purchasing", "supplier"} {
		if read[who] != "404" {
			t.Errorf("%s reads a purged member order: %s", who, read[who])
		}
	}
	v := m.get(o.ID, member)
	if !slices.ContainsFunc(v.Documents, func(d activities.DocumentRef) bool { return d.ID == invs[0].DocumentID }) {
		t.Errorf("the member's purged order lists no invoice: %+v", v.Documents)
	}
	for _, tok := range []string{member, staff, tokens["finance"]} {
		if got := m.documentBytes(o.ID, invs[0].DocumentID, tok); got != livePDF {
			t.Errorf("the invoice PDF read back differs (%d bytes, live %d)", len(got), len(livePDF))
		}
	}
	for _, who := range []string{"other member", "customer", "supplier"} {
		if s := m.documentStatus(o.ID, invs[0].DocumentID, tokens[who]); s != http.StatusNotFound {
			t.Errorf("%s downloads the purged order's invoice: %d", who, s)
		}
	}
}

package e2e_test

// The access matrix, on the real system: every role × every action × own or
// someone else's order, through the HTTP API. The expectations are written
// out from lifecycles.md and api.md, not derived from the lifecycle table:
// 404 for whoever may not see the order, 403 for a role that may never apply
// the action or whose part of the order it is not, 409 for a role that could
// but not now, 2xx where the table allows it in the order's status.

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/orderflow/orderflow/lifecycle"
	"github.com/orderflow/orderflow/workflows"
)

// validBodies are bodies each action would accept, so a refusal is about
// access, never about the payload.
var validBodies = map[lifecycle.Action]any{
	lifecycle.PaymentConfirmed:    map[string]any{"payment_id": "pay_access", "amount": "10.00"},
	lifecycle.DeclineCredit:       map[string]any{"reason": "credit limit reached"},
	lifecycle.SetMargin:           map[string]any{"margin_percent": 10},
	lifecycle.Decline:             map[string]any{"reason": "no capacity this week"},
	lifecycle.MarkDelivered:       map[string]any{"note": "left at the gate"},
	lifecycle.UploadInvoice:       map[string]any{"number": "SUP-1", "amount": "70.00"},
	lifecycle.CannotFulfil:        map[string]any{"reason": "out of stock"},
	lifecycle.Cancel:              map[string]any{"reason": "changed plans"},
	lifecycle.RequestReturn:       map[string]any{"reason": "wrong colour"},
	lifecycle.RejectReturn:        map[string]any{"reason": "used goods"},
	lifecycle.RejectResalable:     map[string]any{"reason": "damaged"},
	lifecycle.Reject:              map[string]any{"reason": "out of scope"},
	lifecycle.RequestChanges:      map[string]any{"entry": 1, "comment": "please add the PO number"},
	lifecycle.ResolveChanges:      map[string]any{"entry": 1, "note": "done"},
	lifecycle.RequestCancellation: map[string]any{"reason": "The client closed the project for good."},
	lifecycle.DenyCancellation:    map[string]any{"reason": "work already delivered"},
	lifecycle.Duplicate:           map[string]any{"to_draft": true},
	lifecycle.Edit: map[string]any{
		"client": map[string]any{"name": "Carl Client", "email": "carl@client.test"}, "title": "Edited",
		"lines":          []map[string]any{{"description": "Work", "quantity": 1, "unit_price": "100.00", "vat_rate": 21}},
		"service_period": map[string]any{"start": day(-30), "end": day(-1)}, "offer_valid_until": day(10),
		"schedule": []map[string]any{{"date": day(5), "amount": "100.00"}},
	},
}

// caller is one row of the matrix: who calls and what they may do.
type caller struct {
	name      string
	role      lifecycle.Role
	subject   string
	sees      bool               // may see this order (else 404 for everything)
	mayEver   []lifecycle.Action // the role's actions in this flow (else 403)
	mayNow    []lifecycle.Action // allowed in the order's current status (2xx)
	skipNowOK bool               // the allowed ones change the order: tried at the end instead
}

func (c caller) expect(a lifecycle.Action) int {
	switch {
	case !c.sees:
		return http.StatusNotFound
	case slices.Contains(c.mayNow, a):
		return http.StatusOK
	case slices.Contains(c.mayEver, a):
		return http.StatusConflict
	}
	return http.StatusForbidden
}

var (
	opsActions       = []lifecycle.Action{lifecycle.OpsRetry, lifecycle.OpsSkip}
	customerActions  = []lifecycle.Action{lifecycle.Cancel, lifecycle.RequestReturn}
	purchaseActions  = []lifecycle.Action{lifecycle.Cancel, lifecycle.SetMargin, lifecycle.Release, lifecycle.ApproveReturn, lifecycle.RejectReturn}
	financeActions   = []lifecycle.Action{lifecycle.ApproveCredit, lifecycle.DeclineCredit}
	supplierActions  = []lifecycle.Action{lifecycle.Accept, lifecycle.Decline, lifecycle.MarkDelivered, lifecycle.UploadInvoice, lifecycle.CannotFulfil, lifecycle.ConfirmResalable, lifecycle.RejectResalable}
	memberActions    = []lifecycle.Action{lifecycle.Edit, lifecycle.Submit, lifecycle.Discard, lifecycle.Withdraw, lifecycle.ResendConfirmation, lifecycle.RequestChanges, lifecycle.RequestCancellation, lifecycle.Duplicate, lifecycle.WithdrawCancellation}
	staffActions     = []lifecycle.Action{lifecycle.Approve, lifecycle.Reject, lifecycle.ResendConfirmation, lifecycle.ResolveChanges, lifecycle.ApproveCancellation, lifecycle.DenyCancellation}
	allActionsOfFlow = func(flow string) []lifecycle.Action {
		table, _ := lifecycle.FlowNamed(flow)
		return append(table.Actions(), opsActions...)
	}
)

// checkMatrix applies every action of the flow as each caller and checks
// the status; allowed actions of callers marked skipNowOK are left out.
func (m *market) checkMatrix(orderID, flow string, callers []caller) {
	m.t.Helper()
	for _, c := range callers {
		token := m.token(c.role, c.subject)
		resp, body := m.sys.Do(m.t, "GET", "/v1/orders/"+orderID, token, nil)
		if want := map[bool]int{true: 200, false: 404}[c.sees]; resp.StatusCode != want {
			m.t.Errorf("%s: GET %s = %d, want %d: %s", c.name, orderID, resp.StatusCode, want, body)
		}
		for _, a := range allActionsOfFlow(flow) {
			want := c.expect(a)
			if want == http.StatusOK && c.skipNowOK {
				continue
			}
			got, body := m.try(orderID, a, token)
			if got != want {
				m.t.Errorf("%s: %s on %s = %d, want %d: %s", c.name, a, orderID, got, want, body)
			}
		}
	}
}

// try applies action with a valid body and returns the status and body.
func (m *market) try(orderID string, a lifecycle.Action, token string) (int, string) {
	m.t.Helper()
	var raw []byte
	if b, ok := validBodies[a]; ok {
		raw = mustJSON(m.t, b)
	}
	resp, body := m.sys.Do(m.t, "POST", "/v1/orders/"+orderID+"/actions/"+string(a), token, raw)
	if resp.StatusCode >= 400 && !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/problem+json") {
		m.t.Errorf("%s on %s = %d with Content-Type %q", a, orderID, resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	return resp.StatusCode, string(body)
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// pendingOrder is a credit order of customer driven to pending and offered
// to the top three suppliers (alpha, bravo, charlie; delta is fourth).
func (m *market) pendingOrder(customer string) workflows.OrderView {
	m.t.Helper()
	o := m.create(customer, "credit")
	m.act(o.ID, "approve_credit", m.token(lifecycle.Finance, "f-1"), nil, http.StatusOK)
	purchasing := m.token(lifecycle.Purchasing, "p-1")
	m.act(o.ID, "set_margin", purchasing, map[string]any{"margin_percent": 10}, http.StatusOK)
	m.act(o.ID, "release", purchasing, nil, http.StatusOK)
	m.offeredTo(o.ID, 3)
	return m.waitStatus(o.ID, lifecycle.Pending)
}

func TestAccessMatrixMarketplacePending(t *testing.T) {
	m := newMarket(t, nil)
	o := m.pendingOrder("c-1")

	m.checkMatrix(o.ID, "marketplace", []caller{
		{name: "customer (owner)", role: lifecycle.Customer, subject: "c-1", sees: true, mayEver: customerActions, mayNow: []lifecycle.Action{lifecycle.Cancel}, skipNowOK: true},
		{name: "customer (other)", role: lifecycle.Customer, subject: "c-2"},
		{name: "purchasing", role: lifecycle.Purchasing, subject: "p-1", sees: true, mayEver: purchaseActions, mayNow: []lifecycle.Action{lifecycle.Cancel}, skipNowOK: true},
		{name: "finance", role: lifecycle.Finance, subject: "f-1", sees: true, mayEver: financeActions},
		{name: "supplier (offered)", role: lifecycle.Supplier, subject: "sup_alpha", sees: true, mayEver: supplierActions, mayNow: []lifecycle.Action{lifecycle.Accept, lifecycle.Decline}, skipNowOK: true},
		{name: "supplier (never offered)", role: lifecycle.Supplier, subject: "sup_delta"},
		{name: "ops", role: lifecycle.Ops, subject: "o-1", sees: true, mayEver: opsActions},
		{name: "member", role: lifecycle.Member, subject: "m-1"},
		{name: "staff", role: lifecycle.Staff, subject: "s-1"},
		// No token names the client (or system): auth refuses to mint one.
	})
	if v := m.get(o.ID, m.token(lifecycle.Ops, "o-1")); v.Status != lifecycle.Pending || len(withoutWaits(v.Timeline)) != 4 {
		t.Fatalf("refused actions changed the order: %s, %d timeline entries", v.Status, len(withoutWaits(v.Timeline)))
	}

	// The allowed actions, each where it makes sense: alpha declines (and
	// may still read the order it was offered), bravo accepts; then the
	// customer's and purchasing's cancels on orders of their own.
	alpha, bravo := m.token(lifecycle.Supplier, "sup_alpha"), m.token(lifecycle.Supplier, "sup_bravo")
	m.act(o.ID, "decline", alpha, validBodies[lifecycle.Decline], http.StatusOK)
	m.act(o.ID, "accept", alpha, nil, http.StatusForbidden) // declined: no longer offered to alpha
	if v := m.act(o.ID, "accept", bravo, nil, http.StatusOK); v.Status != lifecycle.InProgress {
		t.Fatalf("after bravo accepts: %s", v.Status)
	}
	// Another supplier's part of the order: 403, with the status as the
	// caller sees it (the order is gone for it, not in progress: issue 12)
	// and what it may do.
	resp, body := m.sys.Do(t, "POST", "/v1/orders/"+o.ID+"/actions/mark_delivered", alpha, mustJSON(t, validBodies[lifecycle.MarkDelivered]))
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(string(body), `"status_now":"no_longer_available"`) || !strings.Contains(string(body), `"allowed_actions":[]`) ||
		strings.Contains(string(body), "in_progress") {
		t.Fatalf("mark_delivered by a supplier that did not win = %d: %s", resp.StatusCode, body)
	}
	// A stranger's valid action goes straight to the order (the API reads
	// nothing first): the workflow refuses it with the same 404 as GET,
	// which says nothing of the order.
	stranger := m.token(lifecycle.Customer, "c-2")
	_, got := m.sys.Do(t, "GET", "/v1/orders/"+o.ID, stranger, nil)
	resp, acted := m.sys.Do(t, "POST", "/v1/orders/"+o.ID+"/actions/cancel", stranger, mustJSON(t, validBodies[lifecycle.Cancel]))
	if resp.StatusCode != http.StatusNotFound || problemDetail(t, acted) != problemDetail(t, got) ||
		strings.Contains(string(acted), "status_now") || strings.Contains(string(acted), string(lifecycle.InProgress)) {
		t.Fatalf("a stranger's cancel = %d: %s; its GET: %s", resp.StatusCode, acted, got)
	}

	byCustomer := m.pendingOrder("c-1")
	m.act(byCustomer.ID, "cancel", m.token(lifecycle.Customer, "c-1"), validBodies[lifecycle.Cancel], http.StatusOK)
	byPurchasing := m.pendingOrder("c-3")
	m.act(byPurchasing.ID, "cancel", m.token(lifecycle.Purchasing, "p-1"), validBodies[lifecycle.Cancel], http.StatusOK)
	m.waitStatus(byCustomer.ID, lifecycle.Cancelled)
	m.waitStatus(byPurchasing.ID, lifecycle.Cancelled)
}

func TestAccessMatrixMemberClientConfirmation(t *testing.T) {
	m := newMarket(t, memberEnv)
	staff := m.token(lifecycle.Staff, "s-1")
	toClient := func(member, title string) (workflows.OrderView, string) {
		o := m.createMember(member, map[string]any{"submit": true, "title": title,
			"schedule": []map[string]any{{"date": day(5), "amount": "1000.00"}}})
		m.act(o.ID, "approve", staff, nil, http.StatusOK)
		m.waitStatus(o.ID, lifecycle.ClientConfirmation)
		url := m.link(o.ID)
		return m.currentLink(o.ID), url
	}
	a, urlA := toClient("m-1", "Website redesign")
	b, _ := toClient("m-2", "Logo for the bakery")
	linkA := a.Member.ConfirmationLink.ID

	m.checkMatrix(a.ID, "member", []caller{
		{name: "member (owner)", role: lifecycle.Member, subject: "m-1", sees: true, mayEver: memberActions,
			mayNow: []lifecycle.Action{lifecycle.ResendConfirmation, lifecycle.Withdraw}, skipNowOK: true}, // withdraw: issue 12
		{name: "member (other)", role: lifecycle.Member, subject: "m-2"},
		{name: "staff", role: lifecycle.Staff, subject: "s-1", sees: true, mayEver: staffActions, mayNow: []lifecycle.Action{lifecycle.ResendConfirmation}, skipNowOK: true},
		{name: "finance", role: lifecycle.Finance, subject: "f-1", sees: true},
		{name: "ops", role: lifecycle.Ops, subject: "o-1", sees: true, mayEver: opsActions},
		// The client holds no token: it answers on its link's page (below).
		{name: "customer", role: lifecycle.Customer, subject: "c-1"},
		{name: "purchasing", role: lifecycle.Purchasing, subject: "p-1"},
		{name: "supplier", role: lifecycle.Supplier, subject: "sup_alpha"},
	})
	if v := m.get(a.ID, staff); v.Status != lifecycle.ClientConfirmation || v.Member.ConfirmationLink.ID != linkA {
		t.Fatalf("refused actions changed the order: %s, link %+v", v.Status, v.Member.ConfirmationLink)
	}

	// A's link opens A's page, never B's; a link acts on its own order only.
	page := m.page(urlA)
	if !strings.Contains(page, "Website redesign") || strings.Contains(page, b.ID) || strings.Contains(page, "Logo for the bakery") {
		t.Fatalf("A's link shows the wrong order:\n%s", page)
	}

	// The allowed actions: both resends (each replaces the link, so the old
	// holder loses the order), then the current holder confirms A and B's
	// holder declines B.
	m.act(a.ID, "resend_confirmation", m.token(lifecycle.Member, "m-1"), nil, http.StatusOK)
	m.act(a.ID, "resend_confirmation", staff, nil, http.StatusOK)
	// Each resend starts a new round at once, even before the previous new
	// link exists: the second one is round 3.
	m.linkOfRound(a.ID, 3)
	current := m.linkURLOfRound(a.ID, 3)
	if status, body := m.answerByLink(urlA, "confirm", nil); status != http.StatusGone && status != http.StatusNotFound {
		t.Fatalf("a replaced link confirmed (%d): %s", status, body) // a replaced link no longer answers the order
	}
	if status, body := m.answerByLink(current, "confirm", nil); status != http.StatusSeeOther {
		t.Fatalf("confirm through the current link = %d: %s", status, body)
	}
	if v := m.get(a.ID, staff); v.Status != lifecycle.Active {
		t.Fatalf("after confirm: %s", v.Status)
	}
	if status, body := m.answerByLink(m.linkURLOfRound(b.ID, 1), "decline", url.Values{"reason": {"no capacity this week"}}); status != http.StatusSeeOther {
		t.Fatalf("decline through B's link = %d: %s", status, body)
	}
	if v := m.get(b.ID, staff); v.Status != lifecycle.Rejected {
		t.Fatalf("after decline: %s", v.Status)
	}
}

// currentLink waits for the order's confirmation link and returns the view.
func (m *market) currentLink(id string) workflows.OrderView {
	m.t.Helper()
	var v workflows.OrderView
	m.eventually("confirmation link of "+id, func() bool {
		v = m.get(id, m.token(lifecycle.Staff, "s-1"))
		return v.Member != nil && v.Member.ConfirmationLink != nil
	})
	return v
}

// linkOfRound waits for the order's link of round (1 is the first send)
// and returns its id.
func (m *market) linkOfRound(id string, round int) string {
	m.t.Helper()
	var current string
	m.eventually(fmt.Sprintf("link round %d of %s", round, id), func() bool {
		v := m.get(id, m.token(lifecycle.Staff, "s-1"))
		if l := v.Member.ConfirmationLink; l != nil && l.Round == round {
			current = l.ID
		}
		return current != ""
	})
	return current
}

func (m *market) page(url string) string {
	m.t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		m.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		m.t.Fatalf("GET %s = %d: %s", url, resp.StatusCode, body)
	}
	return string(body)
}

// problemDetail is the detail of a problem answer.
func problemDetail(t *testing.T, body []byte) string {
	t.Helper()
	var p struct {
		Detail string `json:"detail"`
	}
	if err := json.Unmarshal(body, &p); err != nil || p.Detail == "" {
		t.Fatalf("not a problem: %s", body)
	}
	return p.Detail
}

package e2e_test

// Each party sees exactly its part (issue 12), on the real system: the
// order view and the documents as each role reads them through the HTTP
// API, checked above all for what the role must NOT see.

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/orderflow/orderflow/lifecycle"
	"github.com/orderflow/orderflow/workflows"
)

// rawView is the order as role sub reads it, decoded and as JSON text.
func (m *market) rawView(id, token string) (workflows.OrderView, string) {
	m.t.Helper()
	resp, body := m.sys.Do(m.t, "GET", "/v1/orders/"+id, token, nil)
	if resp.StatusCode != http.StatusOK {
		m.t.Fatalf("GET %s = %d: %s", id, resp.StatusCode, body)
	}
	var v workflows.OrderView
	if err := json.Unmarshal(body, &v); err != nil {
		m.t.Fatal(err)
	}
	return v, string(body)
}

func noneOf(t *testing.T, who, raw string, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		if strings.Contains(raw, s) {
			t.Errorf("%s sees %q: %s", who, s, raw)
		}
	}
}

// documentStatus is the status of GET .../documents/{doc} for token.
func (m *market) documentStatus(id, doc, token string) int {
	m.t.Helper()
	resp, body := m.sys.Do(m.t, "GET", "/v1/orders/"+id+"/documents/"+doc, token, nil)
	if resp.StatusCode == http.StatusOK && !strings.HasPrefix(string(body), "%PDF") {
		m.t.Fatalf("document %s is not a PDF: %.40q", doc, body)
	}
	return resp.StatusCode
}

// completedMarketplaceOrder is c-1's prepaid order, released to alpha,
// bravo and charlie (margin 10 %), declined by charlie, won by alpha,
// delivered and invoiced; with its purchase order stored.
func (m *market) completedMarketplaceOrder() string {
	m.t.Helper()
	id := m.releasedToSuppliers("c-1")
	m.act(id, "decline", m.token(lifecycle.Supplier, "sup_charlie"), map[string]any{"reason": "too far for our trucks"}, http.StatusOK)
	m.act(id, "accept", m.token(lifecycle.Supplier, "sup_alpha"), nil, http.StatusOK)
	m.fulfil(id, "sup_alpha")
	m.eventually("the purchase order of "+id, func() bool {
		return len(m.get(id, m.token(lifecycle.Purchasing, "p-1")).Documents) == 1
	})
	return id
}

// checkMarketplaceParts checks each role's part of completedMarketplaceOrder
// (live or read back from Postgres: the same projection).
func (m *market) checkMarketplaceParts(id string) {
	t := m.t
	t.Helper()
	purchasing := m.token(lifecycle.Purchasing, "p-1")
	full, _ := m.rawView(id, purchasing)
	if full.Marketplace.MarginPercent == nil || len(full.Marketplace.Offers) != 3 || full.Marketplace.Supplier == nil ||
		full.Marketplace.Payment == nil || len(full.Documents) != 1 {
		t.Fatalf("purchasing misses the whole order: %+v", full)
	}
	po := full.Documents[0].ID

	// The customer: its prices, payment, emails; no margin, supplier pay,
	// offers, supplier, supplier invoice, purchase order, supplier email.
	v, raw := m.rawView(id, m.token(lifecycle.Customer, "c-1"))
	c := v.Marketplace
	if c.MarginPercent != nil || c.SupplierCost != nil || c.Offers != nil || c.Supplier != nil || c.SupplierInvoice != nil {
		t.Errorf("customer sees margin %v, supplier cost %v, offers %v, supplier %v, supplier invoice %v",
			c.MarginPercent, c.SupplierCost, c.Offers, c.Supplier, c.SupplierInvoice)
	}
	if c.CustomerEmail != "c-1@customers.test" || c.Payment == nil || c.Items[0].UnitPrice != full.Marketplace.Items[0].UnitPrice {
		t.Errorf("customer misses its own part: %s", raw)
	}
	if len(v.Documents) != 0 {
		t.Errorf("customer documents %+v, want none (the purchase order is the supplier's)", v.Documents)
	}
	for _, e := range v.Emails {
		if e.Recipient != "c-1@customers.test" {
			t.Errorf("customer sees an email to %s (%s)", e.Recipient, e.Purpose)
		}
	}
	for _, e := range v.Timeline {
		if e.ActorRole != lifecycle.Customer && (e.ActorID != "" || e.RequestID != "") {
			t.Errorf("customer reads another party's actor id or request id: %+v", e)
		}
		if e.Action == lifecycle.SetMargin || e.Action == lifecycle.Decline || e.Action == lifecycle.UploadInvoice {
			t.Errorf("customer reads the internal note %+v", e)
		}
	}
	noneOf(t, "customer", raw, "suppliers.test", "sup_", "Alpha", "Charlie", "margin", "too far", "INV-sup_alpha", "p-1", `"supplier_cost"`)
	if s := m.documentStatus(id, po, m.token(lifecycle.Customer, "c-1")); s != http.StatusNotFound {
		t.Errorf("customer downloads the purchase order: %d", s)
	}

	// The winner: goods at its price, delivery, its pay, its documents and
	// emails; never the customer, their price, payment, refund, margin or
	// the other suppliers.
	v, raw = m.rawView(id, m.token(lifecycle.Supplier, "sup_alpha"))
	a := v.Marketplace
	if v.Status != full.Status || a.SupplierCost == nil || *a.SupplierCost != *full.Marketplace.SupplierCost || v.Total != *a.SupplierCost ||
		a.Items[0].UnitPrice >= full.Marketplace.Items[0].UnitPrice || len(a.Delivery.Address) == 0 || a.DeliveryNote == nil {
		t.Errorf("winner misses its part: %s", raw)
	}
	if v.Owner != "" || a.CustomerEmail != "" || a.Payment != nil || a.Refunded != 0 || a.MarginPercent != nil || a.Return != nil {
		t.Errorf("winner sees the customer's side: %s", raw)
	}
	if len(a.Offers) != 1 || a.Offers[0].Supplier.ID != "sup_alpha" {
		t.Errorf("winner sees offers %+v", a.Offers)
	}
	if len(v.Documents) != 1 || v.Documents[0].Kind != "purchase_order" {
		t.Errorf("winner documents %+v, want its purchase order", v.Documents)
	}
	for _, e := range v.Emails {
		if e.Recipient != "alpha@suppliers.test" {
			t.Errorf("winner sees an email to %s (%s)", e.Recipient, e.Purpose)
		}
	}
	for _, e := range v.Timeline {
		if e.ActorRole != lifecycle.Supplier && (e.ActorID != "" || e.RequestID != "" || e.Reason != "") {
			t.Errorf("winner reads another party's actor id, request id or reason: %+v", e)
		}
		if e.Action == lifecycle.SetMargin || e.Action == lifecycle.Decline || e.Action == "create" {
			t.Errorf("winner reads %+v", e)
		}
	}
	noneOf(t, "winner", raw, "c-1", "customers.test", "Customer c-1", `"unit_price":"6.50"`, "sup_bravo", "sup_charlie", "Bravo", "Charlie",
		"too far", "margin", `"payment"`, "p-1")
	if s := m.documentStatus(id, po, m.token(lifecycle.Supplier, "sup_alpha")); s != http.StatusOK {
		t.Errorf("winner cannot download its purchase order: %d", s)
	}

	// The loser and the supplier that declined: the order is gone.
	for _, sub := range []string{"sup_bravo", "sup_charlie"} {
		v, raw := m.rawView(id, m.token(lifecycle.Supplier, sub))
		if v.Status != lifecycle.NoLongerAvailable || v.Marketplace != nil || len(v.Timeline)+len(v.Documents)+len(v.Emails)+len(v.AllowedActions) != 0 {
			t.Errorf("%s reads an order it has no part in: %s", sub, raw)
		}
		noneOf(t, sub, raw, "Cement", "sup_alpha", "c-1", "completed", "Rue Haute")
		// Its refusals say no more than its view.
		resp, body := m.sys.Do(t, "POST", "/v1/orders/"+id+"/actions/mark_delivered", m.token(lifecycle.Supplier, sub), mustJSON(t, map[string]any{"note": "x"}))
		if resp.StatusCode != http.StatusForbidden && resp.StatusCode != http.StatusConflict && resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s acting on an order it has no part in = %d: %s", sub, resp.StatusCode, body)
		}
		noneOf(t, sub+"'s refusal", string(body), "completed", "in_progress", "returned", "sup_alpha")
		if s := m.documentStatus(id, po, m.token(lifecycle.Supplier, sub)); s != http.StatusNotFound {
			t.Errorf("%s downloads the winner's purchase order: %d", sub, s)
		}
	}
	// Who may not see the order at all.
	for _, tok := range []string{m.token(lifecycle.Customer, "c-2"), m.token(lifecycle.Supplier, "sup_delta"), m.token(lifecycle.Staff, "s-1"), m.token(lifecycle.Member, "c-1")} {
		m.call("GET", "/v1/orders/"+id, tok, nil, http.StatusNotFound, nil)
		if s := m.documentStatus(id, po, tok); s != http.StatusNotFound {
			t.Errorf("an outsider downloads the purchase order: %d", s)
		}
	}
	// The staff side reads the whole order.
	for _, tok := range []string{m.token(lifecycle.Finance, "f-1"), m.token(lifecycle.Ops, "o-1")} {
		v, _ := m.rawView(id, tok)
		if v.Marketplace.MarginPercent == nil || len(v.Marketplace.Offers) != 3 || len(v.Documents) != 1 || len(v.Emails) < len(full.Emails) {
			t.Errorf("finance or ops miss part of the order: %+v", v)
		}
	}
	if s := m.documentStatus(id, po, purchasing); s != http.StatusOK {
		t.Errorf("purchasing cannot download the purchase order: %d", s)
	}
}

func TestProjectionMarketplaceEachPartyOnTheAPI(t *testing.T) {
	m := newMarket(t, nil)
	id := m.completedMarketplaceOrder()
	m.checkMarketplaceParts(id)

	// While offered, a supplier reads the goods and its pay; once it
	// declined, nothing.
	pending := m.pendingOrder("c-3")
	bravo := m.token(lifecycle.Supplier, "sup_bravo")
	v, raw := m.rawView(pending.ID, bravo)
	if v.Status != lifecycle.Pending || v.Marketplace == nil || v.Marketplace.SupplierCost == nil || len(v.Marketplace.Offers) != 1 ||
		!slices.Contains(v.AllowedActions, lifecycle.Accept) {
		t.Fatalf("offered supplier: %s", raw)
	}
	noneOf(t, "offered supplier", raw, "c-3", "customers.test", "sup_alpha", "sup_charlie", "margin")
	m.act(pending.ID, "decline", bravo, map[string]any{"reason": "no capacity"}, http.StatusOK)
	if v, raw := m.rawView(pending.ID, bravo); v.Status != lifecycle.NoLongerAvailable || v.Marketplace != nil {
		t.Fatalf("declined supplier: %s", raw)
	}
}

// TestProjectionMemberEachPartyOnTheAPI: the member reads its order but the
// staff side's identities, request ids, ops' work and staff's emails.
func TestProjectionMemberEachPartyOnTheAPI(t *testing.T) {
	m := newMarket(t, memberEnv)
	member, staff := m.token(lifecycle.Member, "m-1"), m.token(lifecycle.Staff, "s-1")
	o := m.createMember("m-1", map[string]any{"submit": true, "schedule": []map[string]any{{"date": day(5), "amount": "1000.00"}}})
	m.call("POST", "/v1/orders/"+o.ID+"/actions/approve", staff, map[string]any{"request_id": "staff-approve-1"}, http.StatusOK, nil)
	m.eventually("the confirmation request", func() bool { return slices.Contains(m.emails(o.ID), "confirmation_request#1→carl@client.test") })

	v, raw := m.rawView(o.ID, member)
	if v.Member == nil || v.Member.ConfirmationLink == nil || len(v.Timeline) < 3 {
		t.Fatalf("member misses its order: %s", raw)
	}
	for _, e := range v.Timeline {
		if e.ActorRole == lifecycle.Staff && (e.ActorID != "" || e.RequestID != "") {
			t.Errorf("member reads a staff identity or request id: %+v", e)
		}
	}
	for _, e := range v.Emails {
		if e.Recipient != "m-1@members.test" && e.Recipient != "carl@client.test" {
			t.Errorf("member sees an email to %s", e.Recipient)
		}
	}
	noneOf(t, "member", raw, "s-1", "staff-approve-1", `"attention"`)
	full, _ := m.rawView(o.ID, staff)
	if !slices.ContainsFunc(full.Timeline, func(e workflows.TimelineEntry) bool { return e.ActorID == "s-1" && e.RequestID == "staff-approve-1" }) {
		t.Errorf("staff miss their own approval on the timeline: %+v", full.Timeline)
	}
	m.call("GET", "/v1/orders/"+o.ID, m.token(lifecycle.Member, "m-2"), nil, http.StatusNotFound, nil)
	m.call("GET", "/v1/orders/"+o.ID, m.token(lifecycle.Customer, "m-1"), nil, http.StatusNotFound, nil)
	m.call("GET", "/v1/orders/"+o.ID, m.token(lifecycle.Purchasing, "p-1"), nil, http.StatusNotFound, nil)
}

// listIDs are the ids GET /v1/orders?query lists for token.
func (m *market) listIDs(query, token string) []string {
	m.t.Helper()
	var out struct {
		Orders []struct {
			ID string `json:"id"`
		} `json:"orders"`
	}
	m.call("GET", "/v1/orders?"+query, token, nil, http.StatusOK, &out)
	var ids []string
	for _, o := range out.Orders {
		ids = append(ids, o.ID)
	}
	return ids
}

// TestDraftsAreInvisibleToStaffEverywhere: a member's draft is in no staff
// read (GET, lists, ?status=draft); a draft staff created on the member's
// behalf is readable and listed for the staff user who created it only.
func TestDraftsAreInvisibleToStaffEverywhere(t *testing.T) {
	m := newMarket(t, memberEnv)
	s1, s2 := m.token(lifecycle.Staff, "s-1"), m.token(lifecycle.Staff, "s-2")
	own := m.createMember("m-1", map[string]any{"schedule": []map[string]any{{"date": day(5), "amount": "1000.00"}}})
	var byStaff workflows.OrderView
	m.call("POST", "/v1/orders", s1, map[string]any{
		"flow": "member", "member_id": "m-1", "member_name": "Mia m-1", "member_email": "m-1@members.test",
		"client":         map[string]any{"name": "Carl Client", "email": "carl@client.test"},
		"title":          "Prepared by staff",
		"lines":          []map[string]any{{"description": "Design", "quantity": 1, "unit_price": "1000.00", "vat_rate": 21}},
		"service_period": map[string]any{"start": day(-30), "end": day(-1)}, "offer_valid_until": day(10),
		"schedule": []map[string]any{{"date": day(5), "amount": "1000.00"}},
	}, http.StatusCreated, &byStaff)
	if own.Status != lifecycle.Draft || byStaff.Status != lifecycle.Draft {
		t.Fatalf("drafts: %s, %s", own.Status, byStaff.Status)
	}
	m.settled(own.ID)
	m.settled(byStaff.ID)

	m.call("GET", "/v1/orders/"+own.ID, s1, nil, http.StatusNotFound, nil)
	m.call("GET", "/v1/orders/"+byStaff.ID, s2, nil, http.StatusNotFound, nil)
	if v := m.get(byStaff.ID, s1); v.ID != byStaff.ID {
		t.Fatalf("the staff user who created a draft cannot read it: %+v", v)
	}
	if v := m.get(byStaff.ID, m.token(lifecycle.Member, "m-1")); v.ID != byStaff.ID {
		t.Fatalf("the member cannot read the draft made for them")
	}
	for _, q := range []string{"", "status=draft", "flow=member", "flow=member&status=draft", "q=" + own.ID} {
		if ids := m.listIDs(q, s1); slices.Contains(ids, own.ID) {
			t.Errorf("staff s-1 lists the member's draft with %q: %v", q, ids)
		}
		if ids := m.listIDs(q, s2); slices.Contains(ids, own.ID) || slices.Contains(ids, byStaff.ID) {
			t.Errorf("staff s-2 lists a draft with %q: %v", q, ids)
		}
	}
	if ids := m.listIDs("status=draft", s1); !slices.Contains(ids, byStaff.ID) {
		t.Errorf("staff s-1 does not list the draft it created: %v", ids)
	}
	if ids := m.listIDs("status=draft", m.token(lifecycle.Member, "m-1")); !slices.Contains(ids, own.ID) || !slices.Contains(ids, byStaff.ID) {
		t.Errorf("the member does not list its drafts: %v", ids)
	}
	// Submitted, the member's order is staff's to review.
	m.act(own.ID, "submit", m.token(lifecycle.Member, "m-1"), nil, http.StatusOK)
	m.eventually("the submitted order on staff's list", func() bool { return slices.Contains(m.listIDs("", s2), own.ID) })
	m.get(own.ID, s2)
}

package workflows

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/orderflow/orderflow/activities"
	"github.com/orderflow/orderflow/internal/auth"
	"github.com/orderflow/orderflow/internal/money"
	"github.com/orderflow/orderflow/lifecycle"
)

// Each party sees exactly its part (issue 12): the projection of a full
// system view, role by role and field by field, checking above all what
// each role must NOT see.

func mustAmount(t *testing.T, s string) money.Amount {
	t.Helper()
	a, err := money.ParseAmount(s)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func mustRate(t *testing.T, s string) money.Rate {
	t.Helper()
	r, err := money.ParseRate(s)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func mustQuantity(t *testing.T, s string) money.Quantity {
	t.Helper()
	q, err := money.ParseQuantity(s)
	if err != nil {
		t.Fatal(err)
	}
	return q
}

var projAt = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

func entry(seq int64, from, to lifecycle.Status, a lifecycle.Action, role lifecycle.Role, id, reason, rid string) TimelineEntry {
	return TimelineEntry{Seq: seq, At: projAt.Add(time.Duration(seq) * time.Minute), From: from, To: to, Action: a,
		ActorRole: role, ActorID: id, Reason: reason, RequestID: rid, Outcome: "applied"}
}

// fullMarketplace is the system view of a returned marketplace order: on
// credit, margin 20 %, offered to alpha, bravo, charlie (who declined) and
// delta, won by alpha, delivered, invoiced, returned and refunded.
func fullMarketplace(t *testing.T) OrderView {
	margin := mustRate(t, "20")
	items := []Item{
		{SKU: "CEM-25", Description: "Cement 25 kg", Quantity: mustQuantity(t, "10"), UnitPrice: mustAmount(t, "6.50"), VATRate: mustRate(t, "21")},
		{SKU: "TRW-1", Description: "Trowel", Quantity: mustQuantity(t, "1"), UnitPrice: mustAmount(t, "12.00"), VATRate: mustRate(t, "21")},
	}
	totals, _ := money.Compute(itemLines(items))
	_, cost := supplierLinesOf(items, &margin)
	ref := func(id, name string) activities.SupplierRef {
		return activities.SupplierRef{ID: id, Name: name, Email: strings.ToLower(name) + "@suppliers.test"}
	}
	note, invoice := "left at the gate", &SupplierInvoice{Number: "SUP-77", Amount: cost.Gross}
	yes := true
	alpha := ref("sup_alpha", "Alpha")
	return OrderView{
		ID: "ord_1", Flow: "marketplace", Status: lifecycle.Returned, StatusLabel: "Returned", Owner: "c-1", Title: "Cement 25 kg, Trowel",
		Currency: "EUR", Total: totals.Gross, CreatedAt: projAt, UpdatedAt: projAt.Add(time.Hour),
		Deadlines: []Deadline{},
		Timeline: []TimelineEntry{
			entry(1, "", lifecycle.AwaitingCredit, "create", lifecycle.Customer, "c-1", "", "rid-customer"),
			entry(2, lifecycle.AwaitingCredit, lifecycle.Screening, lifecycle.ApproveCredit, lifecycle.Finance, "f-1", "", "rid-finance"),
			entry(3, lifecycle.Screening, lifecycle.Screening, lifecycle.SetMargin, lifecycle.Purchasing, "p-1", "margin 20%", "rid-purchasing"),
			entry(4, lifecycle.Screening, lifecycle.Pending, lifecycle.Release, lifecycle.Purchasing, "p-1", "", "rid-release"),
			entry(5, lifecycle.Pending, lifecycle.Pending, lifecycle.Decline, lifecycle.Supplier, "sup_charlie", "too far for us", "rid-charlie"),
			entry(6, lifecycle.Pending, lifecycle.InProgress, lifecycle.Accept, lifecycle.Supplier, "sup_alpha", "", "rid-alpha"),
			entry(7, lifecycle.InProgress, lifecycle.InProgress, lifecycle.StepFailed, lifecycle.System, "", "email purchase_order: smtp down", ""),
			entry(8, lifecycle.InProgress, lifecycle.InProgress, lifecycle.OpsRetry, lifecycle.Ops, "o-1", "email purchase_order", "rid-ops"),
			entry(9, lifecycle.InProgress, lifecycle.InProgress, lifecycle.MarkDelivered, lifecycle.Supplier, "sup_alpha", note, "rid-delivered"),
			entry(10, lifecycle.InProgress, lifecycle.InProgress, lifecycle.UploadInvoice, lifecycle.Supplier, "sup_alpha", "invoice SUP-77", "rid-invoice"),
			entry(11, lifecycle.InProgress, lifecycle.Completed, lifecycle.DeliveredAndInvoiced, lifecycle.System, "", "", ""),
			entry(12, lifecycle.Completed, lifecycle.Completed, lifecycle.RequestReturn, lifecycle.Customer, "c-1", "wrong colour", "rid-return"),
			entry(13, lifecycle.Completed, lifecycle.Completed, lifecycle.ApproveReturn, lifecycle.Purchasing, "p-2", "", "rid-approve-return"),
			entry(14, lifecycle.Completed, lifecycle.Returned, lifecycle.ConfirmResalable, lifecycle.Supplier, "sup_alpha", "", "rid-resalable"),
			{Seq: 15, At: projAt.Add(15 * time.Minute), From: lifecycle.Returned, To: lifecycle.Returned, Action: lifecycle.Cancel, ActorRole: lifecycle.Purchasing,
				ActorID: "p-9", Reason: "refused signal from the Web UI", Outcome: "refused", Via: "signal"},
		},
		Documents: []activities.DocumentRef{
			{ID: "ord_1-purchase-order", Kind: "purchase_order", Number: "PO-ord_1", Filename: "purchase-order-ord_1.pdf"},
			{ID: "inv_customer", Kind: "invoice", Number: "INV-2026-0001", Filename: "invoice.pdf"},
			{ID: "cn_customer", Kind: "credit_note", Number: "CN-2026-0001", Filename: "credit-note.pdf"},
		},
		Emails: []SentEmail{
			{Purpose: "credit_approved", Recipient: "ann@customers.test"},
			{Purpose: "order_acknowledged", Recipient: "ann@customers.test"},
			{Purpose: "supplier_offer", Recipient: "alpha@suppliers.test"},
			{Purpose: "supplier_offer", Recipient: "bravo@suppliers.test"},
			{Purpose: "supplier_offer", Recipient: "charlie@suppliers.test"},
			{Purpose: "supplier_offer", Recipient: "delta@suppliers.test"},
			{Purpose: "order_confirmed", Recipient: "ann@customers.test"},
			{Purpose: "purchase_order", Recipient: "alpha@suppliers.test"},
			{Purpose: "return_approved", Recipient: "ann@customers.test"},
			{Purpose: "return_approved", Recipient: "alpha@suppliers.test"},
		},
		AllowedActions: []lifecycle.Action{lifecycle.ReturnWindowElapsed},
		NeedsAttention: true, Attention: &Attention{Step: "refund", Error: "provider down", Since: projAt},
		Closed: true,
		Marketplace: &MarketplaceDetails{
			CustomerEmail: "ann@customers.test", Items: items, Category: "building",
			Delivery:     DeliveryInfo{Address: []string{"Rue Haute 1", "1000 Brussels"}, Region: "BE-BRU", RequestedDate: "2026-12-01"},
			PaymentTerms: "credit", Totals: totals, MarginPercent: &margin, SupplierCost: &cost.Net,
			Payment: &PaymentState{ID: "pay_secret_1", Amount: totals.Gross, Paid: true},
			Offers: []Offer{
				{Supplier: alpha, Round: 1}, {Supplier: ref("sup_bravo", "Bravo"), Round: 1},
				{Supplier: ref("sup_charlie", "Charlie"), Round: 1, Declined: true, DeclineReason: "too far for us"},
				{Supplier: ref("sup_delta", "Delta"), Round: 2},
			},
			Supplier: &alpha, DeliveryNote: &note, SupplierInvoice: invoice,
			Return: &ReturnState{Reason: "wrong colour", Decision: "approved", Resalable: &yes}, Refunded: totals.Gross,
		},
	}
}

// fullMember is the system view of an active member order that staff s-1
// created for member m-1, confirmed by the client of link l1, with one
// invoice drafted and questioned.
func fullMember(t *testing.T) OrderView {
	lines := []money.Line{{Description: "Consulting", Quantity: mustQuantity(t, "10"), UnitPrice: mustAmount(t, "100.00"), VATRate: mustRate(t, "21")}}
	totals, _ := money.Compute(lines)
	return OrderView{
		ID: "ord_2", Flow: "member", Status: lifecycle.Active, StatusLabel: "Active", Owner: "m-1", Title: "Consulting",
		Currency: "EUR", Total: totals.Gross, CreatedAt: projAt, UpdatedAt: projAt.Add(time.Hour), Deadlines: []Deadline{},
		Timeline: []TimelineEntry{
			entry(1, "", lifecycle.Draft, "create", lifecycle.Staff, "s-1", "", "rid-staff-create"),
			entry(2, lifecycle.Draft, lifecycle.SmartConfirmation, lifecycle.Submit, lifecycle.Member, "m-1", "", "rid-member"),
			entry(3, lifecycle.SmartConfirmation, lifecycle.SmartConfirmation, "staff_escalated", lifecycle.System, "", "SLA passed: escalated to staff@orderflow.test", ""),
			entry(4, lifecycle.SmartConfirmation, lifecycle.ClientConfirmation, lifecycle.Approve, lifecycle.Staff, "s-2", "", "rid-staff-approve"),
			entry(5, lifecycle.ClientConfirmation, lifecycle.ClientConfirmation, lifecycle.StepFailed, lifecycle.System, "", "email confirmation_request: smtp down", ""),
			entry(6, lifecycle.ClientConfirmation, lifecycle.ClientConfirmation, lifecycle.OpsRetry, lifecycle.Ops, "o-1", "email confirmation_request", "rid-ops"),
			entry(7, lifecycle.ClientConfirmation, lifecycle.Active, lifecycle.Confirm, lifecycle.Client, "link:l1", "", "rid-client"),
			entry(8, lifecycle.Active, lifecycle.Active, lifecycle.InvoiceDrafted, lifecycle.System, "", "entry 1", ""),
			entry(9, lifecycle.Active, lifecycle.Active, lifecycle.RequestChanges, lifecycle.Member, "m-1", "please add the PO number", "rid-member-changes"),
			entry(10, lifecycle.Active, lifecycle.Active, lifecycle.ResolveChanges, lifecycle.Staff, "s-2", "PO number added", "rid-staff-resolve"),
		},
		Documents: []activities.DocumentRef{
			{ID: "draft_1", Kind: "invoice_draft", Filename: "draft.pdf"},
			{ID: "inv_1", Kind: "invoice", Number: "INV-2026-0007", Filename: "invoice.pdf"},
		},
		Emails: []SentEmail{
			{Purpose: "order_submitted", Recipient: "mia@members.test"},
			{Purpose: "sla_escalation", Recipient: "staff@orderflow.test"},
			{Purpose: "confirmation_request#1", Recipient: "carl@client.test"},
			{Purpose: "invoice_draft_ready", Recipient: "mia@members.test"},
		},
		AllowedActions: []lifecycle.Action{},
		NeedsAttention: true, Attention: &Attention{Step: "email invoice_draft_ready", Error: "smtp down", Since: projAt},
		Member: &MemberDetails{
			MemberName: "Mia Member", MemberEmail: "mia@members.test",
			Client: Client{Name: "Carl Client", Email: "carl@client.test"}, Lines: lines, Totals: totals,
			ServicePeriod: Period{Start: "2026-11-01", End: "2026-11-30"},
			Schedule: []Entry{{Date: "2026-12-01", Lines: lines, Status: EntryHeld, DraftVersion: 1, DraftDocument: "draft_1",
				ChangeRequest: "please add the PO number"}},
			OfferValidUntil: "2026-12-31", ProofReference: "contract-secret-42", PaymentGuarantee: true, Overdue: true,
			ConfirmationLink: &ClientLinkRef{ID: "l1", Round: 1}, DuplicatedFrom: "ord_0",
		},
	}
}

func project(t *testing.T, full OrderView, role lifecycle.Role, sub string) (OrderView, string) {
	t.Helper()
	v, ok := Project(full, auth.Principal{Role: role, Subject: sub})
	if !ok {
		t.Fatalf("%s %s may not see %s", role, sub, full.ID)
	}
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return v, string(raw)
}

// absent fails for every secret found in the viewer's JSON.
func absent(t *testing.T, who, raw string, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		if strings.Contains(raw, s) {
			t.Errorf("%s sees %q: %s", who, s, raw)
		}
	}
}

func actionsOf(v OrderView) []lifecycle.Action {
	var out []lifecycle.Action
	for _, e := range v.Timeline {
		out = append(out, e.Action)
	}
	return out
}

func purposes(v OrderView) []string {
	var out []string
	for _, e := range v.Emails {
		out = append(out, e.Purpose+"→"+e.Recipient)
	}
	return out
}

func docIDs(v OrderView) []string {
	var out []string
	for _, d := range v.Documents {
		out = append(out, d.ID)
	}
	return out
}

func TestProjectionVisibility(t *testing.T) {
	market, member := fullMarketplace(t), fullMember(t)
	draft := fullMember(t)
	draft.Status, draft.Timeline = lifecycle.Draft, draft.Timeline[:1]
	memberDraft := fullMember(t)
	memberDraft.Status, memberDraft.Timeline = lifecycle.Draft, []TimelineEntry{entry(1, "", lifecycle.Draft, "create", lifecycle.Member, "m-1", "", "")}
	cases := []struct {
		name  string
		order OrderView
		role  lifecycle.Role
		sub   string
		sees  bool
	}{
		{"marketplace/system", market, lifecycle.System, "", true},
		{"marketplace/purchasing", market, lifecycle.Purchasing, "p-5", true},
		{"marketplace/finance", market, lifecycle.Finance, "f-5", true},
		{"marketplace/ops", market, lifecycle.Ops, "o-5", true},
		{"marketplace/customer owner", market, lifecycle.Customer, "c-1", true},
		{"marketplace/customer other", market, lifecycle.Customer, "c-2", false},
		{"marketplace/supplier winner", market, lifecycle.Supplier, "sup_alpha", true},
		{"marketplace/supplier lost", market, lifecycle.Supplier, "sup_bravo", true},
		{"marketplace/supplier declined", market, lifecycle.Supplier, "sup_charlie", true},
		{"marketplace/supplier never offered", market, lifecycle.Supplier, "sup_echo", false},
		{"marketplace/staff", market, lifecycle.Staff, "s-1", false},
		{"marketplace/member", market, lifecycle.Member, "c-1", false},
		{"marketplace/client", market, lifecycle.Client, "link:l1", false},
		{"member/system", member, lifecycle.System, "", true},
		{"member/staff", member, lifecycle.Staff, "s-9", true},
		{"member/finance", member, lifecycle.Finance, "f-1", true},
		{"member/ops", member, lifecycle.Ops, "o-1", true},
		{"member/owner", member, lifecycle.Member, "m-1", true},
		{"member/other member", member, lifecycle.Member, "m-2", false},
		{"member/client with the link", member, lifecycle.Client, "link:l1", true},
		{"member/client with another link", member, lifecycle.Client, "link:l0", false},
		{"member/customer", member, lifecycle.Customer, "m-1", false},
		{"member/supplier", member, lifecycle.Supplier, "m-1", false},
		{"member/purchasing", member, lifecycle.Purchasing, "p-1", false},
		{"draft by staff/creator", draft, lifecycle.Staff, "s-1", true},
		{"draft by staff/other staff", draft, lifecycle.Staff, "s-2", false},
		{"draft by staff/member", draft, lifecycle.Member, "m-1", true},
		{"draft by member/staff", memberDraft, lifecycle.Staff, "s-1", false},
		{"draft by member/finance", memberDraft, lifecycle.Finance, "f-1", true},
		{"draft by member/ops", memberDraft, lifecycle.Ops, "o-1", true},
		{"empty view", OrderView{}, lifecycle.System, "", false},
	}
	for _, c := range cases {
		p := auth.Principal{Role: c.role, Subject: c.sub}
		v, ok := Project(c.order, p)
		if ok != c.sees || Visible(c.order, p) != c.sees {
			t.Errorf("%s: sees = %v, want %v", c.name, ok, c.sees)
		}
		if !ok && v.ID != "" {
			t.Errorf("%s: an invisible order projects to %+v", c.name, v)
		}
		if ok && len(v.AllowedActions) != 0 {
			t.Errorf("%s: the projection carries allowed actions %v (the workflow computes them)", c.name, v.AllowedActions)
		}
	}
}

func TestProjectionStaffSideSeesTheWholeOrder(t *testing.T) {
	for _, full := range []OrderView{fullMarketplace(t), fullMember(t)} {
		for _, p := range []auth.Principal{{Role: lifecycle.System}, {Role: lifecycle.Purchasing, Subject: "p-5"}, {Role: lifecycle.Finance, Subject: "f-5"},
			{Role: lifecycle.Ops, Subject: "o-5"}, {Role: lifecycle.Staff, Subject: "s-5"}} {
			v, ok := Project(full, p)
			if !ok {
				continue // purchasing on a member order, staff on a marketplace order
			}
			want := full
			want.AllowedActions = []lifecycle.Action{}
			a, _ := json.Marshal(v)
			b, _ := json.Marshal(want)
			if string(a) != string(b) {
				t.Errorf("%s on %s: not the whole order:\n got %s\nwant %s", p.Role, full.Flow, a, b)
			}
		}
	}
}

func TestProjectionMarketplaceCustomer(t *testing.T) {
	full := fullMarketplace(t)
	v, raw := project(t, full, lifecycle.Customer, "c-1")
	m := v.Marketplace
	// What the customer may see.
	if m.CustomerEmail != "ann@customers.test" || !slices.Equal(m.Items, full.Marketplace.Items) || m.Totals.Gross != full.Marketplace.Totals.Gross ||
		v.Total != full.Total || m.Payment == nil || m.Refunded != full.Marketplace.Refunded || m.Return == nil ||
		m.DeliveryNote == nil || v.Status != lifecycle.Returned || v.Owner != "c-1" {
		t.Errorf("customer misses its own part: %s", raw)
	}
	// What it must not.
	if m.MarginPercent != nil {
		t.Errorf("customer sees the margin %v", *m.MarginPercent)
	}
	if m.SupplierCost != nil {
		t.Errorf("customer sees the supplier's pay %v", *m.SupplierCost)
	}
	if m.Offers != nil || m.Supplier != nil || m.SupplierInvoice != nil {
		t.Errorf("customer sees offers %v, supplier %v, supplier invoice %v", m.Offers, m.Supplier, m.SupplierInvoice)
	}
	if v.NeedsAttention || v.Attention != nil {
		t.Errorf("customer sees ops' attention %v", v.Attention)
	}
	if got := docIDs(v); !slices.Equal(got, []string{"inv_customer", "cn_customer"}) {
		t.Errorf("customer documents %v, want its invoice and credit note only (no purchase order)", got)
	}
	if got := purposes(v); len(got) != 4 || slices.ContainsFunc(v.Emails, func(e SentEmail) bool { return e.Recipient != "ann@customers.test" }) {
		t.Errorf("customer emails %v, want its own four only", got)
	}
	wantTimeline := []lifecycle.Action{"create", lifecycle.ApproveCredit, lifecycle.Release, lifecycle.Accept, lifecycle.MarkDelivered, lifecycle.DeliveredAndInvoiced, lifecycle.RequestReturn, lifecycle.ApproveReturn, lifecycle.ConfirmResalable}
	if got := actionsOf(v); !slices.Equal(got, wantTimeline) {
		t.Errorf("customer timeline %v, want %v", got, wantTimeline)
	}
	for _, e := range v.Timeline {
		own := e.ActorRole == lifecycle.Customer
		if !own && (e.ActorID != "" || e.RequestID != "" || e.Via != "") {
			t.Errorf("customer reads another party's actor id, request id or via: %+v", e)
		}
		if own && (e.ActorID != "c-1" || e.RequestID == "") {
			t.Errorf("customer misses its own actor id or request id: %+v", e)
		}
	}
	absent(t, "customer", raw, "margin", "sup_", "suppliers.test", "Alpha", "Bravo", "Charlie", "too far", "SUP-77", "PO-ord_1",
		"purchase", "smtp", "p-1", "p-2", "f-1", "o-1", "rid-purchasing", "rid-alpha", "rid-finance", "refused signal", `"via"`,
		`"supplier_cost"`, `"offers"`, `"margin_percent"`, `"attention"`, `"supplier_invoice"`)
}

func TestProjectionMarketplaceWinningSupplier(t *testing.T) {
	full := fullMarketplace(t)
	v, raw := project(t, full, lifecycle.Supplier, "sup_alpha")
	m := v.Marketplace
	lines, cost := supplierLinesOf(full.Marketplace.Items, full.Marketplace.MarginPercent)
	// What the winner may see: the goods at its own price, the delivery,
	// its pay, its documents and emails, the approved return it inspects.
	if v.Status != lifecycle.Returned || m.Category != "building" || !slices.Equal(m.Delivery.Address, full.Marketplace.Delivery.Address) ||
		m.SupplierCost == nil || *m.SupplierCost != cost.Net || v.Total != cost.Net || m.Totals.Gross != cost.Gross ||
		m.DeliveryNote == nil || m.SupplierInvoice == nil || m.Supplier == nil || m.Supplier.ID != "sup_alpha" || m.Return == nil {
		t.Errorf("winner misses its part: %s", raw)
	}
	for i, it := range m.Items {
		if it.UnitPrice != lines[i].UnitPrice || it.SKU != full.Marketplace.Items[i].SKU || it.Quantity != full.Marketplace.Items[i].Quantity {
			t.Errorf("winner's item %d = %+v, want the goods at its price %v", i, it, lines[i].UnitPrice)
		}
	}
	if len(m.Offers) != 1 || m.Offers[0].Supplier.ID != "sup_alpha" {
		t.Errorf("winner sees offers %v, want its own only", m.Offers)
	}
	// What it must not: the customer, their price, payment and refund, the
	// margin, the other suppliers.
	if v.Owner != "" || m.CustomerEmail != "" || m.Payment != nil || m.Refunded != 0 || m.MarginPercent != nil || m.PaymentTerms != "" {
		t.Errorf("winner sees the customer's side: owner %q email %q payment %v refunded %v margin %v terms %q",
			v.Owner, m.CustomerEmail, m.Payment, m.Refunded, m.MarginPercent, m.PaymentTerms)
	}
	if v.NeedsAttention || v.Attention != nil {
		t.Errorf("winner sees ops' attention")
	}
	if got := docIDs(v); !slices.Equal(got, []string{"ord_1-purchase-order"}) {
		t.Errorf("winner documents %v, want its purchase order only", got)
	}
	if got := purposes(v); !slices.Equal(got, []string{"supplier_offer→alpha@suppliers.test", "purchase_order→alpha@suppliers.test", "return_approved→alpha@suppliers.test"}) {
		t.Errorf("winner emails %v", got)
	}
	wantTimeline := []lifecycle.Action{lifecycle.Release, lifecycle.Accept, lifecycle.MarkDelivered, lifecycle.UploadInvoice, lifecycle.DeliveredAndInvoiced, lifecycle.ApproveReturn, lifecycle.ConfirmResalable}
	if got := actionsOf(v); !slices.Equal(got, wantTimeline) {
		t.Errorf("winner timeline %v, want %v", got, wantTimeline)
	}
	for _, e := range v.Timeline {
		if e.ActorRole != lifecycle.Supplier && (e.ActorID != "" || e.RequestID != "" || e.Reason != "") {
			t.Errorf("winner reads another party's actor id, request id or reason: %+v", e)
		}
	}
	absent(t, "winning supplier", raw, "ann@", "customers.test", "c-1", `"unit_price":"6.50"`, `"unit_price":"12.00"`,
		"pay_secret", "margin", "sup_bravo", "sup_charlie", "sup_delta", "Bravo", "Charlie", "Delta", "too far",
		"inv_customer", "cn_customer", "INV-2026", "smtp", "p-1", "f-1", "o-1", "rid-customer", "rid-purchasing", "rid-return",
		"credit", `"payment"`, `"attention"`, "refused signal")
}

func TestProjectionMarketplaceSupplierWithoutAPart(t *testing.T) {
	full := fullMarketplace(t)
	for _, sub := range []string{"sup_bravo", "sup_charlie", "sup_delta"} {
		v, raw := project(t, full, lifecycle.Supplier, sub)
		if v.ID != "ord_1" || v.Status != lifecycle.NoLongerAvailable || v.StatusLabel != "No longer available" || !v.Closed {
			t.Errorf("%s: %s, want the order no longer available", sub, raw)
		}
		if v.Marketplace != nil || len(v.Timeline)+len(v.Documents)+len(v.Emails)+len(v.Deadlines)+len(v.AllowedActions) != 0 ||
			v.Total != 0 || v.Owner != "" || v.Title != "" {
			t.Errorf("%s: sees details of an order it has no part in: %s", sub, raw)
		}
		absent(t, sub, raw, "Cement", "sup_alpha", "Alpha", "ann@", "c-1", "returned", "building", "Rue Haute", "margin", "too far")
	}
}

func TestProjectionMarketplaceOfferedSupplier(t *testing.T) {
	full := fullMarketplace(t)
	full.Status, full.Closed = lifecycle.Pending, false
	full.Timeline = full.Timeline[:5]
	full.Documents, full.Emails = nil, full.Emails[:6]
	full.Marketplace.Supplier, full.Marketplace.DeliveryNote, full.Marketplace.SupplierInvoice, full.Marketplace.Return = nil, nil, nil, nil
	full.Marketplace.Refunded = 0
	full.Deadlines = []Deadline{{Name: "Pending window", At: projAt.Add(48 * time.Hour)}}
	v, raw := project(t, full, lifecycle.Supplier, "sup_bravo")
	m := v.Marketplace
	if v.Status != lifecycle.Pending || m == nil || m.SupplierCost == nil || len(m.Items) != 2 || len(v.Deadlines) != 1 {
		t.Fatalf("offered supplier misses its offer: %s", raw)
	}
	if len(m.Offers) != 1 || m.Offers[0].Supplier.ID != "sup_bravo" || m.Supplier != nil {
		t.Errorf("offered supplier sees offers %v, supplier %v", m.Offers, m.Supplier)
	}
	if got := purposes(v); !slices.Equal(got, []string{"supplier_offer→bravo@suppliers.test"}) {
		t.Errorf("offered supplier emails %v", got)
	}
	if got := actionsOf(v); !slices.Equal(got, []lifecycle.Action{lifecycle.Release}) {
		t.Errorf("offered supplier timeline %v, want the release only", got)
	}
	absent(t, "offered supplier", raw, "ann@", "c-1", `"unit_price":"6.50"`, "pay_secret", "margin", "sup_alpha", "sup_charlie",
		"sup_delta", "Charlie", "too far", "p-1", "f-1")
	// The feed shows the same goods, delivery and pay (feed.go).
	feed := ForSupplier(full)
	if *feed.SupplierCost != *m.SupplierCost || feed.Category != m.Category || len(feed.Items) != len(m.Items) {
		t.Errorf("feed %+v and view disagree: %s", feed, raw)
	}
	for i, it := range feed.Items {
		if it.SKU != m.Items[i].SKU || it.Quantity != m.Items[i].Quantity || it.Description != m.Items[i].Description {
			t.Errorf("feed item %d %+v, view %+v", i, it, m.Items[i])
		}
	}
	// Once bravo declined, or the order ended before anyone took it, it is gone.
	for _, change := range []func(*OrderView){
		func(o *OrderView) { o.Marketplace.Offers[1].Declined = true },
		func(o *OrderView) { o.Status = lifecycle.Cancelled },
		func(o *OrderView) { o.Status = lifecycle.Expired },
	} {
		o := fullMarketplace(t)
		o.Status, o.Marketplace.Supplier = lifecycle.Pending, nil
		change(&o)
		if v, _ := project(t, o, lifecycle.Supplier, "sup_bravo"); v.Status != lifecycle.NoLongerAvailable || v.Marketplace != nil {
			t.Errorf("bravo reads %s with details %v", v.Status, v.Marketplace != nil)
		}
	}
}

func TestProjectionMember(t *testing.T) {
	full := fullMember(t)
	v, raw := project(t, full, lifecycle.Member, "m-1")
	m := v.Member
	if m.MemberEmail != "mia@members.test" || m.Client != full.Member.Client || len(m.Schedule) != 1 || m.Schedule[0].ChangeRequest == "" ||
		m.ConfirmationLink == nil || m.ProofReference == "" || !slices.Equal(docIDs(v), []string{"draft_1", "inv_1"}) {
		t.Errorf("member misses its part: %s", raw)
	}
	if got := purposes(v); !slices.Equal(got, []string{"order_submitted→mia@members.test", "confirmation_request#1→carl@client.test", "invoice_draft_ready→mia@members.test"}) {
		t.Errorf("member emails %v, want its own and its client's (not staff's escalation)", got)
	}
	want := []lifecycle.Action{"create", lifecycle.Submit, lifecycle.Approve, lifecycle.Confirm, lifecycle.InvoiceDrafted, lifecycle.RequestChanges, lifecycle.ResolveChanges}
	if got := actionsOf(v); !slices.Equal(got, want) {
		t.Errorf("member timeline %v, want %v", got, want)
	}
	for _, e := range v.Timeline {
		if e.ActorRole == lifecycle.Staff && (e.ActorID != "" || e.RequestID != "") {
			t.Errorf("member reads a staff identity or request id: %+v", e)
		}
		if e.ActorRole == lifecycle.Client && e.ActorID != "link:l1" {
			t.Errorf("member misses its client's actor: %+v", e)
		}
	}
	if v.NeedsAttention || v.Attention != nil {
		t.Errorf("member sees ops' attention")
	}
	absent(t, "member", raw, "s-1", "s-2", "o-1", "rid-staff", "rid-ops", "rid-client", "sla_escalation", "staff@orderflow.test",
		"smtp", "step_failed", "staff_escalated", `"attention"`)
}

func TestProjectionClient(t *testing.T) {
	full := fullMember(t)
	v, raw := project(t, full, lifecycle.Client, "link:l1")
	m := v.Member
	if m.Client != full.Member.Client || len(m.Lines) != 1 || m.Totals.Gross != full.Member.Totals.Gross || m.OfferValidUntil == "" ||
		m.MemberName != "Mia Member" || v.Status != lifecycle.Active {
		t.Errorf("client misses the offer: %s", raw)
	}
	if got := docIDs(v); !slices.Equal(got, []string{"inv_1"}) {
		t.Errorf("client documents %v, want the issued invoice only", got)
	}
	if got := purposes(v); !slices.Equal(got, []string{"confirmation_request#1→carl@client.test"}) {
		t.Errorf("client emails %v", got)
	}
	if got := actionsOf(v); !slices.Equal(got, []lifecycle.Action{"create", lifecycle.Submit, lifecycle.Approve, lifecycle.Confirm}) {
		t.Errorf("client timeline %v, want the status changes", got)
	}
	if s := m.Schedule[0]; s.Status != EntryPlanned || s.ChangeRequest != "" || s.DraftDocument != "" || s.DraftVersion != 0 {
		t.Errorf("client reads the member's review of the invoice: %+v", s)
	}
	if m.MemberEmail != "" || m.ProofReference != "" || m.Overdue || m.ConfirmationLink != nil || m.DuplicatedFrom != "" {
		t.Errorf("client reads the member's side: %+v", m)
	}
	absent(t, "client", raw, "mia@", "draft_1", "please add", "PO number", "contract-secret", "ord_0", "s-1", "s-2", "m-1",
		"rid-staff", "rid-member", "rid-ops", "sla_escalation", "staff@", "smtp", "invoice_draft", `"attention"`, `"overdue":true`)
}

func TestProjectionMemberOfAnOlderRecordedView(t *testing.T) {
	full := fullMember(t)
	full.Member.MemberEmail = "" // recorded before the view carried it
	full.Timeline = append(full.Timeline, entry(11, lifecycle.Active, lifecycle.Active, "owner_told", lifecycle.System, "", "staff told: review the change request", ""))
	v, raw := project(t, full, lifecycle.Member, "m-1")
	if got := purposes(v); !slices.Equal(got, []string{"order_submitted→mia@members.test", "confirmation_request#1→carl@client.test", "invoice_draft_ready→mia@members.test"}) {
		t.Errorf("member emails %v", got)
	}
	absent(t, "member", raw, "owner_told", "staff told", "sla_escalation")
}

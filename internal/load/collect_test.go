package load

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/orderflow/orderflow/internal/pgtest"
	"github.com/orderflow/orderflow/internal/sendgridtest"
)

func TestReadEndStateReadsWhatTheAuditNeeds(t *testing.T) {
	pool := pgtest.New(t)
	ctx := context.Background()
	now := time.Now().UTC()
	exec := func(sql string, args ...any) {
		t.Helper()
		if _, err := pool.Exec(ctx, sql, args...); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	exec(`INSERT INTO orders (id, flow, status, owner_id, seq, created_at, updated_at, next_deadline, needs_attention, view) VALUES
		('m1', 'member', 'active', 'm', 1, $1, $1, $2, false, '{}'),
		('k1', 'marketplace', 'completed', 'c', 1, $1, $1, NULL, true, '{}'),
		('k2', 'marketplace', 'completed', 'c', 1, $1, $1, NULL, false, '{"closed": true}')`, now, now.Add(time.Hour))
	exec(`INSERT INTO emails (idempotency_key, order_id, purpose, recipient, status) VALUES
		('e1', 'm1', 'order_approved', 'mia@x.test', 'sent'),
		('e2', 'm1', 'invoice_issued', 'carl@x.test', 'sending')`)
	exec(`INSERT INTO documents (id, order_id, kind, filename, content_type, content, sha256) VALUES
		('d1', 'm1', 'invoice', 'a.pdf', 'application/pdf', '\x00', 'x'), ('d2', 'm1', 'credit_note', 'b.pdf', 'application/pdf', '\x00', 'y')`)
	exec(`INSERT INTO invoices (id, order_id, entry, kind, issue_key, series, year, number, number_text, net_cents, vat_cents, gross_cents, currency, document_id, issued_at) VALUES
		('i1', 'm1', 0, 'invoice', 'ik1', 'INV', 2026, 1, 'INV-2026-1', 100, 21, 121, 'EUR', 'd1', $1)`, now)
	exec(`INSERT INTO invoices (id, order_id, entry, kind, issue_key, series, year, number, number_text, net_cents, vat_cents, gross_cents, currency, document_id, issued_at, credited_invoice_id) VALUES
		('c1', 'm1', 0, 'credit_note', 'ck1', 'CN', 2026, 1, 'CN-2026-1', -100, -21, -121, 'EUR', 'd2', $1, 'i1')`, now)
	exec(`INSERT INTO payments (id, order_id, idempotency_key, amount_cents, currency, token_hash, status, created_at, expires_at) VALUES
		('p1', 'k1', 'pk1', 100, 'EUR', '\x01', 'created', $1, $1)`, now)
	exec(`INSERT INTO refunds (id, payment_id, order_id, idempotency_key, amount_cents, created_at) VALUES
		('r1', 'p1', 'k1', 'rk1', 50, $1), ('r2', 'p1', 'k1', 'rk2', 50, $1)`, now)

	st, err := ReadEndState(ctx, pool)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Orders) != 3 || st.Flow["m1"] != "member" || st.Flow["k1"] != "marketplace" {
		t.Fatalf("orders = %+v, flows = %v", st.Orders, st.Flow)
	}
	byID := map[string]OrderRow{}
	for _, o := range st.Orders {
		byID[o.ID] = o
	}
	if byID["m1"].NextDeadline == nil || byID["k1"].NextDeadline != nil || !byID["k1"].NeedsAttention || byID["m1"].NeedsAttention {
		t.Errorf("deadline or attention misread: %+v", byID)
	}
	if !st.Closed["k2"] || st.Closed["k1"] {
		t.Errorf("closed = %v, want only k2", st.Closed)
	}
	if len(st.Recorded) != 1 || st.Recorded[0] != (EmailKey{"m1", "order_approved", "mia@x.test"}) {
		t.Errorf("recorded = %v", st.Recorded)
	}
	if len(st.Unsent) != 1 || st.Unsent[0].Purpose != "invoice_issued" {
		t.Errorf("unsent = %v", st.Unsent)
	}
	if len(st.Numbers) != 2 || st.Invoices["m1"] != 2 {
		t.Errorf("numbers = %v, invoices = %v", st.Numbers, st.Invoices)
	}
	if st.RefundsPerOrder["k1"] != 2 || len(st.RefundsPerOrder) != 1 {
		t.Errorf("refunds = %v", st.RefundsPerOrder)
	}
}

func TestDeliveredKeysTakeOrderAndPurposeFromCustomArgs(t *testing.T) {
	msgs := []sendgridtest.Message{{
		CustomArgs:       map[string]string{"order_id": "o1", "purpose": "order_approved", "idempotency_key": "k"},
		Personalizations: []sendgridtest.Personalization{{To: []sendgridtest.Address{{Email: "Mia@X.test"}}}},
	}}
	got := DeliveredKeys(msgs)
	if len(got) != 1 || got[0] != (EmailKey{"o1", "order_approved", "mia@x.test"}) {
		t.Fatalf("keys = %v", got)
	}
}

func endState() EndState {
	soon := time.Now().Add(time.Hour)
	return EndState{
		Orders: []OrderRow{
			{ID: "k1", Status: "completed", NextDeadline: &soon},
			{ID: "m1", Status: "active", NextDeadline: &soon},
		},
		Flow:            map[string]string{"k1": "marketplace", "m1": "member"},
		Closed:          map[string]bool{},
		Recorded:        []EmailKey{{"m1", "order_approved", "m@x"}},
		RefundsPerOrder: map[string]int{},
		Invoices:        map[string]int{"m1": 1},
	}
}

var testFinals = map[string][]string{"member": {"completed", "cancelled"}, "marketplace": {"returned", "expired", "cancelled"}}

func TestAuditRunJudgesStuckOrdersByTheirFlow(t *testing.T) {
	placed := []Placed{{ID: "k1", Flow: "marketplace", Expected: "completed"}, {ID: "m1", Flow: "member", Expected: "active"}}
	delivered := []EmailKey{{"m1", "order_approved", "m@x"}}
	if vs := AuditRun(placed, endState(), delivered, testFinals); len(vs) != 0 {
		t.Fatalf("clean run: %v", vs)
	}

	// A completed marketplace order still has its return window: without a timer it is stuck.
	st := endState()
	st.Orders[0].NextDeadline = nil
	vs := AuditRun(placed, st, delivered, testFinals)
	if len(vs) != 1 || vs[0].Rule != "stuck" || !strings.Contains(vs[0].Detail, "k1") {
		t.Fatalf("violations = %v, want k1 stuck", vs)
	}
	// A completed member order is done.
	st = endState()
	st.Flow["k1"] = "member"
	st.Orders[0].NextDeadline = nil
	if vs := AuditRun(placed, st, delivered, testFinals); len(vs) != 0 {
		t.Fatalf("completed member order: %v", vs)
	}
	// A closed workflow waits for nothing whatever its status.
	st = endState()
	st.Orders[0].NextDeadline = nil
	st.Closed["k1"] = true
	if vs := AuditRun(placed, st, delivered, testFinals); len(vs) != 0 {
		t.Fatalf("closed workflow: %v", vs)
	}
}

func TestAuditRunCountsUnsentEmailsAndKeepsTheOtherRules(t *testing.T) {
	placed := []Placed{{ID: "k1", Flow: "marketplace", Expected: "completed"}, {ID: "m1", Flow: "member", Expected: "active"}}
	st := endState()
	st.Unsent = []EmailKey{{"m1", "invoice_issued", "c@x"}}
	st.Numbers = []Numbered{{"INV", 2026, 1}, {"INV", 2026, 3}}
	st.RefundsPerOrder["k1"] = 2
	st.Orders[1].Status = "approved"
	st.Orders[1].NextDeadline = nil
	delivered := []EmailKey{{"m1", "order_approved", "m@x"}, {"m1", "order_approved", "m@x"}}
	counts := CountByRule(AuditRun(placed, st, delivered, testFinals))
	want := map[string]int{"status": 1, "email": 2, "numbering": 1, "refund": 1, "stuck": 1}
	for rule, n := range want {
		if counts[rule] != n {
			t.Errorf("%s = %d, want %d (all %v)", rule, counts[rule], n, counts)
		}
	}
}

func TestUnsettledNamesWhatIsMissing(t *testing.T) {
	placed := []Placed{{ID: "k1", Flow: "marketplace", Expected: "completed"}, {ID: "m1", Flow: "member", Expected: "active"}}
	if got := Unsettled(placed, endState(), 1); got != "" {
		t.Fatalf("settled run: %q", got)
	}
	st := endState()
	st.Orders[0].Status = "in_progress"
	st.Invoices = map[string]int{}
	st.Unsent = []EmailKey{{"m1", "x", "y"}}
	got := Unsettled(placed, st, 2)
	for _, want := range []string{"1 orders not in their expected status", "1 member orders without their first invoice", "1 emails not sent", "2 emails delivered, 1 recorded"} {
		if !strings.Contains(got, want) {
			t.Errorf("%q lacks %q", got, want)
		}
	}
}

func TestWaitingOnTimersNeedsTheStatusAndATimer(t *testing.T) {
	placed := []Placed{{ID: "k1", Flow: "marketplace", Expected: "completed"}, {ID: "m1", Flow: "member", Expected: "active"}}
	if n := WaitingOnTimers(placed, endState()); n != 2 {
		t.Fatalf("waiting = %d, want 2", n)
	}
	st := endState()
	st.Orders[0].NextDeadline = nil
	st.Orders[1].Status = "smart_confirmation"
	if n := WaitingOnTimers(placed, st); n != 0 {
		t.Fatalf("waiting = %d, want 0 (k1 has no timer, m1 is in another status)", n)
	}
	if n := WaitingOnTimers(append(placed, Placed{ID: "lost", Expected: "active"}), endState()); n != 2 {
		t.Fatalf("waiting = %d, want 2 (an order missing from the read model is not waiting)", n)
	}
}

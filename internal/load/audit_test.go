package load

import (
	"strings"
	"testing"
	"time"
)

func cleanRun() AuditInput {
	soon := time.Now().Add(time.Hour)
	return AuditInput{
		Placed: []Placed{{ID: "o1", Flow: "marketplace", Expected: "completed", Refunds: 1}, {ID: "o2", Flow: "member", Expected: "active"}},
		Orders: []OrderRow{
			{ID: "o1", Status: "completed"},
			{ID: "o2", Status: "active", NextDeadline: &soon},
		},
		Terminal:        map[string]bool{"completed": true},
		Recorded:        []EmailKey{{"o1", "order_completed", "c@x"}, {"o2", "order_approved", "m@x"}},
		Delivered:       []EmailKey{{"o2", "order_approved", "m@x"}, {"o1", "order_completed", "c@x"}},
		Numbers:         []Numbered{{"INV", 2026, 2}, {"INV", 2026, 1}, {"CN", 2026, 1}, {"INV", 2027, 1}},
		RefundsPerOrder: map[string]int{"o1": 1},
	}
}

func TestAuditOfACleanRunFindsNothing(t *testing.T) {
	if vs := Audit(cleanRun()); len(vs) != 0 {
		t.Fatalf("violations: %v", vs)
	}
}

func TestAuditFindsEachKindOfViolation(t *testing.T) {
	cases := map[string]func(in *AuditInput){
		"status": func(in *AuditInput) { in.Orders[0].Status = "in_progress"; in.Orders[0].NeedsAttention = true },
		"email": func(in *AuditInput) {
			in.Delivered = append(in.Delivered, EmailKey{"o1", "order_completed", "c@x"})
		},
		"numbering":               func(in *AuditInput) { in.Numbers = append(in.Numbers, Numbered{"INV", 2026, 4}) },
		"refund":                  func(in *AuditInput) { in.RefundsPerOrder["o1"] = 2 },
		"refund owed, never made": func(in *AuditInput) { delete(in.RefundsPerOrder, "o1") },
		"refund not owed":         func(in *AuditInput) { in.RefundsPerOrder["o2"] = 1 },
		"stuck":                   func(in *AuditInput) { in.Orders[1].NextDeadline = nil },
	}
	for rule, breakIt := range cases {
		t.Run(rule, func(t *testing.T) {
			in := cleanRun()
			breakIt(&in)
			counts := CountByRule(Audit(in))
			for r, n := range counts {
				want := 0
				if r == strings.Fields(rule)[0] {
					want = 1
				}
				if n != want {
					t.Errorf("%s violations = %d, want %d (all: %v)", r, n, want, counts)
				}
			}
		})
	}
}

func TestAuditEmailRules(t *testing.T) {
	in := cleanRun()
	in.Delivered = in.Delivered[:1]                                     // o1's completion never delivered
	in.Delivered = append(in.Delivered, EmailKey{"o9", "stray", "s@x"}) // delivered, never recorded
	if n := CountByRule(Audit(in))["email"]; n != 2 {
		t.Fatalf("email violations = %d, want 2", n)
	}
}

func TestAuditNumberRepeatAndMissingOrder(t *testing.T) {
	in := cleanRun()
	in.Numbers = append(in.Numbers, Numbered{"CN", 2026, 1})
	in.Placed = append(in.Placed, Placed{ID: "o3", Expected: "active"})
	counts := CountByRule(Audit(in))
	if counts["numbering"] != 1 || counts["status"] != 1 {
		t.Fatalf("counts = %v", counts)
	}
}

func TestAuditFlaggedOrderIsNotStuck(t *testing.T) {
	in := cleanRun()
	in.Orders[1].NextDeadline = nil
	in.Orders[1].NeedsAttention = true
	if vs := Audit(in); len(vs) != 0 {
		t.Fatalf("violations: %v", vs)
	}
}

package load

import (
	"fmt"
	"sort"
	"time"
)

// The audit of a fault run's end state. Its inputs are plain rows (read from
// Postgres and the SendGrid stand-in by the command), so each rule can be
// tested on fabricated data.

// OrderRow is an order as the read model ends.
type OrderRow struct {
	ID             string
	Status         string
	NextDeadline   *time.Time
	NeedsAttention bool
}

// EmailKey names one email: at most one per order, purpose and recipient.
type EmailKey struct {
	OrderID, Purpose, Recipient string
}

// Numbered is an issued document number of a series and year (invoice or credit note).
type Numbered struct {
	Series string
	Year   int
	Number int64
}

// AuditInput is everything the audit looks at.
type AuditInput struct {
	Placed   []Placed
	Orders   []OrderRow
	Terminal map[string]bool // statuses in which an order waits for nothing
	// Recorded: email rows the read model marks sent; Delivered: messages the provider accepted.
	Recorded  []EmailKey
	Delivered []EmailKey
	Numbers   []Numbered
	// RefundsPerOrder counts refunds by order id.
	RefundsPerOrder map[string]int
}

// Violation is one broken rule.
type Violation struct {
	Rule   string `json:"rule"`
	Detail string `json:"detail"`
}

// Audit applies every rule and returns the violations, sorted by rule.
func Audit(in AuditInput) []Violation {
	var out []Violation
	out = append(out, auditStatuses(in.Placed, in.Orders)...)
	out = append(out, auditEmails(in.Recorded, in.Delivered)...)
	out = append(out, auditNumbers(in.Numbers)...)
	out = append(out, auditRefunds(in.Placed, in.RefundsPerOrder)...)
	out = append(out, auditStuck(in.Orders, in.Terminal)...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Rule < out[j].Rule })
	return out
}

// auditStatuses: every order a script placed ended in the status its script expected.
func auditStatuses(placed []Placed, orders []OrderRow) []Violation {
	status := map[string]string{}
	for _, o := range orders {
		status[o.ID] = o.Status
	}
	var out []Violation
	for _, p := range placed {
		got, ok := status[p.ID]
		switch {
		case !ok:
			out = append(out, Violation{"status", fmt.Sprintf("%s: not in the read model, want %s", p.ID, p.Expected)})
		case got != p.Expected:
			out = append(out, Violation{"status", fmt.Sprintf("%s: %s, want %s", p.ID, got, p.Expected)})
		}
	}
	return out
}

// auditEmails: every recorded email was delivered exactly once, and nothing
// was delivered that the read model does not know of.
func auditEmails(recorded, delivered []EmailKey) []Violation {
	count := map[EmailKey]int{}
	for _, k := range delivered {
		count[k]++
	}
	var out []Violation
	known := map[EmailKey]bool{}
	for _, k := range recorded {
		known[k] = true
		if n := count[k]; n != 1 {
			out = append(out, Violation{"email", fmt.Sprintf("%s %s → %s: delivered %d times, want 1", k.OrderID, k.Purpose, k.Recipient, n)})
		}
	}
	for k, n := range count {
		if !known[k] {
			out = append(out, Violation{"email", fmt.Sprintf("%s %s → %s: delivered %d times but not recorded as sent", k.OrderID, k.Purpose, k.Recipient, n)})
		}
	}
	return out
}

// auditNumbers: each series and year runs 1..n with no gap and no repeat.
func auditNumbers(numbers []Numbered) []Violation {
	type series struct {
		name string
		year int
	}
	seen := map[series][]int64{}
	for _, n := range numbers {
		s := series{n.Series, n.Year}
		seen[s] = append(seen[s], n.Number)
	}
	var out []Violation
	for s, ns := range seen {
		sort.Slice(ns, func(i, j int) bool { return ns[i] < ns[j] })
		for i, n := range ns {
			want := int64(i + 1)
			if i > 0 && n == ns[i-1] {
				out = append(out, Violation{"numbering", fmt.Sprintf("%s %d: number %d issued twice", s.name, s.year, n)})
				break
			}
			if n != want {
				out = append(out, Violation{"numbering", fmt.Sprintf("%s %d: gap before %d (expected %d)", s.name, s.year, n, want)})
				break
			}
		}
	}
	return out
}

// auditRefunds: every placed order was refunded as often as its script
// expects (a payment taken back twice and a refund owed but never made are
// both violations), any other order at most once.
func auditRefunds(placed []Placed, perOrder map[string]int) []Violation {
	want := map[string]int{}
	for _, p := range placed {
		want[p.ID] = p.Refunds
	}
	var out []Violation
	for id, n := range perOrder {
		if _, placed := want[id]; !placed && n > 1 {
			out = append(out, Violation{"refund", fmt.Sprintf("%s: refunded %d times", id, n)})
		}
	}
	for id, w := range want {
		if n := perOrder[id]; n != w {
			out = append(out, Violation{"refund", fmt.Sprintf("%s: refunded %d times, want %d", id, n, w)})
		}
	}
	return out
}

// auditStuck: an order still running waits on a timer or is flagged for ops.
func auditStuck(orders []OrderRow, terminal map[string]bool) []Violation {
	var out []Violation
	for _, o := range orders {
		if terminal[o.Status] || o.NeedsAttention || o.NextDeadline != nil {
			continue
		}
		out = append(out, Violation{"stuck", fmt.Sprintf("%s: %s with no pending timer and no ops flag", o.ID, o.Status)})
	}
	return out
}

// CountByRule counts violations per rule, every rule present (zero included).
func CountByRule(vs []Violation) map[string]int {
	out := map[string]int{"status": 0, "email": 0, "numbering": 0, "refund": 0, "stuck": 0}
	for _, v := range vs {
		out[v.Rule]++
	}
	return out
}

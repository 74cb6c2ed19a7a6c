package load

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/orderflow/orderflow/internal/sendgridtest"
	"github.com/orderflow/orderflow/lifecycle"
)

// EndState is what a fault run left in the read model.
type EndState struct {
	Orders []OrderRow
	// Flow of each order id; Closed: workflows that ended although their
	// order's status is not final (they wait for nothing either).
	Flow   map[string]string
	Closed map[string]bool
	// Recorded: email rows marked sent; Unsent: rows still sending or failed.
	Recorded        []EmailKey
	Unsent          []EmailKey
	Numbers         []Numbered
	RefundsPerOrder map[string]int
	// Invoices counts issued invoices and credit notes by order id.
	Invoices map[string]int
}

// ReadEndState reads orders, emails, document numbers and refunds.
func ReadEndState(ctx context.Context, pool *pgxpool.Pool) (EndState, error) {
	st := EndState{Flow: map[string]string{}, Closed: map[string]bool{}, RefundsPerOrder: map[string]int{}, Invoices: map[string]int{}}
	for _, read := range []func(context.Context, *pgxpool.Pool, *EndState) error{readOrders, readEmails, readNumbers, readRefunds} {
		if err := read(ctx, pool, &st); err != nil {
			return EndState{}, err
		}
	}
	return st, nil
}

func readOrders(ctx context.Context, pool *pgxpool.Pool, st *EndState) error {
	rows, err := pool.Query(ctx, `SELECT id, flow, status, next_deadline, needs_attention, coalesce((view->>'closed')::boolean, false) FROM orders ORDER BY id`)
	if err != nil {
		return fmt.Errorf("read orders: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var o OrderRow
		var flow string
		var closed bool
		if err := rows.Scan(&o.ID, &flow, &o.Status, &o.NextDeadline, &o.NeedsAttention, &closed); err != nil {
			return fmt.Errorf("read orders: %w", err)
		}
		st.Orders = append(st.Orders, o)
		st.Flow[o.ID] = flow
		if closed {
			st.Closed[o.ID] = true
		}
	}
	return rows.Err()
}

func readEmails(ctx context.Context, pool *pgxpool.Pool, st *EndState) error {
	rows, err := pool.Query(ctx, `SELECT order_id, purpose, recipient, status FROM emails ORDER BY order_id, purpose, recipient`)
	if err != nil {
		return fmt.Errorf("read emails: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var k EmailKey
		var status string
		if err := rows.Scan(&k.OrderID, &k.Purpose, &k.Recipient, &status); err != nil {
			return fmt.Errorf("read emails: %w", err)
		}
		if status == "sent" {
			st.Recorded = append(st.Recorded, k)
		} else {
			st.Unsent = append(st.Unsent, k)
		}
	}
	return rows.Err()
}

func readNumbers(ctx context.Context, pool *pgxpool.Pool, st *EndState) error {
	rows, err := pool.Query(ctx, `SELECT order_id, series, year, number FROM invoices ORDER BY series, year, number`)
	if err != nil {
		return fmt.Errorf("read invoices: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var order string
		var n Numbered
		if err := rows.Scan(&order, &n.Series, &n.Year, &n.Number); err != nil {
			return fmt.Errorf("read invoices: %w", err)
		}
		st.Numbers = append(st.Numbers, n)
		st.Invoices[order]++
	}
	return rows.Err()
}

func readRefunds(ctx context.Context, pool *pgxpool.Pool, st *EndState) error {
	rows, err := pool.Query(ctx, `SELECT order_id, count(*) FROM refunds GROUP BY order_id`)
	if err != nil {
		return fmt.Errorf("read refunds: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var order string
		var n int
		if err := rows.Scan(&order, &n); err != nil {
			return fmt.Errorf("read refunds: %w", err)
		}
		st.RefundsPerOrder[order] = n
	}
	return rows.Err()
}

// DeliveredKeys names each message the stand-in accepted by the order and
// purpose orderflow put in its custom_args and its To recipients (lower
// case, as the emails table keeps them): one key per recipient.
func DeliveredKeys(msgs []sendgridtest.Message) []EmailKey {
	var out []EmailKey
	for _, m := range msgs {
		for _, to := range m.To() {
			out = append(out, EmailKey{OrderID: m.CustomArgs["order_id"], Purpose: m.CustomArgs["purpose"], Recipient: strings.ToLower(to.Email)})
		}
	}
	return out
}

// AuditRun audits a fault run's end state against what the scripts placed
// and what the provider accepted. final lists each flow's final statuses:
// whether an order waits for nothing depends on its flow (a marketplace
// order is not done when completed, its return window is still open).
func AuditRun(placed []Placed, st EndState, delivered []EmailKey, final map[string][]string) []Violation {
	everyStatus := map[string]bool{}
	byFlow := map[string][]OrderRow{}
	for _, o := range st.Orders {
		everyStatus[o.Status] = true
		if !st.Closed[o.ID] {
			byFlow[st.Flow[o.ID]] = append(byFlow[st.Flow[o.ID]], o)
		}
	}
	// Every rule but "stuck" on the whole run; "stuck" flow by flow below.
	out := Audit(AuditInput{
		Placed: placed, Orders: st.Orders, Terminal: everyStatus,
		Recorded: st.Recorded, Delivered: delivered, Numbers: st.Numbers, RefundsPerOrder: st.RefundsPerOrder,
	})
	for flow, rows := range byFlow {
		terminal := map[string]bool{}
		for _, s := range final[flow] {
			terminal[s] = true
		}
		out = append(out, Audit(AuditInput{Orders: rows, Terminal: terminal})...)
	}
	// An email row still sending (or given up) is an email that should exist and does not.
	for _, k := range st.Unsent {
		out = append(out, Violation{"email", fmt.Sprintf("%s %s → %s: recorded but never sent", k.OrderID, k.Purpose, k.Recipient)})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Rule < out[j].Rule })
	return out
}

// Unsettled says what a fault run is still waiting for ("" when nothing):
// an order not yet in its expected status, a member order without its first
// invoice, an email still being sent, or provider and read model disagreeing
// on how many emails went out (a retry may still be recording one).
func Unsettled(placed []Placed, st EndState, delivered int) string {
	status := map[string]string{}
	for _, o := range st.Orders {
		status[o.ID] = o.Status
	}
	var waiting []string
	late, uninvoiced := 0, 0
	for _, p := range placed {
		if status[p.ID] != p.Expected {
			late++
		}
		if p.Flow == lifecycle.MemberFlow.Name && st.Invoices[p.ID] == 0 {
			uninvoiced++
		}
	}
	if late > 0 {
		waiting = append(waiting, fmt.Sprintf("%d orders not in their expected status", late))
	}
	if uninvoiced > 0 {
		waiting = append(waiting, fmt.Sprintf("%d member orders without their first invoice", uninvoiced))
	}
	if len(st.Unsent) > 0 {
		waiting = append(waiting, fmt.Sprintf("%d emails not sent", len(st.Unsent)))
	}
	if delivered != len(st.Recorded) {
		waiting = append(waiting, fmt.Sprintf("%d emails delivered, %d recorded as sent", delivered, len(st.Recorded)))
	}
	return strings.Join(waiting, ", ")
}

// WaitingOnTimers counts the placed orders that are in their expected status
// with a pending timer (next_deadline) in the read model.
func WaitingOnTimers(placed []Placed, st EndState) int {
	byID := make(map[string]OrderRow, len(st.Orders))
	for _, o := range st.Orders {
		byID[o.ID] = o
	}
	n := 0
	for _, p := range placed {
		if o, ok := byID[p.ID]; ok && o.Status == p.Expected && o.NextDeadline != nil {
			n++
		}
	}
	return n
}

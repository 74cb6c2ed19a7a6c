package e2e_test

// Issue 12, "Nobody waits forever without knowing", through the real API:
// the owner of a wait is told, reminded, and staff are escalated, with
// durations from the configuration (workflows/waits.go).

import (
	"context"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/orderflow/orderflow/internal/sendgridtest"
	"github.com/orderflow/orderflow/lifecycle"
	"github.com/orderflow/orderflow/workflows"
)

// The default addresses of the wait owners (README, "Configuration").
const (
	purchasingAddr = "purchasing@orderflow.localhost"
	financeAddr    = "finance@orderflow.localhost"
	staffAddr      = "staff@orderflow.localhost"
)

// shortWaits: reminded after 2 s, escalated after 4 s.
func shortWaits(extra map[string]string) map[string]string {
	env := map[string]string{"ORDERFLOW_REMIND_AFTER": "2s", "ORDERFLOW_ESCALATE_AFTER": "4s"}
	maps.Copy(env, extra)
	return env
}

// waitMessage waits for the order's email of purpose to `to` and returns it.
func (m *market) waitMessage(orderID, purpose, to string) sendgridtest.Message {
	m.t.Helper()
	var found sendgridtest.Message
	m.eventually(purpose+" to "+to, func() bool {
		for _, msg := range m.sys.SendGrid.Messages() {
			if msg.CustomArgs["order_id"] == orderID && msg.CustomArgs["purpose"] == purpose && msg.To()[0].Email == to {
				found = msg
				return true
			}
		}
		return false
	})
	return found
}

// expectWaitEmails: the order's wait emails are exactly want, each once.
func (m *market) expectWaitEmails(orderID string, want ...string) {
	m.t.Helper()
	var got []string
	for _, msg := range m.sys.SendGrid.Messages() {
		if msg.CustomArgs["order_id"] == orderID && strings.HasPrefix(msg.CustomArgs["purpose"], "wait_") {
			got = append(got, msg.CustomArgs["purpose"]+"→"+msg.To()[0].Email)
		}
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		m.t.Errorf("wait emails of %s:\n got %v\nwant %v", orderID, got, want)
	}
}

// withoutWaits is a timeline without the waits' own entries (finance told
// of a credit order, purchasing of one in screening, ...).
func withoutWaits(timeline []workflows.TimelineEntry) []workflows.TimelineEntry {
	return slices.DeleteFunc(slices.Clone(timeline), func(e workflows.TimelineEntry) bool {
		return slices.Contains(lifecycle.WaitActions, e.Action)
	})
}

// isWaitAction: action is one of the waits' own timeline entries.
func isWaitAction(action string) bool {
	return slices.Contains(lifecycle.WaitActions, lifecycle.Action(action))
}

// entryAt is when the read model's timeline says action first happened.
func (m *market) entryAt(orderID, action string) time.Time {
	m.t.Helper()
	entries, err := m.sys.Store.Timeline(context.Background(), orderID)
	if err != nil {
		m.t.Fatal(err)
	}
	for _, e := range entries {
		if e.Action == action {
			return e.At
		}
	}
	m.t.Fatalf("no %s on the timeline of %s", action, orderID)
	return time.Time{}
}

func TestWaitScreeningRemindsPurchasingThenEscalatesToStaff(t *testing.T) {
	m := newMarket(t, shortWaits(nil))
	o := m.create("c-1", "prepaid")
	m.pay(o.ID, "c-1")
	m.waitStatus(o.ID, lifecycle.Screening)

	told := m.waitMessage(o.ID, "wait_started#screening.1", purchasingAddr)
	if !strings.Contains(told.Subject, "is waiting for you") || !strings.Contains(told.Content("text/plain"), "release or cancel the order") {
		t.Errorf("purchasing's notice: %q\n%s", told.Subject, told.Content("text/plain"))
	}
	reminder := m.waitMessage(o.ID, "wait_reminder#screening.1", purchasingAddr)
	if !strings.HasPrefix(reminder.Subject, "Reminder: order "+o.ID) {
		t.Errorf("reminder subject %q", reminder.Subject)
	}
	escalation := m.waitMessage(o.ID, "wait_escalation#screening.1", staffAddr)
	if !strings.Contains(escalation.Subject, "waiting too long for purchasing") {
		t.Errorf("escalation subject %q", escalation.Subject)
	}
	m.settled(o.ID)
	if got := m.fullTimeline(o.ID); !slices.Contains(got, "owner_told:screening") || !slices.Contains(got, "owner_reminded:screening") || !slices.Contains(got, "staff_escalated:screening") {
		t.Errorf("timeline %v", got)
	}
	// Once each, however long it waits; then purchasing releases it.
	time.Sleep(3 * time.Second)
	purchasing := m.token(lifecycle.Purchasing, "p-1")
	m.act(o.ID, "set_margin", purchasing, map[string]any{"margin_percent": 10}, http.StatusOK)
	m.act(o.ID, "release", purchasing, nil, http.StatusOK)
	m.waitStatus(o.ID, lifecycle.Pending)
	m.expectWaitEmails(o.ID, "wait_escalation#screening.1→"+staffAddr, "wait_reminder#screening.1→"+purchasingAddr, "wait_started#screening.1→"+purchasingAddr)
	if v := m.sys.SendGrid.Violations(); len(v) > 0 {
		t.Fatalf("SendGrid schema violations: %v", v)
	}
}

// A credit request expires with the payment window: finance is reminded
// and staff escalated before it does, even when the window is shorter
// than the usual delays.
func TestWaitCreditRemindsFinanceBeforeTheOrderExpires(t *testing.T) {
	m := newMarket(t, shortWaits(map[string]string{"ORDERFLOW_PAYMENT_WINDOW": "12s", "ORDERFLOW_REMIND_AFTER": "1h", "ORDERFLOW_ESCALATE_AFTER": "2h"}))
	o := m.create("c-2", "credit")
	m.waitMessage(o.ID, "wait_started#credit.1", financeAddr)
	reminder := m.waitMessage(o.ID, "wait_reminder#credit.1", financeAddr)
	if text := reminder.Content("text/plain"); !strings.Contains(text, "approve or decline the credit request") || !strings.Contains(text, "expires on") {
		t.Errorf("finance's reminder:\n%s", text)
	}
	m.waitStatus(o.ID, lifecycle.Expired)
	m.expectEmails(o.ID, "order_expired→c-2@customers.test")
	m.expectWaitEmails(o.ID, "wait_started#credit.1→"+financeAddr, "wait_reminder#credit.1→"+financeAddr, "wait_escalation#credit.1→"+staffAddr)
	m.settled(o.ID)
	reminded, escalated, expired := m.entryAt(o.ID, "owner_reminded"), m.entryAt(o.ID, "staff_escalated"), m.entryAt(o.ID, "payment_window_elapsed")
	if !reminded.Before(escalated) || !escalated.Before(expired) || expired.Sub(reminded) < 4*time.Second {
		t.Errorf("reminded %s, escalated %s, expired %s: want the reminder well before the escalation, both before the expiry", reminded, escalated, expired)
	}
}

func TestWaitMemberCancellationRequestEscalatesToStaff(t *testing.T) {
	env := shortWaits(nil)
	maps.Copy(env, memberEnv)
	m := newMarket(t, env)
	member, staff := m.token(lifecycle.Member, "m-3"), m.token(lifecycle.Staff, "s-1")
	o := m.createMember("m-3", map[string]any{
		"submit": true, "skip_client_confirmation": true, "proof_reference": "framework contract FC-2026-4",
		"service_period": map[string]any{"start": day(-1), "end": day(60)},
		"schedule":       []map[string]any{{"date": day(20), "amount": "500.00"}, {"date": day(40), "amount": "500.00"}},
	})
	m.act(o.ID, "approve", staff, nil, http.StatusOK)
	m.act(o.ID, "request_cancellation", member, map[string]any{"reason": "The client closed the project; no further work will be done."}, http.StatusOK)

	told := m.waitMessage(o.ID, "wait_started#cancellation_request.1", staffAddr)
	if !strings.Contains(told.Content("text/plain"), "approve or deny the member's cancellation request") {
		t.Errorf("staff's notice:\n%s", told.Content("text/plain"))
	}
	m.waitMessage(o.ID, "wait_reminder#cancellation_request.1", staffAddr)
	m.waitMessage(o.ID, "wait_escalation#cancellation_request.1", staffAddr)
	m.act(o.ID, "deny_cancellation", staff, map[string]any{"reason": "the work goes on"}, http.StatusOK)
	m.settled(o.ID)
	m.expectWaitEmails(o.ID, "wait_started#cancellation_request.1→"+staffAddr, "wait_reminder#cancellation_request.1→"+staffAddr,
		"wait_escalation#cancellation_request.1→"+staffAddr)
	got := m.fullTimeline(o.ID)
	if !slices.Contains(got, "owner_told:cancellation_requested") || !slices.Contains(got, "owner_reminded:cancellation_requested") || !slices.Contains(got, "staff_escalated:cancellation_requested") {
		t.Errorf("timeline %v", got)
	}
	if v := m.get(o.ID, staff); slices.ContainsFunc(v.Deadlines, func(d workflows.Deadline) bool { return strings.Contains(d.Name, "cancellation") }) {
		t.Errorf("a denied request still has deadlines: %+v", v.Deadlines)
	}
}

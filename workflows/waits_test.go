package workflows

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/orderflow/orderflow/internal/money"
	"github.com/orderflow/orderflow/lifecycle"
)

// Issue 12, "Nobody waits forever without knowing": each wait for a person
// tells its owner, reminds them once and escalates once (waits.go).

const (
	purchasingMail = "purchasing@example.com"
	financeMail    = "finance@example.com"
)

var testWaits = WaitSettings{
	RemindAfter: 24 * hour, EscalateAfter: 48 * hour, CreditReminderLead: 12 * hour, CreditEscalationLead: 6 * hour,
	PurchasingEmail: purchasingMail, FinanceEmail: financeMail, StaffEmail: staffMail,
}

func waitingOrder(terms string) MarketplaceInput {
	in := orderInput(terms)
	in.Settings.Waits = testWaits
	return in
}

func waitingMember() MemberInput {
	in := memberInput()
	in.Settings.Waits = testWaits
	return in
}

// waitMails are the wait emails sent, in order, as "purpose→recipient".
func (r *run) waitMails() []string {
	return slices.DeleteFunc(r.fakes.purposesTo(), func(s string) bool { return !strings.HasPrefix(s, "wait_") })
}

func (r *run) requireWaitMails(want ...string) {
	r.t.Helper()
	if got := r.waitMails(); !slices.Equal(got, want) {
		r.t.Errorf("wait emails\n got %v\nwant %v", got, want)
	}
	for key, n := range r.requests.emailRequests() {
		if strings.Contains(key, " wait_") && n != 1 {
			r.t.Errorf("%s requested %d times, want once", key, n)
		}
	}
}

// requireAt: action a is on the timeline once per instant given, at those instants.
func (r *run) requireAt(v OrderView, a lifecycle.Action, at ...time.Time) {
	r.t.Helper()
	es := actionEntries(v, a)
	got := make([]time.Time, len(es))
	for i, e := range es {
		got[i] = e.At
	}
	if !slices.EqualFunc(got, at, time.Time.Equal) {
		r.t.Errorf("%s at %v, want at %v", a, got, at)
	}
}

func TestScreeningTellsPurchasingRemindsThenEscalatesToStaffOnce(t *testing.T) {
	r := newRun(t)
	r.script(paidAt1m)
	told := testStart.Add(minute)
	r.settledViewAt(minute+second, buyer, func(v OrderView) {
		r.requireDeadlines(v,
			Deadline{Name: "Reminder to purchasing: release or cancel the order", At: told.Add(24 * hour)},
			Deadline{Name: "Escalation to staff: release or cancel the order", At: told.Add(48 * hour)})
	})
	r.settledViewAt(minute+49*hour, buyer, func(v OrderView) { r.requireDeadlines(v) })
	r.stopAt(minute + 100*hour)
	r.execute(waitingOrder("prepaid"))

	r.requireStopped()
	v := r.query(buyer)
	r.requireWaitMails("wait_started#screening.1→"+purchasingMail, "wait_reminder#screening.1→"+purchasingMail,
		"wait_escalation#screening.1→"+staffMail)
	r.requireAt(v, lifecycle.OwnerTold, told)
	r.requireAt(v, lifecycle.OwnerReminded, told.Add(24*hour))
	r.requireAt(v, lifecycle.StaffEscalated, told.Add(48*hour))
	r.requireTimer("Reminder to purchasing: release or cancel the order until", told.Add(24*hour))
	// The read model, written again when purchasing was told, waits for the
	// reminder next, not for the notice already sent.
	r.fakes.mu.Lock()
	i := slices.IndexFunc(r.fakes.transitions, func(tr transition) bool { return tr.Entry.Action == string(lifecycle.OwnerTold) })
	if i < 0 || r.fakes.transitions[i].Order.NextDeadline == nil || !r.fakes.transitions[i].Order.NextDeadline.Equal(told.Add(24*hour)) {
		t.Errorf("read model after the notice: %+v", r.fakes.transitions)
	}
	r.fakes.mu.Unlock()
	if v.Status != lifecycle.Screening {
		t.Errorf("status %s: reminders never move the order", v.Status)
	}
}

func TestReleasedBeforeTheReminderIsNeitherRemindedNorEscalated(t *testing.T) {
	r := newRun(t)
	r.script(steps(paidAt1m, releasedAt3m))
	r.stopAt(3 * hour) // pending, then pending expiring: no person owes anything
	r.execute(waitingOrder("prepaid"))

	r.requireStopped()
	v := r.query(buyer)
	r.requireWaitMails("wait_started#screening.1→" + purchasingMail)
	r.requireNoEntry(v, lifecycle.OwnerReminded)
	r.requireNoEntry(v, lifecycle.StaffEscalated)
}

// A credit request is reminded and escalated before the payment window
// ends, however long the usual delays are: finance would otherwise let it
// expire unseen.
func TestCreditRequestRemindsFinanceBeforeItExpires(t *testing.T) {
	for _, tc := range []struct {
		name                string
		window              time.Duration
		remindAt, escalates time.Duration
	}{
		{"the leads before a day's window", 24 * hour, 12 * hour, 18 * hour},
		{"a window shorter than the leads is split", 4 * hour, 2 * hour, 3 * hour},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRun(t)
			in := waitingOrder("credit")
			in.Settings.PaymentWindow = tc.window
			r.execute(in)

			r.requireCompleted()
			v := r.query(financeUser)
			if got := statuses(v); !slices.Equal(got, []lifecycle.Status{lifecycle.AwaitingCredit, lifecycle.Expired}) {
				t.Errorf("statuses %v", got)
			}
			r.requireWaitMails("wait_started#credit.1→"+financeMail, "wait_reminder#credit.1→"+financeMail, "wait_escalation#credit.1→"+staffMail)
			r.requireAt(v, lifecycle.OwnerReminded, testStart.Add(tc.remindAt))
			r.requireAt(v, lifecycle.StaffEscalated, testStart.Add(tc.escalates))
			r.requireElapsedAt(v, lifecycle.PaymentWindowElapsed, lifecycle.AwaitingCredit, lifecycle.Expired, testStart.Add(tc.window))
		})
	}
}

// The supplier knows the requested date from its purchase order: once the
// date has passed without a delivery it is reminded, then purchasing is
// escalated; the delivery ends the wait.
func TestLateDeliveryRemindsTheSupplierThenPurchasing(t *testing.T) {
	r := newRun(t)
	r.script(steps(paidAt1m, releasedAt3m, acceptedAt4mB))
	pastDate := time.Date(2026, 12, 2, 0, 0, 0, 0, brussels) // requested 2026-12-01
	r.must(pastDate.Add(50*hour).Sub(testStart), lifecycle.MarkDelivered, supplierB, DeliveredPayload{Note: "late"})
	r.stopAt(pastDate.Add(100 * hour).Sub(testStart))
	r.execute(waitingOrder("prepaid"))

	r.requireStopped()
	v := r.query(buyer)
	r.requireWaitMails("wait_started#screening.1→"+purchasingMail,
		"wait_reminder#delivery.1→bravo@example.com", "wait_escalation#delivery.1→"+purchasingMail)
	r.requireAt(v, lifecycle.OwnerReminded, pastDate.Add(24*hour))
	r.requireAt(v, lifecycle.StaffEscalated, pastDate.Add(48*hour))
	// What the supplier reads: the goods and the date, nothing of the customer.
	r.fakes.mu.Lock()
	defer r.fakes.mu.Unlock()
	for _, msg := range r.fakes.sent {
		if msg.Purpose != "wait_reminder#delivery.1" {
			continue
		}
		if !strings.Contains(msg.Text, "deliver the order, requested for 2026-12-01") || !strings.Contains(msg.Text, "Cement 25 kg") {
			t.Errorf("the supplier's reminder:\n%s", msg.Text)
		}
		for _, bad := range []string{"Ann", "ann@example.com", "93.17", "77.00", "margin"} {
			if strings.Contains(msg.Subject+msg.Text, bad) { // (the HTML layout styles margins)
				t.Errorf("the supplier's reminder shows %q:\n%s", bad, msg.Text)
			}
		}
	}
}

// A return request waits for purchasing; an approved one for the
// supplier's inspection (the supplier's return_approved email told it).
func TestReturnWaitsForPurchasingThenTheSupplier(t *testing.T) {
	r := newRun(t)
	r.script(steps(paidAt1m, releasedAt3m, acceptedAt4mB, fulfilled(supplierB, 5*minute)))
	requested := 10 * minute
	r.must(requested, lifecycle.RequestReturn, customer, because("wrong colour"))
	approved := requested + 50*hour
	r.must(approved, lifecycle.ApproveReturn, buyer, nil)
	r.must(approved+30*hour, lifecycle.ConfirmResalable, supplierB, nil)
	r.execute(waitingOrder("prepaid"))

	r.requireCompleted()
	v := r.query(buyer)
	r.requireWaitMails("wait_started#screening.1→"+purchasingMail,
		"wait_started#return_decision.1→"+purchasingMail, "wait_reminder#return_decision.1→"+purchasingMail,
		"wait_escalation#return_decision.1→"+staffMail,
		"wait_reminder#return_inspection.1→bravo@example.com")
	r.requireAt(v, lifecycle.OwnerReminded, testStart.Add(requested+24*hour), testStart.Add(approved+24*hour))
	r.requireAt(v, lifecycle.StaffEscalated, testStart.Add(requested+48*hour))
}

func TestMemberCancellationRequestEscalatesToStaff(t *testing.T) {
	r := newRun(t)
	r.must(1*hour, lifecycle.Approve, staffS, nil)
	r.must(2*hour, lifecycle.Confirm, clientLink("link_1"), nil)
	reason := CancellationPayload{Reason: "The client went bankrupt last week"}
	r.must(3*hour, lifecycle.RequestCancellation, memberM, reason)
	r.must(60*hour, lifecycle.DenyCancellation, staffS, because("the work is done already"))
	// A second request is a new wait: told again, and reminded again.
	r.must(70*hour, lifecycle.RequestCancellation, memberM, reason)
	r.must(95*hour, lifecycle.ApproveCancellation, staffS, nil)
	r.executeMember(waitingMember())

	r.requireCompleted()
	v := r.query(staffS)
	r.requireWaitMails("wait_started#cancellation_request.1→"+staffMail, "wait_reminder#cancellation_request.1→"+staffMail,
		"wait_escalation#cancellation_request.1→"+staffMail,
		"wait_started#cancellation_request.2→"+staffMail, "wait_reminder#cancellation_request.2→"+staffMail)
	r.requireAt(v, lifecycle.OwnerTold, testStart.Add(3*hour), testStart.Add(70*hour))
	r.requireAt(v, lifecycle.OwnerReminded, testStart.Add(27*hour), testStart.Add(94*hour))
	r.requireAt(v, lifecycle.StaffEscalated, testStart.Add(51*hour))
}

func TestMemberChangeRequestWaitsForStaffPerInvoice(t *testing.T) {
	r := newRun(t)
	r.must(1*hour, lifecycle.Approve, staffS, nil)
	r.must(2*hour, lifecycle.Confirm, clientLink("link_1"), nil)
	requested := since(2026, 12, 9, 10, 0, 0)
	r.must(requested, lifecycle.RequestChanges, memberM, ChangeRequestPayload{Entry: 1, Comment: "please split travel costs"})
	r.settledViewAt(requested+second, staffS, func(v OrderView) {
		i := slices.IndexFunc(v.Deadlines, func(d Deadline) bool { return strings.HasPrefix(d.Name, "Reminder to member support") })
		if i < 0 || v.Deadlines[i].Entry != 1 || !v.Deadlines[i].At.Equal(testStart.Add(requested+24*hour)) {
			t.Errorf("deadlines %+v, want the reminder of invoice 1's change request", v.Deadlines)
		}
	})
	r.must(requested+30*hour, lifecycle.ResolveChanges, staffS, ResolvePayload{Entry: 1, Amount: ptr(money.Amount(90000))})
	r.stopAt(since(2026, 12, 14, 0, 0, 0))
	r.executeMember(waitingMember())

	r.requireStopped()
	v := r.query(staffS)
	r.requireWaitMails("wait_started#change_request_1.1→"+staffMail, "wait_reminder#change_request_1.1→"+staffMail)
	r.requireAt(v, lifecycle.OwnerReminded, testStart.Add(requested+24*hour))
	r.requireNoEntry(v, lifecycle.StaffEscalated)
}

// Orders started before change business-rules have no waits: no new
// deadline, timer or email when they replay.
func TestOrdersBeforeBusinessRulesHaveNoWaits(t *testing.T) {
	r := newRun(t)
	r.startedBefore(ChangeBusinessRules)
	r.script(paidAt1m)
	r.settledViewAt(minute+second, buyer, func(v OrderView) { r.requireDeadlines(v) })
	r.stopAt(100 * hour)
	r.execute(waitingOrder("prepaid"))

	r.requireStopped()
	r.requireWaitMails()
	v := r.query(buyer)
	for _, a := range lifecycle.WaitActions {
		r.requireNoEntry(v, a)
	}
}

// A setting left empty (no durations: the order predates them) means no
// waits either.
func TestNoWaitsWithoutTheirSettings(t *testing.T) {
	r := newRun(t)
	r.script(paidAt1m)
	r.stopAt(100 * hour)
	r.execute(orderInput("prepaid"))

	r.requireStopped()
	r.requireWaitMails()
}

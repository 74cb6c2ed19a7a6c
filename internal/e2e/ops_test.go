package e2e_test

// Failed side effects park the order for ops (issue 5), end to end: the
// SendGrid stand-in refuses one customer's mail, a refund is refused, the
// read model's database goes away for a few seconds.

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	enumspb "go.temporal.io/api/enums/v1"
	workflowpb "go.temporal.io/api/workflow/v1"
	"go.temporal.io/sdk/converter"

	"github.com/orderflow/orderflow/internal/pgtest"
	"github.com/orderflow/orderflow/internal/sendgridtest"
	"github.com/orderflow/orderflow/lifecycle"
	"github.com/orderflow/orderflow/workflows"
)

// attentionList is GET /v1/ops/attention.
type attentionList struct {
	Orders []struct {
		ID             string               `json:"id"`
		Flow           string               `json:"flow"`
		Status         lifecycle.Status     `json:"status"`
		Attention      *workflows.Attention `json:"attention"`
		AllowedActions []lifecycle.Action   `json:"allowed_actions"`
		Error          string               `json:"error"`
	} `json:"orders"`
	Truncated bool `json:"truncated"`
}

func (m *market) attentionList() attentionList {
	m.t.Helper()
	var l attentionList
	m.call("GET", "/v1/ops/attention", m.token(lifecycle.Ops, "o-1"), nil, http.StatusOK, &l)
	for _, o := range l.Orders {
		if o.Error != "" {
			m.t.Fatalf("attention list: %s did not answer: %s", o.ID, o.Error)
		}
	}
	return l
}

func (l attentionList) ids() []string {
	var ids []string
	for _, o := range l.Orders {
		ids = append(ids, o.ID)
	}
	return ids
}

// waitListed waits until the attention list shows the order parked on step
// (visibility lags behind the workflow) and returns the list.
func (m *market) waitListed(id, step string) attentionList {
	m.t.Helper()
	var l attentionList
	m.eventually(id+" listed for attention on "+step, func() bool {
		l = m.attentionList()
		i := slices.Index(l.ids(), id)
		return i >= 0 && l.Orders[i].Attention != nil && l.Orders[i].Attention.Step == step
	})
	return l
}

func (m *market) waitUnlisted(id string) {
	m.t.Helper()
	m.eventually(id+" leaves the attention list", func() bool { return !slices.Contains(m.attentionList().ids(), id) })
}

// waitParked waits until the order is parked on step for the nth time.
func (m *market) waitParked(id, step string, nth int) workflows.OrderView {
	m.t.Helper()
	var v workflows.OrderView
	m.eventually(fmt.Sprintf("%s parked on %q (time %d)", id, step, nth), func() bool {
		v = m.get(id, m.token(lifecycle.Ops, "o-1"))
		return v.Attention != nil && v.Attention.Step == step && len(entriesOf(v, lifecycle.StepFailed)) == nth
	})
	if !v.NeedsAttention || v.Attention.Error == "" || v.Attention.Since.IsZero() {
		m.t.Fatalf("parked view: needs attention %v, attention %+v", v.NeedsAttention, v.Attention)
	}
	return v
}

func entriesOf(v workflows.OrderView, a lifecycle.Action) []workflows.TimelineEntry {
	var out []workflows.TimelineEntry
	for _, e := range v.Timeline {
		if e.Action == a {
			out = append(out, e)
		}
	}
	return out
}

// needsAttention reads the order's NeedsAttention search attribute, as the
// Web UI filters on it.
func (m *market) needsAttention(id string) bool {
	m.t.Helper()
	desc, err := m.sys.Temporal.DescribeWorkflowExecution(context.Background(), id, "")
	if err != nil {
		m.t.Fatal(err)
	}
	payload, ok := desc.GetWorkflowExecutionInfo().GetSearchAttributes().GetIndexedFields()[workflows.NeedsAttention.GetName()]
	if !ok {
		return false
	}
	var flag bool
	if err := converter.GetDefaultDataConverter().FromPayload(payload, &flag); err != nil {
		m.t.Fatal(err)
	}
	return flag
}

// The stand-in refuses (400, permanent) every email to one customer: that
// order parks on the email, ops see it in the attention list, a retry
// before the cause is fixed parks it again, a retry after it sends the email
// once; parked again later, ops skip the email and the order goes on. The
// other order never notices.
func TestParkedEmailIsRetriedThenSkippedByOps(t *testing.T) {
	m := newMarket(t, nil)
	sg := m.sys.SendGrid
	ops, purchasing := m.token(lifecycle.Ops, "o-1"), m.token(lifecycle.Purchasing, "p-1")
	toParked := func(body []byte) bool { return bytes.Contains(body, []byte(`"c-parked@customers.test"`)) }
	sg.FailWhen(toParked, sendgridtest.Fault{Status: http.StatusBadRequest})

	a := m.create("c-parked", "prepaid")
	b := m.create("c-fine", "prepaid")
	const linkStep = "email payment_link to c-parked@customers.test"

	v := m.waitParked(a.ID, linkStep, 1)
	if !v.Attention.Skippable || !slices.Contains(v.AllowedActions, lifecycle.OpsRetry) || !slices.Contains(v.AllowedActions, lifecycle.OpsSkip) ||
		v.Status != lifecycle.AwaitingPayment {
		t.Fatalf("parked on the link email: status %s, attention %+v, ops may %v", v.Status, v.Attention, v.AllowedActions)
	}
	if !strings.Contains(v.Attention.Error, "400") {
		t.Fatalf("attention error %q does not carry the provider's answer", v.Attention.Error)
	}
	if failed := entriesOf(v, lifecycle.StepFailed)[0]; !strings.HasPrefix(failed.Reason, linkStep+": ") || failed.To != lifecycle.AwaitingPayment {
		t.Fatalf("timeline entry of the failure: %+v", failed)
	}
	m.eventually("NeedsAttention search attribute set", func() bool { return m.needsAttention(a.ID) })
	// The read model shows it too, while the step is parked (change
	// flat-records), so a list of the orders that need attention finds it.
	m.eventually("needs_attention in the read model", func() bool {
		row, err := m.sys.Store.GetOrder(context.Background(), a.ID)
		return err == nil && row.NeedsAttention
	})
	l := m.waitListed(a.ID, linkStep)
	entry := l.Orders[slices.Index(l.ids(), a.ID)]
	if entry.Flow != "marketplace" || entry.Status != lifecycle.AwaitingPayment || !entry.Attention.Skippable ||
		entry.Attention.Error != v.Attention.Error || !slices.Contains(entry.AllowedActions, lifecycle.OpsSkip) {
		t.Fatalf("attention list entry: %+v (attention %+v)", entry, entry.Attention)
	}
	if slices.Contains(l.ids(), b.ID) {
		t.Fatalf("the other order is listed for attention: %v", l.ids())
	}
	m.call("GET", "/v1/ops/attention", purchasing, nil, http.StatusForbidden, nil)
	m.act(a.ID, "retry", m.token(lifecycle.Customer, "c-parked"), nil, http.StatusForbidden)
	m.act(b.ID, "retry", ops, nil, http.StatusConflict) // not parked

	// A retry runs the step again: still refused, the order parks again.
	requests := sg.Requests()
	m.act(a.ID, "retry", ops, nil, http.StatusOK)
	m.waitParked(a.ID, linkStep, 2)
	if sg.Requests() <= requests {
		t.Fatalf("the retry did not reach the email provider (%d requests before, %d after)", requests, sg.Requests())
	}

	// Fixed: the retry sends the email once and the order leaves the list.
	sg.Recover()
	m.act(a.ID, "retry", ops, nil, http.StatusOK)
	m.expectEmails(a.ID, "payment_link→c-parked@customers.test")
	m.eventually("the order no longer waits for ops", func() bool {
		v = m.get(a.ID, ops)
		return !v.NeedsAttention && v.Attention == nil && !slices.Contains(v.AllowedActions, lifecycle.OpsRetry)
	})
	m.eventually("NeedsAttention search attribute cleared", func() bool { return !m.needsAttention(a.ID) })
	m.waitUnlisted(a.ID)

	// The lifecycle goes on; the customer's mail fails again on release, and
	// this time ops skip it: the supplier offers queued behind it go out.
	sg.FailWhen(toParked, sendgridtest.Fault{Status: http.StatusBadRequest})
	m.pay(a.ID, "c-parked")
	m.waitStatus(a.ID, lifecycle.Screening)
	m.act(a.ID, "set_margin", purchasing, map[string]any{"margin_percent": 10}, http.StatusOK)
	m.act(a.ID, "release", purchasing, nil, http.StatusOK)
	const ackStep = "email order_acknowledged to c-parked@customers.test"
	m.waitParked(a.ID, ackStep, 3)
	m.waitListed(a.ID, ackStep)
	m.act(a.ID, "skip", ops, nil, http.StatusOK)
	m.offeredTo(a.ID, 3)
	m.expectEmails(a.ID, "payment_link→c-parked@customers.test",
		"supplier_offer→alpha@suppliers.test", "supplier_offer→bravo@suppliers.test", "supplier_offer→charlie@suppliers.test")
	sg.Recover()
	m.waitUnlisted(a.ID)

	v = m.get(a.ID, ops)
	if v.Status != lifecycle.Pending || v.NeedsAttention {
		t.Fatalf("after the skip: status %s, needs attention %v", v.Status, v.NeedsAttention)
	}
	var decisions []string
	for _, e := range v.Timeline {
		if e.Action == lifecycle.OpsRetry || e.Action == lifecycle.OpsSkip {
			if e.ActorRole != lifecycle.Ops || e.ActorID != "o-1" {
				t.Errorf("decision %+v not attributed to the ops user", e)
			}
			decisions = append(decisions, string(e.Action)+" "+e.Reason)
		}
	}
	if want := []string{"retry " + linkStep, "retry " + linkStep, "skip " + ackStep}; !slices.Equal(decisions, want) {
		t.Fatalf("ops decisions on the timeline %v, want %v", decisions, want)
	}
	if sent := slices.IndexFunc(v.Emails, func(e workflows.SentEmail) bool { return e.Purpose == "order_acknowledged" }); sent >= 0 {
		t.Fatalf("the skipped email is listed as sent: %v", v.Emails)
	}

	// The other order went its way untouched.
	m.pay(b.ID, "c-fine")
	m.waitStatus(b.ID, lifecycle.Screening)
	m.act(b.ID, "set_margin", purchasing, map[string]any{"margin_percent": 10}, http.StatusOK)
	m.act(b.ID, "release", purchasing, nil, http.StatusOK)
	m.expectEmails(b.ID, "payment_link→c-fine@customers.test", "order_acknowledged→c-fine@customers.test",
		"supplier_offer→alpha@suppliers.test", "supplier_offer→bravo@suppliers.test", "supplier_offer→charlie@suppliers.test")
	vb := m.get(b.ID, ops)
	if len(entriesOf(vb, lifecycle.StepFailed)) != 0 || vb.NeedsAttention || m.needsAttention(b.ID) {
		t.Fatalf("the other order parked: timeline %+v", vb.Timeline)
	}
}

// A refund is never skipped: the provider refuses it (a refund under the
// order's key exists with another amount), the order parks unskippable, a
// skip is refused; once the cause is removed a retry refunds and the order ends.
func TestParkedRefundCannotBeSkipped(t *testing.T) {
	m := newMarket(t, nil)
	ops, purchasing := m.token(lifecycle.Ops, "o-1"), m.token(lifecycle.Purchasing, "p-1")
	o := m.create("c-refund", "prepaid")
	m.pay(o.ID, "c-refund")
	v := m.waitStatus(o.ID, lifecycle.Screening)

	ctx := context.Background()
	_, err := m.sys.Pool.Exec(ctx, `
		INSERT INTO refunds (id, payment_id, order_id, idempotency_key, amount_cents, reason, created_at)
		VALUES ('re_planted', $1, $2, $3, 1, 'planted by the test', now())`,
		v.Marketplace.Payment.ID, o.ID, o.ID+"/refund")
	if err != nil {
		t.Fatal(err)
	}
	m.act(o.ID, "cancel", purchasing, map[string]any{"reason": "customer changed their mind"}, http.StatusOK)

	v = m.waitParked(o.ID, "refund", 1)
	if v.Attention.Skippable || slices.Contains(v.AllowedActions, lifecycle.OpsSkip) || !slices.Contains(v.AllowedActions, lifecycle.OpsRetry) ||
		v.Status != lifecycle.Cancelled {
		t.Fatalf("parked refund: status %s, attention %+v, ops may %v", v.Status, v.Attention, v.AllowedActions)
	}
	l := m.waitListed(o.ID, "refund")
	if entry := l.Orders[slices.Index(l.ids(), o.ID)]; entry.Attention.Skippable || slices.Contains(entry.AllowedActions, lifecycle.OpsSkip) {
		t.Fatalf("attention list offers to skip a refund: %+v", entry)
	}

	var problem struct {
		Detail         string   `json:"detail"`
		AllowedActions []string `json:"allowed_actions"`
	}
	m.call("POST", "/v1/orders/"+o.ID+"/actions/skip", ops, nil, http.StatusConflict, &problem)
	if !strings.Contains(problem.Detail, "cannot be skipped") || slices.Contains(problem.AllowedActions, "skip") {
		t.Fatalf("refused skip: %+v", problem)
	}
	m.refundsOf(o.ID, 1) // only the planted one

	if _, err := m.sys.Pool.Exec(ctx, `DELETE FROM refunds WHERE id = 're_planted'`); err != nil {
		t.Fatal(err)
	}
	m.act(o.ID, "retry", ops, nil, http.StatusOK)
	m.expectEmails(o.ID, "payment_link→c-refund@customers.test", "order_cancelled→c-refund@customers.test",
		"refund_issued→c-refund@customers.test")
	m.refundsOf(o.ID, 1)
	v = m.get(o.ID, ops)
	if v.Marketplace.Refunded != v.Marketplace.Payment.Amount || v.NeedsAttention || len(entriesOf(v, lifecycle.OpsSkip)) != 0 {
		t.Fatalf("after the retry: refunded %s of %s, needs attention %v", v.Marketplace.Refunded, v.Marketplace.Payment.Amount, v.NeedsAttention)
	}
	m.waitUnlisted(o.ID)
}

// An email whose request went out but got no answer may have been
// delivered: it is never resent by itself, not even by a plain ops retry,
// until ops have checked the provider and retry with resend (runbook, "email
// outcome unknown"). Then it is sent once.
func TestEmailOfUnknownOutcomeIsResentOnlyWhenOpsAskForIt(t *testing.T) {
	m := newMarket(t, nil)
	sg := m.sys.SendGrid
	ops := m.token(lifecycle.Ops, "o-1")
	sg.FailWhen(func(body []byte) bool { return bytes.Contains(body, []byte(`"c-unknown@customers.test"`)) },
		sendgridtest.Fault{Drop: true}) // the request arrives, the answer never does
	o := m.create("c-unknown", "prepaid")
	const linkStep = "email payment_link to c-unknown@customers.test"
	m.waitParked(o.ID, linkStep, 1)

	sg.Recover()
	m.act(o.ID, "retry", ops, nil, http.StatusOK)
	v := m.waitParked(o.ID, linkStep, 2)
	key := o.ID + "/payment_link/c-unknown@customers.test"
	if !strings.Contains(v.Attention.Error, "idempotency_key="+key) {
		t.Fatalf("second parking: error %q does not tell ops what to look up", v.Attention.Error)
	}
	if !v.Attention.Resendable {
		t.Fatalf("attention %+v: not offered for a resend", v.Attention)
	}
	if n := len(m.emails(o.ID)); n != 0 {
		t.Fatalf("%d emails sent without ops asking for a resend", n)
	}

	// Ops found nothing under that key at the provider: retry with resend.
	m.act(o.ID, "retry", ops, map[string]any{"resend": true}, http.StatusOK)
	m.expectEmails(o.ID, "payment_link→c-unknown@customers.test")
	m.eventually("the order no longer waits for ops", func() bool { return !m.get(o.ID, ops).NeedsAttention })
	m.act(o.ID, "retry", ops, map[string]any{"resend": true}, http.StatusConflict)
	if n := len(sg.Messages()); n != 1 {
		t.Fatalf("the provider accepted %d messages, want 1", n)
	}
	if got := sg.Messages()[0].CustomArgs["idempotency_key"]; got != key {
		t.Fatalf("idempotency_key custom arg %q, want %q (the runbook tells ops to search for it)", got, key)
	}
}

// The read model's database refuses connections for a few seconds, far
// inside the activities' retry window: the writes fail, are retried, and the
// order goes on by itself without parking. Only this test's database goes
// away; other tests share the server.
func TestPostgresOutageShorterThanTheRetryWindowParksNothing(t *testing.T) {
	m := newMarket(t, nil)
	purchasing := m.token(lifecycle.Purchasing, "p-1")
	o := m.create("c-outage", "prepaid")
	m.pay(o.ID, "c-outage")
	m.waitStatus(o.ID, lifecycle.Screening)
	// Purchasing is told of the order in screening; once the order has
	// recorded that email as sent, it is quiet until the action below.
	m.eventually("purchasing told", func() bool {
		return slices.Contains(m.get(o.ID, m.token(lifecycle.Ops, "o-1")).Emails,
			workflows.SentEmail{Purpose: "wait_started#screening.1", Recipient: purchasingAddr})
	})
	m.settled(o.ID)

	db := cutOffDatabase(t, m.sys.Config.DatabaseURL)
	cut := time.Now()
	// The API needs no Postgres to apply an action; its read-model write fails.
	m.act(o.ID, "set_margin", purchasing, map[string]any{"margin_percent": 10}, http.StatusOK)
	var failing *workflowpb.PendingActivityInfo
	m.eventually("a read-model write fails and is retried", func() bool {
		failing = m.retriedActivity(o.ID)
		return failing != nil
	})
	if failing.GetActivityType().GetName() != "RecordTransition" || failing.GetLastFailure() == nil {
		t.Fatalf("retried activity %s, last failure %v; want the read-model write failing", failing.GetActivityType().GetName(), failing.GetLastFailure())
	}
	time.Sleep(time.Until(cut.Add(outage))) // an outage of a few seconds, whatever the machine's speed
	db.restore()

	m.act(o.ID, "release", purchasing, nil, http.StatusOK)
	row := m.settled(o.ID)
	if row.Status != string(lifecycle.Pending) || row.NeedsAttention {
		t.Fatalf("read model after the outage: %+v", row)
	}
	if got, want := m.timeline(o.ID), []string{"create:awaiting_payment", "payment_confirmed:screening", "set_margin:screening", "release:pending"}; !slices.Equal(got, want) {
		t.Fatalf("timeline %v, want %v", got, want)
	}
	m.expectEmails(o.ID, "payment_link→c-outage@customers.test", "order_acknowledged→c-outage@customers.test",
		"supplier_offer→alpha@suppliers.test", "supplier_offer→bravo@suppliers.test", "supplier_offer→charlie@suppliers.test")
	v := m.get(o.ID, m.token(lifecycle.Ops, "o-1"))
	if v.NeedsAttention || len(entriesOf(v, lifecycle.StepFailed)) != 0 || m.needsAttention(o.ID) || slices.Contains(m.attentionList().ids(), o.ID) {
		t.Fatalf("the order parked: needs attention %v, timeline %+v", v.NeedsAttention, v.Timeline)
	}
	// The history keeps the proof: the write that succeeded did so on a later attempt.
	if n := m.maxRecordAttempt(o.ID); n < 2 {
		t.Fatalf("read-model writes succeeded on attempt %d at most; the outage made none fail", n)
	}
}

// outage is how long cutOffDatabase's database stays away at least: well
// inside the activities' retry window (1 s doubling to 1 min, 12 attempts).
const outage = 5 * time.Second

// cutOff is a database that refuses connections until restored.
type cutOff struct {
	t     *testing.T
	name  string
	admin *pgx.Conn
	done  bool
}

// cutOffDatabase makes the database of dbURL refuse new connections and
// ends those it has, as an outage would; other databases of the server are
// untouched. It is restored at the end of the test at the latest.
func cutOffDatabase(t *testing.T, dbURL string) *cutOff {
	t.Helper()
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, pgtest.AdminURL())
	if err != nil {
		t.Fatal(err)
	}
	c := &cutOff{t: t, name: strings.TrimPrefix(u.Path, "/"), admin: admin}
	t.Cleanup(func() {
		c.restore()
		admin.Close(ctx)
	})
	c.exec(`ALTER DATABASE ` + pgx.Identifier{c.name}.Sanitize() + ` WITH ALLOW_CONNECTIONS false`)
	c.exec(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1`, c.name)
	return c
}

func (c *cutOff) restore() {
	if c.done {
		return
	}
	c.done = true
	c.exec(`ALTER DATABASE ` + pgx.Identifier{c.name}.Sanitize() + ` WITH ALLOW_CONNECTIONS true`)
}

func (c *cutOff) exec(sql string, args ...any) {
	c.t.Helper()
	if _, err := c.admin.Exec(context.Background(), sql, args...); err != nil {
		c.t.Fatalf("%s: %v", sql, err)
	}
}

// retriedActivity is an activity of the order that failed and waits for its
// next attempt, if any.
func (m *market) retriedActivity(id string) *workflowpb.PendingActivityInfo {
	m.t.Helper()
	desc, err := m.sys.Temporal.DescribeWorkflowExecution(context.Background(), id, "")
	if err != nil {
		m.t.Fatal(err)
	}
	for _, a := range desc.GetPendingActivities() {
		if a.GetAttempt() >= 2 {
			return a
		}
	}
	return nil
}

// maxRecordAttempt is the highest attempt at which a RecordTransition of the
// order started, from its history (Temporal writes the started event of a
// retried activity once, with its final attempt).
func (m *market) maxRecordAttempt(id string) int32 {
	m.t.Helper()
	scheduled := map[int64]string{} // event id → activity type
	var most int32
	it := m.sys.Temporal.GetWorkflowHistory(context.Background(), id, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		e, err := it.Next()
		if err != nil {
			m.t.Fatal(err)
		}
		if a := e.GetActivityTaskScheduledEventAttributes(); a != nil {
			scheduled[e.GetEventId()] = a.GetActivityType().GetName()
		}
		if a := e.GetActivityTaskStartedEventAttributes(); a != nil && scheduled[a.GetScheduledEventId()] == "RecordTransition" {
			most = max(most, a.GetAttempt())
		}
	}
	return most
}

package e2e_test

// Orders whose workflow ended abnormally (issue 11, point 8): a terminated
// workflow settles nothing, so the attention list shows the order with its
// money state, and ops refund what the provider holds and close it.

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/orderflow/orderflow/internal/auth"
	"github.com/orderflow/orderflow/lifecycle"
)

// endedLine is an attention-list line of an ended order.
type endedLine struct {
	ID             string             `json:"id"`
	Flow           string             `json:"flow"`
	Status         lifecycle.Status   `json:"status"`
	Ended          string             `json:"ended"`
	EndedReason    string             `json:"ended_reason"`
	AllowedActions []lifecycle.Action `json:"allowed_actions"`
	Error          string             `json:"error"`
	Money          *endedMoney        `json:"money"`
}

type endedMoney struct {
	Currency string `json:"currency"`
	Held     string `json:"held"`
	Payments []struct {
		ID       string `json:"id"`
		Status   string `json:"status"`
		Paid     bool   `json:"paid"`
		Open     bool   `json:"open"`
		Amount   string `json:"amount"`
		Refunded string `json:"refunded"`
		Held     string `json:"held"`
	} `json:"payments"`
	Invoices []struct {
		ID     string `json:"id"`
		Number string `json:"number"`
		Kind   string `json:"kind"`
		Gross  string `json:"gross"`
	} `json:"invoices"`
}

// endedLineOf reads the attention list; ok is false when id is not on it.
func (m *market) endedLineOf(id string) (line endedLine, ok bool) {
	m.t.Helper()
	var l struct {
		Orders []endedLine `json:"orders"`
	}
	m.call("GET", "/v1/ops/attention", m.token(lifecycle.Ops, "o-1"), nil, http.StatusOK, &l)
	i := slices.IndexFunc(l.Orders, func(o endedLine) bool { return o.ID == id })
	if i < 0 {
		return endedLine{}, false
	}
	return l.Orders[i], true
}

// waitEnded waits until the attention list shows the order as ended
// (visibility lags behind Temporal).
func (m *market) waitEnded(id, ended string) endedLine {
	m.t.Helper()
	var line endedLine
	m.eventually(id+" listed as "+ended, func() bool {
		var ok bool
		line, ok = m.endedLineOf(id)
		return ok && line.Ended == ended
	})
	if line.Error != "" {
		m.t.Fatalf("%s listed with an error: %s", id, line.Error)
	}
	return line
}

func (m *market) terminate(id, reason string) {
	m.t.Helper()
	if err := m.sys.Temporal.TerminateWorkflow(context.Background(), id, "", reason); err != nil {
		m.t.Fatal(err)
	}
}

type refundAnswer struct {
	OrderID string `json:"order_id"`
	Ended   string `json:"ended"`
	Refunds []struct {
		ID        string `json:"id"`
		PaymentID string `json:"payment_id"`
		Amount    string `json:"amount"`
	} `json:"refunds"`
	Money endedMoney `json:"money"`
}

func TestTerminatedPaidOrderIsListedRefundedOnceAndClosed(t *testing.T) {
	m := newMarket(t, nil)
	ops := m.token(lifecycle.Ops, "o-1")
	o := m.create("c-1", "prepaid")
	m.pay(o.ID, "c-1")
	paid := m.waitStatus(o.ID, lifecycle.Screening).Marketplace.Payment.Amount.String()
	m.settled(o.ID)
	m.terminate(o.ID, "history too large (test)")

	line := m.waitEnded(o.ID, "terminated")
	if line.Flow != "marketplace" || line.Status != lifecycle.Screening || line.EndedReason != "history too large (test)" ||
		!slices.Equal(line.AllowedActions, []lifecycle.Action{"refund"}) {
		t.Fatalf("listed as %+v", line)
	}
	if mo := line.Money; mo == nil || mo.Held != paid || mo.Currency != "EUR" || len(mo.Payments) != 1 ||
		!mo.Payments[0].Paid || mo.Payments[0].Amount != paid || mo.Payments[0].Refunded != "0.00" || mo.Payments[0].Open {
		t.Fatalf("money %+v", line.Money)
	}

	// Ops only.
	for _, role := range []lifecycle.Role{lifecycle.Purchasing, lifecycle.Customer, lifecycle.Staff} {
		tok := m.token(role, "x-1")
		m.call("GET", "/v1/ops/attention", tok, nil, http.StatusForbidden, nil)
		m.call("POST", "/v1/ops/orders/"+o.ID+"/refund", tok, nil, http.StatusForbidden, nil)
		m.call("POST", "/v1/ops/orders/"+o.ID+"/close", tok, map[string]any{"reason": "done"}, http.StatusForbidden, nil)
	}
	m.refundsOf(o.ID, 0)

	// Not closed while the provider holds the customer's money.
	m.call("POST", "/v1/ops/orders/"+o.ID+"/close", ops, map[string]any{"reason": "customer informed"}, http.StatusConflict, nil)

	// Two ops refund at once: one refund, both told about it.
	var wg sync.WaitGroup
	answers := make([]refundAnswer, 2)
	codes := make([]int, 2)
	for i := range answers {
		wg.Go(func() {
			resp, body := m.sys.Do(t, "POST", "/v1/ops/orders/"+o.ID+"/refund", ops, []byte(`{"reason": "workflow terminated"}`))
			codes[i] = resp.StatusCode
			if err := json.Unmarshal(body, &answers[i]); err != nil {
				t.Errorf("refund answer %s: %v", body, err)
			}
		})
	}
	wg.Wait()
	if codes[0] != http.StatusOK || codes[1] != http.StatusOK {
		t.Fatalf("concurrent refunds = %v, want 200 twice", codes)
	}
	for _, a := range answers {
		if a.OrderID != o.ID || a.Ended != "terminated" || len(a.Refunds) != 1 || a.Refunds[0].ID != answers[0].Refunds[0].ID ||
			a.Refunds[0].Amount != paid || a.Money.Held != "0.00" {
			t.Fatalf("refund answers %+v", answers)
		}
	}
	m.refundsOf(o.ID, 1)
	var key string
	if err := m.sys.Pool.QueryRow(context.Background(), `SELECT idempotency_key FROM refunds WHERE order_id = $1`, o.ID).Scan(&key); err != nil || key != o.ID+"/refund" {
		t.Fatalf("refund key %q (%v), want the workflow's own %s/refund", key, err, o.ID)
	}
	// A repeat answers with the same refund and refunds nothing more.
	var again refundAnswer
	m.call("POST", "/v1/ops/orders/"+o.ID+"/refund", ops, nil, http.StatusOK, &again)
	if len(again.Refunds) != 1 || again.Refunds[0].ID != answers[0].Refunds[0].ID {
		t.Fatalf("repeated refund %+v", again)
	}
	m.refundsOf(o.ID, 1)

	line, _ = m.endedLineOf(o.ID)
	if mo := line.Money; mo == nil || mo.Held != "0.00" || mo.Payments[0].Refunded != paid || !slices.Equal(line.AllowedActions, []lifecycle.Action{"close"}) {
		t.Fatalf("after the refund: %+v money %+v", line, line.Money)
	}

	// Close: a reason is required; then the order leaves the list.
	m.call("POST", "/v1/ops/orders/"+o.ID+"/close", ops, nil, http.StatusUnprocessableEntity, nil)
	m.call("POST", "/v1/ops/orders/"+o.ID+"/close", ops, map[string]any{"reason": "  "}, http.StatusUnprocessableEntity, nil)
	var closed struct {
		OrderID  string         `json:"order_id"`
		Ended    string         `json:"ended"`
		Reason   string         `json:"reason"`
		ClosedBy auth.Principal `json:"closed_by"`
	}
	m.call("POST", "/v1/ops/orders/"+o.ID+"/close", ops, map[string]any{"reason": "refunded; customer informed"}, http.StatusOK, &closed)
	if closed.OrderID != o.ID || closed.Ended != "terminated" || closed.Reason != "refunded; customer informed" ||
		closed.ClosedBy != (auth.Principal{Role: lifecycle.Ops, Subject: "o-1"}) {
		t.Fatalf("close answer %+v", closed)
	}
	if _, listed := m.endedLineOf(o.ID); listed {
		t.Fatal("a closed order is still listed")
	}
	// Closing again answers with the first close.
	m.call("POST", "/v1/ops/orders/"+o.ID+"/close", m.token(lifecycle.Ops, "o-2"), map[string]any{"reason": "again"}, http.StatusOK, &closed)
	if closed.Reason != "refunded; customer informed" || closed.ClosedBy.Subject != "o-1" {
		t.Fatalf("second close %+v", closed)
	}
}

func TestRefundAndCloseRefuseAnOrderWhoseWorkflowRuns(t *testing.T) {
	m := newMarket(t, nil)
	ops := m.token(lifecycle.Ops, "o-1")
	o := m.create("c-2", "prepaid")
	m.pay(o.ID, "c-2")
	m.waitStatus(o.ID, lifecycle.Screening)

	resp, body := m.sys.Do(t, "POST", "/v1/ops/orders/"+o.ID+"/refund", ops, nil)
	if resp.StatusCode != http.StatusConflict {
		t.Fatalf("refund of a running order = %d %s, want 409", resp.StatusCode, body)
	}
	var p struct{ Detail string }
	_ = json.Unmarshal(body, &p)
	if want := "use the order's own actions"; !strings.Contains(p.Detail, want) {
		t.Fatalf("detail %q does not say %q", p.Detail, want)
	}
	m.call("POST", "/v1/ops/orders/"+o.ID+"/close", ops, map[string]any{"reason": "test"}, http.StatusConflict, nil)
	m.call("POST", "/v1/ops/orders/ord_01ARZ3NDEKTSV4RRFFQ69G5FAV/refund", ops, nil, http.StatusNotFound, nil)
	m.refundsOf(o.ID, 0)
	if _, listed := m.endedLineOf(o.ID); listed {
		t.Fatal("a running order that is not parked is listed")
	}
}

func TestClosingAnEndedUnpaidOrderCancelsItsPaymentLink(t *testing.T) {
	m := newMarket(t, nil)
	ops := m.token(lifecycle.Ops, "o-1")
	o := m.create("c-3", "prepaid")
	url := m.payLink(o.ID, "c-3")
	m.terminate(o.ID, "test")

	line := m.waitEnded(o.ID, "terminated")
	if mo := line.Money; mo == nil || mo.Held != "0.00" || len(mo.Payments) != 1 || !mo.Payments[0].Open || mo.Payments[0].Paid ||
		!slices.Equal(line.AllowedActions, []lifecycle.Action{"close"}) {
		t.Fatalf("listed as %+v money %+v", line, line.Money)
	}
	m.call("POST", "/v1/ops/orders/"+o.ID+"/refund", ops, nil, http.StatusConflict, nil) // nothing held
	m.call("POST", "/v1/ops/orders/"+o.ID+"/close", ops, map[string]any{"reason": "abandoned"}, http.StatusOK, nil)

	// The customer can no longer pay an order nobody would settle.
	resp, err := http.Post(url, "application/x-www-form-urlencoded", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode == http.StatusOK {
		t.Fatal("the link of a closed order took a payment")
	}
	var status string
	if err := m.sys.Pool.QueryRow(context.Background(), `SELECT status FROM payments WHERE order_id = $1`, o.ID).Scan(&status); err != nil || status != "cancelled" {
		t.Fatalf("payment status %q (%v), want cancelled", status, err)
	}
	if _, listed := m.endedLineOf(o.ID); listed {
		t.Fatal("a closed order is still listed")
	}
}

func TestTerminatedMemberOrderIsListedWithItsInvoices(t *testing.T) {
	m := newMarket(t, memberEnv)
	staff := m.token(lifecycle.Staff, "s-1")
	o := m.createMember("m-3", map[string]any{
		"submit": true, "skip_client_confirmation": true, "proof_reference": "framework contract FC-2026-3",
		"service_period": map[string]any{"start": day(-1), "end": day(60)},
		"schedule":       []map[string]any{{"date": day(0), "amount": "500.00"}, {"date": day(40), "amount": "500.00"}},
	})
	m.act(o.ID, "approve", staff, nil, http.StatusOK)
	m.eventually("invoice 1 issued", func() bool { return len(m.invoices(o.ID)) == 1 })
	m.settled(o.ID)
	m.terminate(o.ID, "test")

	line := m.waitEnded(o.ID, "terminated")
	if line.Flow != "member" || line.Status != lifecycle.Active || !slices.Equal(line.AllowedActions, []lifecycle.Action{"close"}) {
		t.Fatalf("listed as %+v", line)
	}
	if mo := line.Money; mo == nil || mo.Held != "0.00" || len(mo.Payments) != 0 || len(mo.Invoices) != 1 ||
		mo.Invoices[0].Kind != "invoice" || mo.Invoices[0].Gross != "605.00" {
		t.Fatalf("money %+v", line.Money)
	}
	m.call("POST", "/v1/ops/orders/"+o.ID+"/refund", m.token(lifecycle.Ops, "o-1"), nil, http.StatusConflict, nil)
	m.call("POST", "/v1/ops/orders/"+o.ID+"/close", m.token(lifecycle.Ops, "o-1"), map[string]any{"reason": "invoice handled by accounting"}, http.StatusOK, nil)
	if _, listed := m.endedLineOf(o.ID); listed {
		t.Fatal("a closed order is still listed")
	}
}

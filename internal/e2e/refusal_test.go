package e2e_test

// The refusal contract on the real system: an action that is not possible
// now is answered 409 before anything is said about its body, and every
// refusal names the order's status and what the caller may do now (an
// empty list when nothing), an ended order included, whose view says it is
// closed.

import (
	"encoding/json"
	"net/http"
	"slices"
	"testing"

	"github.com/orderflow/orderflow/lifecycle"
)

type refusal struct {
	Status         int       `json:"status"`
	StatusNow      string    `json:"status_now"`
	AllowedActions *[]string `json:"allowed_actions"`
	Errors         map[string]string
}

func (m *market) refused(id, action, token, body string, want int) refusal {
	m.t.Helper()
	resp, data := m.sys.Do(m.t, "POST", "/v1/orders/"+id+"/actions/"+action, token, []byte(body))
	var r refusal
	if err := json.Unmarshal(data, &r); err != nil || resp.StatusCode != want || r.Status != want {
		m.t.Fatalf("%s on %s = %d, want %d: %s", action, id, resp.StatusCode, want, data)
	}
	if want != http.StatusUnprocessableEntity && (r.AllowedActions == nil || r.StatusNow == "") {
		m.t.Fatalf("%s on %s: the refusal names no status or allowed actions: %s", action, id, data)
	}
	return r
}

func TestRefusalsSayTheStatusAndWhatIsAllowedNow(t *testing.T) {
	m := newMarket(t, nil)
	customer := m.token(lifecycle.Customer, "c-1")
	o := m.create("c-1", "prepaid")
	m.pay(o.ID, "c-1")
	m.waitStatus(o.ID, lifecycle.Screening)

	// The customer may not request a return before the order is completed:
	// that, not the malformed reason, is the answer; it may cancel.
	r := m.refused(o.ID, "request_return", customer, `{"reason": 5}`, http.StatusConflict)
	if r.StatusNow != "screening" || !slices.Equal(*r.AllowedActions, []string{"cancel"}) || r.Errors != nil {
		t.Errorf("refusal %+v, want screening, cancel allowed, no field errors", r)
	}
	// Purchasing may: its malformed body is what is wrong.
	purchasing := m.token(lifecycle.Purchasing, "p-1")
	m.refused(o.ID, "cancel", purchasing, `{"reason": 5}`, http.StatusUnprocessableEntity)

	m.act(o.ID, "cancel", purchasing, map[string]any{"reason": "out of stock everywhere"}, http.StatusOK)
	v := m.waitStatus(o.ID, lifecycle.Cancelled)
	m.eventually("the order's workflow ends", func() bool {
		desc, err := m.sys.Temporal.DescribeWorkflowExecution(t.Context(), o.ID, "")
		return err == nil && desc.GetWorkflowExecutionInfo().GetCloseTime() != nil
	})
	if v = m.get(o.ID, customer); !v.Closed || len(v.AllowedActions) != 0 {
		t.Errorf("the cancelled order's view: closed %v, allowed %v", v.Closed, v.AllowedActions)
	}
	r = m.refused(o.ID, "cancel", purchasing, `{"reason": "again"}`, http.StatusConflict)
	if r.StatusNow != "cancelled" || len(*r.AllowedActions) != 0 {
		t.Errorf("refusal on the ended order %+v, want cancelled and nothing allowed", r)
	}
}

package e2e_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/orderflow/orderflow/lifecycle"
)

// memberProblem sends body and wants a 422 naming field with a message
// containing want.
func (m *market) memberProblem(method, path, token string, body any, field, want string) {
	m.t.Helper()
	raw, _ := json.Marshal(body)
	resp, data := m.sys.Do(m.t, method, path, token, raw)
	var p struct {
		Errors map[string]string `json:"errors"`
	}
	_ = json.Unmarshal(data, &p)
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(p.Errors[field], want) {
		m.t.Errorf("%s %s = %d, want 422 with %s: %q: %.500s", method, path, resp.StatusCode, field, want, data)
	}
}

// Issue 12: the planned invoices total the order, at create and on edit.
func TestMemberScheduleTotalIsCheckedAtCreateAndEdit(t *testing.T) {
	m := newMarket(t, memberEnv)
	member := m.token(lifecycle.Member, "m-1")
	body := boundsMemberOrder(func(b map[string]any) { b["schedule"] = []map[string]any{{"date": day(30), "amount": "1210.00"}} })
	m.memberProblem("POST", "/v1/orders", member, body, "schedule",
		"the planned invoices total € 1,210.00 but the order totals € 1,000.00 (excl. VAT); make them equal")

	o := m.createMember("m-1", map[string]any{"schedule": []map[string]any{{"date": day(30), "amount": "600.00"}, {"date": day(45), "amount": "400.00"}}})
	edit := map[string]any{}
	for k, v := range body {
		if k != "flow" && k != "member_name" && k != "member_email" {
			edit[k] = v
		}
	}
	m.memberProblem("POST", "/v1/orders/"+o.ID+"/actions/edit", member, edit, "schedule", "make them equal")
	edit["schedule"] = []map[string]any{{"date": day(30), "amount": "1000.00"}}
	if v := m.act(o.ID, "edit", member, edit, http.StatusOK); len(v.Member.Schedule) != 1 {
		t.Errorf("the balanced edit did not apply: %+v", v.Member.Schedule)
	}
}

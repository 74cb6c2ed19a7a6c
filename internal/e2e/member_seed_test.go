package e2e_test

// Issue 12, member orders as the seed describes them: the member withdraws
// an order from client confirmation or a cancellation request, an offer
// date that has passed is refused and one too close is warned about, and a
// rejected order is duplicated back to Smart confirmation with new dates,
// also after its workflow has closed.

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/orderflow/orderflow/lifecycle"
	"github.com/orderflow/orderflow/workflows"
)

// answerWithWarnings is an order answer with its warnings.
type answerWithWarnings struct {
	workflows.OrderView
	Warnings []struct {
		Field   string `json:"field"`
		Message string `json:"message"`
	} `json:"warnings"`
}

func (a answerWithWarnings) warned(field, want string) bool {
	return slices.ContainsFunc(a.Warnings, func(w struct {
		Field   string `json:"field"`
		Message string `json:"message"`
	}) bool {
		return w.Field == field && strings.Contains(w.Message, want)
	})
}

// page fetches a client page (GET, or POST with an empty form).
func page(t *testing.T, method, link string) (int, string) {
	t.Helper()
	var resp *http.Response
	var err error
	if method == "POST" {
		resp, err = http.PostForm(link, url.Values{})
	} else {
		resp, err = http.Get(link)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

func TestMemberWithdrawsAnOrderFromClientConfirmation(t *testing.T) {
	m := newMarket(t, memberEnv)
	member, staff := m.token(lifecycle.Member, "m-1"), m.token(lifecycle.Staff, "s-1")
	o := m.createMember("m-1", map[string]any{"submit": true, "schedule": []map[string]any{{"date": day(20), "amount": "1000.00"}}})
	m.act(o.ID, "approve", staff, nil, http.StatusOK)
	link := m.link(o.ID)

	// Nobody but the member withdraws it: not another member, not staff.
	m.act(o.ID, "withdraw", m.token(lifecycle.Member, "m-9"), nil, http.StatusNotFound)
	m.act(o.ID, "withdraw", staff, nil, http.StatusForbidden)
	v := m.act(o.ID, "withdraw", member, nil, http.StatusOK)
	if v.Status != lifecycle.Draft || v.Member.ConfirmationLink != nil {
		t.Fatalf("after withdraw: %s, link %+v", v.Status, v.Member.ConfirmationLink)
	}

	// The client's link no longer works, on the page or to confirm.
	m.eventually("the client is told", func() bool {
		return slices.Contains(m.emails(o.ID), "offer_withdrawn#1→carl@client.test")
	})
	if code, body := page(t, "GET", link); code != http.StatusGone || !strings.Contains(body, "no longer valid") {
		t.Fatalf("the withdrawn link's page = %d: %.300s", code, body)
	}
	if code, _ := page(t, "POST", link+"/confirm"); code != http.StatusGone {
		t.Fatalf("confirm through the withdrawn link = %d, want 410", code)
	}
	if v := m.get(o.ID, member); v.Status != lifecycle.Draft {
		t.Fatalf("the revoked link moved the order to %s", v.Status)
	}

	// Submitted and approved again, the client gets a new link that works.
	m.act(o.ID, "submit", member, nil, http.StatusOK)
	m.act(o.ID, "approve", staff, nil, http.StatusOK)
	var second string
	m.eventually("a second link", func() bool {
		second = m.emailedLink(o.ID, "confirmation_request#2", "/c/")
		return second != link
	})
	if code, _ := page(t, "POST", second+"/confirm"); code != http.StatusOK {
		t.Fatalf("confirm through the new link = %d", code)
	}
	m.waitStatus(o.ID, lifecycle.Active)
	if code, _ := page(t, "GET", link); code != http.StatusGone {
		t.Fatalf("the first link came back: %d", code)
	}
}

func TestMemberWithdrawsACancellationRequest(t *testing.T) {
	m := newMarket(t, memberEnv)
	member, staff := m.token(lifecycle.Member, "m-2"), m.token(lifecycle.Staff, "s-1")
	o := m.createMember("m-2", map[string]any{
		"submit": true, "skip_client_confirmation": true, "proof_reference": "framework contract FC-2026-3",
		"service_period": map[string]any{"start": day(-1), "end": day(60)},
		"schedule":       []map[string]any{{"date": day(40), "amount": "1000.00"}},
	})
	m.act(o.ID, "approve", staff, nil, http.StatusOK)
	// Not before there is a request to withdraw.
	m.act(o.ID, "withdraw_cancellation", member, nil, http.StatusConflict)
	m.act(o.ID, "request_cancellation", member, map[string]any{"reason": "The client may stop the project next month."}, http.StatusOK)

	m.act(o.ID, "withdraw_cancellation", staff, nil, http.StatusForbidden)                           // staff deny, they do not withdraw
	m.act(o.ID, "withdraw_cancellation", m.token(lifecycle.Member, "m-9"), nil, http.StatusNotFound) // not another member's
	v := m.act(o.ID, "withdraw_cancellation", member, nil, http.StatusOK)
	if v.Status != lifecycle.Active || slices.Contains(v.AllowedActions, lifecycle.WithdrawCancellation) {
		t.Fatalf("after withdraw_cancellation: %s, allowed %v", v.Status, v.AllowedActions)
	}
	// Staff have nothing left to decide.
	m.act(o.ID, "approve_cancellation", staff, nil, http.StatusConflict)
	want := []string{"create:draft", "submit:smart_confirmation", "approve:active", "request_cancellation:cancellation_requested", "withdraw_cancellation:active"}
	if got := m.timelineSettled(o.ID); !slices.Equal(got, want) {
		t.Fatalf("timeline:\n got %v\nwant %v", got, want)
	}
}

func TestMemberOfferDateInThePastIsRefusedAndTooCloseIsWarned(t *testing.T) {
	m := newMarket(t, memberEnv)
	member := m.token(lifecycle.Member, "m-3")
	schedule := []map[string]any{{"date": day(20), "amount": "1000.00"}}

	// Submitted at once with a passed offer: 422 naming the field.
	body := boundsMemberOrder(func(b map[string]any) {
		b["submit"], b["offer_valid_until"], b["schedule"] = true, day(-1), schedule
	})
	m.memberProblem("POST", "/v1/orders", member, body, "offer_valid_until", "has passed")

	// A draft may keep it for now (warned), but not be submitted with it.
	var draft answerWithWarnings
	m.call("POST", "/v1/orders", member, boundsMemberOrder(func(b map[string]any) {
		b["offer_valid_until"], b["schedule"] = day(-1), schedule
	}), http.StatusCreated, &draft)
	if draft.Status != lifecycle.Draft || !draft.warned("offer_valid_until", "has passed") {
		t.Fatalf("draft with a passed offer: %s, warnings %+v", draft.Status, draft.Warnings)
	}
	m.memberProblem("POST", "/v1/orders/"+draft.ID+"/actions/submit", member, nil, "offer_valid_until", "has passed")
	if v := m.get(draft.ID, member); v.Status != lifecycle.Draft {
		t.Fatalf("the refused submit moved the order to %s", v.Status)
	}

	// Two days ahead: accepted, with a warning; a week ahead: no warning.
	edit := map[string]any{}
	for k, v := range body {
		if k != "flow" && k != "member_name" && k != "member_email" && k != "submit" {
			edit[k] = v
		}
	}
	edit["offer_valid_until"] = day(2)
	m.act(draft.ID, "edit", member, edit, http.StatusOK)
	var submitted answerWithWarnings
	m.call("POST", "/v1/orders/"+draft.ID+"/actions/submit", member, nil, http.StatusOK, &submitted)
	if submitted.Status != lifecycle.SmartConfirmation || !submitted.warned("offer_valid_until", "little time to confirm") {
		t.Fatalf("submit with an offer 2 days ahead: %s, warnings %+v", submitted.Status, submitted.Warnings)
	}
	var soon answerWithWarnings
	m.call("POST", "/v1/orders", member, boundsMemberOrder(func(b map[string]any) {
		b["submit"], b["offer_valid_until"], b["schedule"] = true, day(1), schedule
	}), http.StatusCreated, &soon)
	if soon.Status != lifecycle.SmartConfirmation || !soon.warned("offer_valid_until", "1 day") {
		t.Fatalf("create with an offer 1 day ahead: %s, warnings %+v", soon.Status, soon.Warnings)
	}
	resp, raw := m.sys.Do(t, "POST", "/v1/orders", member, mustJSON(t, boundsMemberOrder(func(b map[string]any) {
		b["submit"], b["offer_valid_until"], b["schedule"] = true, day(7), schedule
	})))
	if resp.StatusCode != http.StatusCreated || strings.Contains(string(raw), `"warnings"`) {
		t.Fatalf("create with an offer a week ahead = %d: %.300s", resp.StatusCode, raw)
	}
}

// A rejected order is duplicated back to Smart confirmation, taking new
// invoice dates when the old ones have passed; after its workflow closed
// (the duplicate window, 5 s here) it is duplicated from the read model.
// waitCopy waits until a duplicate runs and has reached Smart confirmation.
func (m *market) waitCopy(id, token string) workflows.OrderView {
	m.t.Helper()
	var v workflows.OrderView
	m.eventually(id+" runs in smart_confirmation", func() bool {
		resp, raw := m.sys.Do(m.t, "GET", "/v1/orders/"+id, token, nil)
		return resp.StatusCode == http.StatusOK && json.Unmarshal(raw, &v) == nil && v.Status == lifecycle.SmartConfirmation
	})
	return v
}

func TestMemberDuplicateGoesToSmartConfirmationWithNewDates(t *testing.T) {
	m := newMarket(t, withEnv(memberEnv, "ORDERFLOW_DUPLICATE_WINDOW", "5s"))
	member, staff := m.token(lifecycle.Member, "m-4"), m.token(lifecycle.Staff, "s-1")
	o := m.createMember("m-4", map[string]any{"submit": true, "schedule": []map[string]any{{"date": day(-2), "amount": "1000.00"}}})
	m.act(o.ID, "reject", staff, map[string]any{"reason": "the client's VAT number is not valid"}, http.StatusOK)

	// Open: the invoice date has passed, so the copy needs a new one.
	m.memberProblem("POST", "/v1/orders/"+o.ID+"/actions/duplicate", member, map[string]any{}, "schedule_dates", "has passed")
	m.memberProblem("POST", "/v1/orders/"+o.ID+"/actions/duplicate", member, map[string]any{"schedule_dates": []string{day(-1)}}, "schedule_dates[0]", "has passed")
	m.act(o.ID, "duplicate", staff, map[string]any{"schedule_dates": []string{day(30)}}, http.StatusForbidden)
	var first answerWithWarnings
	m.call("POST", "/v1/orders/"+o.ID+"/actions/duplicate", member, map[string]any{"schedule_dates": []string{day(30)}, "offer_valid_until": day(2)}, http.StatusOK, &first)
	if len(first.Member.Duplicates) != 1 || !first.warned("offer_valid_until", "little time") {
		t.Fatalf("duplicate: %v, warnings %+v", first.Member.Duplicates, first.Warnings)
	}
	copy1 := m.waitCopy(first.Member.Duplicates[0], member)
	if copy1.Member.DuplicatedFrom != o.ID || copy1.Member.Schedule[0].Date != day(30) || copy1.Member.OfferValidUntil != day(2) {
		t.Fatalf("the copy: from %q, schedule %+v, offer %s", copy1.Member.DuplicatedFrom, copy1.Member.Schedule, copy1.Member.OfferValidUntil)
	}

	// Closed: the duplicate window ended and the workflow with it.
	m.eventually("the rejected order closes", func() bool { return m.get(o.ID, member).Closed })
	m.settled(o.ID)
	// A month later, say: the offer has passed too (as the read model says).
	if _, err := m.sys.Pool.Exec(context.Background(),
		`UPDATE orders SET view = jsonb_set(view, '{member,offer_valid_until}', to_jsonb($2::text)) WHERE id = $1`, o.ID, day(-3)); err != nil {
		t.Fatal(err)
	}
	dup := "/v1/orders/" + o.ID + "/actions/duplicate"
	m.memberProblem("POST", dup, member, map[string]any{"schedule_dates": []string{day(30)}}, "offer_valid_until", "give a new offer_valid_until")
	m.act(o.ID, "duplicate", m.token(lifecycle.Member, "m-9"), map[string]any{"schedule_dates": []string{day(30)}, "offer_valid_until": day(14)}, http.StatusNotFound)
	m.act(o.ID, "duplicate", staff, map[string]any{"schedule_dates": []string{day(30)}, "offer_valid_until": day(14)}, http.StatusForbidden)
	body := map[string]any{"schedule_dates": []string{day(31)}, "offer_valid_until": day(14), "request_id": "dup-after-close"}
	resp, raw := m.sys.Do(t, "POST", dup, member, mustJSON(t, body))
	var second workflows.OrderView
	if resp.StatusCode != http.StatusOK || json.Unmarshal(raw, &second) != nil || len(second.Member.Duplicates) != 2 {
		t.Fatalf("duplicate after close = %d: %.500s", resp.StatusCode, raw)
	}
	copyID := second.Member.Duplicates[1]
	if resp.Header.Get("Location") != "/v1/orders/"+copyID || copyID == first.Member.Duplicates[0] {
		t.Fatalf("Location %q, duplicates %v", resp.Header.Get("Location"), second.Member.Duplicates)
	}
	// A retry of the same request makes no third copy.
	var again workflows.OrderView
	m.call("POST", dup, member, body, http.StatusOK, &again)
	if len(again.Member.Duplicates) != 2 {
		t.Fatalf("the retried duplicate made another copy: %v", again.Member.Duplicates)
	}
	copy2 := m.waitCopy(copyID, member)
	if copy2.Member.DuplicatedFrom != o.ID || copy2.Owner != "m-4" || copy2.Member.OfferValidUntil != day(14) ||
		copy2.Member.Schedule[0].Date != day(31) || copy2.Member.Totals.Gross != copy1.Member.Totals.Gross || copy2.Title != o.Title {
		t.Fatalf("the copy made after close: %+v", copy2.Member)
	}
	m.eventually("the copy's member is emailed", func() bool {
		return slices.ContainsFunc(m.emails(copyID), func(e string) bool {
			return strings.HasPrefix(e, "order_submitted") && strings.HasSuffix(e, "→m-4@members.test")
		})
	})
	// Linked both ways: the closed order lists both copies.
	if v := m.get(o.ID, member); len(v.Member.Duplicates) != 2 || v.Member.Duplicates[1] != copyID {
		t.Fatalf("the closed order lists %v", v.Member.Duplicates)
	}
}

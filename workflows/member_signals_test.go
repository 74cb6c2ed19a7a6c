package workflows

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/orderflow/orderflow/lifecycle"
)

// Member actions sent as signals by staff (the Web UI or the CLI) apply
// like updates; a signal that is not allowed, or from a role that acts
// through the API only, is written on the timeline as refused, with the
// reason, and never fails the order. An update sent twice under one id
// applies once.

func TestMemberSignalsApplyLikeUpdates(t *testing.T) {
	r := newRun(t)
	r.must(minute, lifecycle.Submit, memberM, nil)
	r.signalAt(hour, lifecycle.Approve, ActionRequest{Actor: staffS, RequestID: "sig-approve"})
	r.must(2*hour, lifecycle.Confirm, clientLink("link_1"), nil)
	r.must(3*hour, lifecycle.RequestCancellation, memberM, CancellationPayload{Reason: "the client cancelled the whole project"})
	r.stopAt(4 * hour)
	r.executeMember(memberWith(func(in *MemberInput) { in.Submit = false }))

	r.requireStopped()
	v := r.query(staffS) // staff read every request id
	if got := statuses(v); !slices.Equal(got, []lifecycle.Status{lifecycle.Draft, lifecycle.SmartConfirmation, lifecycle.ClientConfirmation, lifecycle.Active, lifecycle.CancellationRequested}) {
		t.Fatalf("statuses %v", got)
	}
	if es := entriesWithRequest(v, "sig-approve"); len(es) != 1 || es[0].Outcome != "applied" || es[0].Via != "signal" {
		t.Errorf("the approval on the timeline: %+v, want applied once, via signal", es)
	}
	if !v.Member.PaymentGuarantee || v.Member.ConfirmationLink == nil {
		t.Errorf("confirmed by signal: guarantee %v link %+v", v.Member.PaymentGuarantee, v.Member.ConfirmationLink)
	}
	r.requireMemberEmails(v, append([]string{submitted(v, 1)}, confirmedMails...)...)
}

func TestMemberInvalidSignalsAreRecordedAndRefused(t *testing.T) {
	cases := []struct {
		action lifecycle.Action
		req    ActionRequest
		reason string // part of the recorded reason
	}{
		{lifecycle.Approve, ActionRequest{Actor: memberM}, "a member acts through the API"},
		// The client's answer comes through its emailed link only.
		{lifecycle.Confirm, ActionRequest{Actor: clientLink("link_1")}, "a client acts through the API"},
		{lifecycle.Withdraw, ActionRequest{Actor: otherMember}, "a member acts through the API"},
		{lifecycle.Edit, ActionRequest{Actor: memberM, Payload: rawPayload(EditPayload{memberInput().Content})}, "a member acts through the API"},
		{lifecycle.Reject, ActionRequest{Actor: staffS}, "is not possible while the order is client_confirmation"},
		{lifecycle.ResendConfirmation, ActionRequest{Actor: systemUser}, "a system acts through the API"},
		{lifecycle.ResendConfirmation, ActionRequest{Actor: staffS, Payload: []byte(`{"to_draft": "yes"}`)}, `unknown field "to_draft"`},
	}
	activeCases := []struct {
		action lifecycle.Action
		req    ActionRequest
		reason string
	}{
		{lifecycle.RequestCancellation, ActionRequest{Actor: memberM, Payload: rawPayload(CancellationPayload{Reason: "the client cancelled the whole project"})}, "a member acts through the API"},
		{lifecycle.ResolveChanges, ActionRequest{Actor: staffS, Payload: rawPayload(ResolvePayload{Entry: 1})}, "there is no open change request"},
		{lifecycle.ApproveCancellation, ActionRequest{Actor: staffS}, "approve_cancellation is not possible while the order is active"},
	}
	r := newRun(t)
	r.must(hour, lifecycle.Approve, staffS, nil)
	for i, tc := range cases {
		tc.req.RequestID = "bad-" + string(rune('a'+i))
		r.signalAt(2*hour+time.Duration(i)*minute, tc.action, tc.req)
	}
	r.must(3*hour, lifecycle.Confirm, clientLink("link_1"), nil)
	for i, tc := range activeCases {
		tc.req.RequestID = "bad-active-" + string(rune('a'+i))
		r.signalAt(4*hour+time.Duration(i)*minute, tc.action, tc.req)
	}
	// Not even an action request: refused too.
	r.env.RegisterDelayedCallback(func() { r.env.SignalWorkflow(string(lifecycle.Approve), "approve it!") }, 5*hour)
	r.stopAt(6 * hour)
	r.executeMember(memberInput())

	r.requireStopped()
	v := r.query(staffS) // staff read every request id
	if got := statuses(v); !slices.Equal(got, []lifecycle.Status{lifecycle.Draft, lifecycle.SmartConfirmation, lifecycle.ClientConfirmation, lifecycle.Active}) {
		t.Errorf("statuses %v: refused signals moved the order", got)
	}
	check := func(id string, action lifecycle.Action, status lifecycle.Status, reason string) {
		t.Helper()
		es := entriesWithRequest(v, id)
		if len(es) != 1 {
			t.Errorf("%s (%s) on the timeline %d times", id, action, len(es))
			return
		}
		e := es[0]
		if e.Outcome != "refused" || e.Action != action || e.From != status || e.To != status || e.Via != "signal" || !strings.Contains(e.Reason, reason) {
			t.Errorf("%s entry %+v, want %s refused in %s because %q", id, e, action, status, reason)
		}
	}
	for i, tc := range cases {
		check("bad-"+string(rune('a'+i)), tc.action, lifecycle.ClientConfirmation, tc.reason)
	}
	for i, tc := range activeCases {
		check("bad-active-"+string(rune('a'+i)), tc.action, lifecycle.Active, tc.reason)
	}
	refused := 0
	for _, e := range v.Timeline {
		if e.Outcome == "refused" {
			refused++
		}
	}
	if want := len(cases) + len(activeCases) + 1; refused != want {
		t.Errorf("%d refused entries, want %d", refused, want)
	}
	// The read model was told too.
	recorded := 0
	r.fakes.mu.Lock()
	for _, tr := range r.fakes.transitions {
		if tr.Entry.Outcome == "refused" && tr.Order.ID == v.ID {
			recorded++
		}
	}
	r.fakes.mu.Unlock()
	if want := len(cases) + len(activeCases) + 1; recorded != want {
		t.Errorf("%d refusals recorded in the read model, want %d", recorded, want)
	}
}

// The same update id twice (a client retrying) applies once and answers
// the first result both times, even where the action would now be refused.
func TestMemberSameUpdateIDAppliesOnce(t *testing.T) {
	r := newRun(t)
	var answers []OrderView
	send := func(offset time.Duration, a lifecycle.Action, id string) {
		answered := r.requireAnswer(offset, a)
		r.env.RegisterDelayedCallback(func() {
			req := ActionRequest{Actor: memberM, RequestID: id}
			if a == lifecycle.Approve {
				req.Actor = staffS
			}
			r.env.UpdateWorkflow(string(a), id, r.answered(req.Actor, func(v OrderView, err error) {
				*answered = true
				if err != nil {
					t.Errorf("%s at +%s: %v", a, offset, err)
				}
				answers = append(answers, v)
			}), req)
		}, offset)
	}
	send(hour, lifecycle.Approve, "approve-once")
	send(2*hour, lifecycle.Approve, "approve-once") // now in client confirmation: would be refused
	send(3*hour, lifecycle.ResendConfirmation, "resend-once")
	send(4*hour, lifecycle.ResendConfirmation, "resend-once")
	r.stopAt(5 * hour)
	r.executeMember(memberInput())

	r.requireStopped()
	if len(answers) != 4 {
		t.Fatalf("%d answers, want 4", len(answers))
	}
	if answers[0].Status != lifecycle.ClientConfirmation || answers[1].Status != lifecycle.ClientConfirmation || len(answers[1].Timeline) != len(answers[0].Timeline) {
		t.Errorf("the repeated approve answered %s with %d entries, the first %s with %d",
			answers[1].Status, len(answers[1].Timeline), answers[0].Status, len(answers[0].Timeline))
	}
	v := r.query(staffS) // staff read every request id
	for _, id := range []string{"approve-once", "resend-once"} {
		if n := len(entriesWithRequest(v, id)); n != 1 {
			t.Errorf("%s applied %d times", id, n)
		}
	}
	if l := v.Member.ConfirmationLink; l == nil || l.Round != 2 {
		t.Errorf("link %+v, want the second round only", l)
	}
	r.requireMemberEmails(v, submitted(v, 1), "order_approved→"+mia, "confirmation_request#1→"+carl, "confirmation_request#2→"+carl)
}

package lifecycle

import (
	"slices"
	"testing"
)

// memberSpec is written by hand from lifecycles.md ("Member orders": the
// table, the timers and the decisions), on purpose without reading
// MemberFlow, so that the two can disagree. Action names are string
// literals for the same reason. The timers are the system's actions; where
// the spec names no next status for withdraw, the brief's path (back to
// draft, to edit and submit again) is the decision.
var memberSpec = map[Status]specActions{
	"draft": {
		"edit":    {by("member/owner"), stays()},
		"submit":  {by("member/owner"), leadsTo("smart_confirmation")},
		"discard": {by("member/owner"), leadsTo("cancelled")},
	},
	"smart_confirmation": {
		"approve":       {by("staff"), leadsTo("client_confirmation", "active")},
		"reject":        {by("staff"), leadsTo("rejected")},
		"withdraw":      {by("member/owner"), leadsTo("draft")},
		"offer_expired": {by("system"), leadsTo("rejected")},
		"sla_elapsed":   {by("system"), stays()},
	},
	"client_confirmation": {
		"confirm":             {by("client/link"), leadsTo("active")},
		"decline":             {by("client/link"), leadsTo("rejected")},
		"resend_confirmation": {by("member/owner", "staff"), stays()},
		"withdraw":            {by("member/owner"), leadsTo("draft")}, // issue 12
		"offer_expired":       {by("system"), leadsTo("rejected")},
		"client_reminded":     {by("system"), stays()},
	},
	"active": {
		"request_changes":      {by("member/owner"), stays()},
		"resolve_changes":      {by("staff"), stays()},
		"request_cancellation": {by("member/owner"), leadsTo("cancellation_requested")},
		"invoice_drafted":      {by("system"), stays()},
		"invoice_issued":       {by("system"), stays()},
		"service_completed":    {by("system"), leadsTo("completed")},
		// Issue 12: the waits for a person (waits.go).
		"owner_told":      {by("system"), stays()},
		"owner_reminded":  {by("system"), stays()},
		"staff_escalated": {by("system"), stays()},
	},
	"cancellation_requested": {
		"approve_cancellation": {by("staff"), leadsTo("cancelled")},
		"deny_cancellation":    {by("staff"), leadsTo("active")},
		// Issue 12: the member takes the request back.
		"withdraw_cancellation": {by("member/owner"), leadsTo("active")},
		// Issue 12: the waits for a person (waits.go).
		"owner_told":      {by("system"), stays()},
		"owner_reminded":  {by("system"), stays()},
		"staff_escalated": {by("system"), stays()},
	},
	"rejected": {
		"duplicate":              {by("member/owner"), stays()},
		"duplicate_window_ended": {by("system"), stays()},
	},
	"completed": {},
	"cancelled": {},
}

// memberGuards: the actions of active that need more than the status
// (a draft to review; an open change request).
var memberGuards = map[string]string{"request_changes": "draft_to_review", "resolve_changes": "change_open",
	// Issue 12: only orders started after change business-rules.
	"client_confirmation withdraw": "withdraw_from_client"}

// memberParties: every role, and for members and clients every relation
// they can have to a member order (or none).
func memberParties() []specParty {
	var out []specParty
	for _, role := range Roles {
		p := func(rel string, rs ...Relation) specParty {
			name := string(role)
			if rel != "" {
				name += "/" + rel
			}
			return specParty{name, Party{Role: role, Relations: rs}}
		}
		switch role {
		case Member:
			out = append(out, p("owner", Owner), p("other"))
		case Client:
			out = append(out, p("link", LinkHolder), p("other"))
		default:
			out = append(out, p(""))
		}
	}
	return out
}

func TestMemberTableMatchesSpec(t *testing.T) {
	// Actions outside the flow: the marketplace's, the ops actions, nonsense.
	actions := append(specActionNames(memberSpec), "accept", "release", "cancel", "payment_confirmed", "retry", "skip", "fly", "")
	checked, allowed := 0, 0
	for _, s := range MemberFlow.Statuses {
		for _, a := range actions {
			for _, sp := range memberParties() {
				want := expectedRefusal(memberSpec, s, a, sp)
				got := ""
				if r := MemberFlow.Check(s, Action(a), sp.party); r != nil {
					got = r.Code
					if r.Status != s || r.Action != Action(a) || r.Reason == "" {
						t.Errorf("%s %s by %s: refusal lacks context: %+v", s, a, sp.name, r)
					}
					if !slices.Equal(r.Allowed, MemberFlow.Allowed(s, sp.party)) {
						t.Errorf("%s %s by %s: refusal lists %v, Allowed says %v", s, a, sp.name, r.Allowed, MemberFlow.Allowed(s, sp.party))
					}
				} else {
					allowed++
				}
				if got != want {
					t.Errorf("%s: %q by %s = %q, want %q", s, a, sp.name, got, want)
				}
				checked++
			}
		}
	}
	if want := len(memberSpec) * len(actions) * len(memberParties()); checked != want || checked == 0 {
		t.Fatalf("checked %d triples, want %d", checked, want)
	}
	// Each cell of the spec lets exactly its parties through.
	wantAllowed := 0
	for _, cells := range memberSpec {
		for _, c := range cells {
			wantAllowed += len(c.who)
		}
	}
	if allowed != wantAllowed {
		t.Errorf("%d (status, action, party) allowed, the spec allows %d", allowed, wantAllowed)
	}
}

func TestMemberTableStatusesAndTransitions(t *testing.T) {
	tbl := MemberFlow
	if tbl.Name != "member" {
		t.Errorf("flow %q", tbl.Name)
	}
	// A new order is a draft, or submitted at once.
	requireTableFollowsSpec(t, tbl, memberSpec, []Status{"cancelled", "completed"}, []Status{"draft", "smart_confirmation"})
	for _, s := range tbl.Statuses {
		if MemberFlow.Labels[s] == "" {
			t.Errorf("status %s has no label", s)
		}
		for a, r := range tbl.Rules[s] {
			want := memberGuards[string(a)]
			if g, ok := memberGuards[string(s)+" "+string(a)]; ok {
				want = g
			}
			if r.Guard != want {
				t.Errorf("%s %s has guard %q, want %q", s, a, r.Guard, want)
			}
		}
	}
	// Every action a timer applies is kept from updates and signals.
	for s, cells := range memberSpec {
		for a, c := range cells {
			if r, _ := MemberFlow.Rule(s, Action(a)); slices.Equal(c.who, []string{"system"}) && r.Trigger != ByTimer {
				t.Errorf("%s %s is a timer's action but its rule is triggered %q", s, a, r.Trigger)
			}
		}
	}
}

// Allowed is what the API shows as allowed_actions: exactly what Check lets
// through, sorted.
func TestMemberAllowedIsSortedAndAgreesWithCheck(t *testing.T) {
	requireAllowedAgreesWithCheck(t, MemberFlow, memberParties())
	owner := Party{Role: Member, Relations: []Relation{Owner}}
	if got := MemberFlow.Allowed(Draft, owner); !slices.Equal(got, []Action{"discard", "edit", "submit"}) {
		t.Errorf("the owner may %v in draft, want [discard edit submit]", got)
	}
	if got := MemberFlow.Allowed(ClientConfirmation, owner); !slices.Equal(got, []Action{"resend_confirmation", "withdraw"}) {
		t.Errorf("the owner may %v in client confirmation, want [resend_confirmation withdraw]", got)
	}
}

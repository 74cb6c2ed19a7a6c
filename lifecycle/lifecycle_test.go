package lifecycle

import (
	"slices"
	"strings"
	"testing"
)

// specCell is one cell of the marketplace lifecycle as lifecycles.md states
// it: who may act ("role" or "role/relation") and where it leads.
type specCell struct {
	who []string
	to  []Status
}

func by(w ...string) []string      { return w }
func leadsTo(s ...Status) []Status { return s }
func stays() []Status              { return nil }

type specActions map[string]specCell

// marketplaceSpec is written by hand from lifecycles.md ("Marketplace
// orders": the table, the timers and the decisions), on purpose without
// reading MarketplaceFlow, so that the two can disagree. Action names are
// string literals for the same reason. The timers are the system's actions.
var marketplaceSpec = map[Status]specActions{
	"awaiting_payment": {
		"payment_confirmed":      {by("system"), leadsTo("screening")},
		"cancel":                 {by("customer/owner", "purchasing"), leadsTo("cancelled")},
		"payment_window_elapsed": {by("system"), leadsTo("expired")},
	},
	"awaiting_credit": {
		"approve_credit":         {by("finance"), leadsTo("screening")},
		"decline_credit":         {by("finance"), leadsTo("awaiting_payment")},
		"cancel":                 {by("customer/owner", "purchasing"), leadsTo("cancelled")},
		"payment_window_elapsed": {by("system"), leadsTo("expired")},
		// Issue 12: the waits for a person (waits.go).
		"owner_told":      {by("system"), stays()},
		"owner_reminded":  {by("system"), stays()},
		"staff_escalated": {by("system"), stays()},
	},
	"screening": {
		"set_margin": {by("purchasing"), stays()},
		"release":    {by("purchasing"), leadsTo("pending")},
		// Issue 12 (change business-rules): a paid customer may cancel in
		// screening, refunded (guard customer_may_cancel keeps older orders
		// to purchasing only).
		"cancel": {by("customer/owner", "purchasing"), leadsTo("cancelled")},
		// Issue 12: the waits for a person (waits.go).
		"owner_told":      {by("system"), stays()},
		"owner_reminded":  {by("system"), stays()},
		"staff_escalated": {by("system"), stays()},
	},
	"pending": {
		"accept":                      {by("supplier/offered"), leadsTo("in_progress")},
		"decline":                     {by("supplier/offered"), stays()},
		"cancel":                      {by("customer/owner", "purchasing"), leadsTo("cancelled")},
		"pending_window_elapsed":      {by("system"), leadsTo("pending_expiring")},
		"top_suppliers_declined":      {by("system"), leadsTo("pending_expiring")},
		"fulfilment_deadline_elapsed": {by("system"), leadsTo("expired")},
	},
	"pending_expiring": {
		"accept":                      {by("supplier/offered"), leadsTo("in_progress")},
		"decline":                     {by("supplier/offered"), stays()},
		"cancel":                      {by("customer/owner", "purchasing"), leadsTo("cancelled")},
		"fulfilment_deadline_elapsed": {by("system"), leadsTo("expired")},
	},
	"in_progress": {
		"mark_delivered": {by("supplier/accepted"), stays()},
		"upload_invoice": {by("supplier/accepted"), stays()},
		// When both are recorded, the order completes by itself.
		"delivered_and_invoiced": {by("system"), leadsTo("completed")},
		"cannot_fulfil":          {by("supplier/accepted"), leadsTo("cancelled")},
		"cancel":                 {by("customer/owner", "purchasing"), leadsTo("cancelled")},
		// Issue 12: the waits for a person (waits.go).
		"owner_reminded":  {by("system"), stays()},
		"staff_escalated": {by("system"), stays()},
	},
	"completed": {
		"request_return":        {by("customer/owner"), stays()},
		"approve_return":        {by("purchasing"), stays()},
		"reject_return":         {by("purchasing"), stays()},
		"confirm_resalable":     {by("supplier/accepted"), leadsTo("returned")},
		"reject_resalable":      {by("supplier/accepted"), stays()},
		"return_window_elapsed": {by("system"), stays()},
		// Issue 12: the waits for a person (waits.go).
		"owner_told":      {by("system"), stays()},
		"owner_reminded":  {by("system"), stays()},
		"staff_escalated": {by("system"), stays()},
	},
	"returned":  {},
	"expired":   {},
	"cancelled": {},
}

// specParty is one way of holding a role towards an order.
type specParty struct {
	name  string // "role" or "role/relation", as in marketplaceSpec
	party Party
}

// specParties: every role, and for customers and suppliers every relation
// they can have to a marketplace order (or none).
func specParties() []specParty {
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
		case Customer:
			out = append(out, p("owner", Owner), p("other"))
		case Supplier:
			out = append(out, p("offered", OfferedSupplier), p("accepted", AcceptedSupplier), p("neither"))
		default:
			out = append(out, p(""))
		}
	}
	return out
}

func specActionNames(spec map[Status]specActions) []string {
	var out []string
	for _, actions := range spec {
		for a := range actions {
			if !slices.Contains(out, a) {
				out = append(out, a)
			}
		}
	}
	slices.Sort(out)
	return out
}

// expectedRefusal is the answer the spec implies: "" when allowed;
// WrongRole when the role may never apply the action in this flow;
// NotYours when the role may in this status, but not in this relation to
// the order (another party's part); NotAllowedNow when the role may, but not
// in this status.
func expectedRefusal(spec map[Status]specActions, s Status, action string, sp specParty) string {
	if !slices.Contains(specActionNames(spec), action) {
		return UnknownAction
	}
	if cell, ok := spec[s][action]; ok && slices.Contains(cell.who, sp.name) {
		return ""
	}
	role := string(sp.party.Role)
	holds := func(w string) bool { return w == role || strings.HasPrefix(w, role+"/") }
	if slices.ContainsFunc(spec[s][action].who, holds) {
		return NotYours
	}
	for _, actions := range spec {
		for _, w := range actions[action].who {
			if w == role || strings.HasPrefix(w, role+"/") {
				return NotAllowedNow
			}
		}
	}
	return WrongRole
}

func TestMarketplaceTableMatchesSpec(t *testing.T) {
	// Actions outside the flow: other flows' actions, ops actions, nonsense.
	actions := append(specActionNames(marketplaceSpec), "approve", "submit", "retry", "skip", "fly", "")
	checked := 0
	for _, s := range MarketplaceFlow.Statuses {
		for _, a := range actions {
			for _, sp := range specParties() {
				want := expectedRefusal(marketplaceSpec, s, a, sp)
				got := ""
				if r := MarketplaceFlow.Check(s, Action(a), sp.party); r != nil {
					got = r.Code
					if r.Status != s || r.Action != Action(a) || r.Reason == "" {
						t.Errorf("%s %s by %s: refusal lacks context: %+v", s, a, sp.name, r)
					}
				}
				if got != want {
					t.Errorf("%s: %q by %s = %q, want %q", s, a, sp.name, got, want)
				}
				checked++
			}
		}
	}
	if want := len(marketplaceSpec) * len(actions) * len(specParties()); checked != want || checked == 0 {
		t.Fatalf("checked %d triples, want %d", checked, want)
	}
}

func TestMarketplaceTableStatusesAndTransitions(t *testing.T) {
	requireTableFollowsSpec(t, MarketplaceFlow, marketplaceSpec,
		[]Status{"cancelled", "expired", "returned"}, []Status{"awaiting_credit", "awaiting_payment"})
}

// requireTableFollowsSpec checks what both lifecycle tables must be: the
// spec's statuses, final and initial ones as given, a rule set per status
// (none in a final one, a way out of every other), every action granted to
// someone and leading where the spec says, and the spec's actions.
func requireTableFollowsSpec(t *testing.T, tbl Flow, spec map[Status]specActions, final, initial []Status) {
	t.Helper()
	var specStatuses []Status
	for s := range spec {
		specStatuses = append(specStatuses, s)
	}
	if got, want := sortedStatuses(tbl.Statuses), sortedStatuses(specStatuses); !slices.Equal(got, want) {
		t.Fatalf("statuses %v, want %v", got, want)
	}
	if got := sortedStatuses(tbl.Final); !slices.Equal(got, final) {
		t.Errorf("final statuses %v, want %v", got, final)
	}
	if got := sortedStatuses(tbl.Initial); !slices.Equal(got, initial) {
		t.Errorf("initial statuses %v, want %v", got, initial)
	}
	if len(tbl.Rules) != len(tbl.Statuses) {
		t.Errorf("rules for %d statuses, %d statuses", len(tbl.Rules), len(tbl.Statuses))
	}
	for _, s := range tbl.Statuses {
		rules, ok := tbl.Rules[s]
		if !ok {
			t.Errorf("%s has no entry in Rules", s)
		}
		if tbl.IsFinal(s) && len(rules) > 0 {
			t.Errorf("final status %s has actions %v", s, rules)
		}
		if !tbl.IsFinal(s) && len(rules) == 0 {
			t.Errorf("status %s is not final but has no way out", s)
		}
		for a, r := range rules {
			if len(r.Grants) == 0 {
				t.Errorf("%s %s is granted to nobody", s, a)
			}
			for _, next := range r.To {
				if !slices.Contains(tbl.Statuses, next) {
					t.Errorf("%s %s leads to unknown status %s", s, a, next)
				}
			}
			cell := spec[s][string(a)]
			if !slices.Equal(sortedStatuses(r.To), sortedStatuses(cell.to)) {
				t.Errorf("%s %s leads to %v, want %v", s, a, r.To, cell.to)
			}
		}
	}
	if got, want := actionNames(tbl.Actions()), specActionNames(spec); !slices.Equal(got, want) {
		t.Errorf("actions %v\nwant %v", got, want)
	}
}

// Allowed is what the API shows as allowed_actions: it must list exactly
// the actions Check lets through, sorted.
func TestMarketplaceAllowedIsSortedAndAgreesWithCheck(t *testing.T) {
	requireAllowedAgreesWithCheck(t, MarketplaceFlow, specParties())
	owner := Party{Role: Customer, Relations: []Relation{Owner}}
	if got := MarketplaceFlow.Allowed(InProgress, owner); !slices.Equal(got, []Action{"cancel"}) {
		t.Errorf("the owner may %v in progress, want [cancel]", got)
	}
}

// requireAllowedAgreesWithCheck: for every status and party, Allowed is
// sorted, lists exactly what Check lets through, and is what a refusal lists.
func requireAllowedAgreesWithCheck(t *testing.T, tbl Flow, parties []specParty) {
	t.Helper()
	for _, s := range tbl.Statuses {
		for _, sp := range parties {
			allowed := tbl.Allowed(s, sp.party)
			if !slices.IsSorted(allowed) {
				t.Errorf("%s for %s: %v is not sorted", s, sp.name, allowed)
			}
			var want []Action
			for _, a := range tbl.Actions() {
				if tbl.Check(s, a, sp.party) == nil {
					want = append(want, a)
				}
			}
			if !slices.Equal(allowed, want) {
				t.Errorf("%s for %s: Allowed %v, Check lets through %v", s, sp.name, allowed, want)
			}
			if r := tbl.Check(s, "fly", sp.party); !slices.Equal(r.Allowed, allowed) {
				t.Errorf("%s for %s: a refusal lists %v, Allowed is %v", s, sp.name, r.Allowed, allowed)
			}
		}
	}
}

func sortedStatuses(s []Status) []Status {
	out := slices.Clone(s)
	slices.Sort(out)
	return out
}

func actionNames(as []Action) []string {
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = string(a)
	}
	return out
}

// Each flow waits only in its own statuses, none final, and only for roles
// its table lets act in that status (a person's grant, or the system's
// action that a webhook or a page applies). A wait for the system names the
// person behind it: nobody at the screen waits for "system".
func TestWaitsOnNamesRolesThatMayAct(t *testing.T) {
	for _, fl := range Flows {
		for s, waits := range fl.WaitsOn {
			if !slices.Contains(fl.Statuses, s) || fl.IsFinal(s) {
				t.Errorf("%s waits in %q, not a running status of it", fl.Name, s)
			}
			for _, w := range waits {
				acts := false
				for _, rule := range fl.Rules[s] {
					acts = acts || slices.ContainsFunc(rule.Grants, func(g Grant) bool { return g.Role == w.Role })
				}
				if !acts {
					t.Errorf("%s in %s waits for %s, whom no rule of the status lets act", fl.Name, s, w.Role)
				}
				if w.Role == System && w.Who == "" {
					t.Errorf("%s in %s waits for %s without saying who acts behind it", fl.Name, s, w.Role)
				}
			}
		}
	}
}

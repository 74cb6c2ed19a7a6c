package workflows

import (
	"fmt"
	"slices"
	"strings"

	"github.com/orderflow/orderflow/internal/auth"
)

// Status is where an order is in its lifecycle.
type Status string

// Action is a human or system event that may move an order.
type Action string

// Relation narrows a role to the parties of one order: a customer may cancel
// *their* order, a supplier may accept an order *offered to it*.
type Relation string

const (
	AnyHolder        Relation = ""                  // anyone holding the role
	Owner            Relation = "owner"             // the order's member or customer
	OfferedSupplier  Relation = "offered_supplier"  // a supplier the order is offered to now
	AcceptedSupplier Relation = "accepted_supplier" // the supplier that accepted the order
	LinkHolder       Relation = "link_holder"       // the client holding the order's confirmation link
)

// Grant lets holders of Role, in Relation to the order, apply an action.
type Grant struct {
	Role     auth.Role
	Relation Relation
}

// Rule is one cell of a lifecycle table: who may apply the action in that
// status and where it can lead. Guard names a state condition the workflow
// checks beyond the table (e.g. "a return was requested").
type Rule struct {
	Grants []Grant
	To     []Status // possible next statuses; empty when the status stays
	Guard  string
}

// Table is a flow's lifecycle: status × action → rule. It is the single
// source of truth read by the workflow's validators, the API's
// allowed_actions, the docs' diagrams and the exhaustive transition test.
type Table struct {
	Flow     string
	Initial  []Status
	Statuses []Status // every status, in lifecycle order
	Final    []Status
	Rules    map[Status]map[Action]Rule
}

// IsFinal reports whether status ends the order.
func (t Table) IsFinal(s Status) bool { return slices.Contains(t.Final, s) }

// Rule returns the rule of action in status.
func (t Table) Rule(s Status, a Action) (Rule, bool) {
	r, ok := t.Rules[s][a]
	return r, ok
}

// Actions lists every action of the flow, sorted.
func (t Table) Actions() []Action {
	seen := map[Action]bool{}
	for _, rules := range t.Rules {
		for a := range rules {
			seen[a] = true
		}
	}
	out := make([]Action, 0, len(seen))
	for a := range seen {
		out = append(out, a)
	}
	slices.Sort(out)
	return out
}

// Party is who asks: a role, a subject and how they relate to the order.
type Party struct {
	Principal auth.Principal
	// Relations the workflow established for this principal and order.
	Relations []Relation
}

func (p Party) holds(g Grant) bool {
	return p.Principal.Role == g.Role && (g.Relation == AnyHolder || slices.Contains(p.Relations, g.Relation))
}

// roleMay reports whether role appears in any grant of the rule, whatever
// the relation.
func (r Rule) roleMay(role auth.Role) bool {
	return slices.ContainsFunc(r.Grants, func(g Grant) bool { return g.Role == role })
}

// roleMayEver reports whether role may apply action in some status of the
// flow: the difference between "wrong role" (403: never, whatever happens)
// and "not yours / not now" (409: a customer who may cancel a pending order
// but not one in screening).
func (t Table) roleMayEver(a Action, role auth.Role) bool {
	for _, s := range t.Statuses {
		if r, ok := t.Rule(s, a); ok && r.roleMay(role) {
			return true
		}
	}
	return false
}

// grantsOf lists everyone who may apply action in some status.
func (t Table) grantsOf(a Action) []Grant {
	var out []Grant
	for _, s := range t.Statuses {
		r, _ := t.Rule(s, a)
		for _, g := range r.Grants {
			if !slices.Contains(out, g) {
				out = append(out, g)
			}
		}
	}
	return out
}

// Allowed lists the actions party may apply in status, sorted.
func (t Table) Allowed(s Status, p Party) []Action {
	var out []Action
	for a, r := range t.Rules[s] {
		if slices.ContainsFunc(r.Grants, p.holds) {
			out = append(out, a)
		}
	}
	slices.Sort(out)
	return out
}

// Refusal codes: what the API turns into 404, 403 and 409.
const (
	UnknownAction = "UnknownAction" // no such action in this flow
	WrongRole     = "WrongRole"     // the role may never do this here (403)
	NotYours      = "NotYours"      // the role may, but this order's part is another party's (403)
	NotAllowedNow = "NotAllowedNow" // not in this status (409)
)

// Refusal explains why an action was refused, with what the party may do now.
type Refusal struct {
	Code    string
	Action  Action
	Status  Status
	Allowed []Action
	Reason  string
}

func (r *Refusal) Error() string { return r.Reason }

// Check decides whether party may apply action in status by the table alone.
func (t Table) Check(s Status, a Action, p Party) *Refusal {
	refuse := func(code, reason string) *Refusal {
		return &Refusal{Code: code, Action: a, Status: s, Allowed: t.Allowed(s, p), Reason: reason}
	}
	if !slices.Contains(t.Actions(), a) {
		return refuse(UnknownAction, fmt.Sprintf("%q is not an action of %s orders; the actions are: %s", a, t.Flow, joinActions(t.Actions())))
	}
	r, ok := t.Rule(s, a)
	switch {
	case ok && slices.ContainsFunc(r.Grants, p.holds):
		return nil
	case !t.roleMayEver(a, p.Principal.Role):
		return refuse(WrongRole, fmt.Sprintf("your role %s may not %s; it needs: %s", p.Principal.Role, a, describeGrants(t.grantsOf(a))))
	case !ok:
		return refuse(NotAllowedNow, fmt.Sprintf("%s is not possible while the order is %s", a, s))
	case r.roleMay(p.Principal.Role):
		return refuse(NotYours, fmt.Sprintf("%s is not yours to do on this order (it needs: %s)", a, describeGrants(r.Grants)))
	default:
		return refuse(NotAllowedNow, fmt.Sprintf("%s is not possible for %s while the order is %s (now it needs: %s)", a, p.Principal.Role, s, describeGrants(r.Grants)))
	}
}

func describeGrants(gs []Grant) string {
	parts := make([]string, len(gs))
	for i, g := range gs {
		parts[i] = string(g.Role)
		if g.Relation != AnyHolder {
			parts[i] = fmt.Sprintf("the %s (%s)", strings.ReplaceAll(string(g.Relation), "_", " "), g.Role)
		}
	}
	return strings.Join(slices.Compact(parts), " or ")
}

func joinActions(as []Action) string {
	s := make([]string, len(as))
	for i, a := range as {
		s[i] = string(a)
	}
	return strings.Join(s, ", ")
}

// FlowTable returns a flow's lifecycle table and the registry of its action
// bodies; an unknown flow has an empty table.
func FlowTable(flow string) (Table, map[Action]func() Payload) {
	switch flow {
	case MarketplaceTable.Flow:
		return MarketplaceTable, marketplacePayloads
	case MemberTable.Flow:
		return MemberTable, memberPayloads
	}
	return Table{Flow: flow}, nil
}

// Package lifecycle is every rule of the two order lifecycles, as data: the
// statuses and how people read them, who may apply which action in which
// status and where it leads, how each action arrives (a person, the payment
// webhook, a timer, the order itself), which deadlines run in which status,
// who creates orders and where they start, who may see and list them, which
// statuses are on the suppliers' feed and when an order closes.
//
// The workflows execute it (and refuse a transition its rule does not list);
// the API, the store's queries, the diagrams, the docs and the spec tests read
// it. It imports nothing of orderflow and nothing of Temporal, so every other
// package may import it. Adding a status or a role means editing this package
// and the workflow code that executes it.
package lifecycle

import (
	"fmt"
	"slices"
	"strings"
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
	Role     Role
	Relation Relation
}

// Trigger is how an action reaches the order.
type Trigger string

const (
	// ByPerson: a person through the API (an update) or a Temporal signal;
	// a client through the page of its confirmation link.
	ByPerson Trigger = ""
	// ByWebhook: the payment provider's signed webhook, acting as the system.
	ByWebhook Trigger = "webhook"
	// ByTimer: the order's own durable timer. Never an update or a signal.
	ByTimer Trigger = "timer"
	// ByOrder: the order itself, as the consequence of another action (the
	// last supplier's decline, the invoice that follows a delivery). Never
	// an update or a signal either.
	ByOrder Trigger = "order"
)

// Rule is one cell of a lifecycle table: who may apply the action in that
// status, how it arrives and where it can lead. Guard names a condition on
// the order the workflow checks beyond the table (e.g. "a return was
// requested").
type Rule struct {
	Grants  []Grant
	To      []Status // the statuses it may lead to; empty when the status stays
	Guard   string
	Trigger Trigger
}

// Leads reports whether the rule lets an order in from go to to.
func (r Rule) Leads(from, to Status) bool {
	if len(r.To) == 0 {
		return to == from
	}
	return slices.Contains(r.To, to)
}

// Reach is how many of a flow's orders a role sees.
type Reach string

const (
	NoOrders      Reach = ""        // none
	AllOrders     Reach = "all"     // every order of the flow (staff side)
	OwnOrders     Reach = "own"     // the orders it owns (customer, member)
	OfferedOrders Reach = "offered" // the orders offered to it; it lists those it took
	LinkedOrder   Reach = "linked"  // the one order its confirmation link names
)

// Access is what a role may see of a flow's orders.
type Access struct {
	Reach Reach
	// List: it may list them (GET /v1/orders); without it, it only opens one.
	List bool
	// CreatorOnly: statuses in which it sees, and lists, only the orders it
	// created itself (a member's draft is the member's own until submitted).
	CreatorOnly []Status
}

// Flow is one lifecycle: status × action → rule, and everything else the
// rest of orderflow needs to know of it.
type Flow struct {
	Name     string
	Statuses []Status // every status, in lifecycle order
	Labels   map[Status]string
	// Creators may create orders of the flow; an order starts in one of
	// Initial (which one is the order's data: payment terms, submit).
	Creators []Role
	Initial  []Status
	// Final statuses end the order. Closes are the actions after which an
	// order ends in the status it is in (its return window ran out).
	Final  []Status
	Closes []Action
	Rules  map[Status]map[Action]Rule
	// Deadlines are the named instants the order waits for, per status.
	Deadlines map[Status][]string
	// WaitsOn are the parties expected to move an order on, per status (the
	// Web UI's "Waiting for"); a role is named there only while it may act.
	WaitsOn map[Status][]Wait
	// Access says who sees and lists the flow's orders; a role not in it
	// sees none.
	Access map[Role]Access
	// Feed are the statuses in which an order is on the suppliers' live feed.
	Feed []Status
}

// Wait is one party an order waits for in a status: the role whose action
// moves it on and, where that role is no person, who people should read as
// the one to act (the payment webhook acts as the system, but the customer
// is the one who must pay).
type Wait struct {
	Role Role
	Who  string // empty: the role names the party
}

// waitsFor are waits for persons, each named by its role.
func waitsFor(roles ...Role) []Wait {
	ws := make([]Wait, len(roles))
	for i, r := range roles {
		ws[i] = Wait{Role: r}
	}
	return ws
}

// WaitFor is the wait of role r in status s, if the order waits for it there.
func (t Flow) WaitFor(s Status, r Role) (Wait, bool) {
	i := slices.IndexFunc(t.WaitsOn[s], func(w Wait) bool { return w.Role == r })
	if i < 0 {
		return Wait{}, false
	}
	return t.WaitsOn[s][i], true
}

// IsFinal reports whether status ends the order.
func (t Flow) IsFinal(s Status) bool { return slices.Contains(t.Final, s) }

// Rule returns the rule of action in status.
func (t Flow) Rule(s Status, a Action) (Rule, bool) {
	r, ok := t.Rules[s][a]
	return r, ok
}

// Leads reports whether action a may move an order of the flow from from to
// to: the rule of a in from lists to; create starts it in an initial status;
// the engine's own actions (ops, parking) leave the status as it is.
func (t Flow) Leads(from Status, a Action, to Status) bool {
	switch {
	case a == Create:
		return from == "" && slices.Contains(t.Initial, to)
	case slices.Contains(EngineActions, a):
		return to == from
	}
	r, ok := t.Rule(from, a)
	return ok && r.Leads(from, to)
}

// HasStatus reports whether s is a status of the flow.
func (t Flow) HasStatus(s Status) bool { return slices.Contains(t.Statuses, s) }

// Actions lists every action of the flow, sorted.
func (t Flow) Actions() []Action {
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

// Triggered reports whether a arrives by trigger in some status.
func (t Flow) Triggered(a Action, trigger Trigger) bool {
	for _, rules := range t.Rules {
		if r, ok := rules[a]; ok && r.Trigger == trigger {
			return true
		}
	}
	return false
}

// Party is who asks, as the lifecycle sees them: a role and the relations
// the workflow established between them and the order.
type Party struct {
	Role      Role
	Relations []Relation
}

func (p Party) holds(g Grant) bool {
	return p.Role == g.Role && (g.Relation == AnyHolder || slices.Contains(p.Relations, g.Relation))
}

// roleMay reports whether role appears in any grant of the rule, whatever
// the relation.
func (r Rule) roleMay(role Role) bool {
	return slices.ContainsFunc(r.Grants, func(g Grant) bool { return g.Role == role })
}

// MayEver reports whether role may apply action in some status of the
// flow: the difference between "wrong role" (403: never, whatever happens)
// and "not yours / not now" (409: a customer who may cancel a pending order
// but not one in screening).
func (t Flow) MayEver(a Action, role Role) bool {
	for _, s := range t.Statuses {
		if r, ok := t.Rule(s, a); ok && r.roleMay(role) {
			return true
		}
	}
	return false
}

// grantsOf lists everyone who may apply action in some status.
func (t Flow) grantsOf(a Action) []Grant {
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
func (t Flow) Allowed(s Status, p Party) []Action {
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
func (t Flow) Check(s Status, a Action, p Party) *Refusal {
	refuse := func(code, reason string) *Refusal {
		return &Refusal{Code: code, Action: a, Status: s, Allowed: t.Allowed(s, p), Reason: reason}
	}
	if !slices.Contains(t.Actions(), a) {
		return refuse(UnknownAction, fmt.Sprintf("%q is not an action of %s orders; the actions are: %s", a, t.Name, JoinActions(t.Actions())))
	}
	r, ok := t.Rule(s, a)
	switch {
	case ok && slices.ContainsFunc(r.Grants, p.holds):
		return nil
	case !t.MayEver(a, p.Role):
		return refuse(WrongRole, fmt.Sprintf("your role %s may not %s; it needs: %s", p.Role, a, describeGrants(t.grantsOf(a))))
	case !ok:
		return refuse(NotAllowedNow, fmt.Sprintf("%s is not possible while the order is %s", a, s))
	case r.roleMay(p.Role):
		return refuse(NotYours, fmt.Sprintf("%s is not yours to do on this order (it needs: %s)", a, describeGrants(r.Grants)))
	default:
		return refuse(NotAllowedNow, fmt.Sprintf("%s is not possible for %s while the order is %s (now it needs: %s)", a, p.Role, s, describeGrants(r.Grants)))
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

// JoinActions lists actions by name, for messages.
func JoinActions(as []Action) string {
	s := make([]string, len(as))
	for i, a := range as {
		s[i] = string(a)
	}
	return strings.Join(s, ", ")
}

// Flows are both lifecycles, in the README's order.
var Flows = []Flow{MemberFlow, MarketplaceFlow}

// FlowNamed returns the flow called name.
func FlowNamed(name string) (Flow, bool) {
	for _, f := range Flows {
		if f.Name == name {
			return f, true
		}
	}
	return Flow{Name: name}, false
}

// FlowNames lists the flows' names, for messages.
func FlowNames() []string {
	out := make([]string, len(Flows))
	for i, f := range Flows {
		out[i] = f.Name
	}
	return out
}

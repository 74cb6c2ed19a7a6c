package workflows

import "slices"

// IsInternalAction reports whether only orderflow itself applies action a in
// table t: one of the workflow's own timers, or an action the table grants
// to no person, only to the system (the payment webhook) or to the client
// (the holder of a confirmation link, who answers through the link's page).
// The API refuses such an action from any bearer of a token with 403 before
// asking the workflow, which has no update handler for a timer's action and
// would answer with Temporal's own text. An action the table does not know
// is not internal: it is unknown.
func IsInternalAction(t Table, a Action) bool {
	if slices.Contains(timerActions, a) {
		return true
	}
	known := false
	for _, s := range t.Statuses {
		rule, ok := t.Rule(s, a)
		if !ok {
			continue
		}
		known = true
		if slices.ContainsFunc(rule.Grants, func(g Grant) bool { return g.Role.IsPerson() }) {
			return false
		}
	}
	return known
}

// InternalActions lists the actions of t that IsInternalAction names, sorted.
func InternalActions(t Table) []Action {
	var out []Action
	for _, a := range t.Actions() {
		if IsInternalAction(t, a) {
			out = append(out, a)
		}
	}
	return out
}

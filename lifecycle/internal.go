package lifecycle

import "slices"

// Create is the timeline action of an order's creation: it starts the order
// in one of its flow's initial statuses.
const Create Action = "create"

// The engine's own actions, outside the lifecycle tables: ops retry or skip
// the side effect a parked order waits on, in any status; StepFailed is
// written on the timeline when a side effect parks the order. None of them
// moves the order.
const (
	OpsRetry   Action = "retry"
	OpsSkip    Action = "skip"
	StepFailed Action = "step_failed"
)

// EngineActions are the engine's own actions.
var EngineActions = []Action{OpsRetry, OpsSkip, StepFailed}

// OpsActions are the ones ops apply to a parked order.
var OpsActions = []Action{OpsRetry, OpsSkip}

// The timeline actions of a wait for a person, applied by the order's own
// timers in every status that waits for someone: the owner of the wait is
// told, reminded, and staff are escalated.
const (
	OwnerTold      Action = "owner_told"
	OwnerReminded  Action = "owner_reminded"
	StaffEscalated Action = "staff_escalated"
)

// WaitActions are the timeline actions of the waits.
var WaitActions = []Action{OwnerTold, OwnerReminded, StaffEscalated}

// NoLongerAvailable is the status a supplier reads of an order it declined
// or that went to another supplier (or ended before it took it): the order
// is gone for it, with nothing else of it. It is no status of the table.
const NoLongerAvailable Status = "no_longer_available"

// Automatic reports whether the order applies a itself (its timers, or as
// the consequence of another action): never through an update or a signal,
// even by the system role.
func (t Flow) Automatic(a Action) bool {
	return t.Triggered(a, ByTimer) || t.Triggered(a, ByOrder)
}

// IsInternalAction reports whether only orderflow itself applies action a in
// flow t: one of the order's own timers or consequences, or an action the
// table grants to no person, only to the system (the payment webhook) or to
// the client (the holder of a confirmation link, who answers through the
// link's page). The API refuses such an action from any bearer of a token
// with 403 before asking the workflow, which has no update handler for a
// timer's action and would answer with Temporal's own text. An action the
// table does not know is not internal: it is unknown.
func IsInternalAction(t Flow, a Action) bool {
	if t.Automatic(a) {
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
func InternalActions(t Flow) []Action {
	var out []Action
	for _, a := range t.Actions() {
		if IsInternalAction(t, a) {
			out = append(out, a)
		}
	}
	return out
}

// MayAsk reports whether role may ever apply a through the API: some status
// grants it to role and it is not an action only orderflow itself applies
// (IsInternalAction), which has no update handler, so without this a person
// trying a timer's action would get Temporal's "unknown update" as a 409
// instead of the 403 the table means.
func (t Flow) MayAsk(a Action, role Role) bool {
	return !IsInternalAction(t, a) && t.MayEver(a, role)
}

package workflows

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/orderflow/orderflow/internal/auth"
	"github.com/orderflow/orderflow/lifecycle"
)

// How both flows take an action: its body decoded and validated, the party and
// the lifecycle's table asked (check, decide), the update and ops handlers registered.

// Refusal codes beyond the table's: a payload that cannot be used (422) and
// an order the caller may not see (404).
const (
	InvalidPayload = "InvalidPayload"
	NotVisible     = "NotVisible"
	// RequestIDTaken: another caller already used this request id on the
	// order (409). A request id makes a retry apply once; it must never let
	// one party replay another's request or read its answer.
	RequestIDTaken = "RequestIDTaken"
)

// Payload is the body of an action; Validate returns field → problem.
type Payload interface {
	Validate() map[string]string
}

// RetryPayload is the body of the ops retry: resend sends a parked email
// whose outcome is unknown again (ops checked the provider first).
type RetryPayload struct {
	Resend bool `json:"resend,omitempty"`
}

func (RetryPayload) Validate() map[string]string { return nil }

// opsPayloads are the bodies of the ops actions, the same in both flows.
var opsPayloads = map[lifecycle.Action]func() Payload{lifecycle.OpsRetry: func() Payload { return &RetryPayload{} }}

// noPayload is the body of actions that need none: `{}` or nothing.
type noPayload struct{}

func (noPayload) Validate() map[string]string { return nil }

// PayloadError lists what is wrong with an action's body, by field.
type PayloadError struct {
	Action lifecycle.Action
	Fields map[string]string
}

func (e *PayloadError) Error() string {
	parts := make([]string, 0, len(e.Fields))
	for _, f := range sortedKeys(e.Fields) {
		parts = append(parts, f+": "+e.Fields[f])
	}
	return fmt.Sprintf("the body of %s is not usable: %s", e.Action, strings.Join(parts, "; "))
}

// DecodePayload decodes and validates the body of action in a flow's
// registry; the API uses it to answer 422 before asking the workflow, and
// the workflow uses it again for signals and as the final word.
func DecodePayload(registry map[lifecycle.Action]func() Payload, a lifecycle.Action, raw json.RawMessage) (Payload, error) {
	return decodePayload(registry, a, raw, true)
}

// decodePayload decodes the body of action a, and checks its own rules
// (bounds, formats) when validate.
func decodePayload(registry map[lifecycle.Action]func() Payload, a lifecycle.Action, raw json.RawMessage, validate bool) (Payload, error) {
	newPayload, ok := registry[a]
	if !ok {
		newPayload, ok = opsPayloads[a]
	}
	if !ok {
		newPayload = func() Payload { return &noPayload{} }
	}
	p := newPayload()
	if len(bytes.TrimSpace(raw)) > 0 && string(bytes.TrimSpace(raw)) != "null" {
		if err := decodeRecorded(raw, p); err != nil {
			return nil, &PayloadError{Action: a, Fields: map[string]string{"body": err.Error()}}
		}
	}
	if !validate {
		return p, nil
	}
	if problems := p.Validate(); len(problems) > 0 {
		return nil, &PayloadError{Action: a, Fields: problems}
	}
	return p, nil
}

// refusalError carries a refusal through Temporal: its type is the code and
// its details the refusal, so the API can answer with status and allowed actions.
func refusalError(r *lifecycle.Refusal) error {
	return temporal.NewApplicationErrorWithOptions(r.Reason, r.Code, temporal.ApplicationErrorOptions{
		NonRetryable: true,
		Details:      []any{r},
	})
}

// Party is who asks: a principal and the relations the workflow
// established between it and this order.
type Party struct {
	Principal auth.Principal
	Relations []lifecycle.Relation
}

// asks is the party as the lifecycle's table sees it.
func (p Party) asks() lifecycle.Party {
	return lifecycle.Party{Role: p.Principal.Role, Relations: p.Relations}
}

// PayloadsOf is the registry of a flow's action bodies, which the API
// decodes them with; an unknown flow has none.
func PayloadsOf(flow string) map[lifecycle.Action]func() Payload {
	switch flow {
	case lifecycle.MarketplaceFlow.Name:
		return marketplacePayloads
	case lifecycle.MemberFlow.Name:
		return memberPayloads
	}
	return nil
}

// party is principal with its relations to this order.
func (c *core) party(p auth.Principal) Party {
	return Party{Principal: p, Relations: c.flow.relations(p)}
}

// check decides an action: table, guard, payload. It never changes state, so
// validators may call it.
func (c *core) check(a lifecycle.Action, req ActionRequest, registry map[lifecycle.Action]func() Payload) (Payload, *lifecycle.Refusal) {
	return c.seenBy(req.Actor)(c.decide(a, req, registry, true))
}

// recheck is check in an update's handler, after its validator accepted
// it. The payload's own rules (bounds, formats) do not depend on the order,
// so they are not checked again: on replay the handler runs without the
// validator, and an update accepted under older, looser rules must apply
// again as it did.
func (c *core) recheck(a lifecycle.Action, req ActionRequest, registry map[lifecycle.Action]func() Payload) (Payload, *lifecycle.Refusal) {
	return c.seenBy(req.Actor)(c.decide(a, req, registry, false))
}

// seenBy makes a refusal tell its caller no more than the caller's view
// does (projection.go): a supplier that declined the order, or whose offer
// ended without it taking the order, reads that the order is no longer
// available, not what became of it.
func (c *core) seenBy(p auth.Principal) func(Payload, *lifecycle.Refusal) (Payload, *lifecycle.Refusal) {
	return func(payload Payload, r *lifecycle.Refusal) (Payload, *lifecycle.Refusal) {
		if r == nil || r.Code == NotVisible || p.Role != lifecycle.Supplier {
			return payload, r
		}
		if v := c.flow.view(c.party(p)); v.Status == lifecycle.NoLongerAvailable {
			r.Status, r.Allowed, r.Reason = lifecycle.NoLongerAvailable, []lifecycle.Action{}, "this order is no longer available to you"
		}
		return payload, r
	}
}

func (c *core) decide(a lifecycle.Action, req ActionRequest, registry map[lifecycle.Action]func() Payload, validate bool) (Payload, *lifecycle.Refusal) {
	if !c.flow.visibleTo(req.Actor) {
		return nil, &lifecycle.Refusal{Code: NotVisible, Action: a, Status: c.Status, Reason: "there is no such order"}
	}
	p := c.party(req.Actor)
	if r := c.requestIDTaken(a, req); r != nil {
		return nil, r
	}
	if r := c.table.Check(c.Status, a, p.asks()); r != nil {
		return nil, r
	}
	if rule, _ := c.table.Rule(c.Status, a); rule.Guard != "" {
		if ok, why := c.flow.guard(rule.Guard, p); !ok {
			return nil, &lifecycle.Refusal{Code: lifecycle.NotAllowedNow, Action: a, Status: c.Status, Allowed: c.allowed(p), Reason: why}
		}
	}
	payload, err := decodePayload(registry, a, req.Payload, validate)
	if err != nil {
		return nil, &lifecycle.Refusal{Code: InvalidPayload, Action: a, Status: c.Status, Allowed: c.allowed(p), Reason: err.Error()}
	}
	if why := c.flow.vet(a, payload); why != "" {
		return nil, &lifecycle.Refusal{Code: InvalidPayload, Action: a, Status: c.Status, Allowed: c.allowed(p), Reason: why}
	}
	return payload, nil
}

// allowed is what party may do now: the table's answer filtered by guards.
func (c *core) allowed(p Party) []lifecycle.Action {
	var out []lifecycle.Action
	for _, a := range c.table.Allowed(c.Status, p.asks()) {
		rule, _ := c.table.Rule(c.Status, a)
		if rule.Guard != "" {
			if ok, _ := c.flow.guard(rule.Guard, p); !ok {
				continue
			}
		}
		if c.table.Automatic(a) {
			continue
		}
		out = append(out, a)
	}
	return out
}

// registerHandlers makes every action of the table an update with a
// validator and a signal of the same name, plus the ops actions and the
// order and help queries.
func (c *core) registerHandlers(ctx workflow.Context, registry map[lifecycle.Action]func() Payload) error {
	for _, a := range c.table.Actions() {
		if c.table.Automatic(a) {
			continue
		}
		if err := c.registerAction(ctx, a, registry); err != nil {
			return err
		}
	}
	for _, a := range []lifecycle.Action{lifecycle.OpsRetry, lifecycle.OpsSkip} {
		if err := c.registerOps(ctx, a); err != nil {
			return err
		}
	}
	if err := c.registerViewUpdate(ctx); err != nil {
		return err
	}
	switch {
	case c.lean:
		c.receiveAllSignals(ctx)
	case c.oneLoop:
		c.receiveSignals(ctx)
		if c.trusted {
			c.refuseUnknownSignals(ctx)
		}
	default:
		for _, s := range c.signals {
			workflow.GoNamed(ctx, "signal "+string(s.action), func(ctx workflow.Context) { c.receiveEach(ctx, s) })
		}
	}
	// The order query (query.go) refuses a viewer who may not see the order
	// with an error whose text starts with its code, which the API reads
	// (query errors reach the client as text only on some server paths).
	return c.registerQueries(ctx)
}

// readChanges sets what the order does by the changes it started after
// (versions.go). An order started after ChangeLeanEngine records only that
// marker: it includes every change before it.
func (c *core) readChanges(ctx workflow.Context) {
	since := func(change string) bool {
		return workflow.GetVersion(ctx, change, workflow.DefaultVersion, 1) != workflow.DefaultVersion
	}
	lean := workflow.GetVersion(ctx, ChangeLeanEngine, workflow.DefaultVersion, newestLeanVersion())
	if c.lean = lean != workflow.DefaultVersion; c.lean {
		c.oneLoop, c.trusted, c.businessRules, c.flatRecords = true, true, true, true
		c.offersIndexed = lean >= LeanOffersIndexed
		c.partiesIndexed = lean >= LeanPartiesIndexed
		c.answersBeforeEmails = lean >= LeanAnswersBeforeEmails
		c.startIndex(ctx)
		return
	}
	c.oneLoop = since(ChangeOneSignalLoop)
	c.trusted = since(ChangeTrustedActions)
	c.businessRules = since(ChangeBusinessRules)
	c.flatRecords = since(ChangeFlatRecords)
}

func (c *core) registerAction(ctx workflow.Context, a lifecycle.Action, registry map[lifecycle.Action]func() Payload) error {
	validate := func(ctx workflow.Context, req ActionRequest) error {
		if _, r := c.check(a, req, registry); r != nil {
			return refusalError(r)
		}
		return nil
	}
	// The handler checks again: two updates validated in the same workflow
	// task (two suppliers accepting at once) must not both apply.
	handle := func(ctx workflow.Context, req ActionRequest) (Answer, error) {
		payload, r := c.recheck(a, req, registry)
		if r != nil {
			return Answer{}, refusalError(r)
		}
		c.flow.apply(ctx, a, req, payload)
		return c.answer(c.party(req.Actor)), nil
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, string(a), handle, workflow.UpdateHandlerOptions{Validator: validate}); err != nil {
		return err
	}
	c.listen(ctx, a, func(ctx workflow.Context, req ActionRequest) {
		payload, r := c.check(a, req, registry)
		if r != nil {
			c.refuse(ctx, a, req.Actor, r.Reason, req.RequestID)
			return
		}
		c.flow.apply(ctx, a, req, payload)
	})
	return nil
}

// opsCheck: only ops, only on a parked order, skip only where skipping is
// safe, and resend only an email whose outcome is unknown.
func (c *core) opsCheck(a lifecycle.Action, req ActionRequest) *lifecycle.Refusal {
	refuse := func(code, why string) *lifecycle.Refusal {
		return &lifecycle.Refusal{Code: code, Action: a, Status: c.Status, Allowed: c.allowed(c.party(req.Actor)), Reason: why}
	}
	if r := c.requestIDTaken(a, req); r != nil {
		return r
	}
	body, err := opsPayload(a, req)
	if err != nil {
		return refuse(InvalidPayload, err.Error())
	}
	switch {
	case req.Actor.Role != lifecycle.Ops:
		return refuse(lifecycle.WrongRole, fmt.Sprintf("your role %s may not %s; it needs: ops", req.Actor.Role, a))
	case c.Attention == nil || c.opsDecision == nil:
		return refuse(lifecycle.NotAllowedNow, "the order is not waiting for ops")
	case a == lifecycle.OpsSkip && !c.Attention.Skippable:
		return refuse(lifecycle.NotAllowedNow, "the step "+c.Attention.Step+" cannot be skipped safely; fix its cause and retry it")
	case body.Resend && !c.Attention.Resendable:
		return refuse(lifecycle.NotAllowedNow, "resend is only for an email whose outcome is unknown; the step "+c.Attention.Step+" is retried without it")
	}
	return nil
}

// opsPayload decodes the body of an ops action; only a retry has one.
func opsPayload(a lifecycle.Action, req ActionRequest) (RetryPayload, error) {
	p, err := DecodePayload(nil, a, req.Payload)
	if r, ok := p.(*RetryPayload); ok && err == nil {
		return *r, nil
	}
	return RetryPayload{}, err
}

func (c *core) registerOps(ctx workflow.Context, a lifecycle.Action) error {
	decide := func(ctx workflow.Context, req ActionRequest) {
		step := c.Attention.Step
		if body, _ := opsPayload(a, req); body.Resend { // opsCheck refused a bad body
			c.resend = true
			step += " (resend)"
		}
		c.opsDecision(a)
		// One decision per parking: a second retry or skip handled in the
		// same workflow task (before park resumes) is refused by opsCheck.
		c.opsDecision = nil
		// Not parked any more from here on: the answer, the timeline entry
		// and the read model say so.
		c.Attention = nil
		c.note(ctx, a, req.Actor, step, req.RequestID)
	}
	handle := func(ctx workflow.Context, req ActionRequest) (Answer, error) {
		if r := c.opsCheck(a, req); r != nil {
			return Answer{}, refusalError(r)
		}
		decide(ctx, req)
		return c.answer(c.party(req.Actor)), nil
	}
	validate := func(ctx workflow.Context, req ActionRequest) error {
		if r := c.opsCheck(a, req); r != nil {
			return refusalError(r)
		}
		return nil
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, string(a), handle, workflow.UpdateHandlerOptions{Validator: validate}); err != nil {
		return err
	}
	c.listen(ctx, a, func(ctx workflow.Context, req ActionRequest) {
		if r := c.opsCheck(a, req); r != nil {
			c.refuse(ctx, a, req.Actor, r.Reason, req.RequestID)
			return
		}
		decide(ctx, req)
	})
	return nil
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

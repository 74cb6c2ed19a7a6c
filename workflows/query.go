package workflows

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/workflow"

	"github.com/orderflow/orderflow/internal/auth"
	"github.com/orderflow/orderflow/lifecycle"
)

// The order's queries: `order` (the order as one viewer sees it) and
// `help` (who may do what now, and how to send it). Staff run both from the
// Web UI's query tab; the API runs `order`.

// HelpQuery lists, for the order's status now, each role's actions with
// their payloads and how to send them. It takes no argument.
const HelpQuery = "help"

// MissingViewer is the code of an order query sent without who is asking
// (the Web UI's query tab sends no input unless one is typed).
const MissingViewer = "MissingViewer"

// QueryError is an order query's refusal. Its text starts with its code
// ("NotVisible: …"): a query's error reaches the client as text alone on
// some server paths (a query answered within a workflow task carries no
// failure, only the message), so the code in the text is what the API
// recognises (IsNotVisible), and what a person in the Web UI reads first.
type QueryError struct {
	Code    string // NotVisible or MissingViewer
	Message string
}

func (e *QueryError) Error() string { return e.Code + ": " + e.Message }

// viewerShape is the order query's argument, as a person types it.
const viewerShape = `{"role": "<role>", "sub": "<your id>"}`

// IsNotVisible reports whether err is the order query's refusal of a viewer
// who may not see the order: the error itself (in-process, the test
// environment) or Temporal's QueryFailed carrying its text.
func IsNotVisible(err error) bool {
	var qe *QueryError
	if errors.As(err, &qe) {
		return qe.Code == NotVisible
	}
	var failed *serviceerror.QueryFailed
	return errors.As(err, &failed) && strings.HasPrefix(failed.Message, NotVisible+": ")
}

// orderQuery answers the order as viewer sees it, or refuses: without a
// viewer, and for a viewer who may not see the order (whose view is empty),
// with what to send instead. A blank order read like an order with nothing
// in it.
func (c *core) orderQuery(viewer auth.Principal) (OrderView, error) {
	if viewer.Role == "" {
		return OrderView{}, &QueryError{Code: MissingViewer, Message: fmt.Sprintf(
			"the order query needs who is asking: query with %s, e.g. {\"role\": \"ops\", \"sub\": \"<your id>\"} (roles that see every %s order: %s); the %q query lists who may do what now",
			viewerShape, c.table.Name, lifecycle.JoinRoles(c.staffViewers()), HelpQuery)}
	}
	v := c.flow.view(c.party(viewer))
	if v.ID == "" {
		return OrderView{}, &QueryError{Code: NotVisible, Message: fmt.Sprintf(
			"this order is not visible to role %s subject %q; query with %s as someone who may see it (every %s order: %s)",
			viewer.Role, viewer.Subject, viewerShape, c.table.Name, lifecycle.JoinRoles(c.staffViewers()))}
	}
	return v, nil
}

// staffViewers are the roles a person may hold that see every order of the
// flow (the lifecycle's Access), in the lifecycle's order of roles.
func (c *core) staffViewers() []lifecycle.Role {
	var out []lifecycle.Role
	for _, r := range lifecycle.Roles {
		if r.IsPerson() && c.table.Access[r].Reach == lifecycle.AllOrders {
			out = append(out, r)
		}
	}
	return out
}

// registerQueries registers the order and help queries, each with a
// description the Web UI shows next to its name.
func (c *core) registerQueries(ctx workflow.Context) error {
	err := workflow.SetQueryHandlerWithOptions(ctx, OrderQuery, c.orderQuery, workflow.QueryHandlerOptions{
		Description: "The order as one viewer sees it. Input: " + viewerShape + ", e.g. {\"role\": \"ops\", \"sub\": \"you\"}.",
	})
	if err != nil {
		return err
	}
	return workflow.SetQueryHandlerWithOptions(ctx, HelpQuery, c.help, workflow.QueryHandlerOptions{
		Description: "Who may do what on this order now, each action's payload, and how to send it. No input.",
	})
}

// Help is the help query's answer. It is a JSON object rather than a
// Markdown text: the Web UI's query tab shows an answer as JSON, formatted
// and folded, so an object reads as a list of roles and actions there, while
// a text would show as one quoted string full of \n.
type Help struct {
	Order       string           `json:"order"`
	Flow        string           `json:"flow"`
	Status      lifecycle.Status `json:"status"`
	StatusLabel string           `json:"status_label"`
	// WaitingForOps is the step the order is parked on, if it is.
	WaitingForOps string `json:"waiting_for_ops,omitempty"`
	// Roles may act now, each with its actions; none in a final status.
	Roles []RoleHelp `json:"roles"`
	// HowToSend says how each way of acting is written.
	HowToSend map[string]any `json:"how_to_send"`
}

// RoleHelp is what one role may do now.
type RoleHelp struct {
	Role lifecycle.Role `json:"role"`
	// As: the relation to this order the role's actions need ("owner",
	// "offered supplier"); empty when holding the role is enough.
	As string `json:"as,omitempty"`
	// Via: how this role acts ("api", "signal", "update", "confirmation
	// link page", "payment webhook").
	Via     []string     `json:"via"`
	Actions []ActionHelp `json:"actions"`
}

// ActionHelp is one action with the payload it takes.
type ActionHelp struct {
	Action lifecycle.Action `json:"action"`
	// Payload: field (a path: "client.name", "lines[].quantity") → its
	// type, and "required" where an empty body is refused for lacking it.
	// Empty: the action takes no payload.
	Payload map[string]string `json:"payload"`
	// Signal is the input of the action's signal (and update), for the
	// roles that may send one: the actor, and the payload's top-level
	// fields with their types in place of values.
	Signal map[string]any `json:"signal,omitempty"`
}

// help answers the help query: for the status now, the roles and the
// actions each may do, read from the lifecycle's table through allowed (the
// check every update and signal runs), the ops decisions through opsCheck,
// and the payloads from the flow's registry.
func (c *core) help() (Help, error) {
	h := Help{
		Order: c.ID, Flow: c.table.Name, Status: c.Status, StatusLabel: c.table.Labels[c.Status], Roles: []RoleHelp{},
		HowToSend: map[string]any{
			"api": "POST /v1/orders/" + c.ID + "/actions/{action} with a bearer token of the role; the body is the action's payload (add \"request_id\" to make a retry apply once)",
			"signal": map[string]any{
				"name": "the action",
				"input": map[string]any{
					"actor":   map[string]any{"role": "the role", "sub": "your id"},
					"payload": "the action's payload object (leave it out when the action takes none)",
				},
				"who": "only " + joinRoles(staffSideRoles) + " act by signal; a refused signal is written on the timeline with why",
			},
			"update": "temporal workflow update execute --workflow-id " + c.ID + " --name {action} --input {the signal's input}: it answers, or says why not",
			"ops_resend": map[string]any{
				"name": lifecycle.OpsRetry, "input": actionInput(lifecycle.Ops, map[string]any{"resend": true}),
				"when": "a parked email step whose outcome is unknown, once the provider shows it was not delivered (docs/runbook.md); a plain retry takes no payload",
			},
		},
	}
	if c.Attention != nil {
		h.WaitingForOps = c.Attention.Step
	}
	registry := PayloadsOf(c.table.Name)
	for _, ra := range c.actionsNow() {
		rh := RoleHelp{Role: ra.role, As: ra.as, Via: ra.via, Actions: []ActionHelp{}}
		for _, a := range ra.actions {
			ah := ActionHelp{Action: a, Payload: describePayload(registry, a)}
			if slices.Contains(rh.Via, "signal") {
				ah.Signal = signalInput(ra.role, a, registry, c.Attention)
			}
			rh.Actions = append(rh.Actions, ah)
		}
		h.Roles = append(h.Roles, rh)
	}
	return h, nil
}

// roleActions is what one role may do now, without the payloads: the help
// query's roles, and the order's current details (details.go).
type roleActions struct {
	role    lifecycle.Role
	as      string   // the relations its actions need ("owner"), or empty
	via     []string // how it acts
	actions []lifecycle.Action
}

// actionsNow lists, in the lifecycle's order of roles, each role that may
// act now with its actions: read from the lifecycle's table through allowed
// (the check every update and signal runs), and ops' decisions through
// opsCheck.
func (c *core) actionsNow() []roleActions {
	var out []roleActions
	for _, role := range lifecycle.Roles {
		relations := c.relationsGranted(role)
		actions := c.allowed(Party{Principal: auth.Principal{Role: role}, Relations: relations})
		if role == lifecycle.Ops {
			actions = append(actions, c.opsAllowed()...)
		}
		if len(actions) == 0 {
			continue
		}
		as := make([]string, len(relations))
		for i, r := range relations {
			as[i] = strings.ReplaceAll(string(r), "_", " ")
		}
		out = append(out, roleActions{role: role, as: strings.Join(as, " or "), via: c.waysOf(role), actions: actions})
	}
	return out
}

// relationsGranted are the relations to the order that the rules of the
// status now grant role actions under, in the order of the table's actions.
func (c *core) relationsGranted(role lifecycle.Role) []lifecycle.Relation {
	var out []lifecycle.Relation
	for _, a := range c.table.Actions() {
		rule, ok := c.table.Rule(c.Status, a)
		if !ok {
			continue
		}
		for _, g := range rule.Grants {
			if g.Role == role && g.Relation != lifecycle.AnyHolder && !slices.Contains(out, g.Relation) {
				out = append(out, g.Relation)
			}
		}
	}
	return out
}

// opsAllowed are the ops decisions the order takes now (parked only).
func (c *core) opsAllowed() []lifecycle.Action {
	var out []lifecycle.Action
	for _, a := range lifecycle.OpsActions {
		if c.opsCheck(a, ActionRequest{Actor: auth.Principal{Role: lifecycle.Ops}}) == nil {
			out = append(out, a)
		}
	}
	return out
}

// waysOf is how role's actions reach the order.
func (c *core) waysOf(role lifecycle.Role) []string {
	switch {
	case role == lifecycle.Client:
		return []string{"confirmation link page"}
	case role == lifecycle.System:
		return []string{"payment webhook"}
	case slices.Contains(staffSideRoles, role) || !c.trusted:
		return []string{"api", "signal", "update"}
	}
	return []string{"api"}
}

// actionInput is a signal's (and an update's) input: the actor, and the
// payload when there is one.
func actionInput(role any, payload map[string]any) map[string]any {
	in := map[string]any{"actor": map[string]any{"role": role, "sub": "your id"}}
	if len(payload) > 0 {
		in["payload"] = payload
	}
	return in
}

// signalInput is the input of a's signal sent as role, the payload's
// top-level fields with their types in place of values; ops' retry of an
// email of unknown outcome shows the resend.
func signalInput(role lifecycle.Role, a lifecycle.Action, registry map[lifecycle.Action]func() Payload, parked *Attention) map[string]any {
	if a == lifecycle.OpsRetry && parked != nil && parked.Resendable {
		return actionInput(role, map[string]any{"resend": true}) // only after checking the provider (docs/runbook.md)
	}
	top := map[string]any{}
	for _, f := range payloadFields(registry, a) {
		if !strings.ContainsAny(f.path, ".[") {
			top[f.path] = f.kind
		}
	}
	return actionInput(role, top)
}

// payloadField is one field of a payload: its path and how it is written.
type payloadField struct{ path, kind string }

// PayloadField is one field of an action's payload: its path
// ("reason", "lines[].quantity") and how it is written in JSON
// (", required" when an empty body is refused for lacking it).
type PayloadField struct{ Path, Kind string }

// PayloadFieldsOf lists the fields of action a's payload in flow, in the
// order of its type (what the help query shows; the pages build their
// forms from it); none when a takes no payload.
func PayloadFieldsOf(flow string, a lifecycle.Action) []PayloadField {
	var out []PayloadField
	for _, f := range payloadFields(PayloadsOf(flow), a) {
		out = append(out, PayloadField{f.path, f.kind})
	}
	return out
}

// describePayload is the payload of action a from the flow's registry (or
// the ops actions'): its fields by path and type, "required" where a zero
// body is refused for lacking it (the payload's own Validate says so).
func describePayload(registry map[lifecycle.Action]func() Payload, a lifecycle.Action) map[string]string {
	out := map[string]string{}
	for _, f := range payloadFields(registry, a) {
		out[f.path] = f.kind
	}
	return out
}

// payloadFields are the fields of a's payload, in the order of its type.
func payloadFields(registry map[lifecycle.Action]func() Payload, a lifecycle.Action) []payloadField {
	newPayload, ok := registry[a]
	if !ok {
		newPayload, ok = opsPayloads[a]
	}
	if !ok {
		return nil
	}
	p := newPayload()
	var out []payloadField
	describeFields(reflect.TypeOf(p), "", p.Validate(), &out)
	return out
}

// describeFields adds the JSON fields of t under prefix to out.
func describeFields(t reflect.Type, prefix string, problems map[string]string, out *[]payloadField) {
	t = derefType(t)
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if f.Anonymous && name == "" {
			describeFields(f.Type, prefix, problems, out)
			continue
		}
		if name == "" {
			name = f.Name
		}
		path := prefix + name
		kind := jsonTypeOf(f.Type)
		if _, missing := problems[path]; missing {
			kind += ", required"
		}
		*out = append(*out, payloadField{path, kind})
		switch elem := derefType(f.Type); {
		case elem.Kind() == reflect.Struct && !isDecimal(elem):
			describeFields(elem, path+".", problems, out)
		case elem.Kind() == reflect.Slice && derefType(elem.Elem()).Kind() == reflect.Struct:
			describeFields(derefType(elem.Elem()), path+"[].", problems, out)
		}
	}
}

func derefType(t reflect.Type) reflect.Type {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t
}

// isDecimal: a type that reads itself from JSON (the money types: an
// amount, a rate, a quantity), written as a decimal.
func isDecimal(t reflect.Type) bool {
	return reflect.PointerTo(t).Implements(reflect.TypeFor[json.Unmarshaler]())
}

// jsonTypeOf is how a person writes a value of t in JSON.
func jsonTypeOf(t reflect.Type) string {
	t = derefType(t)
	switch {
	case isDecimal(t):
		return "decimal (a number or a string, e.g. \"12.50\")"
	case t.Kind() == reflect.Struct || t.Kind() == reflect.Map:
		return "object"
	case t.Kind() == reflect.Slice:
		if e := derefType(t.Elem()); e.Kind() == reflect.Struct && !isDecimal(e) {
			return "list of objects"
		}
		return "list of " + jsonTypeOf(t.Elem()) + "s"
	case t.Kind() == reflect.String:
		return "string"
	case t.Kind() == reflect.Bool:
		return "true or false"
	}
	return jsonKindOfType(t)[2:] // "a whole number" → "whole number"
}

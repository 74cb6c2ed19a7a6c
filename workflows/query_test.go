package workflows

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/orderflow/orderflow/internal/auth"
	"github.com/orderflow/orderflow/lifecycle"
)

// The order query refuses rather than answering a blank order, and the help
// query says who may do what now, from the lifecycle's table.

// queryErrAt runs the order query at offset with args as given (none:
// what the Web UI's query tab sends without input) and hands check its error.
func (r *run) queryErrAt(offset time.Duration, check func(error), args ...any) {
	answered := r.requireAnswer(offset, OrderQuery)
	r.env.RegisterDelayedCallback(func() {
		_, err := r.env.QueryWorkflow(OrderQuery, args...)
		*answered = true
		check(err)
	}, offset)
}

func TestTheOrderQueryRefusesWithoutAViewer(t *testing.T) {
	r := newRun(t)
	for _, args := range [][]any{nil, {auth.Principal{}}} {
		r.queryErrAt(minute, func(err error) {
			var qe *QueryError
			if !errors.As(err, &qe) || qe.Code != MissingViewer {
				t.Fatalf("query with %v: %v, want a MissingViewer refusal", args, err)
			}
			if msg := err.Error(); !strings.HasPrefix(msg, "MissingViewer: ") || !strings.Contains(msg, `{"role": "<role>", "sub": "<your id>"}`) ||
				!strings.Contains(msg, "purchasing, finance, ops") || IsNotVisible(err) {
				t.Errorf("the refusal says %q", msg)
			}
		}, args...)
	}
	r.stopAt(hour)
	r.execute(orderInput("prepaid"))
	r.requireStopped()
}

func TestTheOrderQueryRefusesAStranger(t *testing.T) {
	r := newRun(t)
	r.queryErrAt(minute, func(err error) {
		if !IsNotVisible(err) {
			t.Fatalf("a stranger's query: %v, want a NotVisible refusal", err)
		}
		want := `NotVisible: this order is not visible to role customer subject "c-2"; query with {"role": "<role>", "sub": "<your id>"}`
		if msg := err.Error(); !strings.HasPrefix(msg, want) {
			t.Errorf("the refusal says %q, want it to start %q", msg, want)
		}
	}, otherCustomer)
	// The owner and the staff side still read it.
	r.settledViewAt(minute, customer, func(v OrderView) {
		if v.ID != "ord_test" {
			t.Errorf("the owner reads %+v", v)
		}
	})
	r.stopAt(hour)
	r.execute(orderInput("prepaid"))
	r.requireStopped()
}

// helpAt runs the help query at offset (after that instant's work).
func (r *run) helpAt(offset time.Duration, check func(Help)) {
	answered := r.requireAnswer(offset, HelpQuery)
	r.env.RegisterDelayedCallback(func() {
		r.env.RegisterDelayedCallback(func() {
			*answered = true
			res, err := r.env.QueryWorkflow(HelpQuery)
			if err != nil {
				r.t.Fatalf("help: %v", err)
			}
			var h Help
			if err := res.Get(&h); err != nil {
				r.t.Fatal(err)
			}
			check(h)
		}, 0)
	}, offset)
}

// helpActions is role → its actions in h.
func helpActions(h Help) map[lifecycle.Role][]lifecycle.Action {
	out := map[lifecycle.Role][]lifecycle.Action{}
	for _, rh := range h.Roles {
		for _, a := range rh.Actions {
			out[rh.Role] = append(out[rh.Role], a.Action)
		}
	}
	return out
}

func helpAction(h Help, role lifecycle.Role, a lifecycle.Action) (RoleHelp, ActionHelp, bool) {
	for _, rh := range h.Roles {
		if rh.Role != role {
			continue
		}
		for _, ah := range rh.Actions {
			if ah.Action == a {
				return rh, ah, true
			}
		}
	}
	return RoleHelp{}, ActionHelp{}, false
}

func requireHelpActions(t *testing.T, h Help, want map[lifecycle.Role][]lifecycle.Action) {
	t.Helper()
	got := helpActions(h)
	for _, role := range lifecycle.Roles {
		if !slices.Equal(got[role], want[role]) {
			t.Errorf("in %s %s may %v, want %v", h.Status, role, got[role], want[role])
		}
	}
}

func TestHelpOfAMarketplaceOrder(t *testing.T) {
	r := newRun(t)
	// Awaiting payment: the owner or purchasing may cancel, the payment
	// webhook confirms the payment.
	r.helpAt(30*second, func(h Help) {
		if h.Order != "ord_test" || h.Flow != lifecycle.MarketplaceFlow.Name || h.Status != lifecycle.AwaitingPayment || h.StatusLabel != "Awaiting Payment" {
			t.Errorf("help of %+v", h)
		}
		requireHelpActions(t, h, map[lifecycle.Role][]lifecycle.Action{
			lifecycle.Customer:   {lifecycle.Cancel},
			lifecycle.Purchasing: {lifecycle.Cancel},
			lifecycle.System:     {lifecycle.PaymentConfirmed},
		})
		rh, cancel, _ := helpAction(h, lifecycle.Customer, lifecycle.Cancel)
		if rh.As != "owner" || !slices.Equal(rh.Via, []string{"api"}) || cancel.Payload["reason"] != "string, required" || cancel.Signal != nil {
			t.Errorf("the customer's cancel: %+v %+v", rh, cancel)
		}
		rh, cancel, _ = helpAction(h, lifecycle.Purchasing, lifecycle.Cancel)
		if rh.As != "" || !slices.Contains(rh.Via, "signal") || jsonText(cancel.Signal) != `{"actor":{"role":"purchasing","sub":"your id"},"payload":{"reason":"string, required"}}` {
			t.Errorf("purchasing's cancel: %+v %+v", rh, cancel)
		}
		_, pay, _ := helpAction(h, lifecycle.System, lifecycle.PaymentConfirmed)
		if pay.Payload["payment_id"] != "string, required" || !strings.HasPrefix(pay.Payload["amount"], "decimal") {
			t.Errorf("the payment's payload %v", pay.Payload)
		}
		for _, how := range []string{"api", "signal", "update", "ops_resend"} {
			if h.HowToSend[how] == "" {
				t.Errorf("help does not say how to send by %s: %v", how, h.HowToSend)
			}
		}
		if resend := jsonText(h.HowToSend["ops_resend"]); !strings.Contains(resend, `"input":{"actor":{"role":"ops","sub":"your id"},"payload":{"resend":true}}`) {
			t.Errorf("help does not show ops' resend: %s", resend)
		}
	})
	// Pending: the offered suppliers accept or decline; what help lists for
	// a role is what the order allows a party of it (the same check).
	r.script(steps(paidAt1m, releasedAt3m))
	r.helpAt(3*minute+30*second, func(h Help) {
		requireHelpActions(t, h, map[lifecycle.Role][]lifecycle.Action{
			lifecycle.Customer:   {lifecycle.Cancel},
			lifecycle.Purchasing: {lifecycle.Cancel},
			lifecycle.Supplier:   {lifecycle.Accept, lifecycle.Decline},
		})
		rh, decline, _ := helpAction(h, lifecycle.Supplier, lifecycle.Decline)
		if rh.As != "offered supplier" || decline.Payload["reason"] != "string" {
			t.Errorf("the supplier's decline: %+v %+v", rh, decline)
		}
		_, accept, _ := helpAction(h, lifecycle.Supplier, lifecycle.Accept)
		if len(accept.Payload) != 0 {
			t.Errorf("accept takes no payload, help says %v", accept.Payload)
		}
		for _, p := range []auth.Principal{customer, buyer, supplierA} {
			if v := r.query(p); !slices.Equal(v.AllowedActions, helpActions(h)[p.Role]) {
				t.Errorf("%s may %v, help says %v", p.Role, v.AllowedActions, helpActions(h)[p.Role])
			}
		}
	})
	r.stopAt(hour)
	r.execute(orderInput("prepaid"))
	r.requireStopped()
}

func TestHelpOfAMemberOrderInClientConfirmation(t *testing.T) {
	r := newRun(t)
	r.must(hour, lifecycle.Approve, staffS, nil)
	r.helpAt(hour+minute, func(h Help) {
		if h.Status != lifecycle.ClientConfirmation || h.Flow != lifecycle.MemberFlow.Name {
			t.Errorf("help of %+v", h)
		}
		requireHelpActions(t, h, map[lifecycle.Role][]lifecycle.Action{
			lifecycle.Member: {lifecycle.ResendConfirmation, lifecycle.Withdraw},
			lifecycle.Client: {lifecycle.Confirm, lifecycle.Decline},
			lifecycle.Staff:  {lifecycle.ResendConfirmation},
		})
		rh, decline, _ := helpAction(h, lifecycle.Client, lifecycle.Decline)
		if rh.As != "link holder" || !slices.Equal(rh.Via, []string{"confirmation link page"}) || decline.Payload["reason"] != "string" {
			t.Errorf("the client's decline: %+v %+v", rh, decline)
		}
		if rh, _, _ := helpAction(h, lifecycle.Staff, lifecycle.ResendConfirmation); !slices.Contains(rh.Via, "signal") {
			t.Errorf("staff act by signal too: %+v", rh)
		}
	})
	r.stopAt(2 * hour)
	r.executeMember(memberInput())
	r.requireStopped()
}

// A payload's fields are named from its type, nested ones by path.
func TestHelpNamesAPayloadsFields(t *testing.T) {
	edit := describePayload(memberPayloads, lifecycle.Edit)
	for field, want := range map[string]string{
		"title":                    "string, required",
		"client.email":             "string, required",
		"client.company":           "string",
		"lines":                    "list of objects, required",
		"lines[].quantity":         "decimal (a number or a string, e.g. \"12.50\")",
		"schedule[].date":          "string",
		"skip_client_confirmation": "true or false",
	} {
		if got := edit[field]; got != want {
			t.Errorf("edit's %s: %q, want %q (all: %v)", field, got, want, edit)
		}
	}
	if got := describePayload(memberPayloads, lifecycle.RequestChanges); got["entry"] != "whole number, required" || got["comment"] != "string, required" {
		t.Errorf("request_changes: %v", got)
	}
	if got := describePayload(nil, lifecycle.OpsRetry); got["resend"] != "true or false" || len(got) != 1 {
		t.Errorf("retry: %v", got)
	}
}

// A parked order: help lists ops' decisions, with the resend shape for an
// email of unknown outcome (docs/runbook.md).
func TestHelpOfAParkedOrder(t *testing.T) {
	r := newRun(t)
	r.fakes.unknownSends = 1
	r.helpAt(minute, func(h Help) {
		if h.WaitingForOps != parkedLinkEmail {
			t.Errorf("help says the order waits for ops on %q, want %q", h.WaitingForOps, parkedLinkEmail)
		}
		if got := helpActions(h)[lifecycle.Ops]; !slices.Equal(got, []lifecycle.Action{lifecycle.OpsRetry, lifecycle.OpsSkip}) {
			t.Errorf("ops may %v", got)
		}
		_, retry, _ := helpAction(h, lifecycle.Ops, lifecycle.OpsRetry)
		if jsonText(retry.Signal) != `{"actor":{"role":"ops","sub":"your id"},"payload":{"resend":true}}` || retry.Payload["resend"] != "true or false" {
			t.Errorf("ops' retry: %+v", retry)
		}
	})
	r.stopAt(hour)
	r.execute(orderInput("prepaid"))
	r.requireStopped()
}

func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return err.Error()
	}
	return string(b)
}

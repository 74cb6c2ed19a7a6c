package workflows

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	sdkpb "go.temporal.io/api/sdk/v1"

	"github.com/orderflow/orderflow/activities"
	"github.com/orderflow/orderflow/internal/auth"
	"github.com/orderflow/orderflow/lifecycle"
)

// The order's current details (details.go), read as the Web UI reads them:
// through the __temporal_workflow_metadata query, which the test
// environment answers from the same handler as a worker.

// details is the order's current details now.
func (r *run) details() string {
	r.t.Helper()
	res, err := r.env.QueryWorkflow("__temporal_workflow_metadata")
	if err != nil {
		r.t.Fatalf("metadata query: %v", err)
	}
	var md sdkpb.WorkflowMetadata
	if err := res.Get(&md); err != nil {
		r.t.Fatal(err)
	}
	return md.GetCurrentDetails()
}

// help is the help query's answer now.
func (r *run) help() Help {
	r.t.Helper()
	res, err := r.env.QueryWorkflow(HelpQuery)
	if err != nil {
		r.t.Fatalf("help query: %v", err)
	}
	var h Help
	if err := res.Get(&h); err != nil {
		r.t.Fatal(err)
	}
	return h
}

// detailsAt checks the details at offset, once everything due then has
// run, against the order's help and its deadlines (as staff see them),
// and that they say want.
func (r *run) detailsAt(offset time.Duration, want ...string) {
	r.env.RegisterDelayedCallback(func() {
		r.env.RegisterDelayedCallback(func() {
			got := r.details()
			for _, w := range append(r.sameAsHelpAndDeadlines(), want...) {
				if !strings.Contains(got, w) {
					r.t.Errorf("details at +%s lack %q:\n%s", offset, w, got)
				}
			}
		}, 0)
	}, offset)
}

// sameAsHelpAndDeadlines is what the details must say whatever the order:
// its status label, each role's actions as the help query lists them, and
// every running deadline in the order's time zone.
func (r *run) sameAsHelpAndDeadlines() []string {
	h := r.help()
	out := []string{"**" + h.StatusLabel + "**"}
	for _, role := range h.Roles {
		line := "- **" + string(role.Role) + "**"
		if role.As != "" {
			line += " (" + role.As + ")"
		}
		line += " via " + strings.Join(role.Via, ", ") + ": "
		for i, a := range role.Actions {
			if i > 0 {
				line += ", "
			}
			line += "`" + string(a.Action) + "`"
		}
		out = append(out, line+"\n")
	}
	viewer := buyer
	if h.Flow == lifecycle.MemberFlow.Name {
		viewer = staffS
	}
	for _, d := range r.query(viewer).Deadlines {
		out = append(out, fmt.Sprintf(": %s\n", localTime(d.At, brussels)))
	}
	return out
}

func TestCurrentDetailsFollowAMarketplaceOrder(t *testing.T) {
	r := newRun(t)
	min := time.Minute
	r.detailsAt(30*time.Second,
		"**Awaiting Payment** · marketplace order `ord_test`",
		"**Waiting for:** the customer to pay (the payment provider confirms through its webhook), until Tue 24 Nov 2026 10:00 CET (Payment window)",
		"- Payment window: Tue 24 Nov 2026 10:00 CET\n",
		"- **customer** (owner) via api: `cancel`\n",
		"**Links:** [order](http://orderflow.test/v1/orders/ord_test)\n")
	r.must(1*min, lifecycle.PaymentConfirmed, webhook, paid("pay_1"))
	// Screening has no lifecycle deadline: the order waits for purchasing,
	// until nothing, and the steps of that wait are its deadlines.
	r.detailsAt(2*min,
		"**Waiting for:** **purchasing** (`cancel`, `set_margin`)\n",
		"- Reminder to purchasing: release or cancel the order: Tue 24 Nov 2026 10:01 CET\n",
		"- Escalation to staff: release or cancel the order: Wed 25 Nov 2026 10:01 CET\n")
	r.must(3*min, lifecycle.SetMargin, buyer, margin(10))
	r.must(4*min, lifecycle.Release, buyer, nil)
	r.detailsAt(5*min,
		"**Waiting for:** **supplier** (offered supplier) (`accept`, `decline`), until Mon 23 Nov 2026 12:04 CET (Pending window)",
		"- Pending window: Mon 23 Nov 2026 12:04 CET\n- Fulfilment deadline: Tue 24 Nov 2026 10:04 CET\n")
	r.must(6*min, lifecycle.Accept, supplierB, nil)
	r.detailsAt(7*min,
		"**Waiting for:** **supplier** (accepted supplier) (`cannot_fulfil`, `mark_delivered`, `upload_invoice`)\n",
		"- Reminder to the supplier: deliver the order, requested for 2026-12-01, and record it: Thu 3 Dec 2026 00:00 CET\n",
		"[purchase order PO-ord\\_test](http://orderflow.test/v1/orders/ord_test/documents/ord_test-purchase-order)")
	r.must(8*min, lifecycle.MarkDelivered, supplierB, DeliveredPayload{Note: "left at reception"})
	r.must(9*min, lifecycle.UploadInvoice, supplierB, InvoicePayload{Number: "B-77", Amount: 8000})
	r.detailsAt(10*min,
		"**Completed** · marketplace order",
		"**Waiting for:** **customer** (owner) (`request_return`), until Wed 23 Dec 2026 10:09 CET (Return window)")
	r.execute(waitingOrder("prepaid"))

	if err := r.env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	got := r.details()
	for _, want := range []string{"**Completed** · marketplace order `ord_test` (closed)", "**Waiting for:** nobody: the order has ended", "**Who may do what now:** nobody\n"} {
		if !strings.Contains(got, want) {
			t.Errorf("closed order's details lack %q:\n%s", want, got)
		}
	}
}

// Every view says whom the order waits for now: the lifecycle's parties
// for the status that may act now, so a completed order whose return is
// asked for waits for purchasing alone, then for the supplier alone.
func TestTheViewSaysWhomTheOrderWaitsFor(t *testing.T) {
	r := newRun(t)
	min := time.Minute
	waitingAt := func(offset time.Duration, want ...Waiting) {
		r.env.RegisterDelayedCallback(func() {
			r.env.RegisterDelayedCallback(func() {
				for _, viewer := range []auth.Principal{customer, buyer} {
					if got := r.query(viewer).WaitingFor; !slices.Equal(got, want) {
						t.Errorf("at +%s %s reads the order waiting for %+v, want %+v", offset, viewer.Role, got, want)
					}
				}
			}, 0)
		}, offset)
	}
	waitingAt(30*time.Second, Waiting{Role: lifecycle.System, Who: "the customer to pay (the payment provider confirms through its webhook)"})
	r.must(1*min, lifecycle.PaymentConfirmed, webhook, paid("pay_1"))
	waitingAt(2*min, Waiting{Role: lifecycle.Purchasing})
	r.must(3*min, lifecycle.SetMargin, buyer, margin(10))
	r.must(4*min, lifecycle.Release, buyer, nil)
	r.must(6*min, lifecycle.Accept, supplierB, nil)
	r.must(8*min, lifecycle.MarkDelivered, supplierB, DeliveredPayload{Note: "left at reception"})
	r.must(9*min, lifecycle.UploadInvoice, supplierB, InvoicePayload{Number: "B-77", Amount: 8000})
	waitingAt(10*min, Waiting{Role: lifecycle.Customer})
	r.must(11*min, lifecycle.RequestReturn, customer, because("wrong colour"))
	waitingAt(12*min, Waiting{Role: lifecycle.Purchasing})
	r.must(13*min, lifecycle.ApproveReturn, buyer, nil)
	waitingAt(14*min, Waiting{Role: lifecycle.Supplier})
	r.must(15*min, lifecycle.ConfirmResalable, supplierB, nil)
	waitingAt(16 * min) // returned: nobody
	r.execute(waitingOrder("prepaid"))
}

// A parked order says so first: the step, the error, since when, and what
// ops may do (the help query's ops actions).
func TestCurrentDetailsOfAParkedOrder(t *testing.T) {
	r := newRun(t)
	r.fakes.failSends = 1
	r.detailsAt(1*minute,
		"**Waiting for:** **ops**, to retry or skip the parked step (below)",
		"**⚠ Needs ops** since Mon 23 Nov 2026 10:00 CET: step *email payment\\_link to ann@example.com* failed: ",
		"injected refusal",
		"Ops may `retry`, `skip`.",
		"- **ops** via api, signal, update: `retry`, `skip`\n")
	r.must(2*minute, lifecycle.OpsRetry, opsUser, nil)
	r.detailsAt(3*minute, "**Waiting for:** the customer to pay")
	r.stopAt(hour)
	r.execute(orderInput("prepaid"))
	r.requireStopped()
	if got := r.details(); strings.Contains(got, "Needs ops") {
		t.Errorf("details after the retry still say the order is parked:\n%s", got)
	}
}

// A parked email whose outcome is unknown tells ops how to resend it, as
// code: the Web UI's Markdown would curl plain quotes, and ops copy JSON.
func TestCurrentDetailsOfAnEmailOfUnknownOutcome(t *testing.T) {
	r := newRun(t)
	r.fakes.unknownSends = 1
	r.detailsAt(minute, "Ops may `retry`, `skip` (retry with `{\"resend\": true}` once the provider shows the email was not delivered).")
	r.stopAt(hour)
	r.execute(orderInput("prepaid"))
	r.requireStopped()
}

// A member order: the client is waited for on the page of its link; an
// order that waits with no deadline (a draft) has details too.
func TestCurrentDetailsFollowAMemberOrder(t *testing.T) {
	r := newRun(t)
	hour := time.Hour
	r.detailsAt(30*time.Minute,
		"**Smart Confirmation** · member order `ord_member`",
		"**Waiting for:** **staff** (`approve`, `reject`), until Tue 24 Nov 2026 10:00 CET (Smart confirmation target)",
		"- Offer valid until: Mon 30 Nov 2026 23:59 CET\n")
	r.must(1*hour, lifecycle.Approve, staffS, nil)
	r.detailsAt(90*time.Minute,
		"**Waiting for:** **client** (link holder) via confirmation link page (`confirm`, `decline`), until Mon 30 Nov 2026 23:59 CET (Offer valid until)",
		"- Client reminder: Sat 28 Nov 2026 23:59 CET\n")
	r.must(2*hour, lifecycle.Withdraw, memberM, nil)
	r.detailsAt(3*hour,
		"**Draft** · member order",
		"**Waiting for:** **member** (owner) (`discard`, `edit`, `submit`)\n",
		"**Deadlines** (Europe/Brussels): none\n")
	r.stopAt(4 * hour)
	r.executeMember(waitingMember())
	r.requireStopped()
}

// An order started before ChangeLeanEngine (which upserts no attributes in
// flushIndex) shows its details all the same: they are no command.
func TestCurrentDetailsOfAnOrderBeforeTheLeanEngine(t *testing.T) {
	r := newRun(t)
	r.startedBefore()
	r.detailsAt(time.Minute, "**Waiting for:** the customer to pay (the payment provider confirms through its webhook)")
	r.stopAt(hour)
	r.execute(orderInput("prepaid"))
	r.requireStopped()
}

// While a step runs as a regular activity, which may retry for minutes
// over workflow tasks that reach no flushIndex, the details already say
// the decision that queued it (an order before the lean engine runs every
// step so).
func TestCurrentDetailsWhileAStepRunsAsARegularActivity(t *testing.T) {
	r := newRun(t)
	r.startedBefore()
	r.env.OnActivity(acts.RankSuppliers, mock.Anything, mock.Anything).After(10*minute).Return(
		[]activities.SupplierRef{{ID: "sup_a", Name: "Alpha", Email: "alpha@example.com"}}, nil)
	r.must(1*minute, lifecycle.PaymentConfirmed, webhook, paid("pay_1"))
	r.must(2*minute, lifecycle.SetMargin, buyer, margin(10))
	r.must(3*minute, lifecycle.Release, buyer, nil)
	r.env.RegisterDelayedCallback(func() {
		if got := r.details(); !strings.Contains(got, "**Pending** · marketplace order") {
			t.Errorf("details while the suppliers are ranked:\n%s", got)
		}
	}, 5*minute)
	r.stopAt(hour)
	r.execute(orderInput("prepaid"))
	r.requireStopped()
}

func TestMarkdownTextIsLiteral(t *testing.T) {
	if got, want := mdText("refused *x* [y](z) `c`\nnext"), "refused \\*x\\* \\[y\\](z) \\`c\\` next"; got != want {
		t.Errorf("mdText = %q, want %q", got, want)
	}
}

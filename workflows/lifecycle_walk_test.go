package workflows

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/orderflow/orderflow/lifecycle"
)

// Every cell of both lifecycle tables (status × action) walked through the
// real workflow code: a fresh order is brought into the cell's status, the
// rule's guard is satisfied, the action is applied the way the rule says it
// arrives (an update by a party the rule grants it to, the deadline passing
// for a timer, the action that causes it for the order's own), and the
// status the order lands in must be one the rule leads to. The test fails
// for any cell of lifecycle.MarketplaceFlow or lifecycle.MemberFlow nobody
// walked, and for any destination of a rule no walk landed in: a rule added
// to the tables without a walk here fails it.

// walkCell is one cell of a lifecycle table.
type walkCell struct {
	flow   string
	from   lifecycle.Status
	action lifecycle.Action
}

func (c walkCell) String() string { return fmt.Sprintf("%s/%s/%s", c.flow, c.from, c.action) }

// lifecycleWalk brings one order into from, then applies action.
type lifecycleWalk struct {
	from    lifecycle.Status
	action  lifecycle.Action
	variant string // when a cell is walked more than once (one per destination)

	// One of the two: the order the walk starts.
	market func() MarketplaceInput
	member func() MemberInput

	// setup brings the order into from and satisfies the rule's guard; for
	// an action of the order itself (ByOrder) it includes what causes it.
	setup []step
	// act is the action as a person or the webhook applies it (an update);
	// zero for the order's own actions (timers and consequences).
	act step
	// stop cuts the order off at this offset after its start (0: the walk
	// runs until the order ends by itself, or walkStopDefault).
	stop time.Duration
	// detachedChildren: the walk starts child orders (duplicate) that
	// would wait for their member forever.
	detachedChildren bool
}

// walkStopDefault cuts off a walk that set no stop: later than every order
// of these walks ends by itself (a member order's service period, a
// completed marketplace order's return window).
const walkStopDefault = 5000 * hour

// walkUnreachable lists the cells no walk can reach, with the reason. They
// count as accounted for; each must stay a cell of its flow, and none may
// also be walked.
var walkUnreachable = map[walkCell]string{}

// Building blocks of the walks, at fixed times after creation.
var (
	// Marketplace: the first round declined by all three suppliers.
	walkTopDeclined = []step{
		{4 * minute, lifecycle.Decline, supplierA, nil},
		{5 * minute, lifecycle.Decline, supplierB, OptionalReasonPayload{Reason: "fully booked"}},
		{6 * minute, lifecycle.Decline, supplierC, nil},
	}
	walkCompletedAt6m   = steps(paidAt1m, releasedAt3m, acceptedAt4mB, fulfilled(supplierB, 5*minute))
	walkReturnRequested = []step{{10 * minute, lifecycle.RequestReturn, customer, because("wrong colour")}}
	walkReturnApproved  = []step{{20 * minute, lifecycle.ApproveReturn, buyer, nil}}

	// Member: approved by staff, confirmed by the client, the first invoice
	// drafted on 8 December and a change requested on it.
	walkApprovedAt1h     = []step{{hour, lifecycle.Approve, staffS, nil}}
	walkActiveAt2h       = steps(walkApprovedAt1h, []step{{2 * hour, lifecycle.Confirm, clientLink("link_1"), nil}})
	walkChangesAt        = since(2026, 12, 9, 10, 0, 0)
	walkChangesRequested = []step{{walkChangesAt, lifecycle.RequestChanges, memberM, ChangeRequestPayload{Entry: 1, Comment: "please split travel costs"}}}
	walkCancellationAt3h = []step{{3 * hour, lifecycle.RequestCancellation, memberM, CancellationPayload{Reason: "the client cancelled the whole project"}}}
	walkRejectedAt1h     = []step{{hour, lifecycle.Reject, staffS, because("the client is not known to us")}}
)

// The wait for a late delivery begins the day after the requested date
// (orderInput asks for 2026-12-01).
var walkDeliveryWaitSince = time.Date(2026, 12, 2, 0, 0, 0, 0, brussels).Sub(testStart)

func lifecycleWalks() []lifecycleWalk {
	prepaid := func() MarketplaceInput { return orderInput("prepaid") }
	credit := func() MarketplaceInput { return orderInput("credit") }
	prepaidWaits := func() MarketplaceInput { return waitingOrder("prepaid") }
	creditWaits := func() MarketplaceInput { return waitingOrder("credit") }
	longPending := func() MarketplaceInput {
		in := orderInput("prepaid")
		in.Settings.PendingWindow = 48 * hour // the fulfilment deadline comes first
		return in
	}
	submitted := memberInput
	drafted := func() MemberInput { return memberWith(func(in *MemberInput) { in.Submit = false }) }
	skipsClient := func() MemberInput {
		return memberWith(func(in *MemberInput) {
			in.Content.SkipClientConfirmation, in.Content.OfferValidUntil, in.Content.ProofReference = true, "", "contract 2026-17"
		})
	}
	memberWaits := waitingMember
	edited := memberInput().Content
	edited.Title = "Website redesign, phase 2"

	const (
		ap  = lifecycle.AwaitingPayment
		ac  = lifecycle.AwaitingCredit
		scr = lifecycle.Screening
		pen = lifecycle.Pending
		pex = lifecycle.PendingExpiring
		inp = lifecycle.InProgress
		com = lifecycle.Completed
		dra = lifecycle.Draft
		sma = lifecycle.SmartConfirmation
		cli = lifecycle.ClientConfirmation
		acv = lifecycle.Active
		can = lifecycle.CancellationRequested
		rej = lifecycle.Rejected
	)
	return []lifecycleWalk{
		// Marketplace: awaiting payment (prepaid terms).
		{from: ap, action: lifecycle.PaymentConfirmed, market: prepaid, act: paidAt1m[0], stop: 2 * minute},
		{from: ap, action: lifecycle.Cancel, market: prepaid, act: step{minute, lifecycle.Cancel, customer, because("ordered twice")}},
		{from: ap, action: lifecycle.PaymentWindowElapsed, market: prepaid},

		// Awaiting credit (credit terms).
		{from: ac, action: lifecycle.ApproveCredit, market: credit, act: step{minute, lifecycle.ApproveCredit, financeUser, nil}, stop: 2 * minute},
		{from: ac, action: lifecycle.DeclineCredit, market: credit, act: step{minute, lifecycle.DeclineCredit, financeUser, because("no credit history")}, stop: 2 * minute},
		{from: ac, action: lifecycle.Cancel, market: credit, act: step{minute, lifecycle.Cancel, buyer, because("customer called")}},
		{from: ac, action: lifecycle.PaymentWindowElapsed, market: credit},
		{from: ac, action: lifecycle.OwnerTold, market: creditWaits, stop: hour},
		{from: ac, action: lifecycle.OwnerReminded, market: creditWaits},
		{from: ac, action: lifecycle.StaffEscalated, market: creditWaits},

		// Screening (paid at 1m).
		{from: scr, action: lifecycle.SetMargin, market: prepaid, setup: paidAt1m, act: releasedAt3m[0], stop: 3 * minute},
		{from: scr, action: lifecycle.Release, market: prepaid, setup: steps(paidAt1m, releasedAt3m[:1]), act: releasedAt3m[1], stop: 4 * minute},
		{from: scr, action: lifecycle.Cancel, market: prepaid, setup: paidAt1m, act: step{2 * minute, lifecycle.Cancel, customer, because("found it cheaper")}},
		{from: scr, action: lifecycle.OwnerTold, market: prepaidWaits, setup: paidAt1m, stop: 2 * minute},
		{from: scr, action: lifecycle.OwnerReminded, market: prepaidWaits, setup: paidAt1m, stop: 25 * hour},
		{from: scr, action: lifecycle.StaffEscalated, market: prepaidWaits, setup: paidAt1m, stop: 49 * hour},

		// Pending (released at 3m to the top three).
		{from: pen, action: lifecycle.Accept, market: prepaid, setup: steps(paidAt1m, releasedAt3m), act: acceptedAt4mB[0], stop: 5 * minute},
		{from: pen, action: lifecycle.Decline, market: prepaid, setup: steps(paidAt1m, releasedAt3m), act: walkTopDeclined[0], stop: 5 * minute},
		{from: pen, action: lifecycle.Cancel, market: prepaid, setup: steps(paidAt1m, releasedAt3m), act: step{4 * minute, lifecycle.Cancel, buyer, because("customer called")}},
		{from: pen, action: lifecycle.PendingWindowElapsed, market: prepaid, setup: steps(paidAt1m, releasedAt3m), stop: 3 * hour},
		{from: pen, action: lifecycle.FulfilmentDeadline, market: longPending, setup: steps(paidAt1m, releasedAt3m)},
		{from: pen, action: lifecycle.TopSuppliersDeclined, market: prepaid, setup: steps(paidAt1m, releasedAt3m, walkTopDeclined), stop: 7 * minute},

		// Pending expiring (the top three declined by 6m; offered to the next two).
		{from: pex, action: lifecycle.Accept, market: prepaid, setup: steps(paidAt1m, releasedAt3m, walkTopDeclined), act: step{7 * minute, lifecycle.Accept, supplierD, nil}, stop: 8 * minute},
		{from: pex, action: lifecycle.Decline, market: prepaid, setup: steps(paidAt1m, releasedAt3m, walkTopDeclined), act: step{7 * minute, lifecycle.Decline, supplierD, nil}, stop: 8 * minute},
		{from: pex, action: lifecycle.Cancel, market: prepaid, setup: steps(paidAt1m, releasedAt3m, walkTopDeclined), act: step{7 * minute, lifecycle.Cancel, customer, because("too slow")}},
		{from: pex, action: lifecycle.FulfilmentDeadline, market: prepaid, setup: steps(paidAt1m, releasedAt3m, walkTopDeclined)},

		// In progress (accepted by Bravo at 4m).
		{from: inp, action: lifecycle.MarkDelivered, market: prepaid, setup: steps(paidAt1m, releasedAt3m, acceptedAt4mB), act: fulfilled(supplierB, 5*minute)[0], stop: 6 * minute},
		{from: inp, action: lifecycle.UploadInvoice, market: prepaid, setup: steps(paidAt1m, releasedAt3m, acceptedAt4mB), act: invoicedThenDelivered(supplierB, 5*minute)[0], stop: 6 * minute},
		{from: inp, action: lifecycle.DeliveredAndInvoiced, market: prepaid, setup: walkCompletedAt6m, stop: 7 * minute},
		{from: inp, action: lifecycle.CannotFulfil, market: prepaid, setup: steps(paidAt1m, releasedAt3m, acceptedAt4mB), act: step{5 * minute, lifecycle.CannotFulfil, supplierB, because("out of stock")}},
		{from: inp, action: lifecycle.Cancel, market: prepaid, setup: steps(paidAt1m, releasedAt3m, acceptedAt4mB), act: step{5 * minute, lifecycle.Cancel, customer, because("not needed any more")}},
		{from: inp, action: lifecycle.OwnerReminded, market: prepaidWaits, setup: steps(paidAt1m, releasedAt3m, acceptedAt4mB), stop: walkDeliveryWaitSince + 25*hour},
		{from: inp, action: lifecycle.StaffEscalated, market: prepaidWaits, setup: steps(paidAt1m, releasedAt3m, acceptedAt4mB), stop: walkDeliveryWaitSince + 49*hour},

		// Completed (delivered and invoiced by Bravo at 6m).
		{from: com, action: lifecycle.RequestReturn, market: prepaid, setup: walkCompletedAt6m, act: walkReturnRequested[0], stop: 11 * minute},
		{from: com, action: lifecycle.ApproveReturn, market: prepaid, setup: steps(walkCompletedAt6m, walkReturnRequested), act: walkReturnApproved[0], stop: 21 * minute},
		{from: com, action: lifecycle.RejectReturn, market: prepaid, setup: steps(walkCompletedAt6m, walkReturnRequested), act: step{20 * minute, lifecycle.RejectReturn, buyer, because("used")}, stop: 21 * minute},
		{from: com, action: lifecycle.ConfirmResalable, market: prepaid, setup: steps(walkCompletedAt6m, walkReturnRequested, walkReturnApproved), act: step{30 * minute, lifecycle.ConfirmResalable, supplierB, nil}},
		{from: com, action: lifecycle.RejectResalable, market: prepaid, setup: steps(walkCompletedAt6m, walkReturnRequested, walkReturnApproved), act: step{30 * minute, lifecycle.RejectResalable, supplierB, because("opened bags")}, stop: 31 * minute},
		{from: com, action: lifecycle.ReturnWindowElapsed, market: prepaid, setup: walkCompletedAt6m},
		{from: com, action: lifecycle.OwnerTold, market: prepaidWaits, setup: steps(walkCompletedAt6m, walkReturnRequested), stop: 11 * minute},
		{from: com, action: lifecycle.OwnerReminded, market: prepaidWaits, setup: steps(walkCompletedAt6m, walkReturnRequested), stop: 10*minute + 25*hour},
		{from: com, action: lifecycle.StaffEscalated, market: prepaidWaits, setup: steps(walkCompletedAt6m, walkReturnRequested), stop: 10*minute + 49*hour},

		// Member: draft (created without submit).
		{from: dra, action: lifecycle.Edit, member: drafted, act: step{hour, lifecycle.Edit, memberM, EditPayload{edited}}, stop: 2 * hour},
		{from: dra, action: lifecycle.Submit, member: drafted, act: step{hour, lifecycle.Submit, memberM, nil}, stop: 2 * hour},
		{from: dra, action: lifecycle.Discard, member: drafted, act: step{hour, lifecycle.Discard, memberM, nil}},

		// Smart confirmation (submitted at creation).
		{from: sma, action: lifecycle.Approve, variant: "to client confirmation", member: submitted, act: walkApprovedAt1h[0], stop: 2 * hour},
		{from: sma, action: lifecycle.Approve, variant: "skipping client confirmation", member: skipsClient, act: walkApprovedAt1h[0], stop: 2 * hour},
		{from: sma, action: lifecycle.Reject, member: submitted, act: walkRejectedAt1h[0], stop: 2 * hour},
		{from: sma, action: lifecycle.Withdraw, member: submitted, act: step{hour, lifecycle.Withdraw, memberM, nil}, stop: 2 * hour},
		{from: sma, action: lifecycle.OfferExpired, member: submitted, stop: fromStart(offerEnd) + hour},
		{from: sma, action: lifecycle.SLAElapsed, member: submitted, stop: 30 * hour},

		// Client confirmation (approved at 1h; the client holds link_1).
		{from: cli, action: lifecycle.Confirm, member: submitted, setup: walkApprovedAt1h, act: walkActiveAt2h[1], stop: 3 * hour},
		{from: cli, action: lifecycle.Decline, member: submitted, setup: walkApprovedAt1h, act: step{2 * hour, lifecycle.Decline, clientLink("link_1"), OptionalReasonPayload{Reason: "we chose another offer"}}, stop: 3 * hour},
		{from: cli, action: lifecycle.ResendConfirmation, member: submitted, setup: walkApprovedAt1h, act: step{2 * hour, lifecycle.ResendConfirmation, staffS, nil}, stop: 3 * hour},
		{from: cli, action: lifecycle.Withdraw, member: submitted, setup: walkApprovedAt1h, act: step{2 * hour, lifecycle.Withdraw, memberM, nil}, stop: 3 * hour},
		{from: cli, action: lifecycle.OfferExpired, member: submitted, setup: walkApprovedAt1h, stop: fromStart(offerEnd) + hour},
		{from: cli, action: lifecycle.ClientReminded, member: submitted, setup: walkApprovedAt1h, stop: fromStart(offerEnd) - 47*hour},

		// Active (confirmed by the client at 2h).
		{from: acv, action: lifecycle.RequestChanges, member: submitted, setup: walkActiveAt2h, act: walkChangesRequested[0], stop: walkChangesAt + hour},
		{from: acv, action: lifecycle.ResolveChanges, member: submitted, setup: steps(walkActiveAt2h, walkChangesRequested), act: step{walkChangesAt + 24*hour, lifecycle.ResolveChanges, staffS, ResolvePayload{Entry: 1, Note: "travel is on the next invoice"}}, stop: walkChangesAt + 25*hour},
		{from: acv, action: lifecycle.RequestCancellation, member: submitted, setup: walkActiveAt2h, act: walkCancellationAt3h[0], stop: 4 * hour},
		{from: acv, action: lifecycle.InvoiceDrafted, member: submitted, setup: walkActiveAt2h, stop: since(2026, 12, 8, 10, 0, 0)},
		{from: acv, action: lifecycle.InvoiceIssued, member: submitted, setup: walkActiveAt2h, stop: since(2026, 12, 15, 10, 0, 0)},
		{from: acv, action: lifecycle.ServiceCompleted, member: submitted, setup: walkActiveAt2h},
		{from: acv, action: lifecycle.OwnerTold, member: memberWaits, setup: steps(walkActiveAt2h, walkChangesRequested), stop: walkChangesAt + hour},
		{from: acv, action: lifecycle.OwnerReminded, member: memberWaits, setup: steps(walkActiveAt2h, walkChangesRequested), stop: walkChangesAt + 25*hour},
		{from: acv, action: lifecycle.StaffEscalated, member: memberWaits, setup: steps(walkActiveAt2h, walkChangesRequested), stop: walkChangesAt + 49*hour},

		// Cancellation requested (at 3h).
		{from: can, action: lifecycle.ApproveCancellation, member: submitted, setup: steps(walkActiveAt2h, walkCancellationAt3h), act: step{4 * hour, lifecycle.ApproveCancellation, staffS, nil}},
		{from: can, action: lifecycle.DenyCancellation, member: submitted, setup: steps(walkActiveAt2h, walkCancellationAt3h), act: step{4 * hour, lifecycle.DenyCancellation, staffS, because("two invoices are already agreed")}, stop: 5 * hour},
		{from: can, action: lifecycle.WithdrawCancellation, member: submitted, setup: steps(walkActiveAt2h, walkCancellationAt3h), act: step{4 * hour, lifecycle.WithdrawCancellation, memberM, nil}, stop: 5 * hour},
		{from: can, action: lifecycle.OwnerTold, member: memberWaits, setup: steps(walkActiveAt2h, walkCancellationAt3h), stop: 4 * hour},
		{from: can, action: lifecycle.OwnerReminded, member: memberWaits, setup: steps(walkActiveAt2h, walkCancellationAt3h), stop: 28 * hour},
		{from: can, action: lifecycle.StaffEscalated, member: memberWaits, setup: steps(walkActiveAt2h, walkCancellationAt3h), stop: 52 * hour},

		// Rejected (by staff at 1h).
		{from: rej, action: lifecycle.Duplicate, member: submitted, setup: walkRejectedAt1h, act: step{2 * hour, lifecycle.Duplicate, memberM, nil}, stop: 3 * hour, detachedChildren: true},
		{from: rej, action: lifecycle.DuplicateWindowEnded, member: submitted, setup: walkRejectedAt1h},
	}
}

func TestEveryRuleLandsWhereItsRuleSays(t *testing.T) {
	flows := map[string]lifecycle.Flow{lifecycle.MarketplaceFlow.Name: lifecycle.MarketplaceFlow, lifecycle.MemberFlow.Name: lifecycle.MemberFlow}
	walked := map[walkCell]bool{}
	landed := map[walkCell][]lifecycle.Status{}
	for _, w := range lifecycleWalks() {
		f := lifecycle.MemberFlow
		if w.market != nil {
			f = lifecycle.MarketplaceFlow
		}
		c := walkCell{f.Name, w.from, w.action}
		name := c.String()
		if w.variant != "" {
			name += "/" + w.variant
		}
		t.Run(name, func(t *testing.T) {
			to, ok := walkOne(t, f, w)
			if ok {
				walked[c] = true
				landed[c] = append(landed[c], to)
			}
		})
	}

	for cell, why := range walkUnreachable {
		if _, ok := flows[cell.flow].Rule(cell.from, cell.action); !ok {
			t.Errorf("%s is listed as unreachable (%s) but is no cell of its flow", cell, why)
		}
		if walked[cell] {
			t.Errorf("%s is listed as unreachable (%s) but was walked", cell, why)
		}
	}
	// Every cell of both tables walked, and every status a rule may lead
	// to landed in by some walk.
	n := 0
	for _, f := range []lifecycle.Flow{lifecycle.MarketplaceFlow, lifecycle.MemberFlow} {
		for from, rules := range f.Rules {
			for a, rule := range rules {
				n++
				c := walkCell{f.Name, from, a}
				if why, ok := walkUnreachable[c]; ok {
					t.Logf("%s not walked: %s", c, why)
					continue
				}
				if !walked[c] {
					t.Errorf("%s was not walked", c)
					continue
				}
				want := rule.To
				if len(want) == 0 {
					want = []lifecycle.Status{from}
				}
				for _, s := range want {
					if !slices.Contains(landed[c], s) {
						t.Errorf("%s may lead to %s, but no walk landed there (landed in %v)", c, s, landed[c])
					}
				}
			}
		}
	}
	t.Logf("%d cells, %d walked, %d listed as unreachable", n, len(walked), len(walkUnreachable))
}

// walkOne runs one walk and returns the status the order landed in, and
// whether the cell was exercised.
func walkOne(t *testing.T, f lifecycle.Flow, w lifecycleWalk) (lifecycle.Status, bool) {
	rule, ok := f.Rule(w.from, w.action)
	if !ok {
		t.Fatalf("no rule of %s in %s: the walk is stale", w.action, w.from)
	}
	automatic := rule.Trigger == lifecycle.ByTimer || rule.Trigger == lifecycle.ByOrder
	switch {
	case automatic && w.act.action != "":
		t.Fatalf("%s arrives by %s: the walk must cause it, not send it", w.action, rule.Trigger)
	case !automatic && w.act.action != w.action:
		t.Fatalf("%s arrives by a person or the webhook: the walk must send it (it sends %q)", w.action, w.act.action)
	case !automatic && !slices.ContainsFunc(rule.Grants, func(g lifecycle.Grant) bool { return g.Role == w.act.actor.Role }):
		t.Fatalf("%s is sent by %s, a role the rule does not grant it to", w.action, w.act.actor.Role)
	}

	r := newRun(t)
	if w.detachedChildren {
		r.env.SetDetachedChildWait(false)
	}
	r.script(w.setup)
	if !automatic {
		r.must(w.act.at, w.act.action, w.act.actor, w.act.payload)
	}
	stop := w.stop
	if stop == 0 {
		stop = walkStopDefault
	}
	r.stopAt(stop)
	if w.market != nil {
		r.execute(w.market())
	} else {
		r.executeMember(w.member())
	}
	if !r.env.IsWorkflowCompleted() {
		t.Fatal("the workflow did not end")
	}
	if err := r.env.GetWorkflowError(); err != nil && !temporal.IsCanceledError(err) {
		t.Fatalf("the workflow failed: %v", err)
	}

	// Every timer and activity of the walk is named without a word said
	// twice ("Offer valid until until …").
	r.requireNoDoubledWords()

	v := r.query(systemUser)
	i := walkEntry(v, w, automatic)
	if i < 0 {
		t.Fatalf("%s in %s never happened; timeline:\n%s", w.action, w.from, walkTimeline(v))
	}
	e := v.Timeline[i]
	if automatic && (e.ActorRole != lifecycle.System || e.RequestID != "") {
		t.Errorf("%s by %s %s (request %q), want the order itself", w.action, e.ActorRole, e.ActorID, e.RequestID)
	}
	if !rule.Leads(w.from, e.To) || !f.Leads(w.from, w.action, e.To) {
		t.Errorf("%s in %s landed in %s; its rule leads to %v", w.action, w.from, e.To, rule.To)
	}
	// The status the order landed in is the one it went on from.
	if i+1 < len(v.Timeline) {
		if next := v.Timeline[i+1]; next.From != e.To {
			t.Errorf("%s landed in %s, but the next entry (%s) starts from %s", w.action, e.To, next.Action, next.From)
		}
	} else if v.Status != e.To {
		t.Errorf("%s landed in %s, but the order is %s", w.action, e.To, v.Status)
	}
	// What the order waits for where the walk left it is a deadline the
	// lifecycle runs in that status (or a step of a wait for a person).
	for _, d := range v.Deadlines {
		if !isWaitDeadline(d) && !slices.Contains(f.Deadlines[v.Status], d.Name) {
			t.Errorf("after %s the order in %s waits for %q, which the lifecycle does not run in %s (it runs %v)", w.action, v.Status, d.Name, v.Status, f.Deadlines[v.Status])
		}
	}
	return e.To, !t.Failed()
}

// walkEntry finds the timeline entry of the walk's action: the update it
// sent (by its request id), or the last entry of the order's own action in
// the walk's status.
func walkEntry(v OrderView, w lifecycleWalk, automatic bool) int {
	match := func(e TimelineEntry) bool {
		return e.Action == w.action && e.From == w.from && e.Outcome == "applied"
	}
	if !automatic {
		id := updateID(w.act.action, w.act.at, w.act.actor)
		return slices.IndexFunc(v.Timeline, func(e TimelineEntry) bool { return e.RequestID == id && match(e) })
	}
	for i := len(v.Timeline) - 1; i >= 0; i-- {
		if match(v.Timeline[i]) {
			return i
		}
	}
	return -1
}

func walkTimeline(v OrderView) string {
	s := ""
	for _, e := range v.Timeline {
		s += fmt.Sprintf("  %s %s → %s %s by %s (%s)\n", e.At.Format(time.RFC3339), e.From, e.To, e.Action, e.ActorRole, e.Outcome)
	}
	return s + "  now " + string(v.Status)
}

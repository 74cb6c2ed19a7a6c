package workflows

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/orderflow/orderflow/internal/money"
	"github.com/orderflow/orderflow/lifecycle"
)

// Issue 12: the member withdraws an order from client confirmation or a
// cancellation request; a duplicate takes new dates.

// revokedLinks counts RevokeClientLinks per fakes and order.
var revokedLinks sync.Map // *fakes → *revocations

type revocations struct {
	mu     sync.Mutex
	orders []string
}

func (f *fakes) RevokeClientLinks(_ context.Context, orderID string) (int64, error) {
	v, _ := revokedLinks.LoadOrStore(f, &revocations{})
	r := v.(*revocations)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.orders = append(r.orders, orderID)
	return 1, nil
}

func (f *fakes) revocationsOf(orderID string) int {
	v, ok := revokedLinks.Load(f)
	if !ok {
		return 0
	}
	r := v.(*revocations)
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, id := range r.orders {
		if id == orderID {
			n++
		}
	}
	return n
}

func TestMemberWithdrawsFromClientConfirmation(t *testing.T) {
	r := newRun(t)
	hour, minute := time.Hour, time.Minute
	r.must(hour, lifecycle.Approve, staffS, nil)
	r.refused(2*hour-minute, lifecycle.Withdraw, otherMember, nil, NotVisible)
	r.refused(2*hour-minute, lifecycle.Withdraw, staffS, nil, lifecycle.WrongRole) // staff do not withdraw on the member's behalf
	r.must(2*hour, lifecycle.Withdraw, memberM, nil)
	// The client's link no longer counts: the order is not even visible to it.
	r.refused(2*hour+minute, lifecycle.Confirm, clientLink("link_1"), nil, NotVisible)
	r.viewAt(2*hour+2*minute, memberM, func(v OrderView) {
		if v.Status != lifecycle.Draft || v.Member.ConfirmationLink != nil || len(v.Deadlines) != 0 {
			t.Errorf("after withdraw: %s, link %+v, deadlines %v", v.Status, v.Member.ConfirmationLink, v.Deadlines)
		}
	})
	r.must(3*hour, lifecycle.Submit, memberM, nil)
	r.must(4*hour, lifecycle.Approve, staffS, nil)
	r.refused(5*hour-minute, lifecycle.Confirm, clientLink("link_1"), nil, NotVisible) // the old link stays dead
	r.must(5*hour, lifecycle.Confirm, clientLink("link_2"), nil)
	r.stopAt(6 * hour)
	r.executeMember(memberInput())

	r.requireStopped()
	v := r.query(memberM)
	if got := statuses(v); !slices.Equal(got, []lifecycle.Status{lifecycle.Draft, lifecycle.SmartConfirmation, lifecycle.ClientConfirmation, lifecycle.Draft, lifecycle.SmartConfirmation, lifecycle.ClientConfirmation, lifecycle.Active}) {
		t.Errorf("statuses %v", got)
	}
	if w := actionEntries(v, lifecycle.Withdraw); len(w) != 1 || w[0].From != lifecycle.ClientConfirmation || w[0].To != lifecycle.Draft {
		t.Errorf("withdraw entries %+v", w)
	}
	if n := r.fakes.revocationsOf("ord_member"); n != 1 {
		t.Errorf("client links revoked %d times, want once", n)
	}
	if v.Member.ConfirmationLink == nil || v.Member.ConfirmationLink.Round != 2 {
		t.Errorf("the second link: %+v, want round 2", v.Member.ConfirmationLink)
	}
	sent := r.fakes.emailsOf("ord_member")
	if !slices.Contains(sent, "offer_withdrawn#1→"+carl) || !slices.Contains(sent, "confirmation_request#2→"+carl) {
		t.Errorf("emails %v: want the client told of the withdrawal and a second request", sent)
	}
}

// Orders started before change business-rules keep refusing withdraw in
// client confirmation.
func TestMemberWithdrawFromClientConfirmationBeforeTheChange(t *testing.T) {
	r := newRun(t)
	r.startedBefore(ChangeBusinessRules)
	r.must(time.Hour, lifecycle.Approve, staffS, nil)
	r.refused(2*time.Hour, lifecycle.Withdraw, memberM, nil, lifecycle.NotAllowedNow)
	r.stopAt(3 * time.Hour)
	r.executeMember(memberInput())

	r.requireStopped()
	if v := r.query(memberM); v.Status != lifecycle.ClientConfirmation || slices.Contains(v.AllowedActions, lifecycle.Withdraw) {
		t.Errorf("status %s, allowed %v", v.Status, v.AllowedActions)
	}
}

func TestMemberWithdrawsACancellationRequest(t *testing.T) {
	r := newRun(t)
	hour, minute := time.Hour, time.Minute
	in := memberWith(func(in *MemberInput) {
		in.Content.SkipClientConfirmation, in.Content.OfferValidUntil, in.Content.ProofReference = true, "", "contract C-1"
	})
	r.must(hour, lifecycle.Approve, staffS, nil)
	r.must(2*hour, lifecycle.RequestCancellation, memberM, CancellationPayload{Reason: "the client may stop the project next month"})
	r.refused(3*hour-minute, lifecycle.WithdrawCancellation, staffS, nil, lifecycle.WrongRole)
	r.refused(3*hour-minute, lifecycle.WithdrawCancellation, otherMember, nil, NotVisible)
	r.must(3*hour, lifecycle.WithdrawCancellation, memberM, nil)
	r.refused(3*hour+minute, lifecycle.WithdrawCancellation, memberM, nil, lifecycle.NotAllowedNow) // nothing left to withdraw
	r.refused(3*hour+minute, lifecycle.ApproveCancellation, staffS, nil, lifecycle.NotAllowedNow)
	// Invoicing resumes: the first draft is made on its day.
	r.viewAt(since(2026, 12, 8, 9, 0, 1), memberM, func(v OrderView) {
		if v.Status != lifecycle.Active || v.Member.Schedule[0].Status != EntryDrafted {
			t.Errorf("after the withdrawal: %s, entry 1 %s", v.Status, v.Member.Schedule[0].Status)
		}
	})
	r.stopAt(since(2026, 12, 8, 10, 0, 0))
	r.executeMember(in)

	r.requireStopped()
	v := r.query(memberM)
	if got := statuses(v); !slices.Equal(got, []lifecycle.Status{lifecycle.Draft, lifecycle.SmartConfirmation, lifecycle.Active, lifecycle.CancellationRequested, lifecycle.Active}) {
		t.Errorf("statuses %v", got)
	}
	if w := actionEntries(v, lifecycle.WithdrawCancellation); len(w) != 1 || w[0].ActorID != memberM.Subject {
		t.Errorf("withdraw_cancellation entries %+v", w)
	}
}

// A duplicate goes to Smart confirmation with the new dates it was given.
func TestMemberDuplicateTakesNewDates(t *testing.T) {
	r := newRun(t)
	r.env.SetDetachedChildWait(false)
	hour := time.Hour
	r.must(hour, lifecycle.Reject, staffS, ReasonPayload{Reason: "the offer expires too soon"})
	r.refused(2*hour-time.Minute, lifecycle.Duplicate, memberM, DuplicatePayload{ScheduleDates: []string{"2027-01-15"}}, InvalidPayload) // one date for two invoices
	r.must(2*hour, lifecycle.Duplicate, memberM, DuplicatePayload{OfferValidUntil: "2026-12-20", ScheduleDates: []string{"2027-01-15", "2027-02-15"}})
	var child OrderView
	r.viewAt(2*hour+time.Minute, memberM, func(v OrderView) {
		if len(v.Member.Duplicates) == 1 {
			child = r.queryOrder(v.Member.Duplicates[0], memberM)
		}
	})
	r.stopAt(3 * hour)
	r.executeMember(memberInput())

	r.requireStopped()
	if child.Status != lifecycle.SmartConfirmation || child.Member.OfferValidUntil != "2026-12-20" || len(child.Member.Schedule) != 2 ||
		child.Member.Schedule[0].Date != "2027-01-15" || child.Member.Schedule[1].Date != "2027-02-15" {
		t.Fatalf("duplicate: %s, offer %s, schedule %+v", child.Status, child.Member.OfferValidUntil, child.Member.Schedule)
	}
	if got := child.Member.Schedule[0].Lines; len(got) != 1 || got[0].UnitPrice != money.Amount(100000) {
		t.Errorf("the copy's first invoice: %+v", got)
	}
}

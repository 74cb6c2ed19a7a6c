package workflows

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/orderflow/orderflow/internal/auth"
	"github.com/orderflow/orderflow/internal/money"
	"github.com/orderflow/orderflow/lifecycle"
)

// Every path through the member table as a time-skipping run: the status
// sequence, the emails (purpose → recipient, in order), the schedule, the
// invoices and credit notes, the confirmation links and the duplicates.

const (
	mia       = "mia@example.com"
	carl      = "carl@client.test"
	staffMail = "staff@example.com"
)

var (
	otherMember = auth.Principal{Role: lifecycle.Member, Subject: "m-2"}
	systemUser  = auth.Principal{Role: lifecycle.System, Subject: "timers"}
)

// memberWith is memberInput changed by edit.
func memberWith(edit func(*MemberInput)) MemberInput {
	in := memberInput()
	edit(&in)
	return in
}

// monthlyAmount is the amount of each entry of memberInput: 1000.00 excl. VAT.
const monthlyAmount = money.Amount(100000)

// entries makes a schedule of one entry per date, each of monthlyAmount.
func entries(dates ...string) []ScheduleEntry {
	out := make([]ScheduleEntry, len(dates))
	for i, d := range dates {
		out[i] = ScheduleEntry{Date: d, Amount: ptr(monthlyAmount)}
	}
	return out
}

// emailsOf lists "purpose→recipient" of the emails sent for one order, in order.
func (f *fakes) emailsOf(orderID string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, m := range f.sent {
		if m.OrderID == orderID {
			out = append(out, m.Purpose+"→"+m.To.Email)
		}
	}
	return out
}

// requireMemberEmails: exactly these emails went out for the order, in this
// order, and the order lists each of them.
func (r *run) requireMemberEmails(v OrderView, want ...string) {
	r.t.Helper()
	if got := r.fakes.emailsOf(v.ID); !slices.Equal(got, want) {
		r.t.Errorf("emails sent for %s:\n  %v\nwant\n  %v", v.ID, got, want)
	}
	var listed []string
	for _, e := range v.Emails {
		listed = append(listed, e.Purpose+"→"+e.Recipient)
	}
	if !slices.Equal(listed, want) {
		r.t.Errorf("emails on %s:\n  %v\nwant\n  %v", v.ID, listed, want)
	}
}

// seqOf is the timeline sequence number of the nth (from 1) applied action:
// emails that may go out more than once carry it in their purpose.
func seqOf(v OrderView, a lifecycle.Action, nth int) int64 {
	n := 0
	for _, e := range v.Timeline {
		if e.Action == a && e.Outcome == "applied" {
			if n++; n == nth {
				return e.Seq
			}
		}
	}
	return -1
}

func submitted(v OrderView, nth int) string {
	return fmt.Sprintf("order_submitted#%d→%s", seqOf(v, lifecycle.Submit, nth), mia)
}

// entryStatuses lists the status of each schedule entry.
func entryStatuses(v OrderView) []string {
	var out []string
	for _, e := range v.Member.Schedule {
		out = append(out, e.Status)
	}
	return out
}

func repeat(s string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = s
	}
	return out
}

// queryOrder queries another workflow of the environment (a duplicate).
func (r *run) queryOrder(id string, viewer auth.Principal) OrderView {
	r.t.Helper()
	res, err := r.env.QueryWorkflowByID(id, OrderQuery, viewer)
	if IsNotVisible(err) {
		return OrderView{}
	}
	if err != nil {
		r.t.Fatalf("query %s: %v", id, err)
	}
	var v OrderView
	if err := res.Get(&v); err != nil {
		r.t.Fatal(err)
	}
	return v
}

func TestMemberDraftEditSubmit(t *testing.T) {
	r := newRun(t)
	in := memberWith(func(in *MemberInput) { in.Submit = false })
	edited := in.Content
	edited.Title = "Website redesign, phase 2"
	edited.Schedule = entries("2026-12-15", "2027-01-15", "2027-01-29")
	edited.Lines = []money.Line{{Description: "Design and build", Quantity: money.QuantityOf(1), UnitPrice: 3 * monthlyAmount, VATRate: money.Percent(21)}}

	r.refused(30*minute, lifecycle.Approve, staffS, nil, NotVisible) // drafts are not visible to staff
	r.viewAt(30*minute, staffS, func(v OrderView) {
		if v.ID != "" {
			t.Errorf("staff see a draft: %+v", v)
		}
	})
	r.viewAt(30*minute, memberM, func(v OrderView) {
		if v.Status != lifecycle.Draft || !slices.Equal(v.AllowedActions, []lifecycle.Action{lifecycle.Discard, lifecycle.Edit, lifecycle.Submit}) || len(v.Deadlines) != 0 {
			t.Errorf("draft: status %s, member may %v, deadlines %v", v.Status, v.AllowedActions, v.Deadlines)
		}
	})
	broken := edited
	broken.Title = ""
	r.refused(hour, lifecycle.Edit, memberM, EditPayload{broken}, InvalidPayload)
	r.must(hour+minute, lifecycle.Edit, memberM, EditPayload{edited})
	r.refused(hour+2*minute, lifecycle.Edit, otherMember, EditPayload{edited}, NotVisible)
	r.refused(hour+3*minute, lifecycle.Submit, staffS, nil, NotVisible)
	r.must(2*hour, lifecycle.Submit, memberM, nil)
	r.settledViewAt(2*hour, staffS, func(v OrderView) {
		if v.Status != lifecycle.SmartConfirmation || v.Title != edited.Title || len(v.Member.Schedule) != 3 {
			t.Errorf("submitted: %s %q with %d entries", v.Status, v.Title, len(v.Member.Schedule))
		}
		if !slices.Equal(entryStatuses(v), repeat(EntryPlanned, 3)) || v.Member.Schedule[2].Date != "2027-01-29" {
			t.Errorf("schedule %+v", v.Member.Schedule)
		}
		if !slices.Equal(v.AllowedActions, []lifecycle.Action{lifecycle.Approve, lifecycle.Reject}) {
			t.Errorf("staff may %v, want approve and reject", v.AllowedActions)
		}
		r.requireDeadlines(v,
			Deadline{Name: lifecycle.DeadlineOffer, At: time.Date(2026, 11, 30, 23, 59, 59, 0, brussels)},
			Deadline{Name: lifecycle.DeadlineSLA, At: testStart.Add(26 * hour)})
	})
	r.stopAt(3 * hour)
	r.executeMember(in)

	r.requireStopped()
	v := r.query(memberM)
	if got := statuses(v); !slices.Equal(got, []lifecycle.Status{lifecycle.Draft, lifecycle.SmartConfirmation}) {
		t.Errorf("statuses %v", got)
	}
	var actions []lifecycle.Action
	for _, e := range v.Timeline {
		actions = append(actions, e.Action)
	}
	// Refused updates leave no trace; the edit is a note on the draft.
	if !slices.Equal(actions, []lifecycle.Action{"create", lifecycle.Edit, lifecycle.Submit}) {
		t.Errorf("timeline actions %v", actions)
	}
	r.requireMemberEmails(v, submitted(v, 1))
}

func TestMemberDiscardDraft(t *testing.T) {
	r := newRun(t)
	r.must(hour, lifecycle.Discard, memberM, nil)
	r.neverAnswered(2*hour, lifecycle.Submit, memberM, nil)
	r.executeMember(memberWith(func(in *MemberInput) { in.Submit = false }))

	r.requireCompleted()
	v := r.query(memberM)
	if got := statuses(v); !slices.Equal(got, []lifecycle.Status{lifecycle.Draft, lifecycle.Cancelled}) {
		t.Errorf("statuses %v", got)
	}
	last := v.Timeline[len(v.Timeline)-1]
	if last.Action != lifecycle.Discard || last.To != lifecycle.Cancelled || last.ActorRole != lifecycle.Member || last.Reason == "" || !last.At.Equal(testStart.Add(hour)) {
		t.Errorf("last entry %+v, want the member's discard with its reason", last)
	}
	r.requireMemberEmails(v)
	if len(v.AllowedActions) != 0 || len(v.Deadlines) != 0 {
		t.Errorf("a discarded order allows %v, waits for %v", v.AllowedActions, v.Deadlines)
	}
}

func TestMemberWithdrawAndSubmitAgain(t *testing.T) {
	r := newRun(t)
	r.refused(30*minute, lifecycle.Withdraw, staffS, nil, lifecycle.WrongRole)
	r.refused(30*minute, lifecycle.Withdraw, otherMember, nil, NotVisible)
	r.must(hour, lifecycle.Withdraw, memberM, nil)
	r.refused(hour+minute, lifecycle.Approve, staffS, nil, NotVisible) // a draft again: hidden from staff
	r.settledViewAt(hour+minute, memberM, func(v OrderView) {
		if v.Status != lifecycle.Draft || len(v.Deadlines) != 0 {
			t.Errorf("withdrawn: %s waiting for %v", v.Status, v.Deadlines)
		}
	})
	r.must(2*hour, lifecycle.Submit, memberM, nil)
	// The Smart confirmation target counts from the second submission.
	r.settledViewAt(2*hour, staffS, func(v OrderView) {
		r.requireDeadlines(v,
			Deadline{Name: lifecycle.DeadlineOffer, At: time.Date(2026, 11, 30, 23, 59, 59, 0, brussels)},
			Deadline{Name: lifecycle.DeadlineSLA, At: testStart.Add(26 * hour)})
	})
	r.must(3*hour, lifecycle.Approve, staffS, nil)
	r.stopAt(4 * hour)
	r.executeMember(memberInput())

	r.requireStopped()
	v := r.query(memberM)
	if got := statuses(v); !slices.Equal(got, []lifecycle.Status{lifecycle.Draft, lifecycle.SmartConfirmation, lifecycle.Draft, lifecycle.SmartConfirmation, lifecycle.ClientConfirmation}) {
		t.Errorf("statuses %v", got)
	}
	r.requireMemberEmails(v, submitted(v, 1), submitted(v, 2), "order_approved→"+mia, "confirmation_request#1→"+carl)
	r.requireNoEntry(v, lifecycle.SLAElapsed)
}

func TestMemberRejectAndDuplicate(t *testing.T) {
	r := newRun(t)
	r.env.SetDetachedChildWait(false) // a duplicate kept in draft waits for its member forever
	const rejectedAt = hour
	windowEnds := rejectedAt + 720*hour
	r.refused(30*minute, lifecycle.Reject, staffS, nil, InvalidPayload) // a reason is required
	r.refused(30*minute, lifecycle.Reject, memberM, because("no"), lifecycle.WrongRole)
	r.must(rejectedAt, lifecycle.Reject, staffS, because("the client is not known to us"))
	r.settledViewAt(rejectedAt, memberM, func(v OrderView) {
		if v.Status != lifecycle.Rejected || !slices.Equal(v.AllowedActions, []lifecycle.Action{lifecycle.Duplicate}) {
			t.Errorf("rejected: %s, member may %v", v.Status, v.AllowedActions)
		}
		// Planned drafts of a rejected order are cancelled (decision).
		if !slices.Equal(entryStatuses(v), repeat(EntryCancelled, 2)) {
			t.Errorf("entries of a rejected order: %v", entryStatuses(v))
		}
		r.requireDeadlines(v, Deadline{Name: lifecycle.DeadlineDuplicate, At: testStart.Add(windowEnds)})
	})
	r.refused(2*hour-minute, lifecycle.Duplicate, otherMember, nil, NotVisible)
	r.refused(2*hour-minute, lifecycle.Duplicate, staffS, nil, lifecycle.WrongRole)
	r.must(2*hour, lifecycle.Duplicate, memberM, nil)
	r.must(3*hour, lifecycle.Duplicate, memberM, DuplicatePayload{ToDraft: true})

	var parent OrderView
	children := map[string]OrderView{}
	childMails := map[string][]string{}
	// A minute later: the duplicates are started by the workflow's side effects.
	r.viewAt(3*hour+minute, memberM, func(v OrderView) {
		parent = v
		for _, id := range v.Member.Duplicates {
			children[id] = r.queryOrder(id, memberM)
			childMails[id] = r.fakes.emailsOf(id)
		}
	})
	r.neverAnswered(windowEnds+second, lifecycle.Duplicate, memberM, nil)
	in := memberInput()
	r.executeMember(in)

	r.requireCompleted()
	v := r.query(memberM)
	if got := statuses(v); !slices.Equal(got, []lifecycle.Status{lifecycle.Draft, lifecycle.SmartConfirmation, lifecycle.Rejected}) {
		t.Errorf("statuses %v", got)
	}
	if !v.Closed || len(v.Deadlines) != 0 {
		t.Errorf("after the duplicate window: closed %v, deadlines %v", v.Closed, v.Deadlines)
	}
	r.requireElapsedAt(v, lifecycle.DuplicateWindowEnded, lifecycle.Rejected, lifecycle.Rejected, testStart.Add(windowEnds))
	if rej := actionEntries(v, lifecycle.Reject); len(rej) != 1 || rej[0].Reason != "the client is not known to us" {
		t.Errorf("reject entries %+v", rej)
	}
	// Nothing of the schedule happened while the window was open, though
	// the first draft date (8 December) fell inside it.
	if len(v.Documents) != 0 || !slices.Equal(entryStatuses(v), repeat(EntryCancelled, 2)) {
		t.Errorf("a rejected order has documents %v, entries %v", v.Documents, entryStatuses(v))
	}
	r.requireMemberEmails(v, submitted(v, 1), "order_rejected→"+mia)

	if len(parent.Member.Duplicates) != 2 || !slices.Equal(parent.Member.Duplicates, v.Member.Duplicates) {
		t.Fatalf("duplicates %v, then %v; want two", parent.Member.Duplicates, v.Member.Duplicates)
	}
	if parent.Member.Duplicates[0] == parent.Member.Duplicates[1] {
		t.Fatalf("both duplicates have the id %s", parent.Member.Duplicates[0])
	}
	for i, want := range []lifecycle.Status{lifecycle.SmartConfirmation, lifecycle.Draft} {
		id := parent.Member.Duplicates[i]
		child, ok := children[id]
		if !ok || child.ID != id {
			t.Fatalf("duplicate %s not found: %+v", id, child)
		}
		if child.Status != want || child.Member.DuplicatedFrom != in.OrderID || child.Owner != in.MemberID {
			t.Errorf("duplicate %d: status %s from %q owner %s, want %s from %s", i+1, child.Status, child.Member.DuplicatedFrom, child.Owner, want, in.OrderID)
		}
		if child.Title != in.Content.Title || child.Member.Client != in.Content.Client ||
			!slices.Equal(child.Member.Lines, in.Content.Lines) || child.Member.OfferValidUntil != in.Content.OfferValidUntil ||
			child.Member.ServicePeriod != in.Content.ServicePeriod || len(child.Member.Schedule) != len(in.Content.Schedule) {
			t.Errorf("duplicate %d does not have the same content: %+v", i+1, child.Member)
		}
		for j, e := range child.Member.Schedule {
			if e.Date != in.Content.Schedule[j].Date || e.Status != EntryPlanned {
				t.Errorf("duplicate %d entry %d: %+v", i+1, j+1, e)
			}
		}
		if first := child.Timeline[0]; first.Action != "create" || first.Reason != "duplicate of "+in.OrderID {
			t.Errorf("duplicate %d starts with %+v", i+1, first)
		}
		// The duplicate's own emails, not the parent's.
		var wantMails []string
		if want == lifecycle.SmartConfirmation {
			wantMails = []string{submitted(child, 1)}
		}
		if got := childMails[id]; !slices.Equal(got, wantMails) {
			t.Errorf("duplicate %d emails %v, want %v", i+1, got, wantMails)
		}
	}
	if notes := actionEntries(v, lifecycle.Duplicate); len(notes) != 2 || !strings.Contains(notes[0].Reason, parent.Member.Duplicates[0]) {
		t.Errorf("duplicate notes %+v", notes)
	}
}

func TestMemberApproveSkippingClientConfirmation(t *testing.T) {
	for _, tc := range []struct {
		name, proof string
		guarantee   bool
	}{
		{"without proof", "", false},
		{"with proof", "contract 2026-17 signed 3 Nov", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRun(t)
			r.must(hour, lifecycle.Approve, staffS, nil)
			r.settledViewAt(hour, memberM, func(v OrderView) {
				if v.Status != lifecycle.Active || v.Member.PaymentGuarantee != tc.guarantee || v.Member.ConfirmationLink != nil {
					t.Errorf("approved: %s, guarantee %v, link %+v; want active, guarantee %v, no link",
						v.Status, v.Member.PaymentGuarantee, v.Member.ConfirmationLink, tc.guarantee)
				}
				r.requireDeadlines(v,
					Deadline{Name: lifecycle.DeadlineDraft, At: time.Date(2026, 12, 8, 9, 0, 0, 0, brussels)},
					Deadline{Name: lifecycle.DeadlineDraft, At: time.Date(2027, 1, 8, 9, 0, 0, 0, brussels)})
			})
			r.stopAt(2 * hour)
			r.executeMember(memberWith(func(in *MemberInput) {
				in.Content.SkipClientConfirmation, in.Content.OfferValidUntil, in.Content.ProofReference = true, "", tc.proof
			}))

			r.requireStopped()
			v := r.query(memberM)
			if got := statuses(v); !slices.Equal(got, []lifecycle.Status{lifecycle.Draft, lifecycle.SmartConfirmation, lifecycle.Active}) {
				t.Errorf("statuses %v", got)
			}
			r.requireMemberEmails(v, submitted(v, 1), "order_approved→"+mia)
			approved := r.fakes.message("order_approved", mia)
			if mentions := strings.Contains(approved, "not covered by the payment guarantee"); mentions == tc.guarantee {
				t.Errorf("approval email mentions the missing guarantee: %v, guarantee %v:\n%s", mentions, tc.guarantee, approved)
			}
		})
	}
}

// message is the text of the email of purpose to recipient.
func (f *fakes) message(purpose, to string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, m := range f.sent {
		if m.Purpose == purpose && m.To.Email == to {
			return m.Text
		}
	}
	return ""
}

func TestMemberClientDeclines(t *testing.T) {
	r := newRun(t)
	r.must(hour, lifecycle.Approve, staffS, nil)
	r.refused(2*hour-minute, lifecycle.Decline, clientLink("link_9"), nil, NotVisible)
	r.refused(2*hour-minute, lifecycle.Confirm, staffS, nil, lifecycle.WrongRole)
	r.refused(2*hour-minute, lifecycle.Decline, memberM, nil, lifecycle.WrongRole)
	r.must(2*hour, lifecycle.Decline, clientLink("link_1"), OptionalReasonPayload{Reason: "we chose another offer"})
	r.settledViewAt(2*hour, memberM, func(v OrderView) {
		if v.Status != lifecycle.Rejected || v.Member.PaymentGuarantee || !slices.Equal(entryStatuses(v), repeat(EntryCancelled, 2)) {
			t.Errorf("declined: %s guarantee %v entries %v", v.Status, v.Member.PaymentGuarantee, entryStatuses(v))
		}
	})
	r.stopAt(3 * hour)
	r.executeMember(memberInput())

	r.requireStopped()
	v := r.query(memberM)
	if got := statuses(v); !slices.Equal(got, []lifecycle.Status{lifecycle.Draft, lifecycle.SmartConfirmation, lifecycle.ClientConfirmation, lifecycle.Rejected}) {
		t.Errorf("statuses %v", got)
	}
	if d := actionEntries(v, lifecycle.Decline); len(d) != 1 || d[0].ActorRole != lifecycle.Client || d[0].ActorID != "link:link_1" || d[0].Reason != "we chose another offer" {
		t.Errorf("decline entry %+v", d)
	}
	r.requireMemberEmails(v, submitted(v, 1), "order_approved→"+mia, "confirmation_request#1→"+carl, "client_declined→"+mia)
	if text := r.fakes.message("client_declined", mia); !strings.Contains(text, "we chose another offer") {
		t.Errorf("the member is not told why:\n%s", text)
	}
}

func TestMemberResendConfirmation(t *testing.T) {
	r := newRun(t)
	r.must(hour, lifecycle.Approve, staffS, nil)
	// Views a minute after an action: the link is made by a side effect.
	r.viewAt(hour+minute, memberM, func(v OrderView) {
		if l := v.Member.ConfirmationLink; l == nil || l.ID != "link_1" || l.Round != 1 {
			t.Errorf("first link %+v", l)
		}
	})
	r.refused(2*hour-minute, lifecycle.ResendConfirmation, clientLink("link_1"), nil, lifecycle.WrongRole)
	r.must(2*hour, lifecycle.ResendConfirmation, memberM, nil)
	r.viewAt(2*hour+minute, memberM, func(v OrderView) {
		if l := v.Member.ConfirmationLink; l == nil || l.ID != "link_2" || l.Round != 2 {
			t.Errorf("second link %+v", l)
		}
		// Only the email holds the link itself.
		if text := r.fakes.message("confirmation_request#2", carl); !strings.Contains(text, "http://orderflow.test/c/tok_2") {
			t.Errorf("the second confirmation email does not carry the new link:\n%s", text)
		}
	})
	// The client sees the order through the new link, never the link itself.
	r.viewAt(2*hour+minute, clientLink("link_2"), func(v OrderView) {
		if v.ID == "" || v.Member == nil || v.Member.ConfirmationLink != nil || !slices.Equal(v.AllowedActions, []lifecycle.Action{lifecycle.Confirm, lifecycle.Decline}) {
			t.Errorf("the client's view: id %q link %+v may %v", v.ID, v.Member.ConfirmationLink, v.AllowedActions)
		}
	})
	r.viewAt(2*hour+minute, clientLink("link_1"), func(v OrderView) {
		if v.ID != "" {
			t.Errorf("the retired link still shows the order: %+v", v)
		}
	})
	r.refused(3*hour, lifecycle.Confirm, clientLink("link_1"), nil, NotVisible)
	r.must(4*hour, lifecycle.Confirm, clientLink("link_2"), nil)
	r.stopAt(5 * hour)
	r.executeMember(memberInput())

	r.requireStopped()
	v := r.query(memberM)
	if got := statuses(v); !slices.Equal(got, []lifecycle.Status{lifecycle.Draft, lifecycle.SmartConfirmation, lifecycle.ClientConfirmation, lifecycle.Active}) {
		t.Errorf("statuses %v", got)
	}
	if !v.Member.PaymentGuarantee {
		t.Error("a client-confirmed order has no payment guarantee")
	}
	r.requireMemberEmails(v, submitted(v, 1), "order_approved→"+mia, "confirmation_request#1→"+carl,
		"confirmation_request#2→"+carl, "member_order_confirmed→"+mia, "member_order_confirmed→"+carl)
	if text := r.fakes.message("confirmation_request#2", carl); !strings.Contains(text, "http://orderflow.test/c/tok_2") {
		t.Errorf("the second request does not carry the new link:\n%s", text)
	}
}

// A cancellation request holds invoicing; denied, the order goes back to
// active and catches up: a drafted entry whose date passed is issued at
// once, a held one as soon as staff resolve it.
func TestMemberCancellationDenied(t *testing.T) {
	r := newRun(t)
	in := memberWith(func(in *MemberInput) {
		in.Content.Schedule = entries("2026-12-15", "2026-12-16")
		in.Content.ServicePeriod = Period{Start: "2026-12-01", End: "2026-12-20"}
	})
	reason := CancellationPayload{Reason: "the client cancelled the whole project"}
	r.must(hour, lifecycle.Approve, staffS, nil)
	r.must(2*hour, lifecycle.Confirm, clientLink("link_1"), nil)
	r.must(since(2026, 12, 9, 10, 0, 0), lifecycle.RequestChanges, memberM, ChangeRequestPayload{Entry: 1, Comment: "wrong rate"})
	r.refused(since(2026, 12, 10, 9, 0, 0), lifecycle.RequestCancellation, memberM, CancellationPayload{Reason: "no longer needed"}, InvalidPayload)
	r.refused(since(2026, 12, 10, 9, 0, 0), lifecycle.RequestCancellation, staffS, reason, lifecycle.WrongRole)
	r.must(since(2026, 12, 10, 10, 0, 0), lifecycle.RequestCancellation, memberM, reason)
	r.refused(since(2026, 12, 11, 10, 0, 0), lifecycle.ResolveChanges, staffS, ResolvePayload{Entry: 1}, lifecycle.NotAllowedNow)
	r.refused(since(2026, 12, 11, 10, 0, 0), lifecycle.DenyCancellation, staffS, nil, InvalidPayload)
	// Past both dates, nothing was issued: invoicing is held.
	r.settledViewAt(since(2026, 12, 17, 9, 59, 59), memberM, func(v OrderView) {
		if v.Status != lifecycle.CancellationRequested || !slices.Equal(entryStatuses(v), []string{EntryHeld, EntryDrafted}) || len(v.Deadlines) != 0 {
			t.Errorf("while cancellation is requested: %s entries %v deadlines %v", v.Status, entryStatuses(v), v.Deadlines)
		}
	})
	r.must(since(2026, 12, 17, 10, 0, 0), lifecycle.DenyCancellation, staffS, because("two invoices are already agreed"))
	// Views a minute after an action: invoices are issued by side effects.
	r.viewAt(since(2026, 12, 17, 10, 1, 0), memberM, func(v OrderView) {
		e := v.Member.Schedule
		if v.Status != lifecycle.Active || e[0].Status != EntryHeld || e[1].Status != EntryIssued || e[1].Invoice == nil || e[1].Invoice.Number != "INV-2026-0001" {
			t.Errorf("after the denial: %s %+v", v.Status, e)
		}
	})
	r.must(since(2026, 12, 18, 10, 0, 0), lifecycle.ResolveChanges, staffS, ResolvePayload{Entry: 1, Note: "rate is right"})
	// Resolved past its date, it still gets the minimum review (issue 12).
	r.viewAt(since(2026, 12, 18, 10, 1, 0), memberM, func(v OrderView) {
		e := v.Member.Schedule[0]
		if e.Status != EntryDrafted || e.DraftVersion != 1 {
			t.Errorf("entry 1 after its resolution: %+v", e)
		}
		r.requireDeadlines(v, Deadline{Name: lifecycle.DeadlineIssue, Entry: 1, At: time.Date(2026, 12, 20, 10, 0, 0, 0, brussels)})
	})
	r.viewAt(since(2026, 12, 20, 10, 1, 0), memberM, func(v OrderView) {
		e := v.Member.Schedule[0]
		if e.Status != EntryIssued || e.Invoice == nil || e.Invoice.Number != "INV-2026-0002" || e.DraftVersion != 1 {
			t.Errorf("entry 1 after the minimum review: %+v", e)
		}
	})
	r.executeMember(in)

	r.requireCompleted()
	v := r.query(memberM)
	if got := statuses(v); !slices.Equal(got, []lifecycle.Status{lifecycle.Draft, lifecycle.SmartConfirmation, lifecycle.ClientConfirmation, lifecycle.Active, lifecycle.CancellationRequested, lifecycle.Active, lifecycle.Completed}) {
		t.Errorf("statuses %v", got)
	}
	issued := actionEntries(v, lifecycle.InvoiceIssued)
	if len(issued) != 2 || !issued[0].At.Equal(time.Date(2026, 12, 17, 10, 0, 0, 0, brussels)) || !issued[1].At.Equal(time.Date(2026, 12, 20, 10, 0, 0, 0, brussels)) {
		t.Errorf("issued %+v, want entry 2 at the denial and entry 1 the minimum review after its resolution", issued)
	}
	if deny := actionEntries(v, lifecycle.DenyCancellation); len(deny) != 1 || deny[0].Reason != "two invoices are already agreed" {
		t.Errorf("deny entry %+v", deny)
	}
	// Completed when the service period ended, after the last invoice.
	if at, _ := enteredAt(v, lifecycle.Completed); !at.Equal(time.Date(2026, 12, 21, 0, 0, 0, 0, brussels)) {
		t.Errorf("completed at %s", at)
	}
	r.requireMemberEmails(v, submitted(v, 1), "order_approved→"+mia, "confirmation_request#1→"+carl,
		"member_order_confirmed→"+mia, "member_order_confirmed→"+carl,
		"invoice_draft_ready#1.1→"+mia, "invoice_draft_ready#2.1→"+mia,
		fmt.Sprintf("cancellation_denied#%d→%s", seqOf(v, lifecycle.DenyCancellation, 1), mia),
		"invoice_issued#2→"+carl, "invoice_issued#1→"+carl, "member_order_completed→"+mia)
	if got := r.fakes.invoiceNumbers(); !slices.Equal(got, []string{"INV-2026-0001", "INV-2026-0002"}) {
		t.Errorf("invoices %v", got)
	}
}

// Approved, the order is cancelled: the planned entry with it, the issued
// one credited by a credit note numbered in its own series.
func TestMemberCancellationApproved(t *testing.T) {
	r := newRun(t)
	reason := CancellationPayload{Reason: "the client cancelled the whole project"}
	r.must(hour, lifecycle.Approve, staffS, nil)
	r.must(2*hour, lifecycle.Confirm, clientLink("link_1"), nil)
	r.must(since(2026, 12, 20, 10, 0, 0), lifecycle.RequestCancellation, memberM, reason)
	r.refused(since(2026, 12, 21, 9, 0, 0), lifecycle.ApproveCancellation, memberM, nil, lifecycle.WrongRole)
	r.must(since(2026, 12, 21, 10, 0, 0), lifecycle.ApproveCancellation, staffS, nil)
	r.neverAnswered(since(2026, 12, 22, 10, 0, 0), lifecycle.RequestCancellation, memberM, reason)
	r.executeMember(memberInput())

	r.requireCompleted()
	v := r.query(memberM)
	if got := statuses(v); !slices.Equal(got, []lifecycle.Status{lifecycle.Draft, lifecycle.SmartConfirmation, lifecycle.ClientConfirmation, lifecycle.Active, lifecycle.CancellationRequested, lifecycle.Cancelled}) {
		t.Errorf("statuses %v", got)
	}
	first, second := v.Member.Schedule[0], v.Member.Schedule[1]
	if first.Status != EntryIssued || first.Invoice == nil || first.CreditNote == nil || first.CreditNote.Number != "CN-2026-0001" {
		t.Fatalf("entry 1 %+v, want issued and credited by CN-2026-0001", first)
	}
	if first.CreditNote.Gross != -first.Invoice.Gross || first.Invoice.Gross != 121000 {
		t.Errorf("credit note of %s for an invoice of %s", first.CreditNote.Gross, first.Invoice.Gross)
	}
	if second.Status != EntryCancelled || second.Invoice != nil || second.CreditNote != nil {
		t.Errorf("entry 2 %+v, want cancelled", second)
	}
	if got := r.fakes.invoiceNumbers(); !slices.Equal(got, []string{"CN-2026-0001", "INV-2026-0001"}) {
		t.Errorf("numbers %v", got)
	}
	doc, ok := r.fakes.docs()[first.CreditNote.Document]
	if !ok || doc.Kind != "credit_note" || doc.Number != "CN-2026-0001" || len(doc.Content) == 0 {
		t.Errorf("credit note document %+v", doc.Number)
	}
	r.requireMemberEmails(v, submitted(v, 1), "order_approved→"+mia, "confirmation_request#1→"+carl,
		"member_order_confirmed→"+mia, "member_order_confirmed→"+carl,
		"invoice_draft_ready#1.1→"+mia, "invoice_issued#1→"+carl,
		"cancellation_approved→"+mia, "cancellation_approved→"+carl)
	if text := r.fakes.message("cancellation_approved", carl); !strings.Contains(text, "CN-2026-0001") {
		t.Errorf("the client is not told the credit note number:\n%s", text)
	}
}

// Nothing issued yet: the cancellation cancels everything, and the member
// and the client hear of it (issue 12; before change trusted-actions only
// the member did).
func TestMemberCancellationApprovedBeforeAnyInvoice(t *testing.T) {
	for _, before := range []bool{false, true} {
		t.Run(map[bool]string{false: "after the change", true: "before the change"}[before], func(t *testing.T) {
			memberCancellationApprovedBeforeAnyInvoice(t, before)
		})
	}
}

func memberCancellationApprovedBeforeAnyInvoice(t *testing.T, before bool) {
	r := newRun(t)
	if before {
		r.startedBefore(ChangeTrustedActions)
	}
	r.must(hour, lifecycle.Approve, staffS, nil)
	r.must(2*hour, lifecycle.Confirm, clientLink("link_1"), nil)
	r.must(3*hour, lifecycle.RequestCancellation, memberM, CancellationPayload{Reason: "the client cancelled the whole project"})
	r.must(4*hour, lifecycle.ApproveCancellation, staffS, nil)
	r.executeMember(memberInput())

	r.requireCompleted()
	v := r.query(memberM)
	if !slices.Equal(entryStatuses(v), repeat(EntryCancelled, 2)) || len(r.fakes.invoiceNumbers()) != 0 {
		t.Errorf("entries %v, numbers %v", entryStatuses(v), r.fakes.invoiceNumbers())
	}
	want := []string{submitted(v, 1), "order_approved→" + mia, "confirmation_request#1→" + carl,
		"member_order_confirmed→" + mia, "member_order_confirmed→" + carl, "cancellation_approved→" + mia}
	if !before {
		want = append(want, "cancellation_approved→"+carl)
	}
	r.requireMemberEmails(v, want...)
	if text := r.fakes.message("cancellation_approved", carl); !before && !strings.Contains(text, "will not be issued") {
		t.Errorf("the client is not told the planned invoices are off:\n%s", text)
	}
}

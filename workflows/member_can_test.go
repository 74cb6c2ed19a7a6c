package workflows

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/orderflow/orderflow/lifecycle"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/workflow"
)

// A two-year monthly schedule outlives one workflow history: when Temporal
// suggests it, the order continues as new with its whole state, and the
// next run carries on as if nothing happened.

// monthlyDates are the 15th of count months from December 2026 on.
func monthlyDates(count int) []string {
	out := make([]string, count)
	for i := range out {
		out[i] = time.Date(2026, time.December+time.Month(i), 15, 0, 0, 0, 0, time.UTC).Format(dateLayout)
	}
	return out
}

// offsetOf is the offset of instant from the run's start.
func (r *run) offsetOf(instant time.Time) time.Duration { return instant.Sub(r.start) }

func TestMemberContinuesAsNewWithItsWholeState(t *testing.T) {
	in := memberWith(func(in *MemberInput) {
		in.Content.Schedule = entries(monthlyDates(24)...)
		in.Content.ServicePeriod = Period{Start: "2026-12-01", End: "2028-11-30"}
	})
	continuedAt := brusselsTime(2027, 10, 9, 10, 0, 0) // entries 1-10 issued, 11 drafted the day before
	resolution := ActionRequest{Actor: staffS, RequestID: "sig-resolve-11",
		Payload: rawPayload(ResolvePayload{Entry: 11, Note: "travel is in the lines"})}

	first := newRun(t)
	first.activeAt2h()
	first.must(first.offsetOf(continuedAt.Add(-time.Minute)), lifecycle.RequestChanges, memberM,
		ChangeRequestPayload{Entry: 11, Comment: "add the October travel costs"})
	// Staff's resolution arrives as a signal in the same instant Temporal
	// suggests continuing as new: it must not be lost between the runs.
	first.env.RegisterDelayedCallback(func() {
		first.env.SignalWorkflow(string(lifecycle.ResolveChanges), resolution)
		first.env.SetContinueAsNewSuggested(true)
	}, first.offsetOf(continuedAt))
	first.executeMember(in)

	var can *workflow.ContinueAsNewError
	if err := first.env.GetWorkflowError(); !errors.As(err, &can) {
		t.Fatalf("the first run ended with %v, want a continue-as-new", err)
	}
	if can.WorkflowType == nil || can.WorkflowType.Name != MemberWorkflow {
		t.Fatalf("continues as %+v, want %s", can.WorkflowType, MemberWorkflow)
	}
	var next MemberInput
	if err := converter.GetDefaultDataConverter().FromPayloads(can.Input, &next); err != nil {
		t.Fatalf("decode the next run's input: %v", err)
	}
	before := first.query(staffS)
	requireCarriedState(t, next, before, in)

	second := newRunWith(t, first.fakes, first.requests, continuedAt)
	// Resolved in the first run: nothing is open any more.
	second.refused(second.offsetOf(continuedAt.Add(hour)), lifecycle.ResolveChanges, staffS, ResolvePayload{Entry: 11}, lifecycle.NotAllowedNow)
	second.executeMember(next)

	second.requireCompleted()
	v := second.query(staffS)
	if got := statuses(v); !slices.Equal(got, []lifecycle.Status{lifecycle.Draft, lifecycle.SmartConfirmation, lifecycle.ClientConfirmation, lifecycle.Active, lifecycle.Completed}) {
		t.Errorf("statuses across both runs %v", got)
	}
	for i, e := range v.Timeline {
		if e.Seq != int64(i+1) {
			t.Fatalf("timeline entry %d has seq %d: the second run did not carry on the first's numbering", i+1, e.Seq)
		}
	}
	if !slices.EqualFunc(v.Timeline[:len(before.Timeline)], before.Timeline, timelineEntriesEqual) {
		t.Error("the second run's timeline does not start with the first's")
	}
	if es := entriesWithRequest(v, "sig-resolve-11"); len(es) != 1 || es[0].Action != lifecycle.ResolveChanges || es[0].Outcome != "applied" {
		t.Errorf("the resolution signalled at the continue-as-new: %+v, want applied once", es)
	}
	if at := issuedAt(v, 11); !at.Equal(brusselsTime(2027, 10, 15, 9, 0, 0)) {
		t.Errorf("entry 11 issued at %s, want on its date after the resolution", at)
	}
	if at, _ := enteredAt(v, lifecycle.Completed); !at.Equal(brusselsTime(2028, 12, 1, 0, 0, 0)) {
		t.Errorf("completed at %s, want at the end of the service period", at)
	}

	// Every invoice issued once, numbered per year as the dates fall.
	var want []string
	want = append(want, "INV-2026-0001")
	for n := 1; n <= 12; n++ {
		want = append(want, fmt.Sprintf("INV-2027-%04d", n))
	}
	for n := 1; n <= 11; n++ {
		want = append(want, fmt.Sprintf("INV-2028-%04d", n))
	}
	if got := first.fakes.invoiceNumbers(); !slices.Equal(got, want) {
		t.Errorf("invoice numbers\n  %v\nwant\n  %v", got, want)
	}
	requests := first.requests.invoiceRequests()
	for i := 1; i <= 24; i++ {
		if n := requests[fmt.Sprintf("%s/invoice/%d", in.OrderID, i)]; n != 1 {
			t.Errorf("invoice %d was asked for %d times", i, n)
		}
	}
	for i, e := range v.Member.Schedule {
		if e.Status != EntryIssued || e.Invoice == nil {
			t.Errorf("entry %d: %s with invoice %+v", i+1, e.Status, e.Invoice)
		}
	}
	// No email asked for twice, across the runs; the order lists each once.
	for key, n := range first.requests.emailRequests() {
		if n != 1 {
			t.Errorf("email %s asked for %d times", key, n)
		}
	}
	listed := map[string]int{}
	for _, e := range v.Emails {
		listed[e.Purpose+"→"+e.Recipient]++
	}
	for _, sent := range first.fakes.emailsOf(v.ID) {
		if listed[sent] != 1 {
			t.Errorf("email %s is listed %d times on the order", sent, listed[sent])
		}
	}
	if len(v.Emails) != len(first.fakes.emailsOf(v.ID)) {
		t.Errorf("the order lists %d emails, %d were sent", len(v.Emails), len(first.fakes.emailsOf(v.ID)))
	}
	// Submitted, approved, the request, confirmed to both; a draft and an
	// issue per entry; completed.
	if got, want := len(v.Emails), 5+2*24+1; got != want {
		t.Errorf("%d emails, want %d", got, want)
	}
}

// requireCarriedState: the next run's input is the order as the first run
// left it, not the input it started from.
func requireCarriedState(t *testing.T, next MemberInput, before OrderView, in MemberInput) {
	t.Helper()
	s := next.Resume
	if s == nil {
		t.Fatal("the next run's input carries no state")
	}
	if next.OrderID != in.OrderID || s.In.OrderID != in.OrderID || s.In.Resume != nil || len(s.In.Content.Schedule) != 24 {
		t.Errorf("next input %s, state for %s (nested state %v, %d planned)", next.OrderID, s.In.OrderID, s.In.Resume != nil, len(s.In.Content.Schedule))
	}
	if s.Core.Status != lifecycle.Active || s.Core.ID != in.OrderID || s.Core.Flow != "member" || s.Core.Owner != in.MemberID {
		t.Errorf("core %s %s %s %s", s.Core.Status, s.Core.ID, s.Core.Flow, s.Core.Owner)
	}
	if !slices.EqualFunc(s.Core.Timeline, before.Timeline, timelineEntriesEqual) || s.Core.Seq != int64(len(before.Timeline)) {
		t.Errorf("carried timeline of %d entries (seq %d), the order had %d", len(s.Core.Timeline), s.Core.Seq, len(before.Timeline))
	}
	if len(s.Core.Emails) != len(before.Emails) || len(s.Core.Documents) != len(before.Documents) || len(s.Core.Documents) == 0 {
		t.Errorf("carried %d emails and %d documents, the order had %d and %d", len(s.Core.Emails), len(s.Core.Documents), len(before.Emails), len(before.Documents))
	}
	if s.Link == nil || s.Link.ID != "link_1" || s.Link.Round != 1 || !s.PaymentGuarantee || s.SubmittedAt == nil {
		t.Errorf("carried link %+v, guarantee %v, submitted %v", s.Link, s.PaymentGuarantee, s.SubmittedAt)
	}
	if len(s.Entries) != 24 {
		t.Fatalf("carried %d entries, want 24", len(s.Entries))
	}
	for i, e := range s.Entries {
		switch {
		case i < 10:
			if e.Status != EntryIssued || e.Invoice == nil || e.Invoice.Number == "" || e.DraftDocument == "" {
				t.Errorf("carried entry %d: %+v, want issued with its invoice", i+1, e)
			}
		case i == 10:
			// The resolution signalled at the continue-as-new was applied before it.
			if e.Status != EntryDrafted || e.ResolvedAt == nil || e.ChangeRequest != "" || e.DraftedAt == nil {
				t.Errorf("carried entry 11: %+v, want drafted again with the change request resolved", e)
			}
		default:
			if e.Status != EntryPlanned || e.Invoice != nil {
				t.Errorf("carried entry %d: %+v, want planned", i+1, e)
			}
		}
	}
}

func timelineEntriesEqual(a, b TimelineEntry) bool {
	a.At, b.At = a.At.UTC(), b.At.UTC()
	return a == b
}

// issuedAt is when entry n (from 1) was issued, by its timeline note.
func issuedAt(v OrderView, n int) time.Time {
	prefix := fmt.Sprintf("invoice %d of ", n)
	for _, e := range actionEntries(v, lifecycle.InvoiceIssued) {
		if strings.HasPrefix(e.Reason, prefix) {
			return e.At
		}
	}
	return time.Time{}
}

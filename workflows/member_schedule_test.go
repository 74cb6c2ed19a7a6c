package workflows

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/orderflow/orderflow/internal/email"
	"github.com/orderflow/orderflow/internal/money"
	"github.com/orderflow/orderflow/lifecycle"
)

// The invoice schedule of an active member order at its boundaries: the
// draft at 09:00 seven days before the date, the issue at 09:00 on the date
// (or 48 hours after a late draft), a change request that holds or moves an
// entry, and completion.

var (
	draft1 = brusselsTime(2026, 12, 8, 9, 0, 0)  // 7 days before 15 December, 09:00
	issue1 = brusselsTime(2026, 12, 15, 9, 0, 0) // 15 December, 09:00
	draft2 = brusselsTime(2027, 1, 8, 9, 0, 0)
)

func TestMemberInvoiceDraftBoundary(t *testing.T) {
	r := newRun(t)
	r.activeAt2h()
	r.settledViewAt(fromStart(draft1)-second, memberM, func(v OrderView) {
		if !slices.Equal(entryStatuses(v), []string{EntryPlanned, EntryPlanned}) {
			t.Errorf("a second before the draft: %v", entryStatuses(v))
		}
		r.requireDeadlines(v, Deadline{Name: lifecycle.DeadlineDraft, At: draft1}, Deadline{Name: lifecycle.DeadlineDraft, At: draft2})
	})
	r.refused(fromStart(draft1)-second, lifecycle.RequestChanges, memberM, ChangeRequestPayload{Entry: 1, Comment: "too early"}, lifecycle.NotAllowedNow)
	r.settledViewAt(fromStart(draft1), memberM, func(v OrderView) {
		e := v.Member.Schedule[0]
		if e.Status != EntryDrafted || e.DraftedAt == nil || !e.DraftedAt.Equal(draft1) || e.DraftVersion != 1 {
			t.Errorf("at the draft instant: %+v", e)
		}
		r.requireDeadlines(v, Deadline{Name: lifecycle.DeadlineIssue, At: issue1}, Deadline{Name: lifecycle.DeadlineDraft, At: draft2})
		if !slices.Equal(v.AllowedActions, []lifecycle.Action{lifecycle.RequestCancellation, lifecycle.RequestChanges}) {
			t.Errorf("with a draft to review the member may %v", v.AllowedActions)
		}
	})
	// Entry 2 has no draft yet: only entry 1 can be reviewed.
	r.refused(fromStart(draft1)+second, lifecycle.RequestChanges, memberM, ChangeRequestPayload{Entry: 2, Comment: "not yet"}, InvalidPayload)
	r.must(fromStart(draft1)+2*second, lifecycle.RequestChanges, memberM, ChangeRequestPayload{Entry: 1, Comment: "add the PO number"})
	r.stopAt(fromStart(draft1) + hour)
	r.executeMember(memberInput())

	r.requireStopped()
	v := r.query(memberM)
	if es := actionEntries(v, lifecycle.InvoiceDrafted); len(es) != 1 || !es[0].At.Equal(draft1) || es[0].ActorRole != "system" {
		t.Errorf("drafted entries %+v, want one at %s", es, draft1)
	}
	r.requireTimer("Invoice draft for invoice 1 of 2026-12-15 until", draft1)
	e := v.Member.Schedule[0]
	if e.Status != EntryHeld || e.ChangeRequest != "add the PO number" {
		t.Errorf("entry 1 after the change request: %+v", e)
	}
	doc, ok := r.fakes.docs()[e.DraftDocument]
	if !ok || doc.Number != "" || len(doc.Content) == 0 {
		t.Errorf("draft document %q: found %v, number %q", e.DraftDocument, ok, doc.Number)
	}
	r.requireMemberEmails(v, append(append([]string{submitted(v, 1)}, confirmedMails...), "invoice_draft_ready#1.1→"+mia)...)
	if got := r.fakes.attachments("invoice_draft_ready#1.1", mia); !slices.Equal(got, []string{doc.Filename}) || doc.Filename == "" {
		t.Errorf("the draft email attaches %v, want the draft %q", got, doc.Filename)
	}
}

// attachments are the file names attached to the email of purpose to recipient.
func (f *fakes) attachments(purpose, to string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, m := range f.sent {
		if m.Purpose == purpose && m.To.Email == to {
			var ids []string
			for _, a := range m.Attachments {
				ids = append(ids, a.Filename)
			}
			return ids
		}
	}
	return nil
}

func TestMemberInvoiceIssueBoundary(t *testing.T) {
	t.Run("a second before", func(t *testing.T) {
		r := newRun(t)
		r.activeAt2h()
		r.must(fromStart(issue1)-second, lifecycle.RequestChanges, memberM, ChangeRequestPayload{Entry: 1, Comment: "wrong hours"})
		r.settledViewAt(fromStart(issue1), memberM, func(v OrderView) {
			if e := v.Member.Schedule[0]; e.Status != EntryHeld || e.Invoice != nil {
				t.Errorf("a held entry on its date: %+v", e)
			}
			// Held: it waits for staff, not for a date.
			r.requireDeadlines(v, Deadline{Name: lifecycle.DeadlineDraft, At: draft2})
		})
		r.stopAt(fromStart(issue1) + hour)
		r.executeMember(memberInput())

		r.requireStopped()
		v := r.query(memberM)
		r.requireNoEntry(v, lifecycle.InvoiceIssued)
		if got := r.fakes.invoiceNumbers(); len(got) != 0 {
			t.Errorf("issued %v", got)
		}
	})

	t.Run("at and after", func(t *testing.T) {
		r := newRun(t)
		r.activeAt2h()
		r.settledViewAt(fromStart(issue1)-second, memberM, func(v OrderView) {
			if e := v.Member.Schedule[0]; e.Status != EntryDrafted {
				t.Errorf("a second before the issue: %+v", e)
			}
			r.requireDeadlines(v, Deadline{Name: lifecycle.DeadlineIssue, At: issue1}, Deadline{Name: lifecycle.DeadlineDraft, At: draft2})
		})
		r.settledViewAt(fromStart(issue1), memberM, func(v OrderView) {
			if e := v.Member.Schedule[0]; e.Status != EntryIssued {
				t.Errorf("at the issue instant: %+v", e)
			}
			r.requireDeadlines(v, Deadline{Name: lifecycle.DeadlineDraft, At: draft2})
		})
		r.refused(fromStart(issue1)+second, lifecycle.RequestChanges, memberM, ChangeRequestPayload{Entry: 1, Comment: "too late"}, lifecycle.NotAllowedNow)
		r.stopAt(fromStart(issue1) + hour)
		r.executeMember(memberInput())

		r.requireStopped()
		v := r.query(memberM)
		issued := actionEntries(v, lifecycle.InvoiceIssued)
		if len(issued) != 1 || !issued[0].At.Equal(issue1) || issued[0].ActorRole != "system" {
			t.Errorf("issued entries %+v, want one at %s", issued, issue1)
		}
		r.requireTimer("Invoice issue for invoice 1 of 2026-12-15 until", issue1)
		e := v.Member.Schedule[0]
		if e.Invoice == nil || e.Invoice.Number != "INV-2026-0001" || e.Invoice.Gross != 121000 {
			t.Fatalf("entry 1 invoice %+v, want INV-2026-0001 of 1210.00", e.Invoice)
		}
		doc := r.fakes.docs()[e.Invoice.Document]
		if doc.Kind != "invoice" || doc.Number != "INV-2026-0001" || len(doc.Content) == 0 {
			t.Errorf("invoice document %q %q (%d bytes)", doc.Kind, doc.Number, len(doc.Content))
		}
		// To the client with the PDF and, the client having a VAT number,
		// the UBL e-invoice; a copy to the member.
		m, ok := r.fakes.sentMessage("invoice_issued#1", carl)
		if !ok || len(m.Cc) != 1 || m.Cc[0].Email != mia || len(m.Attachments) != 2 ||
			!strings.HasSuffix(m.Attachments[0].Filename, ".pdf") || !strings.HasSuffix(m.Attachments[1].Filename, ".xml") {
			t.Errorf("invoice email %+v", m)
		}
	})
}

// sentMessage finds the email of purpose to recipient.
func (f *fakes) sentMessage(purpose, to string) (email.Message, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, m := range f.sent {
		if m.Purpose == purpose && m.To.Email == to {
			return m, true
		}
	}
	return email.Message{}, false
}

// The 48-hour rule: a billing date less than seven days after activation
// gets its draft at activation and its issue 48 hours after the draft when
// the date comes sooner than that.
func TestMemberMinimumReview(t *testing.T) {
	activation := brusselsTime(2026, 11, 24, 10, 0, 0) // Tuesday
	for _, tc := range []struct {
		name, date string
		issue      time.Time
	}{
		{"date the next day", "2026-11-25", activation.Add(48 * hour)},              // not 25 November 09:00
		{"date five days later", "2026-11-29", brusselsTime(2026, 11, 29, 9, 0, 0)}, // 48 hours are left anyway
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRun(t)
			r.must(hour, lifecycle.Approve, staffS, nil)
			r.must(fromStart(activation), lifecycle.Confirm, clientLink("link_1"), nil)
			r.settledViewAt(fromStart(tc.issue)-second, memberM, func(v OrderView) {
				if e := v.Member.Schedule[0]; e.Status != EntryDrafted || e.DraftedAt == nil || !e.DraftedAt.Equal(activation) {
					t.Errorf("a second before the issue: %+v, want drafted at activation", e)
				}
				r.requireDeadlines(v, Deadline{Name: lifecycle.DeadlineIssue, At: tc.issue})
			})
			r.settledViewAt(fromStart(tc.issue), memberM, func(v OrderView) {
				if e := v.Member.Schedule[0]; e.Status != EntryIssued {
					t.Errorf("at the issue instant: %+v", e)
				}
			})
			r.executeMember(memberWith(func(in *MemberInput) {
				in.Content.Schedule = entries(tc.date)
				in.Content.ServicePeriod = Period{Start: "2026-11-24", End: "2026-11-30"}
			}))

			r.requireCompleted()
			v := r.query(memberM)
			if d := actionEntries(v, lifecycle.InvoiceDrafted); len(d) != 1 || !d[0].At.Equal(activation) {
				t.Errorf("drafted %+v, want at activation %s", d, activation)
			}
			if i := actionEntries(v, lifecycle.InvoiceIssued); len(i) != 1 || !i[0].At.Equal(tc.issue) {
				t.Errorf("issued %+v, want at %s", i, tc.issue)
			}
			r.requireTimer("Invoice issue for invoice 1 of "+tc.date+" until", tc.issue)
		})
	}
}

// A change request resolved with a new date moves the issue to that date at
// 09:00, after a new draft; resolved once the date has passed, the entry is
// issued the minimum review after the resolution (issue 12; at once before
// change trusted-actions).
func TestMemberChangeRequestMovesTheDate(t *testing.T) {
	requested := brusselsTime(2026, 12, 9, 10, 0, 0)

	t.Run("new date", func(t *testing.T) {
		moved := brusselsTime(2026, 12, 22, 9, 0, 0)
		resolved := brusselsTime(2026, 12, 10, 10, 0, 0)
		r := newRun(t)
		r.activeAt2h()
		r.must(fromStart(requested), lifecycle.RequestChanges, memberM, ChangeRequestPayload{Entry: 1, Comment: "bill it a week later"})
		r.refused(fromStart(resolved)-second, lifecycle.ResolveChanges, staffS, ResolvePayload{Entry: 2, Date: "2026-12-22"}, InvalidPayload)
		r.refused(fromStart(resolved)-second, lifecycle.ResolveChanges, memberM, ResolvePayload{Entry: 1, Date: "2026-12-22"}, lifecycle.WrongRole)
		r.must(fromStart(resolved), lifecycle.ResolveChanges, staffS, ResolvePayload{Entry: 1, Date: "2026-12-22", Note: "moved as asked"})
		r.settledViewAt(fromStart(issue1), memberM, func(v OrderView) {
			if e := v.Member.Schedule[0]; e.Status != EntryDrafted || e.Date != "2026-12-22" || e.DraftVersion != 2 {
				t.Errorf("on the old date: %+v, want drafted again for 22 December", e)
			}
		})
		r.settledViewAt(fromStart(moved)-second, memberM, func(v OrderView) {
			r.requireDeadlines(v, Deadline{Name: lifecycle.DeadlineIssue, At: moved}, Deadline{Name: lifecycle.DeadlineDraft, At: draft2})
		})
		r.settledViewAt(fromStart(moved), memberM, func(v OrderView) {
			if e := v.Member.Schedule[0]; e.Status != EntryIssued {
				t.Errorf("on the new date: %+v", e)
			}
		})
		r.stopAt(fromStart(moved) + hour)
		r.executeMember(memberInput())

		r.requireStopped()
		v := r.query(memberM)
		if i := actionEntries(v, lifecycle.InvoiceIssued); len(i) != 1 || !i[0].At.Equal(moved) {
			t.Errorf("issued %+v, want at %s", i, moved)
		}
		r.requireTimer("Invoice issue for invoice 1 of 2026-12-22 until", moved)
		if res := actionEntries(v, lifecycle.ResolveChanges); len(res) != 1 || !res[0].At.Equal(resolved) || res[0].ActorRole != "staff" {
			t.Errorf("resolve entries %+v", res)
		}
		r.requireMemberEmails(v, append(append([]string{submitted(v, 1)}, confirmedMails...),
			"invoice_draft_ready#1.1→"+mia, "invoice_draft_ready#1.2→"+mia, "invoice_issued#1→"+carl)...)
		if text := r.fakes.message("invoice_draft_ready#1.2", mia); !strings.Contains(text, "22 December 2026") {
			t.Errorf("the new draft does not name the new date:\n%s", text)
		}
	})

	// Resolved after its date, the entry still gets the minimum review from
	// the resolution (issue 12); orders started before change
	// trusted-actions issue it at once.
	for _, before := range []bool{false, true} {
		name := map[bool]string{false: "no change after the date", true: "no change after the date, before the change"}[before]
		t.Run(name, func(t *testing.T) {
			resolved := brusselsTime(2026, 12, 16, 10, 0, 0)
			issue := resolved.Add(memberSettings.MinReview)
			if before {
				issue = resolved
			}
			r := newRun(t)
			if before {
				r.startedBefore(ChangeTrustedActions)
			}
			r.activeAt2h()
			r.must(fromStart(requested), lifecycle.RequestChanges, memberM, ChangeRequestPayload{Entry: 1, Comment: "is the rate right?"})
			r.settledViewAt(fromStart(resolved)-second, memberM, func(v OrderView) {
				if e := v.Member.Schedule[0]; e.Status != EntryHeld {
					t.Errorf("held past its date: %+v", e)
				}
			})
			r.must(fromStart(resolved), lifecycle.ResolveChanges, staffS, ResolvePayload{Entry: 1, Note: "the rate is right"})
			if !before {
				r.settledViewAt(fromStart(issue)-second, memberM, func(v OrderView) {
					if e := v.Member.Schedule[0]; e.Status != EntryDrafted {
						t.Errorf("issued before the minimum review: %+v", e)
					}
				})
			}
			r.stopAt(fromStart(issue) + hour)
			r.executeMember(memberInput())

			r.requireStopped()
			v := r.query(memberM)
			if i := actionEntries(v, lifecycle.InvoiceIssued); len(i) != 1 || !i[0].At.Equal(issue) {
				t.Errorf("issued %+v, want at %s", i, issue)
			}
			if e := v.Member.Schedule[0]; e.DraftVersion != 1 || e.Invoice == nil || e.Invoice.Number != "INV-2026-0001" {
				t.Errorf("entry 1 %+v, want issued from its first draft", e)
			}
			r.requireMemberEmails(v, append(append([]string{submitted(v, 1)}, confirmedMails...),
				"invoice_draft_ready#1.1→"+mia, "invoice_issued#1→"+carl)...)
		})
	}

	// A new amount after the date: a new draft, issued after the minimum
	// review, and the draft email says when.
	t.Run("new amount after the date", func(t *testing.T) {
		resolved := brusselsTime(2026, 12, 16, 10, 0, 0)
		issue := resolved.Add(memberSettings.MinReview)
		r := newRun(t)
		r.activeAt2h()
		r.must(fromStart(requested), lifecycle.RequestChanges, memberM, ChangeRequestPayload{Entry: 1, Comment: "travel is missing"})
		r.must(fromStart(resolved), lifecycle.ResolveChanges, staffS, ResolvePayload{Entry: 1, Amount: ptr(money.Amount(110000)), Note: "travel added"})
		r.stopAt(fromStart(issue) + hour)
		r.executeMember(memberInput())

		r.requireStopped()
		v := r.query(memberM)
		if i := actionEntries(v, lifecycle.InvoiceIssued); len(i) != 1 || !i[0].At.Equal(issue) {
			t.Errorf("issued %+v, want at %s", i, issue)
		}
		if text := r.fakes.message("invoice_draft_ready#1.2", mia); !strings.Contains(text, "Fri 18 Dec 2026 10:00") {
			t.Errorf("the new draft does not say when it is issued (%s):\n%s", localTime(issue, brussels), text)
		}
		if text := r.fakes.message("invoice_draft_ready#1.1", mia); !strings.Contains(text, "Tue 15 Dec 2026 09:00") {
			t.Errorf("the first draft does not say when it is issued:\n%s", text)
		}
	})
}

func TestMemberCompletion(t *testing.T) {
	t.Run("at the end of the service period", func(t *testing.T) {
		end := brusselsTime(2027, 2, 1, 0, 0, 0) // the period ends on 31 January
		r := newRun(t)
		r.activeAt2h()
		r.settledViewAt(fromStart(end)-second, memberM, func(v OrderView) {
			if v.Status != lifecycle.Active || !slices.Equal(entryStatuses(v), repeat(EntryIssued, 2)) {
				t.Errorf("a second before the end: %s %v", v.Status, entryStatuses(v))
			}
			r.requireDeadlines(v, Deadline{Name: lifecycle.DeadlinePeriodEnd, At: end})
		})
		r.settledViewAt(fromStart(end), memberM, func(v OrderView) {
			if v.Status != lifecycle.Completed {
				t.Errorf("at the end of the period: %s", v.Status)
			}
		})
		r.neverAnswered(fromStart(end)+second, lifecycle.RequestCancellation, memberM, CancellationPayload{Reason: "the client cancelled the whole project"})
		r.executeMember(memberInput())

		r.requireCompleted()
		v := r.query(memberM)
		r.requireElapsedAt(v, lifecycle.ServiceCompleted, lifecycle.Active, lifecycle.Completed, end)
		r.requireTimer("Service period ends until", end)
		if got := r.fakes.invoiceNumbers(); !slices.Equal(got, []string{"INV-2026-0001", "INV-2027-0001"}) {
			t.Errorf("invoices %v", got)
		}
		r.requireMemberEmails(v, append(append([]string{submitted(v, 1)}, confirmedMails...),
			"invoice_draft_ready#1.1→"+mia, "invoice_issued#1→"+carl, "invoice_draft_ready#2.1→"+mia, "invoice_issued#2→"+carl,
			"member_order_completed→"+mia)...)
	})

	t.Run("when the last entry is issued after the period", func(t *testing.T) {
		last := brusselsTime(2027, 1, 15, 9, 0, 0)
		r := newRun(t)
		r.activeAt2h()
		r.settledViewAt(fromStart(last)-second, memberM, func(v OrderView) {
			if v.Status != lifecycle.Active {
				t.Errorf("a second before the last issue: %s", v.Status)
			}
			r.requireDeadlines(v, Deadline{Name: lifecycle.DeadlineIssue, At: last})
		})
		r.executeMember(memberWith(func(in *MemberInput) { in.Content.ServicePeriod.End = "2026-12-31" }))

		r.requireCompleted()
		v := r.query(memberM)
		r.requireElapsedAt(v, lifecycle.ServiceCompleted, lifecycle.Active, lifecycle.Completed, last)
		if i := actionEntries(v, lifecycle.InvoiceIssued); len(i) != 2 || !i[1].At.Equal(last) {
			t.Errorf("issued %+v", i)
		}
	})
}

// "At 09:00 seven days before" and "two days before" are wall-clock times:
// a change to summer time in between does not move them by an hour.
func TestMemberDeadlinesKeepTheWallClockAcrossSummerTime(t *testing.T) {
	t.Run("invoice draft", func(t *testing.T) {
		drafted := brusselsTime(2027, 3, 25, 9, 0, 0) // summer time starts on 28 March
		r := newRun(t)
		r.activeAt2h()
		r.settledViewAt(fromStart(drafted)-second, memberM, func(v OrderView) {
			if e := v.Member.Schedule[0]; e.Status != EntryPlanned {
				t.Errorf("a second before 09:00: %+v", e)
			}
		})
		r.stopAt(fromStart(drafted) + hour)
		r.executeMember(memberWith(func(in *MemberInput) {
			in.Content.Schedule = entries("2027-04-01")
			in.Content.ServicePeriod = Period{Start: "2027-03-01", End: "2027-04-30"}
		}))

		r.requireStopped()
		v := r.query(memberM)
		if d := actionEntries(v, lifecycle.InvoiceDrafted); len(d) != 1 || !d[0].At.Equal(drafted) {
			t.Errorf("drafted %+v, want at %s", d, drafted)
		}
	})

	t.Run("client reminder", func(t *testing.T) {
		reminded := brusselsTime(2027, 3, 27, 23, 59, 59)
		r := newRun(t)
		r.must(fromStart(brusselsTime(2027, 3, 22, 10, 0, 0)), lifecycle.Approve, staffS, nil)
		r.stopAt(fromStart(reminded) + hour)
		r.executeMember(memberWith(func(in *MemberInput) {
			in.Content.OfferValidUntil = "2027-03-29"
			in.Content.Schedule = entries("2027-04-15")
			in.Content.ServicePeriod = Period{Start: "2027-04-01", End: "2027-04-30"}
		}))

		r.requireStopped()
		v := r.query(memberM)
		r.requireElapsedAt(v, lifecycle.ClientReminded, lifecycle.ClientConfirmation, lifecycle.ClientConfirmation, reminded)
	})
}

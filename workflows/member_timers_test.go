package workflows

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/orderflow/orderflow/lifecycle"
)

// Each timer of a member order at its boundary: an action a second before
// the deadline applies and the timer never fires; the timer fires at
// exactly the deadline (timeline instant, the durable timer, a view taken at
// that instant); the same action a second later is refused.

// fromStart is the offset of an instant from the test start.
func fromStart(t time.Time) time.Duration { return t.Sub(testStart) }

func brusselsTime(y int, mo time.Month, d, h, mi, s int) time.Time {
	return time.Date(y, mo, d, h, mi, s, 0, brussels)
}

// offerEnd is the end of memberInput's offer_valid_until (2026-11-30).
var offerEnd = brusselsTime(2026, 11, 30, 23, 59, 59)

// activeAt2h: approved after an hour, confirmed by the client after two.
func (r *run) activeAt2h() {
	r.must(hour, lifecycle.Approve, staffS, nil)
	r.must(2*hour, lifecycle.Confirm, clientLink("link_1"), nil)
}

var confirmedMails = []string{"order_approved→" + mia, "confirmation_request#1→" + carl, "member_order_confirmed→" + mia, "member_order_confirmed→" + carl}

func TestMemberOfferExpiresInSmartConfirmation(t *testing.T) {
	skipping := memberWith(func(in *MemberInput) { in.Content.SkipClientConfirmation = true })

	t.Run("a second before", func(t *testing.T) {
		r := newRun(t)
		r.must(fromStart(offerEnd)-second, lifecycle.Approve, staffS, nil)
		r.settledViewAt(fromStart(offerEnd), staffS, func(v OrderView) {
			if v.Status != lifecycle.Active {
				t.Errorf("at the end of the offer the order is %s, want active", v.Status)
			}
		})
		r.stopAt(fromStart(offerEnd) + hour)
		r.executeMember(skipping)

		r.requireStopped()
		v := r.query(staffS)
		r.requireNoEntry(v, lifecycle.OfferExpired)
		if got := statuses(v); !slices.Equal(got, []lifecycle.Status{lifecycle.Draft, lifecycle.SmartConfirmation, lifecycle.Active}) {
			t.Errorf("statuses %v", got)
		}
	})

	t.Run("at and after", func(t *testing.T) {
		r := newRun(t)
		r.settledViewAt(fromStart(offerEnd)-second, staffS, func(v OrderView) {
			if v.Status != lifecycle.SmartConfirmation {
				t.Errorf("a second before the end of the offer the order is %s", v.Status)
			}
			// The Smart confirmation target passed on Tuesday: only the offer is left.
			r.requireDeadlines(v, Deadline{Name: lifecycle.DeadlineOffer, At: offerEnd})
		})
		r.settledViewAt(fromStart(offerEnd), memberM, func(v OrderView) {
			if v.Status != lifecycle.Rejected || !slices.Equal(entryStatuses(v), repeat(EntryCancelled, 2)) {
				t.Errorf("at the end of the offer: %s, entries %v; want rejected, entries cancelled", v.Status, entryStatuses(v))
			}
			r.requireDeadlines(v, Deadline{Name: lifecycle.DeadlineDuplicate, At: offerEnd.Add(720 * hour)})
		})
		r.refused(fromStart(offerEnd)+second, lifecycle.Approve, staffS, nil, lifecycle.NotAllowedNow)
		r.stopAt(fromStart(offerEnd) + hour)
		r.executeMember(skipping)

		r.requireStopped()
		v := r.query(memberM)
		r.requireElapsedAt(v, lifecycle.OfferExpired, lifecycle.SmartConfirmation, lifecycle.Rejected, offerEnd)
		r.requireTimer("Offer valid until", offerEnd)
		// Staff read every email; the member's view leaves out staff's escalation (projection.go).
		r.requireMemberEmails(r.query(staffS), submitted(v, 1), "sla_escalation→"+staffMail, "offer_expired→"+mia)
		if v.Member.Overdue {
			t.Error("a rejected order is still flagged overdue")
		}
		if overdue, set := r.attrs.overdue(v.ID); !set || overdue {
			t.Errorf("search attribute Overdue = %v (set %v) on a rejected order, want false", overdue, set)
		}
	})
}

func TestMemberOfferExpiresInClientConfirmation(t *testing.T) {
	t.Run("a second before", func(t *testing.T) {
		r := newRun(t)
		r.must(hour, lifecycle.Approve, staffS, nil)
		r.must(fromStart(offerEnd)-second, lifecycle.Confirm, clientLink("link_1"), nil)
		r.settledViewAt(fromStart(offerEnd), memberM, func(v OrderView) {
			if v.Status != lifecycle.Active || !v.Member.PaymentGuarantee {
				t.Errorf("at the end of the offer the order is %s (guarantee %v), want active", v.Status, v.Member.PaymentGuarantee)
			}
		})
		r.stopAt(fromStart(offerEnd) + hour)
		r.executeMember(memberInput())

		r.requireStopped()
		v := r.query(memberM)
		r.requireNoEntry(v, lifecycle.OfferExpired)
		if confirmed := actionEntries(v, lifecycle.Confirm); len(confirmed) != 1 || !confirmed[0].At.Equal(offerEnd.Add(-second)) {
			t.Errorf("confirm entries %+v", confirmed)
		}
	})

	t.Run("at and after", func(t *testing.T) {
		r := newRun(t)
		r.must(hour, lifecycle.Approve, staffS, nil)
		r.settledViewAt(fromStart(offerEnd)-second, memberM, func(v OrderView) {
			if v.Status != lifecycle.ClientConfirmation {
				t.Errorf("a second before the end of the offer the order is %s", v.Status)
			}
			r.requireDeadlines(v, Deadline{Name: lifecycle.DeadlineOffer, At: offerEnd})
		})
		r.settledViewAt(fromStart(offerEnd), memberM, func(v OrderView) {
			if v.Status != lifecycle.Rejected {
				t.Errorf("at the end of the offer the order is %s, want rejected", v.Status)
			}
		})
		r.refused(fromStart(offerEnd)+second, lifecycle.Confirm, clientLink("link_1"), nil, lifecycle.NotAllowedNow)
		r.stopAt(fromStart(offerEnd) + hour)
		r.executeMember(memberInput())

		r.requireStopped()
		v := r.query(memberM)
		r.requireElapsedAt(v, lifecycle.OfferExpired, lifecycle.ClientConfirmation, lifecycle.Rejected, offerEnd)
		r.requireTimer("Offer valid until", offerEnd)
		r.requireMemberEmails(v, submitted(v, 1), "order_approved→"+mia, "confirmation_request#1→"+carl,
			"confirmation_reminder→"+carl, "offer_expired→"+mia)
	})
}

// A duplicate of an order whose offer expired would expire again at once:
// it starts in draft, where the member sets a new date.
func TestMemberDuplicateOfAnExpiredOfferStartsInDraft(t *testing.T) {
	r := newRun(t)
	r.env.SetDetachedChildWait(false)
	r.must(fromStart(offerEnd)+hour, lifecycle.Duplicate, memberM, nil)
	var child OrderView
	r.viewAt(fromStart(offerEnd)+hour+minute, memberM, func(v OrderView) {
		if len(v.Member.Duplicates) != 1 {
			t.Errorf("duplicates %v", v.Member.Duplicates)
			return
		}
		child = r.queryOrder(v.Member.Duplicates[0], memberM)
	})
	r.stopAt(fromStart(offerEnd) + 2*hour)
	r.executeMember(memberInput())

	r.requireStopped()
	if child.Status != lifecycle.Draft || child.Member.DuplicatedFrom != "ord_member" || child.Member.OfferValidUntil != "2026-11-30" {
		t.Errorf("duplicate: %s from %q offer %s; want a draft of ord_member to edit", child.Status, child.Member.DuplicatedFrom, child.Member.OfferValidUntil)
	}
	r.requireNoEntry(child, lifecycle.OfferExpired)
}

var reminderAt = offerEnd.Add(-48 * hour) // 28 November 23:59:59

func TestMemberClientReminderBoundary(t *testing.T) {
	t.Run("a second before", func(t *testing.T) {
		r := newRun(t)
		r.must(hour, lifecycle.Approve, staffS, nil)
		r.must(fromStart(reminderAt)-second, lifecycle.Confirm, clientLink("link_1"), nil)
		r.stopAt(fromStart(offerEnd) + hour)
		r.executeMember(memberInput())

		r.requireStopped()
		v := r.query(memberM)
		r.requireNoEntry(v, lifecycle.ClientReminded)
		r.requireNoEntry(v, lifecycle.OfferExpired)
		r.requireMemberEmails(v, append([]string{submitted(v, 1)}, confirmedMails...)...)
	})

	t.Run("at and after", func(t *testing.T) {
		r := newRun(t)
		r.must(hour, lifecycle.Approve, staffS, nil)
		r.settledViewAt(fromStart(reminderAt)-second, memberM, func(v OrderView) {
			r.requireDeadlines(v, Deadline{Name: lifecycle.DeadlineOffer, At: offerEnd}, Deadline{Name: lifecycle.DeadlineReminder, At: reminderAt})
		})
		r.settledViewAt(fromStart(reminderAt), memberM, func(v OrderView) {
			if v.Status != lifecycle.ClientConfirmation {
				t.Errorf("reminded: %s", v.Status)
			}
			r.requireDeadlines(v, Deadline{Name: lifecycle.DeadlineOffer, At: offerEnd})
		})
		// A new link after the reminder brings no second reminder.
		r.must(fromStart(reminderAt)+second, lifecycle.ResendConfirmation, staffS, nil)
		r.must(fromStart(reminderAt)+hour, lifecycle.Confirm, clientLink("link_2"), nil)
		r.stopAt(fromStart(offerEnd) + hour)
		r.executeMember(memberInput())

		r.requireStopped()
		v := r.query(memberM)
		r.requireElapsedAt(v, lifecycle.ClientReminded, lifecycle.ClientConfirmation, lifecycle.ClientConfirmation, reminderAt)
		r.requireTimer("Client reminder until", reminderAt)
		r.requireMemberEmails(v, submitted(v, 1), "order_approved→"+mia, "confirmation_request#1→"+carl,
			"confirmation_reminder→"+carl, "confirmation_request#2→"+carl,
			"member_order_confirmed→"+mia, "member_order_confirmed→"+carl)
		if text := r.fakes.message("confirmation_reminder", carl); !strings.Contains(text, "http://orderflow.test/c/tok_1") {
			t.Errorf("the reminder does not carry the link:\n%s", text)
		}
	})

	// Approved less than two days before the offer ends: the request itself
	// is the last call, no reminder follows it at once.
	t.Run("approved inside the reminder lead", func(t *testing.T) {
		r := newRun(t)
		r.must(fromStart(reminderAt)+hour, lifecycle.Approve, staffS, nil)
		r.settledViewAt(fromStart(reminderAt)+hour, memberM, func(v OrderView) {
			r.requireDeadlines(v, Deadline{Name: lifecycle.DeadlineOffer, At: offerEnd})
		})
		r.stopAt(fromStart(offerEnd) + hour)
		r.executeMember(memberInput())

		r.requireStopped()
		v := r.query(memberM)
		r.requireNoEntry(v, lifecycle.ClientReminded)
		// Staff read every email; the member's view leaves out staff's escalation (projection.go).
		r.requireMemberEmails(r.query(staffS), submitted(v, 1), "sla_escalation→"+staffMail, "order_approved→"+mia,
			"confirmation_request#1→"+carl, "offer_expired→"+mia)
	})
}

// Submitted on a Friday afternoon, the order waits one full weekday: until
// Monday at the same hour, the weekend not counted.
func TestMemberSmartSLABoundary(t *testing.T) {
	submittedAt := brusselsTime(2026, 11, 27, 15, 0, 0) // Friday
	due := brusselsTime(2026, 11, 30, 15, 0, 0)         // Monday
	friday := memberWith(func(in *MemberInput) {
		in.Submit = false
		in.Content.OfferValidUntil = "2026-12-11"
	})
	offer := Deadline{Name: lifecycle.DeadlineOffer, At: brusselsTime(2026, 12, 11, 23, 59, 59)}

	t.Run("a second before", func(t *testing.T) {
		r := newRun(t)
		r.must(fromStart(submittedAt), lifecycle.Submit, memberM, nil)
		r.must(fromStart(due)-second, lifecycle.Approve, staffS, nil)
		r.settledViewAt(fromStart(due), staffS, func(v OrderView) {
			if v.Status != lifecycle.ClientConfirmation || v.Member.Overdue {
				t.Errorf("at the target: %s overdue %v, want client confirmation, not overdue", v.Status, v.Member.Overdue)
			}
		})
		r.stopAt(fromStart(due) + hour)
		r.executeMember(friday)

		r.requireStopped()
		v := r.query(staffS)
		r.requireNoEntry(v, lifecycle.SLAElapsed)
		if overdue, set := r.attrs.overdue(v.ID); !set || overdue {
			t.Errorf("search attribute Overdue = %v (set %v), want false", overdue, set)
		}
		r.requireMemberEmails(v, submitted(v, 1), "order_approved→"+mia, "confirmation_request#1→"+carl)
	})

	t.Run("at and after", func(t *testing.T) {
		r := newRun(t)
		r.must(fromStart(submittedAt), lifecycle.Submit, memberM, nil)
		// 24 hours after submission is Saturday: not overdue, weekends do not count.
		r.settledViewAt(fromStart(submittedAt.Add(24*hour)), staffS, func(v OrderView) {
			if v.Member.Overdue {
				t.Error("overdue on Saturday")
			}
			r.requireDeadlines(v, offer, Deadline{Name: lifecycle.DeadlineSLA, At: due})
		})
		r.settledViewAt(fromStart(due)-second, staffS, func(v OrderView) {
			if v.Member.Overdue {
				t.Error("overdue a second before the target")
			}
			if overdue, set := r.attrs.overdue(v.ID); !set || overdue {
				t.Errorf("search attribute Overdue = %v (set %v) before the target", overdue, set)
			}
		})
		r.settledViewAt(fromStart(due), staffS, func(v OrderView) {
			if v.Status != lifecycle.SmartConfirmation || !v.Member.Overdue {
				t.Errorf("at the target: %s overdue %v, want overdue in smart confirmation", v.Status, v.Member.Overdue)
			}
			r.requireDeadlines(v, offer)
		})
		r.must(fromStart(due)+second, lifecycle.Approve, staffS, nil)
		r.viewAt(fromStart(due)+minute, staffS, func(v OrderView) {
			// Upserted in the workflow task that fired the target, which
			// may end after this instant's query in the test environment.
			if overdue, _ := r.attrs.overdueAt(v.ID, due); !overdue {
				t.Error("search attribute Overdue was not set at the target")
			}
			if v.Member.Overdue {
				t.Error("still overdue once approved")
			}
			if overdue, _ := r.attrs.overdue(v.ID); overdue {
				t.Error("search attribute Overdue still set once approved")
			}
		})
		r.stopAt(fromStart(due) + hour)
		r.executeMember(friday)

		r.requireStopped()
		v := r.query(staffS)
		r.requireElapsedAt(v, lifecycle.SLAElapsed, lifecycle.SmartConfirmation, lifecycle.SmartConfirmation, due)
		r.requireTimer("Smart confirmation target until", due)
		r.requireMemberEmails(v, submitted(v, 1), "sla_escalation→"+staffMail, "order_approved→"+mia, "confirmation_request#1→"+carl)
		// The read model was told too.
		if row := r.fakes.rowAt(v.ID, due); row == nil || !row.Overdue {
			t.Errorf("read model at the target: %+v, want overdue", row)
		}
	})

	t.Run("rejected while overdue", func(t *testing.T) {
		r := newRun(t)
		r.must(fromStart(submittedAt), lifecycle.Submit, memberM, nil)
		r.must(fromStart(due)+hour, lifecycle.Reject, staffS, because("no contract with this client"))
		r.stopAt(fromStart(due) + 2*hour)
		r.executeMember(friday)

		r.requireStopped()
		v := r.query(memberM)
		if v.Status != lifecycle.Rejected || v.Member.Overdue {
			t.Errorf("%s overdue %v, want rejected and no longer overdue", v.Status, v.Member.Overdue)
		}
		if overdue, _ := r.attrs.overdue(v.ID); overdue {
			t.Error("search attribute Overdue still set on a rejected order")
		}
	})
}

// rowAt is the last read-model row of the order recorded at instant.
func (f *fakes) rowAt(orderID string, instant time.Time) *recordedRow {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out *recordedRow
	for _, tr := range f.transitions {
		if tr.Order.ID == orderID && tr.Entry.At.Equal(instant) {
			out = &recordedRow{Status: tr.Order.Status, Overdue: tr.Order.Overdue}
		}
	}
	return out
}

type recordedRow struct {
	Status  string
	Overdue bool
}

// Emails to the member link to the order's page, where the member signs
// in; the client's copy has no such link: the client has no page.
func TestMemberEmailsLinkTheOrderPageForTheMemberOnly(t *testing.T) {
	r := newRun(t)
	r.activeAt2h()
	r.stopAt(3 * hour)
	r.executeMember(memberInput())
	page := "http://orderflow.test/app/orders/" + memberInput().OrderID
	toMember, ok := r.fakes.sentMessage("member_order_confirmed", mia)
	if !ok || !strings.Contains(toMember.Text, page) || !strings.Contains(toMember.HTML, page) {
		t.Errorf("the member's confirmation lacks %s:\n%s", page, toMember.Text)
	}
	toClient, ok := r.fakes.sentMessage("member_order_confirmed", carl)
	if !ok || strings.Contains(toClient.Text+toClient.HTML, "/app/") {
		t.Errorf("the client's confirmation links a page it cannot open:\n%s", toClient.Text)
	}
}

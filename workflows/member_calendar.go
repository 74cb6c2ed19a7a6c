package workflows

import (
	"fmt"
	"strings"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/orderflow/orderflow/activities"
	"github.com/orderflow/orderflow/lifecycle"
)

// Member order: its calendar, the deadlines of each status on the local
// clock and what happens when one elapses, and the waits for staff (waits.go).

// endOfDay is the end of date (23:59:59) in the order's time zone.
func (m *member) endOfDay(date string) time.Time {
	d, _ := time.ParseInLocation(dateLayout, date, m.location())
	return time.Date(d.Year(), d.Month(), d.Day(), 23, 59, 59, 0, m.location())
}

func (m *member) location() *time.Location { return zone(m.In.Settings.TimeZone) }

// localAt is the instant of date at hh:mm local time.
func (m *member) localAt(date, hhmm string) time.Time {
	d, _ := time.ParseInLocation(dateLayout, date, m.location())
	t, err := time.Parse("15:04", hhmm)
	if err != nil {
		t = time.Date(0, 1, 1, 9, 0, 0, 0, time.UTC)
	}
	return time.Date(d.Year(), d.Month(), d.Day(), t.Hour(), t.Minute(), 0, 0, m.location())
}

// offerExpiry is the end of offer_valid_until: 23:59:59 local.
func (m *member) offerExpiry() time.Time {
	d, _ := time.ParseInLocation(dateLayout, m.In.Content.OfferValidUntil, m.location())
	return time.Date(d.Year(), d.Month(), d.Day(), 23, 59, 59, 0, m.location())
}

// slaDue adds the SLA to the submission time counting weekdays only: time
// on Saturdays and Sundays (local) does not count.
func (m *member) slaDue() time.Time {
	return addWeekdayTime(m.SubmittedAt.In(m.location()), m.In.Settings.SmartSLA)
}

func addWeekdayTime(t time.Time, d time.Duration) time.Time {
	for d > 0 {
		if wd := t.Weekday(); wd == time.Saturday || wd == time.Sunday {
			t = time.Date(t.Year(), t.Month(), t.Day()+1, 0, 0, 0, 0, t.Location())
			continue
		}
		midnight := time.Date(t.Year(), t.Month(), t.Day()+1, 0, 0, 0, 0, t.Location())
		if left := midnight.Sub(t); d > left {
			d -= left
			t = midnight
			continue
		}
		return t.Add(d)
	}
	return t
}

// draftAt is when entry e's draft is made: the invoice time, lead before its date.
func (m *member) draftAt(e Entry) time.Time {
	return m.wallClockBefore(m.localAt(e.Date, m.In.Settings.InvoiceTime), m.In.Settings.InvoiceDraftLead)
}

// reminderAt is when the client is reminded: the lead before the offer ends.
func (m *member) reminderAt() time.Time {
	return m.wallClockBefore(m.offerExpiry(), m.In.Settings.ClientReminderLead)
}

// wallClockBefore is d before t on the local clock: "seven days before, at
// 09:00" stays at 09:00 when summer time starts or ends in between.
func (m *member) wallClockBefore(t time.Time, d time.Duration) time.Time {
	local := t.In(m.location())
	wall := time.Date(local.Year(), local.Month(), local.Day(), local.Hour(), local.Minute(), local.Second(), 0, time.UTC).Add(-d)
	return time.Date(wall.Year(), wall.Month(), wall.Day(), wall.Hour(), wall.Minute(), wall.Second(), 0, m.location())
}

// issueAt is when a drafted entry is issued: its date at the invoice time,
// but never sooner than the minimum review after its draft or after the
// resolution of its change request (issue 12). Orders started before change
// trusted-actions issue a resolved entry whose date has passed at once
// (docs/versioning.md).
func (m *member) issueAt(e Entry) time.Time {
	at := m.localAt(e.Date, m.In.Settings.InvoiceTime)
	switch {
	case e.ResolvedAt != nil && m.trusted:
		if min := e.ResolvedAt.Add(m.In.Settings.MinReview); min.After(at) {
			return min
		}
	case e.ResolvedAt != nil:
		if e.ResolvedAt.After(at) {
			return *e.ResolvedAt
		}
	case e.DraftedAt != nil:
		if min := e.DraftedAt.Add(m.In.Settings.MinReview); min.After(at) {
			return min
		}
	}
	return at
}

func (m *member) periodEnd() time.Time {
	d, _ := time.ParseInLocation(dateLayout, m.In.Content.ServicePeriod.End, m.location())
	return time.Date(d.Year(), d.Month(), d.Day()+1, 0, 0, 0, 0, m.location())
}

// deadlines are what the order waits for in its status now: its lifecycle
// deadlines, then the steps of the waits for a person (waits.go).
func (m *member) deadlines() []Deadline {
	return append(m.lifecycleDeadlines(), waitDeadlines(m.waits(), m.Waits)...)
}

func (m *member) lifecycleDeadlines() []Deadline {
	var ds []Deadline
	switch m.Status {
	case lifecycle.SmartConfirmation:
		if m.In.Content.OfferValidUntil != "" {
			ds = append(ds, Deadline{Name: lifecycle.DeadlineOffer, At: m.offerExpiry()})
		}
		if !m.Overdue && m.SubmittedAt != nil {
			ds = append(ds, Deadline{Name: lifecycle.DeadlineSLA, At: m.slaDue()})
		}
	case lifecycle.ClientConfirmation:
		ds = append(ds, Deadline{Name: lifecycle.DeadlineOffer, At: m.offerExpiry()})
		if !m.Reminded {
			ds = append(ds, Deadline{Name: lifecycle.DeadlineReminder, At: m.reminderAt()})
		}
	case lifecycle.Active:
		for i, e := range m.Entries {
			switch e.Status {
			case EntryPlanned:
				ds = append(ds, Deadline{Name: lifecycle.DeadlineDraft, Entry: i + 1, At: m.draftAt(e)})
			case EntryDrafted:
				ds = append(ds, Deadline{Name: lifecycle.DeadlineIssue, Entry: i + 1, At: m.issueAt(e)})
			}
		}
		if m.allInvoiced() {
			ds = append(ds, Deadline{Name: lifecycle.DeadlinePeriodEnd, At: m.periodEnd()})
		}
	case lifecycle.Rejected:
		if !m.Closed {
			ds = append(ds, Deadline{Name: lifecycle.DeadlineDuplicate, At: m.RejectedAt.Add(m.In.Settings.DuplicateWindow)})
		}
	}
	return ds
}

// describe names the invoice an invoice's deadline is for ("Invoice draft
// for invoice 1 of 2026-12-15"); the waits name theirs already.
func (m *member) describe(d Deadline) string {
	if (d.Name == lifecycle.DeadlineDraft || d.Name == lifecycle.DeadlineIssue) && d.Entry >= 1 && d.Entry <= len(m.Entries) {
		return d.Name + " for " + m.invoiceLabel(d.Entry-1)
	}
	return d.Name
}

func (m *member) elapse(ctx workflow.Context, d Deadline) {
	if m.elapseWait(ctx, d, m.waits(), &m.Waits, waitContext{title: m.In.Content.Title, loc: m.location()}) {
		return
	}
	switch d.Name {
	case lifecycle.DeadlineOffer:
		m.reject(ctx, lifecycle.OfferExpired, systemActor, "the offer expired before the order became active", "", "offer_expired")
	case lifecycle.DeadlineSLA:
		m.Overdue = true
		m.note(ctx, lifecycle.SLAElapsed, systemActor, "waiting longer than the Smart confirmation target", "")
		data := m.emailData()
		data.Recipient, data.Deadline = "Member support", m.localTime(*m.SubmittedAt)
		m.email("sla_escalation", activities.Address{Name: "Member support", Email: m.In.Settings.StaffEmail}, data)
	case lifecycle.DeadlineReminder:
		m.Reminded = true
		m.note(ctx, lifecycle.ClientReminded, systemActor, "", "")
		if m.Link != nil && m.Link.ID != "" { // not while a resent link is being made
			data := m.emailData()
			data.ActionLink, data.Deadline = confirmationLink(m.Link.ID), m.localTime(m.offerExpiry())
			m.emailClient("confirmation_reminder", "", data)
		}
	case lifecycle.DeadlineDraft:
		m.draft(ctx, d.Entry-1)
		m.note(ctx, lifecycle.InvoiceDrafted, systemActor, fmt.Sprintf("invoice %d of %s", d.Entry, m.Entries[d.Entry-1].Date), "")
	case lifecycle.DeadlineIssue:
		m.issue(ctx, d.Entry-1)
	case lifecycle.DeadlinePeriodEnd:
		m.transition(ctx, lifecycle.Completed, lifecycle.ServiceCompleted, systemActor, "", "")
		m.emailMember("member_order_completed", "", m.emailData())
	case lifecycle.DeadlineDuplicate:
		m.Closed = true
		m.note(ctx, lifecycle.DuplicateWindowEnded, systemActor, "", "")
	}
}

// waits are what the order waits for staff (member support) to do now
// (issue 12): decide a cancellation request, resolve each invoice change
// request; staff are told at once, reminded, then escalated at
// ORDERFLOW_STAFF_EMAIL. Orders started before ChangeBusinessRules have
// none.
func (m *member) waits() []Wait {
	s := m.In.Settings.Waits
	if !m.businessRules || !s.enabled() {
		return nil
	}
	if s.StaffEmail == "" {
		s.StaffEmail = m.In.Settings.StaffEmail
	}
	support := WaitOwner{Role: lifecycle.Staff, Label: "member support", Name: "Member support", Email: s.StaffEmail}
	escalation := WaitOwner{Role: lifecycle.Staff, Label: string(lifecycle.Staff), Name: "Staff", Email: s.StaffEmail}
	var ws []Wait
	switch m.Status {
	case lifecycle.CancellationRequested:
		if at, n, ok := m.enteredStatus(lifecycle.CancellationRequested); ok {
			ws = append(ws, s.newWait("cancellation_request", n, "approve or deny the member's cancellation request", support, escalation, at))
		}
	case lifecycle.Active:
		for i, e := range m.Entries {
			if e.Status != EntryHeld {
				continue
			}
			prefix := fmt.Sprintf("invoice %d:", i+1)
			at, n, ok := m.entered(func(t TimelineEntry) bool {
				return t.Action == lifecycle.RequestChanges && strings.HasPrefix(t.Reason, prefix)
			})
			if !ok {
				continue
			}
			w := s.newWait(fmt.Sprintf("change_request_%d", i+1), n, fmt.Sprintf("resolve the change request on invoice %d", i+1), support, escalation, at)
			w.Entry = i + 1
			ws = append(ws, w)
		}
	}
	return ws
}

func (m *member) localTime(t time.Time) string { return localTime(t, m.location()) }

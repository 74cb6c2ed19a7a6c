package workflows

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/orderflow/orderflow/activities"
	"github.com/orderflow/orderflow/lifecycle"
)

// Nobody waits forever without knowing (issue 12): every status in which an
// order waits for a person names an owner, who is told when the wait
// begins (unless an email of the order told them already), reminded once
// after a while, and after a longer while staff (or, for a supplier's
// wait, purchasing) are escalated once. Each flow lists its waits (waits()
// in marketplace_calendar.go and member_calendar.go); this file turns them
// into deadlines and handles those deadlines, the same way for every wait.
// Only orders started after ChangeBusinessRules have waits.

// WaitSettings are the durations and addresses of the waits, stamped on
// each order with the rest of its settings. Zero durations (orders created
// before they existed) mean no waits.
type WaitSettings struct {
	RemindAfter   time.Duration `json:"remind_after,omitempty"`
	EscalateAfter time.Duration `json:"escalate_after,omitempty"`
	// A credit request is reminded and escalated these leads before its
	// payment window ends (the order expires then, unseen otherwise).
	CreditReminderLead   time.Duration `json:"credit_reminder_lead,omitempty"`
	CreditEscalationLead time.Duration `json:"credit_escalation_lead,omitempty"`
	PurchasingEmail      string        `json:"purchasing_email,omitempty"`
	FinanceEmail         string        `json:"finance_email,omitempty"`
	// StaffEmail is where escalations go (ORDERFLOW_STAFF_EMAIL).
	StaffEmail string `json:"staff_email,omitempty"`
}

func (s WaitSettings) enabled() bool { return s.RemindAfter > 0 && s.EscalateAfter > 0 }

// WaitOwner is who a wait is for, or who is escalated.
type WaitOwner struct {
	Role  lifecycle.Role `json:"role"`
	Label string         `json:"label"` // "purchasing", "the supplier": how deadlines name them
	Name  string         `json:"name"`  // how an email greets them
	Email string         `json:"email"`
}

func (o WaitOwner) address() activities.Address {
	return activities.Address{Name: o.Name, Email: o.Email}
}

// Wait is one thing an order waits for a person to do.
type Wait struct {
	// Key names the wait and its round ("screening.1",
	// "change_request_2.1"): a wait that begins again (a second
	// cancellation request) gets the next round, and its own emails.
	Key   string
	What  string    // what the owner is to do: "release or cancel the order"
	Owner WaitOwner // told and reminded
	// EscalateTo is told when the owner has not acted after the reminder.
	EscalateTo WaitOwner
	Since      time.Time // when the owner became due
	// Told: an email of the order already told the owner when the wait began.
	Told       bool
	RemindAt   time.Time
	EscalateAt time.Time
	Entry      int // the schedule entry it concerns, from 1 (member change requests)
}

// WaitMark is what the order did for one wait; each step happens once.
type WaitMark struct {
	Key       string `json:"key"`
	Told      bool   `json:"told,omitempty"`
	Reminded  bool   `json:"reminded,omitempty"`
	Escalated bool   `json:"escalated,omitempty"`
}

// WaitMarks are the marks of an order's waits, carried with its state.
type WaitMarks []WaitMark

func (ms WaitMarks) get(key string) WaitMark {
	if i := slices.IndexFunc(ms, func(m WaitMark) bool { return m.Key == key }); i >= 0 {
		return ms[i]
	}
	return WaitMark{Key: key}
}

func (ms *WaitMarks) put(m WaitMark) {
	if i := slices.IndexFunc(*ms, func(x WaitMark) bool { return x.Key == m.Key }); i >= 0 {
		(*ms)[i] = m
		return
	}
	*ms = append(*ms, m)
}

// newWait is a wait with the deployment's reminder and escalation delays.
func (s WaitSettings) newWait(name string, round int, what string, owner, escalateTo WaitOwner, since time.Time) Wait {
	return Wait{
		Key: fmt.Sprintf("%s.%d", name, round), What: what, Owner: owner, EscalateTo: escalateTo, Since: since,
		RemindAt: since.Add(s.RemindAfter), EscalateAt: since.Add(s.EscalateAfter),
	}
}

// beforeExpiry moves a wait's reminder and escalation before expiry: the
// leads before it, or sooner by the usual delays; a window shorter than
// the leads is split (reminder half-way, escalation three quarters).
func (s WaitSettings) beforeExpiry(w Wait, expiry time.Time) Wait {
	if at := expiry.Add(-s.CreditReminderLead); at.Before(w.RemindAt) {
		w.RemindAt = at
	}
	if at := expiry.Add(-s.CreditEscalationLead); at.Before(w.EscalateAt) {
		w.EscalateAt = at
	}
	if !w.RemindAt.After(w.Since) || !w.RemindAt.Before(expiry) {
		w.RemindAt = w.Since.Add(expiry.Sub(w.Since) / 2)
	}
	if !w.EscalateAt.After(w.RemindAt) || !w.EscalateAt.Before(expiry) {
		w.EscalateAt = w.RemindAt.Add(expiry.Sub(w.RemindAt) / 2)
	}
	return w
}

// Deadline names of the waits begin with these: never the name of a
// lifecycle deadline.
const (
	noticePrefix     = "Notice to "
	reminderPrefix   = "Reminder to "
	escalationPrefix = "Escalation to "
)

func (w Wait) noticeName() string     { return noticePrefix + w.Owner.Label + ": " + w.What }
func (w Wait) reminderName() string   { return reminderPrefix + w.Owner.Label + ": " + w.What }
func (w Wait) escalationName() string { return escalationPrefix + w.EscalateTo.Label + ": " + w.What }

// isWaitDeadline: d is a step of a wait (a notice, reminder or
// escalation): the staff side's business, not the customer's, supplier's,
// member's or client's (Project).
func isWaitDeadline(d Deadline) bool {
	return strings.HasPrefix(d.Name, noticePrefix) || strings.HasPrefix(d.Name, reminderPrefix) ||
		strings.HasPrefix(d.Name, escalationPrefix)
}

// waitDeadlines are the steps of ws still to come.
func waitDeadlines(ws []Wait, marks WaitMarks) []Deadline {
	var ds []Deadline
	for _, w := range ws {
		m := marks.get(w.Key)
		if !w.Told && !m.Told {
			ds = append(ds, Deadline{Name: w.noticeName(), Entry: w.Entry, At: w.Since})
		}
		if !m.Reminded {
			ds = append(ds, Deadline{Name: w.reminderName(), Entry: w.Entry, At: w.RemindAt})
		}
		if !m.Escalated {
			ds = append(ds, Deadline{Name: w.escalationName(), Entry: w.Entry, At: w.EscalateAt})
		}
	}
	return ds
}

// WaitEmail is the data of the wait emails (templates wait_reminder and
// wait_escalation): what the order waits for, from whom, since when, and
// what happens next.
type WaitEmail struct {
	OrderID, Recipient, Title, Waiting, Owner, Since, Next string
	// Reminder: the owner was told already; this is the reminder.
	Reminder bool
}

// waitContext is what the wait emails say of the order.
type waitContext struct {
	title string
	loc   *time.Location
	// expiry, when set, is when the order ends if nobody acts.
	expiry func(w Wait) time.Time
}

// elapseWait handles d when it is a step of one of ws and reports whether
// it was: the owner told or reminded, or the escalation sent, each once
// per wait (marks).
func (c *core) elapseWait(ctx workflow.Context, d Deadline, ws []Wait, marks *WaitMarks, wc waitContext) bool {
	for _, w := range ws {
		m := marks.get(w.Key)
		local := func(t time.Time) string { return localTime(t, wc.loc) }
		data := WaitEmail{OrderID: c.ID, Title: wc.title, Waiting: w.What, Owner: w.Owner.Label, Since: local(w.Since)}
		var expires string
		if wc.expiry != nil {
			if at := wc.expiry(w); !at.IsZero() {
				expires = " The order expires on " + local(at) + " if nobody decides."
			}
		}
		switch d.Name {
		case w.noticeName():
			m.Told = true
			marks.put(m)
			// On the timeline too: it says who was told, and writes the read
			// model again without this step among the deadlines.
			c.note(ctx, lifecycle.OwnerTold, systemActor, w.Owner.Label+" told: "+w.What, "")
			data.Next = fmt.Sprintf("You will be reminded on %s if it is still waiting.%s", local(w.RemindAt), expires)
			c.waitEmail("wait_started#"+w.Key, "wait_reminder", w.Owner, data)
		case w.reminderName():
			m.Told, m.Reminded = true, true
			marks.put(m)
			c.note(ctx, lifecycle.OwnerReminded, systemActor, w.Owner.Label+" reminded: "+w.What, "")
			data.Reminder = true
			data.Next = fmt.Sprintf("If it is still waiting on %s, %s will be told.%s", local(w.EscalateAt), w.EscalateTo.Label, expires)
			c.waitEmail("wait_reminder#"+w.Key, "wait_reminder", w.Owner, data)
		case w.escalationName():
			m.Told, m.Reminded, m.Escalated = true, true, true
			marks.put(m)
			c.note(ctx, lifecycle.StaffEscalated, systemActor, w.EscalateTo.Label+" escalated: "+w.Owner.Label+" to "+w.What, "")
			data.Next = fmt.Sprintf("%s was reminded on %s and has not acted since; please follow up with them or act yourselves.%s",
				capitalize(w.Owner.Label), local(w.RemindAt), expires)
			c.waitEmail("wait_escalation#"+w.Key, "wait_escalation", w.EscalateTo, data)
		default:
			continue
		}
		return true
	}
	return false
}

// waitEmail sends one wait email; an owner without an address (a setting
// left empty) gets none.
func (c *core) waitEmail(purpose, template string, to WaitOwner, data WaitEmail) {
	if to.Email == "" {
		return
	}
	data.Recipient = to.Name
	c.sendEmail(activities.SendEmailInput{OrderID: c.ID, Purpose: purpose, Template: template, To: to.address(), Data: toMap(data)})
}

// entered finds the last applied timeline entry that match selects, and
// how many there are: when a wait began, and its round.
func (c *core) entered(match func(e TimelineEntry) bool) (time.Time, int, bool) {
	var at time.Time
	n := 0
	for _, e := range c.Timeline {
		if e.Outcome == activities.OutcomeApplied && match(e) {
			at, n = e.At, n+1
		}
	}
	return at, n, n > 0
}

// enteredStatus: when the order last moved into status s.
func (c *core) enteredStatus(s lifecycle.Status) (time.Time, int, bool) {
	return c.entered(func(e TimelineEntry) bool { return e.To == s && e.From != s })
}

// applied: when action a was last applied.
func (c *core) applied(a lifecycle.Action) (time.Time, int, bool) {
	return c.entered(func(e TimelineEntry) bool { return e.Action == a })
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

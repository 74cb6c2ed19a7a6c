package workflows

import (
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/orderflow/orderflow/lifecycle"
)

// Marketplace order: its calendar, the deadlines of each status and what
// happens when one elapses, and the waits for a person (waits.go).

// paymentDue ends the payment window: from creation, or from the credit's
// decline when that asked for the payment (PaymentAskedAt).
func (m *marketplace) paymentDue() time.Time {
	if m.PaymentAskedAt != nil {
		return m.PaymentAskedAt.Add(m.In.Settings.PaymentWindow)
	}
	return m.CreatedAt.Add(m.In.Settings.PaymentWindow)
}

func (m *marketplace) fulfilmentDue() time.Time {
	if m.ReleasedAt == nil {
		return time.Time{}
	}
	return m.ReleasedAt.Add(m.In.Settings.FulfilmentDeadline)
}

// deadlines are what the order waits for in its status now: its lifecycle
// deadlines, then the steps of the waits for a person (waits.go).
func (m *marketplace) deadlines() []Deadline {
	return append(m.lifecycleDeadlines(), waitDeadlines(m.waits(), m.Waits)...)
}

func (m *marketplace) lifecycleDeadlines() []Deadline {
	switch m.Status {
	case lifecycle.AwaitingPayment, lifecycle.AwaitingCredit:
		return []Deadline{{Name: lifecycle.DeadlinePayment, At: m.paymentDue()}}
	case lifecycle.Pending:
		return []Deadline{
			{Name: lifecycle.DeadlinePending, At: m.ReleasedAt.Add(m.In.Settings.PendingWindow)},
			{Name: lifecycle.DeadlineFulfilment, At: m.fulfilmentDue()},
		}
	case lifecycle.PendingExpiring:
		return []Deadline{{Name: lifecycle.DeadlineFulfilment, At: m.fulfilmentDue()}}
	case lifecycle.Completed:
		if m.Return.open() || m.Closed {
			return nil
		}
		return []Deadline{{Name: lifecycle.DeadlineReturns, At: m.CompletedAt.Add(m.In.Settings.ReturnWindow)}}
	}
	return nil
}

// describe: a marketplace deadline's name says all it waits for.
func (m *marketplace) describe(d Deadline) string { return d.Name }

func (m *marketplace) elapse(ctx workflow.Context, d Deadline) {
	if m.elapseWait(ctx, d, m.waits(), &m.Waits, m.waitContext()) {
		return
	}
	switch d.Name {
	case lifecycle.DeadlinePayment:
		m.transition(ctx, lifecycle.Expired, lifecycle.PaymentWindowElapsed, systemActor, "not paid in time", "")
		data := m.emailData()
		data.Reason = "it was not paid within the payment window"
		m.emailCustomer("order_expired", data)
		m.settlePayment(lifecycle.PaymentWindowElapsed)
	case lifecycle.DeadlinePending:
		m.expirePending(ctx, lifecycle.PendingWindowElapsed, "pending for "+m.In.Settings.PendingWindow.String())
	case lifecycle.DeadlineFulfilment:
		data := m.emailData()
		data.Reason, data.Refund = "no supplier accepted it in time", m.refundDue()
		m.transition(ctx, lifecycle.Expired, lifecycle.FulfilmentDeadline, systemActor, "no supplier accepted in time", "")
		m.emailCustomer("order_expired", data)
		m.settlePayment(lifecycle.FulfilmentDeadline)
	case lifecycle.DeadlineReturns:
		m.Closed = true
		m.note(ctx, lifecycle.ReturnWindowElapsed, systemActor, "returns closed", "")
	}
}

// waits are what the order waits for a person to do now (issue 12):
// purchasing to release it, finance to decide a credit request, the
// supplier to deliver once the requested date has passed, purchasing to
// decide a return and the supplier to inspect an approved one. Orders
// started before ChangeBusinessRules have none.
func (m *marketplace) waits() []Wait {
	s := m.In.Settings.Waits
	if !m.businessRules || !s.enabled() {
		return nil
	}
	purchasing := WaitOwner{Role: lifecycle.Purchasing, Label: string(lifecycle.Purchasing), Name: "Purchasing", Email: s.PurchasingEmail}
	finance := WaitOwner{Role: lifecycle.Finance, Label: string(lifecycle.Finance), Name: "Finance", Email: s.FinanceEmail}
	staff := WaitOwner{Role: lifecycle.Staff, Label: string(lifecycle.Staff), Name: "Staff", Email: s.StaffEmail}
	var supplier WaitOwner
	if m.Supplier != nil {
		supplier = WaitOwner{Role: lifecycle.Supplier, Label: "the supplier", Name: m.Supplier.Name, Email: m.Supplier.Email}
	}
	switch m.Status {
	case lifecycle.Screening:
		if at, n, ok := m.enteredStatus(lifecycle.Screening); ok {
			return []Wait{s.newWait(string(lifecycle.Screening), n, "release or cancel the order", purchasing, staff, at)}
		}
	case lifecycle.AwaitingCredit:
		if at, n, ok := m.enteredStatus(lifecycle.AwaitingCredit); ok {
			w := s.newWait("credit", n, "approve or decline the credit request", finance, staff, at)
			return []Wait{s.beforeExpiry(w, m.paymentDue())}
		}
	case lifecycle.InProgress:
		// The purchase order told the supplier the date; the wait begins
		// when the date has passed without a delivery.
		due := m.requestedDate()
		accepted, n, ok := m.applied(lifecycle.Accept)
		if m.Supplier == nil || m.DeliveryNote != nil || due.IsZero() || !ok {
			return nil
		}
		since := due.AddDate(0, 0, 1)
		if accepted.After(since) {
			since = accepted
		}
		w := s.newWait("delivery", n, "deliver the order, requested for "+m.In.Delivery.RequestedDate+", and record it", supplier, purchasing, since)
		w.Told = true
		return []Wait{w}
	case lifecycle.Completed:
		switch {
		case m.Return == nil:
		case m.Return.Decision == "":
			if at, n, ok := m.applied(lifecycle.RequestReturn); ok {
				return []Wait{s.newWait("return_decision", n, "approve or reject the return request", purchasing, staff, at)}
			}
		case m.Return.Decision == "approved" && m.Return.Resalable == nil && m.Supplier != nil:
			if at, n, ok := m.applied(lifecycle.ApproveReturn); ok {
				// The supplier's return_approved email told it.
				w := s.newWait("return_inspection", n, "inspect the returned goods and confirm or reject them as resalable", supplier, purchasing, at)
				w.Told = true
				return []Wait{w}
			}
		}
	}
	return nil
}

// waitContext is what the wait emails say of the order; a credit request
// expires with the payment window.
func (m *marketplace) waitContext() waitContext {
	return waitContext{title: m.title(), loc: m.location(), expiry: func(w Wait) time.Time {
		if m.Status == lifecycle.AwaitingCredit {
			return m.paymentDue()
		}
		return time.Time{}
	}}
}

func (m *marketplace) location() *time.Location { return zone(m.In.Settings.TimeZone) }

func (m *marketplace) localTime(t time.Time) string { return localTime(t, m.location()) }

func (m *marketplace) requestedDate() time.Time {
	d, err := time.ParseInLocation("2006-01-02", m.In.Delivery.RequestedDate, m.location())
	if err != nil {
		return time.Time{}
	}
	return d
}

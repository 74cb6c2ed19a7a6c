package workflows

import (
	"slices"

	"github.com/orderflow/orderflow/activities"
	"github.com/orderflow/orderflow/internal/auth"
	"github.com/orderflow/orderflow/internal/money"
	"github.com/orderflow/orderflow/lifecycle"
)

// Member order: who stands how to it (relations, guards) and what it shows
// (the system view projection.go narrows, the read-model snapshot).

func (m *member) relations(p auth.Principal) []lifecycle.Relation {
	switch {
	case p.Role == lifecycle.Member && p.Subject == m.In.MemberID:
		return []lifecycle.Relation{lifecycle.Owner}
	case p.Role == lifecycle.Client && m.linkHeldBy(p):
		return []lifecycle.Relation{lifecycle.LinkHolder}
	}
	return nil
}

// visibleTo: who may see the order is decided where what they see is
// (projection.go), from the same system view: drafts are the member's
// (and the staff user's who created one on the member's behalf).
func (m *member) visibleTo(p auth.Principal) bool {
	return Visible(m.systemView(), p)
}

func (m *member) guard(name string, _ Party) (bool, string) {
	switch name {
	case lifecycle.GuardDraftToReview:
		return slices.ContainsFunc(m.Entries, func(e Entry) bool { return e.Status == EntryDrafted }),
			"there is no invoice draft waiting for review"
	case lifecycle.GuardChangeOpen:
		return slices.ContainsFunc(m.Entries, func(e Entry) bool { return e.Status == EntryHeld }),
			"there is no open change request"
	case lifecycle.GuardWithdrawFromClient:
		return m.businessRules, "this order was created before an order could be withdrawn from client confirmation"
	}
	return false, "unknown guard " + name
}

func (m *member) totals() money.Totals {
	t, _ := money.Compute(m.In.Content.Lines)
	return t
}

func (m *member) view(viewer Party) OrderView {
	return m.forViewer(m.systemView(), viewer)
}

// systemView is the whole order (projection.go narrows it per viewer).
func (m *member) systemView() OrderView {
	v := m.baseView(lifecycle.MemberFlow.Labels[m.Status], m.In.Content.Title, m.totals().Gross, m.deadlines())
	c := m.In.Content
	v.Member = &MemberDetails{
		MemberName: m.In.MemberName, MemberEmail: m.In.MemberEmail, Client: c.Client, Lines: c.Lines, Totals: m.totals(),
		ServicePeriod: c.ServicePeriod, Schedule: m.Entries, OfferValidUntil: c.OfferValidUntil,
		SkipConfirmation: c.SkipClientConfirmation, ProofReference: c.ProofReference,
		PaymentGuarantee: m.PaymentGuarantee, Overdue: m.Overdue,
		DuplicatedFrom: m.In.DuplicatedFrom, Duplicates: m.Duplicates, ConfirmationLink: m.Link,
	}
	return v
}

// clientEmail is who the order invoices (the ClientEmail search attribute).
func (m *member) clientEmail() string { return m.In.Content.Client.Email }

// cancelRequest: Temporal's cancellation request approves the member's
// cancellation request as staff would; in any other status it is refused,
// since a member order is cancelled at the member's request only.
func (m *member) cancelRequest() (lifecycle.Action, ActionRequest) {
	return lifecycle.ApproveCancellation, ActionRequest{Actor: cancelRequestActor(lifecycle.Staff)}
}

func (m *member) snapshot() activities.OrderRow {
	o := m.baseSnapshot(m.In.Content.Title, m.totals().Gross, m.deadlines())
	o.Overdue = m.Overdue
	o.View = RecordedView(m.view(Party{Principal: systemActor}))
	return o
}

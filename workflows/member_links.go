package workflows

import (
	"fmt"
	"strconv"

	"go.temporal.io/sdk/workflow"

	"github.com/orderflow/orderflow/activities"
	"github.com/orderflow/orderflow/internal/auth"
	"github.com/orderflow/orderflow/lifecycle"
)

// Member order: the client's confirmation link, made and emailed, held by
// one client at a time, revoked when the order is withdrawn from the client.

// sendConfirmationLink makes a new single-use link for the client and emails it.
func (m *member) sendConfirmationLink() {
	round := m.LinkRound + 1 // after a withdrawal (0 before one)
	if m.Link != nil {
		round = m.Link.Round + 1
	}
	// The older link stops counting at once (its holder is no longer the
	// link holder), not only when the new one exists; and a second resend
	// before then gets the next round.
	m.Link = &ClientLinkRef{Round: round}
	in := activities.ClientLinkInput{Key: fmt.Sprintf("%s/confirmation/%d", m.ID, round), OrderID: m.ID, ExpiresAt: m.offerExpiry()}
	m.enqueue(fmt.Sprintf("client confirmation link %d", round), true, func(ctx workflow.Context) error {
		var link activities.ClientLinkRef
		if err := m.activity(ctx, acts.CreateClientLink, in, &link); err != nil {
			return err
		}
		if m.LinkRound >= round {
			return nil // withdrawn meanwhile: RevokeClientLinks, queued behind, revokes it
		}
		m.Link = &ClientLinkRef{ID: link.ID, Round: round}
		m.version++
		data := m.emailData()
		data.ActionLink, data.Deadline = confirmationLink(link.ID), m.localTime(m.offerExpiry())
		m.emailClient("confirmation_request", strconv.Itoa(round), data)
		return nil
	})
}

// withdrawFromClient takes an order in client confirmation back to draft
// (issue 12): the client's link stops working at once (the workflow no
// longer knows a link holder) and in the store (revoked, so the page says
// so), and the client is told the offer was withdrawn. The SLA and the
// reminder start afresh on the next submit and approval.
func (m *member) withdrawFromClient(ctx workflow.Context, actor auth.Principal, rid string) {
	if m.Link != nil {
		m.LinkRound = m.Link.Round
	}
	m.Link = nil
	m.SubmittedAt, m.Overdue, m.Reminded = nil, false, false
	m.transition(ctx, lifecycle.Draft, lifecycle.Withdraw, actor, "withdrawn from client confirmation", rid)
	in := activities.RevokeClientLinksInput{OrderID: m.ID}
	m.enqueue("revoke client links", true, func(ctx workflow.Context) error {
		return m.activity(ctx, acts.RevokeClientLinks, in, nil)
	})
	m.emailClient("offer_withdrawn", strconv.Itoa(m.LinkRound), m.emailData())
}

// linkHeldBy: p holds the order's current confirmation link (none while a
// new one is being made).
func (m *member) linkHeldBy(p auth.Principal) bool {
	return m.Link != nil && m.Link.ID != "" && p.Subject == "link:"+m.Link.ID
}

func confirmationLink(id string) *activities.BearerLink {
	return &activities.BearerLink{Kind: activities.LinkClientConfirmation, ID: id}
}

package workflows

import (
	"fmt"
	"slices"
	"strings"

	"go.temporal.io/sdk/workflow"

	"github.com/orderflow/orderflow/activities"
	"github.com/orderflow/orderflow/internal/auth"
	"github.com/orderflow/orderflow/lifecycle"
)

// Marketplace order: offering it to suppliers in rounds, their accept or
// decline, and withdrawing the open offers when the order is cancelled.

func (m *marketplace) accept(ctx workflow.Context, actor auth.Principal, rid string) {
	for _, o := range m.Offers {
		if o.Supplier.ID == actor.Subject {
			s := o.Supplier
			m.Supplier = &s
		}
	}
	m.transition(ctx, lifecycle.InProgress, lifecycle.Accept, actor, "", rid)
	data := m.emailData()
	m.emailCustomer("order_confirmed", data)
	docID := m.ID + "-purchase-order"
	po := m.purchaseOrder(docID, workflow.Now(ctx))
	summary := "purchase order PDF for supplier " + supplierText(*m.Supplier)
	m.enqueueAs("purchase order PDF", func() string { return summary }, true, func(ctx workflow.Context) error {
		var ref activities.DocumentRef
		err := m.activity(ctx, acts.RenderDocument, po, &ref)
		if err == nil {
			m.Documents = append(m.Documents, ref)
		}
		return err
	})
	m.emailTo("purchase_order", supplierAddress(*m.Supplier), m.supplierEmailData(*m.Supplier), docID)
}

func (m *marketplace) decline(ctx workflow.Context, actor auth.Principal, reason, rid string) {
	for i := range m.Offers {
		if m.Offers[i].Supplier.ID == actor.Subject {
			m.Offers[i].Declined, m.Offers[i].DeclineReason = true, reason
		}
	}
	m.note(ctx, lifecycle.Decline, actor, reason, rid)
	in := activities.RecordDeclineInput{OrderID: m.ID, SupplierID: actor.Subject, Reason: reason, At: workflow.Now(ctx)}
	summary := "record decline of supplier " + actor.Subject
	for _, o := range m.Offers {
		if o.Supplier.ID == actor.Subject {
			summary = "record decline of supplier " + supplierText(o.Supplier)
		}
	}
	m.enqueueAs("record decline of "+actor.Subject, func() string { return summary }, true, func(ctx workflow.Context) error {
		return m.activity(ctx, acts.RecordDecline, in, nil)
	})
	if m.Status == lifecycle.Pending && m.firstRoundDeclined() {
		m.expirePending(ctx, lifecycle.TopSuppliersDeclined, "the top suppliers declined")
	}
}

// firstRoundDeclined: every supplier of the first round (up to three) declined.
func (m *marketplace) firstRoundDeclined() bool {
	firstRound := 0
	for _, o := range m.Offers {
		if o.Round == 1 {
			firstRound++
			if !o.Declined {
				return false
			}
		}
	}
	return firstRound > 0
}

func (m *marketplace) expirePending(ctx workflow.Context, a lifecycle.Action, reason string) {
	m.transition(ctx, lifecycle.PendingExpiring, a, systemActor, reason, "")
	m.offerToSuppliers(2, 0)
}

// ChangeCancelTellsOfferedSuppliers is the workflow.GetVersion change id of
// withdrawOffers (docs/versioning.md walks through it).
const ChangeCancelTellsOfferedSuppliers = "cancel-tells-offered-suppliers"

// withdrawOffers tells the suppliers still considering a cancelled order
// that it is gone, so none of them prepares goods for it. Orders cancelled
// before this change told nobody; their histories have no marker for it,
// GetVersion answers DefaultVersion when they replay, and they keep the old
// commands.
func (m *marketplace) withdrawOffers(ctx workflow.Context, reason string) {
	open := slices.DeleteFunc(slices.Clone(m.Offers), func(o Offer) bool { return o.Declined })
	if len(open) == 0 {
		return
	}
	if !m.lean && workflow.GetVersion(ctx, ChangeCancelTellsOfferedSuppliers, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		return
	}
	for _, o := range open {
		// Only what the template shows: never the customer's price or refund.
		m.emailTo("order_cancelled", supplierAddress(o.Supplier), OrderEmail{OrderID: m.ID, Reason: reason})
	}
}

// offerToSuppliers ranks the eligible suppliers and offers the order to
// those not offered yet: the best `limit` of them, or all when limit is 0.
func (m *marketplace) offerToSuppliers(round, limit int) {
	in := activities.RankSuppliersInput{Category: m.In.Category, Region: m.In.Delivery.Region}
	m.enqueue(fmt.Sprintf("offer to suppliers (round %d)", round), true, func(ctx workflow.Context) error {
		if m.Status != lifecycle.Pending && m.Status != lifecycle.PendingExpiring {
			return nil // cancelled, expired or accepted while this step waited: nothing to offer
		}
		var ranked []activities.SupplierRef
		if err := m.activity(ctx, acts.RankSuppliers, in, &ranked); err != nil {
			return err
		}
		var fresh []activities.SupplierRef
		for _, s := range ranked {
			if !m.offered(s.ID) && (limit == 0 || len(fresh) < limit) {
				fresh = append(fresh, s)
			}
		}
		if len(fresh) == 0 {
			return nil
		}
		rec := activities.RecordOffersInput{OrderID: m.ID, Round: round, At: workflow.Now(ctx)}
		for _, s := range fresh {
			rec.SupplierIDs = append(rec.SupplierIDs, s.ID)
		}
		names := make([]string, len(fresh))
		for i, s := range fresh {
			names[i] = supplierText(s)
		}
		offering := withSummary(ctx, fmt.Sprintf("record the round %d offer to %s", round, strings.Join(names, ", ")))
		if err := m.activity(offering, acts.RecordOffers, rec, nil); err != nil {
			return err
		}
		if m.trusted && m.Status != lifecycle.Pending && m.Status != lifecycle.PendingExpiring {
			return nil // accepted, cancelled or expired while the suppliers were ranked: no offer goes out
		}
		for _, s := range fresh {
			m.Offers = append(m.Offers, Offer{Supplier: s, Round: round})
			// No link: the feed is the API's JSON behind a bearer token,
			// nothing a supplier can open (TestEmailsLinkOnlyToPages).
			data := m.supplierEmailData(s)
			data.Deadline = m.localTime(m.fulfilmentDue())
			m.emailTo("supplier_offer", supplierAddress(s), data)
		}
		m.version++
		return nil
	})
}

// supplierText names a supplier in the Web UI: "Alpha (sup_a)".
func supplierText(s activities.SupplierRef) string {
	if s.Name == "" {
		return s.ID
	}
	return s.Name + " (" + s.ID + ")"
}

// offeredTo is every supplier the order was offered to, in the order of the offers.
func (m *marketplace) offeredTo() []string {
	ids := make([]string, len(m.Offers))
	for i, o := range m.Offers {
		ids[i] = o.Supplier.ID
	}
	return ids
}

func (m *marketplace) offered(supplierID string) bool {
	return slices.ContainsFunc(m.Offers, func(o Offer) bool { return o.Supplier.ID == supplierID })
}

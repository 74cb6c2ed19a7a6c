package workflows

import (
	"slices"
	"strings"

	"github.com/orderflow/orderflow/activities"
	"github.com/orderflow/orderflow/internal/auth"
	"github.com/orderflow/orderflow/internal/money"
	"github.com/orderflow/orderflow/lifecycle"
)

// Each party sees exactly its part (issue 12). Project is the one place
// that decides what of an order a viewer may read: it takes the system's
// view of the order (what the read model stores, m.view(system)) and the
// viewer, and returns the viewer's view. The workflow's query and update
// answers and an order read back from Postgres after Temporal purged its
// workflow all go through it, so the live order and the archived one show
// the same to everyone. AllowedActions and WaitingFor are the workflow's
// business: Project leaves them empty, the workflow fills them in.

// Project returns viewer's view of the order whose system view is full, and
// whether viewer may see the order at all (false: answer as for an unknown
// order, 404).
func Project(full OrderView, viewer auth.Principal) (OrderView, bool) {
	if !Visible(full, viewer) {
		return OrderView{}, false
	}
	v := full
	v.AllowedActions, v.WaitingFor = []lifecycle.Action{}, nil
	flow, _ := lifecycle.FlowNamed(full.Flow)
	if flow.Access[viewer.Role].Reach == lifecycle.AllOrders {
		// The staff side, who reach every order of the flow, reads the
		// whole order: their job is the order.
		v.Timeline, v.Documents, v.Emails = nonNil(slices.Clone(full.Timeline)), nonNil(full.Documents), nonNil(full.Emails)
		v.Deadlines = nonNil(full.Deadlines)
		return v, true
	}
	// Every other party: no ops detail, no other party's email, no staff
	// identities, no internal notes, no internal reminders or escalations.
	v.NeedsAttention, v.Attention = false, nil
	v.Deadlines = slices.DeleteFunc(slices.Clone(nonNil(full.Deadlines)), isWaitDeadline)
	if full.Marketplace != nil {
		switch viewer.Role {
		case lifecycle.Customer:
			return projectCustomer(v, viewer), true
		case lifecycle.Supplier:
			return projectSupplier(v, viewer), true
		}
	}
	if full.Member != nil {
		switch viewer.Role {
		case lifecycle.Member:
			return projectMember(v, viewer), true
		case lifecycle.Client:
			return projectClient(v, viewer), true
		}
	}
	return OrderView{}, false
}

// Visible reports whether viewer may see the order at all: the lifecycle's
// Access of the viewer's role to the order's flow says how many of its
// orders it reaches, and in which statuses only the ones it created.
func Visible(full OrderView, p auth.Principal) bool {
	flow, known := lifecycle.FlowNamed(full.Flow)
	if full.ID == "" || !known {
		return false
	}
	access := flow.Access[p.Role]
	if slices.Contains(access.CreatorOnly, full.Status) && !createdBy(full, p) {
		return false
	}
	switch access.Reach {
	case lifecycle.AllOrders:
		return true
	case lifecycle.OwnOrders:
		return p.Subject == full.Owner
	case lifecycle.OfferedOrders:
		return full.Marketplace != nil && slices.ContainsFunc(full.Marketplace.Offers, func(o Offer) bool { return o.Supplier.ID == p.Subject })
	case lifecycle.LinkedOrder:
		if full.Member == nil {
			return false
		}
		l := full.Member.ConfirmationLink
		return l != nil && l.ID != "" && p.Subject == "link:"+l.ID
	}
	return false
}

// createdBy: p created the order (the timeline's create entry names them).
func createdBy(full OrderView, p auth.Principal) bool {
	for _, e := range full.Timeline {
		if e.Action == lifecycle.Create {
			return e.actedBy(p)
		}
	}
	return false
}

// CreatorOf is who created the order, from its timeline's create entry.
func CreatorOf(full OrderView) (auth.Principal, bool) {
	for _, e := range full.Timeline {
		if e.Action == lifecycle.Create {
			return auth.Principal{Role: e.ActorRole, Subject: e.ActorID}, true
		}
	}
	return auth.Principal{}, false
}

// timelineRule says which entries of the timeline a party reads and whose
// reasons.
type timelineRule struct {
	// notes are the actions that do not change the status which the party
	// reads (status changes are read by every party that sees the order).
	notes []lifecycle.Action
	// reasons are the actions whose reason the party reads (its own
	// entries always show theirs).
	reasons []lifecycle.Action
	// statuses, when set, limits the status changes the party reads to
	// those into these statuses.
	statuses []lifecycle.Status
	// actorsOf are the roles whose actor ids the party reads on others'
	// entries (the member reads its client's link id, never a staff id).
	actorsOf []lifecycle.Role
	// allBut, when set, lets the party read every entry and reason but the
	// actions it names (notes and reasons above are then ignored).
	allBut []lifecycle.Action
}

// partyTimeline is the timeline as a non-staff party reads it: its own
// entries whole (request id included), the status changes, and the notes
// of rule; never a refused entry, another party's actor id or request id,
// how an action arrived (via), or a reason rule does not name.
func partyTimeline(all []TimelineEntry, p auth.Principal, rule timelineRule) []TimelineEntry {
	out := []TimelineEntry{}
	for _, e := range all {
		own := e.actedBy(p)
		switch {
		case own && e.Outcome != "refused":
		case e.Outcome == "refused":
			continue
		case e.From != e.To && e.From != "" && e.Action != lifecycle.Create:
			if rule.statuses != nil && !slices.Contains(rule.statuses, e.To) {
				continue
			}
		case rule.allBut != nil && slices.Contains(rule.allBut, e.Action):
			continue
		case rule.allBut != nil:
		case e.Action == lifecycle.Create && rule.statuses == nil:
		case slices.Contains(rule.notes, e.Action):
		default:
			continue
		}
		if !own {
			if !slices.Contains(rule.actorsOf, e.ActorRole) {
				e.ActorID = ""
			}
			e.RequestID, e.Via = "", ""
			if rule.allBut == nil && !slices.Contains(rule.reasons, e.Action) {
				e.Reason = ""
			}
		}
		out = append(out, e)
	}
	return out
}

// emailsTo keeps the emails sent to one of addrs.
func emailsTo(all []SentEmail, addrs ...string) []SentEmail {
	out := []SentEmail{}
	for _, e := range all {
		if e.Recipient != "" && slices.Contains(addrs, e.Recipient) {
			out = append(out, e)
		}
	}
	return out
}

// documentsOfKind keeps the documents of the kinds given.
func documentsOfKind(all []activities.DocumentRef, kinds ...string) []activities.DocumentRef {
	out := []activities.DocumentRef{}
	for _, d := range all {
		if slices.Contains(kinds, d.Kind) {
			out = append(out, d)
		}
	}
	return out
}

// Marketplace.

// customerTimeline: the customer reads the status changes (with the reasons
// it is emailed anyway: a declined credit, a cancellation, an expiry), the
// delivery and its return's decisions; never purchasing's margin, a
// supplier's decline or invoice, ops' retries.
var customerTimeline = timelineRule{
	notes: []lifecycle.Action{lifecycle.MarkDelivered, lifecycle.RequestReturn, lifecycle.ApproveReturn, lifecycle.RejectReturn, lifecycle.RejectResalable},
	reasons: []lifecycle.Action{lifecycle.DeclineCredit, lifecycle.Cancel, lifecycle.PaymentWindowElapsed, lifecycle.PendingWindowElapsed, lifecycle.TopSuppliersDeclined,
		lifecycle.FulfilmentDeadline, lifecycle.MarkDelivered, lifecycle.RejectReturn, lifecycle.RejectResalable, lifecycle.RequestReturn},
}

// projectCustomer: the paying customer sees its order at its own prices,
// the delivery and its payment and refund; never the margin, what the
// supplier is paid, the offers, the supplier, the supplier's invoice, the
// purchase order or any email but its own.
func projectCustomer(v OrderView, p auth.Principal) OrderView {
	m := *v.Marketplace
	m.MarginPercent, m.SupplierCost, m.Offers, m.Supplier, m.SupplierInvoice = nil, nil, nil, nil, nil
	v.Marketplace = &m
	v.Timeline = partyTimeline(v.Timeline, p, customerTimeline)
	v.Documents = documentsOfKind(v.Documents, "invoice", "credit_note")
	v.Emails = emailsTo(v.Emails, m.CustomerEmail)
	return v
}

// supplierTimeline: the supplier that took the order reads its own steps
// and the status changes from the offer on; no reason but the return's
// (it inspects the goods returned) and the delivery note.
var supplierTimeline = timelineRule{
	notes:    []lifecycle.Action{lifecycle.MarkDelivered, lifecycle.ApproveReturn},
	reasons:  []lifecycle.Action{lifecycle.MarkDelivered, lifecycle.RequestReturn},
	statuses: []lifecycle.Status{lifecycle.Pending, lifecycle.PendingExpiring, lifecycle.InProgress, lifecycle.Completed, lifecycle.Returned, lifecycle.Cancelled, lifecycle.Expired},
}

// projectSupplier: a supplier sees the goods (at its own price), the
// delivery, its own pay, documents and emails; never the customer (id,
// email, prices, payment, refund), the margin, another supplier or who
// won. A supplier that declined the order, or whose offer ended without
// it taking the order, reads that the order is no longer available.
func projectSupplier(v OrderView, p auth.Principal) OrderView {
	full := *v.Marketplace
	var own *Offer
	for i := range full.Offers {
		if full.Offers[i].Supplier.ID == p.Subject {
			o := full.Offers[i]
			own = &o
		}
	}
	won := full.Supplier != nil && full.Supplier.ID == p.Subject
	open := full.Supplier == nil && (v.Status == lifecycle.Pending || v.Status == lifecycle.PendingExpiring)
	if own == nil || own.Declined || (!won && !open) {
		return goneForSupplier(v)
	}
	lines, totals := supplierLinesOf(full.Items, full.MarginPercent)
	items := make([]Item, len(full.Items))
	for i, it := range full.Items {
		it.UnitPrice = lines[i].UnitPrice
		items[i] = it
	}
	m := MarketplaceDetails{
		Items: items, Category: full.Category, Delivery: full.Delivery, Totals: totals, SupplierCost: &totals.Net,
		Offers: []Offer{*own}, DeliveryNote: full.DeliveryNote,
	}
	if won {
		m.Supplier, m.SupplierInvoice = full.Supplier, full.SupplierInvoice
		// A return concerns the supplier once approved: it inspects the
		// goods. The refund stays the customer's.
		if r := full.Return; r != nil && r.Decision == "approved" {
			ret := *r
			m.Return = &ret
		}
	}
	v.Owner, v.Total, v.Marketplace = "", totals.Net, &m
	v.Timeline = partyTimeline(v.Timeline, p, supplierTimeline)
	if won {
		v.Documents = documentsOfKind(v.Documents, "purchase_order", "supplier_invoice")
	} else {
		v.Documents = []activities.DocumentRef{}
	}
	v.Emails = emailsTo(v.Emails, own.Supplier.Email)
	return v
}

// goneForSupplier is all a supplier reads of an order it no longer has a
// part in: its id, that it is gone, and nothing of it.
func goneForSupplier(v OrderView) OrderView {
	return OrderView{
		ID: v.ID, Flow: v.Flow, Status: lifecycle.NoLongerAvailable, StatusLabel: "No longer available",
		Currency: v.Currency, CreatedAt: v.CreatedAt, UpdatedAt: v.CreatedAt, Closed: true,
		Deadlines: []Deadline{}, Timeline: []TimelineEntry{}, Documents: []activities.DocumentRef{},
		Emails: []SentEmail{}, AllowedActions: []lifecycle.Action{},
	}
}

// supplierLinesOf are items at the supplier's price: each unit price less
// the margin, and their totals. The workflow (marketplace.supplierLines)
// and the projection of a stored view both take the supplier's pay from here.
func supplierLinesOf(items []Item, margin *money.Rate) ([]money.Line, money.Totals) {
	lines := itemLines(items)
	if margin != nil {
		for i := range lines {
			cut, _ := money.VATOn(lines[i].UnitPrice, *margin)
			lines[i].UnitPrice -= cut
		}
	}
	totals, _ := money.Compute(lines)
	return lines, totals
}

// Member orders.

// memberTimeline: the member reads its order's whole story (staff's and
// the client's reasons included) but ops' work on its side effects and the
// reminders and escalations of who the order waits for (waits.go; the
// member's own come by email).
var memberTimeline = timelineRule{
	allBut:   []lifecycle.Action{lifecycle.OpsRetry, lifecycle.OpsSkip, lifecycle.StepFailed, lifecycle.OwnerTold, lifecycle.OwnerReminded, lifecycle.StaffEscalated},
	actorsOf: []lifecycle.Role{lifecycle.Member, lifecycle.Client, lifecycle.System},
}

// projectMember: the member sees its whole order but the staff side's
// identities and request ids, ops' work, and emails to anyone but itself
// and its client (the staff escalation).
func projectMember(v OrderView, p auth.Principal) OrderView {
	m := *v.Member
	v.Member = &m
	v.Timeline = partyTimeline(v.Timeline, p, memberTimeline)
	if m.MemberEmail != "" {
		v.Emails = emailsTo(v.Emails, m.MemberEmail, m.Client.Email)
	} else {
		// A view recorded before the member's address was in it (an
		// archived order): every email but the staff side's.
		v.Emails = slices.DeleteFunc(slices.Clone(v.Emails), func(e SentEmail) bool {
			return strings.HasPrefix(e.Purpose, "sla_escalation") || strings.HasPrefix(e.Purpose, "wait_escalation")
		})
	}
	return v
}

// clientTimeline: the client reads the status changes only.
var clientTimeline = timelineRule{
	reasons: []lifecycle.Action{lifecycle.Reject, lifecycle.OfferExpired, lifecycle.ApproveCancellation},
}

// projectClient: the client holding the confirmation link sees the offer it
// is asked to confirm and the invoices it receives; never the member's
// drafts, change requests, proof, SLA, other orders, or emails to others.
func projectClient(v OrderView, p auth.Principal) OrderView {
	m := *v.Member
	m.MemberEmail, m.ProofReference, m.Overdue, m.ConfirmationLink = "", "", false, nil
	m.DuplicatedFrom, m.Duplicates = "", nil
	v.Owner = "" // the member's id is the organisation's, not the client's
	m.Schedule = make([]Entry, len(v.Member.Schedule))
	for i, e := range v.Member.Schedule {
		m.Schedule[i] = Entry{Date: e.Date, Lines: e.Lines, Status: clientEntryStatus(e.Status), Invoice: e.Invoice, CreditNote: e.CreditNote}
	}
	v.Member = &m
	v.Timeline = partyTimeline(v.Timeline, p, clientTimeline)
	v.Documents = documentsOfKind(v.Documents, "invoice", "credit_note")
	v.Emails = emailsTo(v.Emails, m.Client.Email)
	return v
}

// clientEntryStatus hides the member's review of a planned invoice from
// the client: drafted or held is still planned for it.
func clientEntryStatus(s string) string {
	if s == EntryDrafted || s == EntryHeld {
		return EntryPlanned
	}
	return s
}

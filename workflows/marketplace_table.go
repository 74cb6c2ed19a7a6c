package workflows

import "github.com/orderflow/orderflow/internal/auth"

// Marketplace statuses (seed 004; ../shared/spec/lifecycles.md "Marketplace orders").
const (
	AwaitingPayment Status = "awaiting_payment"
	AwaitingCredit  Status = "awaiting_credit"
	Screening       Status = "screening"
	Pending         Status = "pending"
	PendingExpiring Status = "pending_expiring"
	InProgress      Status = "in_progress"
	Completed       Status = "completed"
	Returned        Status = "returned"
	Expired         Status = "expired"
	Cancelled       Status = "cancelled"
)

// Marketplace actions. The system ones are applied by the payment webhook or
// by the workflow's own timers; they are in the table so that every way an
// order moves is written down here.
const (
	PaymentConfirmed Action = "payment_confirmed"
	ApproveCredit    Action = "approve_credit"
	DeclineCredit    Action = "decline_credit"
	SetMargin        Action = "set_margin"
	Release          Action = "release"
	Accept           Action = "accept"
	Decline          Action = "decline"
	MarkDelivered    Action = "mark_delivered"
	UploadInvoice    Action = "upload_invoice"
	CannotFulfil     Action = "cannot_fulfil"
	Cancel           Action = "cancel"
	RequestReturn    Action = "request_return"
	ApproveReturn    Action = "approve_return"
	RejectReturn     Action = "reject_return"
	ConfirmResalable Action = "confirm_resalable"
	RejectResalable  Action = "reject_resalable"

	PaymentWindowElapsed Action = "payment_window_elapsed"
	PendingWindowElapsed Action = "pending_window_elapsed"
	TopSuppliersDeclined Action = "top_suppliers_declined"
	FulfilmentDeadline   Action = "fulfilment_deadline_elapsed"
	ReturnWindowElapsed  Action = "return_window_elapsed"
	DeliveredAndInvoiced Action = "delivered_and_invoiced" // both recorded: the order completes
)

// Guards of the marketplace table: conditions on the order beyond its status.
const (
	GuardMarginSet       = "margin_set"       // release needs a margin
	GuardReturnOpen      = "no_return_yet"    // one return request per order
	GuardReturnRequested = "return_requested" // purchasing decides a pending request
	GuardReturnApproved  = "return_approved"  // the supplier inspects an approved return
	GuardNotDelivered    = "not_delivered"    // delivery is recorded once
	GuardNoInvoice       = "no_invoice"       // the supplier's invoice is recorded once
	// GuardNotDeliveredYet: a delivered order is completed by the
	// supplier's invoice or undone by a return, never cancelled (issue 12).
	GuardNotDeliveredYet = "not_delivered_yet"
	// GuardCustomerMayCancel: in screening the customer may cancel (and is
	// refunded) since change business-rules (issue 12); purchasing always
	// could. Evaluated per party: it never refuses purchasing.
	GuardCustomerMayCancel = "customer_may_cancel"
)

var (
	customerOwner    = Grant{auth.Customer, Owner}
	purchasing       = Grant{auth.Purchasing, AnyHolder}
	finance          = Grant{auth.Finance, AnyHolder}
	system           = Grant{auth.System, AnyHolder}
	offeredSupplier  = Grant{auth.Supplier, OfferedSupplier}
	acceptedSupplier = Grant{auth.Supplier, AcceptedSupplier}
)

func grants(gs ...Grant) []Grant { return gs }

// supplierRound is what pending and pending expiring share: the order is on
// the live feed, offered suppliers accept or decline, the customer may cancel.
func supplierRound() map[Action]Rule {
	return map[Action]Rule{
		Accept:             {Grants: grants(offeredSupplier), To: []Status{InProgress}},
		Decline:            {Grants: grants(offeredSupplier)},
		Cancel:             {Grants: grants(customerOwner, purchasing), To: []Status{Cancelled}},
		FulfilmentDeadline: {Grants: grants(system), To: []Status{Expired}},
	}
}

// MarketplaceTable is the marketplace lifecycle.
var MarketplaceTable = Table{
	Flow:     "marketplace",
	Initial:  []Status{AwaitingPayment, AwaitingCredit},
	Statuses: []Status{AwaitingPayment, AwaitingCredit, Screening, Pending, PendingExpiring, InProgress, Completed, Returned, Expired, Cancelled},
	Final:    []Status{Returned, Expired, Cancelled},
	Rules: map[Status]map[Action]Rule{
		AwaitingPayment: {
			PaymentConfirmed:     {Grants: grants(system), To: []Status{Screening}},
			Cancel:               {Grants: grants(customerOwner, purchasing), To: []Status{Cancelled}},
			PaymentWindowElapsed: {Grants: grants(system), To: []Status{Expired}},
		},
		AwaitingCredit: {
			ApproveCredit:        {Grants: grants(finance), To: []Status{Screening}},
			DeclineCredit:        {Grants: grants(finance), To: []Status{AwaitingPayment}},
			Cancel:               {Grants: grants(customerOwner, purchasing), To: []Status{Cancelled}},
			PaymentWindowElapsed: {Grants: grants(system), To: []Status{Expired}},
			OwnerTold:            {Grants: grants(system)},
			OwnerReminded:        {Grants: grants(system)},
			StaffEscalated:       {Grants: grants(system)},
		},
		Screening: {
			SetMargin: {Grants: grants(purchasing)},
			Release:   {Grants: grants(purchasing), To: []Status{Pending}, Guard: GuardMarginSet},
			Cancel:    {Grants: grants(customerOwner, purchasing), To: []Status{Cancelled}, Guard: GuardCustomerMayCancel},

			// The waits for a person (waits.go), in every status that has one.
			OwnerTold:      {Grants: grants(system)},
			OwnerReminded:  {Grants: grants(system)},
			StaffEscalated: {Grants: grants(system)},
		},
		Pending: withRules(supplierRound(), map[Action]Rule{
			PendingWindowElapsed: {Grants: grants(system), To: []Status{PendingExpiring}},
			TopSuppliersDeclined: {Grants: grants(system), To: []Status{PendingExpiring}},
		}),
		PendingExpiring: supplierRound(),
		InProgress: {
			MarkDelivered:        {Grants: grants(acceptedSupplier), Guard: GuardNotDelivered},
			UploadInvoice:        {Grants: grants(acceptedSupplier), Guard: GuardNoInvoice},
			DeliveredAndInvoiced: {Grants: grants(system), To: []Status{Completed}},
			OwnerReminded:        {Grants: grants(system)},
			StaffEscalated:       {Grants: grants(system)},
			CannotFulfil:         {Grants: grants(acceptedSupplier), To: []Status{Cancelled}, Guard: GuardNotDeliveredYet},
			Cancel:               {Grants: grants(customerOwner, purchasing), To: []Status{Cancelled}, Guard: GuardNotDeliveredYet},
		},
		Completed: {
			RequestReturn:       {Grants: grants(customerOwner), Guard: GuardReturnOpen},
			ApproveReturn:       {Grants: grants(purchasing), Guard: GuardReturnRequested},
			RejectReturn:        {Grants: grants(purchasing), Guard: GuardReturnRequested},
			ConfirmResalable:    {Grants: grants(acceptedSupplier), To: []Status{Returned}, Guard: GuardReturnApproved},
			RejectResalable:     {Grants: grants(acceptedSupplier), Guard: GuardReturnApproved},
			ReturnWindowElapsed: {Grants: grants(system)},
			OwnerTold:           {Grants: grants(system)},
			OwnerReminded:       {Grants: grants(system)},
			StaffEscalated:      {Grants: grants(system)},
		},
		Returned:  {},
		Expired:   {},
		Cancelled: {},
	},
}

func withRules(base, extra map[Action]Rule) map[Action]Rule {
	for a, r := range extra {
		base[a] = r
	}
	return base
}

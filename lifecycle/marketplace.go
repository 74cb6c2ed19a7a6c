package lifecycle

// The marketplace lifecycle (seed 004, "Marketplace orders" in
// docs/lifecycle-marketplace.md): a customer's order of goods, paid up front
// or on credit terms, released by purchasing to suppliers who compete for it.

// Marketplace statuses.
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

// The marketplace's deadlines, as the order and its timeline name them.
const (
	DeadlinePayment    = "Payment window"
	DeadlinePending    = "Pending window"
	DeadlineFulfilment = "Fulfilment deadline"
	DeadlineReturns    = "Return window"
)

var (
	customerOwner    = Grant{Customer, Owner}
	purchasing       = Grant{Purchasing, AnyHolder}
	finance          = Grant{Finance, AnyHolder}
	system           = Grant{System, AnyHolder}
	offeredSupplier  = Grant{Supplier, OfferedSupplier}
	acceptedSupplier = Grant{Supplier, AcceptedSupplier}
)

func grants(gs ...Grant) []Grant { return gs }

// byTimer is an action of the order's own timer; byOrder one the order
// applies as the consequence of another; byWebhook the payment provider's.
func byTimer(to ...Status) Rule   { return Rule{Grants: grants(system), To: to, Trigger: ByTimer} }
func byOrder(to ...Status) Rule   { return Rule{Grants: grants(system), To: to, Trigger: ByOrder} }
func byWebhook(to ...Status) Rule { return Rule{Grants: grants(system), To: to, Trigger: ByWebhook} }

// waitingForSomeone are the timers of a wait for a person (WaitActions),
// in a status that has one; told is false where an email of the lifecycle
// already told the owner.
func waitingForSomeone(told bool) map[Action]Rule {
	rules := map[Action]Rule{OwnerReminded: byTimer(), StaffEscalated: byTimer()}
	if told {
		rules[OwnerTold] = byTimer()
	}
	return rules
}

// supplierRound is what pending and pending expiring share: the order is on
// the live feed, offered suppliers accept or decline, the customer may cancel.
func supplierRound() map[Action]Rule {
	return map[Action]Rule{
		Accept:             {Grants: grants(offeredSupplier), To: []Status{InProgress}},
		Decline:            {Grants: grants(offeredSupplier)},
		Cancel:             {Grants: grants(customerOwner, purchasing), To: []Status{Cancelled}},
		FulfilmentDeadline: byTimer(Expired),
	}
}

// MarketplaceFlow is the marketplace lifecycle.
var MarketplaceFlow = Flow{
	Name:     "marketplace",
	Statuses: []Status{AwaitingPayment, AwaitingCredit, Screening, Pending, PendingExpiring, InProgress, Completed, Returned, Expired, Cancelled},
	Labels: map[Status]string{
		AwaitingPayment: "Awaiting Payment", AwaitingCredit: "Awaiting Credit", Screening: "Screening (Awaiting Release)",
		Pending: "Pending", PendingExpiring: "Pending Expiring", InProgress: "In Progress", Completed: "Completed",
		Returned: "Returned", Expired: "Expired", Cancelled: "Cancelled",
	},
	// Purchasing may place an order for a customer; the payment terms
	// decide where it starts.
	Creators: []Role{Customer, Purchasing},
	Initial:  []Status{AwaitingPayment, AwaitingCredit},
	Final:    []Status{Returned, Expired, Cancelled},
	// A completed order closes when its return window ends unused.
	Closes: []Action{ReturnWindowElapsed},
	Rules: map[Status]map[Action]Rule{
		AwaitingPayment: {
			PaymentConfirmed:     byWebhook(Screening),
			Cancel:               {Grants: grants(customerOwner, purchasing), To: []Status{Cancelled}},
			PaymentWindowElapsed: byTimer(Expired),
		},
		AwaitingCredit: withRules(waitingForSomeone(true), map[Action]Rule{
			ApproveCredit:        {Grants: grants(finance), To: []Status{Screening}},
			DeclineCredit:        {Grants: grants(finance), To: []Status{AwaitingPayment}},
			Cancel:               {Grants: grants(customerOwner, purchasing), To: []Status{Cancelled}},
			PaymentWindowElapsed: byTimer(Expired),
		}),
		Screening: withRules(waitingForSomeone(true), map[Action]Rule{
			SetMargin: {Grants: grants(purchasing)},
			Release:   {Grants: grants(purchasing), To: []Status{Pending}, Guard: GuardMarginSet},
			Cancel:    {Grants: grants(customerOwner, purchasing), To: []Status{Cancelled}, Guard: GuardCustomerMayCancel},
		}),
		Pending: withRules(supplierRound(), map[Action]Rule{
			PendingWindowElapsed: byTimer(PendingExpiring),
			TopSuppliersDeclined: byOrder(PendingExpiring),
		}),
		PendingExpiring: supplierRound(),
		// The purchase order told the supplier; its wait begins when the
		// requested date has passed.
		InProgress: withRules(waitingForSomeone(false), map[Action]Rule{
			MarkDelivered:        {Grants: grants(acceptedSupplier), Guard: GuardNotDelivered},
			UploadInvoice:        {Grants: grants(acceptedSupplier), Guard: GuardNoInvoice},
			DeliveredAndInvoiced: byOrder(Completed),
			CannotFulfil:         {Grants: grants(acceptedSupplier), To: []Status{Cancelled}, Guard: GuardNotDeliveredYet},
			Cancel:               {Grants: grants(customerOwner, purchasing), To: []Status{Cancelled}, Guard: GuardNotDeliveredYet},
		}),
		Completed: withRules(waitingForSomeone(true), map[Action]Rule{
			RequestReturn:       {Grants: grants(customerOwner), Guard: GuardReturnOpen},
			ApproveReturn:       {Grants: grants(purchasing), Guard: GuardReturnRequested},
			RejectReturn:        {Grants: grants(purchasing), Guard: GuardReturnRequested},
			ConfirmResalable:    {Grants: grants(acceptedSupplier), To: []Status{Returned}, Guard: GuardReturnApproved},
			RejectResalable:     {Grants: grants(acceptedSupplier), Guard: GuardReturnApproved},
			ReturnWindowElapsed: byTimer(),
		}),
		Returned:  {},
		Expired:   {},
		Cancelled: {},
	},
	Deadlines: map[Status][]string{
		AwaitingPayment: {DeadlinePayment},
		AwaitingCredit:  {DeadlinePayment},
		Pending:         {DeadlinePending, DeadlineFulfilment},
		PendingExpiring: {DeadlineFulfilment},
		Completed:       {DeadlineReturns},
	},
	// A completed order waits for whichever of customer, purchasing and
	// supplier may act on its return (the guards let one at a time).
	WaitsOn: map[Status][]Wait{
		// The customer pays by link; the payment webhook applies it as the system.
		AwaitingPayment: {{Role: System, Who: "the customer to pay (the payment provider confirms through its webhook)"}},
		AwaitingCredit:  waitsFor(Finance),
		Screening:       waitsFor(Purchasing),
		Pending:         waitsFor(Supplier),
		PendingExpiring: waitsFor(Supplier),
		InProgress:      waitsFor(Supplier),
		Completed:       waitsFor(Customer, Purchasing, Supplier),
	},
	// The staff side reads every order; a customer its own; a supplier the
	// ones offered to it (the feed), and it lists the ones it took.
	Access: map[Role]Access{
		Purchasing: {Reach: AllOrders, List: true},
		Finance:    {Reach: AllOrders, List: true},
		Ops:        {Reach: AllOrders, List: true},
		System:     {Reach: AllOrders},
		Customer:   {Reach: OwnOrders, List: true},
		Supplier:   {Reach: OfferedOrders, List: true},
	},
	Feed: []Status{Pending, PendingExpiring},
}

func withRules(base, extra map[Action]Rule) map[Action]Rule {
	for a, r := range extra {
		base[a] = r
	}
	return base
}

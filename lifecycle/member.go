package lifecycle

// The member-order lifecycle (seed 000, "Member orders" in
// docs/lifecycle-member.md): a member's offer to its client, confirmed by
// staff and by the client, invoiced on its schedule.

// Member-order statuses; completed and cancelled share the marketplace's names.
const (
	Draft                 Status = "draft"
	SmartConfirmation     Status = "smart_confirmation"
	ClientConfirmation    Status = "client_confirmation"
	Active                Status = "active"
	CancellationRequested Status = "cancellation_requested"
	Rejected              Status = "rejected"
)

// Member-order actions. decline is the client's (the marketplace's is the supplier's).
const (
	Edit                Action = "edit"
	Submit              Action = "submit"
	Discard             Action = "discard"
	Approve             Action = "approve"
	Reject              Action = "reject"
	Withdraw            Action = "withdraw"
	Confirm             Action = "confirm"
	ResendConfirmation  Action = "resend_confirmation"
	RequestChanges      Action = "request_changes"
	ResolveChanges      Action = "resolve_changes"
	RequestCancellation Action = "request_cancellation"
	ApproveCancellation Action = "approve_cancellation"
	DenyCancellation    Action = "deny_cancellation"
	Duplicate           Action = "duplicate"

	// WithdrawCancellation: the member takes a cancellation request back
	// before staff decide it (issue 12).
	WithdrawCancellation Action = "withdraw_cancellation"

	// Applied by the workflow's own timers.
	OfferExpired         Action = "offer_expired"
	SLAElapsed           Action = "sla_elapsed"
	ClientReminded       Action = "client_reminded"
	InvoiceDrafted       Action = "invoice_drafted"
	InvoiceIssued        Action = "invoice_issued"
	ServiceCompleted     Action = "service_completed"
	DuplicateWindowEnded Action = "duplicate_window_ended"
)

// Guards of the member table.
const (
	GuardDraftToReview = "draft_to_review" // request_changes needs an invoice draft not issued yet
	GuardChangeOpen    = "change_open"     // resolve_changes needs an open change request
	// GuardWithdrawFromClient: withdraw in client_confirmation is a rule of
	// change business-rules; orders started before it keep refusing it.
	GuardWithdrawFromClient = "withdraw_from_client"
)

// The member order's deadlines, as the order and its timeline name them.
const (
	DeadlineOffer     = "Offer valid until"
	DeadlineSLA       = "Smart confirmation target"
	DeadlineReminder  = "Client reminder"
	DeadlineDraft     = "Invoice draft"
	DeadlineIssue     = "Invoice issue"
	DeadlinePeriodEnd = "Service period ends"
	DeadlineDuplicate = "Duplicate window"
)

var (
	memberOwner = Grant{Member, Owner}
	staff       = Grant{Staff, AnyHolder}
	linkHolder  = Grant{Client, LinkHolder}
)

// MemberFlow is the member-order lifecycle.
var MemberFlow = Flow{
	Name:     "member",
	Statuses: []Status{Draft, SmartConfirmation, ClientConfirmation, Active, CancellationRequested, Rejected, Completed, Cancelled},
	Labels: map[Status]string{
		Draft: "Draft", SmartConfirmation: "Smart Confirmation", ClientConfirmation: "Client Confirmation",
		Active: "Active", CancellationRequested: "Cancellation Requested", Rejected: "Rejected",
		Completed: "Completed", Cancelled: "Cancelled",
	},
	// Staff may write an order on a member's behalf; an order sent with
	// submit starts in smart confirmation (after a draft entry).
	Creators: []Role{Member, Staff},
	Initial:  []Status{Draft, SmartConfirmation},
	Final:    []Status{Completed, Cancelled},
	// A rejected order closes when its duplicate window ends.
	Closes: []Action{DuplicateWindowEnded},
	Rules: map[Status]map[Action]Rule{
		Draft: {
			Edit:    {Grants: grants(memberOwner)},
			Submit:  {Grants: grants(memberOwner), To: []Status{SmartConfirmation}},
			Discard: {Grants: grants(memberOwner), To: []Status{Cancelled}},
		},
		SmartConfirmation: {
			Approve:      {Grants: grants(staff), To: []Status{ClientConfirmation, Active}},
			Reject:       {Grants: grants(staff), To: []Status{Rejected}},
			Withdraw:     {Grants: grants(memberOwner), To: []Status{Draft}},
			OfferExpired: byTimer(Rejected),
			SLAElapsed:   byTimer(),
		},
		ClientConfirmation: {
			Confirm:            {Grants: grants(linkHolder), To: []Status{Active}},
			Decline:            {Grants: grants(linkHolder), To: []Status{Rejected}},
			ResendConfirmation: {Grants: grants(memberOwner, staff)},
			Withdraw:           {Grants: grants(memberOwner), To: []Status{Draft}, Guard: GuardWithdrawFromClient},
			OfferExpired:       byTimer(Rejected),
			ClientReminded:     byTimer(),
		},
		Active: withRules(waitingForSomeone(true), map[Action]Rule{
			RequestChanges:      {Grants: grants(memberOwner), Guard: GuardDraftToReview},
			ResolveChanges:      {Grants: grants(staff), Guard: GuardChangeOpen},
			RequestCancellation: {Grants: grants(memberOwner), To: []Status{CancellationRequested}},
			InvoiceDrafted:      byTimer(),
			InvoiceIssued:       byTimer(),
			ServiceCompleted:    byTimer(Completed),
		}),
		CancellationRequested: withRules(waitingForSomeone(true), map[Action]Rule{
			ApproveCancellation: {Grants: grants(staff), To: []Status{Cancelled}},
			DenyCancellation:    {Grants: grants(staff), To: []Status{Active}},
			// Back to the status the request came from (only active so far).
			WithdrawCancellation: {Grants: grants(memberOwner), To: []Status{Active}},
		}),
		Rejected: {
			Duplicate:            {Grants: grants(memberOwner)},
			DuplicateWindowEnded: byTimer(),
		},
		Completed: {},
		Cancelled: {},
	},
	Deadlines: map[Status][]string{
		SmartConfirmation:  {DeadlineOffer, DeadlineSLA},
		ClientConfirmation: {DeadlineOffer, DeadlineReminder},
		Active:             {DeadlineDraft, DeadlineIssue, DeadlinePeriodEnd},
		Rejected:           {DeadlineDuplicate},
	},
	// An active order waits for staff only while a change request is open
	// (staff may act then), otherwise for its schedule.
	WaitsOn: map[Status][]Wait{
		Draft:                 waitsFor(Member),
		SmartConfirmation:     waitsFor(Staff),
		ClientConfirmation:    waitsFor(Client),
		Active:                waitsFor(Staff),
		CancellationRequested: waitsFor(Staff),
		Rejected:              waitsFor(Member),
	},
	// The staff side reads every order but a member's drafts (those a staff
	// user wrote for the member stay theirs); a member its own; a client
	// the one its link names, never a list.
	Access: map[Role]Access{
		Staff:   {Reach: AllOrders, List: true, CreatorOnly: []Status{Draft}},
		Finance: {Reach: AllOrders, List: true},
		Ops:     {Reach: AllOrders, List: true},
		System:  {Reach: AllOrders},
		Member:  {Reach: OwnOrders, List: true},
		Client:  {Reach: LinkedOrder},
	},
}

package workflows

import "github.com/orderflow/orderflow/internal/auth"

// Member-order statuses (seed 000; ../shared/spec/lifecycles.md "Member
// orders"). completed and cancelled share the marketplace's names.
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

var (
	memberOwner = Grant{auth.Member, Owner}
	staff       = Grant{auth.Staff, AnyHolder}
	linkHolder  = Grant{auth.Client, LinkHolder}
)

// MemberTable is the member-order lifecycle.
var MemberTable = Table{
	Flow:     "member",
	Initial:  []Status{Draft, SmartConfirmation},
	Statuses: []Status{Draft, SmartConfirmation, ClientConfirmation, Active, CancellationRequested, Rejected, Completed, Cancelled},
	Final:    []Status{Completed, Cancelled},
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
			OfferExpired: {Grants: grants(system), To: []Status{Rejected}},
			SLAElapsed:   {Grants: grants(system)},
		},
		ClientConfirmation: {
			Confirm:            {Grants: grants(linkHolder), To: []Status{Active}},
			Decline:            {Grants: grants(linkHolder), To: []Status{Rejected}},
			ResendConfirmation: {Grants: grants(memberOwner, staff)},
			Withdraw:           {Grants: grants(memberOwner), To: []Status{Draft}, Guard: GuardWithdrawFromClient},
			OfferExpired:       {Grants: grants(system), To: []Status{Rejected}},
			ClientReminded:     {Grants: grants(system)},
		},
		Active: {
			RequestChanges:      {Grants: grants(memberOwner), Guard: GuardDraftToReview},
			ResolveChanges:      {Grants: grants(staff), Guard: GuardChangeOpen},
			RequestCancellation: {Grants: grants(memberOwner), To: []Status{CancellationRequested}},
			InvoiceDrafted:      {Grants: grants(system)},
			InvoiceIssued:       {Grants: grants(system)},
			ServiceCompleted:    {Grants: grants(system), To: []Status{Completed}},
			// The waits for a person (waits.go).
			OwnerTold:      {Grants: grants(system)},
			OwnerReminded:  {Grants: grants(system)},
			StaffEscalated: {Grants: grants(system)},
		},
		CancellationRequested: {
			ApproveCancellation: {Grants: grants(staff), To: []Status{Cancelled}},
			DenyCancellation:    {Grants: grants(staff), To: []Status{Active}},
			OwnerTold:           {Grants: grants(system)},
			OwnerReminded:       {Grants: grants(system)},
			StaffEscalated:      {Grants: grants(system)},
			// Back to the status the request came from (only active so far).
			WithdrawCancellation: {Grants: grants(memberOwner), To: []Status{Active}},
		},
		Rejected: {
			Duplicate:            {Grants: grants(memberOwner)},
			DuplicateWindowEnded: {Grants: grants(system)},
		},
		Completed: {},
		Cancelled: {},
	},
}

// MemberStatusLabels are how people read member-order statuses.
var MemberStatusLabels = map[Status]string{
	Draft: "Draft", SmartConfirmation: "Smart Confirmation", ClientConfirmation: "Client Confirmation",
	Active: "Active", CancellationRequested: "Cancellation Requested", Rejected: "Rejected",
	Completed: "Completed", Cancelled: "Cancelled",
}

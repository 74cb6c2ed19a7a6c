package workflows

import (
	"time"

	"github.com/orderflow/orderflow/internal/money"
)

// Member order: its state (the invoice schedule's entries, the client's link)
// and the member part of its view.

// Entry statuses of the invoice schedule.
const (
	EntryPlanned   = "planned"   // waits for its draft
	EntryDrafted   = "drafted"   // draft sent to the member, waits for its issue date
	EntryHeld      = "held"      // the member asked for changes; staff resolve
	EntryIssued    = "issued"    // invoiced, numbered
	EntryCancelled = "cancelled" // will never be invoiced
)

// InvoiceRef is what the order keeps of an issued invoice or credit note.
type InvoiceRef struct {
	ID       string       `json:"id"`
	Number   string       `json:"number"`
	Gross    money.Amount `json:"gross"`
	Document string       `json:"document"`
}

// Entry is one planned invoice and where it is.
type Entry struct {
	Date          string       `json:"date"`
	Lines         []money.Line `json:"lines"`
	Status        string       `json:"status"`
	DraftVersion  int          `json:"draft_version,omitempty"`
	DraftDocument string       `json:"draft_document,omitempty"`
	DraftedAt     *time.Time   `json:"drafted_at,omitempty"`
	ResolvedAt    *time.Time   `json:"resolved_at,omitempty"`
	ChangeRequest string       `json:"change_request,omitempty"`
	Invoice       *InvoiceRef  `json:"invoice,omitempty"`
	CreditNote    *InvoiceRef  `json:"credit_note,omitempty"`
}

// ClientLinkRef is the client's current confirmation link: its id and
// round, never its URL, which only the client holds, from the email
// (activities/links.go).
type ClientLinkRef struct {
	ID    string `json:"id"`
	Round int    `json:"round"`
}

// memberState is everything a member order knows, carried whole across
// continue-as-new.
type memberState struct {
	Core             coreState      `json:"core"`
	In               MemberInput    `json:"in"`
	SubmittedAt      *time.Time     `json:"submitted_at,omitempty"`
	Overdue          bool           `json:"overdue"`
	Reminded         bool           `json:"reminded"`
	Link             *ClientLinkRef `json:"link,omitempty"`
	Entries          []Entry        `json:"entries"`
	PaymentGuarantee bool           `json:"payment_guarantee"`
	RejectedAt       *time.Time     `json:"rejected_at,omitempty"`
	Duplicates       []string       `json:"duplicates,omitempty"`
	// Waits: the wait emails already sent (waits.go).
	Waits WaitMarks `json:"waits,omitempty"`
	// LinkRound is the round of the last confirmation link of an order
	// withdrawn from client confirmation (Link is nil then): the next link
	// takes the next round, so it never finds the revoked one again.
	LinkRound int `json:"link_round,omitempty"`
}

// MemberDetails is the member part of the order view.
type MemberDetails struct {
	MemberName       string         `json:"member_name"`
	MemberEmail      string         `json:"member_email,omitempty"`
	Client           Client         `json:"client"`
	Lines            []money.Line   `json:"lines"`
	Totals           money.Totals   `json:"totals"`
	ServicePeriod    Period         `json:"service_period"`
	Schedule         []Entry        `json:"schedule"`
	OfferValidUntil  string         `json:"offer_valid_until,omitempty"`
	SkipConfirmation bool           `json:"skip_client_confirmation"`
	ProofReference   string         `json:"proof_reference,omitempty"`
	PaymentGuarantee bool           `json:"payment_guarantee"`
	Overdue          bool           `json:"overdue"`
	ConfirmationLink *ClientLinkRef `json:"confirmation_link,omitempty"`
	DuplicatedFrom   string         `json:"duplicated_from,omitempty"`
	Duplicates       []string       `json:"duplicates,omitempty"`
}

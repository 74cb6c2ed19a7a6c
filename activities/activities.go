// Package activities holds every side effect of an order: emails, documents,
// the read model. Each activity is idempotent (keyed by order id and purpose
// or sequence, never by anything random) so Temporal may retry it freely, and
// classifies its errors so that permanent failures are not retried.
package activities

import (
	"context"
	"log/slog"
	"time"

	"github.com/orderflow/orderflow/internal/email"
	"github.com/orderflow/orderflow/internal/payments"
	"github.com/orderflow/orderflow/internal/store"
)

// Outbox makes an email happen at most once per key (the emails table).
type Outbox interface {
	ClaimEmail(ctx context.Context, e store.Email) (store.Email, bool, error)
	MarkEmailSent(ctx context.Context, key, providerMessageID string, at time.Time) error
	MarkEmailFailed(ctx context.Context, key, reason string) error
}

// Documents stores rendered and uploaded documents.
type Documents interface {
	SaveDocument(ctx context.Context, d store.Document) error
	GetDocument(ctx context.Context, orderID, docID string) (store.Document, error)
}

// ReadModel records order transitions.
type ReadModel interface {
	RecordTransition(ctx context.Context, order store.Order, entry store.TimelineEntry) error
}

// Events hears of what happened to orders, for metrics; each method is
// called once the event really happened (see the activity that calls it).
type Events interface {
	TransitionRecorded(flow, status string)
	EmailSent(purpose string)
	InvoiceIssued(kind string)
}

// Activities is registered with the worker as one struct: its exported
// methods are the activity names ("SendEmail", "RecordTransition", ...).
// Every dependency is an interface satisfied by *store.Store or the email
// package, so tests can wrap the real ones to inject faults.
type Activities struct {
	Outbox      Outbox
	Documents   Documents
	ReadModel   ReadModel
	Suppliers   Suppliers
	Invoices    Invoices
	Payments    payments.Provider
	ClientLinks ClientLinks
	// PublicURL is the base of links the activities make (client confirmation).
	PublicURL string
	Sender    email.Sender
	Templates *email.Templates
	// From is the sender address of every email.
	From   email.Address
	Logger *slog.Logger
	// Events counts domain events; nil counts nothing.
	Events Events
	// Now is the clock of side effects (never of workflow decisions).
	Now func() time.Time
}

// New wires activities on one store for all its tables.
func New(st *store.Store, pay payments.Provider, sender email.Sender, templates *email.Templates, from email.Address, log *slog.Logger) *Activities {
	return &Activities{
		Outbox: st, Documents: st, ReadModel: st, Suppliers: st, Invoices: st, Payments: pay,
		Sender: sender, Templates: templates, From: from,
		Logger: log, Now: time.Now,
	}
}

func (a *Activities) events() Events {
	if a.Events == nil {
		return noEvents{}
	}
	return a.Events
}

// log is the activities' logger; log with the activity's context so the line
// says which order, run, activity and request it belongs to.
func (a *Activities) log() *slog.Logger {
	if a.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return a.Logger
}

type noEvents struct{}

func (noEvents) TransitionRecorded(string, string) {}
func (noEvents) EmailSent(string)                  {}
func (noEvents) InvoiceIssued(string)              {}

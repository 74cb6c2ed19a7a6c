package activities

import (
	"encoding/json"
	"time"

	"github.com/orderflow/orderflow/internal/email"
	"github.com/orderflow/orderflow/internal/money"
	"github.com/orderflow/orderflow/internal/pdf"
	"github.com/orderflow/orderflow/internal/store"
)

// The workflows' side of the contract with the activities: the types the
// workflows put in activity inputs, which Temporal records as JSON in every
// order's history and sends again on every retry and reset.
//
// They mirror infrastructure types (email.Address, pdf.Document and its
// parts, store.Order, store.TimelineEntry) field for field, with the same
// names, types and tags, so they encode to the JSON the workflows recorded
// when they used those types directly. Owning them here means the JSON of
// running orders depends only on types the workflows and their activities
// own: a change to package pdf, email or store no longer changes it, and
// package workflows does not import them. The activities map the mirrors
// to the originals where they call the infrastructure (contract_test.go
// fails when a mirror and its original drift apart).

// Address is an email recipient (email.Address).
type Address struct {
	Name  string
	Email string
}

// DocumentKind is what a document is (pdf.Kind).
type DocumentKind string

// The kinds of documents, with pdf.Kind's values.
const (
	InvoiceDraftDocument  DocumentKind = "invoice_draft"
	InvoiceDocument       DocumentKind = "invoice"
	CreditNoteDocument    DocumentKind = "credit_note"
	PurchaseOrderDocument DocumentKind = "purchase_order"
)

// Party is a seller, buyer or supplier as printed on a document (pdf.Party).
type Party struct {
	Name      string
	Company   string
	VATNumber string
	Email     string
	Address   []string // one printed line each
}

// Period is an inclusive range of calendar days (pdf.Period).
type Period struct {
	Start, End time.Time
}

// Delivery says where and when a purchase order's goods are wanted
// (pdf.Delivery).
type Delivery struct {
	Address       []string
	Region        string
	RequestedDate time.Time // zero when none was asked for
}

// Document is everything a rendered document shows (pdf.Document, which
// documents the fields). Dates are printed as calendar days in their own
// location, so pass them in the order's time zone.
type Document struct {
	Kind            DocumentKind
	Number          string
	Reference       string
	IssueDate       time.Time
	DueDate         *time.Time
	ServicePeriod   *Period
	Seller, Buyer   Party
	Lines           []money.Line
	Currency        string
	Notes           []string
	CreditedInvoice string
	CreditsOrder    bool
	Delivery        *Delivery
}

// OrderRow is the read-model row of an order (store.Order).
type OrderRow struct {
	ID             string
	Flow           string
	Status         string
	OwnerID        string
	SupplierID     string // "" when no supplier is assigned
	Title          string
	Currency       string // "" is stored as the default, EUR
	TotalCents     int64
	Overdue        bool
	NeedsAttention bool
	NextDeadline   *time.Time
	View           json.RawMessage // the workflow's order view
	Seq            int64
	CreatedAt      time.Time
	UpdatedAt      time.Time
	RunID          string // set by RecordTransition
}

// TimelineRow is one transition, or one refused action, of an order
// (store.TimelineEntry).
type TimelineRow struct {
	OrderID   string
	Seq       int64
	At        time.Time
	From      string
	To        string
	Action    string
	ActorRole string
	ActorID   string
	Reason    string
	RequestID string
	Outcome   string // OutcomeApplied or OutcomeRefused
	Via       string // "", ViaSignal or ViaCancelRequest
}

// Timeline outcomes, as the store records them.
const (
	OutcomeApplied = "applied"
	OutcomeRefused = "refused"
)

// How a timeline entry's action reached the order, besides the API and the
// order's own steps: a Temporal signal or Temporal's cancellation request.
const (
	ViaSignal        = "signal"
	ViaCancelRequest = "cancel_request"
)

func emailAddress(a Address) email.Address {
	return email.Address{Name: a.Name, Email: a.Email}
}

func emailAddresses(as []Address) []email.Address {
	if as == nil {
		return nil
	}
	out := make([]email.Address, len(as))
	for i, a := range as {
		out[i] = emailAddress(a)
	}
	return out
}

// pdfDocument is d as package pdf renders it.
func pdfDocument(d Document) pdf.Document {
	doc := pdf.Document{
		Kind: pdf.Kind(d.Kind), Number: d.Number, Reference: d.Reference,
		IssueDate: d.IssueDate, DueDate: d.DueDate,
		Seller: pdfParty(d.Seller), Buyer: pdfParty(d.Buyer),
		Lines: d.Lines, Currency: d.Currency, Notes: d.Notes,
		CreditedInvoice: d.CreditedInvoice, CreditsOrder: d.CreditsOrder,
	}
	if p := d.ServicePeriod; p != nil {
		doc.ServicePeriod = &pdf.Period{Start: p.Start, End: p.End}
	}
	if v := d.Delivery; v != nil {
		doc.Delivery = &pdf.Delivery{Address: v.Address, Region: v.Region, RequestedDate: v.RequestedDate}
	}
	return doc
}

func pdfParty(p Party) pdf.Party {
	return pdf.Party{Name: p.Name, Company: p.Company, VATNumber: p.VATNumber, Email: p.Email, Address: p.Address}
}

func storeOrder(o OrderRow) store.Order {
	return store.Order{
		ID: o.ID, Flow: o.Flow, Status: o.Status, OwnerID: o.OwnerID, SupplierID: o.SupplierID,
		Title: o.Title, Currency: o.Currency, TotalCents: o.TotalCents, Overdue: o.Overdue,
		NeedsAttention: o.NeedsAttention, NextDeadline: o.NextDeadline, View: o.View, Seq: o.Seq,
		CreatedAt: o.CreatedAt, UpdatedAt: o.UpdatedAt, RunID: o.RunID,
	}
}

func storeTimelineEntry(e TimelineRow) store.TimelineEntry {
	return store.TimelineEntry{
		OrderID: e.OrderID, Seq: e.Seq, At: e.At, From: e.From, To: e.To, Action: e.Action,
		ActorRole: e.ActorRole, ActorID: e.ActorID, Reason: e.Reason, RequestID: e.RequestID,
		Outcome: e.Outcome, Via: e.Via,
	}
}

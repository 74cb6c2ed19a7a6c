// Package pdf renders order documents (invoice drafts, invoices, credit notes,
// purchase orders) as PDFs with an embedded Unicode font. The same Document
// always renders to the same bytes, because stored documents are keyed by
// the hash of their content.
package pdf

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/orderflow/orderflow/internal/money"
)

// Kind is what a document is; it decides the title, the labels and which
// fields are required.
type Kind string

const (
	InvoiceDraft  Kind = "invoice_draft"
	Invoice       Kind = "invoice"
	CreditNote    Kind = "credit_note"
	PurchaseOrder Kind = "purchase_order"
)

// Party is a seller, buyer or supplier as printed on a document.
type Party struct {
	Name      string
	Company   string
	VATNumber string
	Email     string
	Address   []string // one printed line each
}

// Period is an inclusive range of calendar days.
type Period struct {
	Start, End time.Time
}

// Delivery says where and when a purchase order's goods are wanted.
type Delivery struct {
	Address       []string
	Region        string
	RequestedDate time.Time // zero when none was asked for
}

// Document is everything a rendered document shows. Dates are printed as
// calendar days in their own location, so pass them in the order's time zone.
type Document struct {
	Kind Kind
	// Number is the gapless invoice or credit-note number, or the purchase
	// order's number. It must be empty for a draft, which has none yet, and
	// may be empty for a purchase order (the order reference identifies it).
	Number string
	// Reference is the order id the document belongs to.
	Reference string
	IssueDate time.Time
	DueDate   *time.Time
	// ServicePeriod is the period the invoiced service covers, if any.
	ServicePeriod *Period
	// Seller is who invoices (or, for a purchase order, the supplier who
	// delivers); Buyer is who pays (or, for a purchase order, who orders).
	Seller, Buyer Party
	Lines         []money.Line
	// Currency is an ISO 4217 code; empty means EUR.
	Currency string
	Notes    []string
	// CreditedInvoice is the number of the invoice a credit note credits.
	CreditedInvoice string
	// CreditsOrder: the credit note credits the order itself (Reference),
	// one bought on credit terms that has no invoice of its own (a
	// marketplace order's return); then CreditedInvoice stays empty.
	CreditsOrder bool
	// Delivery is for purchase orders only.
	Delivery *Delivery
}

// ErrInvalidDocument wraps every validation failure of Render, so callers can
// tell a document that can never render (do not retry) from a failure.
var ErrInvalidDocument = errors.New("invalid document")

var currencyCode = regexp.MustCompile(`^[A-Z]{3}$`)

// Validate lists everything missing or contradictory in the document.
func (d Document) Validate() error {
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }

	switch d.Kind {
	case InvoiceDraft:
		if d.Number != "" {
			add("a draft invoice has no number yet (got %q)", d.Number)
		}
	case Invoice, CreditNote:
		if strings.TrimSpace(d.Number) == "" {
			add("%s needs a number", d.Kind.withArticle())
		}
	case PurchaseOrder:
	default:
		add("unknown document kind %q", d.Kind)
	}
	if d.Kind == CreditNote && strings.TrimSpace(d.CreditedInvoice) == "" && !d.CreditsOrder {
		add("a credit note must name the invoice it credits")
	}
	if d.CreditsOrder && (d.Kind != CreditNote || d.CreditedInvoice != "") {
		add("only a credit note without a credited invoice credits its order")
	}
	if d.Kind != CreditNote && d.CreditedInvoice != "" {
		add("only a credit note credits an invoice")
	}
	if d.Kind != PurchaseOrder && d.Delivery != nil {
		add("only a purchase order has delivery details")
	}
	if strings.TrimSpace(d.Reference) == "" {
		add("the order reference is missing")
	}
	if d.IssueDate.IsZero() {
		add("the issue date is missing")
	}
	if d.DueDate != nil && !d.IssueDate.IsZero() && day(*d.DueDate).Before(day(d.IssueDate)) {
		add("the due date %s is before the issue date %s", formatDate(*d.DueDate), formatDate(d.IssueDate))
	}
	if p := d.ServicePeriod; p != nil && (p.Start.IsZero() || p.End.IsZero() || day(p.End).Before(day(p.Start))) {
		add("the service period needs a start and an end on or after it")
	}
	if d.Currency != "" && !currencyCode.MatchString(d.Currency) {
		add("currency %q is not a three-letter ISO code such as EUR", d.Currency)
	}
	if d.Seller.isBlank() {
		add("the %s needs a name or a company", d.Kind.sellerRole())
	}
	if d.Buyer.isBlank() {
		add("the buyer needs a name or a company")
	}
	if err := money.ValidateLines(d.Lines); err != nil {
		add("%s", strings.ReplaceAll(err.Error(), "\n", "; "))
	}
	if len(problems) == 0 {
		return nil
	}
	return fmt.Errorf("%w: %s", ErrInvalidDocument, strings.Join(problems, "; "))
}

func (p Party) isBlank() bool {
	return strings.TrimSpace(p.Name) == "" && strings.TrimSpace(p.Company) == ""
}

func (k Kind) sellerRole() string {
	if k == PurchaseOrder {
		return "supplier"
	}
	return "seller"
}

func (k Kind) withArticle() string {
	if k == Invoice {
		return "an invoice"
	}
	return "a " + strings.ReplaceAll(string(k), "_", " ")
}

func (d Document) currency() string {
	if d.Currency == "" {
		return "EUR"
	}
	return d.Currency
}

// day drops the time of day, keeping the calendar day in t's location.
func day(t time.Time) time.Time {
	y, m, dd := t.Date()
	return time.Date(y, m, dd, 0, 0, 0, 0, time.UTC)
}

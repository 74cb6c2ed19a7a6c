package activities

import (
	"context"
	"errors"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/orderflow/orderflow/internal/money"
	"github.com/orderflow/orderflow/internal/payments"
	"github.com/orderflow/orderflow/internal/store"
)

// Error types of the marketplace activities that retrying cannot fix.
const (
	ErrPaymentRefused = "PaymentRefused" // the provider refused the request as given
	ErrOfferInvalid   = "OfferInvalid"
)

// Suppliers is the suppliers table and the offers of orders to them.
type Suppliers interface {
	EligibleSuppliers(ctx context.Context, category, region string) ([]store.Supplier, error)
	RecordOffers(ctx context.Context, orderID string, round int, supplierIDs []string, at time.Time) error
	RecordDecline(ctx context.Context, orderID, supplierID, reason string, at time.Time) error
}

// SupplierRef is what an order keeps of a supplier.
type SupplierRef struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	Email string `json:"email"`
}

// RankSuppliersInput asks for the eligible suppliers of an order.
type RankSuppliersInput struct {
	Category string
	Region   string
}

// RankSuppliers returns the active suppliers serving the category and
// region, best first (rating, then fewest open orders, then id).
func (a *Activities) RankSuppliers(ctx context.Context, in RankSuppliersInput) ([]SupplierRef, error) {
	suppliers, err := a.Suppliers.EligibleSuppliers(ctx, in.Category, in.Region)
	if err != nil {
		return nil, err
	}
	refs := make([]SupplierRef, len(suppliers))
	for i, s := range suppliers {
		refs[i] = SupplierRef{ID: s.ID, Name: s.Name, Email: s.Email}
	}
	return refs, nil
}

// RecordOffersInput puts an order on suppliers' live feeds.
type RecordOffersInput struct {
	OrderID     string
	Round       int
	SupplierIDs []string
	At          time.Time
}

// RecordOffers records the offers (idempotent: an existing offer is kept).
func (a *Activities) RecordOffers(ctx context.Context, in RecordOffersInput) error {
	return offerError(a.Suppliers.RecordOffers(ctx, in.OrderID, in.Round, in.SupplierIDs, in.At))
}

// RecordDeclineInput takes an order off one supplier's feed.
type RecordDeclineInput struct {
	OrderID    string
	SupplierID string
	Reason     string
	At         time.Time
}

// RecordDecline records that a supplier declined (idempotent).
func (a *Activities) RecordDecline(ctx context.Context, in RecordDeclineInput) error {
	return offerError(a.Suppliers.RecordDecline(ctx, in.OrderID, in.SupplierID, in.Reason, in.At))
}

func offerError(err error) error {
	if errors.Is(err, store.ErrInvalid) || errors.Is(err, store.ErrConflict) || errors.Is(err, store.ErrNotFound) {
		return temporal.NewNonRetryableApplicationError(err.Error(), ErrOfferInvalid, err)
	}
	return err
}

// PaymentLinkInput asks for the order's payment link.
type PaymentLinkInput struct {
	Key           string
	OrderID       string
	Amount        money.Amount
	Currency      string
	Description   string
	CustomerEmail string
	ExpiresAt     time.Time
}

// PaymentLink is the customer's payment: its id, by which SendEmail finds
// the pay link's URL (a credential, never returned to the workflow: links.go),
// and whether it is already paid (made again after the customer paid).
type PaymentLink struct {
	PaymentID string
	Paid      bool `json:",omitempty"`
}

// CreatePaymentLink makes the link; the same key always gives the same link.
func (a *Activities) CreatePaymentLink(ctx context.Context, in PaymentLinkInput) (PaymentLink, error) {
	link, err := a.Payments.CreateLink(ctx, payments.LinkRequest{
		Key: in.Key, OrderID: in.OrderID, Amount: in.Amount, Currency: in.Currency,
		Description: in.Description, CustomerEmail: in.CustomerEmail, ExpiresAt: in.ExpiresAt,
	})
	if err != nil {
		return PaymentLink{}, paymentError(err)
	}
	return PaymentLink{PaymentID: link.PaymentID, Paid: link.Paid}, nil
}

// CancelPaymentLink makes the link unusable. Paid reports that the customer
// paid before it was cancelled (so a refund is due).
func (a *Activities) CancelPaymentLink(ctx context.Context, paymentID string) (paid bool, err error) {
	err = a.Payments.CancelLink(ctx, paymentID)
	if errors.Is(err, payments.ErrAlreadyPaid) {
		return true, nil
	}
	return false, paymentError(err)
}

// RefundInput pays back a payment, once per key.
type RefundInput struct {
	Key       string
	OrderID   string
	PaymentID string
	Amount    money.Amount
	Reason    string
}

// RefundPayment refunds; the same key never refunds twice.
func (a *Activities) RefundPayment(ctx context.Context, in RefundInput) (payments.Refund, error) {
	r, err := a.Payments.Refund(ctx, payments.RefundRequest{
		Key: in.Key, OrderID: in.OrderID, PaymentID: in.PaymentID, Amount: in.Amount, Reason: in.Reason,
	})
	return r, paymentError(err)
}

// paymentError: a request the provider refuses as given is not retried.
func paymentError(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, payments.ErrInvalid), errors.Is(err, payments.ErrNotFound), errors.Is(err, payments.ErrNotPaid),
		errors.Is(err, payments.ErrRefundExceedsPayment), errors.Is(err, payments.ErrKeyConflict):
		return temporal.NewNonRetryableApplicationError(err.Error(), ErrPaymentRefused, err)
	default:
		return err
	}
}

// Numbers assigns gapless numbers, each once per idempotency key
// (store.AssignNumber).
type Numbers interface {
	AssignNumber(ctx context.Context, series string, year int, key string) (int64, error)
}

// OrderCreditNoteSeries numbers the credit notes of marketplace orders
// bought on credit terms: the marketplace is their seller, not the members
// the INV and CN series invoice for, so it has a gapless series of its own.
const OrderCreditNoteSeries = "MCN"

// OrderCreditNoteInput asks for the credit note of a marketplace order
// bought on credit terms, whose return leaves nothing to refund: the credit
// note is what tells the customer the amount is no longer due.
type OrderCreditNoteInput struct {
	// Key makes the number idempotent: order id + "/credit-note".
	Key        string
	OrderID    string
	DocumentID string
	Filename   string
	// Year numbers the document: the issue date's year in the order's time zone.
	Year int
	// Document is a credit note crediting its order (CreditsOrder), without
	// its number, which the issue assigns.
	Document Document
}

// IssueOrderCreditNote gives the credit note the next number of its series
// for the year (the same number on every retry: the key holds it), renders
// it and stores it under its id. The document is checked before a number is
// taken, so a number is never spent on a document that cannot render.
func (a *Activities) IssueOrderCreditNote(ctx context.Context, in OrderCreditNoteInput) (DocumentRef, error) {
	invalid := func(msg string, err error) error {
		return temporal.NewNonRetryableApplicationError("credit note "+in.Key+": "+msg, ErrInvoiceInvalid, err)
	}
	doc := in.Document
	switch {
	case doc.Kind != CreditNoteDocument || !doc.CreditsOrder:
		return DocumentRef{}, invalid("the document is not a credit note of its order", nil)
	case doc.Number != "":
		return DocumentRef{}, invalid("the document already has a number; the issue assigns it", nil)
	case doc.Reference != in.OrderID:
		return DocumentRef{}, invalid("the document refers to another order", nil)
	case in.Key == "" || in.DocumentID == "" || in.Year == 0:
		return DocumentRef{}, invalid("key, document id and year are required", nil)
	}
	check := pdfDocument(doc)
	check.Number = store.FormatInvoiceNumber(OrderCreditNoteSeries, in.Year, 1)
	if err := check.Validate(); err != nil {
		return DocumentRef{}, invalid(err.Error(), err)
	}
	numbers, ok := a.Invoices.(Numbers)
	if !ok {
		return DocumentRef{}, invalid("the invoices store cannot number documents", nil)
	}
	n, err := numbers.AssignNumber(ctx, OrderCreditNoteSeries, in.Year, in.Key)
	if errors.Is(err, store.ErrInvalid) || errors.Is(err, store.ErrConflict) {
		return DocumentRef{}, invalid(err.Error(), err)
	}
	if err != nil {
		return DocumentRef{}, err
	}
	doc.Number = store.FormatInvoiceNumber(OrderCreditNoteSeries, in.Year, n)
	ref, err := a.RenderDocument(ctx, RenderDocumentInput{ID: in.DocumentID, OrderID: in.OrderID, Filename: in.Filename, Document: doc})
	if err == nil {
		a.log().InfoContext(ctx, "order credit note issued", "number", doc.Number, "key", in.Key)
	}
	return ref, err
}

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

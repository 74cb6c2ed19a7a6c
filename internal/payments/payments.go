// Package payments takes customers' money through a payment provider.
//
// Provider is what the activities use: payment links and refunds, each
// idempotent per key so that a retried activity never makes a second link or
// a second refund. Sandbox is the built-in provider: it keeps its books in
// Postgres, shows its own pay page (GET/POST /pay/{token}) and reports
// payments and refunds as signed webhook events (Deliverer), exactly as a
// real provider would, so the order workflow cannot tell the difference.
//
// GET /pay/{token}: View, then RenderPayPage, RenderPaidPage when paid, or
// DescribeLinkError + RenderProblemPage. POST /pay/{token}: Pay, then
// Deliverer.DeliverPending so that the order moves at once (the Run loop
// redelivers what failed), then a 303 to the GET so a reload never posts
// again. The webhook handler does Verify, then ParseEvent, and dedupes by the
// event id.
package payments

import (
	"context"
	"errors"
	"time"

	"github.com/orderflow/orderflow/internal/money"
)

// Provider takes payments for orders. Every method is idempotent per key.
type Provider interface {
	// CreateLink makes a payment link. The same Key returns the same payment
	// id and URL; the same Key with another order, amount or currency is
	// ErrInvalid (ErrKeyConflict).
	CreateLink(ctx context.Context, r LinkRequest) (Link, error)
	// LinkURL is the URL of a link made before, by its payment id: it is a
	// credential, so callers fetch it when they show it instead of keeping it.
	LinkURL(ctx context.Context, paymentID string) (string, error)
	// CancelLink makes a link unusable, so a cancelled or expired order can no
	// longer be paid. Cancelling a cancelled link is a no-op; a paid one is
	// ErrAlreadyPaid, which tells the caller that a refund is due.
	CancelLink(ctx context.Context, paymentID string) error
	// Refund pays back part or all of a payment. The same Key returns the
	// same refund. Refunds of one payment never add up to more than was paid
	// (ErrRefundExceedsPayment); refunding an unpaid payment is ErrNotPaid.
	Refund(ctx context.Context, r RefundRequest) (Refund, error)
}

// LinkRequest asks for a payment link for an order.
type LinkRequest struct {
	Key           string // idempotency key, e.g. order id + purpose
	OrderID       string
	Amount        money.Amount
	Currency      string // ISO 4217, e.g. "EUR"
	Description   string // shown to the customer on the pay page
	CustomerEmail string
	ExpiresAt     time.Time // after this instant the link refuses payment
}

// Link is a payment link to send to the customer.
type Link struct {
	PaymentID string
	URL       string
	ExpiresAt time.Time
	// Paid: the key's link was made before and the customer has paid it (a
	// creation retried, or replayed after a reset, once the money is in).
	Paid bool
}

// RefundRequest asks to pay back (part of) a payment.
type RefundRequest struct {
	Key       string // idempotency key, e.g. order id + "refund" + reason
	OrderID   string // must be the payment's order
	PaymentID string
	Amount    money.Amount
	Reason    string
}

// Refund is money paid back to the customer.
type Refund struct {
	RefundID  string
	PaymentID string
	Amount    money.Amount
	At        time.Time
}

// Payment statuses.
const (
	StatusCreated   = "created"
	StatusPaid      = "paid"
	StatusCancelled = "cancelled"
)

// Errors the activity layer classifies: ErrNotFound, ErrNotPaid,
// ErrAlreadyPaid, ErrRefundExceedsPayment and ErrInvalid are permanent;
// any other error is worth retrying.
var (
	ErrNotFound             = errors.New("payment not found")
	ErrNotPaid              = errors.New("payment not paid")
	ErrAlreadyPaid          = errors.New("payment already paid")
	ErrRefundExceedsPayment = errors.New("refunds would exceed the amount paid")
	ErrInvalid              = errors.New("invalid payment request")
	// ErrKeyConflict comes wrapped together with ErrInvalid: an idempotency
	// key reused for a different request, which is a bug in the caller.
	ErrKeyConflict = errors.New("idempotency key already used for a different request")
)

// Errors of a pay link, for the pay page (see DescribeLinkError). An unknown
// link is ErrNotFound.
var (
	ErrLinkTampered  = errors.New("payment link is not valid")
	ErrLinkExpired   = errors.New("payment link has expired")
	ErrLinkCancelled = errors.New("payment link was cancelled")
)

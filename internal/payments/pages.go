package payments

import (
	"embed"
	"errors"
	"io"
	"net/http"
	"time"

	"github.com/orderflow/orderflow/internal/money"
	"github.com/orderflow/orderflow/internal/webpage"
)

//go:embed pages/*.html
var pageFiles embed.FS

// Each page goes into the shared layout with the style of these pages.
var (
	payPage     = webpage.MustParse(pageFiles, "pages/style.html", "pages/pay.html")
	paidPage    = webpage.MustParse(pageFiles, "pages/style.html", "pages/paid.html")
	problemPage = webpage.MustParse(pageFiles, "pages/style.html", "pages/problem.html")
)

// pageTimeFormat is unambiguous for anyone: the time zone is spelled out.
const pageTimeFormat = "2 January 2006, 15:04 MST"

type pageData struct {
	OrderID     string
	Description string
	Amount      string // "€ 12.34"
	Expires     string
	ExpiresISO  string
	Paid        string
	PaidISO     string
}

func newPageData(v PaymentView) pageData {
	d := pageData{
		OrderID:     v.OrderID,
		Description: v.Description,
		Amount:      money.Format(v.Amount, v.Currency),
		Expires:     v.ExpiresAt.UTC().Format(pageTimeFormat),
		ExpiresISO:  v.ExpiresAt.UTC().Format(time.RFC3339),
	}
	if !v.PaidAt.IsZero() {
		d.Paid = v.PaidAt.UTC().Format(pageTimeFormat)
		d.PaidISO = v.PaidAt.UTC().Format(time.RFC3339)
	}
	return d
}

// RenderPayPage writes the pay page: the order, the amount and a "Pay € 12.34"
// button that POSTs to the page's own URL. It needs no CSRF token: the URL
// carries the unguessable link token, which is all the authority paying
// needs, and a forged cross-site POST could only pay what the customer owes.
func RenderPayPage(w io.Writer, v PaymentView) error {
	return webpage.Render(w, payPage, newPageData(v))
}

// RenderPaidPage writes the confirmation after payment: what was paid and
// what happens next.
func RenderPaidPage(w io.Writer, v PaymentView) error {
	return webpage.Render(w, paidPage, newPageData(v))
}

// RenderProblemPage writes a page for a link that cannot be used (see
// DescribeLinkError for the words).
func RenderProblemPage(w io.Writer, title, message string) error {
	return webpage.Render(w, problemPage, struct{ Title, Message string }{title, message})
}

// DescribeLinkError turns an error of View or Pay into the HTTP status, title
// and message of the problem page. Errors other than the link's own (the
// database is down) get a 503 and a message that asks to try again, never
// the error text.
func DescribeLinkError(err error) (status int, title, message string) {
	switch {
	case errors.Is(err, ErrLinkTampered):
		return http.StatusBadRequest, "This payment link is not valid",
			"Part of the link seems to be missing or changed. Open it again from your email, or copy the whole address into your browser. Nothing was charged."
	case errors.Is(err, ErrNotFound):
		return http.StatusNotFound, "Payment link not found",
			"We have no payment for this link. It may belong to another system or to an order that was never completed. Nothing was charged."
	case errors.Is(err, ErrLinkExpired):
		return http.StatusGone, "This payment link has expired",
			"The time to pay for this order has run out and the order has expired. Nothing was charged. If you still want the goods, please place a new order."
	case errors.Is(err, ErrLinkCancelled):
		return http.StatusGone, "This order was cancelled",
			"The order this link belongs to was cancelled, so it can no longer be paid. Nothing was charged."
	default:
		return http.StatusServiceUnavailable, "Payment is not available right now",
			"Something went wrong on our side. Please try again in a few minutes; if you already pressed Pay, reload this page first to see whether the payment went through."
	}
}

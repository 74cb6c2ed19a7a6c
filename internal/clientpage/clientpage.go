// Package clientpage renders the pages a client of a member order sees
// through the link in their email: the order to confirm or decline, the
// thank-you page after answering, and a page for a link that cannot be used.
//
// The pages take plain display strings, so that any caller can fill them and
// html/template escapes every one. They need no JavaScript, read well from
// 320 pixels wide, and work with a keyboard alone.
package clientpage

import (
	"embed"
	"io"

	"github.com/orderflow/orderflow/internal/webpage"
)

//go:embed templates/*.html
var templateFiles embed.FS

// Each page goes into the shared layout with the style of these pages.
var (
	confirmationPage = webpage.MustParse(templateFiles, "templates/style.html", "templates/confirmation.html")
	donePage         = webpage.MustParse(templateFiles, "templates/style.html", "templates/done.html")
	problemPage      = webpage.MustParse(templateFiles, "templates/style.html", "templates/problem.html")
)

// MaxReasonLength bounds the decline reason, as the workflow's free text.
const MaxReasonLength = 2000

// ConfirmationView is what the client agrees to, ready for display: amounts
// formatted with their currency ("€ 1,234.50"), dates written out ("1
// December 2026"). Empty optional parts are left out of the page.
type ConfirmationView struct {
	OrderID string
	Title   string
	// Member is who does the work and on whose behalf Smart invoices.
	Member        string
	Client        Client
	Lines         []Line
	Totals        Totals
	ServicePeriod string // see Period
	Schedule      []ScheduleEntry
	ValidUntil    string // see Date
	// Where the two forms post: the link's own /confirm and /decline.
	ConfirmURL string
	DeclineURL string
}

// Client is who the order is for.
type Client struct {
	Name      string
	Company   string
	VATNumber string
}

// Line is one line of the order.
type Line struct {
	Description string
	Quantity    string
	UnitPrice   string
	VATRate     string // "21%"
	Net         string // quantity × unit price
}

// Totals are the order's sums, with the VAT of each rate.
type Totals struct {
	Net    string
	VAT    string
	Gross  string
	ByRate []RateTotal
}

// RateTotal is the VAT due at one rate.
type RateTotal struct {
	Rate string // "21%"
	Base string
	VAT  string
}

// ScheduleEntry is one planned invoice.
type ScheduleEntry struct {
	Date   string
	Amount string // what the invoice will ask, VAT included
}

// DoneView is the page after the client answered.
type DoneView struct {
	Confirmed  bool   // false: declined
	OrderTitle string // optional
	Member     string // optional
	AnsweredAt string // optional, see Instant
}

// RenderConfirmation writes the page that asks the client to confirm or
// decline the order. Both buttons post forms; neither needs a CSRF token,
// because the URL they post to carries the unguessable link token, which is
// all the authority an answer needs.
func RenderConfirmation(w io.Writer, v ConfirmationView) error {
	data := struct {
		ConfirmationView
		MaxReasonLength int
	}{v, MaxReasonLength}
	return webpage.Render(w, confirmationPage, data)
}

// RenderDone writes the thank-you page after the client's answer.
func RenderDone(w io.Writer, v DoneView) error {
	return webpage.Render(w, donePage, v)
}

// RenderLinkProblem writes a friendly page for a link that cannot be used
// (unknown, already used, expired, replaced) or an answer that did not go
// through. message is a complete sentence that says what to do next.
func RenderLinkProblem(w io.Writer, title, message string) error {
	return webpage.Render(w, problemPage, struct{ Title, Message string }{title, message})
}

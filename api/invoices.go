package api

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/orderflow/orderflow/internal/auth"
	"github.com/orderflow/orderflow/internal/money"
	"github.com/orderflow/orderflow/internal/store"
	"github.com/orderflow/orderflow/lifecycle"
)

// Invoices and credit notes are read from the read model, where the issuing
// activity recorded them.
//
// Whether an invoice is paid is accounting state of an issued document, not
// order lifecycle state: it is set here, in the read model, and does not go
// through the order's workflow. That workflow may well have ended (a
// completed order keeps its unpaid invoices listed) and has nothing to decide
// about a payment.

func registerInvoiceRoutes(v1 *gin.RouterGroup, d Deps) {
	h := invoiceRoutes{store: d.Store, now: time.Now}
	accounting := requireRole(lifecycle.Staff, lifecycle.Finance)
	g := v1.Group("/invoices")
	g.GET("", requireRole(lifecycle.Staff, lifecycle.Finance, lifecycle.Ops, lifecycle.Member), h.list)
	g.POST("/:id/paid", accounting, h.markPaid)
	g.POST("/:id/unpaid", accounting, h.markUnpaid)
}

type invoiceRoutes struct {
	store *store.Store
	now   func() time.Time
}

// invoiceJSON is an invoice or credit note as the API shows it.
type invoiceJSON struct {
	ID                string       `json:"id"`
	OrderID           string       `json:"order_id"`
	Entry             int          `json:"entry"`
	Kind              string       `json:"kind"`
	Number            string       `json:"number"`
	Net               money.Amount `json:"net"`
	VAT               money.Amount `json:"vat"`
	Gross             money.Amount `json:"gross"`
	Currency          string       `json:"currency"`
	ClientName        string       `json:"client_name"`
	ClientEmail       string       `json:"client_email"`
	IssuedAt          time.Time    `json:"issued_at"`
	Paid              bool         `json:"paid"`
	PaidAt            *time.Time   `json:"paid_at"`
	DocumentID        string       `json:"document_id"`
	CreditedInvoiceID *string      `json:"credited_invoice_id"`
	CreditedBy        *string      `json:"credited_by"`
}

func toInvoiceJSON(inv store.Invoice) invoiceJSON {
	return invoiceJSON{
		ID: inv.ID, OrderID: inv.OrderID, Entry: inv.Entry, Kind: inv.Kind, Number: inv.NumberText,
		Net: money.Amount(inv.NetCents), VAT: money.Amount(inv.VATCents), Gross: money.Amount(inv.GrossCents),
		Currency: inv.Currency, ClientName: inv.ClientName, ClientEmail: inv.ClientEmail, IssuedAt: inv.IssuedAt,
		Paid: inv.Paid, PaidAt: inv.PaidAt, DocumentID: inv.DocumentID,
		CreditedInvoiceID: nullIfBlank(inv.CreditedInvoiceID), CreditedBy: nullIfBlank(inv.CreditedByID),
	}
}

func nullIfBlank(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func (h invoiceRoutes) list(c *gin.Context) {
	p, _ := principalOf(c)
	f, problem := invoiceFilter(c, p)
	if problem != nil {
		abort(c, *problem)
		return
	}
	page, err := h.store.ListInvoices(c.Request.Context(), f)
	if errors.Is(err, store.ErrInvalidCursor) {
		abortWith(c, http.StatusBadRequest, "The cursor is not one this API gave for these filters; start again without it.")
		return
	}
	if err != nil {
		h.fail(c, "", err)
		return
	}
	out := make([]invoiceJSON, len(page.Invoices))
	for i, inv := range page.Invoices {
		out[i] = toInvoiceJSON(inv)
	}
	c.JSON(http.StatusOK, gin.H{"invoices": out, "next_cursor": page.NextCursor})
}

// invoiceFilter reads the query; a member sees the invoices of their own orders only.
func invoiceFilter(c *gin.Context, p auth.Principal) (store.InvoiceFilter, *Problem) {
	f := store.InvoiceFilter{OrderID: c.Query("order"), Kind: c.Query("kind"), Cursor: c.Query("cursor")}
	if p.Role == lifecycle.Member {
		f.OwnerID = p.Subject
	}
	if f.Kind != "" && f.Kind != store.KindInvoice && f.Kind != store.KindCreditNote {
		pr := invalid("kind", fmt.Sprintf("must be %q or %q", store.KindInvoice, store.KindCreditNote))
		return f, &pr
	}
	if s := c.Query("unpaid"); s != "" {
		unpaid, err := strconv.ParseBool(s)
		if err != nil || (s != "true" && s != "false") {
			pr := invalid("unpaid", "must be true or false")
			return f, &pr
		}
		f.Unpaid = &unpaid
	}
	if s := c.Query("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > store.MaxLimit {
			pr := invalid("limit", fmt.Sprintf("must be a whole number from 1 to %d", store.MaxLimit))
			return f, &pr
		}
		f.Limit = n
	}
	return f, nil
}

// paymentRequest is the optional body of POST /v1/invoices/{id}/paid.
type paymentRequest struct {
	// PaidAt is when the money arrived; absent means now.
	PaidAt *time.Time `json:"paid_at"`
}

// clockSkew is how far in the future a payment time may lie: clocks of
// accounting tools and of this server disagree a little.
const clockSkew = 5 * time.Minute

func (h invoiceRoutes) markPaid(c *gin.Context) {
	var req paymentRequest
	if !readJSON(c, &req, true, `{"paid_at": "2026-04-20T10:00:00Z"}`) {
		return
	}
	at := h.now()
	if req.PaidAt != nil {
		if req.PaidAt.After(at.Add(clockSkew)) {
			abort(c, invalid("paid_at", "must not be in the future"))
			return
		}
		at = *req.PaidAt
	}
	h.setPaid(c, true, at)
}

func (h invoiceRoutes) markUnpaid(c *gin.Context) {
	var req struct{}
	if !readJSON(c, &req, true, `{}`) {
		return
	}
	h.setPaid(c, false, h.now())
}

func (h invoiceRoutes) setPaid(c *gin.Context, paid bool, at time.Time) {
	id := c.Param("id")
	inv, err := h.store.SetInvoicePaid(c.Request.Context(), id, paid, at)
	if err != nil {
		h.fail(c, id, err)
		return
	}
	c.JSON(http.StatusOK, toInvoiceJSON(inv))
}

// fail answers a store error. An id of "" means the call named no invoice.
func (h invoiceRoutes) fail(c *gin.Context, id string, err error) {
	switch {
	case errors.Is(err, store.ErrNotFound):
		abortWith(c, http.StatusNotFound, fmt.Sprintf("There is no invoice %q. GET /v1/invoices lists them.", id))
	case errors.Is(err, store.ErrInvalid):
		abort(c, invalid("id", fmt.Sprintf("%q is a credit note; only invoices are paid or unpaid", id)))
	default:
		_ = c.Error(err)
		abortWith(c, http.StatusServiceUnavailable, "Invoices could not be read or written in Postgres; check /readyz and try again. If it persists, report request id "+requestID(c)+".")
	}
}

package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgerrcode"
	"github.com/jackc/pgx/v5"
)

// Kinds of issued documents in the invoices table.
const (
	KindInvoice    = "invoice"
	KindCreditNote = "credit_note"
)

// InvoiceRecord is what the caller knows of an invoice or credit note before
// it is issued; IssueInvoice adds the number and the document.
type InvoiceRecord struct {
	ID      string
	OrderID string
	Entry   int    // index of the schedule entry invoiced or credited
	Kind    string // KindInvoice or KindCreditNote
	Series  string // e.g. "INV", "CN"; one gapless counter per series and year
	Year    int
	// CreditedInvoiceID is the invoice a credit note credits; "" for invoices.
	CreditedInvoiceID string
	NetCents          int64
	VATCents          int64
	GrossCents        int64
	Currency          string // empty means EUR
	ClientName        string
	ClientEmail       string
	IssuedAt          time.Time
	// DocumentID and Filename name the PDF stored with the invoice.
	DocumentID string
	Filename   string
}

// Invoice is an issued invoice or credit note as stored.
type Invoice struct {
	InvoiceRecord
	Number     int64  // within its series and year
	NumberText string // e.g. "INV-2026-0001"
	Paid       bool
	PaidAt     *time.Time
	// CreditedByID is the credit note that credits this invoice, if any.
	CreditedByID   string
	DocumentSHA256 string
}

// RenderFunc draws the final document once its number is known.
type RenderFunc func(numberText string) (pdf []byte, err error)

// FormatInvoiceNumber writes a number as printed: "INV-2026-0001".
func FormatInvoiceNumber(series string, year int, number int64) string {
	return fmt.Sprintf("%s-%04d-%04d", series, year, number)
}

// IssueInvoice issues r under key in one transaction: the next gapless
// number of (r.Series, r.Year), the PDF that render draws with it, and the
// invoice row commit together or not at all. A key issued before returns
// that invoice unchanged (render is not called), so retries never make a
// second invoice or consume a second number. When render fails nothing is
// kept and its error is returned wrapped: the number is free again.
//
// The series stays locked while render runs, so render must be quick.
func (s *Store) IssueInvoice(ctx context.Context, r InvoiceRecord, key string, render RenderFunc) (Invoice, error) {
	r, err := normalizeInvoiceRecord(r, key)
	if err != nil {
		return Invoice{}, err
	}
	var inv Invoice
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var txErr error
		inv, txErr = issueInvoiceTx(ctx, tx, r, key, render)
		return txErr
	})
	if err != nil {
		return Invoice{}, err
	}
	return inv, nil
}

func issueInvoiceTx(ctx context.Context, tx pgx.Tx, r InvoiceRecord, key string, render RenderFunc) (Invoice, error) {
	if inv, found, err := invoiceByKey(ctx, tx, r, key); err != nil || found {
		return inv, err
	}
	number, err := AssignNumberTx(ctx, tx, r.Series, r.Year, key)
	if err != nil {
		return Invoice{}, err
	}
	// A racing issue of the same key may have committed while we waited for
	// the series lock; it recorded its invoice with the number we were given.
	if inv, found, err := invoiceByKey(ctx, tx, r, key); err != nil || found {
		return inv, err
	}
	if err := checkCredited(ctx, tx, r); err != nil {
		return Invoice{}, err
	}
	numberText := FormatInvoiceNumber(r.Series, r.Year, number)
	content, err := render(numberText)
	if err != nil {
		return Invoice{}, fmt.Errorf("store: issue %s %s: render: %w", r.Kind, numberText, err)
	}
	doc := Document{ID: r.DocumentID, OrderID: r.OrderID, Kind: r.Kind, Number: numberText,
		Filename: r.Filename, ContentType: "application/pdf", Content: content}
	if err := saveDocumentTx(ctx, tx, doc); err != nil {
		return Invoice{}, err
	}
	if err := insertInvoice(ctx, tx, r, key, number, numberText); err != nil {
		return Invoice{}, err
	}
	return getInvoice(ctx, tx, r.ID)
}

func normalizeInvoiceRecord(r InvoiceRecord, key string) (InvoiceRecord, error) {
	if err := requireFields("invoice", "key", key, "id", r.ID, "order id", r.OrderID, "series", r.Series,
		"document id", r.DocumentID, "filename", r.Filename); err != nil {
		return r, err
	}
	if r.Currency == "" {
		r.Currency = "EUR"
	}
	switch {
	case r.Kind != KindInvoice && r.Kind != KindCreditNote:
		return r, invalid("invoice %s: kind %q is neither %q nor %q", r.ID, r.Kind, KindInvoice, KindCreditNote)
	case (r.Kind == KindCreditNote) != (r.CreditedInvoiceID != ""):
		return r, invalid("invoice %s: a credit note, and only a credit note, names the invoice it credits", r.ID)
	case r.Entry < 0:
		return r, invalid("invoice %s: schedule entry %d is negative", r.ID, r.Entry)
	case r.Year < 1 || r.Year > 9999:
		return r, invalid("invoice %s: year %d is out of range", r.ID, r.Year)
	case r.IssuedAt.IsZero():
		return r, invalid("invoice %s has no issue time", r.ID)
	case r.NetCents+r.VATCents != r.GrossCents:
		return r, invalid("invoice %s: net %d + VAT %d is not gross %d", r.ID, r.NetCents, r.VATCents, r.GrossCents)
	}
	return r, nil
}

// invoiceByKey finds the invoice issued under key. One issued for another
// order, entry or kind means the caller reused a key: ErrConflict.
func invoiceByKey(ctx context.Context, tx pgx.Tx, r InvoiceRecord, key string) (Invoice, bool, error) {
	inv, err := scanInvoice(tx.QueryRow(ctx, invoiceSelect+` WHERE i.issue_key = $1`, key))
	if errors.Is(err, pgx.ErrNoRows) {
		return Invoice{}, false, nil
	}
	if err != nil {
		return Invoice{}, false, fmt.Errorf("store: invoice of key %s: %w", key, err)
	}
	if inv.OrderID != r.OrderID || inv.Entry != r.Entry || inv.Kind != r.Kind || inv.Series != r.Series || inv.Year != r.Year {
		return Invoice{}, false, fmt.Errorf("store: issue %s: %w: key %s already issued %s for order %s entry %d",
			r.ID, ErrConflict, key, inv.NumberText, inv.OrderID, inv.Entry)
	}
	return inv, true, nil
}

// checkCredited refuses a credit note for a missing invoice or one of another order.
func checkCredited(ctx context.Context, tx pgx.Tx, r InvoiceRecord) error {
	if r.Kind != KindCreditNote {
		return nil
	}
	var orderID, kind string
	err := tx.QueryRow(ctx, `SELECT order_id, kind FROM invoices WHERE id = $1`, r.CreditedInvoiceID).Scan(&orderID, &kind)
	if errors.Is(err, pgx.ErrNoRows) {
		return invalid("credit note %s: there is no invoice %s to credit", r.ID, r.CreditedInvoiceID)
	}
	if err != nil {
		return fmt.Errorf("store: credit note %s: read credited invoice: %w", r.ID, err)
	}
	if orderID != r.OrderID || kind != KindInvoice {
		return invalid("credit note %s of order %s cannot credit %s %s of order %s", r.ID, r.OrderID, kind, r.CreditedInvoiceID, orderID)
	}
	return nil
}

// saveDocumentTx is SaveDocument inside the issuing transaction.
func saveDocumentTx(ctx context.Context, tx pgx.Tx, d Document) error {
	d, err := normalizeDocument(d)
	if err != nil {
		return err
	}
	tag, err := tx.Exec(ctx, `
		INSERT INTO documents (id, order_id, kind, number, filename, content_type, sha256, content)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		ON CONFLICT (id) DO NOTHING`,
		d.ID, d.OrderID, d.Kind, nullIfEmpty(d.Number), d.Filename, d.ContentType, d.SHA256, d.Content)
	if err != nil {
		return fmt.Errorf("store: save document %s: %w", d.ID, err)
	}
	if tag.RowsAffected() == 0 {
		// No invoice has this document yet (or we would have found it), so
		// whatever holds the id is another document.
		return fmt.Errorf("store: save document %s: %w: the id is taken by another document", d.ID, ErrConflict)
	}
	return nil
}

func insertInvoice(ctx context.Context, tx pgx.Tx, r InvoiceRecord, key string, number int64, numberText string) error {
	_, err := tx.Exec(ctx, `
		INSERT INTO invoices (id, order_id, entry, kind, issue_key, series, year, number, number_text,
			credited_invoice_id, net_cents, vat_cents, gross_cents, currency, client_name, client_email,
			document_id, issued_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)`,
		r.ID, r.OrderID, r.Entry, r.Kind, key, r.Series, r.Year, number, numberText,
		nullIfEmpty(r.CreditedInvoiceID), r.NetCents, r.VATCents, r.GrossCents, r.Currency, r.ClientName, r.ClientEmail,
		r.DocumentID, r.IssuedAt)
	if pgCode(err) == pgerrcode.UniqueViolation {
		return fmt.Errorf("store: issue %s: %w: order %s entry %d already has a %s, or the id or number is taken",
			r.ID, ErrConflict, r.OrderID, r.Entry, r.Kind)
	}
	if err != nil {
		return fmt.Errorf("store: issue %s: record: %w", r.ID, err)
	}
	return nil
}

// invoiceSelect reads invoices with their document's metadata and the
// credit note that credits them.
const invoiceSelect = `
	SELECT i.id, i.order_id, i.entry, i.kind, i.series, i.year, i.number, i.number_text,
		COALESCE(i.credited_invoice_id, ''), i.net_cents, i.vat_cents, i.gross_cents, i.currency,
		i.client_name, i.client_email, i.document_id, i.issued_at, i.paid, i.paid_at,
		COALESCE((SELECT c.id FROM invoices c WHERE c.credited_invoice_id = i.id), ''),
		d.filename, d.sha256
	FROM invoices i JOIN documents d ON d.id = i.document_id`

func scanInvoice(row pgx.Row) (Invoice, error) {
	var inv Invoice
	err := row.Scan(&inv.ID, &inv.OrderID, &inv.Entry, &inv.Kind, &inv.Series, &inv.Year, &inv.Number, &inv.NumberText,
		&inv.CreditedInvoiceID, &inv.NetCents, &inv.VATCents, &inv.GrossCents, &inv.Currency,
		&inv.ClientName, &inv.ClientEmail, &inv.DocumentID, &inv.IssuedAt, &inv.Paid, &inv.PaidAt,
		&inv.CreditedByID, &inv.Filename, &inv.DocumentSHA256)
	inv.IssuedAt = inv.IssuedAt.UTC()
	if inv.PaidAt != nil {
		utc := inv.PaidAt.UTC()
		inv.PaidAt = &utc
	}
	return inv, err
}

// querier is a pool or a transaction.
type querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

func getInvoice(ctx context.Context, q querier, id string) (Invoice, error) {
	inv, err := scanInvoice(q.QueryRow(ctx, invoiceSelect+` WHERE i.id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return Invoice{}, fmt.Errorf("store: invoice %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return Invoice{}, fmt.Errorf("store: invoice %s: %w", id, err)
	}
	return inv, nil
}

// GetInvoice returns one invoice or credit note.
func (s *Store) GetInvoice(ctx context.Context, id string) (Invoice, error) {
	return getInvoice(ctx, s.pool, id)
}

// SetInvoicePaid records whether an invoice is paid. Marking a paid invoice
// paid again keeps its first paid_at, so a retried call changes nothing; to
// correct the date, mark it unpaid and then paid. Credit notes are never
// paid: ErrInvalid.
func (s *Store) SetInvoicePaid(ctx context.Context, id string, paid bool, at time.Time) (Invoice, error) {
	if paid && at.IsZero() {
		return Invoice{}, invalid("invoice %s: a payment needs its time", id)
	}
	var paidAt *time.Time
	if paid {
		paidAt = &at
	}
	tag, err := s.pool.Exec(ctx, `
		UPDATE invoices SET paid = $2, paid_at = CASE WHEN paid AND $2 THEN paid_at ELSE $3::timestamptz END
		WHERE id = $1 AND kind = 'invoice'`, id, paid, paidAt)
	if err != nil {
		return Invoice{}, fmt.Errorf("store: set invoice %s paid=%t: %w", id, paid, err)
	}
	inv, err := s.GetInvoice(ctx, id)
	if err != nil {
		return Invoice{}, err
	}
	if tag.RowsAffected() == 0 {
		return Invoice{}, invalid("%s %s is a credit note; only invoices are paid", inv.NumberText, id)
	}
	return inv, nil
}

// InvoiceFilter selects invoices for ListInvoices. Empty strings and nil
// pointers do not filter.
type InvoiceFilter struct {
	OrderID string
	// OwnerID keeps the invoices of that owner's orders (as the orders table knows them).
	OwnerID string
	Kind    string
	// Unpaid true keeps invoices still to be paid: not paid and not credited.
	// False keeps paid invoices. Either way credit notes are left out, as
	// they are never paid.
	Unpaid *bool
	Limit  int    // <= 0 means DefaultLimit; above MaxLimit means MaxLimit
	Cursor string // NextCursor of the previous page, "" for the first
}

// InvoicePage is one page of invoices, newest first. NextCursor is "" on the last page.
type InvoicePage struct {
	Invoices   []Invoice
	NextCursor string
}

// ListInvoices returns invoices and credit notes matching f, newest first
// (issued_at, then id, descending), one page at a time. A cursor that was
// not issued for the same filters returns an error matching ErrInvalidCursor.
func (s *Store) ListInvoices(ctx context.Context, f InvoiceFilter) (InvoicePage, error) {
	where, args := f.conditions()
	if f.Cursor != "" {
		after, err := decodeCursor(f.Cursor, f.fingerprint())
		if err != nil {
			return InvoicePage{}, err
		}
		args = append(args, after.createdAt(), after.ID)
		where = append(where, fmt.Sprintf("(i.issued_at, i.id) < ($%d, $%d)", len(args)-1, len(args)))
	}
	limit := f.pageSize()
	args = append(args, limit+1) // one more than a page tells whether another page exists
	sql := invoiceSelect
	if len(where) > 0 {
		sql += ` WHERE ` + strings.Join(where, " AND ")
	}
	sql += fmt.Sprintf(` ORDER BY i.issued_at DESC, i.id DESC LIMIT $%d`, len(args))

	rows, err := s.pool.Query(ctx, sql, args...)
	if err != nil {
		return InvoicePage{}, fmt.Errorf("store: list invoices: %w", err)
	}
	invoices, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Invoice, error) { return scanInvoice(row) })
	if err != nil {
		return InvoicePage{}, fmt.Errorf("store: list invoices: %w", err)
	}
	page := InvoicePage{Invoices: invoices}
	if len(invoices) > limit {
		page.Invoices = invoices[:limit]
		last := page.Invoices[limit-1]
		page.NextCursor = encodeCursor(position{Micros: last.IssuedAt.UnixMicro(), ID: last.ID}, f.fingerprint())
	}
	return page, nil
}

func (f InvoiceFilter) conditions() (where []string, args []any) {
	add := func(cond string, arg any) {
		args = append(args, arg)
		where = append(where, strings.ReplaceAll(cond, "$?", "$"+strconv.Itoa(len(args))))
	}
	if f.OrderID != "" {
		add("i.order_id = $?", f.OrderID)
	}
	if f.OwnerID != "" {
		add("EXISTS (SELECT 1 FROM orders o WHERE o.id = i.order_id AND o.owner_id = $?)", f.OwnerID)
	}
	if f.Kind != "" {
		add("i.kind = $?", f.Kind)
	}
	switch {
	case f.Unpaid == nil:
	case *f.Unpaid:
		where = append(where, "i.kind = 'invoice' AND NOT i.paid",
			"NOT EXISTS (SELECT 1 FROM invoices c WHERE c.credited_invoice_id = i.id)")
	default:
		where = append(where, "i.kind = 'invoice' AND i.paid")
	}
	return where, args
}

// pageSize bounds pages as orders are bounded.
func (f InvoiceFilter) pageSize() int {
	return OrderFilter{Limit: f.Limit}.pageSize()
}

func (f InvoiceFilter) fingerprint() string {
	unpaid := "-"
	if f.Unpaid != nil {
		unpaid = strconv.FormatBool(*f.Unpaid)
	}
	return strings.Join([]string{"invoices", f.OrderID, f.OwnerID, f.Kind, unpaid}, "\x00")
}

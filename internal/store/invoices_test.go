package store

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

var issueDay = time.Date(2026, 4, 1, 7, 0, 0, 0, time.UTC)

// invoiceOf is invoice entry of order as the activity would record it.
func invoiceOf(order string, entry int) (InvoiceRecord, string) {
	id := fmt.Sprintf("%s-invoice-%d", order, entry)
	return InvoiceRecord{
		ID: id, OrderID: order, Entry: entry, Kind: KindInvoice, Series: "INV", Year: 2026,
		NetCents: 100000, VATCents: 21000, GrossCents: 121000, Currency: "EUR",
		ClientName: "Client SA", ClientEmail: "billing@client.example", IssuedAt: issueDay,
		DocumentID: id, Filename: id + ".pdf",
	}, fmt.Sprintf("%s/invoice/%d", order, entry)
}

func creditNoteOf(inv InvoiceRecord) (InvoiceRecord, string) {
	id := fmt.Sprintf("%s-credit-note-%d", inv.OrderID, inv.Entry)
	return InvoiceRecord{
		ID: id, OrderID: inv.OrderID, Entry: inv.Entry, Kind: KindCreditNote, Series: "CN", Year: inv.Year,
		CreditedInvoiceID: inv.ID, NetCents: -inv.NetCents, VATCents: -inv.VATCents, GrossCents: -inv.GrossCents,
		Currency: "EUR", ClientName: inv.ClientName, ClientEmail: inv.ClientEmail, IssuedAt: inv.IssuedAt.Add(24 * time.Hour),
		DocumentID: id, Filename: id + ".pdf",
	}, fmt.Sprintf("%s/credit-note/%d", inv.OrderID, inv.Entry)
}

// fakePDF stands for a rendered document: its bytes carry the number, so a
// test can tell which number a stored document was drawn with.
func fakePDF(number string) ([]byte, error) {
	return []byte("%PDF-fake " + number), nil
}

// countingRender is fakePDF that counts its calls.
func countingRender(calls *atomic.Int32) RenderFunc {
	return func(number string) ([]byte, error) {
		calls.Add(1)
		return fakePDF(number)
	}
}

func issue(t *testing.T, s *Store, r InvoiceRecord, key string) Invoice {
	t.Helper()
	inv, err := s.IssueInvoice(testContext(t), r, key, fakePDF)
	mustNoErr(t, err)
	return inv
}

func numberTexts(invoices []Invoice) []string {
	out := make([]string, len(invoices))
	for i, inv := range invoices {
		out[i] = inv.NumberText
	}
	return out
}

func countRows(t *testing.T, s *Store, table, orderID string) int {
	t.Helper()
	var n int
	mustNoErr(t, s.Pool().QueryRow(testContext(t), `SELECT count(*) FROM `+table+` WHERE order_id = $1`, orderID).Scan(&n))
	return n
}

func TestIssueInvoiceIsIdempotentPerKey(t *testing.T) {
	s, ctx := newTestStore(t), testContext(t)
	r, key := invoiceOf("ord_1", 0)
	var calls atomic.Int32
	var first Invoice
	for i := range 3 {
		inv, err := s.IssueInvoice(ctx, r, key, countingRender(&calls))
		mustNoErr(t, err)
		if i == 0 {
			first = inv
		}
		if inv.ID != first.ID || inv.NumberText != first.NumberText || inv.Number != 1 {
			t.Fatalf("call %d issued %+v, first call %+v", i+1, inv, first)
		}
	}
	if first.NumberText != "INV-2026-0001" || first.DocumentID != r.DocumentID || first.GrossCents != 121000 ||
		!first.IssuedAt.Equal(issueDay) || first.Paid || first.PaidAt != nil || first.Filename != r.Filename {
		t.Fatalf("issued = %+v", first)
	}
	if calls.Load() != 1 {
		t.Fatalf("render called %d times, want once", calls.Load())
	}
	if n := countRows(t, s, "invoices", "ord_1"); n != 1 {
		t.Fatalf("%d invoices, want 1", n)
	}
	doc, err := s.GetDocument(ctx, "ord_1", r.DocumentID)
	mustNoErr(t, err)
	if string(doc.Content) != "%PDF-fake INV-2026-0001" || doc.Number != "INV-2026-0001" || doc.Kind != "invoice" ||
		doc.SHA256 != first.DocumentSHA256 {
		t.Fatalf("document = %q number %q kind %q sha %s; invoice sha %s", doc.Content, doc.Number, doc.Kind, doc.SHA256, first.DocumentSHA256)
	}
	if docs, err := s.ListDocuments(ctx, "ord_1"); err != nil || len(docs) != 1 {
		t.Fatalf("documents = %d, %v; want 1", len(docs), err)
	}

	// The next key takes the next number: the retries consumed none.
	r2, key2 := invoiceOf("ord_1", 1)
	if got := issue(t, s, r2, key2); got.NumberText != "INV-2026-0002" {
		t.Fatalf("next invoice = %s, want INV-2026-0002", got.NumberText)
	}
}

func TestIssueInvoiceWithAFailingRenderConsumesNoNumber(t *testing.T) {
	s, ctx := newTestStore(t), testContext(t)
	a, keyA := invoiceOf("ord_a", 0)
	issue(t, s, a, keyA)

	errBroken := errors.New("font missing")
	b, keyB := invoiceOf("ord_b", 0)
	var tried string
	_, err := s.IssueInvoice(ctx, b, keyB, func(number string) ([]byte, error) {
		tried = number
		return nil, errBroken
	})
	if !errors.Is(err, errBroken) || tried != "INV-2026-0002" {
		t.Fatalf("err = %v (render tried %q), want the render error after trying INV-2026-0002", err, tried)
	}
	_, err = s.GetInvoice(ctx, b.ID)
	wantErrIs(t, err, ErrNotFound)
	if n := countRows(t, s, "documents", "ord_b"); n != 0 {
		t.Fatalf("%d documents kept for a failed issue", n)
	}

	c, keyC := invoiceOf("ord_c", 0)
	if got := issue(t, s, c, keyC); got.NumberText != "INV-2026-0002" {
		t.Fatalf("issue after a failed render = %s, want the freed INV-2026-0002", got.NumberText)
	}
	if got := issue(t, s, b, keyB); got.NumberText != "INV-2026-0003" {
		t.Fatalf("retried issue = %s, want INV-2026-0003", got.NumberText)
	}
}

func TestInvoiceSeriesYearsAndCreditNotesAreIndependent(t *testing.T) {
	s := newTestStore(t)
	a, keyA := invoiceOf("ord_a", 0)
	b, keyB := invoiceOf("ord_a", 1)
	nextYear, keyNext := invoiceOf("ord_b", 0)
	nextYear.Year = 2027
	c, keyC := invoiceOf("ord_c", 0)

	invA := issue(t, s, a, keyA)
	cnA, keyCNA := creditNoteOf(a)
	credit := issue(t, s, cnA, keyCNA)
	invNext := issue(t, s, nextYear, keyNext)
	invB := issue(t, s, b, keyB)
	cnB, keyCNB := creditNoteOf(b)
	creditB := issue(t, s, cnB, keyCNB)
	invC := issue(t, s, c, keyC)

	got := numberTexts([]Invoice{invA, credit, invNext, invB, creditB, invC})
	want := []string{"INV-2026-0001", "CN-2026-0001", "INV-2027-0001", "INV-2026-0002", "CN-2026-0002", "INV-2026-0003"}
	if !slices.Equal(got, want) {
		t.Fatalf("numbers = %v, want %v", got, want)
	}
	if credit.Kind != KindCreditNote || credit.CreditedInvoiceID != a.ID || credit.GrossCents != -121000 {
		t.Fatalf("credit note = %+v", credit)
	}
	credited, err := s.GetInvoice(testContext(t), a.ID)
	mustNoErr(t, err)
	if credited.CreditedByID != cnA.ID {
		t.Fatalf("credited invoice says credited by %q, want %q", credited.CreditedByID, cnA.ID)
	}
}

func TestIssueInvoiceRefusals(t *testing.T) {
	s, ctx := newTestStore(t), testContext(t)
	a, keyA := invoiceOf("ord_a", 0)
	issue(t, s, a, keyA)
	other, keyOther := invoiceOf("ord_other", 0)
	issue(t, s, other, keyOther)

	// A key reused for another entry, and another key for an issued entry.
	reused, _ := invoiceOf("ord_a", 1)
	_, err := s.IssueInvoice(ctx, reused, keyA, fakePDF)
	wantErrIs(t, err, ErrConflict)
	_, err = s.IssueInvoice(ctx, a, "ord_a/invoice/0/again", fakePDF)
	wantErrIs(t, err, ErrConflict)

	// Credit notes must credit an issued invoice of their own order, once.
	cn, keyCN := creditNoteOf(a)
	cn.CreditedInvoiceID = "nope"
	_, err = s.IssueInvoice(ctx, cn, keyCN, fakePDF)
	wantErrIs(t, err, ErrInvalid)
	cn.CreditedInvoiceID = other.ID
	_, err = s.IssueInvoice(ctx, cn, keyCN, fakePDF)
	wantErrIs(t, err, ErrInvalid)
	cn, keyCN = creditNoteOf(a)
	issue(t, s, cn, keyCN)
	twice, _ := creditNoteOf(a)
	twice.ID, twice.DocumentID, twice.Entry = "ord_a-credit-note-again", "ord_a-credit-note-again", 5
	_, err = s.IssueInvoice(ctx, twice, "ord_a/credit-note/again", fakePDF)
	wantErrIs(t, err, ErrConflict)

	// A document id taken by another document.
	mustNoErr(t, s.SaveDocument(ctx, Document{ID: "ord_a-taken", OrderID: "ord_a", Kind: "invoice_draft",
		Filename: "draft.pdf", ContentType: "application/pdf", Content: []byte("%PDF-draft")}))
	taken, keyTaken := invoiceOf("ord_a", 2)
	taken.DocumentID = "ord_a-taken"
	_, err = s.IssueInvoice(ctx, taken, keyTaken, fakePDF)
	wantErrIs(t, err, ErrConflict)

	// None of the refusals consumed a number.
	next, keyNext := invoiceOf("ord_b", 0)
	if got := issue(t, s, next, keyNext); got.NumberText != "INV-2026-0003" {
		t.Fatalf("after refusals the next invoice is %s, want INV-2026-0003", got.NumberText)
	}
	next, keyNext = invoiceOf("ord_b", 0)
	nextCN, keyNextCN := creditNoteOf(next)
	if got := issue(t, s, nextCN, keyNextCN); got.NumberText != "CN-2026-0002" {
		t.Fatalf("after refusals the next credit note is %s, want CN-2026-0002", got.NumberText)
	}

	for name, change := range map[string]func(*InvoiceRecord){
		"no id":              func(r *InvoiceRecord) { r.ID = "" },
		"unknown kind":       func(r *InvoiceRecord) { r.Kind = "receipt" },
		"invoice crediting":  func(r *InvoiceRecord) { r.CreditedInvoiceID = a.ID },
		"negative entry":     func(r *InvoiceRecord) { r.Entry = -1 },
		"year zero":          func(r *InvoiceRecord) { r.Year = 0 },
		"no issue time":      func(r *InvoiceRecord) { r.IssuedAt = time.Time{} },
		"gross is not a sum": func(r *InvoiceRecord) { r.GrossCents++ },
		"no document id":     func(r *InvoiceRecord) { r.DocumentID = "" },
	} {
		r, key := invoiceOf("ord_bad", 0)
		change(&r)
		_, err := s.IssueInvoice(ctx, r, key, fakePDF)
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: err = %v, want ErrInvalid", name, err)
		}
	}
	_, err = s.IssueInvoice(ctx, a, "", fakePDF)
	wantErrIs(t, err, ErrInvalid)
}

// The acceptance test: many orders issuing at once get 1..N, each once.
func TestIssueInvoiceConcurrentlyIsGapless(t *testing.T) {
	s, ctx := newTestStore(t), testContext(t)
	const orders = 40
	issued := make([]Invoice, orders)
	errs := make([]error, orders)
	var wg sync.WaitGroup
	for i := range orders {
		wg.Go(func() {
			r, key := invoiceOf(fmt.Sprintf("ord_%02d", i), 0)
			issued[i], errs[i] = s.IssueInvoice(ctx, r, key, fakePDF)
		})
	}
	wg.Wait()
	numbers := make([]int64, orders)
	for i, err := range errs {
		mustNoErr(t, err)
		numbers[i] = issued[i].Number
	}
	slices.Sort(numbers)
	for i, n := range numbers {
		if n != int64(i+1) {
			t.Fatalf("numbers = %v, want 1..%d each once", numbers, orders)
		}
	}
	for _, inv := range issued {
		if n := countRows(t, s, "invoices", inv.OrderID); n != 1 {
			t.Fatalf("order %s has %d invoices, want 1", inv.OrderID, n)
		}
		docs, err := s.ListDocuments(ctx, inv.OrderID)
		mustNoErr(t, err)
		if len(docs) != 1 || docs[0].Number != inv.NumberText {
			t.Fatalf("order %s: documents %+v, want one numbered %s", inv.OrderID, docs, inv.NumberText)
		}
		doc, err := s.GetDocument(ctx, inv.OrderID, inv.DocumentID)
		mustNoErr(t, err)
		if string(doc.Content) != "%PDF-fake "+inv.NumberText {
			t.Fatalf("invoice %s carries document %q", inv.NumberText, doc.Content)
		}
	}
	var total int
	mustNoErr(t, s.Pool().QueryRow(ctx, `SELECT count(*) FROM invoices`).Scan(&total))
	if total != orders {
		t.Fatalf("%d invoices in all, want %d", total, orders)
	}
}

func TestIssueInvoiceSameKeyRacing(t *testing.T) {
	s, ctx := newTestStore(t), testContext(t)
	const callers = 5
	r, key := invoiceOf("ord_race", 0)
	var calls atomic.Int32
	issued := make([]Invoice, callers)
	errs := make([]error, callers)
	var wg sync.WaitGroup
	for i := range callers {
		wg.Go(func() { issued[i], errs[i] = s.IssueInvoice(ctx, r, key, countingRender(&calls)) })
	}
	wg.Wait()
	for i := range callers {
		mustNoErr(t, errs[i])
		if issued[i].NumberText != "INV-2026-0001" || issued[i].ID != r.ID {
			t.Fatalf("racing issues of one key got %v, want all INV-2026-0001", numberTexts(issued))
		}
	}
	if calls.Load() != 1 {
		t.Fatalf("render called %d times, want once", calls.Load())
	}
	if n := countRows(t, s, "invoices", "ord_race"); n != 1 {
		t.Fatalf("%d invoices, want 1", n)
	}
	next, keyNext := invoiceOf("ord_next", 0)
	if got := issue(t, s, next, keyNext); got.NumberText != "INV-2026-0002" {
		t.Fatalf("next invoice = %s, want INV-2026-0002: the race consumed numbers", got.NumberText)
	}
}

func TestSetInvoicePaid(t *testing.T) {
	s, ctx := newTestStore(t), testContext(t)
	r, key := invoiceOf("ord_1", 0)
	issue(t, s, r, key)
	paidAt := time.Date(2026, 4, 20, 10, 0, 0, 0, time.UTC)

	inv, err := s.SetInvoicePaid(ctx, r.ID, true, paidAt)
	mustNoErr(t, err)
	if !inv.Paid || inv.PaidAt == nil || !inv.PaidAt.Equal(paidAt) {
		t.Fatalf("after paid: %v at %v", inv.Paid, inv.PaidAt)
	}
	// Marked paid again (a retry): the first payment time stays.
	inv, err = s.SetInvoicePaid(ctx, r.ID, true, paidAt.Add(48*time.Hour))
	mustNoErr(t, err)
	if !inv.Paid || !inv.PaidAt.Equal(paidAt) {
		t.Fatalf("after paid twice: %v at %v, want paid at %v", inv.Paid, inv.PaidAt, paidAt)
	}
	inv, err = s.SetInvoicePaid(ctx, r.ID, false, time.Now())
	mustNoErr(t, err)
	if inv.Paid || inv.PaidAt != nil {
		t.Fatalf("after unpaid: %v at %v", inv.Paid, inv.PaidAt)
	}
	stored, err := s.GetInvoice(ctx, r.ID)
	mustNoErr(t, err)
	if stored.Paid {
		t.Fatal("unpaid was not stored")
	}

	cn, keyCN := creditNoteOf(r)
	issue(t, s, cn, keyCN)
	_, err = s.SetInvoicePaid(ctx, cn.ID, true, paidAt)
	wantErrIs(t, err, ErrInvalid)
	_, err = s.SetInvoicePaid(ctx, "missing", true, paidAt)
	wantErrIs(t, err, ErrNotFound)
	_, err = s.SetInvoicePaid(ctx, r.ID, true, time.Time{})
	wantErrIs(t, err, ErrInvalid)
	_, err = s.GetInvoice(ctx, "missing")
	wantErrIs(t, err, ErrNotFound)
}

func TestListInvoicesFilters(t *testing.T) {
	s, ctx := newTestStore(t), testContext(t)
	for _, o := range []struct{ id, owner string }{{"ord_a", "m-1"}, {"ord_b", "m-1"}, {"ord_c", "m-2"}} {
		order, entry := memberOrder(o.id, 1, "active")
		order.OwnerID = o.owner
		mustNoErr(t, s.RecordTransition(ctx, order, entry))
	}
	// Issued a minute apart: a0, a1, b0, c0, then the credit note of a1.
	var records []InvoiceRecord
	for i, oe := range []struct {
		order string
		entry int
	}{{"ord_a", 0}, {"ord_a", 1}, {"ord_b", 0}, {"ord_c", 0}} {
		r, key := invoiceOf(oe.order, oe.entry)
		r.IssuedAt = issueDay.Add(time.Duration(i) * time.Minute)
		issue(t, s, r, key)
		records = append(records, r)
	}
	cn, keyCN := creditNoteOf(records[1])
	issue(t, s, cn, keyCN)
	_, err := s.SetInvoicePaid(ctx, records[2].ID, true, issueDay.Add(time.Hour))
	mustNoErr(t, err)

	yes, no := true, false
	for name, tc := range map[string]struct {
		filter InvoiceFilter
		want   []string
	}{
		"all, newest first": {InvoiceFilter{}, []string{"CN-2026-0001", "INV-2026-0004", "INV-2026-0003", "INV-2026-0002", "INV-2026-0001"}},
		"one order":         {InvoiceFilter{OrderID: "ord_a"}, []string{"CN-2026-0001", "INV-2026-0002", "INV-2026-0001"}},
		"one owner":         {InvoiceFilter{OwnerID: "m-2"}, []string{"INV-2026-0004"}},
		"owner and order":   {InvoiceFilter{OwnerID: "m-2", OrderID: "ord_a"}, []string{}},
		"credit notes":      {InvoiceFilter{Kind: KindCreditNote}, []string{"CN-2026-0001"}},
		// a1 is credited and b0 paid: neither is still to be paid.
		"unpaid":          {InvoiceFilter{Unpaid: &yes}, []string{"INV-2026-0004", "INV-2026-0001"}},
		"paid":            {InvoiceFilter{Unpaid: &no}, []string{"INV-2026-0003"}},
		"unpaid of owner": {InvoiceFilter{Unpaid: &yes, OwnerID: "m-1"}, []string{"INV-2026-0001"}},
	} {
		page, err := s.ListInvoices(ctx, tc.filter)
		mustNoErr(t, err)
		if got := numberTexts(page.Invoices); !slices.Equal(got, tc.want) || page.NextCursor != "" {
			t.Errorf("%s: %v (cursor %q), want %v", name, got, page.NextCursor, tc.want)
		}
	}
}

func TestListInvoicesPages(t *testing.T) {
	s, ctx := newTestStore(t), testContext(t)
	for i := range 5 {
		r, key := invoiceOf(fmt.Sprintf("ord_%d", i), 0)
		r.IssuedAt = issueDay // one instant: the id breaks the tie
		issue(t, s, r, key)
	}
	var seen []string
	f := InvoiceFilter{Limit: 2}
	for range 3 {
		page, err := s.ListInvoices(ctx, f)
		mustNoErr(t, err)
		for _, inv := range page.Invoices {
			seen = append(seen, inv.OrderID)
		}
		if page.NextCursor == "" {
			break
		}
		f.Cursor = page.NextCursor
	}
	want := []string{"ord_4", "ord_3", "ord_2", "ord_1", "ord_0"}
	if !slices.Equal(seen, want) {
		t.Fatalf("pages gave %v, want %v", seen, want)
	}

	page, err := s.ListInvoices(ctx, InvoiceFilter{Limit: 2})
	mustNoErr(t, err)
	_, err = s.ListInvoices(ctx, InvoiceFilter{Limit: 2, Cursor: page.NextCursor, OrderID: "ord_1"})
	wantErrIs(t, err, ErrInvalidCursor)
	_, err = s.ListInvoices(ctx, InvoiceFilter{Cursor: strings.Repeat("x", 10)})
	wantErrIs(t, err, ErrInvalidCursor)
}

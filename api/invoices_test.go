package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/orderflow/orderflow/internal/pgtest"
	"github.com/orderflow/orderflow/internal/store"
	"github.com/orderflow/orderflow/lifecycle"
)

// wireInvoice spells out the JSON shape so a renamed member fails the tests.
type wireInvoice struct {
	ID                string     `json:"id"`
	OrderID           string     `json:"order_id"`
	Entry             int        `json:"entry"`
	Kind              string     `json:"kind"`
	Number            string     `json:"number"`
	Net               string     `json:"net"`
	VAT               string     `json:"vat"`
	Gross             string     `json:"gross"`
	Currency          string     `json:"currency"`
	ClientName        string     `json:"client_name"`
	ClientEmail       string     `json:"client_email"`
	IssuedAt          time.Time  `json:"issued_at"`
	Paid              bool       `json:"paid"`
	PaidAt            *time.Time `json:"paid_at"`
	DocumentID        string     `json:"document_id"`
	CreditedInvoiceID *string    `json:"credited_invoice_id"`
	CreditedBy        *string    `json:"credited_by"`
}

type wireInvoicePage struct {
	Invoices   []wireInvoice `json:"invoices"`
	NextCursor string        `json:"next_cursor"`
}

var invoicedAt = time.Date(2026, 4, 1, 7, 0, 0, 0, time.UTC)

// invoiceAPI serves a read model holding: ord_a (member m-1) with invoices
// for entries 0 and 1, the second credited; ord_b (m-1) entry 0; ord_c (m-2)
// entry 0. Issued a minute apart in that order, the credit note last.
func invoiceAPI(t *testing.T) (http.Handler, *store.Store) {
	t.Helper()
	st := store.New(pgtest.New(t))
	ctx := supplierCtx(t)
	for _, o := range []struct{ id, owner string }{{"ord_a", "m-1"}, {"ord_b", "m-1"}, {"ord_c", "m-2"}} {
		order := store.Order{ID: o.id, Flow: "member", Status: "active", OwnerID: o.owner, Title: "Work " + o.id}
		entry := store.TimelineEntry{Seq: 1, At: invoicedAt.Add(-time.Hour), To: "active", Action: "confirm", ActorRole: "client"}
		if err := st.RecordTransition(ctx, order, entry); err != nil {
			t.Fatal(err)
		}
	}
	render := func(number string) ([]byte, error) { return []byte("%PDF-test " + number), nil }
	issue := func(r store.InvoiceRecord, key string) {
		if _, err := st.IssueInvoice(ctx, r, key, render); err != nil {
			t.Fatal(err)
		}
	}
	for i, oe := range []struct {
		order string
		entry int
	}{{"ord_a", 0}, {"ord_a", 1}, {"ord_b", 0}, {"ord_c", 0}} {
		id := fmt.Sprintf("%s-invoice-%d", oe.order, oe.entry)
		issue(store.InvoiceRecord{
			ID: id, OrderID: oe.order, Entry: oe.entry, Kind: store.KindInvoice, Series: "INV", Year: 2026,
			NetCents: 100000, VATCents: 21000, GrossCents: 121000, ClientName: "Client SA", ClientEmail: "ap@client.example",
			IssuedAt: invoicedAt.Add(time.Duration(i) * time.Minute), DocumentID: id, Filename: id + ".pdf",
		}, fmt.Sprintf("%s/invoice/%d", oe.order, oe.entry))
	}
	issue(store.InvoiceRecord{
		ID: "ord_a-credit-note-1", OrderID: "ord_a", Entry: 1, Kind: store.KindCreditNote, Series: "CN", Year: 2026,
		CreditedInvoiceID: "ord_a-invoice-1", NetCents: -100000, VATCents: -21000, GrossCents: -121000,
		IssuedAt: invoicedAt.Add(time.Hour), DocumentID: "ord_a-credit-note-1", Filename: "cn.pdf",
	}, "ord_a/credit-note/1")

	d := testDeps(nil)
	d.Store = st
	return New(d), st
}

func invoiceNumbers(page wireInvoicePage) []string {
	out := make([]string, len(page.Invoices))
	for i, inv := range page.Invoices {
		out[i] = inv.Number
	}
	return out
}

func TestListInvoicesIsScopedByRole(t *testing.T) {
	h, _ := invoiceAPI(t)
	all := []string{"CN-2026-0001", "INV-2026-0004", "INV-2026-0003", "INV-2026-0002", "INV-2026-0001"}
	for _, tc := range []struct {
		role lifecycle.Role
		sub  string
		want []string
	}{
		{lifecycle.Staff, "s-1", all},
		{lifecycle.Finance, "f-1", all},
		{lifecycle.Ops, "ops-1", all},
		{lifecycle.Member, "m-1", []string{"CN-2026-0001", "INV-2026-0003", "INV-2026-0002", "INV-2026-0001"}},
		{lifecycle.Member, "m-2", []string{"INV-2026-0004"}},
		{lifecycle.Member, "m-nobody", []string{}},
	} {
		page := decodeAs[wireInvoicePage](t, do(t, h, "GET", "/v1/invoices", nil, bearerOf(t, tc.role, tc.sub)), 200)
		if got := invoiceNumbers(page); !slices.Equal(got, tc.want) || page.NextCursor != "" {
			t.Errorf("%s %s sees %v (cursor %q), want %v", tc.role, tc.sub, got, page.NextCursor, tc.want)
		}
	}
	// A member asking for another member's order gets nothing of it.
	page := decodeAs[wireInvoicePage](t, do(t, h, "GET", "/v1/invoices?order=ord_c", nil, bearerOf(t, lifecycle.Member, "m-1")), 200)
	if len(page.Invoices) != 0 {
		t.Fatalf("member m-1 sees %v of ord_c", invoiceNumbers(page))
	}

	// (No token names client or system: auth refuses to mint them.)
	for _, role := range []lifecycle.Role{lifecycle.Customer, lifecycle.Supplier, lifecycle.Purchasing} {
		p := decodeProblem(t, do(t, h, "GET", "/v1/invoices", nil, bearerOf(t, role, "x-1")), 403)
		if !strings.Contains(p.Detail, "staff") {
			t.Errorf("%s: detail %q does not name the roles that may", role, p.Detail)
		}
	}
	decodeProblem(t, do(t, h, "GET", "/v1/invoices", nil, nil), 401)
}

func TestListInvoicesShape(t *testing.T) {
	h, _ := invoiceAPI(t)
	staff := bearerOf(t, lifecycle.Staff, "s-1")
	page := decodeAs[wireInvoicePage](t, do(t, h, "GET", "/v1/invoices?order=ord_a", nil, staff), 200)
	if got := invoiceNumbers(page); !slices.Equal(got, []string{"CN-2026-0001", "INV-2026-0002", "INV-2026-0001"}) {
		t.Fatalf("ord_a lists %v", got)
	}
	credit, credited := page.Invoices[0], page.Invoices[1]
	if credit.Kind != "credit_note" || credit.Gross != "-1210.00" || credit.CreditedInvoiceID == nil ||
		*credit.CreditedInvoiceID != "ord_a-invoice-1" || credit.CreditedBy != nil {
		t.Fatalf("credit note = %+v", credit)
	}
	if credited.ID != "ord_a-invoice-1" || credited.OrderID != "ord_a" || credited.Entry != 1 || credited.Kind != "invoice" ||
		credited.Net != "1000.00" || credited.VAT != "210.00" || credited.Gross != "1210.00" || credited.Currency != "EUR" ||
		credited.ClientName != "Client SA" || credited.ClientEmail != "ap@client.example" || credited.DocumentID != "ord_a-invoice-1" ||
		!credited.IssuedAt.Equal(invoicedAt.Add(time.Minute)) || credited.Paid || credited.PaidAt != nil ||
		credited.CreditedInvoiceID != nil || credited.CreditedBy == nil || *credited.CreditedBy != "ord_a-credit-note-1" {
		t.Fatalf("credited invoice = %+v", credited)
	}

	// Absent values are JSON nulls, not missing members.
	var raw struct {
		Invoices []map[string]json.RawMessage `json:"invoices"`
	}
	rec := do(t, h, "GET", "/v1/invoices?order=ord_b", nil, staff)
	if err := json.Unmarshal(rec.Body.Bytes(), &raw); err != nil || len(raw.Invoices) != 1 {
		t.Fatalf("body %s: %v", rec.Body, err)
	}
	for _, member := range []string{"paid_at", "credited_invoice_id", "credited_by"} {
		if v, ok := raw.Invoices[0][member]; !ok || string(v) != "null" {
			t.Errorf("%s = %s (present %v), want null", member, v, ok)
		}
	}
}

func TestListInvoicesFiltersAndPages(t *testing.T) {
	h, st := invoiceAPI(t)
	finance := bearerOf(t, lifecycle.Finance, "f-1")
	if _, err := st.SetInvoicePaid(supplierCtx(t), "ord_b-invoice-0", true, invoicedAt.Add(24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	for query, want := range map[string][]string{
		"unpaid=true":              {"INV-2026-0004", "INV-2026-0001"}, // ord_a's second is credited, ord_b's paid
		"unpaid=false":             {"INV-2026-0003"},
		"kind=credit_note":         {"CN-2026-0001"},
		"kind=invoice&order=ord_a": {"INV-2026-0002", "INV-2026-0001"},
		"unpaid=true&order=ord_c":  {"INV-2026-0004"},
	} {
		page := decodeAs[wireInvoicePage](t, do(t, h, "GET", "/v1/invoices?"+query, nil, finance), 200)
		if got := invoiceNumbers(page); !slices.Equal(got, want) {
			t.Errorf("?%s lists %v, want %v", query, got, want)
		}
	}

	var seen []string
	path := "/v1/invoices?limit=2"
	for range 5 {
		page := decodeAs[wireInvoicePage](t, do(t, h, "GET", path, nil, finance), 200)
		seen = append(seen, invoiceNumbers(page)...)
		if page.NextCursor == "" {
			break
		}
		path = "/v1/invoices?limit=2&cursor=" + page.NextCursor
	}
	if want := []string{"CN-2026-0001", "INV-2026-0004", "INV-2026-0003", "INV-2026-0002", "INV-2026-0001"}; !slices.Equal(seen, want) {
		t.Fatalf("pages gave %v, want %v", seen, want)
	}

	for query, field := range map[string]string{
		"unpaid=maybe": "unpaid", "unpaid=1": "unpaid", "kind=receipt": "kind", "limit=0": "limit", "limit=201": "limit", "limit=two": "limit",
	} {
		p := decodeProblem(t, do(t, h, "GET", "/v1/invoices?"+query, nil, finance), 422)
		if p.Errors[field] == "" {
			t.Errorf("?%s: errors %v do not name %s", query, p.Errors, field)
		}
	}
	decodeProblem(t, do(t, h, "GET", "/v1/invoices?cursor=forged", nil, finance), 400)
}

func TestMarkInvoicePaidAndUnpaid(t *testing.T) {
	h, st := invoiceAPI(t)
	finance := bearerOf(t, lifecycle.Finance, "f-1")
	staff := bearerOf(t, lifecycle.Staff, "s-1")

	before := time.Now().Add(-time.Second)
	got := decodeAs[wireInvoice](t, do(t, h, "POST", "/v1/invoices/ord_c-invoice-0/paid", nil, finance), 200)
	if !got.Paid || got.PaidAt == nil || got.PaidAt.Before(before) || got.PaidAt.After(time.Now().Add(time.Second)) {
		t.Fatalf("paid without a time: paid %v at %v, want now", got.Paid, got.PaidAt)
	}
	stored, err := st.GetInvoice(supplierCtx(t), "ord_c-invoice-0")
	if err != nil || !stored.Paid {
		t.Fatalf("stored = %+v, %v; want paid", stored, err)
	}

	got = decodeAs[wireInvoice](t, do(t, h, "POST", "/v1/invoices/ord_c-invoice-0/unpaid", nil, staff), 200)
	if got.Paid || got.PaidAt != nil {
		t.Fatalf("after unpaid: paid %v at %v", got.Paid, got.PaidAt)
	}

	paidAt := invoicedAt.Add(72 * time.Hour)
	body := fmt.Sprintf(`{"paid_at": %q}`, paidAt.Format(time.RFC3339))
	got = decodeAs[wireInvoice](t, do(t, h, "POST", "/v1/invoices/ord_c-invoice-0/paid", strings.NewReader(body), staff), 200)
	if !got.Paid || got.PaidAt == nil || !got.PaidAt.Equal(paidAt) {
		t.Fatalf("paid at %v: got paid %v at %v", paidAt, got.Paid, got.PaidAt)
	}
	// A repeated call keeps the first payment time.
	again := decodeAs[wireInvoice](t, do(t, h, "POST", "/v1/invoices/ord_c-invoice-0/paid", nil, finance), 200)
	if !again.PaidAt.Equal(paidAt) {
		t.Fatalf("paid again: at %v, want %v kept", again.PaidAt, paidAt)
	}
	page := decodeAs[wireInvoicePage](t, do(t, h, "GET", "/v1/invoices?unpaid=false", nil, finance), 200)
	if got := invoiceNumbers(page); !slices.Equal(got, []string{"INV-2026-0004"}) {
		t.Fatalf("paid invoices = %v", got)
	}
}

func TestMarkInvoicePaidRefusals(t *testing.T) {
	h, st := invoiceAPI(t)
	finance := bearerOf(t, lifecycle.Finance, "f-1")
	for _, role := range []lifecycle.Role{lifecycle.Member, lifecycle.Ops, lifecycle.Customer} {
		for _, action := range []string{"paid", "unpaid"} {
			decodeProblem(t, do(t, h, "POST", "/v1/invoices/ord_a-invoice-0/"+action, nil, bearerOf(t, role, "m-1")), 403)
		}
	}
	p := decodeProblem(t, do(t, h, "POST", "/v1/invoices/nope/paid", nil, finance), 404)
	if !strings.Contains(p.Detail, "nope") {
		t.Fatalf("404 detail %q does not name the id", p.Detail)
	}
	decodeProblem(t, do(t, h, "POST", "/v1/invoices/nope/unpaid", nil, finance), 404)
	p = decodeProblem(t, do(t, h, "POST", "/v1/invoices/ord_a-credit-note-1/paid", nil, finance), 422)
	if !strings.Contains(p.Errors["id"], "credit note") {
		t.Fatalf("credit note paid: errors %v", p.Errors)
	}
	decodeProblem(t, do(t, h, "POST", "/v1/invoices/ord_a-credit-note-1/unpaid", nil, finance), 422)

	future := time.Now().Add(24 * time.Hour).UTC().Format(time.RFC3339)
	p = decodeProblem(t, do(t, h, "POST", "/v1/invoices/ord_a-invoice-0/paid", strings.NewReader(`{"paid_at": "`+future+`"}`), finance), 422)
	if p.Errors["paid_at"] == "" {
		t.Fatalf("future paid_at: errors %v", p.Errors)
	}
	for name, body := range map[string]string{
		"unknown field": `{"paid": true}`,
		"malformed":     `{"paid_at": `,
		"not a time":    `{"paid_at": "yesterday"}`,
		"not an object": `["2026-04-01T00:00:00Z"]`,
		"data after":    `{"paid_at": "2026-04-01T00:00:00Z"}}`,
		"two objects":   `{"paid_at": "2026-04-01T00:00:00Z"} {}`,
	} {
		t.Run(name, func(t *testing.T) {
			decodeProblem(t, do(t, h, "POST", "/v1/invoices/ord_a-invoice-0/paid", strings.NewReader(body), finance), 400)
		})
	}
	decodeProblem(t, do(t, h, "POST", "/v1/invoices/ord_a-invoice-0/unpaid", strings.NewReader(`{"paid_at": null}`), finance), 400)

	// None of the refusals changed anything.
	inv, err := st.GetInvoice(supplierCtx(t), "ord_a-invoice-0")
	if err != nil || inv.Paid {
		t.Fatalf("after refusals: %+v, %v; want unpaid", inv, err)
	}
}

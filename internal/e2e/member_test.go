package e2e_test

// Member orders end to end through the real HTTP API and the client's
// confirmation page, with an in-process Temporal server, Postgres, the worker
// and the SendGrid stand-in. Invoice dates are today with a short review
// time, so drafts and issues happen while the test watches.

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/orderflow/orderflow/internal/sendgridtest"
	"github.com/orderflow/orderflow/lifecycle"
	"github.com/orderflow/orderflow/workflows"
)

// memberEnv: UTC, invoices at 00:00 of their date, and a 15 s minimum
// review (instead of 48 h) so a draft made now is issued 15 s later.
var memberEnv = map[string]string{
	"ORDERFLOW_TIMEZONE":     "UTC",
	"ORDERFLOW_INVOICE_TIME": "00:00",
	"ORDERFLOW_MIN_REVIEW":   "15s",
}

func day(offset int) string { return time.Now().UTC().AddDate(0, 0, offset).Format("2006-01-02") }

func (m *market) createMember(member string, body map[string]any) workflows.OrderView {
	m.t.Helper()
	order := map[string]any{
		"flow": "member", "member_name": "Mia " + member, "member_email": member + "@members.test",
		"client":            map[string]any{"name": "Carl Client", "company": "Client SA", "vat_number": "BE0123456789", "email": "carl@client.test"},
		"title":             "Website redesign",
		"lines":             []map[string]any{{"description": "Design and build", "quantity": 1, "unit_price": "1000.00", "vat_rate": 21}},
		"service_period":    map[string]any{"start": day(-30), "end": day(-1)},
		"offer_valid_until": day(10),
	}
	for k, v := range body {
		order[k] = v
	}
	var v workflows.OrderView
	m.call("POST", "/v1/orders", m.token(lifecycle.Member, member), order, http.StatusCreated, &v)
	return v
}

// link finds the confirmation link emailed to the client.
func (m *market) link(orderID string) string {
	m.t.Helper()
	return m.emailedLink(orderID, "confirmation_request", "/c/")
}

// emailedLink finds the link under path (e.g. "/c/") in the latest email of
// the order whose purpose starts with purpose, as its recipient would.
func (m *market) emailedLink(orderID, purpose, path string) string {
	m.t.Helper()
	var link string
	re := regexp.MustCompile(`http://[^\s"<>]+` + regexp.QuoteMeta(path) + `[A-Za-z0-9._~-]+`)
	m.eventually(purpose+" link of "+orderID, func() bool {
		for _, msg := range m.sys.SendGrid.Messages() {
			if msg.CustomArgs["order_id"] == orderID && strings.HasPrefix(msg.CustomArgs["purpose"], purpose) {
				link = re.FindString(msg.Content("text/plain"))
			}
		}
		return link != ""
	})
	return link
}

// pdfText is the text of an order's document, as pdftotext reads it.
func (m *market) pdfText(orderID, docID, token string) string {
	m.t.Helper()
	resp, body := m.sys.Do(m.t, "GET", "/v1/orders/"+orderID+"/documents/"+docID, token, nil)
	if resp.StatusCode != 200 {
		m.t.Fatalf("document %s = %d: %s", docID, resp.StatusCode, body)
	}
	cmd := exec.Command("pdftotext", "-layout", "-", "-")
	cmd.Stdin = strings.NewReader(string(body))
	out, err := cmd.Output()
	if err != nil {
		m.t.Fatalf("pdftotext (install poppler-utils): %v", err)
	}
	return string(out)
}

type invoiceRow struct {
	ID, OrderID, Kind, Number, DocumentID, Gross string
}

func (m *market) invoices(orderID string) []invoiceRow {
	m.t.Helper()
	var out struct {
		Invoices []struct {
			ID         string `json:"id"`
			OrderID    string `json:"order_id"`
			Kind       string `json:"kind"`
			Number     string `json:"number"`
			DocumentID string `json:"document_id"`
			Gross      string `json:"gross"`
		} `json:"invoices"`
	}
	m.call("GET", "/v1/invoices?order="+orderID, m.token(lifecycle.Staff, "s-1"), nil, http.StatusOK, &out)
	rows := make([]invoiceRow, len(out.Invoices))
	for i, r := range out.Invoices {
		rows[i] = invoiceRow{ID: r.ID, OrderID: r.OrderID, Kind: r.Kind, Number: r.Number, DocumentID: r.DocumentID, Gross: r.Gross}
	}
	return rows
}

func TestMemberOrderConfirmedByTheClientToCompleted(t *testing.T) {
	m := newMarket(t, memberEnv)
	member, staff := m.token(lifecycle.Member, "m-1"), m.token(lifecycle.Staff, "s-1")

	o := m.createMember("m-1", map[string]any{"schedule": []map[string]any{{"date": day(0), "amount": "1000.00"}}})
	if o.Status != lifecycle.Draft {
		t.Fatalf("new order: %s", o.Status)
	}
	m.call("GET", "/v1/orders/"+o.ID, staff, nil, http.StatusNotFound, nil) // drafts are not visible to staff
	m.act(o.ID, "submit", member, nil, http.StatusOK)
	m.act(o.ID, "approve", staff, nil, http.StatusOK)

	// The client opens the emailed link, sees what they agree to, and confirms.
	link := m.link(o.ID)
	page, err := http.Get(link)
	if err != nil {
		t.Fatal(err)
	}
	html, _ := io.ReadAll(page.Body)
	page.Body.Close()
	for _, want := range []string{"Website redesign", "Carl Client", "1,210.00", "21"} {
		if page.StatusCode != 200 || !strings.Contains(string(html), want) {
			t.Fatalf("confirmation page (%d) lacks %q", page.StatusCode, want)
		}
	}
	resp, err := http.PostForm(link+"/confirm", url.Values{})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("confirm = %d", resp.StatusCode)
	}
	again, _ := http.PostForm(link+"/confirm", url.Values{})
	again.Body.Close()
	if again.StatusCode != http.StatusGone {
		t.Fatalf("a second confirm = %d, want 410 (single-use link)", again.StatusCode)
	}
	m.waitStatus(o.ID, lifecycle.Active)

	// The draft comes at once (its date is today); the member asks for a change.
	m.eventually("draft of invoice 1", func() bool {
		return slices.Contains(m.emails(o.ID), "invoice_draft_ready#1.1→m-1@members.test")
	})
	m.act(o.ID, "request_changes", member, map[string]any{"entry": 1, "comment": "please mention the project code PX-7"}, http.StatusOK)
	m.act(o.ID, "resolve_changes", staff, map[string]any{"entry": 1, "amount": "950.00", "note": "discount agreed"}, http.StatusOK)
	m.waitStatus(o.ID, lifecycle.Completed)

	m.expectEmails(o.ID,
		"order_submitted#2→m-1@members.test", "order_approved→m-1@members.test", "confirmation_request#1→carl@client.test",
		"member_order_confirmed→m-1@members.test", "member_order_confirmed→carl@client.test",
		"invoice_draft_ready#1.1→m-1@members.test", "invoice_draft_ready#1.2→m-1@members.test",
		"invoice_issued#1→carl@client.test", "member_order_completed→m-1@members.test",
	)
	issued := m.sys.SendGrid.Messages()
	i := slices.IndexFunc(issued, func(msg sendgridtest.Message) bool { return msg.CustomArgs["purpose"] == "invoice_issued#1" })
	// The PDF and, the client having a VAT number, the UBL e-invoice.
	if cc := issued[i].Personalizations[0].Cc; len(cc) != 1 || cc[0].Email != "m-1@members.test" || len(issued[i].Attachments) != 2 ||
		!strings.HasSuffix(issued[i].Attachments[0].Filename, ".pdf") || !strings.HasSuffix(issued[i].Attachments[1].Filename, ".xml") {
		t.Fatalf("invoice email: cc %+v, %d attachments", cc, len(issued[i].Attachments))
	}

	invs := m.invoices(o.ID)
	year := time.Now().UTC().Year()
	if len(invs) != 1 || invs[0].Number != fmt.Sprintf("INV-%d-0001", year) || invs[0].Gross != "1149.50" {
		t.Fatalf("invoices = %+v", invs)
	}
	text := m.pdfText(o.ID, invs[0].DocumentID, member)
	for _, want := range []string{invs[0].Number, "950.00", "199.50", "1,149.50", "21"} {
		if !strings.Contains(text, want) {
			t.Fatalf("invoice PDF lacks %q:\n%s", want, text)
		}
	}
	// The client has a VAT number: the structured e-invoice is there too.
	resp, ubl := m.sys.Do(t, "GET", "/v1/orders/"+o.ID+"/documents/"+invs[0].ID+"-ubl", member, nil)
	for _, want := range []string{"urn:cen.eu:en16931:2017", invs[0].Number, "BE0000000097", "BE0123456789", "1149.50"} {
		if resp.StatusCode != 200 || !strings.Contains(string(ubl), want) {
			t.Fatalf("UBL e-invoice (%d, %s) lacks %q", resp.StatusCode, resp.Header.Get("Content-Type"), want)
		}
	}
	want := []string{"create:draft", "submit:smart_confirmation", "approve:client_confirmation", "confirm:active",
		"invoice_drafted:active", "request_changes:active", "resolve_changes:active", "invoice_issued:active", "service_completed:completed"}
	if got := m.timelineSettled(o.ID); !slices.Equal(got, want) {
		t.Fatalf("timeline:\n got %v\nwant %v", got, want)
	}
}

func TestMemberOrderCancelledAfterAnInvoiceIsCredited(t *testing.T) {
	m := newMarket(t, memberEnv)
	member, staff := m.token(lifecycle.Member, "m-2"), m.token(lifecycle.Staff, "s-1")
	o := m.createMember("m-2", map[string]any{
		"submit": true, "skip_client_confirmation": true, "proof_reference": "framework contract FC-2026-3",
		"service_period": map[string]any{"start": day(-1), "end": day(60)},
		"schedule":       []map[string]any{{"date": day(0), "amount": "500.00"}, {"date": day(40), "amount": "500.00"}},
	})
	v := m.act(o.ID, "approve", staff, nil, http.StatusOK)
	if v.Status != lifecycle.Active || !v.Member.PaymentGuarantee {
		t.Fatalf("approved without client confirmation: %s, guarantee %v", v.Status, v.Member.PaymentGuarantee)
	}
	m.eventually("invoice 1 issued", func() bool { return len(m.invoices(o.ID)) == 1 })
	m.act(o.ID, "request_cancellation", member, map[string]any{"reason": "too short"}, http.StatusUnprocessableEntity)
	m.act(o.ID, "request_cancellation", member, map[string]any{"reason": "The client closed the project; no further work will be done."}, http.StatusOK)
	m.act(o.ID, "approve_cancellation", staff, nil, http.StatusOK)
	m.waitStatus(o.ID, lifecycle.Cancelled)

	m.eventually("credit note", func() bool { return len(m.invoices(o.ID)) == 2 })
	year := time.Now().UTC().Year()
	var numbers []string
	for _, inv := range m.invoices(o.ID) {
		numbers = append(numbers, inv.Kind+" "+inv.Number)
	}
	slices.Sort(numbers)
	if want := []string{fmt.Sprintf("credit_note CN-%d-0001", year), fmt.Sprintf("invoice INV-%d-0001", year)}; !slices.Equal(numbers, want) {
		t.Fatalf("documents = %v, want %v", numbers, want)
	}
	m.expectEmails(o.ID,
		"order_submitted#2→m-2@members.test", "order_approved→m-2@members.test",
		"invoice_draft_ready#1.1→m-2@members.test", "invoice_issued#1→carl@client.test",
		"cancellation_approved→m-2@members.test", "cancellation_approved→carl@client.test",
	)
	msgs := m.sys.SendGrid.Messages()
	j := slices.IndexFunc(msgs, func(msg sendgridtest.Message) bool {
		return msg.CustomArgs["order_id"] == o.ID && msg.CustomArgs["purpose"] == "cancellation_approved" && msg.To()[0].Email == "carl@client.test"
	})
	if j < 0 || len(msgs[j].Attachments) != 2 || !strings.HasPrefix(msgs[j].Attachments[0].Filename, "credit-note-1") {
		t.Fatalf("the client's cancellation email does not carry the credit note (PDF and e-invoice)")
	}
	final := m.get(o.ID, staff)
	if e := final.Member.Schedule; e[0].CreditNote == nil || e[1].Status != workflows.EntryCancelled {
		t.Fatalf("schedule after cancellation: %+v", e)
	}
}

// timelineSettled is the read model's timeline once it has caught up.
func (m *market) timelineSettled(id string) []string {
	m.t.Helper()
	m.settled(id)
	return m.timeline(id)
}

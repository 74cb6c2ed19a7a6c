package workflows

import (
	"fmt"
	"slices"
	"strconv"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/orderflow/orderflow/activities"
	"github.com/orderflow/orderflow/internal/money"
	"github.com/orderflow/orderflow/lifecycle"
)

// Member order: its invoice schedule, entries drafted, issued and credited,
// with the invoice and credit note documents.

func entriesOf(c MemberContent) []Entry {
	entries := make([]Entry, len(c.Schedule))
	for i, e := range c.Schedule {
		entries[i] = Entry{Date: e.Date, Lines: entryLines(c, i, e), Status: EntryPlanned}
	}
	return entries
}

// entryLines are the lines an entry invoices: its own, or its amount as one
// line at the VAT rate of the order's first line.
func entryLines(c MemberContent, i int, e ScheduleEntry) []money.Line {
	if len(e.Lines) > 0 {
		return e.Lines
	}
	rate := money.Percent(21)
	if len(c.Lines) > 0 {
		rate = c.Lines[0].VATRate
	}
	return []money.Line{{
		Description: fmt.Sprintf("%s — invoice %d of %d", c.Title, i+1, len(c.Schedule)),
		Quantity:    money.QuantityOf(1), UnitPrice: *e.Amount, VATRate: rate,
	}}
}

// documentsOf lists the stored documents of an issued invoice or credit
// note: its PDF (id = the invoice id) and its UBL e-invoice when there is one.
func (m *member) documentsOf(invoiceID string) []string {
	var ids []string
	for _, d := range m.Documents {
		if d.ID == invoiceID || d.ID == invoiceID+"-ubl" {
			ids = append(ids, d.ID)
		}
	}
	return ids
}

// invoiceLabel names entry i's invoice in the Web UI: by its number once
// issued ("invoice 2026-0001"), else by the schedule entry's date
// ("invoice 1 of 2026-12-15", as the timeline says it).
func (m *member) invoiceLabel(i int) string {
	if inv := m.Entries[i].Invoice; inv != nil && inv.Number != "" {
		return "invoice " + inv.Number
	}
	return fmt.Sprintf("invoice %d of %s", i+1, m.Entries[i].Date)
}

// draft renders entry i's draft PDF and emails it to the member.
func (m *member) draft(ctx workflow.Context, i int) {
	e := &m.Entries[i]
	now := workflow.Now(ctx)
	e.DraftVersion++
	e.DraftedAt = &now
	if e.Status == EntryPlanned {
		e.Status = EntryDrafted
	}
	docID := fmt.Sprintf("%s-draft-%d-v%d", m.ID, i+1, e.DraftVersion)
	e.DraftDocument = docID
	doc := m.invoiceDocument(i, activities.InvoiceDraftDocument, now)
	in := activities.RenderDocumentInput{ID: docID, OrderID: m.ID, Filename: fmt.Sprintf("draft-invoice-%d-%s.pdf", i+1, m.ID), Document: doc}
	summary := fmt.Sprintf("draft PDF (version %d) of %s", e.DraftVersion, m.invoiceLabel(i))
	m.enqueueAs(fmt.Sprintf("invoice draft %d", i+1), func() string { return summary }, true, func(ctx workflow.Context) error {
		var ref activities.DocumentRef
		if err := m.activity(ctx, acts.RenderDocument, in, &ref); err != nil {
			return err
		}
		m.Documents = append(m.Documents, ref)
		return nil
	})
	// No "View the order" link: the API's JSON behind a bearer token is
	// nothing a member can open (TestEmailsLinkOnlyToPages).
	data := m.entryEmail(i)
	// When it will be issued, the minimum review included. Only the email
	// activity's input changes, not the commands: no version needed.
	data.Deadline = m.localTime(m.issueAt(*e))
	m.emailMember("invoice_draft_ready", fmt.Sprintf("%d.%d", i+1, e.DraftVersion), data, docID)
}

// issue numbers entry i's invoice, renders it and sends it to the client
// with a copy to the member.
func (m *member) issue(ctx workflow.Context, i int) {
	now := workflow.Now(ctx)
	local := now.In(m.location())
	in := activities.IssueInvoiceInput{
		Key: fmt.Sprintf("%s/invoice/%d", m.ID, i+1), OrderID: m.ID, Entry: i + 1, Kind: "invoice", Year: local.Year(),
		Document: m.invoiceDocument(i, activities.InvoiceDocument, now), Filename: fmt.Sprintf("invoice-%d-%s.pdf", i+1, m.ID),
	}
	m.Entries[i].Status = EntryIssued
	m.note(ctx, lifecycle.InvoiceIssued, systemActor, fmt.Sprintf("invoice %d of %s", i+1, m.Entries[i].Date), "")
	summary := "issue " + m.invoiceLabel(i)
	m.enqueueAs(fmt.Sprintf("issue invoice %d", i+1), func() string { return summary }, false, func(ctx workflow.Context) error {
		var issued activities.IssuedInvoice
		if err := m.activity(ctx, acts.IssueInvoice, in, &issued); err != nil {
			return err
		}
		m.Entries[i].Invoice = &InvoiceRef{ID: issued.ID, Number: issued.Number, Gross: issued.Gross, Document: issued.DocumentRef.ID}
		m.Documents = append(m.Documents, issued.DocumentRef)
		if issued.UBL != nil { // the e-invoice: data only, replays unchanged
			m.Documents = append(m.Documents, *issued.UBL)
		}
		m.version++
		data := m.entryEmail(i)
		data.Invoice = issued.Number
		attach := []string{issued.DocumentRef.ID}
		if issued.UBL != nil {
			// The structured e-invoice travels with the PDF. Only the email
			// activity's input changes, not the commands: no version needed.
			attach = append(attach, issued.UBL.ID)
		}
		m.emailWithCopy("invoice_issued", strconv.Itoa(i+1), data, attach...)
		return nil
	})
}

// creditNote credits entry i's issued invoice.
func (m *member) creditNote(ctx workflow.Context, i int) {
	now := workflow.Now(ctx)
	summary := func() string { return "credit note for " + m.invoiceLabel(i) }
	m.enqueueAs(fmt.Sprintf("credit note for invoice %d", i+1), summary, false, func(ctx workflow.Context) error {
		inv := m.Entries[i].Invoice
		if inv == nil {
			return temporal.NewNonRetryableApplicationError("invoice "+strconv.Itoa(i+1)+" has no number yet", "CreditNoteEarly", nil)
		}
		doc := m.invoiceDocument(i, activities.CreditNoteDocument, now)
		doc.CreditedInvoice = inv.Number
		for j := range doc.Lines {
			doc.Lines[j].UnitPrice = -doc.Lines[j].UnitPrice
		}
		in := activities.IssueInvoiceInput{
			Key: fmt.Sprintf("%s/credit-note/%d", m.ID, i+1), OrderID: m.ID, Entry: i + 1, Kind: "credit_note",
			Year: now.In(m.location()).Year(), CreditedInvoiceID: inv.ID, Document: doc,
			Filename: fmt.Sprintf("credit-note-%d-%s.pdf", i+1, m.ID),
		}
		var issued activities.IssuedInvoice
		if err := m.activity(ctx, acts.IssueInvoice, in, &issued); err != nil {
			return err
		}
		m.Entries[i].CreditNote = &InvoiceRef{ID: issued.ID, Number: issued.Number, Gross: issued.Gross, Document: issued.DocumentRef.ID}
		m.Documents = append(m.Documents, issued.DocumentRef)
		if issued.UBL != nil { // the e-invoice: data only, replays unchanged
			m.Documents = append(m.Documents, *issued.UBL)
		}
		m.version++
		return nil
	})
}

func (m *member) invoiceDocument(i int, kind activities.DocumentKind, now time.Time) activities.Document {
	c := m.In.Content
	start, _ := time.ParseInLocation(dateLayout, c.ServicePeriod.Start, m.location())
	end, _ := time.ParseInLocation(dateLayout, c.ServicePeriod.End, m.location())
	due := now.In(m.location()).AddDate(0, 0, 30)
	doc := activities.Document{
		Kind: kind, Reference: m.ID, IssueDate: now.In(m.location()),
		ServicePeriod: &activities.Period{Start: start, End: end},
		Seller:        m.seller(),
		Buyer:         activities.Party{Name: c.Client.Name, Company: c.Client.Company, VATNumber: c.Client.VATNumber, Email: c.Client.Email},
		Lines:         slices.Clone(m.Entries[i].Lines), Currency: "EUR",
		Notes: []string{fmt.Sprintf("%s — invoice %d of %d, planned for %s.", c.Title, i+1, len(m.Entries), m.Entries[i].Date)},
	}
	if kind == activities.InvoiceDocument {
		doc.DueDate = &due
	}
	return doc
}

// seller is who invoices: the cooperative on behalf of the member when the
// deployment names it (orders started before it was configured keep the
// member as seller).
func (m *member) seller() activities.Party {
	st := m.In.Settings
	if st.SellerName == "" {
		return activities.Party{Name: m.In.MemberName, Email: m.In.MemberEmail, Address: []string{"Invoiced through Smart"}}
	}
	return activities.Party{Name: st.SellerName, VATNumber: st.SellerVAT, Email: m.In.MemberEmail,
		Address: []string{"On behalf of " + m.In.MemberName}}
}

func (m *member) allInvoiced() bool {
	return !slices.ContainsFunc(m.Entries, func(e Entry) bool { return e.Status != EntryIssued && e.Status != EntryCancelled })
}

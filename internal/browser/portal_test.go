package browser_test

// The pages people work in (/app, issue 17), in headless Chromium on a
// phone-sized viewport, against the real system in capture mode. Each
// person signs in the way they would: their address on the sign-in page,
// the link from the captured email, the Sign in button; each in a window
// of their own (their own cookies). Then each walks their main path on the
// pages: a member submits and, once an invoice draft exists, asks for
// changes and requests cancellation; a customer pays and cancels; finance
// approves credit, purchasing sets the margin and releases, and a supplier
// sees the order appear on its live feed without reloading and accepts it.

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/orderflow/orderflow/internal/browser"
	"github.com/orderflow/orderflow/internal/clientpage"
	"github.com/orderflow/orderflow/internal/testenv"
	"github.com/orderflow/orderflow/lifecycle"
	"github.com/orderflow/orderflow/workflows"
)

// The staff side's addresses: the configuration's defaults.
const (
	staffEmail      = "staff@orderflow.localhost"
	purchasingEmail = "purchasing@orderflow.localhost"
	financeEmail    = "finance@orderflow.localhost"
)

func TestPortalInABrowser(t *testing.T) {
	// Invoices at 00:00 UTC of their date: a schedule entry dated today is
	// drafted as soon as the order is active (and issued no sooner than the
	// minimum review, 48 hours, so the draft stays open to changes).
	sys := testenv.NewSystem(t, testenv.Options{Capture: true, Env: map[string]string{
		"ORDERFLOW_TIMEZONE": "UTC", "ORDERFLOW_INVOICE_TIME": "00:00",
	}})
	s := &session{t: t, sys: sys, tab: browser.Start(t)}

	t.Run("member submits, asks for changes on an invoice draft and requests cancellation", s.memberPath)
	t.Run("customer pays and cancels", s.customerPath)
	t.Run("finance approves credit, purchasing releases, a supplier accepts on its live feed", s.marketplacePath)
}

func (s *session) memberPath(t *testing.T) {
	const address = "mia@members.test"
	member := s.sys.Token(t, lifecycle.Member, "m-7")
	today := time.Now().UTC().Format("2006-01-02")
	o := s.call(t, "POST", "/v1/orders", member, map[string]any{
		"flow": "member", "member_name": "Mia Member", "member_email": address,
		"client":            map[string]any{"name": "Carl Client", "company": "Client SA", "vat_number": "BE0123456789", "email": "carl@client.test"},
		"title":             "Website redesign",
		"lines":             []map[string]any{{"description": "Design and build", "quantity": 1, "unit_price": "1000.00", "vat_rate": 21}},
		"service_period":    map[string]any{"start": time.Now().UTC().AddDate(0, 0, -30).Format("2006-01-02"), "end": time.Now().UTC().AddDate(0, 0, 30).Format("2006-01-02")},
		"offer_valid_until": time.Now().UTC().AddDate(0, 0, 10).Format("2006-01-02"),
		"schedule":          []map[string]any{{"date": today, "amount": "1000.00"}},
	}, http.StatusCreated)
	if o.Status != lifecycle.Draft {
		t.Fatalf("new member order: %s", o.Status)
	}

	win := s.signIn(t, address, "Member m-7", true)
	// Smart staff's list: a member's draft is the member's alone.
	staffWin := s.signIn(t, staffEmail, "Smart staff", false)
	if h1 := s.text(t, staffWin, "h1"); h1 != "Member orders" {
		t.Errorf("staff's home = %q", h1)
	}
	if text := s.text(t, staffWin, "main"); strings.Contains(text, "Website redesign") || !strings.Contains(text, "No orders") {
		t.Errorf("staff's list shows a member's draft:\n%s", text)
	}

	// The orders list: the draft, with its status.
	s.checkPage(t, win, "Your orders")
	row := s.text(t, win, "table tbody tr")
	for _, want := range []string{"Website redesign", "draft"} {
		if !strings.Contains(row, want) {
			t.Errorf("the member's orders list lacks %q: %q", want, row)
		}
	}
	s.screenshot(t, win, "app-member-orders.png")

	// The draft's page: the member submits it.
	s.open(t, win, o.ID)
	if got := s.text(t, win, "h1"); got != "Website redesign" {
		t.Errorf("order page heading = %q", got)
	}
	s.wantStatus(t, win, "Draft")
	s.wantActions(t, win, "submit", "edit", "discard")
	s.checkPage(t, win, "Website redesign")
	s.screenshot(t, win, "app-member-draft.png")

	// The member edits the draft: the form starts from what the draft says.
	if got, err := browser.Run(win, chromedp.Value(chromedp.CSS(`#edit-title`))); err != nil || got != "Website redesign" {
		t.Errorf("the edit form's title = %q (%v), want the draft's", got, err)
	}
	// The draft's line is a row of inputs: its description changes, its
	// amounts are kept; the blank row after it adds nothing.
	if got, err := browser.Run(win, chromedp.Value(chromedp.CSS(`input[name="lines.0.description"]`))); err != nil || got != "Design and build" {
		t.Errorf("the edit form's first line = %q (%v), want the draft's", got, err)
	}
	must(t, browser.Do(win, chromedp.SetValue(chromedp.CSS(`#edit-title`), "Website redesign and hosting"),
		chromedp.SetValue(chromedp.CSS(`input[name="lines.0.description"]`), "Design, build and launch"),
		chromedp.Click(chromedp.CSS(`form[data-action="edit"] button[type=submit]`)), chromedp.WaitVisible(chromedp.Search(`//p[@class="done"][contains(., "edit")]`))))
	if got := s.text(t, win, "h1"); got != "Website redesign and hosting" {
		t.Errorf("after the edit, the heading = %q", got)
	}
	if lines := s.text(t, win, `ul[aria-label="Lines"]`); !strings.Contains(lines, "1 × Design, build and launch") || !strings.Contains(lines, "€ 1,000.00") || strings.Count(lines, "×") != 1 {
		t.Errorf("after the edit, the lines = %q, want the one line renamed, its amounts kept", lines)
	}

	// Submit with the keyboard: Tab to the button (focus shows), Enter.
	walk, err := browser.TabTo(win, `form[data-action="submit"] button`, 20)
	must(t, err)
	for _, f := range walk {
		if f.Tag != "body" && !f.Visible() {
			t.Errorf("no visible focus on <%s> %q: %+v", f.Tag, f.Text, f)
		}
	}
	must(t, browser.Do(win, chromedp.KeyEvent(kb.Enter), chromedp.WaitVisible(chromedp.Search(`//p[@class="done"][contains(., "submit")]`))))
	s.wantStatus(t, win, "Smart Confirmation")
	s.wantActions(t, win, "withdraw")

	// Submitted, the order is on staff's list, waiting for them.
	must(t, browser.Do(staffWin, chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("h1"))))
	if row := s.row(t, staffWin, o.ID); !strings.Contains(row, "Website redesign and hosting") || !strings.Contains(row, "smart confirmation") {
		t.Errorf("staff's list shows %q, want the submitted order in smart confirmation", row)
	}
	s.checkPage(t, staffWin, "Member orders")
	s.screenshot(t, staffWin, "app-staff-orders.png")

	// Smart staff open it from their list and approve it on its page; the
	// client confirms on its own page.
	s.open(t, staffWin, o.ID)
	s.wantStatus(t, staffWin, "Smart Confirmation")
	s.wantActions(t, staffWin, "approve", "reject")
	s.act(t, staffWin, "approve", nil)
	s.wantStatus(t, staffWin, "Client Confirmation")
	s.wantActions(t, staffWin, "resend_confirmation")
	s.checkPage(t, staffWin, "Website redesign")
	s.screenshot(t, staffWin, "app-staff-approved.png")
	client := s.openEmailLink(t, o.ID, "confirmation_request", "/c/")
	must(t, browser.Do(client, browser.AsPhone(), chromedp.WaitVisible(chromedp.CSS(`button.primary`)), chromedp.Click(chromedp.CSS(`button.primary`)),
		chromedp.WaitVisible(chromedp.Search(`//h1[contains(., "confirmed")]`))))
	s.waitStatus(t, o.ID, lifecycle.Active)
	testenv.Eventually(t, "the invoice draft of "+o.ID, func() bool {
		v := s.call(t, "GET", "/v1/orders/"+o.ID, member, nil, http.StatusOK)
		return v.Member != nil && len(v.Member.Schedule) == 1 && v.Member.Schedule[0].DraftDocument != ""
	})

	// The active order: the billing schedule has the draft, which the
	// member opens (a PDF) and asks changes to.
	must(t, browser.Do(win, chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("h1"))))
	s.wantStatus(t, win, "Active")
	schedule := s.text(t, win, `table[aria-label="Billing schedule"]`)
	for _, want := range []string{clientpage.Date(today), "Open the draft"} {
		if !strings.Contains(schedule, want) {
			t.Errorf("billing schedule lacks %q: %q", want, schedule)
		}
	}
	draft, err := browser.Run(win, chromedp.Evaluate[string](`fetch(document.querySelector('table[aria-label="Billing schedule"] a').href).then(r => r.status + " " + r.headers.get("Content-Type"))`,
		chromedp.EvalAwaitPromise))
	must(t, err)
	if draft != "200 application/pdf" {
		t.Errorf("the draft link answers %q, want a PDF", draft)
	}
	s.wantActions(t, win, "request_changes", "request_cancellation")
	s.act(t, win, "request_changes", map[string]string{"comment": "Please add the purchase order number PO-77"})
	if schedule := s.text(t, win, `table[aria-label="Billing schedule"]`); !strings.Contains(schedule, "PO-77") {
		t.Errorf("the schedule does not show the change request: %q", schedule)
	}
	s.checkPage(t, win, "Website redesign")
	s.screenshot(t, win, "app-member-changes-requested.png")

	// The member requests cancellation, with a reason.
	s.act(t, win, "request_cancellation", map[string]string{"reason": "The client's budget was cut"})
	s.wantStatus(t, win, "Cancellation Requested")
	s.wantActions(t, win, "withdraw_cancellation") // until staff decide
	if timeline := s.text(t, win, `ul[aria-label="Timeline"]`); !strings.Contains(timeline, "The client's budget was cut") {
		t.Errorf("the timeline lacks the cancellation's reason: %q", timeline)
	}
	s.checkPage(t, win, "Website redesign")
	s.screenshot(t, win, "app-member-cancellation-requested.png")
	s.waitStatus(t, o.ID, lifecycle.CancellationRequested)

	// Smart staff deny it on the order's page, saying why: the order is
	// active again, and the member reads the reason on its timeline.
	must(t, browser.Do(staffWin, chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("h1"))))
	s.wantStatus(t, staffWin, "Cancellation Requested")
	s.wantActions(t, staffWin, "approve_cancellation", "deny_cancellation")
	s.checkPage(t, staffWin, "Website redesign")
	s.screenshot(t, staffWin, "app-staff-cancellation-decision.png")
	s.act(t, staffWin, "deny_cancellation", map[string]string{"reason": "Half the work is delivered; let us talk first"})
	s.wantStatus(t, staffWin, "Active")
	s.wantActions(t, staffWin, "resolve_changes") // the member's request for PO-77 is still open
	s.waitStatus(t, o.ID, lifecycle.Active)
	must(t, browser.Do(win, chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("h1"))))
	s.wantStatus(t, win, "Active")
	if timeline := s.text(t, win, `ul[aria-label="Timeline"]`); !strings.Contains(timeline, "Half the work is delivered") {
		t.Errorf("the member's timeline lacks staff's reason: %q", timeline)
	}
}

func (s *session) customerPath(t *testing.T) {
	const address = "cora@customers.test"
	customer := s.sys.Token(t, lifecycle.Customer, "c-5")
	o := s.createMarketplace(t, customer, address, "prepaid")
	if o.Status != lifecycle.AwaitingPayment {
		t.Fatalf("new prepaid order: %s", o.Status)
	}

	// The customer's page says what the order waits for and links the pay
	// page, once the provider has made the link.
	testenv.Eventually(t, "the pay link of "+o.ID, func() bool {
		v := s.call(t, "GET", "/v1/orders/"+o.ID, customer, nil, http.StatusOK)
		return v.Marketplace.Payment != nil && v.Marketplace.Payment.URL != ""
	})
	win := s.signIn(t, address, "Customer c-5", false)
	s.open(t, win, o.ID)
	if text := s.text(t, win, "main"); !strings.Contains(text, "Waiting for") || !strings.Contains(text, "the customer to pay") {
		t.Errorf("the unpaid order's page does not say it waits for the payment:\n%s", text)
	}
	s.checkPage(t, win, items)
	s.screenshot(t, win, "app-customer-unpaid.png")
	must(t, browser.Do(win, chromedp.Click(chromedp.CSS(`a.button.primary[href*="/pay/"]`)),
		chromedp.WaitVisible(chromedp.CSS(`form button`)), chromedp.Click(chromedp.CSS(`form button`)),
		chromedp.WaitVisible(chromedp.Search(`//h1[. = "Payment received"]`))))
	s.waitStatus(t, o.ID, lifecycle.Screening)

	must(t, browser.Do(win, chromedp.Navigate(s.sys.URL+"/app/")))
	s.checkPage(t, win, "Your orders")
	if row := s.row(t, win, o.ID); !strings.Contains(row, items) || !strings.Contains(row, "screening") || !strings.Contains(row, "93.17") {
		t.Errorf("the customer's orders list shows %q, want %s in screening", row, items)
	}
	s.screenshot(t, win, "app-customer-orders.png")

	s.open(t, win, o.ID)
	s.wantStatus(t, win, "Screening (Awaiting Release)")
	s.wantActions(t, win, "cancel")
	if text := s.text(t, win, "main"); !strings.Contains(text, "€ 93.17") || !strings.Contains(text, o.ID) {
		t.Errorf("the order page lacks the order's id or its total 93.17:\n%s", text)
	}
	s.checkPage(t, win, items)
	s.screenshot(t, win, "app-customer-order.png")

	s.act(t, win, "cancel", map[string]string{"reason": "Found it cheaper nearby"})
	s.wantStatus(t, win, "Cancelled")
	s.wantActions(t, win)
	if timeline := s.text(t, win, `ul[aria-label="Timeline"]`); !strings.Contains(timeline, "Found it cheaper nearby") {
		t.Errorf("the timeline lacks the cancellation's reason: %q", timeline)
	}
	s.checkPage(t, win, items)
	s.screenshot(t, win, "app-customer-cancelled.png")
	s.waitStatus(t, o.ID, lifecycle.Cancelled)
}

func (s *session) marketplacePath(t *testing.T) {
	purchasing := s.sys.Token(t, lifecycle.Purchasing, "p-1")
	// Two suppliers of building goods in Brussels: every such order is
	// offered to both, in its first round.
	for _, sup := range []map[string]any{
		{"id": "sup-brico", "name": "Brico", "email": "orders@brico.example", "rating": 80},
		{"id": "sup-beton", "name": "Beton", "email": "orders@beton.example", "rating": 70},
	} {
		sup["categories"], sup["regions"] = []string{"building"}, []string{"BE-BRU"}
		s.api(t, "POST", "/v1/suppliers", purchasing, sup, http.StatusCreated, nil)
	}
	customer := s.sys.Token(t, lifecycle.Customer, "c-6")
	o := s.createMarketplace(t, customer, "carlo@customers.test", "credit")
	if o.Status != lifecycle.AwaitingCredit {
		t.Fatalf("new credit order: %s", o.Status)
	}

	// Finance: the credit queue, the order, Approve credit.
	fin := s.signIn(t, financeEmail, "Finance", false)
	if h1 := s.text(t, fin, "h1"); h1 != "Credit queue" {
		t.Errorf("finance's home = %q", h1)
	}
	if row := s.row(t, fin, o.ID); !strings.Contains(row, "awaiting credit") || !strings.Contains(row, "UTC") {
		t.Errorf("the credit queue shows %q, want the order awaiting credit with its deadline", row)
	}
	s.checkPage(t, fin, "Credit queue")
	s.screenshot(t, fin, "app-finance-credit-queue.png")
	s.open(t, fin, o.ID)
	s.wantStatus(t, fin, "Awaiting Credit")
	s.wantActions(t, fin, "approve_credit", "decline_credit")
	s.act(t, fin, "approve_credit", nil)
	s.wantStatus(t, fin, "Screening (Awaiting Release)")
	s.checkPage(t, fin, items)
	s.screenshot(t, fin, "app-finance-approved.png")

	// The suppliers open their live feeds before the order is released.
	sup, other := s.openFeed(t, "orders@brico.example", "Brico"), s.openFeed(t, "orders@beton.example", "Beton")

	// Purchasing: the screening queue, the margin, Release.
	pur := s.signIn(t, purchasingEmail, "Purchasing", false)
	if h1 := s.text(t, pur, "h1"); h1 != "Screening queue" {
		t.Errorf("purchasing's home = %q", h1)
	}
	if row := s.row(t, pur, o.ID); !strings.Contains(row, "screening") {
		t.Errorf("the screening queue shows %q, want the order in screening", row)
	}
	s.checkPage(t, pur, "Screening queue")
	s.screenshot(t, pur, "app-purchasing-screening-queue.png")
	s.open(t, pur, o.ID)
	s.wantStatus(t, pur, "Screening (Awaiting Release)")
	s.wantActions(t, pur, "set_margin", "cancel") // release needs a margin
	s.act(t, pur, "set_margin", map[string]string{"margin_percent": "12.5"})
	s.wantActions(t, pur, "set_margin", "release", "cancel")
	s.checkPage(t, pur, items)
	s.screenshot(t, pur, "app-purchasing-order.png")
	s.act(t, pur, "release", nil)
	s.wantStatus(t, pur, "Pending")
	s.checkPage(t, pur, items)

	// The offer appears on the supplier's open feed, in place.
	offer := fmt.Sprintf(`#offered li[data-order=%q]`, o.ID)
	for _, feed := range []context.Context{sup, other} {
		must(t, browser.Do(feed, chromedp.WaitVisible(chromedp.CSS(offer))))
		s.sameFeedPage(t, feed, "to show the offer")
	}
	if text := s.text(t, sup, offer); !strings.Contains(text, "pending") || !regexp.MustCompile(`answer by \w{3} \d{1,2} \w{3} \d{4}, \d\d:\d\d UTC`).MatchString(text) {
		t.Errorf("the offer reads %q", text)
	}
	s.checkPage(t, sup, "Your live feed")
	s.screenshot(t, sup, "app-supplier-feed.png")

	must(t, browser.Do(sup, chromedp.Click(chromedp.CSS(offer+` form[data-action="accept"] button`)),
		chromedp.WaitVisible(chromedp.Search(`//p[@class="done"][contains(., "accept")]`))))
	s.wantStatus(t, sup, "In Progress")
	s.wantActions(t, sup, "mark_delivered", "upload_invoice", "cannot_fulfil")
	s.checkPage(t, sup, items)
	s.screenshot(t, sup, "app-supplier-accepted.png")
	s.waitStatus(t, o.ID, lifecycle.InProgress)

	// Taken by Brico, the offer leaves Beton's open feed, in place.
	must(t, browser.Do(other, chromedp.WaitNotPresent(chromedp.CSS(offer))))
	s.sameFeedPage(t, other, "to take the offer away")

	// The supplier uploads its invoice, a PDF, and marks the order
	// delivered: both recorded, the order completes.
	pdf := filepath.Join(t.TempDir(), "invoice-B-17.pdf")
	must(t, os.WriteFile(pdf, []byte("%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"), 0o644))
	must(t, browser.Do(sup, chromedp.SetUploadFiles(chromedp.CSS(`form[data-action="upload_invoice"] input[type=file]`), []string{pdf})))
	s.act(t, sup, "upload_invoice", map[string]string{"number": "B-17", "amount": "67.40"})
	s.wantActions(t, sup, "mark_delivered", "cannot_fulfil")
	invoice := `main ul:not([aria-label]) a[href*="/documents/doc_up_"]`
	if name := s.text(t, sup, invoice); name != "supplier invoice (invoice-B-17.pdf)" {
		t.Errorf("the documents list the upload as %q", name)
	}
	got, err := browser.Run(sup, chromedp.Evaluate[string](fmt.Sprintf(`fetch(document.querySelector(%q).href).then(r => r.status + " " + r.headers.get("Content-Type"))`, invoice), chromedp.EvalAwaitPromise))
	must(t, err)
	if got != "200 application/pdf" {
		t.Errorf("the uploaded invoice answers %q, want the PDF", got)
	}
	s.act(t, sup, "mark_delivered", map[string]string{"note": "Delivered to the site office"})
	s.waitStatus(t, o.ID, lifecycle.Completed)
	must(t, browser.Do(sup, chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("h1"))))
	s.wantStatus(t, sup, "Completed")
	s.checkPage(t, sup, items)
	s.screenshot(t, sup, "app-supplier-completed.png")

	// Home again: the order is no longer offered, it is among the accepted.
	must(t, browser.Do(sup, chromedp.Navigate(s.sys.URL+"/app/"), chromedp.WaitVisible(chromedp.CSS("h1"))))
	if _, err := browser.Run(sup, chromedp.Evaluate[bool](fmt.Sprintf(`document.querySelector(%q) === null || (() => { throw new Error("still offered") })()`, offer))); err != nil {
		t.Errorf("after accepting, the feed: %v", err)
	}
	if accepted := s.text(t, sup, fmt.Sprintf(`li:has(a[href="/app/orders/%s"])`, o.ID)); !strings.Contains(accepted, "completed") {
		t.Errorf("the supplier's accepted orders show %q, want the order completed", accepted)
	}

	s.returnPath(t, o.ID, pur, sup)
}

// returnPath: the customer asks to return the completed order on its page,
// purchasing approves the return on theirs, and the supplier confirms the
// goods came back resalable: the order is returned, on every page.
func (s *session) returnPath(t *testing.T, orderID string, pur, sup context.Context) {
	cust := s.signIn(t, "carlo@customers.test", "Customer c-6", false)
	s.open(t, cust, orderID)
	s.wantStatus(t, cust, "Completed")
	s.wantActions(t, cust, "request_return")
	s.act(t, cust, "request_return", map[string]string{"reason": "Two bags arrived torn"})
	s.wantActions(t, cust)
	s.wantWaitingFor(t, cust, "purchasing")
	if timeline := s.text(t, cust, `ul[aria-label="Timeline"]`); !strings.Contains(timeline, "Two bags arrived torn") {
		t.Errorf("the customer's timeline lacks the return's reason: %q", timeline)
	}
	s.checkPage(t, cust, items)
	s.screenshot(t, cust, "app-customer-return-requested.png")

	must(t, browser.Do(pur, chromedp.Navigate(s.sys.URL+"/app/orders/"+orderID), chromedp.WaitVisible(chromedp.CSS("h1"))))
	s.wantStatus(t, pur, "Completed")
	s.wantActions(t, pur, "approve_return", "reject_return")
	s.wantWaitingFor(t, pur, "you")
	if main := s.text(t, pur, "main"); !strings.Contains(main, "Two bags arrived torn") {
		t.Errorf("purchasing's page lacks the return's reason:\n%s", main)
	}
	s.checkPage(t, pur, items)
	s.screenshot(t, pur, "app-purchasing-return.png")
	s.act(t, pur, "approve_return", nil)
	s.wantActions(t, pur)

	must(t, browser.Do(sup, chromedp.Navigate(s.sys.URL+"/app/orders/"+orderID), chromedp.WaitVisible(chromedp.CSS("h1"))))
	s.wantActions(t, sup, "confirm_resalable", "reject_resalable")
	s.wantWaitingFor(t, sup, "you")
	s.act(t, sup, "confirm_resalable", nil)
	s.wantStatus(t, sup, "Returned")
	s.wantActions(t, sup)
	s.waitStatus(t, orderID, lifecycle.Returned)

	must(t, browser.Do(cust, chromedp.Navigate(s.sys.URL+"/app/orders/"+orderID), chromedp.WaitVisible(chromedp.CSS("h1"))))
	s.wantStatus(t, cust, "Returned")
	s.wantActions(t, cust)
	if docs := s.text(t, cust, `main ul:not([aria-label])`); !strings.Contains(docs, "credit note") {
		t.Errorf("the returned order's documents = %q, want its credit note (bought on credit terms)", docs)
	}
	s.checkPage(t, cust, items)
	s.screenshot(t, cust, "app-customer-returned.png")
}

// openFeed signs the supplier in, on its live feed, and marks the page, so
// that sameFeedPage can tell it was updated in place, not reloaded.
func (s *session) openFeed(t *testing.T, address, name string) context.Context {
	t.Helper()
	feed := s.signIn(t, address, name, false)
	if h1 := s.text(t, feed, "h1"); h1 != "Orders offered to you" {
		t.Errorf("%s's home = %q", name, h1)
	}
	must(t, browser.Do(feed, chromedp.WaitVisible(chromedp.Search(`//p[@id="feed-status"][starts-with(., "Live")]`))))
	if _, err := browser.Run(feed, chromedp.Evaluate[bool](`window.sameDocument = true`)); err != nil {
		t.Fatal(err)
	}
	return feed
}

// sameFeedPage: the feed page openFeed marked is still the same document.
func (s *session) sameFeedPage(t *testing.T, feed context.Context, why string) {
	t.Helper()
	same, err := browser.Run(feed, chromedp.Evaluate[bool](`window.sameDocument === true`))
	must(t, err)
	if !same {
		t.Error("the feed page reloaded " + why)
	}
}

// items is what a marketplace order of createMarketplace is called.
const items = "10 × Cement 25 kg, 1 × Trowel"

// createMarketplace places a customer's order of cement and a trowel
// (€ 93.17 with VAT) delivered in Brussels.
func (s *session) createMarketplace(t *testing.T, token, address, terms string) workflows.OrderView {
	t.Helper()
	return s.call(t, "POST", "/v1/orders", token, map[string]any{
		"flow": "marketplace", "customer_email": address, "customer_name": "Cora Customer",
		"items": []map[string]any{
			{"sku": "CEM-25", "description": "Cement 25 kg", "quantity": 10, "unit_price": "6.50", "vat_rate": 21},
			{"sku": "TRW-1", "description": "Trowel", "quantity": 1, "unit_price": "12.00", "vat_rate": 21},
		},
		"category": "building", "delivery": map[string]any{"address": []string{"Rue Haute 1", "1000 Brussels"}, "region": "BE-BRU", "requested_date": time.Now().UTC().AddDate(0, 0, 7).Format("2006-01-02")},
		"payment_terms": terms,
	}, http.StatusCreated)
}

// signIn signs address in, in a window of its own, as a person does: the
// address on the sign-in page, the link from the email, the button that
// names who the link signs in as (as, e.g. "Member m-7"). It returns the
// window on the page signing in leads to. With shots, it checks and
// photographs the sign-in pages on the way.
func (s *session) signIn(t *testing.T, address, as string, shots bool) context.Context {
	t.Helper()
	win := browser.Window(t, s.tab)
	must(t, browser.Do(win, browser.AsPhone(), chromedp.Navigate(s.sys.URL+"/app/"), chromedp.WaitVisible(chromedp.CSS("#email"))))
	if shots {
		s.checkPage(t, win, "Sign in")
		s.screenshot(t, win, "app-sign-in.png")
	}
	asked := time.Now()
	must(t, browser.Do(win, chromedp.SendKeys(chromedp.CSS("#email"), address), chromedp.Click(chromedp.CSS(`form button.primary`)),
		chromedp.WaitVisible(chromedp.Search(`//h1[. = "Check your email"]`))))
	if text := s.text(t, win, "main"); !strings.Contains(text, address) {
		t.Errorf("the page after asking for a link does not name %s:\n%s", address, text)
	}
	if shots {
		s.checkPage(t, win, "Check your email")
		s.screenshot(t, win, "app-sign-in-sent.png")
	}

	link := s.signInLink(t, address, as, asked)
	must(t, browser.Do(win, chromedp.Navigate(link), chromedp.WaitVisible(chromedp.CSS(`button.primary`))))
	if got := s.text(t, win, "button.primary"); got != "Sign in" {
		t.Errorf("the link's page button = %q", got)
	}
	if text := s.text(t, win, "main"); !strings.Contains(text, address) {
		t.Errorf("the link's page does not name %s:\n%s", address, text)
	}
	if shots {
		s.checkPage(t, win, "Sign in")
		s.screenshot(t, win, "app-sign-in-confirm.png")
	}
	must(t, browser.Do(win, chromedp.Click(chromedp.CSS(`button.primary`)), chromedp.WaitVisible(chromedp.CSS(`nav[aria-label="Account"]`))))
	if nav := s.text(t, win, "nav"); !strings.Contains(nav, address) || !strings.Contains(nav, "Sign out") {
		t.Errorf("the signed-in page's header = %q, want %s and Sign out", nav, address)
	}
	return win
}

var signInURL = regexp.MustCompile(`http://\S+/app/sign-in/[A-Za-z0-9_-]+(\?next=\S+)?`)

// signInLink is the link to sign in as as from the newest sign-in email
// to address sent after since.
func (s *session) signInLink(t *testing.T, address, as string, since time.Time) string {
	t.Helper()
	var link string
	testenv.Eventually(t, "a sign-in email to "+address, func() bool {
		mails, err := s.sys.Capture.ListCaptured(context.Background(), 100)
		must(t, err)
		for _, m := range mails { // newest first
			if m.Purpose != "sign_in" || !strings.Contains(m.To, address) || m.CreatedAt.Before(since.Add(-time.Second)) {
				continue
			}
			_, after, ok := strings.Cut(m.Text, "Sign in as "+as+":")
			if !ok {
				t.Fatalf("the sign-in email to %s has no link for %s:\n%s", address, as, m.Text)
			}
			link = signInURL.FindString(after)
			return link != ""
		}
		return false
	})
	return link
}

// row is the text of the order's row in the page's list of orders.
func (s *session) row(t *testing.T, page context.Context, orderID string) string {
	t.Helper()
	return s.text(t, page, fmt.Sprintf(`tr:has(a[href="/app/orders/%s"])`, orderID))
}

// open follows the order's link on the page, as a person clicks it.
func (s *session) open(t *testing.T, page context.Context, orderID string) {
	t.Helper()
	must(t, browser.Do(page, chromedp.Click(chromedp.CSS(fmt.Sprintf(`main a[href="/app/orders/%s"]`, orderID))),
		chromedp.WaitVisible(chromedp.Search(fmt.Sprintf(`//p[contains(., %q)]`, "order "+orderID)))))
}

// act fills the fields of the action's form on the order page and sends it;
// the order page comes back saying it is done.
func (s *session) act(t *testing.T, page context.Context, action string, fields map[string]string) {
	t.Helper()
	form := fmt.Sprintf(`form[data-action=%q]`, action)
	var steps []chromedp.Action[chromedp.Void]
	for name, value := range fields {
		steps = append(steps, chromedp.SendKeys(chromedp.CSS(fmt.Sprintf(`%s [name=%q]`, form, name)), value))
	}
	steps = append(steps, chromedp.Click(chromedp.CSS(form+` button[type=submit]`)),
		chromedp.WaitVisible(chromedp.Search(fmt.Sprintf(`//p[@class="done"][contains(., %q)]`, strings.ReplaceAll(action, "_", " ")))))
	must(t, browser.Do(page, steps...))
}

// wantStatus asserts the status the order page shows.
func (s *session) wantStatus(t *testing.T, page context.Context, want string) {
	t.Helper()
	if got := s.text(t, page, "dd .badge"); got != want {
		t.Errorf("the order page shows status %q, want %q", got, want)
	}
}

// wantWaitingFor asserts whom the order page says the order waits for,
// exactly, with or without the deadline it waits until.
func (s *session) wantWaitingFor(t *testing.T, page context.Context, want string) {
	t.Helper()
	got, err := browser.Run(page, chromedp.Evaluate[string](
		`[...document.querySelectorAll("main dt")].find(dt => dt.textContent === "Waiting for")?.nextElementSibling.textContent ?? ""`))
	must(t, err)
	if got != want && !strings.HasPrefix(got, want+", until ") {
		t.Errorf("the order page says it waits for %q, want %q", got, want)
	}
}

// wantActions asserts the actions the order page offers now, exactly.
func (s *session) wantActions(t *testing.T, page context.Context, want ...string) {
	t.Helper()
	got, err := browser.Run(page, chromedp.Evaluate[[]string](`[...new Set([...document.querySelectorAll('main form[data-action]')].map(f => f.dataset.action))]`))
	must(t, err)
	slices.Sort(got)
	want = slices.Clone(want)
	slices.Sort(want)
	if !slices.Equal(got, want) && !(len(got) == 0 && len(want) == 0) {
		t.Errorf("the order page offers %v, want %v", got, want)
	}
}

package browser_test

// The pages people reach from their email, in a real headless Chromium on a
// phone-sized viewport, against the real system in capture mode: the
// emails land in the /dev/mail inbox and the test follows their links the
// way a person would, with clicks and the keyboard.

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/orderflow/orderflow/internal/browser"
	"github.com/orderflow/orderflow/internal/clientpage"
	"github.com/orderflow/orderflow/internal/testenv"
	"github.com/orderflow/orderflow/lifecycle"
)

func TestPagesInABrowser(t *testing.T) {
	sys := testenv.NewSystem(t, testenv.Options{Capture: true})
	tab := browser.Start(t)
	s := &session{t: t, sys: sys, tab: tab}

	t.Run("client confirms a member order from the emailed link", s.clientConfirms)
	t.Run("customer pays a marketplace order on the pay page", s.customerPays)
	t.Run("captured mail inbox", s.inbox)
}

func (s *session) clientConfirms(t *testing.T) {
	today := time.Now().UTC().Format("2006-01-02")
	member, staff := s.sys.Token(t, lifecycle.Member, "m-1"), s.sys.Token(t, lifecycle.Staff, "s-1")
	o := s.call(t, "POST", "/v1/orders", member, map[string]any{
		"flow": "member", "member_name": "Mia Member", "member_email": "m-1@members.test",
		"client":                   map[string]any{"name": "Carl Client", "company": "Client SA", "vat_number": "BE0123456789", "email": "carl@client.test"},
		"title":                    "Website redesign",
		"lines":                    []map[string]any{{"description": "Design and build", "quantity": 1, "unit_price": "1000.00", "vat_rate": 21}},
		"service_period":           map[string]any{"start": time.Now().UTC().AddDate(0, 0, -30).Format("2006-01-02"), "end": today},
		"offer_valid_until":        time.Now().UTC().AddDate(0, 0, 10).Format("2006-01-02"),
		"schedule":                 []map[string]any{{"date": today, "amount": "1000.00"}}, // net; the page shows it with VAT
		"skip_client_confirmation": false,
	}, http.StatusCreated)
	s.call(t, "POST", "/v1/orders/"+o.ID+"/actions/submit", member, nil, http.StatusOK)
	s.call(t, "POST", "/v1/orders/"+o.ID+"/actions/approve", staff, nil, http.StatusOK)

	page := s.openEmailLink(t, o.ID, "confirmation_request", "/c/")
	must(t, browser.Do(page, browser.AsPhone(), chromedp.WaitVisible(chromedp.CSS(`button.primary`))))
	text := s.text(t, page, "main")
	for _, want := range []string{"Website redesign", "Carl Client", "Mia Member", "1,000.00", "210.00", "1,210.00", "21%", clientpage.Date(today)} {
		if !strings.Contains(text, want) {
			t.Errorf("confirmation page lacks %q:\n%s", want, text)
		}
	}
	schedule := s.text(t, page, `table[aria-label="Billing schedule"]`)
	if !strings.Contains(schedule, clientpage.Date(today)) || !strings.Contains(schedule, "1,210.00") {
		t.Errorf("billing schedule = %q, want %s and 1,210.00", schedule, clientpage.Date(today))
	}
	s.checkPage(t, page, "Confirm the order Website redesign")
	s.screenshot(t, page, "page-client-confirmation.png")

	// Every control is reachable with Tab, and shows where focus is.
	walk, err := browser.TabTo(page, `button.secondary`, 12)
	must(t, err)
	reached := map[string]bool{}
	for _, f := range walk {
		if f.Tag != "body" && !f.Visible() {
			t.Errorf("no visible focus on <%s> %q: %+v", f.Tag, f.Text, f)
		}
		reached[f.Tag+":"+f.Text] = true
	}
	for _, want := range []string{"button:Confirm order", "textarea:", "button:Decline order"} {
		if !reached[want] {
			t.Errorf("Tab never reached %s; walk %+v", want, walk)
		}
	}

	// Confirm with the keyboard only: from the top, Tab to the button, Enter.
	must(t, browser.Do(page, chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(`button.primary`))))
	_, err = browser.TabTo(page, `button.primary`, 12)
	must(t, err)
	must(t, browser.Do(page, chromedp.KeyEvent(kb.Enter)))
	must(t, browser.Do(page, chromedp.WaitVisible(chromedp.Search(`//h1[contains(., "confirmed")]`))))
	if h1 := s.text(t, page, "h1"); h1 != "Thank you, the order is confirmed" {
		t.Errorf("done page heading = %q", h1)
	}
	s.checkPage(t, page, "Order confirmed")
	s.screenshot(t, page, "page-client-confirmed.png")
	s.waitStatus(t, o.ID, lifecycle.Active)
}

func (s *session) customerPays(t *testing.T) {
	customer := s.sys.Token(t, lifecycle.Customer, "c-1")
	o := s.call(t, "POST", "/v1/orders", customer, map[string]any{
		"flow": "marketplace", "customer_email": "c-1@customers.test", "customer_name": "Customer c-1",
		"items": []map[string]any{
			{"sku": "CEM-25", "description": "Cement 25 kg", "quantity": 10, "unit_price": "6.50", "vat_rate": 21},
			{"sku": "TRW-1", "description": "Trowel", "quantity": 1, "unit_price": "12.00", "vat_rate": 21},
		},
		"category": "building", "delivery": map[string]any{"address": []string{"Rue Haute 1", "1000 Brussels"}, "region": "BE-BRU", "requested_date": "2026-12-01"},
		"payment_terms": "prepaid",
	}, http.StatusCreated)
	if o.Status != lifecycle.AwaitingPayment {
		t.Fatalf("new prepaid order: %s", o.Status)
	}

	page := s.openEmailLink(t, o.ID, "payment_link", "/pay/")
	must(t, browser.Do(page, browser.AsPhone(), chromedp.WaitVisible(chromedp.CSS(`form button`))))
	const amount = "€ 93.17" // 10 × 6.50 + 12.00, plus 21% VAT
	if got := s.text(t, page, "dd.amount"); got != amount {
		t.Errorf("pay page amount = %q, want %q", got, amount)
	}
	if got := s.text(t, page, "form button"); got != "Pay "+amount {
		t.Errorf("pay button = %q", got)
	}
	s.checkPage(t, page, "Pay for order "+o.ID)
	s.screenshot(t, page, "page-pay.png")

	walk, err := browser.TabTo(page, `form button`, 8)
	must(t, err)
	if f := walk[len(walk)-1]; !f.Visible() {
		t.Errorf("the Pay button shows no focus: %+v", f)
	}
	must(t, browser.Do(page, chromedp.KeyEvent(kb.Enter)))
	must(t, browser.Do(page, chromedp.WaitVisible(chromedp.Search(`//h1[. = "Payment received"]`))))
	if text := s.text(t, page, "main"); !strings.Contains(text, amount) || !strings.Contains(text, o.ID) {
		t.Errorf("paid page lacks the amount or the order:\n%s", text)
	}
	s.checkPage(t, page, "Payment received for order "+o.ID)
	s.screenshot(t, page, "page-paid.png")
	s.waitStatus(t, o.ID, lifecycle.Screening)
}

func (s *session) inbox(t *testing.T) {
	must(t, browser.Do(s.tab, browser.AsPhone(), chromedp.Navigate(s.sys.URL+"/dev/mail"), chromedp.WaitVisible(chromedp.CSS(`details[open]`))))
	s.checkPage(t, s.tab, "Captured mail")
	s.screenshot(t, s.tab, "page-inbox.png")

	// The newest message is open; a summary opens any other from the keyboard.
	walk, err := browser.TabTo(s.tab, `details:not([open]) > summary`, 30)
	must(t, err)
	if f := walk[len(walk)-1]; !f.Visible() {
		t.Errorf("a message's summary shows no focus: %+v", f)
	}
	opened := func() int {
		n, err := browser.Run(s.tab, chromedp.Evaluate[int](`document.querySelectorAll('details[open]').length`))
		must(t, err)
		return n
	}
	before := opened()
	must(t, browser.Do(s.tab, chromedp.KeyEvent(kb.Enter)))
	if after := opened(); after != before+1 {
		t.Errorf("Enter on a summary: %d messages open, want %d", after, before+1)
	}
}

package browser_test

// The pages people reach from their email, in a real headless Chromium on a
// phone-sized viewport, against the real system in capture mode: the
// emails land in the /dev/mail inbox and the test follows their links the
// way a person would, with clicks and the keyboard.

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/orderflow/orderflow/internal/browser"
	"github.com/orderflow/orderflow/internal/clientpage"
	"github.com/orderflow/orderflow/internal/testenv"
	"github.com/orderflow/orderflow/lifecycle"
	"github.com/orderflow/orderflow/workflows"
)

// screenshotDir holds the committed screenshots; they are rewritten only
// with ORDERFLOW_WRITE_SCREENSHOTS=1, so that make test leaves them alone.
const screenshotDir = "../../docs/screenshots"

func TestPagesInABrowser(t *testing.T) {
	sys := testenv.NewSystem(t, testenv.Options{Capture: true})
	tab := browser.Start(t)
	s := &session{t: t, sys: sys, tab: tab}

	t.Run("client confirms a member order from the emailed link", s.clientConfirms)
	t.Run("customer pays a marketplace order on the pay page", s.customerPays)
	t.Run("captured mail inbox", s.inbox)
}

type session struct {
	t   *testing.T
	sys *testenv.System
	tab context.Context // the inbox's tab
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

// openEmailLink waits for the order's email with purpose, opens the inbox in
// the inbox tab, expands the message and clicks its link, which opens in a
// new tab (the inbox's links do); it returns that tab.
func (s *session) openEmailLink(t *testing.T, orderID, purpose, linkPath string) context.Context {
	t.Helper()
	s.eventually(t, purpose+" email of "+orderID, func() bool {
		mails, err := s.sys.Capture.ListCaptured(context.Background(), 100)
		must(t, err)
		for _, m := range mails {
			if m.OrderID == orderID && strings.HasPrefix(m.Purpose, purpose) {
				return true
			}
		}
		return false
	})
	must(t, browser.Do(s.tab, browser.AsPhone(), chromedp.Navigate(s.sys.URL+"/dev/mail"), chromedp.WaitReady(chromedp.CSS("main"))))
	index, err := browser.Run(s.tab, chromedp.Evaluate[int](fmt.Sprintf(`[...document.querySelectorAll('main > details')].findIndex(d => {
		const dds = [...d.querySelectorAll('dd')].map(dd => dd.textContent);
		return dds.includes(%q) && dds.some(t => t.startsWith(%q));
	})`, orderID, purpose)))
	must(t, err)
	if index < 0 {
		t.Fatalf("the inbox shows no %s email for %s", purpose, orderID)
	}
	message := fmt.Sprintf(`main > details:nth-of-type(%d)`, index+1)
	open, err := browser.Run(s.tab, chromedp.Evaluate[bool](fmt.Sprintf(`document.querySelector(%q).open`, message)))
	must(t, err)
	if !open {
		must(t, browser.Do(s.tab, chromedp.Click(chromedp.CSS(message+" > summary"))))
	}

	link := chromedp.CSS(fmt.Sprintf(`%s pre a[href*=%q]`, message, linkPath))
	newTab := chromedp.WaitNewTarget(s.tab, func(info *target.Info) bool { return strings.Contains(info.URL, linkPath) })
	must(t, browser.Do(s.tab, chromedp.WaitVisible(link), chromedp.Click(link)))
	var id target.ID
	select {
	case id = <-newTab:
	case <-time.After(browser.StepTimeout):
		t.Fatalf("clicking the %s link opened no tab", purpose)
	}
	page, cancel, err := browser.Attach(s.tab, id)
	must(t, err)
	t.Cleanup(cancel)
	return page
}

// checkPage asserts the page's title and the phone and accessibility checks.
func (s *session) checkPage(t *testing.T, page context.Context, titlePrefix string) {
	t.Helper()
	r, err := browser.Check(page)
	must(t, err)
	if !strings.HasPrefix(r.Title, titlePrefix) {
		t.Errorf("title = %q, want it to start with %q", r.Title, titlePrefix)
	}
	if r.InnerWidth != browser.PhoneWidth {
		t.Errorf("viewport is %d px wide, want %d", r.InnerWidth, browser.PhoneWidth)
	}
	for _, p := range r.Problems() {
		t.Errorf("%s: %s", r.Title, p)
	}
}

// screenshot takes a phone screenshot of the whole page, and writes it to
// docs/screenshots when asked to.
func (s *session) screenshot(t *testing.T, page context.Context, name string) {
	t.Helper()
	img, err := browser.Screenshot(page, browser.PhoneWidth)
	must(t, err)
	if os.Getenv("ORDERFLOW_WRITE_SCREENSHOTS") != "1" {
		return
	}
	if err := os.WriteFile(filepath.Join(screenshotDir, name), img, 0o644); err != nil {
		t.Fatal(err)
	}
}

func (s *session) text(t *testing.T, page context.Context, selector string) string {
	t.Helper()
	text, err := browser.Run(page, chromedp.Text(chromedp.CSS(selector)))
	must(t, err)
	return strings.TrimSpace(text)
}

func (s *session) call(t *testing.T, method, path, token string, body any, wantStatus int) workflows.OrderView {
	t.Helper()
	var raw []byte
	if body != nil {
		var err error
		if raw, err = json.Marshal(body); err != nil {
			t.Fatal(err)
		}
	}
	resp, data := s.sys.Do(t, method, path, token, raw)
	if resp.StatusCode != wantStatus {
		t.Fatalf("%s %s = %d, want %d: %s", method, path, resp.StatusCode, wantStatus, data)
	}
	var v workflows.OrderView
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatalf("%s %s: %v: %s", method, path, err, data)
	}
	return v
}

func (s *session) waitStatus(t *testing.T, id string, want lifecycle.Status) {
	t.Helper()
	ops := s.sys.Token(t, lifecycle.Ops, "o-1")
	var got lifecycle.Status
	s.eventually(t, fmt.Sprintf("%s reaches %s", id, want), func() bool {
		got = s.call(t, "GET", "/v1/orders/"+id, ops, nil, http.StatusOK).Status
		return got == want
	})
}

// eventually polls until cond holds; the bound only keeps a broken test from hanging.
func (s *session) eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("never happened: %s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

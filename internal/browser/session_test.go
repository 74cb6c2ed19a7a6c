package browser_test

// What the browser tests share: the running system, the first tab (the
// captured inbox's), and the steps every page test takes: calling the API,
// following an emailed link, checking a page and taking its screenshot.

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

	"github.com/orderflow/orderflow/internal/browser"
	"github.com/orderflow/orderflow/internal/testenv"
	"github.com/orderflow/orderflow/lifecycle"
	"github.com/orderflow/orderflow/workflows"
)

// screenshotDir holds the committed screenshots; they are rewritten only
// with ORDERFLOW_WRITE_SCREENSHOTS=1, so that make test leaves them alone.
const screenshotDir = "../../docs/screenshots"

type session struct {
	t   *testing.T
	sys *testenv.System
	tab context.Context // the inbox's tab
}

// openEmailLink waits for the order's email with purpose, opens the inbox in
// the inbox tab, expands the message and clicks its link, which opens in a
// new tab (the inbox's links do); it returns that tab.
func (s *session) openEmailLink(t *testing.T, orderID, purpose, linkPath string) context.Context {
	t.Helper()
	testenv.Eventually(t, purpose+" email of "+orderID, func() bool {
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
	var v workflows.OrderView
	s.api(t, method, path, token, body, wantStatus, &v)
	return v
}

// api sends one request to the API and decodes its JSON answer into out
// (when not nil).
func (s *session) api(t *testing.T, method, path, token string, body any, wantStatus int, out any) {
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
	if out == nil {
		return
	}
	if err := json.Unmarshal(data, out); err != nil {
		t.Fatalf("%s %s: %v: %s", method, path, err, data)
	}
}

func (s *session) waitStatus(t *testing.T, id string, want lifecycle.Status) {
	t.Helper()
	ops := s.sys.Token(t, lifecycle.Ops, "o-1")
	var got lifecycle.Status
	testenv.Eventually(t, fmt.Sprintf("%s reaches %s", id, want), func() bool {
		got = s.call(t, "GET", "/v1/orders/"+id, ops, nil, http.StatusOK).Status
		return got == want
	})
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

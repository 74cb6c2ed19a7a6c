package portal_test

// The pages against the real system (capture mode): a person signs in with
// the emailed link exactly as in a browser, and every refusal is the API's
// own answer with its status, while nothing changes.

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/orderflow/orderflow/internal/clientpage"
	"github.com/orderflow/orderflow/internal/signin"
	"github.com/orderflow/orderflow/internal/store"
	"github.com/orderflow/orderflow/internal/testenv"
	"github.com/orderflow/orderflow/lifecycle"
	"github.com/orderflow/orderflow/workflows"
)

func TestPagesActAsTheSignedInPersonOnly(t *testing.T) {
	sys := testenv.NewSystem(t, testenv.Options{Capture: true})
	mine := createMemberOrder(t, sys, "m-1", "mia@members.test", "Website redesign")
	theirs := createMemberOrder(t, sys, "m-2", "max@members.test", "Office move")
	waitForPerson(t, sys, "mia@members.test")
	waitForPerson(t, sys, "max@members.test")

	mia := signIn(t, sys, "mia@members.test", "")

	t.Run("the home page lists the member's own orders only", func(t *testing.T) {
		status, page := mia.get(t, "/app/")
		if status != http.StatusOK || !strings.Contains(page, "Website redesign") || strings.Contains(page, "Office move") {
			t.Errorf("GET /app/ = %d:\n%s", status, page)
		}
	})

	t.Run("another member's order is refused as the API refuses it", func(t *testing.T) {
		apiStatus, apiBody := sys.Do(t, "GET", "/v1/orders/"+theirs, sys.Token(t, lifecycle.Member, "m-1"), nil)
		status, page := mia.get(t, "/app/orders/"+theirs)
		if status != apiStatus.StatusCode || !strings.Contains(page, detailOf(t, apiBody)) || strings.Contains(page, "Office move") {
			t.Errorf("page = %d, API = %d %s:\n%s", status, apiStatus.StatusCode, apiBody, page)
		}
		status, _ = mia.post(t, "/app/orders/"+theirs+"/actions/submit", url.Values{"csrf": {mia.csrf}})
		if status != apiStatus.StatusCode {
			t.Errorf("submitting another member's order = %d, want the API's %d", status, apiStatus.StatusCode)
		}
		if got := orderStatus(t, sys, theirs); got != lifecycle.Draft {
			t.Errorf("the other member's order is %s, want draft", got)
		}
	})

	t.Run("a form without the session's CSRF token changes nothing", func(t *testing.T) {
		for _, token := range []string{"", "forged"} {
			status, page := mia.post(t, "/app/orders/"+mine+"/actions/submit", url.Values{"csrf": {token}})
			if status != http.StatusForbidden || !strings.Contains(page, "security token") {
				t.Errorf("csrf %q: %d:\n%s", token, status, page)
			}
		}
		if got := orderStatus(t, sys, mine); got != lifecycle.Draft {
			t.Errorf("order is %s after forged forms, want draft", got)
		}
	})

	t.Run("the member submits on the order page, once however often the form is sent", func(t *testing.T) {
		status, page := mia.get(t, "/app/orders/"+mine)
		if status != http.StatusOK || !strings.Contains(page, `action="/app/orders/`+mine+`/actions/submit"`) {
			t.Fatalf("order page = %d:\n%s", status, page)
		}
		form := url.Values{"csrf": {mia.csrf}, "flow": {"member"}, "request_id": {formValue(t, page, "submit", "request_id")}}
		for range 2 { // a double click sends the same form twice
			status, page = mia.post(t, "/app/orders/"+mine+"/actions/submit", form)
			if status != http.StatusOK || !strings.Contains(page, "Done: submit") {
				t.Fatalf("submit = %d:\n%s", status, page)
			}
		}
		if got := orderStatus(t, sys, mine); got != lifecycle.SmartConfirmation {
			t.Errorf("order is %s, want smart_confirmation", got)
		}
		if n := countTimeline(t, sys, mine, lifecycle.Submit); n != 1 {
			t.Errorf("the timeline has %d submits, want 1", n)
		}
		// Said once: a reload says nothing, and no link can put words there.
		for _, path := range []string{"/app/orders/" + mine, "/app/orders/" + mine + "?done=refund_sent_call_555-0100"} {
			if _, page := mia.get(t, path); strings.Contains(page, "Done:") {
				t.Errorf("GET %s says something was done:\n%s", path, page)
			}
		}
	})

	t.Run("a rejected order is duplicated with new dates on its page, which opens the copy", func(t *testing.T) {
		staff := sys.Token(t, lifecycle.Staff, "s-1")
		if resp, body := sys.Do(t, "POST", "/v1/orders/"+mine+"/actions/reject", staff, []byte(`{"reason": "wrong client"}`)); resp.StatusCode != http.StatusOK {
			t.Fatalf("reject: %d %s", resp.StatusCode, body)
		}
		_, page := mia.get(t, "/app/orders/"+mine)
		later := time.Now().UTC().AddDate(0, 0, 60).Format("2006-01-02")
		form := url.Values{"csrf": {mia.csrf}, "flow": {"member"}, "request_id": {formValue(t, page, "duplicate", "request_id")},
			"to_draft": {"on"}, "schedule_dates": {later}}
		mia.client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		defer func() { mia.client.CheckRedirect = nil }()
		resp, err := mia.client.PostForm(sys.URL+"/app/orders/"+mine+"/actions/duplicate", form)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		copyID, ok := strings.CutPrefix(resp.Header.Get("Location"), "/app/orders/")
		copyID, _, _ = strings.Cut(copyID, "?")
		if resp.StatusCode != http.StatusSeeOther || !ok || copyID == mine {
			t.Fatalf("duplicate = %d to %q, want 303 to the copy's page", resp.StatusCode, resp.Header.Get("Location"))
		}
		status, copyPage := mia.get(t, "/app/orders/"+copyID)
		if status != http.StatusOK || !strings.Contains(copyPage, "Draft") || !strings.Contains(copyPage, clientpage.Date(later)) {
			t.Errorf("the copy's page = %d, want a draft invoiced on %s:\n%s", status, later, copyPage)
		}
	})

	t.Run("a supplier not offered an order sees what the API shows it", func(t *testing.T) {
		if _, err := sys.Store.CreateSupplier(context.Background(), store.Supplier{ID: "sup-1", Name: "Brico", Email: "orders@brico.test",
			Categories: []string{"building"}, Regions: []string{"BE-BRU"}, Rating: 80, Active: true}); err != nil {
			t.Fatal(err)
		}
		supplier := signIn(t, sys, "orders@brico.test", "")
		if status, page := supplier.get(t, "/app/"); status != http.StatusOK || !strings.Contains(page, "Nothing offered to you right now") {
			t.Errorf("the supplier's feed = %d:\n%s", status, page)
		}
		api, apiBody := sys.Do(t, "GET", "/v1/orders/"+mine, sys.Token(t, lifecycle.Supplier, "sup-1"), nil)
		status, page := supplier.get(t, "/app/orders/"+mine)
		if api.StatusCode == http.StatusOK || status != api.StatusCode || !strings.Contains(page, detailOf(t, apiBody)) || strings.Contains(page, "Website redesign") {
			t.Errorf("page = %d, API = %d %s:\n%s", status, api.StatusCode, apiBody, page)
		}
	})

	t.Run("signing out ends the session", func(t *testing.T) {
		other := signIn(t, sys, "mia@members.test", "")
		if status, _ := other.post(t, "/app/sign-out", url.Values{"csrf": {other.csrf}}); status != http.StatusOK {
			t.Fatalf("sign out = %d", status)
		}
		if status, page := other.get(t, "/app/"); status != http.StatusOK || !strings.Contains(page, "Email me a sign-in link") {
			t.Errorf("after sign-out GET /app/ = %d:\n%s", status, page)
		}
		if status, _ := mia.get(t, "/app/"); status != http.StatusOK {
			t.Errorf("another session of the same person ended too: %d", status)
		}
	})
}

func TestSignInLinksRefuseWhatTheyMustNot(t *testing.T) {
	sys := testenv.NewSystem(t, testenv.Options{Capture: true})
	createMemberOrder(t, sys, "m-1", "mia@members.test", "Website redesign")
	createMemberOrder(t, sys, "m-3", "lia@members.test", "Stand at the fair")
	waitForPerson(t, sys, "mia@members.test")
	waitForPerson(t, sys, "lia@members.test")

	t.Run("an unknown address is answered as a known one, and mailed nothing", func(t *testing.T) {
		b := newBrowser(t, sys)
		status, page := b.askForLink(t, "nobody@members.test", "")
		if status != http.StatusOK || !strings.Contains(page, "Check your email") {
			t.Errorf("asking for nobody = %d:\n%s", status, page)
		}
		waitHandled(t, sys, "nobody@members.test")
		if links := mailedLinks(t, sys, "nobody@members.test"); len(links) != 0 {
			t.Errorf("mailed %v", links)
		}
	})

	t.Run("the sign-in form needs its token", func(t *testing.T) {
		b := newBrowser(t, sys)
		status, _ := b.post(t, "/app/sign-in", url.Values{"email": {"mia@members.test"}})
		if status != http.StatusForbidden {
			t.Errorf("sign-in form without its token = %d, want 403", status)
		}
	})

	t.Run("a link works once", func(t *testing.T) {
		b := newBrowser(t, sys)
		link := b.linkFor(t, "mia@members.test", "")
		if status, _ := b.useLink(t, link); status != http.StatusOK {
			t.Fatalf("first use = %d", status)
		}
		again := newBrowser(t, sys)
		if status, page := again.useLink(t, link); status != http.StatusGone || !strings.Contains(page, "used already") {
			t.Errorf("second use = %d:\n%s", status, page)
		}
	})

	t.Run("an expired link signs nobody in", func(t *testing.T) {
		b := newBrowser(t, sys)
		link := b.linkFor(t, "mia@members.test", "")
		if _, err := sys.Pool.Exec(context.Background(), `UPDATE sign_in_links SET expires_at = now() - interval '1 second'`); err != nil {
			t.Fatal(err)
		}
		if status, page := b.useLink(t, link); status != http.StatusGone || !strings.Contains(page, "expired") {
			t.Errorf("expired link = %d:\n%s", status, page)
		}
		if status, _ := b.get(t, "/app/orders/x"); status != http.StatusOK { // the sign-in page, after a redirect
			t.Errorf("GET after a refused link = %d", status)
		}
	})

	t.Run("a made-up link is unknown", func(t *testing.T) {
		b := newBrowser(t, sys)
		if status, _ := b.get(t, "/app/sign-in/"+strings.Repeat("A", 43)); status != http.StatusNotFound {
			t.Errorf("made-up link = %d, want 404", status)
		}
	})

	t.Run("after signing in, only this site's pages are returned to", func(t *testing.T) {
		for next, want := range map[string]string{"/app/orders/ord_1": "/app/orders/ord_1", "//evil.example/app/": "/app/", "https://evil.example/": "/app/"} {
			b := newBrowser(t, sys)
			link := b.linkFor(t, "mia@members.test", next)
			b.client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
			resp := b.submit(t, link, url.Values{"csrf": {b.formToken(t)}, "next": {next}})
			if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || loc != want {
				t.Errorf("next %q: %d to %q, want 303 to %q", next, resp.StatusCode, loc, want)
			}
			checkSessionCookie(t, resp)
		}
	})

	t.Run("an unknown address reaches the limit as a known one does", func(t *testing.T) {
		answers := map[string][]int{}
		for _, address := range []string{"lia@members.test", "nobody-else@members.test"} {
			b := newBrowser(t, sys)
			for range signin.MaxLinksPerAddress + 1 {
				status, _ := b.askForLink(t, address, "")
				answers[address] = append(answers[address], status)
			}
		}
		known, unknown := answers["lia@members.test"], answers["nobody-else@members.test"]
		if !slices.Equal(known, unknown) || known[len(known)-1] != http.StatusTooManyRequests {
			t.Errorf("a known address is answered %v, an unknown one %v; want the same, ending in 429", known, unknown)
		}
	})
}

// Ops move a member to another address: the member's session and unused
// link of the old address end, the new address signs in as the member.
func TestARebindEndsTheOldAddressesSessions(t *testing.T) {
	sys := testenv.NewSystem(t, testenv.Options{Capture: true})
	createMemberOrder(t, sys, "m-1", "mia@members.test", "Website redesign")
	waitForPerson(t, sys, "mia@members.test")
	mia := signIn(t, sys, "mia@members.test", "")
	unused := newBrowser(t, sys)
	link := unused.linkFor(t, "mia@members.test", "")

	body := []byte(`{"email": "mia.new@members.test"}`)
	if resp, data := sys.Do(t, "PUT", "/v1/ops/people/member/m-1", sys.Token(t, lifecycle.Ops, "o-1"), body); resp.StatusCode != http.StatusOK {
		t.Fatalf("rebind = %d %s", resp.StatusCode, data)
	}

	if _, page := mia.get(t, "/app/"); strings.Contains(page, "Website redesign") || !strings.Contains(page, "Email me a sign-in link") {
		t.Errorf("the old address's session still opens the member's orders:\n%s", page)
	}
	if status, page := unused.useLink(t, link); status != http.StatusGone {
		t.Errorf("the old address's unused link = %d, want 410:\n%s", status, page)
	}
	before := len(mailedLinks(t, sys, "mia@members.test"))
	if status, _ := newBrowser(t, sys).askForLink(t, "mia@members.test", ""); status != http.StatusOK {
		t.Errorf("asking for a link at the old address = %d", status)
	}
	waitHandled(t, sys, "mia@members.test")
	if after := len(mailedLinks(t, sys, "mia@members.test")); after != before {
		t.Errorf("the old address was mailed %d more links", after-before)
	}
	if _, page := signIn(t, sys, "mia.new@members.test", "").get(t, "/app/"); !strings.Contains(page, "Website redesign") {
		t.Errorf("the new address does not open the member's orders:\n%s", page)
	}
}

// checkSessionCookie: the session cookie is out of scripts' reach, not
// sent with other sites' posts, for the pages only, and ends with the
// session. (Secure is set when the public URL is https: TestCookiesAreSecureOverHTTPS.)
func checkSessionCookie(t *testing.T, resp *http.Response) {
	t.Helper()
	for _, c := range resp.Cookies() {
		if c.Name != "orderflow_session" {
			continue
		}
		if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/app" || c.MaxAge <= 0 || c.MaxAge > 12*3600 || c.Secure {
			t.Errorf("session cookie %+v: want HttpOnly, SameSite=Lax, Path=/app, Max-Age up to 12 h, not Secure over http", c)
		}
		return
	}
	t.Error("signing in set no session cookie")
}

// createMemberOrder creates a draft member order as the member.
func createMemberOrder(t *testing.T, sys *testenv.System, member, email, title string) string {
	t.Helper()
	today := time.Now().UTC()
	body, _ := json.Marshal(map[string]any{
		"flow": "member", "member_name": "Member " + member, "member_email": email,
		"client":            map[string]any{"name": "Carl Client", "company": "Client SA", "vat_number": "BE0123456789", "email": "carl@client.test"},
		"title":             title,
		"lines":             []map[string]any{{"description": "Work", "quantity": 1, "unit_price": "1000.00", "vat_rate": 21}},
		"service_period":    map[string]any{"start": today.AddDate(0, 0, 10).Format("2006-01-02"), "end": today.AddDate(0, 0, 40).Format("2006-01-02")},
		"offer_valid_until": today.AddDate(0, 0, 9).Format("2006-01-02"),
		"schedule":          []map[string]any{{"date": today.AddDate(0, 0, 40).Format("2006-01-02"), "amount": "1000.00"}},
	})
	resp, data := sys.Do(t, "POST", "/v1/orders", sys.Token(t, lifecycle.Member, member), body)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("create: %d %s", resp.StatusCode, data)
	}
	var o workflows.OrderView
	if err := json.Unmarshal(data, &o); err != nil {
		t.Fatal(err)
	}
	return o.ID
}

func waitForPerson(t *testing.T, sys *testenv.System, email string) {
	t.Helper()
	testenv.Eventually(t, email+" may sign in", func() bool {
		people, err := sys.Store.PeopleByEmail(context.Background(), email)
		return err == nil && len(people) > 0
	})
}

// waitHandled waits until the address was asked for, and every request
// for it handled: its links mailed, or found to be none.
func waitHandled(t *testing.T, sys *testenv.System, email string) {
	t.Helper()
	testenv.Eventually(t, "the sign-in requests of "+email+" handled", func() bool {
		var asked, handled int
		err := sys.Pool.QueryRow(context.Background(),
			`SELECT count(*), count(handled_at) FROM sign_in_requests WHERE email = $1`, email).Scan(&asked, &handled)
		return err == nil && asked > 0 && handled == asked
	})
}

func orderStatus(t *testing.T, sys *testenv.System, id string) lifecycle.Status {
	t.Helper()
	resp, data := sys.Do(t, "GET", "/v1/orders/"+id, sys.Token(t, lifecycle.Ops, "o-1"), nil)
	var o workflows.OrderView
	if resp.StatusCode != http.StatusOK || json.Unmarshal(data, &o) != nil {
		t.Fatalf("GET %s: %d %s", id, resp.StatusCode, data)
	}
	return o.Status
}

func countTimeline(t *testing.T, sys *testenv.System, id string, action lifecycle.Action) int {
	t.Helper()
	entries, err := sys.Store.Timeline(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range entries {
		if e.Action == string(action) {
			n++
		}
	}
	return n
}

func detailOf(t *testing.T, problem []byte) string {
	t.Helper()
	var p struct{ Detail string }
	if err := json.Unmarshal(problem, &p); err != nil || p.Detail == "" {
		t.Fatalf("not a problem: %s", problem)
	}
	// The page escapes it as HTML; compare a stretch without quotes.
	detail, _, _ := strings.Cut(p.Detail, `"`)
	return detail
}

// browser is a cookie-keeping HTTP client, as a browser is to the pages.
type browser struct {
	sys    *testenv.System
	client *http.Client
	csrf   string // the session's form token, once signed in
}

func newBrowser(t *testing.T, sys *testenv.System) *browser {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &browser{sys: sys, client: &http.Client{Jar: jar}}
}

// signIn signs email in through the pages; next is where to land.
func signIn(t *testing.T, sys *testenv.System, email, next string) *browser {
	t.Helper()
	b := newBrowser(t, sys)
	status, page := b.useLink(t, b.linkFor(t, email, next))
	if status != http.StatusOK {
		t.Fatalf("sign in as %s: %d\n%s", email, status, page)
	}
	b.csrf = inputValue(t, page, "csrf")
	return b
}

func (b *browser) formToken(t *testing.T) string {
	t.Helper()
	_, page := b.get(t, "/app/sign-in")
	return inputValue(t, page, "csrf")
}

func (b *browser) askForLink(t *testing.T, email, next string) (int, string) {
	t.Helper()
	return b.post(t, "/app/sign-in", url.Values{"csrf": {b.formToken(t)}, "email": {email}, "next": {next}})
}

// linkFor asks for a link for email and returns the newest one mailed.
func (b *browser) linkFor(t *testing.T, email, next string) string {
	t.Helper()
	before := len(mailedLinks(t, b.sys, email))
	if status, page := b.askForLink(t, email, next); status != http.StatusOK {
		t.Fatalf("ask for a link: %d\n%s", status, page)
	}
	var links []string
	testenv.Eventually(t, "a new link mailed to "+email, func() bool {
		links = mailedLinks(t, b.sys, email)
		return len(links) > before
	})
	return links[len(links)-1]
}

// useLink opens the link's page and clicks its Sign in button.
func (b *browser) useLink(t *testing.T, link string) (int, string) {
	t.Helper()
	u, err := url.Parse(link)
	if err != nil {
		t.Fatal(err)
	}
	status, page := b.get(t, u.RequestURI())
	if status != http.StatusOK {
		return status, page
	}
	resp := b.submit(t, link, url.Values{"csrf": {inputValue(t, page, "csrf")}, "next": {u.Query().Get("next")}})
	return resp.StatusCode, readAll(t, resp)
}

func (b *browser) submit(t *testing.T, link string, form url.Values) *http.Response {
	t.Helper()
	u, _ := url.Parse(link)
	resp, err := b.client.PostForm(b.sys.URL+u.Path, form)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

func (b *browser) get(t *testing.T, path string) (int, string) {
	t.Helper()
	resp, err := b.client.Get(b.sys.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, readAll(t, resp)
}

func (b *browser) post(t *testing.T, path string, form url.Values) (int, string) {
	t.Helper()
	resp, err := b.client.PostForm(b.sys.URL+path, form)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, readAll(t, resp)
}

func readAll(t *testing.T, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

var linkPattern = regexp.MustCompile(`https?://\S+/app/sign-in/[A-Za-z0-9_-]+(\?next=\S+)?`)

// mailedLinks are the sign-in links mailed to address, oldest first.
func mailedLinks(t *testing.T, sys *testenv.System, address string) []string {
	t.Helper()
	mails, err := sys.Capture.ListCaptured(context.Background(), 1000)
	if err != nil {
		t.Fatal(err)
	}
	var links []string
	for i := len(mails) - 1; i >= 0; i-- { // the inbox lists the newest first
		m := mails[i]
		if m.Purpose == "sign_in" && strings.Contains(m.To, address) {
			links = append(links, linkPattern.FindAllString(m.Text, -1)...)
		}
	}
	return links
}

func inputValue(t *testing.T, page, name string) string {
	t.Helper()
	m := regexp.MustCompile(`name="` + name + `" value="([^"]*)"`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no %s field on the page:\n%s", name, page)
	}
	return m[1]
}

// formValue is a field of the action's form on the page.
func formValue(t *testing.T, page, action, name string) string {
	t.Helper()
	_, form, ok := strings.Cut(page, `/actions/`+action+`"`)
	if !ok {
		t.Fatalf("no %s form on the page:\n%s", action, page)
	}
	form, _, _ = strings.Cut(form, "</form>")
	return inputValue(t, form, name)
}

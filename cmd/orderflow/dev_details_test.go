//go:build !nodev

package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/orderflow/orderflow/internal/auth"
	"github.com/orderflow/orderflow/internal/config"
	"github.com/orderflow/orderflow/lifecycle"
	"github.com/orderflow/orderflow/workflows"
)

// The order's current details as the Web UI shows them on a workflow's
// page: the UI asks its own API (which proxies Temporal's HTTP API) for the
// __temporal_workflow_metadata query, with the CSRF cookie and header every
// POST of the UI carries, and renders the answer's currentDetails.

// uiSession is a client of the Web UI's API, as the browser is.
type uiSession struct {
	t    *testing.T
	base string
	http *http.Client
	csrf string
}

func newUISession(t *testing.T, base string) *uiSession {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	s := &uiSession{t: t, base: base, http: &http.Client{Jar: jar, Timeout: 30 * time.Second}}
	resp, err := s.http.Get(base + "/") // the UI's page hands out the _csrf cookie
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	u, _ := url.Parse(base)
	for _, c := range jar.Cookies(u) {
		if c.Name == "_csrf" {
			s.csrf = c.Value
		}
	}
	if s.csrf == "" {
		t.Fatal("the Web UI set no _csrf cookie")
	}
	return s
}

// post sends what the UI sends for an operation on workflow id (a query,
// a signal: its path under the workflow), and returns the answer.
func (s *uiSession) post(id, operation string, body any) ([]byte, error) {
	raw, _ := json.Marshal(body)
	req, _ := http.NewRequest("POST", fmt.Sprintf("%s/api/v1/namespaces/default/workflows/%s/%s", s.base, url.PathEscape(id), operation), bytes.NewReader(raw))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-CSRF-Token", s.csrf)
	resp, err := s.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, _ = io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s = %d: %s", operation, resp.StatusCode, raw)
	}
	return raw, nil
}

// signal sends a signal with a JSON input, as the UI's "Send a Signal" does.
func (s *uiSession) signal(id, name, input string) error {
	_, err := s.post(id, "signal/"+name, map[string]any{
		"workflowExecution": map[string]any{"workflowId": id},
		"signalName":        name,
		"input": map[string]any{"payloads": []map[string]any{{
			"metadata": map[string]any{"encoding": base64.StdEncoding.EncodeToString([]byte("json/plain"))},
			"data":     base64.StdEncoding.EncodeToString([]byte(input)),
		}}},
	})
	return err
}

// query runs a workflow query the way the UI's Queries tab and workflow
// page do, and returns the first payload's data as JSON.
func (s *uiSession) query(id, queryType string) ([]byte, error) {
	raw, err := s.post(id, "query/"+queryType, map[string]any{
		"execution": map[string]any{"workflowId": id},
		"query":     map[string]any{"queryType": queryType},
	})
	if err != nil {
		return nil, err
	}
	var answer struct {
		QueryResult struct {
			Payloads []struct {
				Data string `json:"data"`
			} `json:"payloads"`
		} `json:"queryResult"`
	}
	if err := json.Unmarshal(raw, &answer); err != nil || len(answer.QueryResult.Payloads) == 0 {
		return nil, fmt.Errorf("query %s answered %s (%v)", queryType, raw, err)
	}
	return base64.StdEncoding.DecodeString(answer.QueryResult.Payloads[0].Data)
}

// currentDetails is what the workflow page shows under Current Details.
func (s *uiSession) currentDetails(id string) (string, error) {
	data, err := s.query(id, "__temporal_workflow_metadata")
	if err != nil {
		return "", err
	}
	var md struct {
		CurrentDetails string `json:"currentDetails"`
	}
	err = json.Unmarshal(data, &md)
	return md.CurrentDetails, err
}

// helpLines are the lines the details must show for each role: the help
// query's roles and actions, as the Queries tab shows them.
func (s *uiSession) helpLines(id string) ([]string, string, error) {
	data, err := s.query(id, "help")
	if err != nil {
		return nil, "", err
	}
	var h struct {
		StatusLabel string `json:"status_label"`
		Roles       []struct {
			Role    string   `json:"role"`
			As      string   `json:"as"`
			Via     []string `json:"via"`
			Actions []struct {
				Action string `json:"action"`
			} `json:"actions"`
		} `json:"roles"`
	}
	if err := json.Unmarshal(data, &h); err != nil {
		return nil, "", err
	}
	var lines []string
	for _, r := range h.Roles {
		line := "- **" + r.Role + "**"
		if r.As != "" {
			line += " (" + r.As + ")"
		}
		var actions []string
		for _, a := range r.Actions {
			actions = append(actions, "`"+a.Action+"`")
		}
		lines = append(lines, line+" via "+strings.Join(r.Via, ", ")+": "+strings.Join(actions, ", ")+"\n")
	}
	return lines, h.StatusLabel, nil
}

// devOrder is the part of an order the API answers that the test reads.
type devOrder struct {
	ID        string `json:"id"`
	Status    string `json:"status"`
	Deadlines []struct {
		Name string    `json:"name"`
		At   time.Time `json:"at"`
	} `json:"deadlines"`
	Documents []struct {
		ID string `json:"id"`
	} `json:"documents"`
	Attention   *workflows.Attention      `json:"attention"`
	Timeline    []workflows.TimelineEntry `json:"timeline"`
	Marketplace *struct {
		Payment *struct {
			URL string `json:"url"`
		} `json:"payment"`
		Offers []struct {
			Supplier struct {
				ID string `json:"id"`
			} `json:"supplier"`
		} `json:"offers"`
	} `json:"marketplace"`
}

// apiSession acts on the API as whoever a step needs.
type apiSession struct {
	t      *testing.T
	base   string
	tokens *auth.Tokens
}

func (a *apiSession) call(method, path string, as auth.Principal, body any) (devOrder, error) {
	token, err := a.tokens.Mint(as, time.Hour)
	if err != nil {
		a.t.Fatal(err)
	}
	var reader io.Reader
	if body != nil {
		raw, _ := json.Marshal(body)
		reader = bytes.NewReader(raw)
	}
	req, _ := http.NewRequest(method, a.base+path, reader)
	req.Header.Set("Authorization", "Bearer "+token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return devOrder{}, err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode/100 != 2 {
		return devOrder{}, fmt.Errorf("%s %s as %s = %d: %s", method, path, as.Role, resp.StatusCode, raw)
	}
	var o devOrder
	return o, json.Unmarshal(raw, &o)
}

func (a *apiSession) must(method, path string, as auth.Principal, body any) devOrder {
	a.t.Helper()
	o, err := a.call(method, path, as, body)
	if err != nil {
		a.t.Fatal(err)
	}
	return o
}

// waitFor reads the order as whom until cond holds.
func (a *apiSession) waitFor(id string, as auth.Principal, what string, cond func(devOrder) bool) devOrder {
	a.t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		o, err := a.call("GET", "/v1/orders/"+id, as, nil)
		if err == nil && cond(o) {
			return o
		}
		if time.Now().After(deadline) {
			a.t.Fatalf("%s: never happened (order %+v, %v)", what, o, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// brusselsTime is how the details show an instant: in the order's time
// zone (dev mode's default, Europe/Brussels), as its emails do.
func brusselsTime(t *testing.T, at time.Time) string {
	loc, err := time.LoadLocation("Europe/Brussels")
	if err != nil {
		t.Fatal(err)
	}
	return at.In(loc).Format("Mon 2 Jan 2006 15:04 MST")
}

// expectDetails waits until the order's current details in the Web UI
// show its status, every deadline staff see (name and local time), each
// role's actions as the help query lists them, the order's links, and
// want (the waiting party), and fails with the last details otherwise.
func expectDetails(t *testing.T, ui *uiSession, api *apiSession, id string, staff auth.Principal, step string, want ...string) string {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	var got string
	var missing []string
	for {
		o, err := api.call("GET", "/v1/orders/"+id, staff, nil)
		help, label, herr := ui.helpLines(id)
		details, derr := ui.currentDetails(id)
		got, missing = details, nil
		if err != nil || herr != nil || derr != nil {
			missing = []string{fmt.Sprint(err, herr, derr)}
		} else {
			expected := append([]string{"**" + label + "**", "**Links:** [order](" + api.base + "/v1/orders/" + id + ")"}, help...)
			for _, d := range o.Deadlines {
				// Named as its timer is: an invoice's deadline says which invoice.
				if !hasLine(details, "- "+d.Name, ": "+brusselsTime(t, d.At)) {
					missing = append(missing, "- "+d.Name+"…: "+brusselsTime(t, d.At))
				}
			}
			for _, doc := range o.Documents {
				expected = append(expected, "]("+api.base+"/v1/orders/"+id+"/documents/"+doc.ID+")")
			}
			for _, w := range append(expected, want...) {
				if !strings.Contains(details, w) {
					missing = append(missing, w)
				}
			}
		}
		if len(missing) == 0 {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: the Web UI's current details of %s lack %q:\n%s", step, id, missing, got)
		}
		time.Sleep(150 * time.Millisecond)
	}
}

// checkCurrentDetails walks a marketplace order (created, paid, released,
// accepted, delivered and invoiced) and a member order (submitted,
// approved, confirmed by the client: active) and reads each one's current
// details in the Web UI after every step.
func checkCurrentDetails(t *testing.T, apiBase, uiBase string) {
	t.Helper()
	ui := newUISession(t, uiBase)
	api := &apiSession{t: t, base: apiBase, tokens: auth.NewTokens(config.DevTokenSecret)}
	var (
		customer = auth.Principal{Role: lifecycle.Customer, Subject: "c-details"}
		buyer    = auth.Principal{Role: lifecycle.Purchasing, Subject: "p-details"}
		member   = auth.Principal{Role: lifecycle.Member, Subject: "m-details"}
		staff    = auth.Principal{Role: lifecycle.Staff, Subject: "s-details"}
	)
	day := func(offset int) string { return time.Now().AddDate(0, 0, offset).Format(time.DateOnly) }
	local := func(o devOrder, name string) string {
		for _, d := range o.Deadlines {
			if d.Name == name {
				return brusselsTime(t, d.At)
			}
		}
		t.Fatalf("order %s has no deadline %q: %+v", o.ID, name, o.Deadlines)
		return ""
	}

	// Marketplace: created.
	o := api.must("POST", "/v1/orders", customer, map[string]any{
		"flow": "marketplace", "customer_email": "details@example.com", "category": "building", "payment_terms": "prepaid",
		"items":    []map[string]any{{"sku": "CEM-25", "description": "Cement 25 kg", "quantity": 4, "unit_price": "6.50", "vat_rate": 21}},
		"delivery": map[string]any{"address": []string{"Rue Haute 1"}, "region": "BE-BRU", "requested_date": day(7)},
	})
	id := o.ID
	o = api.waitFor(id, customer, "the payment link", hasPaymentLink)
	staffView := api.must("GET", "/v1/orders/"+id, buyer, nil)
	expectDetails(t, ui, api, id, buyer, "created",
		"**Awaiting Payment** · marketplace order `"+id+"`",
		"**Waiting for:** the customer to pay (the payment provider confirms through its webhook), until "+local(staffView, "Payment window")+" (Payment window)",
		"- **customer** (owner) via api: `cancel`\n")

	// Paid: the customer pays on the pay page, the webhook confirms it.
	pay(t, o.Marketplace.Payment.URL)
	api.waitFor(id, buyer, "screening after the payment", func(o devOrder) bool { return o.Status == string(lifecycle.Screening) })
	expectDetails(t, ui, api, id, buyer, "paid",
		"**Screening (Awaiting Release)**",
		"**Waiting for:** **purchasing** (`cancel`, `set_margin`)\n", // no deadline ends this wait
		"- Reminder to purchasing: release or cancel the order: ",
		"- Escalation to staff: release or cancel the order: ")

	// Released: offered to the top suppliers.
	api.must("POST", "/v1/orders/"+id+"/actions/set_margin", buyer, map[string]any{"margin_percent": 10})
	api.must("POST", "/v1/orders/"+id+"/actions/release", buyer, nil)
	o = api.waitFor(id, buyer, "offers", func(o devOrder) bool { return o.Marketplace != nil && len(o.Marketplace.Offers) > 0 })
	expectDetails(t, ui, api, id, buyer, "released",
		"**Pending**",
		"**Waiting for:** **supplier** (offered supplier) (`accept`, `decline`), until "+local(o, "Pending window")+" (Pending window)",
		"- Fulfilment deadline: "+local(o, "Fulfilment deadline"))

	// Accepted.
	supplier := auth.Principal{Role: lifecycle.Supplier, Subject: o.Marketplace.Offers[0].Supplier.ID}
	api.must("POST", "/v1/orders/"+id+"/actions/accept", supplier, nil)
	expectDetails(t, ui, api, id, buyer, "accepted",
		"**In Progress**",
		"**Waiting for:** **supplier** (accepted supplier) (`cannot_fulfil`, `mark_delivered`, `upload_invoice`)",
		"- **purchasing** via api, signal, update: `cancel`\n",
		"[purchase order ")

	// Delivered and invoiced: completed, the return window runs.
	api.must("POST", "/v1/orders/"+id+"/actions/mark_delivered", supplier, map[string]any{"note": "left at reception"})
	api.must("POST", "/v1/orders/"+id+"/actions/upload_invoice", supplier, map[string]any{"number": "DET-1", "amount": "20.00"})
	o = api.waitFor(id, buyer, "completed", func(o devOrder) bool { return o.Status == string(lifecycle.Completed) })
	expectDetails(t, ui, api, id, buyer, "delivered and invoiced",
		"**Completed** · marketplace order",
		"**Waiting for:** **customer** (owner) (`request_return`), until "+local(o, "Return window")+" (Return window)",
		"- **customer** (owner) via api: `request_return`\n")

	// Member: submitted.
	m := api.must("POST", "/v1/orders", member, map[string]any{
		"flow": "member", "member_name": "Mia", "member_email": "mia-details@example.com", "submit": true,
		"client":            map[string]any{"name": "Carl", "company": "Client SA", "vat_number": "BE0123456789", "email": "carl-details@example.com"},
		"title":             "Details check",
		"lines":             []map[string]any{{"description": "Design", "quantity": 1, "unit_price": "2000.00", "vat_rate": 21}},
		"service_period":    map[string]any{"start": day(1), "end": day(61)},
		"schedule":          []map[string]any{{"date": day(30), "amount": "1000.00"}, {"date": day(60), "amount": "1000.00"}},
		"offer_valid_until": day(10),
	})
	mid := m.ID
	m = api.waitFor(mid, staff, "smart confirmation", func(o devOrder) bool { return o.Status == string(lifecycle.SmartConfirmation) })
	expectDetails(t, ui, api, mid, staff, "submitted",
		"**Smart Confirmation** · member order `"+mid+"`",
		"**Waiting for:** **staff** (`approve`, `reject`), until "+local(m, "Smart confirmation target")+" (Smart confirmation target)",
		"- Offer valid until: "+local(m, "Offer valid until"),
		"- **member** (owner) via api: `withdraw`\n")

	// Approved: the client confirms on the emailed link's page.
	m = api.must("POST", "/v1/orders/"+mid+"/actions/approve", staff, nil)
	m = api.waitFor(mid, staff, "client confirmation", func(o devOrder) bool { return o.Status == string(lifecycle.ClientConfirmation) })
	expectDetails(t, ui, api, mid, staff, "approved",
		"**Client Confirmation**",
		"**Waiting for:** **client** (link holder) via confirmation link page (`confirm`, `decline`), until "+local(m, "Offer valid until")+" (Offer valid until)",
		"- Client reminder: "+local(m, "Client reminder"))

	// Confirmed: active, waiting for its schedule.
	link := emailedLink(t, apiBase, mid, "confirmation_request#1", "/c/")
	if resp, err := http.PostForm(link+"/confirm", nil); err != nil || resp.StatusCode/100 != 2 {
		t.Fatalf("confirm: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}
	m = api.waitFor(mid, staff, "active", func(o devOrder) bool { return o.Status == string(lifecycle.Active) })
	expectDetails(t, ui, api, mid, staff, "confirmed",
		"**Active**",
		"**Waiting for:** nobody: the order runs on its schedule\n",
		"- Invoice draft for invoice 1 of "+day(30)+": ",
		"- **member** (owner) via api: `request_cancellation`\n")
}

func hasPaymentLink(o devOrder) bool {
	return o.Marketplace != nil && o.Marketplace.Payment != nil && o.Marketplace.Payment.URL != ""
}

// pay pays on the dev payment page at link, as the customer does; its
// webhook confirms the payment.
func pay(t *testing.T, link string) {
	t.Helper()
	resp, err := http.PostForm(link, nil)
	if err != nil {
		t.Fatalf("pay: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		t.Fatalf("pay: %s", resp.Status)
	}
}

// hasLine reports whether text has a line that starts with prefix and ends with suffix.
func hasLine(text, prefix, suffix string) bool {
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(line, prefix) && strings.HasSuffix(line, suffix) {
			return true
		}
	}
	return false
}

// emailedLink finds the first link under prefix in the email of purpose
// about order id, in dev mode's captured inbox.
func emailedLink(t *testing.T, api, id, purpose, prefix string) string {
	t.Helper()
	find := regexp.MustCompile(`https?://\S+` + regexp.QuoteMeta(prefix) + `[^\s"<>]+`)
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		_, body, _ := get(api + "/dev/mail?format=json&limit=500")
		var inbox struct {
			Messages []struct {
				OrderID string `json:"order_id"`
				Purpose string `json:"purpose"`
				Text    string `json:"text"`
			} `json:"messages"`
		}
		_ = json.Unmarshal([]byte(body), &inbox)
		for _, m := range inbox.Messages {
			if link := find.FindString(m.Text); m.OrderID == id && m.Purpose == purpose && link != "" {
				return link
			}
		}
		time.Sleep(150 * time.Millisecond)
	}
	t.Fatalf("no %s email with a %s link for %s", purpose, prefix, id)
	return ""
}

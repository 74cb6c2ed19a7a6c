package main

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"go.temporal.io/api/workflowservice/v1"

	"github.com/orderflow/orderflow/internal/auth"
	"github.com/orderflow/orderflow/internal/load"
	"github.com/orderflow/orderflow/internal/sendgridtest"
	"github.com/orderflow/orderflow/internal/testenv"
	"github.com/orderflow/orderflow/lifecycle"
)

// The README's list of everyday filters is everydayFilters: the same rows,
// the time-relative one written with placeholders.
func TestReadmeListsTheEverydayFilters(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	rows := regexp.MustCompile("(?m)^\\| ([^|]+) \\| `([^`]+)`").FindAllStringSubmatch(string(readme), -1)
	listed := map[string]string{}
	for _, r := range rows {
		listed[r[1]] = r[2]
	}
	for _, f := range everydayFilters(time.Now()) {
		got, ok := listed[f.What]
		switch {
		case !ok:
			t.Errorf("the README does not list %q", f.What)
		case strings.Contains(got, "<now>"):
			if want := regexp.MustCompile(`"[^"]*T[^"]*"`).ReplaceAllString(f.Query, `"<>"`); strings.NewReplacer("<now>", "<>", "<an hour later>", "<>").Replace(got) != want {
				t.Errorf("the README writes %q as %s, the starter %s", f.What, got, f.Query)
			}
		case got != f.Query:
			t.Errorf("the README writes %q as %s, the starter %s", f.What, got, f.Query)
		}
	}
}

// Each everyday filter finds exactly the orders it promises, on a running
// system: orders are placed in the statuses the filters name, and the
// Temporal visibility store answers each filter with them.
func TestEverydayFiltersFindTheirOrders(t *testing.T) {
	sys := testenv.NewSystem(t, testenv.Options{Env: map[string]string{"ORDERFLOW_PAYMENT_WINDOW": "30m"}})
	ctx := context.Background()
	if _, err := sys.Store.SeedDemoSuppliers(ctx); err != nil {
		t.Fatal(err)
	}
	do := func(method, path string, p auth.Principal, body any) map[string]any {
		t.Helper()
		raw, _ := json.Marshal(body)
		if body == nil {
			raw = nil
		}
		token := ""
		if p.Role != "" {
			token = sys.Token(t, p.Role, p.Subject)
		}
		resp, out := sys.Do(t, method, strings.TrimPrefix(path, sys.URL), token, raw)
		if resp.StatusCode/100 != 2 {
			t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, out)
		}
		v := map[string]any{}
		_ = json.Unmarshal(out, &v)
		return v
	}
	purchasing := auth.Principal{Role: lifecycle.Purchasing, Subject: "p-1"}
	supplier := auth.Principal{Role: lifecycle.Supplier, Subject: "sup_demo_1"}
	eventually := func(what string, cond func() bool) {
		t.Helper()
		for deadline := time.Now().Add(time.Minute); !cond(); time.Sleep(200 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("waited a minute for %s", what)
			}
		}
	}
	status := func(id string) string {
		v := do("GET", "/v1/orders/"+id, auth.Principal{Role: lifecycle.Ops, Subject: "o-1"}, nil)
		s, _ := v["status"].(string)
		return s
	}
	// marketplace places a prepaid order of customer, pays it when pay is
	// set, and releases it when released is set.
	marketplace := func(customer string, pay, released bool) string {
		owner := auth.Principal{Role: lifecycle.Customer, Subject: customer}
		id := do("POST", "/v1/orders", owner, load.MarketplaceOrder(customer))["id"].(string)
		if !pay {
			return id
		}
		var payURL string
		eventually("the payment link", func() bool {
			m, _ := do("GET", "/v1/orders/"+id, owner, nil)["marketplace"].(map[string]any)
			p, _ := m["payment"].(map[string]any)
			payURL, _ = p["url"].(string)
			return payURL != ""
		})
		do("POST", payURL, auth.Principal{}, nil)
		eventually(id+" in screening", func() bool { return status(id) == string(lifecycle.Screening) })
		if released {
			do("POST", "/v1/orders/"+id+"/actions/set_margin", purchasing, map[string]any{"margin_percent": 10})
			do("POST", "/v1/orders/"+id+"/actions/release", purchasing, nil)
			eventually(id+" offered to "+supplier.Subject, func() bool {
				resp, _ := sys.Do(t, "GET", "/v1/orders/"+id, sys.Token(t, supplier.Role, supplier.Subject), nil)
				return resp.StatusCode == http.StatusOK
			})
		}
		return id
	}

	waiting := marketplace("c-100", false, false)
	screening := marketplace("c-101", true, false)
	pending := marketplace("c-102", true, true)
	accepted := marketplace("c-103", true, true)
	do("POST", "/v1/orders/"+accepted+"/actions/accept", supplier, nil)
	// The stand-in refuses the next order's payment-link email for good: it parks for ops.
	sys.SendGrid.FailWhen(func(body []byte) bool { return strings.Contains(string(body), "c-104@customers.test") }, sendgridtest.Fault{Status: http.StatusBadRequest})
	parked := marketplace("c-104", false, false)
	member := auth.Principal{Role: lifecycle.Member, Subject: "m-1"}
	day := func(d int) string { return time.Now().UTC().AddDate(0, 0, d).Format(time.DateOnly) }
	memberOrder := func(submit bool, price string) string {
		return do("POST", "/v1/orders", member, map[string]any{
			"flow": lifecycle.MemberFlow.Name, "submit": submit, "member_name": "Mia", "member_email": "m-1@members.test",
			"client": map[string]any{"name": "Carl", "company": "Client SA", "vat_number": "BE0123456789", "email": "carl@client.test"},
			"title":  "Filters", "lines": []map[string]any{{"description": "Consulting", "quantity": 1, "unit_price": price, "vat_rate": 21}},
			"service_period":    map[string]any{"start": day(1), "end": day(60)},
			"schedule":          []map[string]any{{"date": day(30), "amount": price}},
			"offer_valid_until": day(10),
		})["id"].(string)
	}
	submitted, draft := memberOrder(true, "1000.00"), memberOrder(false, "100.00") // 1,210 and 121 euros with VAT

	// Expected from the orders themselves: those waiting on a deadline in the next hour.
	now := time.Now()
	var soon []string
	for _, id := range []string{waiting, screening, pending, accepted, parked, submitted, draft} {
		v := do("GET", "/v1/orders/"+id, auth.Principal{Role: lifecycle.Ops, Subject: "o-1"}, nil)
		for _, d := range v["deadlines"].([]any) {
			at, _ := time.Parse(time.RFC3339Nano, d.(map[string]any)["at"].(string))
			if at.After(now) && at.Before(now.Add(time.Hour)) {
				soon = append(soon, id)
				break
			}
		}
	}
	if !slices.Contains(soon, waiting) {
		t.Fatalf("the order awaiting payment (a 30-minute window) has no deadline in the next hour: %v", soon)
	}
	want := map[string][]string{
		"orders waiting to be released":                                      {screening},
		"member orders to confirm or follow (a member's drafts are its own)": {submitted},
		"marketplace orders on the supplier feed":                            {pending},
		"one customer's orders":                                              {waiting},
		"a supplier's orders (accepted)":                                     {accepted},
		"the orders offered to a supplier, still pending ones included":      {pending, accepted},
		"orders waiting for ops":                                             {parked},
		"a client's member orders (drafts are the member's own)":             {submitted},
		"orders of 1,000 euros or more (VAT included)":                       {submitted},
		"deadlines in the next hour":                                         soon,
	}
	for _, f := range everydayFilters(now) {
		ids, ok := want[f.What]
		if !ok {
			t.Errorf("no expectation for the filter %q", f.What)
			continue
		}
		slices.Sort(ids)
		var got []string
		found := func() bool {
			got = listIDs(t, sys, f.Query)
			return slices.Equal(got, ids)
		}
		for deadline := time.Now().Add(30 * time.Second); !found() && time.Now().Before(deadline); time.Sleep(300 * time.Millisecond) {
		}
		if !slices.Equal(got, ids) {
			t.Errorf("%s (%s) finds %v, want %v", f.What, f.Query, got, ids)
		}
	}
}

// listIDs are the workflow ids the filter finds, sorted.
func listIDs(t *testing.T, sys *testenv.System, query string) []string {
	t.Helper()
	resp, err := sys.Temporal.ListWorkflow(context.Background(), &workflowservice.ListWorkflowExecutionsRequest{Namespace: sys.Namespace, Query: query, PageSize: 100})
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	var ids []string
	for _, e := range resp.GetExecutions() {
		ids = append(ids, e.GetExecution().GetWorkflowId())
	}
	slices.Sort(ids)
	return slices.Compact(ids)
}

package main

import (
	"context"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/orderflow/orderflow/internal/auth"
	"github.com/orderflow/orderflow/internal/signin"
	"github.com/orderflow/orderflow/internal/testenv"
	"github.com/orderflow/orderflow/lifecycle"
)

// The starter against a whole running system: demo walks both lifecycles,
// then the everyday commands read and move orders.
func TestStarterAgainstARunningSystem(t *testing.T) {
	sys := testenv.NewSystem(t, testenv.Options{Capture: true})
	if _, err := sys.Store.SeedDemoSuppliers(context.Background()); err != nil {
		t.Fatal(err)
	}
	s := session{
		api:   client{base: sys.URL, tokens: auth.NewTokens(testenv.TokenSecret), http: &http.Client{Timeout: time.Minute}},
		webUI: "http://ui.test", namespace: "default", poll: 100 * time.Millisecond,
	}

	out, err := runOut(t, s, "demo", "--timeout", "3m")
	if err != nil {
		t.Fatalf("demo: %v\n%s", err, out)
	}
	final := regexp.MustCompile(`(?m)^  (marketplace|member)\s+(\S+)\s+(\S+) .*http://ui\.test/namespaces/default/workflows/(\S+)$`).FindAllStringSubmatch(out, -1)
	if len(final) != 2 {
		t.Fatalf("demo did not print both final statuses:\n%s", out)
	}
	want := map[string]string{"marketplace": "completed", "member": "active"}
	for _, f := range final {
		flow, id, status, linked := f[1], f[2], f[3], f[4]
		if status != want[flow] || linked != id {
			t.Errorf("%s order %s printed as %s (link to %s)", flow, id, status, linked)
		}
		// The API agrees with what the demo printed.
		resp, body := sys.Do(t, "GET", "/v1/orders/"+id, sys.Token(t, lifecycle.Ops, "o-1"), nil)
		if resp.StatusCode != 200 || !strings.Contains(string(body), `"status":"`+want[flow]+`"`) {
			t.Errorf("%s order %s per the API: %d %s", flow, id, resp.StatusCode, body)
		}
	}
	for _, step := range []string{"pays", "set_margin → screening", "release → pending", "accept → in_progress",
		"upload_invoice → completed", "approve → client_confirmation", "the client confirms", "Deadlines:"} {
		if !strings.Contains(out, step) {
			t.Errorf("demo output lacks %q:\n%s", step, out)
		}
	}
	checkSignIns(t, sys, out)
	marketID := final[0][2]

	// show: the timeline and documents of the completed order, as ops.
	shown, err := runOut(t, s, "show", marketID)
	if err != nil || !strings.Contains(shown, "Timeline:") || !strings.Contains(shown, "payment_confirmed") ||
		!strings.Contains(shown, "upload_invoice") || !strings.Contains(shown, "/documents/") {
		t.Fatalf("show: %v\n%s", err, shown)
	}

	// act: a refused action says what is allowed now.
	_, err = runOut(t, s, "act", marketID, "release", "--as", "purchasing:p-1")
	if err == nil || !strings.Contains(err.Error(), "409") || !strings.Contains(err.Error(), "the order is completed") {
		t.Fatalf("release of a completed order: %v", err)
	}

	// create then act and list: a new sample order from the command line.
	created, err := runOut(t, s, "create", "--flow", "marketplace", "--email", "bo@example.com", "--as", "customer:c-7")
	if err != nil || !strings.Contains(created, "awaiting_payment") {
		t.Fatalf("create: %v\n%s", err, created)
	}
	newID := strings.Fields(created)[0]
	acted, err := runOut(t, s, "act", newID, "cancel", "--as", "customer:c-7", "--json", `{"reason": "changed my mind"}`)
	if err != nil || !strings.Contains(acted, "status: cancelled") {
		t.Fatalf("act cancel: %v\n%s", err, acted)
	}
	var listed string
	deadline := time.Now().Add(time.Minute) // the read model catches up asynchronously
	for !strings.Contains(listed, newID) {
		if time.Now().After(deadline) {
			t.Fatalf("list --status cancelled never showed %s:\n%s", newID, listed)
		}
		time.Sleep(100 * time.Millisecond)
		if listed, err = runOut(t, s, "list", "--status", "cancelled"); err != nil {
			t.Fatal(err)
		}
	}
	if strings.Contains(listed, marketID) {
		t.Fatalf("list --status cancelled shows the completed order:\n%s", listed)
	}
}

// checkSignIns: the demo prints, for each party it played, an address that
// signs in to the pages as that party.
func checkSignIns(t *testing.T, sys *testenv.System, out string) {
	t.Helper()
	if !strings.Contains(out, sys.URL+"/app/sign-in") {
		t.Errorf("the demo does not say where to sign in:\n%s", out)
	}
	directory := signin.Directory{Store: sys.Store, Staff: map[string][]lifecycle.Role{
		sys.Config.StaffEmail: {lifecycle.Staff}, sys.Config.Lifecycle.PurchasingEmail: {lifecycle.Purchasing}}}
	printed := regexp.MustCompile(`(?m)^  (customer|purchasing|supplier|member|staff)\s+(\S+@\S+)`).FindAllStringSubmatch(out, -1)
	if len(printed) != 5 {
		t.Fatalf("want a sign-in address for each of the 5 parties:\n%s", out)
	}
	for _, p := range printed {
		ids, err := directory.Lookup(context.Background(), p[2])
		if err != nil || !slices.ContainsFunc(ids, func(id signin.Identity) bool { return string(id.Role) == p[1] }) {
			t.Errorf("%s signs in as %+v (%v), want a %s", p[2], ids, err, p[1])
		}
	}
}

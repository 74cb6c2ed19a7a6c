package api

import (
	"context"
	"encoding/json"
	"errors"
	"github.com/orderflow/orderflow/internal/clientpage"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"

	"github.com/orderflow/orderflow/internal/auth"
	"github.com/orderflow/orderflow/internal/money"
	"github.com/orderflow/orderflow/internal/pgtest"
	"github.com/orderflow/orderflow/internal/store"
	"github.com/orderflow/orderflow/lifecycle"
	"github.com/orderflow/orderflow/workflows"
)

var clientLinkSecret = []byte("client-api-test-secret")

// clientAPI is the real router on a fresh database. With temporal nil, any
// call to Temporal panics into a 500, so the link-problem tests prove that
// they never reach the order.
func clientAPI(t *testing.T, temporal client.Client) (http.Handler, *store.ClientLinks) {
	t.Helper()
	links, err := store.NewClientLinks(pgtest.New(t), clientpage.Tokens(clientLinkSecret))
	if err != nil {
		t.Fatal(err)
	}
	d := testDeps(nil)
	d.ClientLinks = links
	d.Temporal = temporal
	return New(d), links
}

func newClientLink(t *testing.T, links *store.ClientLinks, key, orderID string, expires time.Time) store.ClientLink {
	t.Helper()
	l, err := links.CreateClientLink(supplierCtx(t), store.ClientLinkRequest{Key: key, OrderID: orderID, ExpiresAt: expires})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func nextWeek() time.Time { return time.Now().Add(7 * 24 * time.Hour) }

// htmlPage checks the status and that the answer is a complete, uncached page, not an error dump.
func htmlPage(t *testing.T, rec *httptest.ResponseRecorder, wantStatus int, wants ...string) string {
	t.Helper()
	body := rec.Body.String()
	if rec.Code != wantStatus {
		t.Fatalf("status = %d, want %d; body %s", rec.Code, wantStatus, body)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "text/html; charset=utf-8" {
		t.Fatalf("Content-Type = %q, want an HTML page; body %s", ct, body)
	}
	if rec.Header().Get("Cache-Control") != "no-store" || !strings.Contains(rec.Header().Get("Content-Security-Policy"), "frame-ancestors 'none'") {
		t.Errorf("headers %v: the page may be cached or framed", rec.Header())
	}
	if !strings.Contains(body, `name="viewport"`) || !strings.Contains(body, "</html>") {
		t.Errorf("not a complete page: %s", body)
	}
	for _, leak := range []string{"store:", "client link", "cl_"} {
		if wantStatus >= 400 && strings.Contains(body, leak) {
			t.Errorf("the page shows internals (%q): %s", leak, body)
		}
	}
	for _, want := range wants {
		if !strings.Contains(body, want) {
			t.Errorf("the page lacks %q: %s", want, body)
		}
	}
	return body
}

func postForm(t *testing.T, h http.Handler, path string, form url.Values) *httptest.ResponseRecorder {
	t.Helper()
	return do(t, h, "POST", path, strings.NewReader(form.Encode()), map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
}

func TestClientLinkProblemPages(t *testing.T) {
	h, links := clientAPI(t, nil)
	ctx := supplierCtx(t)

	valid := newClientLink(t, links, "ord-1/confirmation/1", "ord-1", nextWeek())
	id, _, _ := strings.Cut(valid.Token, ".")
	for name, token := range map[string]string{
		"garbage":        "not-a-token",
		"cut short":      valid.Token[:len(valid.Token)-5],
		"forged":         id + ".AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		"percent-quoted": url.PathEscape("<script>"),
	} {
		t.Run(name, func(t *testing.T) {
			htmlPage(t, do(t, h, "GET", "/c/"+token, nil, nil), http.StatusNotFound, "This link is not valid")
		})
	}

	used := newClientLink(t, links, "ord-2/confirmation/1", "ord-2", nextWeek())
	if _, err := links.UseClientLink(ctx, used.Token, store.AnswerConfirm, time.Date(2026, 5, 4, 12, 5, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	htmlPage(t, do(t, h, "GET", clientpage.Path(used.Token), nil, nil), http.StatusGone,
		"You have already answered", "You confirmed this order on 4 May 2026 at 14:05 CEST")

	// The end of the offer's last day, 1 December 2025, in Brussels.
	expired := newClientLink(t, links, "ord-3/confirmation/1", "ord-3", time.Date(2025, 12, 1, 23, 0, 0, 0, time.UTC))
	htmlPage(t, do(t, h, "GET", clientpage.Path(expired.Token), nil, nil), http.StatusGone, "This offer has expired", "valid until 1 December 2025")

	replaced := newClientLink(t, links, "ord-4/confirmation/1", "ord-4", nextWeek())
	newClientLink(t, links, "ord-4/confirmation/2", "ord-4", nextWeek())
	htmlPage(t, do(t, h, "GET", clientpage.Path(replaced.Token), nil, nil), http.StatusGone, "This link has been replaced", "most recent email")

	withdrawn := newClientLink(t, links, "ord-5/confirmation/1", "ord-5", nextWeek())
	if _, err := links.RevokeClientLinks(ctx, "ord-5"); err != nil {
		t.Fatal(err)
	}
	htmlPage(t, do(t, h, "GET", clientpage.Path(withdrawn.Token), nil, nil), http.StatusGone, "This link is no longer valid")
}

func TestClientPostsOnUnusableLinksChangeNothing(t *testing.T) {
	h, links := clientAPI(t, nil)
	ctx := supplierCtx(t)

	used := newClientLink(t, links, "ord-1/confirmation/1", "ord-1", nextWeek())
	if _, err := links.UseClientLink(ctx, used.Token, store.AnswerDecline, time.Date(2026, 5, 4, 12, 5, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	htmlPage(t, postForm(t, h, clientpage.Path(used.Token)+"/confirm", nil), http.StatusGone,
		"You have already answered", "You declined this order on 4 May 2026 at 14:05 CEST")
	htmlPage(t, postForm(t, h, clientpage.Path(used.Token)+"/decline", url.Values{"reason": {"again"}}), http.StatusGone, "You have already answered")
	got, err := links.ResolveClientLink(ctx, used.Token)
	if !errors.Is(err, store.ErrLinkUsed) || got.Answer != store.AnswerDecline {
		t.Fatalf("after posts on a used link: %+v, %v; want the first answer kept", got, err)
	}

	expired := newClientLink(t, links, "ord-2/confirmation/1", "ord-2", time.Now().Add(-time.Minute))
	htmlPage(t, postForm(t, h, clientpage.Path(expired.Token)+"/confirm", nil), http.StatusGone, "This offer has expired")
	got, err = links.ResolveClientLink(ctx, expired.Token)
	if !errors.Is(err, store.ErrLinkExpired) || got.UsedAt != nil {
		t.Fatalf("expired link after a post: %+v, %v; want it unused", got, err)
	}

	htmlPage(t, postForm(t, h, "/c/cl_nothing.here/decline", nil), http.StatusNotFound, "This link is not valid")

	valid := newClientLink(t, links, "ord-3/confirmation/1", "ord-3", nextWeek())
	htmlPage(t, postForm(t, h, clientpage.Path(valid.Token)+"/decline", url.Values{"reason": {strings.Repeat("é", 2001)}}),
		http.StatusUnprocessableEntity, "too long", "at most 2000 characters")
	rec := do(t, h, "POST", clientpage.Path(valid.Token)+"/decline", strings.NewReader("reason=%zz"), map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
	htmlPage(t, rec, http.StatusBadRequest, "could not be read")
	htmlPage(t, postForm(t, h, clientpage.Path(valid.Token)+"/decline", url.Values{"reason": {"bad \xff byte"}}), http.StatusBadRequest, "could not be read")
	if _, err := links.ResolveClientLink(ctx, valid.Token); err != nil {
		t.Fatalf("a refused reason used the link: %v", err)
	}
}

func TestClientDonePageWithoutAnAnswer(t *testing.T) {
	h, links := clientAPI(t, nil)
	valid := newClientLink(t, links, "ord-1/confirmation/1", "ord-1", nextWeek())
	rec := do(t, h, "GET", clientpage.Path(valid.Token)+"/done", nil, nil)
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != clientpage.Path(valid.Token) {
		t.Fatalf("done before answering = %d to %q; want 303 back to the order", rec.Code, rec.Header().Get("Location"))
	}
	htmlPage(t, do(t, h, "GET", "/c/garbage/done", nil, nil), http.StatusNotFound, "This link is not valid")
}

func TestClientPagesWithoutLinksConfigured(t *testing.T) {
	h := New(testDeps(nil))
	htmlPage(t, do(t, h, "GET", "/c/anything", nil, nil), http.StatusServiceUnavailable, "not available")
	htmlPage(t, postForm(t, h, "/c/anything/confirm", nil), http.StatusServiceUnavailable, "not available")
}

// With a stand-in for the order's workflow: what the API sends it and how it
// answers the client.

// fakeOrderWorkflow answers the order query and action updates of one order.
// Embedding the interface makes any other Temporal call panic, which the
// router turns into a 500 that fails the test.
type fakeOrderWorkflow struct {
	client.Client
	mu        sync.Mutex
	view      workflows.OrderView
	updateErr error
	queries   []auth.Principal
	updates   []client.UpdateWorkflowOptions
}

func (f *fakeOrderWorkflow) QueryWorkflow(_ context.Context, id, _, query string, args ...any) (converter.EncodedValue, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p, _ := args[0].(auth.Principal)
	f.queries = append(f.queries, p)
	if id != f.view.ID || query != workflows.OrderQuery {
		return nil, errors.New("fake: unexpected query " + query + " of " + id)
	}
	return jsonValue{f.view}, nil
}

func (f *fakeOrderWorkflow) UpdateWorkflow(_ context.Context, o client.UpdateWorkflowOptions) (client.WorkflowUpdateHandle, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.updates = append(f.updates, o)
	if f.updateErr != nil {
		return nil, f.updateErr
	}
	return fakeUpdate{view: f.view}, nil
}

type fakeUpdate struct {
	client.WorkflowUpdateHandle
	view workflows.OrderView
}

func (u fakeUpdate) Get(_ context.Context, ptr any) error { return jsonValue{u.view}.Get(ptr) }

// jsonValue hands values over as Temporal would: encoded and decoded.
type jsonValue struct{ v any }

func (j jsonValue) HasValue() bool { return true }
func (j jsonValue) Get(ptr any) error {
	b, err := json.Marshal(j.v)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, ptr)
}

func memberOrderView(id string, allowed ...lifecycle.Action) workflows.OrderView {
	lines := []money.Line{{Description: "Logo design", Quantity: money.QuantityOf(2), UnitPrice: 25000, VATRate: money.Percent(21)}}
	totals, _ := money.Compute(lines)
	return workflows.OrderView{
		ID: id, Flow: "member", Status: "client_confirmation", StatusLabel: "Client confirmation",
		Title: "Brand identity <v2>", Currency: "EUR", Total: totals.Gross, AllowedActions: allowed,
		Member: &workflows.MemberDetails{
			MemberName: "Anna Peeters", Client: workflows.Client{Name: "Jan Janssens", Company: "Janssens BV", VATNumber: "BE0123456789"},
			Lines: lines, Totals: totals, ServicePeriod: workflows.Period{Start: "2026-12-01", End: "2027-01-31"},
			Schedule:        []workflows.Entry{{Date: "2027-01-31", Lines: lines, Status: workflows.EntryPlanned}},
			OfferValidUntil: "2026-12-15",
		},
	}
}

func TestClientConfirmationPageShowsTheOrder(t *testing.T) {
	fake := &fakeOrderWorkflow{view: memberOrderView("ord_1", lifecycle.Confirm, lifecycle.Decline)}
	h, links := clientAPI(t, fake)
	link := newClientLink(t, links, "ord_1/confirmation/1", "ord_1", nextWeek())

	htmlPage(t, do(t, h, "GET", clientpage.Path(link.Token), nil, nil), http.StatusOK,
		"Brand identity &lt;v2&gt;", "Anna Peeters", "Janssens BV", "VAT number BE0123456789",
		"Logo design", "€ 250.00", "€ 500.00", "VAT 21% on € 500.00", "€ 105.00", "€ 605.00",
		"1 December 2026 to 31 January 2027", "31 January 2027", "valid until <strong>15 December 2026</strong>",
		`action="`+clientpage.Path(link.Token)+`/confirm"`, `action="`+clientpage.Path(link.Token)+`/decline"`)
	want := auth.Principal{Role: lifecycle.Client, Subject: "link:" + link.ID}
	if len(fake.queries) != 1 || fake.queries[0] != want {
		t.Fatalf("queried as %v, want %v", fake.queries, want)
	}

	fake.view = memberOrderView("ord_1") // the order moved on: the client may do nothing
	fake.view.StatusLabel = "Rejected"
	htmlPage(t, do(t, h, "GET", clientpage.Path(link.Token), nil, nil), http.StatusConflict, "no longer waits for your answer", "now rejected")
	if _, err := links.ResolveClientLink(supplierCtx(t), link.Token); err != nil {
		t.Fatalf("showing the page used the link: %v", err)
	}
}

func TestClientDeclineReachesTheWorkflowOnce(t *testing.T) {
	fake := &fakeOrderWorkflow{view: memberOrderView("ord_1", lifecycle.Confirm, lifecycle.Decline)}
	h, links := clientAPI(t, fake)
	link := newClientLink(t, links, "ord_1/confirmation/1", "ord_1", nextWeek())

	rec := postForm(t, h, clientpage.Path(link.Token)+"/decline", url.Values{"reason": {"  Over our budget.  "}})
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != clientpage.Path(link.Token)+"/done" {
		t.Fatalf("decline = %d to %q; want 303 to the done page; body %s", rec.Code, rec.Header().Get("Location"), rec.Body)
	}
	if len(fake.updates) != 1 {
		t.Fatalf("%d updates, want 1", len(fake.updates))
	}
	u := fake.updates[0]
	if u.WorkflowID != "ord_1" || u.UpdateName != "decline" || u.UpdateID != updateID("decline", workflows.ActionRequest{Actor: linkHolder(link), RequestID: "link:" + link.ID}) || len(u.Args) != 1 {
		t.Fatalf("update = %+v", u)
	}
	req, _ := u.Args[0].(workflows.ActionRequest)
	if req.Actor != (auth.Principal{Role: lifecycle.Client, Subject: "link:" + link.ID}) || req.RequestID != "link:"+link.ID ||
		string(req.Payload) != `{"reason":"Over our budget."}` {
		t.Fatalf("action request = %+v (payload %s)", req, req.Payload)
	}

	got, err := links.ResolveClientLink(supplierCtx(t), link.Token)
	if !errors.Is(err, store.ErrLinkUsed) || got.Answer != store.AnswerDecline {
		t.Fatalf("link after declining: %+v, %v", got, err)
	}
	htmlPage(t, do(t, h, "GET", clientpage.Path(link.Token)+"/done", nil, nil), http.StatusOK,
		"You declined the order", "Brand identity &lt;v2&gt;", "Anna Peeters has been told")

	// A second submit, even of the other answer, never reaches the workflow.
	htmlPage(t, postForm(t, h, clientpage.Path(link.Token)+"/confirm", nil), http.StatusGone, "You declined this order on")
	if len(fake.updates) != 1 {
		t.Fatalf("%d updates after a second submit, want 1", len(fake.updates))
	}
}

func TestClientConfirmSendsNoPayload(t *testing.T) {
	fake := &fakeOrderWorkflow{view: memberOrderView("ord_1", lifecycle.Confirm, lifecycle.Decline)}
	h, links := clientAPI(t, fake)
	link := newClientLink(t, links, "ord_1/confirmation/1", "ord_1", nextWeek())
	if rec := postForm(t, h, clientpage.Path(link.Token)+"/confirm", nil); rec.Code != http.StatusSeeOther {
		t.Fatalf("confirm = %d %s", rec.Code, rec.Body)
	}
	req, _ := fake.updates[0].Args[0].(workflows.ActionRequest)
	if fake.updates[0].UpdateName != "confirm" || fake.updates[0].UpdateID != updateID("confirm", workflows.ActionRequest{Actor: linkHolder(link), RequestID: "link:" + link.ID}) || len(req.Payload) != 0 {
		t.Fatalf("update = %+v, payload %s", fake.updates[0], req.Payload)
	}
	htmlPage(t, do(t, h, "GET", clientpage.Path(link.Token)+"/done", nil, nil), http.StatusOK, "the order is confirmed", "on ")
}

func TestClientAnswerThatDoesNotLandFreesTheLink(t *testing.T) {
	for name, tc := range map[string]struct {
		err    error
		status int
		want   string
	}{
		"refused":     {temporal.NewApplicationError("the order is rejected", lifecycle.NotAllowedNow), http.StatusConflict, "no longer waits for your answer"},
		"ended":       {serviceerror.NewNotFound("workflow execution already completed"), http.StatusConflict, "no longer waits for your answer"},
		"not visible": {temporal.NewApplicationError("there is no such order", workflows.NotVisible), http.StatusNotFound, "could not find this order"},
		"bad reason":  {temporal.NewApplicationError("reason must be valid UTF-8 text", workflows.InvalidPayload), http.StatusUnprocessableEntity, "Reason must be valid UTF-8 text"},
		"unavailable": {errors.New("connection refused"), http.StatusServiceUnavailable, "has not been recorded"},
		"timed out":   {context.DeadlineExceeded, http.StatusServiceUnavailable, "try again"},
	} {
		t.Run(name, func(t *testing.T) {
			fake := &fakeOrderWorkflow{view: memberOrderView("ord_1", lifecycle.Confirm), updateErr: tc.err}
			h, links := clientAPI(t, fake)
			link := newClientLink(t, links, "ord_1/confirmation/1", "ord_1", nextWeek())
			htmlPage(t, postForm(t, h, clientpage.Path(link.Token)+"/confirm", nil), tc.status, tc.want)
			if _, err := links.ResolveClientLink(supplierCtx(t), link.Token); err != nil {
				t.Fatalf("the link stays used after an answer that did not land: %v", err)
			}
		})
	}
}

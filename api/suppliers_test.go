package api

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/orderflow/orderflow/internal/auth"
	"github.com/orderflow/orderflow/internal/pgtest"
	"github.com/orderflow/orderflow/internal/store"
	"github.com/orderflow/orderflow/lifecycle"
)

// The wire shapes, spelled out here rather than borrowed from suppliers.go,
// so a renamed JSON member fails the tests.
type wireSupplier struct {
	ID         string    `json:"id"`
	Name       string    `json:"name"`
	Email      string    `json:"email"`
	Categories []string  `json:"categories"`
	Regions    []string  `json:"regions"`
	Rating     int       `json:"rating"`
	Active     bool      `json:"active"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
}

type wireFeedItem struct {
	OrderID      string          `json:"order_id"`
	Status       string          `json:"status"`
	Title        string          `json:"title"`
	OfferedAt    time.Time       `json:"offered_at"`
	NextDeadline *time.Time      `json:"next_deadline"`
	Order        json.RawMessage `json:"order"`
}

type wireFeed struct {
	SupplierID string         `json:"supplier_id"`
	Orders     []wireFeedItem `json:"orders"`
}

func supplierAPI(t *testing.T) (http.Handler, *store.Store) {
	t.Helper()
	st := store.New(pgtest.New(t))
	d := testDeps(nil)
	d.Store = st
	return New(d), st
}

func bearerOf(t *testing.T, role lifecycle.Role, sub string) map[string]string {
	t.Helper()
	token, err := auth.NewTokens(testSecret).Mint(auth.Principal{Role: role, Subject: sub}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return map[string]string{"Authorization": "Bearer " + token, "Content-Type": "application/json"}
}

func decodeAs[T any](t *testing.T, rec *httptest.ResponseRecorder, wantStatus int) T {
	t.Helper()
	if rec.Code != wantStatus {
		t.Fatalf("status = %d, want %d; body %s", rec.Code, wantStatus, rec.Body)
	}
	var v T
	if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil {
		t.Fatalf("body %s: %v", rec.Body, err)
	}
	return v
}

func supplierCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func seedSupplier(t *testing.T, st *store.Store, id string, rating int) {
	t.Helper()
	_, err := st.CreateSupplier(supplierCtx(t), store.Supplier{ID: id, Name: "Supplier " + id, Email: id + "@suppliers.example",
		Categories: []string{"building"}, Regions: []string{"BE-BRU"}, Rating: rating, Active: true})
	if err != nil {
		t.Fatal(err)
	}
}

// marketplaceOrderAt records transition seq of a marketplace order, as the workflow's activity would.
func marketplaceOrderAt(t *testing.T, st *store.Store, id string, seq int64, status string) {
	t.Helper()
	at := time.Date(2026, 5, 4, 8, 0, 0, 0, time.UTC).Add(time.Duration(seq) * time.Minute)
	deadline := at.Add(2 * time.Hour)
	o := store.Order{ID: id, Flow: "marketplace", Status: status, OwnerID: "cust-1", Title: "Bricks for " + id,
		NextDeadline: &deadline, View: json.RawMessage(fmt.Sprintf(`{"id": %q, "status": %q, "marketplace": {
			"customer_email": "secret@customers.test", "category": "building", "supplier_cost": "40.00",
			"items": [{"sku": "BR-1", "description": "Bricks", "quantity": 100, "unit_price": "0.50", "vat_rate": 21}]}}`, id, status))}
	e := store.TimelineEntry{Seq: seq, At: at, To: status, Action: "act", ActorRole: "system"}
	if err := st.RecordTransition(supplierCtx(t), o, e); err != nil {
		t.Fatal(err)
	}
}

const brico = `{"id": "sup-brico", "name": "Brico", "email": "orders@brico.example",
	"categories": ["building", " electrical "], "regions": ["BE-BRU"], "rating": 80}`

func TestCreateAndReadSupplier(t *testing.T) {
	h, _ := supplierAPI(t)
	purchasing := bearerOf(t, lifecycle.Purchasing, "p-1")

	rec := do(t, h, "POST", "/v1/suppliers", strings.NewReader(brico), purchasing)
	created := decodeAs[wireSupplier](t, rec, 201)
	if created.ID != "sup-brico" || created.Name != "Brico" || created.Email != "orders@brico.example" || created.Rating != 80 ||
		!created.Active || !slices.Equal(created.Categories, []string{"building", "electrical"}) ||
		!slices.Equal(created.Regions, []string{"BE-BRU"}) || created.CreatedAt.IsZero() {
		t.Fatalf("created = %+v", created)
	}
	if loc := rec.Header().Get("Location"); loc != "/v1/suppliers/sup-brico" {
		t.Fatalf("Location = %q", loc)
	}

	for _, reader := range []map[string]string{purchasing, bearerOf(t, lifecycle.Ops, "ops-1"), bearerOf(t, lifecycle.Supplier, "sup-brico")} {
		got := decodeAs[wireSupplier](t, do(t, h, "GET", "/v1/suppliers/sup-brico", nil, reader), 200)
		if got.ID != created.ID || got.Name != created.Name || !got.CreatedAt.Equal(created.CreatedAt) {
			t.Fatalf("read back %+v, want %+v", got, created)
		}
	}

	p := decodeProblem(t, do(t, h, "POST", "/v1/suppliers", strings.NewReader(brico), purchasing), 409)
	if !strings.Contains(p.Detail, "sup-brico") || !strings.Contains(p.Detail, "another id") {
		t.Fatalf("conflict detail = %q", p.Detail)
	}
}

func TestCreateSupplierWithoutIDOrInactive(t *testing.T) {
	h, _ := supplierAPI(t)
	purchasing := bearerOf(t, lifecycle.Purchasing, "p-1")
	body := `{"name": "Kantoor", "email": "bestel@kantoor.example", "categories": ["office"], "regions": ["BE-VLG"], "rating": 0, "active": false}`
	first := decodeAs[wireSupplier](t, do(t, h, "POST", "/v1/suppliers", strings.NewReader(body), purchasing), 201)
	second := decodeAs[wireSupplier](t, do(t, h, "POST", "/v1/suppliers", strings.NewReader(body), purchasing), 201)
	if !strings.HasPrefix(first.ID, "sup_") || len(first.ID) != len("sup_")+26 || first.ID == second.ID {
		t.Fatalf("generated ids %q and %q, want two distinct sup_ + ULID", first.ID, second.ID)
	}
	if first.Active || first.Rating != 0 {
		t.Fatalf("created = %+v, want inactive with rating 0", first)
	}
	got := decodeAs[wireSupplier](t, do(t, h, "GET", "/v1/suppliers/"+first.ID, nil, purchasing), 200)
	if got.Active {
		t.Fatal("an inactive supplier was stored active")
	}
}

func TestCreateSupplierRefusesInvalidFieldsWith422(t *testing.T) {
	h, _ := supplierAPI(t)
	purchasing := bearerOf(t, lifecycle.Purchasing, "p-1")
	valid := map[string]any{"name": "Brico", "email": "orders@brico.example", "categories": []string{"building"},
		"regions": []string{"BE-BRU"}, "rating": 80}
	with := func(changes map[string]any) string {
		m := map[string]any{}
		for k, v := range valid {
			m[k] = v
		}
		for k, v := range changes {
			if v == "<omit>" {
				delete(m, k)
			} else {
				m[k] = v
			}
		}
		b, _ := json.Marshal(m)
		return string(b)
	}
	for name, tc := range map[string]struct {
		body       string
		wantFields []string
	}{
		"nothing":              {`{}`, []string{"categories", "email", "name", "rating", "regions"}},
		"rating above 100":     {with(map[string]any{"rating": 101}), []string{"rating"}},
		"negative rating":      {with(map[string]any{"rating": -1}), []string{"rating"}},
		"fractional rating":    {with(map[string]any{"rating": 85.5}), []string{"rating"}},
		"rating as text":       {with(map[string]any{"rating": "high"}), []string{"rating"}},
		"missing rating":       {with(map[string]any{"rating": "<omit>"}), []string{"rating"}},
		"not an email":         {with(map[string]any{"email": "brico at example"}), []string{"email"}},
		"email with a name":    {with(map[string]any{"email": "Brico <orders@brico.example>"}), []string{"email"}},
		"no categories":        {with(map[string]any{"categories": []string{}}), []string{"categories"}},
		"category twice":       {with(map[string]any{"categories": []string{"office", " office"}}), []string{"categories"}},
		"categories as text":   {with(map[string]any{"categories": "building"}), []string{"categories"}},
		"empty region":         {with(map[string]any{"regions": []string{"BE-BRU", " "}}), []string{"regions"}},
		"blank name":           {with(map[string]any{"name": "   "}), []string{"name"}},
		"null name":            {with(map[string]any{"name": nil}), []string{"name"}},
		"bad id":               {with(map[string]any{"id": "sup 1/../x"}), []string{"id"}},
		"active as text":       {with(map[string]any{"active": "yes"}), []string{"active"}},
		"two wrongs at once":   {with(map[string]any{"email": "nope", "rating": 1000}), []string{"email", "rating"}},
		"name far too long":    {with(map[string]any{"name": strings.Repeat("n", 201)}), []string{"name"}},
		"region list too long": {with(map[string]any{"regions": manyTags(51)}), []string{"regions"}},
		"missing and wrong":    {`{"rating": "top", "name": "Brico"}`, []string{"categories", "email", "rating", "regions"}},
	} {
		t.Run(name, func(t *testing.T) {
			p := decodeProblem(t, do(t, h, "POST", "/v1/suppliers", strings.NewReader(tc.body), purchasing), 422)
			var got []string
			for field, msg := range p.Errors {
				got = append(got, field)
				if msg == "" || !strings.Contains(p.Detail, field+" "+msg) {
					t.Errorf("detail %q does not explain %s: %q", p.Detail, field, msg)
				}
			}
			slices.Sort(got)
			if !slices.Equal(got, tc.wantFields) {
				t.Fatalf("errors = %v, want fields %v", p.Errors, tc.wantFields)
			}
		})
	}
	list := decodeAs[struct{ Suppliers []wireSupplier }](t, do(t, h, "GET", "/v1/suppliers?include_inactive=true", nil, purchasing), 200)
	if len(list.Suppliers) != 0 {
		t.Fatalf("refused requests created %+v", list.Suppliers)
	}
}

func manyTags(n int) []string {
	tags := make([]string, n)
	for i := range tags {
		tags[i] = fmt.Sprintf("R-%d", i)
	}
	return tags
}

func TestCreateSupplierRefusesMalformedBodiesWith400(t *testing.T) {
	h, _ := supplierAPI(t)
	purchasing := bearerOf(t, lifecycle.Purchasing, "p-1")
	for name, tc := range map[string]struct{ body, wantInDetail string }{
		"empty":            {"", "empty"},
		"only whitespace":  {"  \n", "empty"},
		"not json":         {"name=Brico", "not valid JSON"},
		"truncated":        {`{"name": "Brico"`, "not valid JSON"},
		"an array":         {`[{"name": "Brico"}]`, "array"},
		"null":             {`null`, "null"},
		"two objects":      {`{"name": "a"} {"name": "b"}`, "not valid JSON"},
		"unknown field":    {strings.Replace(brico, `"rating": 80`, `"rating": 80, "colour": "red"`, 1), `"colour"`},
		"misspelt field":   {strings.Replace(brico, `"rating"`, `"Rating"`, 1), `"Rating"`},
		"server timestamp": {strings.Replace(brico, `"rating": 80`, `"rating": 80, "created_at": "2026-01-01T00:00:00Z"`, 1), `"created_at"`},
	} {
		t.Run(name, func(t *testing.T) {
			p := decodeProblem(t, do(t, h, "POST", "/v1/suppliers", strings.NewReader(tc.body), purchasing), 400)
			if !strings.Contains(p.Detail, tc.wantInDetail) {
				t.Fatalf("detail %q does not mention %s", p.Detail, tc.wantInDetail)
			}
		})
	}
	big := `{"name": "` + strings.Repeat("x", maxBodyBytes) + `"}`
	decodeProblem(t, do(t, h, "POST", "/v1/suppliers", strings.NewReader(big), purchasing), 413)
}

func TestSupplierEndpointsRefuseOtherRoles(t *testing.T) {
	h, st := supplierAPI(t)
	seedSupplier(t, st, "sup-a", 50)
	for _, tc := range []struct {
		method, path string
		refused      []lifecycle.Role
	}{
		{"POST", "/v1/suppliers", []lifecycle.Role{lifecycle.Ops, lifecycle.Supplier, lifecycle.Staff, lifecycle.Customer, lifecycle.Finance}},
		{"GET", "/v1/suppliers", []lifecycle.Role{lifecycle.Supplier, lifecycle.Member, lifecycle.Customer, lifecycle.Staff}},
		{"GET", "/v1/suppliers/sup-a", []lifecycle.Role{lifecycle.Member, lifecycle.Customer, lifecycle.Finance}},
		{"PATCH", "/v1/suppliers/sup-a", []lifecycle.Role{lifecycle.Ops, lifecycle.Supplier}},
		{"POST", "/v1/suppliers/sup-a/deactivate", []lifecycle.Role{lifecycle.Ops, lifecycle.Supplier}},
		{"POST", "/v1/suppliers/sup-a/activate", []lifecycle.Role{lifecycle.Ops, lifecycle.Supplier}},
		{"GET", "/v1/suppliers/sup-a/feed", []lifecycle.Role{lifecycle.Ops, lifecycle.Customer, lifecycle.Staff}},
		{"GET", "/v1/suppliers/sup-a/feed/stream", []lifecycle.Role{lifecycle.Purchasing, lifecycle.Ops}},
	} {
		for _, role := range tc.refused {
			rec := do(t, h, tc.method, tc.path, strings.NewReader(`{"rating": 1}`), bearerOf(t, role, "sup-a"))
			p := decodeProblem(t, rec, 403)
			if !strings.Contains(p.Detail, string(role)) {
				t.Errorf("%s %s as %s: detail %q does not name the role", tc.method, tc.path, role, p.Detail)
			}
		}
		decodeProblem(t, do(t, h, tc.method, tc.path, nil, nil), 401)
	}
	got, err := st.GetSupplier(supplierCtx(t), "sup-a")
	if err != nil || got.Rating != 50 || !got.Active {
		t.Fatalf("refused requests changed the supplier: %+v, %v", got, err)
	}
}

func TestSupplierSeesOnlyItself(t *testing.T) {
	h, st := supplierAPI(t)
	seedSupplier(t, st, "sup-a", 50)
	seedSupplier(t, st, "sup-b", 60)
	asA := bearerOf(t, lifecycle.Supplier, "sup-a")

	decodeAs[wireSupplier](t, do(t, h, "GET", "/v1/suppliers/sup-a", nil, asA), 200)
	decodeAs[wireFeed](t, do(t, h, "GET", "/v1/suppliers/sup-a/feed", nil, asA), 200)
	for _, path := range []string{"/v1/suppliers/sup-b", "/v1/suppliers/sup-b/feed", "/v1/suppliers/sup-b/feed/stream"} {
		existing := decodeProblem(t, do(t, h, "GET", path, nil, asA), 404)
		missing := decodeProblem(t, do(t, h, "GET", strings.Replace(path, "sup-b", "sup-zz", 1), nil, asA), 404)
		// The same answer for an existing and a missing supplier: nothing to probe.
		if strings.Replace(existing.Detail, "sup-b", "sup-zz", 1) != missing.Detail {
			t.Fatalf("%s: detail %q differs from %q", path, existing.Detail, missing.Detail)
		}
		if !strings.Contains(existing.Detail, "/v1/suppliers/sup-a") {
			t.Fatalf("detail %q does not point to the supplier's own record", existing.Detail)
		}
	}
}

func TestListSuppliers(t *testing.T) {
	h, st := supplierAPI(t)
	for _, id := range []string{"sup-c", "sup-a", "sup-b"} {
		seedSupplier(t, st, id, 50)
	}
	if err := st.DeactivateSupplier(supplierCtx(t), "sup-b"); err != nil {
		t.Fatal(err)
	}
	ids := func(path string, role lifecycle.Role) []string {
		t.Helper()
		list := decodeAs[struct{ Suppliers []wireSupplier }](t, do(t, h, "GET", path, nil, bearerOf(t, role, "x")), 200)
		var out []string
		for _, s := range list.Suppliers {
			out = append(out, s.ID)
		}
		return out
	}
	if got := ids("/v1/suppliers", lifecycle.Purchasing); !slices.Equal(got, []string{"sup-a", "sup-c"}) {
		t.Fatalf("active suppliers = %v", got)
	}
	if got := ids("/v1/suppliers?include_inactive=true", lifecycle.Ops); !slices.Equal(got, []string{"sup-a", "sup-b", "sup-c"}) {
		t.Fatalf("all suppliers = %v", got)
	}
	if got := ids("/v1/suppliers?include_inactive=false", lifecycle.Ops); !slices.Equal(got, []string{"sup-a", "sup-c"}) {
		t.Fatalf("include_inactive=false = %v", got)
	}
	p := decodeProblem(t, do(t, h, "GET", "/v1/suppliers?include_inactive=maybe", nil, bearerOf(t, lifecycle.Ops, "x")), 400)
	if !strings.Contains(p.Detail, "true or false") {
		t.Fatalf("detail = %q", p.Detail)
	}

	empty, _ := supplierAPI(t)
	rec := do(t, empty, "GET", "/v1/suppliers", nil, bearerOf(t, lifecycle.Ops, "x"))
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), `"suppliers":[]`) {
		t.Fatalf("empty list = %d %s, want an empty array", rec.Code, rec.Body)
	}
}

func TestPatchSupplierChangesOnlyWhatIsSent(t *testing.T) {
	h, st := supplierAPI(t)
	seedSupplier(t, st, "sup-a", 50)
	if err := st.DeactivateSupplier(supplierCtx(t), "sup-a"); err != nil {
		t.Fatal(err)
	}
	purchasing := bearerOf(t, lifecycle.Purchasing, "p-1")
	patch := func(body string) *httptest.ResponseRecorder {
		return do(t, h, "PATCH", "/v1/suppliers/sup-a", strings.NewReader(body), purchasing)
	}

	got := decodeAs[wireSupplier](t, patch(`{"rating": 95}`), 200)
	if got.Rating != 95 || got.Name != "Supplier sup-a" || got.Email != "sup-a@suppliers.example" ||
		!slices.Equal(got.Categories, []string{"building"}) || got.Active {
		t.Fatalf("after rating patch = %+v", got)
	}
	got = decodeAs[wireSupplier](t, patch(`{"name": "Renamed", "categories": ["office", "building"], "regions": ["BE-WAL"]}`), 200)
	if got.Rating != 95 || got.Name != "Renamed" || !slices.Equal(got.Categories, []string{"office", "building"}) ||
		!slices.Equal(got.Regions, []string{"BE-WAL"}) || got.Active {
		t.Fatalf("after second patch = %+v", got)
	}
	stored, err := st.GetSupplier(supplierCtx(t), "sup-a")
	if err != nil || stored.Name != "Renamed" || stored.Rating != 95 {
		t.Fatalf("stored = %+v, %v", stored, err)
	}

	p := decodeProblem(t, patch(`{"rating": 101, "email": "x"}`), 422)
	if p.Errors["rating"] == "" || p.Errors["email"] == "" {
		t.Fatalf("errors = %v", p.Errors)
	}
	if p := decodeProblem(t, patch(`{}`), 422); !strings.Contains(p.Detail, "nothing to change") {
		t.Fatalf("empty patch detail = %q", p.Detail)
	}
	if p := decodeProblem(t, patch(`{"active": true}`), 400); !strings.Contains(p.Detail, "/v1/suppliers/sup-a/activate") {
		t.Fatalf("active patch detail = %q", p.Detail)
	}
	if p := decodeProblem(t, patch(`{"id": "sup-new"}`), 400); !strings.Contains(p.Detail, "cannot be changed") {
		t.Fatalf("id patch detail = %q", p.Detail)
	}
	if p := decodeProblem(t, patch(`{"nmae": "typo"}`), 400); !strings.Contains(p.Detail, `"nmae"`) {
		t.Fatalf("unknown field detail = %q", p.Detail)
	}
	decodeProblem(t, patch(``), 400)
	decodeProblem(t, do(t, h, "PATCH", "/v1/suppliers/sup-missing", strings.NewReader(`{"rating": 1}`), purchasing), 404)

	stored, err = st.GetSupplier(supplierCtx(t), "sup-a")
	if err != nil || stored.Name != "Renamed" || stored.Rating != 95 || stored.Active {
		t.Fatalf("refused patches changed the supplier: %+v, %v", stored, err)
	}
}

func TestDeactivateAndActivateSupplier(t *testing.T) {
	h, st := supplierAPI(t)
	seedSupplier(t, st, "sup-a", 50)
	purchasing := bearerOf(t, lifecycle.Purchasing, "p-1")
	for _, step := range []struct {
		action     string
		wantActive bool
	}{{"deactivate", false}, {"deactivate", false}, {"activate", true}, {"activate", true}} {
		got := decodeAs[wireSupplier](t, do(t, h, "POST", "/v1/suppliers/sup-a/"+step.action, nil, purchasing), 200)
		if got.Active != step.wantActive {
			t.Fatalf("after %s: active = %t", step.action, got.Active)
		}
		stored, err := st.GetSupplier(supplierCtx(t), "sup-a")
		if err != nil || stored.Active != step.wantActive {
			t.Fatalf("after %s: stored %+v, %v", step.action, stored, err)
		}
	}
	p := decodeProblem(t, do(t, h, "POST", "/v1/suppliers/sup-missing/deactivate", nil, purchasing), 404)
	if !strings.Contains(p.Detail, "sup-missing") {
		t.Fatalf("detail = %q", p.Detail)
	}
	decodeProblem(t, do(t, h, "POST", "/v1/suppliers/sup-missing/activate", nil, purchasing), 404)
}

func TestSupplierFeed(t *testing.T) {
	h, st := supplierAPI(t)
	ctx := supplierCtx(t)
	seedSupplier(t, st, "sup-a", 50)
	seedSupplier(t, st, "sup-b", 40)
	offeredAt := time.Date(2026, 5, 4, 8, 5, 0, 0, time.UTC)
	for _, id := range []string{"ord-1", "ord-2", "ord-3"} {
		if err := st.RecordOffers(ctx, id, 1, []string{"sup-a", "sup-b"}, offeredAt); err != nil {
			t.Fatal(err)
		}
	}
	marketplaceOrderAt(t, st, "ord-1", 1, "pending")
	marketplaceOrderAt(t, st, "ord-2", 1, "pending_expiring")
	marketplaceOrderAt(t, st, "ord-3", 1, "in_progress")
	if err := st.RecordDecline(ctx, "ord-1", "sup-b", "no stock", offeredAt.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}

	feed := decodeAs[wireFeed](t, do(t, h, "GET", "/v1/suppliers/sup-a/feed", nil, bearerOf(t, lifecycle.Supplier, "sup-a")), 200)
	if feed.SupplierID != "sup-a" || len(feed.Orders) != 2 {
		t.Fatalf("feed of sup-a = %+v, want ord-1 and ord-2", feed)
	}
	first := feed.Orders[0]
	wantDeadline := time.Date(2026, 5, 4, 10, 1, 0, 0, time.UTC)
	if first.OrderID != "ord-1" || first.Status != "pending" || first.Title != "Bricks for ord-1" || !first.OfferedAt.Equal(offeredAt) ||
		first.NextDeadline == nil || !first.NextDeadline.Equal(wantDeadline) || !strings.Contains(string(first.Order), `"Bricks"`) ||
		!strings.Contains(string(first.Order), `"supplier_cost":"40.00"`) || strings.Contains(string(first.Order), "secret@") ||
		strings.Contains(string(first.Order), "unit_price") {
		t.Fatalf("first feed item = %+v", first)
	}
	if feed.Orders[1].OrderID != "ord-2" || feed.Orders[1].Status != "pending_expiring" {
		t.Fatalf("second feed item = %+v", feed.Orders[1])
	}

	// Purchasing sees any supplier's feed; sup-b declined ord-1.
	feed = decodeAs[wireFeed](t, do(t, h, "GET", "/v1/suppliers/sup-b/feed", nil, bearerOf(t, lifecycle.Purchasing, "p-1")), 200)
	if len(feed.Orders) != 1 || feed.Orders[0].OrderID != "ord-2" {
		t.Fatalf("feed of sup-b = %+v, want only ord-2", feed)
	}
	decodeProblem(t, do(t, h, "GET", "/v1/suppliers/sup-missing/feed", nil, bearerOf(t, lifecycle.Purchasing, "p-1")), 404)

	if err := st.RecordDecline(ctx, "ord-2", "sup-b", "", time.Time{}); err != nil {
		t.Fatal(err)
	}
	rec := do(t, h, "GET", "/v1/suppliers/sup-b/feed", nil, bearerOf(t, lifecycle.Supplier, "sup-b"))
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), `"orders":[]`) {
		t.Fatalf("empty feed = %d %s, want an empty array", rec.Code, rec.Body)
	}
}

// sseMessage is one event, or one comment, read from a stream.
type sseMessage struct {
	event, data, comment string
}

// readSSE parses a stream into messages until it ends.
func readSSE(r io.Reader) <-chan sseMessage {
	out := make(chan sseMessage, 64)
	go func() {
		defer close(out)
		scanner := bufio.NewScanner(r)
		scanner.Buffer(make([]byte, 64<<10), 1<<20)
		var msg sseMessage
		for scanner.Scan() {
			line := scanner.Text()
			switch {
			case line == "":
				if msg != (sseMessage{}) {
					out <- msg
				}
				msg = sseMessage{}
			case strings.HasPrefix(line, ":"):
				out <- sseMessage{comment: strings.TrimSpace(line[1:])}
			case strings.HasPrefix(line, "event: "):
				msg.event = line[len("event: "):]
			case strings.HasPrefix(line, "data: "):
				msg.data += line[len("data: "):]
			}
		}
	}()
	return out
}

// nextEvent returns the next event, skipping comments; a stream that stays
// silent for a long time, or ends, fails the test.
func nextEvent(t *testing.T, messages <-chan sseMessage) sseMessage {
	t.Helper()
	timeout := time.After(60 * time.Second)
	for {
		select {
		case msg, open := <-messages:
			if !open {
				t.Fatal("the stream ended")
			}
			if msg.comment == "" {
				return msg
			}
		case <-timeout:
			t.Fatal("no event within 60 s")
		}
	}
}

func decodeData[T any](t *testing.T, msg sseMessage, wantEvent string) T {
	t.Helper()
	if msg.event != wantEvent {
		t.Fatalf("event = %q (data %s), want %q", msg.event, msg.data, wantEvent)
	}
	var v T
	if err := json.Unmarshal([]byte(msg.data), &v); err != nil {
		t.Fatalf("%s data %q: %v", wantEvent, msg.data, err)
	}
	return v
}

func TestSupplierFeedStream(t *testing.T) {
	h, st := supplierAPI(t)
	ctx := supplierCtx(t)
	seedSupplier(t, st, "sup-a", 50)
	if err := st.RecordOffers(ctx, "ord-1", 1, []string{"sup-a"}, time.Time{}); err != nil {
		t.Fatal(err)
	}
	marketplaceOrderAt(t, st, "ord-1", 1, "pending")

	finished := make(chan string, 4)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(w, r)
		finished <- r.URL.Path
	}))
	defer srv.Close()

	streamCtx, disconnect := context.WithTimeout(ctx, 90*time.Second)
	defer disconnect()
	req, err := http.NewRequestWithContext(streamCtx, "GET", srv.URL+"/v1/suppliers/sup-a/feed/stream", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", bearerOf(t, lifecycle.Supplier, "sup-a")["Authorization"])
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" || resp.Header.Get("Cache-Control") != "no-cache" {
		t.Fatalf("stream answered %d with %v", resp.StatusCode, resp.Header)
	}
	messages := readSSE(resp.Body)

	snapshot := decodeData[wireFeed](t, nextEvent(t, messages), "snapshot")
	if snapshot.SupplierID != "sup-a" || len(snapshot.Orders) != 1 || snapshot.Orders[0].OrderID != "ord-1" {
		t.Fatalf("snapshot = %+v", snapshot)
	}

	if err := st.RecordOffers(ctx, "ord-2", 1, []string{"sup-a"}, time.Time{}); err != nil {
		t.Fatal(err)
	}
	marketplaceOrderAt(t, st, "ord-2", 1, "pending")
	added := decodeData[wireFeedItem](t, nextEvent(t, messages), "added")
	if added.OrderID != "ord-2" || added.Status != "pending" || added.Title != "Bricks for ord-2" {
		t.Fatalf("added = %+v", added)
	}

	marketplaceOrderAt(t, st, "ord-2", 2, "pending_expiring")
	updated := decodeData[wireFeedItem](t, nextEvent(t, messages), "updated")
	if updated.OrderID != "ord-2" || updated.Status != "pending_expiring" {
		t.Fatalf("updated = %+v", updated)
	}

	marketplaceOrderAt(t, st, "ord-1", 2, "in_progress")
	removed := decodeData[map[string]string](t, nextEvent(t, messages), "removed")
	if removed["order_id"] != "ord-1" || len(removed) != 1 {
		t.Fatalf("removed = %v", removed)
	}

	disconnect()
	select {
	case path := <-finished:
		if path != "/v1/suppliers/sup-a/feed/stream" {
			t.Fatalf("finished %s", path)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("the stream handler still runs 60 s after the client went away")
	}
}

// pipeFlusher is a response that hands every write to the test's reader.
type pipeFlusher struct{ *io.PipeWriter }

func (pipeFlusher) Flush() {}

func feedItem(id, status string) store.FeedItem {
	return store.FeedItem{OrderID: id, Status: status, Title: "Order " + id,
		OfferedAt: time.Date(2026, 5, 4, 8, 0, 0, 0, time.UTC), View: json.RawMessage(`{}`)}
}

func TestStreamFeedSendsChangesAndKeepAlives(t *testing.T) {
	var mu sync.Mutex
	feed := []store.FeedItem{feedItem("o-1", "pending"), feedItem("o-2", "pending")}
	var loadErr error
	setFeed := func(items []store.FeedItem, err error) {
		mu.Lock()
		defer mu.Unlock()
		feed, loadErr = items, err
	}
	load := func(context.Context) ([]store.FeedItem, error) {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(feed), loadErr
	}

	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- streamFeed(context.Background(), pipeFlusher{pw}, "sup-a", load,
			feedTiming{poll: 5 * time.Millisecond, keepAlive: 20 * time.Millisecond, maxAge: time.Hour})
		pw.Close()
	}()
	messages := readSSE(pr)

	snapshot := decodeData[wireFeed](t, nextEvent(t, messages), "snapshot")
	if len(snapshot.Orders) != 2 || snapshot.Orders[0].OrderID != "o-1" || snapshot.Orders[1].OrderID != "o-2" {
		t.Fatalf("snapshot = %+v", snapshot)
	}

	// One poll sees every change at once: removals first, then the feed's order.
	deadline := time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC)
	moved := feedItem("o-2", "pending")
	moved.NextDeadline = &deadline
	setFeed([]store.FeedItem{feedItem("o-3", "pending"), moved, feedItem("o-0", "pending_expiring")}, nil)
	var got []string
	for range 4 {
		msg := nextEvent(t, messages)
		var item wireFeedItem
		if err := json.Unmarshal([]byte(msg.data), &item); err != nil {
			t.Fatal(err)
		}
		got = append(got, msg.event+" "+item.OrderID)
	}
	want := []string{"removed o-1", "added o-3", "updated o-2", "added o-0"}
	if !slices.Equal(got, want) {
		t.Fatalf("events = %v, want %v", got, want)
	}

	// A status change alone is an update too.
	setFeed([]store.FeedItem{feedItem("o-3", "pending_expiring"), moved, feedItem("o-0", "pending_expiring")}, nil)
	if item := decodeData[wireFeedItem](t, nextEvent(t, messages), "updated"); item.OrderID != "o-3" || item.Status != "pending_expiring" {
		t.Fatalf("updated = %+v, want o-3 expiring", item)
	}

	// Nothing changes: only keep-alive comments follow.
	timeout := time.After(60 * time.Second)
	for keepAlive := false; !keepAlive; {
		select {
		case msg := <-messages:
			if msg.comment == "" {
				t.Fatalf("event %+v without a change", msg)
			}
			keepAlive = msg.comment == "keep-alive"
		case <-timeout:
			t.Fatal("no keep-alive comment within 60 s")
		}
	}

	setFeed(nil, errors.New("connection refused"))
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "connection refused") {
			t.Fatalf("stream ended with %v, want the load error", err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("the stream goes on although the feed cannot be read")
	}
}

func TestStreamFeedEndsWhenTheClientGoesAway(t *testing.T) {
	load := func(context.Context) ([]store.FeedItem, error) { return nil, nil }
	timing := feedTiming{poll: 5 * time.Millisecond, keepAlive: 5 * time.Millisecond, maxAge: time.Hour}

	// A closed connection: writes fail.
	pr, pw := io.Pipe()
	pr.Close()
	if err := streamFeed(context.Background(), pipeFlusher{pw}, "sup-a", load, timing); err != nil {
		t.Fatalf("a gone client is not an error: %v", err)
	}

	// A cancelled request: the loop stops even while writes would succeed.
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	pr, pw = io.Pipe()
	go func() { done <- streamFeed(ctx, pipeFlusher{pw}, "sup-a", load, timing) }()
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("a cancelled stream is not an error: %v", err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("the stream did not stop after its context ended")
	}
	pw.Close()
}

package store

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

// seedOrders records n orders: o-000 oldest to o-(n-1) newest. Every third is
// a marketplace order of supplier sup-1, every fourth overdue, every fifth
// needs attention, even ones belong to owner-a, and o-007 has a distinctive title.
func seedOrders(t *testing.T, s *Store, n int) {
	t.Helper()
	ctx := testContext(t)
	for i := range n {
		o := Order{
			ID: fmt.Sprintf("o-%03d", i), Flow: "member", Status: "submitted", OwnerID: "owner-b",
			Title: fmt.Sprintf("Order number %d", i), Overdue: i%4 == 0, NeedsAttention: i%5 == 0,
			CreatedAt: t0.Add(time.Duration(i) * time.Minute),
		}
		if i%2 == 0 {
			o.OwnerID = "owner-a"
		}
		if i%3 == 0 {
			o.Flow, o.Status, o.SupplierID = "marketplace", "in_progress", "sup-1"
		}
		if i == 7 {
			o.Title = "Blue Widgets for ACME"
		}
		mustNoErr(t, s.RecordTransition(ctx, o, TimelineEntry{Seq: 1, At: o.CreatedAt, To: o.Status, Action: "create", ActorRole: "system"}))
	}
}

func ids(orders []Order) []string {
	out := make([]string, len(orders))
	for i, o := range orders {
		out[i] = o.ID
	}
	return out
}

// expectedIDs lists, newest first, the seeded ids among 0..n-1 that keep says to keep.
func expectedIDs(n int, keep func(i int) bool) []string {
	var out []string
	for i := n - 1; i >= 0; i-- {
		if keep(i) {
			out = append(out, fmt.Sprintf("o-%03d", i))
		}
	}
	return out
}

func TestListOrdersFilters(t *testing.T) {
	s, ctx := newTestStore(t), testContext(t)
	const n = 30
	seedOrders(t, s, n)
	yes, no := true, false

	cases := []struct {
		name   string
		filter OrderFilter
		keep   func(i int) bool
	}{
		{"no filter", OrderFilter{}, func(int) bool { return true }},
		{"flow", OrderFilter{Flow: "marketplace"}, func(i int) bool { return i%3 == 0 }},
		{"status", OrderFilter{Status: "submitted"}, func(i int) bool { return i%3 != 0 }},
		{"owner", OrderFilter{OwnerID: "owner-a"}, func(i int) bool { return i%2 == 0 }},
		{"supplier", OrderFilter{SupplierID: "sup-1"}, func(i int) bool { return i%3 == 0 }},
		{"overdue", OrderFilter{Overdue: &yes}, func(i int) bool { return i%4 == 0 }},
		{"not overdue", OrderFilter{Overdue: &no}, func(i int) bool { return i%4 != 0 }},
		{"needs attention", OrderFilter{NeedsAttention: &yes}, func(i int) bool { return i%5 == 0 }},
		{"q in title, any case", OrderFilter{Q: "bLuE wIdGeT"}, func(i int) bool { return i == 7 }},
		{"q in id", OrderFilter{Q: "O-01"}, func(i int) bool { return i >= 10 && i < 20 }},
		{"q with LIKE wildcards is literal", OrderFilter{Q: "o-0%"}, func(int) bool { return false }},
		{"combined", OrderFilter{Flow: "marketplace", OwnerID: "owner-a", Overdue: &yes}, func(i int) bool { return i%3 == 0 && i%2 == 0 && i%4 == 0 }},
		{"nothing matches", OrderFilter{Status: "nope"}, func(int) bool { return false }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.filter.Scopes = everyOrder
			page, err := s.ListOrders(ctx, c.filter)
			mustNoErr(t, err)
			got, want := strings.Join(ids(page.Orders), ","), strings.Join(expectedIDs(n, c.keep), ",")
			if got != want {
				t.Fatalf("ids = %s\nwant  %s", got, want)
			}
			if page.NextCursor != "" {
				t.Fatalf("a single page has a next cursor %q", page.NextCursor)
			}
		})
	}
}

func TestListOrdersPagesWithACursor(t *testing.T) {
	s, ctx := newTestStore(t), testContext(t)
	const n = 23
	seedOrders(t, s, n)
	// Two orders created at the same instant: the id breaks the tie across pages.
	twin := t0.Add(100 * time.Minute)
	for _, id := range []string{"z-twin-1", "z-twin-2"} {
		mustNoErr(t, s.RecordTransition(ctx, Order{ID: id, Flow: "member", Status: "submitted", OwnerID: "owner-a", CreatedAt: twin},
			TimelineEntry{Seq: 1, At: twin, To: "submitted", Action: "create", ActorRole: "system"}))
	}
	want := append([]string{"z-twin-2", "z-twin-1"}, expectedIDs(n, func(int) bool { return true })...)

	var got []string
	filter := OrderFilter{Scopes: everyOrder, Limit: 4}
	for pages := 0; ; pages++ {
		if pages > len(want) {
			t.Fatal("paging does not end")
		}
		page, err := s.ListOrders(ctx, filter)
		mustNoErr(t, err)
		if len(page.Orders) > 4 {
			t.Fatalf("page of %d orders, limit 4", len(page.Orders))
		}
		got = append(got, ids(page.Orders)...)
		if page.NextCursor == "" {
			break
		}
		filter.Cursor = page.NextCursor
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("paged ids = %v\nwant        %v", got, want)
	}

	t.Run("filtered paging", func(t *testing.T) {
		filter := OrderFilter{Scopes: everyOrder, OwnerID: "owner-b", Limit: 6}
		first, err := s.ListOrders(ctx, filter)
		mustNoErr(t, err)
		filter.Cursor = first.NextCursor
		second, err := s.ListOrders(ctx, filter)
		mustNoErr(t, err)
		all := append(ids(first.Orders), ids(second.Orders)...)
		wantOdd := expectedIDs(n, func(i int) bool { return i%2 == 1 })
		if strings.Join(all, ",") != strings.Join(wantOdd, ",") || second.NextCursor != "" {
			t.Fatalf("ids = %v (next %q), want %v", all, second.NextCursor, wantOdd)
		}
	})
}

func TestListOrdersLimits(t *testing.T) {
	s, ctx := newTestStore(t), testContext(t)
	seedOrders(t, s, MaxLimit+5)
	for _, c := range []struct{ limit, want int }{{0, DefaultLimit}, {-3, DefaultLimit}, {7, 7}, {MaxLimit + 100, MaxLimit}} {
		page, err := s.ListOrders(ctx, OrderFilter{Scopes: everyOrder, Limit: c.limit})
		mustNoErr(t, err)
		if len(page.Orders) != c.want || page.NextCursor == "" {
			t.Fatalf("limit %d: %d orders (next %q), want %d and a next cursor", c.limit, len(page.Orders), page.NextCursor, c.want)
		}
	}
}

func TestListOrdersRefusesForeignCursors(t *testing.T) {
	s, ctx := newTestStore(t), testContext(t)
	seedOrders(t, s, 10)
	page, err := s.ListOrders(ctx, OrderFilter{Scopes: everyOrder, Limit: 3})
	mustNoErr(t, err)
	cursor := page.NextCursor
	if cursor == "" {
		t.Fatal("no next cursor")
	}
	raw := []byte(cursor)
	raw[len(raw)/2] ^= 0x01 // one character changed
	tampered := string(raw)

	// A well-formed cursor moved elsewhere, as a curious client would edit it.
	pos, err := decodeCursor(cursor, OrderFilter{Scopes: everyOrder}.fingerprint())
	mustNoErr(t, err)
	pos.ID = "o-009"
	editedJSON, err := json.Marshal(pos)
	mustNoErr(t, err)
	edited := base64.RawURLEncoding.EncodeToString(editedJSON)

	yes := true
	for name, f := range map[string]OrderFilter{
		"edited position": {Scopes: everyOrder, Cursor: edited},
		"tampered":        {Scopes: everyOrder, Cursor: tampered},
		"truncated":       {Scopes: everyOrder, Cursor: cursor[:len(cursor)-4]},
		"garbage":         {Scopes: everyOrder, Cursor: "not a cursor!"},
		"base64 of junk":  {Scopes: everyOrder, Cursor: "eyJ0IjoxfQ"}, // {"t":1}
		"other filters":   {Scopes: everyOrder, Cursor: cursor, Overdue: &yes},
		"other owner":     {Scopes: everyOrder, Cursor: cursor, OwnerID: "owner-a"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := s.ListOrders(ctx, f)
			wantErrIs(t, err, ErrInvalidCursor)
		})
	}

	t.Run("a changed page size keeps the cursor valid", func(t *testing.T) {
		next, err := s.ListOrders(ctx, OrderFilter{Scopes: everyOrder, Cursor: cursor, Limit: 50})
		mustNoErr(t, err)
		if len(next.Orders) != 7 {
			t.Fatalf("%d orders after the first page of 3, want 7", len(next.Orders))
		}
	})
}

// everyOrder are the scopes of a caller who may list every order of both flows.
var everyOrder = []Scope{{Flow: "marketplace"}, {Flow: "member"}}

// A caller lists only what its scopes hold: nothing without one, a flow's
// orders, one owner's, one supplier's.
func TestListOrdersKeepsToTheScopes(t *testing.T) {
	s, ctx := newTestStore(t), testContext(t)
	const n = 12
	seedOrders(t, s, n)
	for _, c := range []struct {
		name   string
		scopes []Scope
		keep   func(i int) bool
	}{
		{"no scope", nil, func(int) bool { return false }},
		{"one flow", []Scope{{Flow: "marketplace"}}, func(i int) bool { return i%3 == 0 }},
		{"an owner's", []Scope{{Flow: "member", OwnerID: "owner-a"}}, func(i int) bool { return i%3 != 0 && i%2 == 0 }},
		{"a supplier's", []Scope{{Flow: "marketplace", SupplierID: "sup-1"}}, func(i int) bool { return i%3 == 0 }},
		{"either of two", []Scope{{Flow: "marketplace", OwnerID: "owner-a"}, {Flow: "member", OwnerID: "owner-b"}},
			func(i int) bool { return (i%3 == 0 && i%2 == 0) || (i%3 != 0 && i%2 != 0) }},
	} {
		page, err := s.ListOrders(ctx, OrderFilter{Scopes: c.scopes})
		mustNoErr(t, err)
		if got, want := strings.Join(ids(page.Orders), ","), strings.Join(expectedIDs(n, c.keep), ","); got != want {
			t.Errorf("%s: ids = %s\nwant  %s", c.name, got, want)
		}
	}
}

// Member drafts are the member's own: a scope with CreatorOnly drafts leaves
// them out, but those whose recorded view's create entry names its Creator.
func TestListOrdersHidesDraftsFromStaff(t *testing.T) {
	s, ctx := newTestStore(t), testContext(t)
	record := func(id, flow, status, creatorRole, creator string, i int) {
		view := fmt.Sprintf(`{"id": %q, "timeline": [{"seq": 1, "action": "create", "actor_role": %q, "actor_id": %q}]}`, id, creatorRole, creator)
		o := Order{ID: id, Flow: flow, Status: status, OwnerID: "m-1", Title: id, View: json.RawMessage(view),
			CreatedAt: t0.Add(time.Duration(i) * time.Minute)}
		mustNoErr(t, s.RecordTransition(ctx, o, TimelineEntry{Seq: 1, At: o.CreatedAt, To: status, Action: "create", ActorRole: creatorRole, ActorID: creator}))
	}
	record("d-member", "member", "draft", "member", "m-1", 1)
	record("d-staff-1", "member", "draft", "staff", "s-1", 2)
	record("d-staff-2", "member", "draft", "staff", "s-2", 3)
	record("submitted", "member", "smart_confirmation", "member", "m-1", 4)
	record("market", "marketplace", "pending", "customer", "s-1", 5)
	staffOf := func(id string) []Scope {
		return []Scope{{Flow: "marketplace"}, {Flow: "member", CreatorOnly: []string{"draft"}, Creator: Creator{"staff", id}}}
	}

	for _, c := range []struct {
		f    OrderFilter
		want string
	}{
		{OrderFilter{Scopes: everyOrder}, "market submitted d-staff-2 d-staff-1 d-member"},
		{OrderFilter{Scopes: staffOf("s-1")}, "market submitted d-staff-1"},
		{OrderFilter{Scopes: staffOf("s-1"), Status: "draft"}, "d-staff-1"},
		{OrderFilter{Scopes: staffOf("s-3"), Status: "draft"}, ""},
		{OrderFilter{Scopes: []Scope{{Flow: "member", CreatorOnly: []string{"draft"}, Creator: Creator{"staff", "m-1"}}}, Status: "draft"}, ""}, // a member id is no staff creator
		{OrderFilter{Scopes: staffOf(""), Q: "d-"}, ""},
	} {
		page, err := s.ListOrders(ctx, c.f)
		mustNoErr(t, err)
		if got := strings.Join(ids(page.Orders), " "); got != c.want {
			t.Errorf("%+v: %q, want %q", c.f, got, c.want)
		}
	}
	// A cursor of the staff list is not one of the unfiltered list.
	page, err := s.ListOrders(ctx, OrderFilter{Scopes: staffOf("s-1"), Limit: 1})
	mustNoErr(t, err)
	if _, err := s.ListOrders(ctx, OrderFilter{Scopes: everyOrder, Cursor: page.NextCursor}); err == nil {
		t.Error("a staff list's cursor pages the unfiltered list")
	}
}

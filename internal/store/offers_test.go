package store

import (
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"
)

// marketplaceAt records transition seq of a marketplace order into status.
func marketplaceAt(t *testing.T, s *Store, id string, seq int64, status string) {
	t.Helper()
	at := t0.Add(time.Duration(seq) * time.Minute)
	deadline := at.Add(2 * time.Hour)
	o := Order{
		ID: id, Flow: "marketplace", Status: status, OwnerID: "cust-1", Title: "Bricks for " + id,
		NextDeadline: &deadline, View: json.RawMessage(fmt.Sprintf(`{"id": %q, "status": %q}`, id, status)),
		CreatedAt: t0,
	}
	e := TimelineEntry{Seq: seq, At: at, To: status, Action: "act", ActorRole: "system"}
	mustNoErr(t, s.RecordTransition(testContext(t), o, e))
}

func createSuppliers(t *testing.T, s *Store, ids ...string) {
	t.Helper()
	for _, id := range ids {
		_, err := s.CreateSupplier(testContext(t), supplier(id, 50))
		mustNoErr(t, err)
	}
}

func offerSummary(offers []Offer) []string {
	out := make([]string, len(offers))
	for i, o := range offers {
		out[i] = fmt.Sprintf("%s r%d #%d %s", o.SupplierID, o.Round, o.Rank, o.OfferedAt.Format(time.RFC3339))
	}
	return out
}

func feedIDs(items []FeedItem) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = it.OrderID
	}
	return out
}

func TestRecordOffersIsIdempotentAndKeepsTheFirstRoundAndRank(t *testing.T) {
	s, ctx := newTestStore(t), testContext(t)
	createSuppliers(t, s, "sup-a", "sup-b", "sup-c", "sup-d")
	t1, t2 := t0.Add(time.Hour), t0.Add(3*time.Hour)

	mustNoErr(t, s.RecordOffers(ctx, "o-1", 1, []string{"sup-c", "sup-a", "sup-b"}, t1))
	// A retry with another clock and another order changes nothing.
	mustNoErr(t, s.RecordOffers(ctx, "o-1", 1, []string{"sup-a", "sup-b", "sup-c"}, t2))
	// The expiring round names everyone; the first three keep their offer.
	mustNoErr(t, s.RecordOffers(ctx, "o-1", 2, []string{"sup-c", "sup-a", "sup-b", "sup-d"}, t2))
	mustNoErr(t, s.RecordOffers(ctx, "o-1", 2, []string{"sup-c", "sup-a", "sup-b", "sup-d"}, t2))

	offers, err := s.Offers(ctx, "o-1")
	mustNoErr(t, err)
	want := []string{
		"sup-c r1 #1 " + t1.Format(time.RFC3339),
		"sup-a r1 #2 " + t1.Format(time.RFC3339),
		"sup-b r1 #3 " + t1.Format(time.RFC3339),
		"sup-d r2 #4 " + t2.Format(time.RFC3339),
	}
	if got := offerSummary(offers); !slices.Equal(got, want) {
		t.Fatalf("offers = %v, want %v", got, want)
	}
	for _, o := range offers {
		if o.OrderID != "o-1" || o.DeclinedAt != nil || o.DeclineReason != "" {
			t.Fatalf("offer = %+v", o)
		}
	}
	if other, err := s.Offers(ctx, "o-unknown"); err != nil || len(other) != 0 {
		t.Fatalf("offers of an unknown order = %v, %v; want none", other, err)
	}
}

func TestRecordOffersRefusesBadInputAndRecordsNothing(t *testing.T) {
	s, ctx := newTestStore(t), testContext(t)
	createSuppliers(t, s, "sup-a", "sup-b")
	for name, call := range map[string]func() error{
		"no order id":         func() error { return s.RecordOffers(ctx, "", 1, []string{"sup-a"}, t0) },
		"round zero":          func() error { return s.RecordOffers(ctx, "o-1", 0, []string{"sup-a"}, t0) },
		"empty supplier id":   func() error { return s.RecordOffers(ctx, "o-1", 1, []string{"sup-a", ""}, t0) },
		"supplier twice":      func() error { return s.RecordOffers(ctx, "o-1", 1, []string{"sup-a", "sup-b", "sup-a"}, t0) },
		"an unknown supplier": func() error { return s.RecordOffers(ctx, "o-1", 1, []string{"sup-a", "sup-nobody"}, t0) },
	} {
		t.Run(name, func(t *testing.T) { wantErrIs(t, call(), ErrInvalid) })
	}
	offers, err := s.Offers(ctx, "o-1")
	mustNoErr(t, err)
	if len(offers) != 0 {
		t.Fatalf("refused calls recorded %v", offerSummary(offers))
	}
	mustNoErr(t, s.RecordOffers(ctx, "o-1", 1, nil, t0)) // no eligible supplier: nothing to offer
}

func TestRecordOffersWithoutTimeUsesNow(t *testing.T) {
	s, ctx := newTestStore(t), testContext(t)
	createSuppliers(t, s, "sup-a")
	mustNoErr(t, s.RecordOffers(ctx, "o-1", 1, []string{"sup-a"}, time.Time{}))
	mustNoErr(t, s.RecordDecline(ctx, "o-1", "sup-a", "", time.Time{}))
	offer, found, err := s.OfferedTo(ctx, "o-1", "sup-a")
	mustNoErr(t, err)
	near := func(at time.Time) bool {
		return at.After(time.Now().Add(-time.Hour)) && at.Before(time.Now().Add(time.Hour))
	}
	if !found || !near(offer.OfferedAt) || offer.DeclinedAt == nil || !near(*offer.DeclinedAt) {
		t.Fatalf("offer = %+v, found %t; want offered and declined about now", offer, found)
	}
}

func TestRecordDeclineKeepsTheFirst(t *testing.T) {
	s, ctx := newTestStore(t), testContext(t)
	createSuppliers(t, s, "sup-a", "sup-b")
	mustNoErr(t, s.RecordOffers(ctx, "o-1", 1, []string{"sup-a", "sup-b"}, t0))

	first := t0.Add(10 * time.Minute)
	mustNoErr(t, s.RecordDecline(ctx, "o-1", "sup-b", "no stock", first))
	mustNoErr(t, s.RecordDecline(ctx, "o-1", "sup-b", "changed my mind", first.Add(time.Hour)))

	offer, found, err := s.OfferedTo(ctx, "o-1", "sup-b")
	mustNoErr(t, err)
	if !found || offer.DeclinedAt == nil || !offer.DeclinedAt.Equal(first) || offer.DeclineReason != "no stock" ||
		offer.Rank != 2 || offer.Round != 1 || !offer.OfferedAt.Equal(t0) {
		t.Fatalf("offer = %+v, found %t; want declined at %s for no stock", offer, found, first)
	}
	other, found, err := s.OfferedTo(ctx, "o-1", "sup-a")
	mustNoErr(t, err)
	if !found || other.DeclinedAt != nil {
		t.Fatalf("sup-a's offer = %+v, found %t; want it open", other, found)
	}

	wantErrIs(t, s.RecordDecline(ctx, "o-2", "sup-a", "never offered", first), ErrNotFound)
	wantErrIs(t, s.RecordDecline(ctx, "o-1", "", "who?", first), ErrInvalid)
	if _, found, err := s.OfferedTo(ctx, "o-2", "sup-a"); err != nil || found {
		t.Fatalf("OfferedTo of an order never offered = %t, %v; want false", found, err)
	}
}

func TestFeedFollowsOffersDeclinesAndOrderStatus(t *testing.T) {
	s, ctx := newTestStore(t), testContext(t)
	createSuppliers(t, s, "sup-a", "sup-b", "sup-c")
	feed := func(supplierID string) []FeedItem {
		t.Helper()
		items, err := s.Feed(ctx, supplierID)
		mustNoErr(t, err)
		return items
	}

	// Offered but still screening (the transition has not landed): not on the feed.
	mustNoErr(t, s.RecordOffers(ctx, "o-1", 1, []string{"sup-a", "sup-b"}, t0.Add(5*time.Minute)))
	marketplaceAt(t, s, "o-1", 1, "screening")
	if got := feed("sup-a"); len(got) != 0 {
		t.Fatalf("feed while screening = %v", feedIDs(got))
	}

	marketplaceAt(t, s, "o-1", 2, "pending")
	items := feed("sup-a")
	deadline := t0.Add(2*time.Minute + 2*time.Hour)
	if len(items) != 1 || items[0].OrderID != "o-1" || items[0].Status != "pending" || items[0].Title != "Bricks for o-1" ||
		!items[0].OfferedAt.Equal(t0.Add(5*time.Minute)) || items[0].NextDeadline == nil || !items[0].NextDeadline.Equal(deadline) {
		t.Fatalf("feed of sup-a = %+v", items)
	}
	var view struct{ ID, Status string }
	mustNoErr(t, json.Unmarshal(items[0].View, &view))
	if view.ID != "o-1" || view.Status != "pending" {
		t.Fatalf("view = %s", items[0].View)
	}
	if got := feed("sup-c"); len(got) != 0 {
		t.Fatalf("sup-c was not offered o-1 but sees %v", feedIDs(got))
	}

	// A second order offered earlier comes first.
	mustNoErr(t, s.RecordOffers(ctx, "o-2", 1, []string{"sup-a"}, t0))
	marketplaceAt(t, s, "o-2", 2, "pending")
	if got := feedIDs(feed("sup-a")); !slices.Equal(got, []string{"o-2", "o-1"}) {
		t.Fatalf("feed of sup-a = %v, want o-2 (offered first) then o-1", got)
	}

	mustNoErr(t, s.RecordDecline(ctx, "o-1", "sup-b", "too far", t0.Add(20*time.Minute)))
	if got := feed("sup-b"); len(got) != 0 {
		t.Fatalf("sup-b declined o-1 but sees %v", feedIDs(got))
	}

	// Expiring: offered to everyone; still on the feed, with its new status.
	marketplaceAt(t, s, "o-1", 3, "pending_expiring")
	mustNoErr(t, s.RecordOffers(ctx, "o-1", 2, []string{"sup-a", "sup-b", "sup-c"}, t0.Add(2*time.Hour)))
	if got := feed("sup-c"); len(got) != 1 || got[0].Status != "pending_expiring" {
		t.Fatalf("feed of sup-c once expiring = %+v", got)
	}
	if got := feed("sup-b"); len(got) != 0 {
		t.Fatalf("sup-b declined o-1 but sees it again once expiring: %v", feedIDs(got))
	}

	// Accepted: it leaves every feed; the offer stays visible to OfferedTo.
	marketplaceAt(t, s, "o-1", 4, "in_progress")
	if got := feedIDs(feed("sup-a")); !slices.Equal(got, []string{"o-2"}) {
		t.Fatalf("feed of sup-a after o-1 was accepted = %v, want only o-2", got)
	}
	if got := feed("sup-c"); len(got) != 0 {
		t.Fatalf("feed of sup-c after o-1 was accepted = %v", feedIDs(got))
	}
	if _, found, err := s.OfferedTo(ctx, "o-1", "sup-c"); err != nil || !found {
		t.Fatalf("OfferedTo after the order left the feed = %t, %v; want found", found, err)
	}

	for _, final := range []string{"cancelled", "expired"} {
		id := "o-" + final
		mustNoErr(t, s.RecordOffers(ctx, id, 1, []string{"sup-c"}, t0))
		marketplaceAt(t, s, id, 1, "pending")
		marketplaceAt(t, s, id, 2, final)
	}
	if got := feed("sup-c"); len(got) != 0 {
		t.Fatalf("cancelled or expired orders stay on the feed: %v", feedIDs(got))
	}
}

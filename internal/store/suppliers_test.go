package store

import (
	"fmt"
	"slices"
	"sync"
	"testing"
)

func supplier(id string, rating int) Supplier {
	return Supplier{ID: id, Name: "Supplier " + id, Email: id + "@example.com",
		Categories: []string{"office", "furniture"}, Regions: []string{"north", "south"}, Rating: rating, Active: true}
}

func supplierIDs(list []Supplier) []string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = s.ID
	}
	return out
}

func TestSupplierLifecycle(t *testing.T) {
	s, ctx := newTestStore(t), testContext(t)
	created, err := s.CreateSupplier(ctx, supplier("sup-1", 80))
	mustNoErr(t, err)
	if created.CreatedAt.IsZero() || !created.Active || !slices.Equal(created.Regions, []string{"north", "south"}) {
		t.Fatalf("created = %+v", created)
	}
	_, err = s.CreateSupplier(ctx, supplier("sup-1", 10))
	wantErrIs(t, err, ErrConflict)

	updated, err := s.UpdateSupplier(ctx, "sup-1", func(sup *Supplier) {
		sup.Name, sup.Rating, sup.Categories, sup.Active, sup.ID = "Renamed", 55, nil, false, "sup-other"
	})
	mustNoErr(t, err)
	if updated.ID != "sup-1" || updated.Name != "Renamed" || updated.Rating != 55 || len(updated.Categories) != 0 || !updated.Active {
		t.Fatalf("updated = %+v, want sup-1 renamed, rating 55, no categories, still active", updated)
	}
	_, err = s.UpdateSupplier(ctx, "sup-missing", func(sup *Supplier) { sup.Rating = 1 })
	wantErrIs(t, err, ErrNotFound)
	_, err = s.UpdateSupplier(ctx, "sup-1", func(sup *Supplier) { sup.Rating = 101 })
	wantErrIs(t, err, ErrInvalid)

	mustNoErr(t, s.DeactivateSupplier(ctx, "sup-1"))
	mustNoErr(t, s.DeactivateSupplier(ctx, "sup-1"))
	got, err := s.GetSupplier(ctx, "sup-1")
	mustNoErr(t, err)
	if got.Active {
		t.Fatal("deactivated supplier is active")
	}
	wantErrIs(t, s.DeactivateSupplier(ctx, "sup-missing"), ErrNotFound)
	_, err = s.GetSupplier(ctx, "sup-missing")
	wantErrIs(t, err, ErrNotFound)

	mustNoErr(t, s.ActivateSupplier(ctx, "sup-1"))
	got, err = s.GetSupplier(ctx, "sup-1")
	mustNoErr(t, err)
	if !got.Active {
		t.Fatal("reactivated supplier is inactive")
	}
}

func TestSupplierValidation(t *testing.T) {
	s, ctx := newTestStore(t), testContext(t)
	for name, spoil := range map[string]func(*Supplier){
		"rating above 100": func(s *Supplier) { s.Rating = 101 },
		"negative rating":  func(s *Supplier) { s.Rating = -1 },
		"no name":          func(s *Supplier) { s.Name = "" },
		"no email":         func(s *Supplier) { s.Email = "" },
		"no id":            func(s *Supplier) { s.ID = "" },
	} {
		t.Run(name, func(t *testing.T) {
			sup := supplier("sup-x", 50)
			spoil(&sup)
			_, err := s.CreateSupplier(ctx, sup)
			wantErrIs(t, err, ErrInvalid)
		})
	}
}

func TestListSuppliers(t *testing.T) {
	s, ctx := newTestStore(t), testContext(t)
	for _, id := range []string{"b", "a", "c"} {
		_, err := s.CreateSupplier(ctx, supplier(id, 50))
		mustNoErr(t, err)
	}
	mustNoErr(t, s.DeactivateSupplier(ctx, "b"))

	active, err := s.ListSuppliers(ctx, false)
	mustNoErr(t, err)
	all, err := s.ListSuppliers(ctx, true)
	mustNoErr(t, err)
	if got := supplierIDs(active); !slices.Equal(got, []string{"a", "c"}) {
		t.Fatalf("active = %v", got)
	}
	if got := supplierIDs(all); !slices.Equal(got, []string{"a", "b", "c"}) {
		t.Fatalf("all = %v", got)
	}
}

func TestEligibleSuppliersRanking(t *testing.T) {
	s, ctx := newTestStore(t), testContext(t)
	create := func(sup Supplier) {
		t.Helper()
		_, err := s.CreateSupplier(ctx, sup)
		mustNoErr(t, err)
	}
	create(supplier("s-top", 95))
	create(supplier("s-busy", 80)) // same rating as s-idle and s-also-idle, more open orders
	create(supplier("s-idle", 80)) // no open orders; beats s-also-idle... no: id breaks that tie
	create(supplier("s-also-idle", 80))
	create(supplier("s-low", 10))
	inactive := supplier("s-inactive", 100)
	inactive.Active = false
	create(inactive)
	wrongCategory := supplier("s-food", 100)
	wrongCategory.Categories = []string{"food"}
	create(wrongCategory)
	wrongRegion := supplier("s-east", 100)
	wrongRegion.Regions = []string{"east"}
	create(wrongRegion)

	// Open orders: s-busy 2, s-also-idle 1, s-idle 0 (a completed order is not open).
	openOrder := func(id, supplierID, status string) {
		t.Helper()
		mustNoErr(t, s.RecordTransition(ctx,
			Order{ID: id, Flow: "marketplace", Status: status, OwnerID: "c-1", SupplierID: supplierID},
			TimelineEntry{Seq: 1, At: t0, To: status, Action: "accept", ActorRole: "supplier"}))
	}
	openOrder("m-1", "s-busy", "in_progress")
	openOrder("m-2", "s-busy", "in_progress")
	openOrder("m-3", "s-idle", "completed")
	openOrder("m-4", "s-also-idle", "in_progress")

	got, err := s.EligibleSuppliers(ctx, "office", "north")
	mustNoErr(t, err)
	want := []string{"s-top", "s-idle", "s-also-idle", "s-busy", "s-low"}
	if !slices.Equal(supplierIDs(got), want) {
		t.Fatalf("ranking = %v, want %v", supplierIDs(got), want)
	}

	// s-idle now has 1 open order too: the id decides between it and s-also-idle.
	openOrder("m-5", "s-idle", "in_progress")
	got, err = s.EligibleSuppliers(ctx, "office", "north")
	mustNoErr(t, err)
	want = []string{"s-top", "s-also-idle", "s-idle", "s-busy", "s-low"}
	if !slices.Equal(supplierIDs(got), want) {
		t.Fatalf("ranking = %v, want %v", supplierIDs(got), want)
	}

	for _, c := range []struct {
		category, region string
		want             []string
	}{
		{"food", "north", []string{"s-food"}},
		{"office", "east", []string{"s-east"}},
		{"Office", "north", []string{}}, // categories match exactly, case included
	} {
		got, err := s.EligibleSuppliers(ctx, c.category, c.region)
		mustNoErr(t, err)
		if !slices.Equal(supplierIDs(got), c.want) {
			t.Fatalf("%s/%s: ranking = %v, want %v", c.category, c.region, supplierIDs(got), c.want)
		}
	}
}

// Updates at once each build on the other's result: none is lost.
func TestConcurrentSupplierUpdatesKeepEveryChange(t *testing.T) {
	s, ctx := newTestStore(t), testContext(t)
	sup := supplier("sup-busy", 50)
	sup.Regions = nil
	_, err := s.CreateSupplier(ctx, sup)
	mustNoErr(t, err)
	const n = 12
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			_, err := s.UpdateSupplier(ctx, "sup-busy", func(sup *Supplier) {
				sup.Regions = append(sup.Regions, fmt.Sprintf("region-%02d", i))
			})
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		mustNoErr(t, err)
	}
	got, err := s.GetSupplier(ctx, "sup-busy")
	mustNoErr(t, err)
	if len(got.Regions) != n {
		t.Fatalf("%d regions after %d concurrent additions, want every one: %v", len(got.Regions), n, got.Regions)
	}
}

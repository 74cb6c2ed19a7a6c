package store

import (
	"slices"
	"testing"
)

func TestSeedDemoSuppliersIsIdempotentAndKeepsEdits(t *testing.T) {
	s, ctx := newTestStore(t), testContext(t)
	// An id taken before seeding is left alone.
	taken := supplier("sup_demo_2", 10)
	_, err := s.CreateSupplier(ctx, taken)
	mustNoErr(t, err)

	created, err := s.SeedDemoSuppliers(ctx)
	mustNoErr(t, err)
	if created != len(demoSuppliers)-1 {
		t.Fatalf("created %d, want %d", created, len(demoSuppliers)-1)
	}
	all, err := s.ListSuppliers(ctx, true)
	mustNoErr(t, err)
	if len(all) != len(demoSuppliers) {
		t.Fatalf("suppliers = %v", supplierIDs(all))
	}
	for _, sup := range all {
		if !sup.Active || sup.Name == "" || sup.Email == "" || len(sup.Categories) == 0 || len(sup.Regions) == 0 {
			t.Fatalf("demo supplier %+v is incomplete or inactive", sup)
		}
	}
	got, err := s.GetSupplier(ctx, "sup_demo_2")
	mustNoErr(t, err)
	if got.Rating != 10 || got.Name != taken.Name {
		t.Fatalf("seeding overwrote an existing supplier: %+v", got)
	}

	_, err = s.UpdateSupplier(ctx, demoSuppliers[0].ID, func(sup *Supplier) { sup.Rating = 1 })
	mustNoErr(t, err)
	mustNoErr(t, s.DeactivateSupplier(ctx, "sup_demo_5"))
	created, err = s.SeedDemoSuppliers(ctx)
	mustNoErr(t, err)
	if created != 0 {
		t.Fatalf("second seed created %d", created)
	}
	got, err = s.GetSupplier(ctx, demoSuppliers[0].ID)
	mustNoErr(t, err)
	if got.Rating != 1 {
		t.Fatalf("seeding undid an edit: rating %d", got.Rating)
	}
	if got, err := s.GetSupplier(ctx, "sup_demo_5"); err != nil || got.Active {
		t.Fatalf("seeding reactivated a deactivated supplier: %+v, %v", got, err)
	}
}

// The demo data must show the ranking: more than three eligible suppliers
// for one category and region, with distinct ratings.
func TestDemoSuppliersShowTheRanking(t *testing.T) {
	s, ctx := newTestStore(t), testContext(t)
	_, err := s.SeedDemoSuppliers(ctx)
	mustNoErr(t, err)
	eligible, err := s.EligibleSuppliers(ctx, "building", "BE-BRU")
	mustNoErr(t, err)
	want := []string{"sup_demo_1", "sup_demo_2", "sup_demo_3", "sup_demo_6"}
	if got := supplierIDs(eligible); !slices.Equal(got, want) {
		t.Fatalf("eligible for building in BE-BRU = %v, want %v", got, want)
	}
	for _, category := range []string{"electrical", "office"} {
		for _, region := range []string{"BE-BRU", "BE-VLG", "BE-WAL"} {
			list, err := s.EligibleSuppliers(ctx, category, region)
			mustNoErr(t, err)
			if len(list) == 0 {
				t.Errorf("no demo supplier for %s in %s", category, region)
			}
		}
	}
}

package store

import (
	"context"
	"fmt"
)

// demoSuppliers cover three categories over the three Belgian regions, with
// distinct ratings so the ranking is visible: building in BE-BRU has four
// eligible suppliers, so an expiring order reaches one more than the top three.
var demoSuppliers = []Supplier{
	{ID: "sup_demo_1", Name: "Brico Bruxelles", Email: "orders@brico-bruxelles.example",
		Categories: []string{"building", "electrical"}, Regions: []string{"BE-BRU"}, Rating: 92},
	{ID: "sup_demo_2", Name: "Vlaamse Bouwmaterialen", Email: "verkoop@vlaamse-bouw.example",
		Categories: []string{"building"}, Regions: []string{"BE-VLG", "BE-BRU"}, Rating: 85},
	{ID: "sup_demo_3", Name: "Wallonie Électricité", Email: "commandes@wallonie-elec.example",
		Categories: []string{"electrical", "building"}, Regions: []string{"BE-WAL", "BE-BRU"}, Rating: 78},
	{ID: "sup_demo_4", Name: "OfficeLine Benelux", Email: "sales@officeline.example",
		Categories: []string{"office"}, Regions: []string{"BE-BRU", "BE-VLG", "BE-WAL"}, Rating: 88},
	{ID: "sup_demo_5", Name: "Kantoor & Co", Email: "bestel@kantoorenco.example",
		Categories: []string{"office", "electrical"}, Regions: []string{"BE-VLG"}, Rating: 70},
	{ID: "sup_demo_6", Name: "Ardennes Matériaux", Email: "info@ardennes-materiaux.example",
		Categories: []string{"building"}, Regions: []string{"BE-WAL", "BE-BRU"}, Rating: 64},
}

// SeedDemoSuppliers creates the demo suppliers that do not exist yet, active,
// and returns how many it created. Existing ones, demo or not, are left as
// they are, so edits made while trying the product survive a restart.
func (s *Store) SeedDemoSuppliers(ctx context.Context) (int, error) {
	created := 0
	for _, sup := range demoSuppliers {
		tag, err := s.pool.Exec(ctx, `
			INSERT INTO suppliers (id, name, email, categories, regions, rating, active)
			VALUES ($1, $2, $3, $4, $5, $6, true)
			ON CONFLICT (id) DO NOTHING`,
			sup.ID, sup.Name, sup.Email, sup.Categories, sup.Regions, sup.Rating)
		if err != nil {
			return created, fmt.Errorf("store: seed demo supplier %s: %w", sup.ID, err)
		}
		created += int(tag.RowsAffected())
	}
	return created, nil
}

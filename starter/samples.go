package main

import (
	"fmt"
	"time"

	"github.com/orderflow/orderflow/lifecycle"
)

// sampleOrder is the README's order of a flow, dated from today so that
// its offer and schedule are still ahead.
func sampleOrder(flow string, today time.Time) (map[string]any, error) {
	day := func(offset int) string { return today.AddDate(0, 0, offset).Format(time.DateOnly) }
	switch flow {
	case lifecycle.MarketplaceFlow.Name:
		return map[string]any{
			"flow": lifecycle.MarketplaceFlow.Name, "customer_email": "ann@example.com", "customer_name": "Ann",
			"items": []map[string]any{
				{"sku": "CEM-25", "description": "Cement 25 kg", "quantity": 10, "unit_price": "6.50", "vat_rate": 21},
			},
			"category": "building", "payment_terms": "prepaid",
			"delivery": map[string]any{"address": []string{"Rue Haute 1", "1000 Brussels"}, "region": "BE-BRU", "requested_date": day(7)},
		}, nil
	case lifecycle.MemberFlow.Name:
		return map[string]any{
			"flow": lifecycle.MemberFlow.Name, "member_name": "Mia", "member_email": "mia@example.com",
			"client":            map[string]any{"name": "Carl", "company": "Client SA", "vat_number": "BE0123456789", "email": "carl@example.com"},
			"title":             "Website redesign",
			"lines":             []map[string]any{{"description": "Design and build", "quantity": 1, "unit_price": "2000.00", "vat_rate": 21}},
			"service_period":    map[string]any{"start": day(1), "end": day(61)},
			"schedule":          []map[string]any{{"date": day(30), "amount": "1000.00"}, {"date": day(60), "amount": "1000.00"}},
			"offer_valid_until": day(10),
		}, nil
	}
	return nil, fmt.Errorf("--flow must be marketplace or member, not %q", flow)
}

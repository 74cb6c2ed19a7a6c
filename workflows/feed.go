package workflows

import "github.com/orderflow/orderflow/internal/money"

// Marketplace order: what a supplier's live feed shows of it.

// FeedOrder is what a supplier sees of an order on its live feed: the goods,
// where and when, and what it would be paid; never the customer or their price.
type FeedOrder struct {
	Category     string        `json:"category"`
	Items        []FeedItem    `json:"items"`
	Delivery     DeliveryInfo  `json:"delivery"`
	SupplierCost *money.Amount `json:"supplier_cost,omitempty"`
	Deadlines    []Deadline    `json:"deadlines"`
}

// FeedItem is one line of goods without its price.
type FeedItem struct {
	SKU         string         `json:"sku"`
	Description string         `json:"description"`
	Quantity    money.Quantity `json:"quantity"`
}

// ForSupplier projects a marketplace order view (as the read model stores it)
// onto what a supplier may see.
func ForSupplier(v OrderView) FeedOrder {
	f := FeedOrder{Deadlines: nonNil(v.Deadlines), Items: []FeedItem{}}
	if m := v.Marketplace; m != nil {
		f.Category, f.Delivery, f.SupplierCost = m.Category, m.Delivery, m.SupplierCost
		for _, it := range m.Items {
			f.Items = append(f.Items, FeedItem{SKU: it.SKU, Description: it.Description, Quantity: it.Quantity})
		}
	}
	return f
}

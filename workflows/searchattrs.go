package workflows

import (
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
)

// Typed search attributes kept current by every order workflow, so staff can
// filter orders in the Temporal Web UI (e.g. `OrderStatus = "pending" AND NeedsAttention = true`).
var (
	OrderStatus    = temporal.NewSearchAttributeKeyKeyword("OrderStatus")
	OrderFlow      = temporal.NewSearchAttributeKeyKeyword("OrderFlow")
	OrderOwner     = temporal.NewSearchAttributeKeyKeyword("OrderOwner")
	SupplierID     = temporal.NewSearchAttributeKeyKeyword("SupplierId")
	NeedsAttention = temporal.NewSearchAttributeKeyBool("NeedsAttention")
	Overdue        = temporal.NewSearchAttributeKeyBool("Overdue")
	NextDeadline   = temporal.NewSearchAttributeKeyTime("NextDeadline")
)

// SearchAttributes is what dev mode, the test harness and the compose stack
// register in the namespace: name → type.
func SearchAttributes() map[string]enumspb.IndexedValueType {
	return map[string]enumspb.IndexedValueType{
		OrderStatus.GetName():    enumspb.INDEXED_VALUE_TYPE_KEYWORD,
		OrderFlow.GetName():      enumspb.INDEXED_VALUE_TYPE_KEYWORD,
		OrderOwner.GetName():     enumspb.INDEXED_VALUE_TYPE_KEYWORD,
		SupplierID.GetName():     enumspb.INDEXED_VALUE_TYPE_KEYWORD,
		NeedsAttention.GetName(): enumspb.INDEXED_VALUE_TYPE_BOOL,
		Overdue.GetName():        enumspb.INDEXED_VALUE_TYPE_BOOL,
		NextDeadline.GetName():   enumspb.INDEXED_VALUE_TYPE_DATETIME,
	}
}

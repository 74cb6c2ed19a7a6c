package workflows

import (
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/orderflow/orderflow/activities"
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
	// OfferedTo lists every supplier a marketplace order was offered to, in
	// any round, so "a supplier's orders" finds those still pending too
	// (SupplierId names the accepted one). Orders since version 2 of
	// ChangeLeanEngine.
	OfferedTo = temporal.NewSearchAttributeKeyKeywordList("OfferedTo")
	// OrderTotal is the order's total in euros, VAT included, and
	// ClientEmail the address of a member order's client (who it invoices),
	// so staff find large orders and a client's orders. Orders since version
	// 3 of ChangeLeanEngine.
	OrderTotal  = temporal.NewSearchAttributeKeyFloat64("OrderTotal")
	ClientEmail = temporal.NewSearchAttributeKeyKeyword("ClientEmail")
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
		OfferedTo.GetName():      enumspb.INDEXED_VALUE_TYPE_KEYWORD_LIST,
		OrderTotal.GetName():     enumspb.INDEXED_VALUE_TYPE_DOUBLE,
		ClientEmail.GetName():    enumspb.INDEXED_VALUE_TYPE_KEYWORD,
	}
}

// upsertSearchAttributes brings the search attributes up to date with row
// o: at once for orders before ChangeLeanEngine, at the next flushIndex for
// lean ones.
func (c *core) upsertSearchAttributes(ctx workflow.Context, o activities.OrderRow) {
	if c.lean {
		c.indexed.want = c.searchAttributes(o)
		return
	}
	updates := make([]temporal.SearchAttributeUpdate, 0, 7)
	for _, a := range c.searchAttributes(o) {
		updates = append(updates, a.update)
	}
	// Only fails on a bad attribute type, which is a code bug.
	if err := workflow.UpsertTypedSearchAttributes(ctx, updates...); err != nil {
		workflow.GetLogger(ctx).Error("upsert search attributes", "error", err)
	}
}

// indexedAttributes is what a lean order's search attributes say and what
// its latest record wants them to say; flushIndex upserts the difference.
type indexedAttributes struct {
	values map[string]any // name → value upserted (or set at start); nil: unset
	want   []searchAttribute
}

// searchAttribute is one search attribute's wanted value: value is its
// comparable form (nil for unset), update what sets it.
type searchAttribute struct {
	name   string
	value  any
	update temporal.SearchAttributeUpdate
}

// searchAttributes are the order's search attributes as of row o.
func (c *core) searchAttributes(o activities.OrderRow) []searchAttribute {
	attrs := []searchAttribute{
		{OrderStatus.GetName(), o.Status, OrderStatus.ValueSet(o.Status)},
		{OrderFlow.GetName(), o.Flow, OrderFlow.ValueSet(o.Flow)},
		{OrderOwner.GetName(), o.OwnerID, OrderOwner.ValueSet(o.OwnerID)},
		c.attentionAttribute(),
		{Overdue.GetName(), o.Overdue, Overdue.ValueSet(o.Overdue)},
	}
	if o.SupplierID != "" {
		attrs = append(attrs, searchAttribute{SupplierID.GetName(), o.SupplierID, SupplierID.ValueSet(o.SupplierID)})
	}
	if o.NextDeadline != nil {
		attrs = append(attrs, searchAttribute{NextDeadline.GetName(), o.NextDeadline.UTC().Format(time.RFC3339Nano), NextDeadline.ValueSet(*o.NextDeadline)})
	} else {
		attrs = append(attrs, searchAttribute{NextDeadline.GetName(), nil, NextDeadline.ValueUnset()})
	}
	if c.partiesIndexed {
		euros := float64(o.TotalCents) / 100
		attrs = append(attrs, searchAttribute{OrderTotal.GetName(), euros, OrderTotal.ValueSet(euros)})
		if f, ok := c.flow.(interface{ clientEmail() string }); ok && f.clientEmail() != "" {
			attrs = append(attrs, searchAttribute{ClientEmail.GetName(), f.clientEmail(), ClientEmail.ValueSet(f.clientEmail())})
		}
	}
	return attrs
}

func (c *core) attentionAttribute() searchAttribute {
	parked := c.Attention != nil
	return searchAttribute{NeedsAttention.GetName(), parked, NeedsAttention.ValueSet(parked)}
}

// startIndex is what the search attributes say when the run starts (the
// starter sets flow, owner and attention; a continued run keeps them all).
func (c *core) startIndex(ctx workflow.Context) {
	sa := workflow.GetTypedSearchAttributes(ctx)
	c.indexed.values = map[string]any{}
	for _, key := range []temporal.SearchAttributeKeyKeyword{OrderStatus, OrderFlow, OrderOwner, SupplierID, ClientEmail} {
		if v, ok := sa.GetKeyword(key); ok {
			c.indexed.values[key.GetName()] = v
		}
	}
	for _, key := range []temporal.SearchAttributeKeyBool{NeedsAttention, Overdue} {
		if v, ok := sa.GetBool(key); ok {
			c.indexed.values[key.GetName()] = v
		}
	}
	if v, ok := sa.GetTime(NextDeadline); ok {
		c.indexed.values[NextDeadline.GetName()] = v.UTC().Format(time.RFC3339Nano)
	}
	if v, ok := sa.GetFloat64(OrderTotal); ok {
		c.indexed.values[OrderTotal.GetName()] = v
	}
	if v, ok := sa.GetKeywordList(OfferedTo); ok {
		c.indexed.values[OfferedTo.GetName()] = strings.Join(v, ",")
	}
}

// offersAttribute is OfferedTo as the order's offers say now (unset while
// there are none, and for a member order).
func (c *core) offersAttribute() searchAttribute {
	var ids []string
	if f, ok := c.flow.(interface{ offeredTo() []string }); ok {
		ids = f.offeredTo()
	}
	if len(ids) == 0 {
		return searchAttribute{OfferedTo.GetName(), nil, OfferedTo.ValueUnset()}
	}
	// A list is not comparable: its joined form stands for it.
	return searchAttribute{OfferedTo.GetName(), strings.Join(ids, ","), OfferedTo.ValueSet(ids)}
}

// flushIndex upserts, in one command, the search attributes of a lean order
// that changed since the last upsert (attention as it is now). The state
// has settled for the workflow task here, so every order's current details
// are set here too (details.go: no command, for every order).
func (c *core) flushIndex(ctx workflow.Context) {
	c.showDetails(ctx)
	if !c.lean {
		return
	}
	want := append(c.indexed.want, c.attentionAttribute())
	if c.offersIndexed {
		want = append(want, c.offersAttribute())
	}
	c.indexed.want = nil // upserted below: values says it from now on
	var updates []temporal.SearchAttributeUpdate
	for _, a := range want {
		old, known := c.indexed.values[a.name]
		if (known && old == a.value) || (!known && a.value == nil) {
			continue
		}
		c.indexed.values[a.name] = a.value
		updates = append(updates, a.update)
	}
	if len(updates) == 0 {
		return
	}
	if err := workflow.UpsertTypedSearchAttributes(ctx, updates...); err != nil {
		workflow.GetLogger(ctx).Error("upsert search attributes", "error", err)
	}
}

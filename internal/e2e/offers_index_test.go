package e2e_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"testing"

	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/converter"

	"github.com/orderflow/orderflow/lifecycle"
	"github.com/orderflow/orderflow/workflows"
)

// Staff find a supplier's orders, those still offered to it included, by the
// OfferedTo search attribute (version 2 of the lean engine): it lists every
// supplier offered the order, and keeps them once one accepts (SupplierId
// names that one).
func TestOffersAreIndexedForStaff(t *testing.T) {
	m := newMarket(t, nil)
	id := m.releasedToSuppliers("c-70")
	var offered []string
	for _, o := range m.get(id, m.token(lifecycle.Purchasing, "p-1")).Marketplace.Offers {
		offered = append(offered, o.Supplier.ID)
	}
	m.eventually("OfferedTo lists the offered suppliers", func() bool { return slices.Equal(m.offeredToAttribute(id), offered) })
	for _, s := range offered {
		m.eventually(fmt.Sprintf("the filter OfferedTo = %q finds the order", s), func() bool { return m.countOrders(fmt.Sprintf("OfferedTo = %q", s)) == 1 })
	}
	if n := m.countOrders(`OfferedTo = "sup_nobody"`); n != 0 {
		t.Errorf("a supplier offered nothing finds %d orders", n)
	}
	m.act(id, "accept", m.token(lifecycle.Supplier, offered[0]), nil, http.StatusOK)
	m.eventually("accepted: SupplierId set", func() bool {
		return m.countOrders(fmt.Sprintf("SupplierId = %q", offered[0])) == 1
	})
	if got := m.offeredToAttribute(id); !slices.Equal(got, offered) {
		t.Errorf("after the acceptance OfferedTo is %v, want %v still", got, offered)
	}
}

// offeredToAttribute reads the order's OfferedTo search attribute.
func (m *market) offeredToAttribute(id string) []string {
	m.t.Helper()
	desc, err := m.sys.Temporal.DescribeWorkflowExecution(context.Background(), id, "")
	if err != nil {
		m.t.Fatal(err)
	}
	payload, ok := desc.GetWorkflowExecutionInfo().GetSearchAttributes().GetIndexedFields()[workflows.OfferedTo.GetName()]
	if !ok {
		return nil
	}
	var ids []string
	if err := converter.GetDefaultDataConverter().FromPayload(payload, &ids); err != nil {
		m.t.Fatal(err)
	}
	return ids
}

// countOrders counts the orders a Web UI filter finds.
func (m *market) countOrders(query string) int64 {
	m.t.Helper()
	resp, err := m.sys.Temporal.CountWorkflow(context.Background(), &workflowservice.CountWorkflowExecutionsRequest{Query: query})
	if err != nil {
		m.t.Fatalf("%s: %v", query, err)
	}
	return resp.GetCount()
}

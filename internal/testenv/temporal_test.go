package testenv

import (
	"context"
	"strings"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

var orderStatus = temporal.NewSearchAttributeKeyKeyword("OrderStatus")

func setStatus(ctx workflow.Context, status string) error {
	return workflow.UpsertTypedSearchAttributes(ctx, orderStatus.ValueSet(status))
}

func TestTemporalRunsWorkflowsFoundBySearchAttribute(t *testing.T) {
	began := time.Now()
	c, hostPort, namespace := Temporal(t, map[string]enumspb.IndexedValueType{
		"OrderStatus":    enumspb.INDEXED_VALUE_TYPE_KEYWORD,
		"NeedsAttention": enumspb.INDEXED_VALUE_TYPE_BOOL,
		"NextDeadline":   enumspb.INDEXED_VALUE_TYPE_DATETIME,
	})
	t.Logf("Temporal (server start included on first use) took %v", time.Since(began))
	if hostPort == "" || namespace == "" {
		t.Fatalf("Temporal returned host %q, namespace %q", hostPort, namespace)
	}

	w := worker.New(c, "testenv", worker.Options{})
	w.RegisterWorkflow(setStatus)
	if err := w.Start(); err != nil {
		t.Fatalf("start worker: %v", err)
	}
	t.Cleanup(w.Stop)

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "order-1", TaskQueue: "testenv"}, setStatus, "placed")
	if err != nil {
		t.Fatalf("start workflow: %v", err)
	}
	if err := run.Get(ctx, nil); err != nil {
		t.Fatalf("workflow: %v", err)
	}

	// Visibility is written asynchronously after the workflow task.
	ids := waitForWorkflows(ctx, t, c, "OrderStatus = 'placed'", 1)
	if len(ids) != 1 || ids[0] != "order-1" {
		t.Errorf("OrderStatus = 'placed' found %v, want [order-1]", ids)
	}
	if ids := listWorkflows(ctx, t, c, "OrderStatus = 'paid'"); len(ids) != 0 {
		t.Errorf("OrderStatus = 'paid' found %v, want none", ids)
	}
}

func TestTemporalGivesEachTestItsOwnNamespace(t *testing.T) {
	sas := map[string]enumspb.IndexedValueType{"OrderStatus": enumspb.INDEXED_VALUE_TYPE_KEYWORD}
	first, hostA, nsA := Temporal(t, sas)
	_, hostB, nsB := Temporal(t, sas)
	if hostA != hostB {
		t.Errorf("two calls got servers %s and %s, want one shared server", hostA, hostB)
	}
	if nsA == nsB || !strings.Contains(nsA, "TestTemporalGivesEachTestItsOwnNamespace") {
		t.Errorf("namespaces %q and %q, want two distinct ones named after the test", nsA, nsB)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := first.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "order-1", TaskQueue: "nobody"}, "Noop"); err != nil {
		t.Fatalf("start workflow: %v", err)
	}
	waitForWorkflows(ctx, t, first, "", 1)
	resp, err := first.CountWorkflow(ctx, &workflowservice.CountWorkflowExecutionsRequest{Namespace: nsB})
	if err != nil {
		t.Fatalf("count in %s: %v", nsB, err)
	}
	if resp.GetCount() != 0 {
		t.Errorf("namespace %s sees %d workflows started in %s", nsB, resp.GetCount(), nsA)
	}
}

func TestQueryNamingMentionsEveryAttributeWithAValidValue(t *testing.T) {
	got := queryNaming(map[string]enumspb.IndexedValueType{
		"OrderStatus":    enumspb.INDEXED_VALUE_TYPE_KEYWORD,
		"NeedsAttention": enumspb.INDEXED_VALUE_TYPE_BOOL,
		"NextDeadline":   enumspb.INDEXED_VALUE_TYPE_DATETIME,
	})
	want := "NeedsAttention = true AND NextDeadline = '2000-01-01T00:00:00Z' AND OrderStatus = 'x'"
	if got != want {
		t.Errorf("queryNaming = %q, want %q", got, want)
	}
}

func waitForWorkflows(ctx context.Context, t *testing.T, c client.Client, query string, n int) []string {
	t.Helper()
	for {
		ids := listWorkflows(ctx, t, c, query)
		if len(ids) >= n {
			return ids
		}
		select {
		case <-ctx.Done():
			t.Fatalf("query %q found %v, waited for %d", query, ids, n)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func listWorkflows(ctx context.Context, t *testing.T, c client.Client, query string) []string {
	t.Helper()
	resp, err := c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Query: query})
	if err != nil {
		t.Fatalf("list %q: %v", query, err)
	}
	var ids []string
	for _, e := range resp.GetExecutions() {
		ids = append(ids, e.GetExecution().GetWorkflowId())
	}
	return ids
}

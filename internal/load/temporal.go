package load

import (
	"context"
	"errors"
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

// HistoryLengths counts the events of each order's workflow (the order id is
// the workflow id), by flow. Orders whose history cannot be read are counted
// as errors in rec.
func HistoryLengths(ctx context.Context, c client.Client, orders []Placed, rec *Recorder) map[string]Distribution {
	events, _ := Histories(ctx, c, orders, rec)
	return events
}

// Histories are the events and the size in bytes (as the server counts it,
// the size Temporal's limits use) of each order's workflow history, by flow.
func Histories(ctx context.Context, c client.Client, orders []Placed, rec *Recorder) (events, bytes map[string]Distribution) {
	lengths, sizes := map[string][]int{}, map[string][]int{}
	for _, o := range orders {
		n, err := historyLength(ctx, c, o.ID)
		if err != nil {
			rec.Fail("history: " + errorKind(err))
			continue
		}
		lengths[o.Flow] = append(lengths[o.Flow], n)
		d, err := c.DescribeWorkflowExecution(ctx, o.ID, "")
		if err != nil {
			rec.Fail("describe: " + errorKind(err))
			continue
		}
		sizes[o.Flow] = append(sizes[o.Flow], int(d.GetWorkflowExecutionInfo().GetHistorySizeBytes()))
	}
	events, bytes = map[string]Distribution{}, map[string]Distribution{}
	for flow, ns := range lengths {
		events[flow] = Distribute(ns)
	}
	for flow, ns := range sizes {
		bytes[flow] = Distribute(ns)
	}
	return events, bytes
}

// historyLength counts the events of the latest run of workflowID.
func historyLength(ctx context.Context, c client.Client, workflowID string) (int, error) {
	it := c.GetWorkflowHistory(ctx, workflowID, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	n := 0
	for it.HasNext() {
		if _, err := it.Next(); err != nil {
			return n, fmt.Errorf("history of %s: %w", workflowID, err)
		}
		n++
	}
	return n, nil
}

func errorKind(err error) string {
	if errors.Is(err, context.DeadlineExceeded) {
		return "timeout"
	}
	return fmt.Sprintf("%T", errors.Unwrap(err))
}

// The baseline workflow: the least a Temporal order can do. It is started by
// an update (update-with-start), takes one more update, and completes.
const (
	baselineWorkflow = "LoadBaseline"
	baselineUpdate   = "step"
	baselineSteps    = 2
)

func baselineWorkflowFunc(ctx workflow.Context) (int, error) {
	steps := 0
	if err := workflow.SetUpdateHandler(ctx, baselineUpdate, func(ctx workflow.Context) (int, error) {
		steps++
		return steps, nil
	}); err != nil {
		return 0, err
	}
	if err := workflow.Await(ctx, func() bool { return steps >= baselineSteps }); err != nil {
		return 0, err
	}
	// Let the last update's handler return before completing.
	if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
		return 0, err
	}
	return steps, nil
}

// Baseline runs the baseline workflow on its own task queue of the same
// server, with a worker in this process.
type Baseline struct {
	Client    client.Client
	TaskQueue string
	Rec       *Recorder
	Tag       string
	Ledger    *Ledger
}

// StartWorker registers the baseline workflow and starts polling; stop it when done.
func (b *Baseline) StartWorker() (worker.Worker, error) {
	w := worker.New(b.Client, b.TaskQueue, worker.Options{})
	w.RegisterWorkflowWithOptions(baselineWorkflowFunc, workflow.RegisterOptions{Name: baselineWorkflow})
	if err := w.Start(); err != nil {
		return nil, fmt.Errorf("baseline worker: %w", err)
	}
	return w, nil
}

// Run is a Script: update-with-start, one update, wait for the result.
func (b *Baseline) Run(ctx context.Context, i int) error {
	id := fmt.Sprintf("load-baseline-%s-%d", b.Tag, i)
	start := b.Client.NewWithStartWorkflowOperation(client.StartWorkflowOptions{
		ID: id, TaskQueue: b.TaskQueue, WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_FAIL,
	}, baselineWorkflow)
	update := client.UpdateWorkflowOptions{UpdateName: baselineUpdate, WaitForStage: client.WorkflowUpdateStageCompleted}

	t := time.Now()
	h, err := b.Client.UpdateWithStartWorkflow(ctx, client.UpdateWithStartWorkflowOptions{StartWorkflowOperation: start, UpdateOptions: update})
	if err == nil {
		err = h.Get(ctx, nil)
	}
	if err != nil {
		b.Rec.Fail("update_with_start")
		return fmt.Errorf("%s: update-with-start: %w", id, err)
	}
	b.Rec.Observe("update_with_start", time.Since(t))
	if b.Ledger != nil {
		b.Ledger.Add(Placed{ID: id, Flow: "baseline", Expected: "completed"})
	}

	t = time.Now()
	update.WorkflowID = id
	h, err = b.Client.UpdateWorkflow(ctx, update)
	if err == nil {
		err = h.Get(ctx, nil)
	}
	if err != nil {
		b.Rec.Fail("update")
		return fmt.Errorf("%s: update: %w", id, err)
	}
	b.Rec.Observe("update", time.Since(t))

	t = time.Now()
	var steps int
	if err := b.Client.GetWorkflow(ctx, id, "").Get(ctx, &steps); err != nil || steps != baselineSteps {
		b.Rec.Fail("result")
		return fmt.Errorf("%s: result %d: %v", id, steps, err)
	}
	b.Rec.ObserveRead("result", time.Since(t))
	return nil
}

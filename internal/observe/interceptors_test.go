package observe

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/interceptor"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

// twoActivities runs Observe once at start and once after its "act" update.
func twoActivities(ctx workflow.Context) ([]string, error) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: time.Minute})
	acted := false
	if err := workflow.SetUpdateHandler(ctx, "act", func(workflow.Context) error { acted = true; return nil }); err != nil {
		return nil, err
	}
	var seen []string
	for i := range 2 {
		if i == 1 {
			if err := workflow.Await(ctx, func() bool { return acted }); err != nil {
				return nil, err
			}
		}
		var s string
		if err := workflow.ExecuteActivity(ctx, "Observe").Get(ctx, &s); err != nil {
			return nil, err
		}
		seen = append(seen, s)
	}
	return seen, nil
}

// observeActivity answers what its context says and logs through the SDK logger.
func observeActivity(ctx context.Context) (string, error) {
	activity.GetLogger(ctx).Info("observed")
	f, ok := activityOf(ctx)
	if !ok {
		return "", errors.New("no activity fields on the context")
	}
	return fmt.Sprintf("%s|%s|%s|%d", RequestID(ctx), f.workflowID, f.activity, f.attempt), nil
}

type workflowRun struct {
	seen []string
	logs string
}

// runTwoActivities runs twoActivities under tel's interceptors, started with
// request id startID, and updated (without a header, as the Web UI would) after a second.
func runTwoActivities(t *testing.T, tel *Telemetry, startID string) workflowRun {
	t.Helper()
	var logs bytes.Buffer
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(sdklog.NewStructuredLogger(slog.New(slog.NewJSONHandler(&logs, nil))))
	env := suite.NewTestWorkflowEnvironment()
	var workerInterceptors []interceptor.WorkerInterceptor
	for _, i := range tel.interceptors {
		workerInterceptors = append(workerInterceptors, i.(interceptor.WorkerInterceptor))
	}
	env.SetWorkerOptions(worker.Options{Interceptors: workerInterceptors})
	env.SetContextPropagators([]workflow.ContextPropagator{requestIDPropagator{}})
	h := header{}
	if err := writeRequestID(startID, h); err != nil {
		t.Fatal(err)
	}
	env.SetHeader(&commonpb.Header{Fields: h})
	env.RegisterWorkflow(twoActivities)
	env.RegisterActivityWithOptions(observeActivity, activity.RegisterOptions{Name: "Observe"})
	env.RegisterDelayedCallback(func() {
		env.UpdateWorkflow("act", "u-1", &testsuite.TestUpdateCallback{
			OnAccept: func() {}, OnReject: func(err error) { t.Errorf("update rejected: %v", err) }, OnComplete: func(any, error) {},
		})
	}, time.Second)
	env.ExecuteWorkflow(twoActivities)
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	var run workflowRun
	if err := env.GetWorkflowResult(&run.seen); err != nil {
		t.Fatal(err)
	}
	run.logs = logs.String()
	return run
}

func newTestTelemetry(t *testing.T, tp *sdktrace.TracerProvider) *Telemetry {
	t.Helper()
	opts := Options{Registry: prometheus.NewRegistry(), Logger: slog.New(slog.DiscardHandler)}
	if tp != nil {
		opts.TracerProvider = tp
	}
	tel, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return tel
}

func TestActivitiesCarryTheRequestOfTheirWorkflow(t *testing.T) {
	run := runTwoActivities(t, newTestTelemetry(t, nil), "req_start")

	wfID := "default-test-workflow-id"
	want := []string{
		"req_start|" + wfID + "|Observe|1",
		// The update carried no request id: the activity after it does not
		// pretend to belong to the request that started the workflow.
		"|" + wfID + "|Observe|1",
	}
	if fmt.Sprint(run.seen) != fmt.Sprint(want) {
		t.Fatalf("activities saw %q, want %q", run.seen, want)
	}
	// activity.GetLogger lines carry the same fields.
	if !strings.Contains(run.logs, `"request_id":"req_start"`) || !strings.Contains(run.logs, `"order_id":"`+wfID+`"`) {
		t.Fatalf("SDK activity log lacks the correlation fields:\n%s", run.logs)
	}
}

func TestActivityAfterAnUpdateIsTracedUnderTheUpdate(t *testing.T) {
	spans := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(spans))
	runTwoActivities(t, newTestTelemetry(t, tp), "req_start")

	byName := map[string][]tracetest.SpanStub{}
	for _, s := range spans.GetSpans() {
		byName[s.Name] = append(byName[s.Name], s)
	}
	run, update, starts := byName["RunWorkflow:twoActivities"], byName["HandleUpdate:act"], byName["StartActivity:Observe"]
	if len(run) != 1 || len(update) != 1 || len(starts) != 2 {
		t.Fatalf("spans: %v", spanNames(spans.GetSpans()))
	}
	if starts[0].Parent.SpanID() != run[0].SpanContext.SpanID() {
		t.Errorf("first activity's parent is %s, want the workflow run %s", starts[0].Parent.SpanID(), run[0].SpanContext.SpanID())
	}
	if starts[1].Parent.SpanID() != update[0].SpanContext.SpanID() {
		t.Errorf("activity after the update has parent %s, want the update %s", starts[1].Parent.SpanID(), update[0].SpanContext.SpanID())
	}
}

func spanNames(stubs tracetest.SpanStubs) []string {
	var names []string
	for _, s := range stubs {
		names = append(names, s.Name)
	}
	return names
}

// startRecorder stands in for the client's next interceptor.
type startRecorder struct {
	interceptor.ClientOutboundInterceptorBase
	err error
}

func (s *startRecorder) ExecuteWorkflow(context.Context, *interceptor.ClientExecuteWorkflowInput) (client.WorkflowRun, error) {
	return nil, s.err
}

func TestOnlyStartedWorkflowsCountAsCreatedOrders(t *testing.T) {
	reg := prometheus.NewRegistry()
	events, err := NewEvents(reg)
	if err != nil {
		t.Fatal(err)
	}
	flow := temporal.NewSearchAttributeKeyKeyword("OrderFlow")
	c := &correlator{events: events, flowKey: flow}
	next := &startRecorder{}
	out := c.InterceptClient(next)
	start := func(attrs temporal.SearchAttributes, workflowType string) {
		_, _ = out.ExecuteWorkflow(context.Background(), &interceptor.ClientExecuteWorkflowInput{
			Options: &client.StartWorkflowOptions{TypedSearchAttributes: attrs}, WorkflowType: workflowType,
		})
	}
	start(temporal.NewSearchAttributes(flow.ValueSet("member")), "Member")
	start(temporal.NewSearchAttributes(), "Marketplace") // no flow attribute: the workflow type
	next.err = errors.New("workflow execution already started")
	start(temporal.NewSearchAttributes(flow.ValueSet("member")), "Member")

	want := map[string]float64{
		`orderflow_orders_created_total{flow="member"}`:      1,
		`orderflow_orders_created_total{flow="Marketplace"}`: 1,
	}
	got := series(t, reg)
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
	if len(got) != len(want) {
		t.Errorf("series %v, want only %v", got, want)
	}
}

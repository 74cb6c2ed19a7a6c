package observe

import (
	"cmp"
	"context"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// correlator is one Temporal interceptor for the client and the worker:
// the client counts the orders it starts; workflows hand the request id (and
// the span) of the last request that reached them to the activities they
// schedule; activities put their identity on the context for the logs.
type correlator struct {
	interceptor.InterceptorBase
	events  *Events
	flowKey temporal.SearchAttributeKeyKeyword
	// spanKey is where the tracing interceptor keeps its span on a workflow
	// context; nil when tracing is off.
	spanKey any
}

func (c *correlator) InterceptClient(next interceptor.ClientOutboundInterceptor) interceptor.ClientOutboundInterceptor {
	return &orderStartCounter{ClientOutboundInterceptorBase: interceptor.ClientOutboundInterceptorBase{Next: next}, root: c}
}

func (c *correlator) InterceptWorkflow(_ workflow.Context, next interceptor.WorkflowInboundInterceptor) interceptor.WorkflowInboundInterceptor {
	return &lastRequest{WorkflowInboundInterceptorBase: interceptor.WorkflowInboundInterceptorBase{Next: next}, spanKey: c.spanKey}
}

func (c *correlator) InterceptActivity(_ context.Context, next interceptor.ActivityInboundInterceptor) interceptor.ActivityInboundInterceptor {
	return &activityIdentity{ActivityInboundInterceptorBase: interceptor.ActivityInboundInterceptorBase{Next: next}}
}

// orderStartCounter counts the orders the client starts: a start that
// succeeded (its conflict policy fails on an existing id), and an
// update-with-start whose answer says this request created the order (the
// API's create: workflows.ViewUpdate answers {"created", "request_id",
// "flow"}, or the flow in "order" from orders before it named it), so a
// retried create (200) is not counted.
type orderStartCounter struct {
	interceptor.ClientOutboundInterceptorBase
	root *correlator
}

func (o *orderStartCounter) ExecuteWorkflow(ctx context.Context, in *interceptor.ClientExecuteWorkflowInput) (client.WorkflowRun, error) {
	run, err := o.Next.ExecuteWorkflow(ctx, in)
	if err == nil {
		o.root.events.OrderCreated(o.root.flowOf(in))
	}
	return run, err
}

func (o *orderStartCounter) UpdateWithStartWorkflow(ctx context.Context, in *interceptor.ClientUpdateWithStartWorkflowInput) (client.WorkflowUpdateHandle, error) {
	h, err := o.Next.UpdateWithStartWorkflow(ctx, in)
	if err != nil {
		return h, err
	}
	var answer struct {
		Created   bool   `json:"created"`
		RequestID string `json:"request_id"`
		Flow      string `json:"flow"`
		Order     struct {
			Flow string `json:"flow"`
		} `json:"order"`
	}
	// A retried create is answered with the first answer again: only the
	// request that created the order counts it.
	if h.Get(ctx, &answer) == nil && answer.Created && answer.RequestID == RequestID(ctx) {
		o.root.events.OrderCreated(cmp.Or(answer.Flow, answer.Order.Flow))
	}
	return h, nil
}

func (c *correlator) flowOf(in *interceptor.ClientExecuteWorkflowInput) string {
	if in.Options != nil && c.flowKey.GetName() != "" {
		if flow, ok := in.Options.TypedSearchAttributes.GetKeyword(c.flowKey); ok {
			return flow
		}
	}
	return in.WorkflowType
}

// lastRequest remembers the request id and span of the last start, update
// or signal that reached the workflow. Orders run their side effects from the
// main loop after a handler queued them, so without this every activity
// would carry the request that created the order. It is a deterministic
// function of the history, so replays stamp the same values.
type lastRequest struct {
	interceptor.WorkflowInboundInterceptorBase
	spanKey   any
	requestID string
	span      any
}

func (l *lastRequest) Init(outbound interceptor.WorkflowOutboundInterceptor) error {
	return l.Next.Init(&stampActivities{WorkflowOutboundInterceptorBase: interceptor.WorkflowOutboundInterceptorBase{Next: outbound}, last: l})
}

func (l *lastRequest) ExecuteWorkflow(ctx workflow.Context, in *interceptor.ExecuteWorkflowInput) (any, error) {
	l.remember(ctx)
	return l.Next.ExecuteWorkflow(ctx, in)
}

func (l *lastRequest) HandleSignal(ctx workflow.Context, in *interceptor.HandleSignalInput) error {
	l.remember(ctx)
	return l.Next.HandleSignal(ctx, in)
}

// ExecuteUpdate runs only for updates the validator accepted: a refused
// update changes nothing, so it is not remembered either.
func (l *lastRequest) ExecuteUpdate(ctx workflow.Context, in *interceptor.UpdateInput) (any, error) {
	l.remember(ctx)
	return l.Next.ExecuteUpdate(ctx, in)
}

func (l *lastRequest) remember(ctx workflow.Context) {
	l.requestID, _ = ctx.Value(requestIDKey{}).(string)
	if l.spanKey != nil {
		if span := ctx.Value(l.spanKey); span != nil {
			l.span = span
		}
	}
}

// stampActivities puts the remembered request id (and span, which becomes
// the parent of the activity's spans) on every activity the workflow schedules.
type stampActivities struct {
	interceptor.WorkflowOutboundInterceptorBase
	last *lastRequest
}

func (s *stampActivities) ExecuteActivity(ctx workflow.Context, activityType string, args ...any) workflow.Future {
	return s.Next.ExecuteActivity(s.stamp(ctx), activityType, args...)
}

// ExecuteLocalActivity stamps local activities alike: a lean order runs its
// steps as local activities first (workflows.ChangeLeanEngine).
func (s *stampActivities) ExecuteLocalActivity(ctx workflow.Context, activityType string, args ...any) workflow.Future {
	return s.Next.ExecuteLocalActivity(s.stamp(ctx), activityType, args...)
}

func (s *stampActivities) stamp(ctx workflow.Context) workflow.Context {
	ctx = workflow.WithValue(ctx, requestIDKey{}, s.last.requestID)
	if s.last.span != nil {
		ctx = workflow.WithValue(ctx, s.last.spanKey, s.last.span)
	}
	return ctx
}

// activityIdentity puts the activity's order, run, name and attempt on its
// context, where CorrelatedLogger and the SDK's activity logger find them.
type activityIdentity struct {
	interceptor.ActivityInboundInterceptorBase
}

func (a *activityIdentity) Init(outbound interceptor.ActivityOutboundInterceptor) error {
	return a.Next.Init(&activityLogger{ActivityOutboundInterceptorBase: interceptor.ActivityOutboundInterceptorBase{Next: outbound}})
}

func (a *activityIdentity) ExecuteActivity(ctx context.Context, in *interceptor.ExecuteActivityInput) (any, error) {
	info := activity.GetInfo(ctx)
	ctx = withActivity(ctx, activityFields{
		workflowID: info.WorkflowExecution.ID, runID: info.WorkflowExecution.RunID,
		activity: info.ActivityType.Name, attempt: info.Attempt,
	})
	return a.Next.ExecuteActivity(ctx, in)
}

// activityLogger gives activity.GetLogger the same fields as CorrelatedLogger.
type activityLogger struct {
	interceptor.ActivityOutboundInterceptorBase
}

func (a *activityLogger) GetLogger(ctx context.Context) log.Logger {
	attrs := correlationAttrs(ctx)
	keyvals := make([]any, 0, 2*len(attrs))
	for _, attr := range attrs {
		keyvals = append(keyvals, attr.Key, attr.Value.Any())
	}
	return log.With(a.Next.GetLogger(ctx), keyvals...)
}

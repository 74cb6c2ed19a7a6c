package observe

import (
	"context"
	"regexp"

	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/workflow"
)

// RequestIDHeader is the Temporal header that carries the API's request id
// from a client call (start, update, signal, query) into the workflow and
// from there into the activities it schedules.
const RequestIDHeader = "orderflow-request-id"

type requestIDKey struct{}

// WithRequestID returns ctx carrying the request id; the Temporal client
// sends it along with every call made under ctx.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// RequestID is the request id ctx carries, "" if none.
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// validRequestID matches what the API accepts, so a header set by some other
// client cannot forge log lines.
var validRequestID = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,128}$`)

// requestIDPropagator moves the request id between Go contexts, workflow
// contexts and Temporal headers.
type requestIDPropagator struct{}

var payloads = converter.GetDefaultDataConverter()

func (requestIDPropagator) Inject(ctx context.Context, w workflow.HeaderWriter) error {
	return writeRequestID(RequestID(ctx), w)
}

func (requestIDPropagator) Extract(ctx context.Context, r workflow.HeaderReader) (context.Context, error) {
	if id := readRequestID(r); id != "" {
		return WithRequestID(ctx, id), nil
	}
	return ctx, nil
}

func (requestIDPropagator) InjectFromWorkflow(ctx workflow.Context, w workflow.HeaderWriter) error {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return writeRequestID(id, w)
}

// ExtractToWorkflow always sets a value, "" when the header has none: a
// signal from the Web UI must not inherit the request id that started the order.
func (requestIDPropagator) ExtractToWorkflow(ctx workflow.Context, r workflow.HeaderReader) (workflow.Context, error) {
	return workflow.WithValue(ctx, requestIDKey{}, readRequestID(r)), nil
}

func writeRequestID(id string, w workflow.HeaderWriter) error {
	if id == "" {
		return nil
	}
	p, err := payloads.ToPayload(id)
	if err != nil {
		return err
	}
	w.Set(RequestIDHeader, p)
	return nil
}

// readRequestID ignores a malformed header rather than failing the call it rides on.
func readRequestID(r workflow.HeaderReader) string {
	p, ok := r.Get(RequestIDHeader)
	if !ok {
		return ""
	}
	var id string
	if err := payloads.FromPayload(p, &id); err != nil || !validRequestID.MatchString(id) {
		return ""
	}
	return id
}

// activityFields say which activity of which order a log line comes from.
type activityFields struct {
	workflowID, runID, activity string
	attempt                     int32
}

type activityKey struct{}

func withActivity(ctx context.Context, f activityFields) context.Context {
	return context.WithValue(ctx, activityKey{}, f)
}

func activityOf(ctx context.Context) (activityFields, bool) {
	f, ok := ctx.Value(activityKey{}).(activityFields)
	return f, ok
}

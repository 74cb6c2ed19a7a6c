package observe

import (
	"context"
	"log/slog"

	"go.opentelemetry.io/otel/trace"
)

// CorrelatedLogger returns a logger that adds, to every line logged with a
// context, what the context knows: request_id; for activities order_id,
// workflow_id, run_id, activity and attempt; trace_id and span_id when the
// request is traced. A key the line already has is not repeated.
func CorrelatedLogger(log *slog.Logger) *slog.Logger {
	if _, done := log.Handler().(*correlatingHandler); done {
		return log
	}
	return slog.New(&correlatingHandler{next: log.Handler()})
}

type correlatingHandler struct {
	next slog.Handler
	// bound are keys already given to With, so the context does not repeat them.
	bound map[string]bool
}

func (h *correlatingHandler) Enabled(ctx context.Context, level slog.Level) bool {
	return h.next.Enabled(ctx, level)
}

func (h *correlatingHandler) Handle(ctx context.Context, r slog.Record) error {
	extra := correlationAttrs(ctx)
	if len(extra) == 0 {
		return h.next.Handle(ctx, r)
	}
	present := map[string]bool{}
	r.Attrs(func(a slog.Attr) bool {
		present[a.Key] = true
		return true
	})
	r = r.Clone()
	for _, a := range extra {
		if !present[a.Key] && !h.bound[a.Key] {
			r.AddAttrs(a)
		}
	}
	return h.next.Handle(ctx, r)
}

func (h *correlatingHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	bound := make(map[string]bool, len(h.bound)+len(attrs))
	for k := range h.bound {
		bound[k] = true
	}
	for _, a := range attrs {
		bound[a.Key] = true
	}
	return &correlatingHandler{next: h.next.WithAttrs(attrs), bound: bound}
}

func (h *correlatingHandler) WithGroup(name string) slog.Handler {
	return &correlatingHandler{next: h.next.WithGroup(name), bound: h.bound}
}

func correlationAttrs(ctx context.Context) []slog.Attr {
	if ctx == nil {
		return nil
	}
	var attrs []slog.Attr
	if id := RequestID(ctx); id != "" {
		attrs = append(attrs, slog.String("request_id", id))
	}
	if f, ok := activityOf(ctx); ok {
		attrs = append(attrs,
			// An order's workflow id is its order id.
			slog.String("order_id", f.workflowID),
			slog.String("workflow_id", f.workflowID),
			slog.String("run_id", f.runID),
			slog.String("activity", f.activity),
			slog.Int("attempt", int(f.attempt)),
		)
	}
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
		attrs = append(attrs, slog.String("trace_id", sc.TraceID().String()), slog.String("span_id", sc.SpanID().String()))
	}
	return attrs
}

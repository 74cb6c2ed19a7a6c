package devserver

import (
	"context"
	"log/slog"
	"slices"
	"strings"

	"go.temporal.io/server/common/log"
	"go.temporal.io/server/common/log/tag"
)

// quietLogger keeps only warnings and errors: the server logs hundreds of
// lines at start, none of which a developer running `orderflow dev` needs.
// Raising the returned level silences more (Stop does, see there).
func quietLogger(l *slog.Logger) (*slog.Logger, *slog.LevelVar) {
	min := &slog.LevelVar{}
	min.Set(slog.LevelWarn)
	if l == nil {
		return slog.New(slog.DiscardHandler), min
	}
	return slog.New(minLevelHandler{Handler: l.Handler(), min: min}), min
}

type minLevelHandler struct {
	slog.Handler
	min slog.Leveler
}

func (h minLevelHandler) Enabled(ctx context.Context, level slog.Level) bool {
	return level >= h.min.Level() && h.Handler.Enabled(ctx, level)
}

func (h minLevelHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return minLevelHandler{Handler: h.Handler.WithAttrs(attrs), min: h.min}
}

func (h minLevelHandler) WithGroup(name string) slog.Handler {
	return minLevelHandler{Handler: h.Handler.WithGroup(name), min: h.min}
}

// serverLogger adapts slog to the server's logger interface. Panic and Fatal
// are logged as errors and return: a dev tool embedded in our process must not
// be able to exit it.
type serverLogger struct{ l *slog.Logger }

var _ log.Logger = serverLogger{}

func (s serverLogger) Debug(msg string, tags ...tag.Tag)  { s.log(slog.LevelDebug, msg, tags) }
func (s serverLogger) Info(msg string, tags ...tag.Tag)   { s.log(slog.LevelInfo, msg, tags) }
func (s serverLogger) Warn(msg string, tags ...tag.Tag)   { s.log(slog.LevelWarn, msg, tags) }
func (s serverLogger) Error(msg string, tags ...tag.Tag)  { s.log(slog.LevelError, msg, tags) }
func (s serverLogger) DPanic(msg string, tags ...tag.Tag) { s.log(slog.LevelError, msg, tags) }
func (s serverLogger) Panic(msg string, tags ...tag.Tag)  { s.log(slog.LevelError, msg, tags) }
func (s serverLogger) Fatal(msg string, tags ...tag.Tag)  { s.log(slog.LevelError, msg, tags) }

// expectedWarnings are warnings about features orderflow does not use; seen
// on every start, they would teach developers to ignore warnings.
var expectedWarnings = []string{
	"HTTP API port has not been set", // Nexus over HTTP, unused
}

func (s serverLogger) log(level slog.Level, msg string, tags []tag.Tag) {
	if level == slog.LevelWarn && slices.ContainsFunc(expectedWarnings, func(p string) bool { return strings.HasPrefix(msg, p) }) {
		level = slog.LevelInfo
	}
	ctx := context.Background()
	if !s.l.Enabled(ctx, level) {
		return
	}
	attrs := make([]slog.Attr, len(tags))
	for i, t := range tags {
		attrs[i] = slog.Any(t.Key(), t.Value())
	}
	s.l.LogAttrs(ctx, level, msg, attrs...)
}

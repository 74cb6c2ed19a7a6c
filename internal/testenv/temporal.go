package testenv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/server/common/dynamicconfig"
	"go.temporal.io/server/temporal"
	"go.temporal.io/server/temporaltest"
	"google.golang.org/protobuf/types/known/durationpb"
)

// One in-memory Temporal server serves every test of a test binary; each
// call to Temporal gets a namespace of its own. Measured on the 2-core
// machine: a server costs 0.15 to 0.9 s to start and 1 s to stop, a namespace
// with seven search attributes a few milliseconds, and namespaces keep tests apart
// as well as servers do (workflow ids, task queues, visibility and search
// attributes are all per namespace). The server lives until the test binary
// exits; there is no later moment at which no test can still need it.
var sharedTemporal struct {
	once     sync.Once
	hostPort string
	err      error
}

// Temporal returns a client on a fresh namespace of the shared in-process
// server, with searchAttributes registered and usable in visibility queries.
// The client is closed when the test ends; stop workers started on it in a
// t.Cleanup registered after this call (cleanups run last-in first-out).
func Temporal(t testing.TB, searchAttributes map[string]enumspb.IndexedValueType) (c client.Client, hostPort, namespace string) {
	t.Helper()
	return TemporalNamespace(t, searchAttributes, temporalNamespaceName(t.Name()))
}

// ShortHistoryNamespace is a namespace of the shared server in which Temporal
// suggests continuing as new after a few dozen history events, for tests of
// what a long-lived order does then (Options.ShortHistories). One test of a
// test binary may use it.
const ShortHistoryNamespace = "short-histories"

// TemporalNamespace is Temporal on a namespace of the caller's choosing.
func TemporalNamespace(t testing.TB, searchAttributes map[string]enumspb.IndexedValueType, namespace string) (c client.Client, hostPort, _ string) {
	t.Helper()
	hostPort, err := temporalServer()
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	c, err = client.DialContext(ctx, client.Options{
		HostPort:  hostPort,
		Namespace: namespace,
		Logger:    temporalClientLogger(),
	})
	if err != nil {
		t.Fatalf("testenv: dial Temporal at %s: %v", hostPort, err)
	}
	t.Cleanup(c.Close)

	if err := registerTemporalNamespace(ctx, c, namespace, searchAttributes); err != nil {
		t.Fatalf("testenv: %v", err)
	}
	return c, hostPort, namespace
}

func temporalServer() (string, error) {
	sharedTemporal.once.Do(func() {
		sharedTemporal.hostPort, sharedTemporal.err = startTemporalServer()
	})
	return sharedTemporal.hostPort, sharedTemporal.err
}

// startTemporalServer turns temporaltest's panic (it panics when started
// without a *testing.T) into an error.
func startTemporalServer() (hostPort string, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("start in-process Temporal server: %v", r)
		}
	}()
	server := temporaltest.NewServer(temporaltest.WithBaseServerOptions(
		// Replaces temporaltest's own dynamic config, so it repeats its one setting.
		temporal.WithDynamicConfigClient(dynamicconfig.StaticClient{
			// Search attributes added by a test are usable by its next call.
			dynamicconfig.ForceSearchAttributesCacheRefreshOnRead.Key(): true,
			// Tests that poll visibility would hit the default 10 requests/s.
			dynamicconfig.FrontendMaxNamespaceVisibilityRPSPerInstance.Key(): 1000,
			dynamicconfig.HistoryCountSuggestContinueAsNew.Key(): []dynamicconfig.ConstrainedValue{
				{Constraints: dynamicconfig.Constraints{Namespace: ShortHistoryNamespace}, Value: 40},
			},
		}),
	))
	return server.GetFrontendHostPort(), nil
}

// registerTemporalNamespace creates the namespace, adds the search attributes
// and waits until a visibility query naming all of them is accepted: that is
// when a test can rely on them.
func registerTemporalNamespace(ctx context.Context, c client.Client, namespace string, searchAttributes map[string]enumspb.IndexedValueType) error {
	_, err := c.WorkflowService().RegisterNamespace(ctx, &workflowservice.RegisterNamespaceRequest{
		Namespace:                        namespace,
		WorkflowExecutionRetentionPeriod: durationpb.New(24 * time.Hour),
	})
	if err != nil {
		return fmt.Errorf("register namespace %s: %w", namespace, err)
	}
	if len(searchAttributes) > 0 {
		_, err := c.OperatorService().AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{
			Namespace:        namespace,
			SearchAttributes: searchAttributes,
		})
		var exists *serviceerror.AlreadyExists
		if err != nil && !errors.As(err, &exists) {
			return fmt.Errorf("add search attributes to %s: %w", namespace, err)
		}
	}
	return waitForTemporalNamespace(ctx, c, namespace, searchAttributes)
}

func waitForTemporalNamespace(ctx context.Context, c client.Client, namespace string, searchAttributes map[string]enumspb.IndexedValueType) error {
	query := queryNaming(searchAttributes)
	for {
		_, err := c.CountWorkflow(ctx, &workflowservice.CountWorkflowExecutionsRequest{Namespace: namespace, Query: query})
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("namespace %s with search attributes never became usable (query %q): %w", namespace, query, err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// queryNaming builds a valid visibility query that mentions every attribute,
// so the server rejects it until all of them are known.
func queryNaming(searchAttributes map[string]enumspb.IndexedValueType) string {
	var terms []string
	for _, name := range slices.Sorted(maps.Keys(searchAttributes)) {
		terms = append(terms, name+" = "+sampleValue(searchAttributes[name]))
	}
	return strings.Join(terms, " AND ")
}

func sampleValue(t enumspb.IndexedValueType) string {
	switch t {
	case enumspb.INDEXED_VALUE_TYPE_BOOL:
		return "true"
	case enumspb.INDEXED_VALUE_TYPE_INT, enumspb.INDEXED_VALUE_TYPE_DOUBLE:
		return "0"
	case enumspb.INDEXED_VALUE_TYPE_DATETIME:
		return "'2000-01-01T00:00:00Z'"
	default: // Keyword, Text, KeywordList
		return "'x'"
	}
}

var notInNamespaceName = regexp.MustCompile(`[^a-zA-Z0-9-]+`)

// temporalNamespaceName is readable in server logs and unique per call, so a
// test run twice (-count=2) or in parallel never meets its own leftovers.
func temporalNamespaceName(testName string) string {
	name := strings.Trim(notInNamespaceName.ReplaceAllString(testName, "-"), "-")
	if len(name) > 60 {
		name = name[:60]
	}
	suffix := make([]byte, 4)
	_, _ = rand.Read(suffix) // crypto/rand.Read never fails
	return "t-" + name + "-" + hex.EncodeToString(suffix)
}

// temporalClientLogger keeps the SDK's warnings and errors (worker trouble)
// and drops its chatter; it writes to stderr, not t.Log, because workers may
// log after the test that started them has returned.
func temporalClientLogger() sdklog.Logger {
	return sdklog.NewStructuredLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
}

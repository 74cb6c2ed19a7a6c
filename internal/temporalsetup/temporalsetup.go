// Package temporalsetup readies a Temporal namespace for orderflow: the
// namespace itself and the custom search attributes its workflows set. Dev
// mode runs it against its embedded server, `make cluster` against a server
// of its own.
package temporalsetup

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"google.golang.org/protobuf/types/known/durationpb"
)

// RegisterSearchAttributes adds the wanted custom search attributes that the
// namespace lacks. A new database got them with the namespace; an existing one
// gets the ones added to the code since. An attribute that exists with another
// type is an error: changing a type would orphan stored values.
func RegisterSearchAttributes(ctx context.Context, op operatorservice.OperatorServiceClient, namespace string, wanted map[string]enumspb.IndexedValueType) error {
	if len(wanted) == 0 {
		return nil
	}
	resp, err := op.ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: namespace})
	if err != nil {
		return fmt.Errorf("temporalsetup: list search attributes of %q: %w", namespace, err)
	}
	existing := resp.GetCustomAttributes()
	missing := map[string]enumspb.IndexedValueType{}
	var conflicts []string
	for _, name := range slices.Sorted(maps.Keys(wanted)) {
		want := wanted[name]
		have, ok := existing[name]
		switch {
		case !ok:
			missing[name] = want
		case have != want:
			conflicts = append(conflicts, fmt.Sprintf("%s is %s, wanted %s", name, have, want))
		}
	}
	if len(conflicts) > 0 {
		return fmt.Errorf("temporalsetup: search attributes of namespace %q have other types in the existing database (%s); start from fresh data",
			namespace, strings.Join(conflicts, "; "))
	}
	if len(missing) == 0 {
		return nil
	}
	_, err = op.AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{
		Namespace:        namespace,
		SearchAttributes: missing,
	})
	var exists *serviceerror.AlreadyExists
	if err != nil && !errors.As(err, &exists) {
		return fmt.Errorf("temporalsetup: add search attributes %v to %q: %w", slices.Sorted(maps.Keys(missing)), namespace, err)
	}
	return nil
}

// EnsureNamespace registers namespace with retention unless it exists.
func EnsureNamespace(ctx context.Context, ws workflowservice.WorkflowServiceClient, namespace string, retention time.Duration) error {
	_, err := ws.DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: namespace})
	var notFound *serviceerror.NamespaceNotFound
	if !errors.As(err, &notFound) {
		return err
	}
	_, err = ws.RegisterNamespace(ctx, &workflowservice.RegisterNamespaceRequest{
		Namespace:                        namespace,
		WorkflowExecutionRetentionPeriod: durationpb.New(retention),
	})
	var exists *serviceerror.NamespaceAlreadyExists
	if err != nil && !errors.As(err, &exists) {
		return fmt.Errorf("temporalsetup: register namespace %q: %w", namespace, err)
	}
	return nil
}

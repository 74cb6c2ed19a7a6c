package devserver

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/serviceerror"
)

// registerSearchAttributes adds the wanted custom search attributes that the
// namespace lacks. A new database got them with the namespace; an existing one
// gets the ones added to the code since. An attribute that exists with another
// type is an error: changing a type would orphan stored values.
func registerSearchAttributes(ctx context.Context, op operatorservice.OperatorServiceClient, namespace string, wanted map[string]enumspb.IndexedValueType) error {
	if len(wanted) == 0 {
		return nil
	}
	resp, err := op.ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: namespace})
	if err != nil {
		return fmt.Errorf("devserver: list search attributes of %q: %w", namespace, err)
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
		return fmt.Errorf("devserver: search attributes of namespace %q have other types in the existing database (%s); use a fresh DataDir",
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
		return fmt.Errorf("devserver: add search attributes %v to %q: %w", slices.Sorted(maps.Keys(missing)), namespace, err)
	}
	return nil
}

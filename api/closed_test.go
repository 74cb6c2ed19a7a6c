package api

import (
	"errors"
	"fmt"
	"testing"

	"go.temporal.io/api/serviceerror"
)

// Temporal says an order's workflow has ended in two ways: before the
// update reached it, and while the update waited to be taken (a lean order
// ends within the workflow task of the decision that ends it). Both are the
// order having ended; any other not-found is not.
func TestWorkflowClosedReadsBothOfTemporalsAnswers(t *testing.T) {
	for msg, want := range map[string]bool{
		"workflow execution already completed":            true,
		"workflow update was aborted by closing workflow": true,
		"workflow not found for ID: ord_1":                false,
	} {
		err := fmt.Errorf("update: %w", serviceerror.NewNotFound(msg))
		if got := workflowClosed(err); got != want {
			t.Errorf("%q: closed = %v, want %v", msg, got, want)
		}
	}
	if workflowClosed(errors.New("workflow execution already completed")) {
		t.Error("an error that is not Temporal's not-found read as closed")
	}
}

// A namespace without orderflow's search attributes refuses the start with
// the server's validator's words (go.temporal.io/server
// common/searchattribute); any other invalid argument is not that.
func TestAMissingSearchAttributeIsToldApart(t *testing.T) {
	for msg, want := range map[string]bool{
		"search attribute OrderFlow is not defined":                           true,
		"Namespace default has no mapping defined for search attribute Owner": true,
		"WorkflowId is not set on request.":                                   false,
	} {
		err := fmt.Errorf("start: %w", serviceerror.NewInvalidArgument(msg))
		if got := missingSearchAttribute(err); got != want {
			t.Errorf("%q: missing search attribute = %v, want %v", msg, got, want)
		}
	}
	if missingSearchAttribute(errors.New("search attribute OrderFlow is not defined")) {
		t.Error("an error that is not Temporal's invalid argument read as a missing search attribute")
	}
}

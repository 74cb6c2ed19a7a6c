package api

import (
	"context"
	"errors"
	"testing"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
)

// startingFake is an order's copy that Temporal does not know for the
// first notYet descriptions, as when the parent has not started it yet.
type startingFake struct {
	client.Client // any other call panics
	notYet        int
	err           error // answered once the copy would exist
	described     int
}

func (f *startingFake) DescribeWorkflowExecution(context.Context, string, string) (*workflowservice.DescribeWorkflowExecutionResponse, error) {
	f.described++
	if f.described <= f.notYet {
		return nil, serviceerror.NewNotFound("workflow not found")
	}
	return &workflowservice.DescribeWorkflowExecutionResponse{}, f.err
}

func TestADuplicateIsAnsweredOnceItsCopyExists(t *testing.T) {
	fake := &startingFake{notYet: 3}
	orders{Deps{Temporal: fake}}.waitStarted(context.Background(), "ord_copy")
	if fake.described != 4 {
		t.Errorf("described the copy %d times, want until it exists (4)", fake.described)
	}

	// Temporal failing otherwise says nothing about the copy: no wait.
	fake = &startingFake{err: errors.New("unavailable")}
	orders{Deps{Temporal: fake}}.waitStarted(context.Background(), "ord_copy")
	if fake.described != 1 {
		t.Errorf("described the copy %d times after an error, want 1", fake.described)
	}

	// A copy that never starts holds the answer only until the request ends.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	fake = &startingFake{notYet: 1 << 30}
	orders{Deps{Temporal: fake}}.waitStarted(ctx, "ord_copy")
	if fake.described != 1 {
		t.Errorf("described the copy %d times after the request ended, want 1", fake.described)
	}
}

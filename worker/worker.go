// Package worker builds the Temporal worker that runs orderflow: every order
// workflow and every activity, on one task queue. Scale by running more of them.
package worker

import (
	"go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/orderflow/orderflow/activities"
	"github.com/orderflow/orderflow/workflows"
)

// New returns a worker on taskQueue with everything registered; Run or Start it.
func New(c client.Client, taskQueue string, acts *activities.Activities) sdkworker.Worker {
	w := sdkworker.New(c, taskQueue, sdkworker.Options{})
	w.RegisterActivity(acts)
	w.RegisterWorkflowWithOptions(workflows.MarketplaceOrder, workflow.RegisterOptions{Name: workflows.MarketplaceWorkflow})
	w.RegisterWorkflowWithOptions(workflows.MemberOrder, workflow.RegisterOptions{Name: workflows.MemberWorkflow})
	return w
}

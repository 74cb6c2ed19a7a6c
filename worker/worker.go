// Package worker builds the Temporal worker that runs orderflow: every order
// workflow and every activity, on one task queue. Scale by running more of them.
package worker

import (
	"time"

	"go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/orderflow/orderflow/activities"
	"github.com/orderflow/orderflow/workflows"
)

// StopTimeout is how long a worker told to stop (Ctrl-C, an orchestrator's
// SIGTERM in a rolling deploy) lets the activities it is running finish
// before it lets go of them; an email half sent then is not retried by
// another worker first. docker-compose.yml waits 30 s before its SIGKILL.
const StopTimeout = 20 * time.Second

// New returns a worker on taskQueue with everything registered; Run or Start it.
func New(c client.Client, taskQueue string, acts *activities.Activities) sdkworker.Worker {
	w := sdkworker.New(c, taskQueue, sdkworker.Options{WorkerStopTimeout: StopTimeout})
	w.RegisterActivity(acts)
	w.RegisterWorkflowWithOptions(workflows.MarketplaceOrder, workflow.RegisterOptions{Name: workflows.MarketplaceWorkflow})
	w.RegisterWorkflowWithOptions(workflows.MemberOrder, workflow.RegisterOptions{Name: workflows.MemberWorkflow})
	return w
}

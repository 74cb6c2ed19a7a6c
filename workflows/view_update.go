package workflows

import (
	"encoding/json"
	"slices"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/orderflow/orderflow/internal/auth"
	"github.com/orderflow/orderflow/lifecycle"
)

// ViewUpdate is the update the API sends with an order's start
// (update-with-start): creating an order is one call to Temporal, answered
// with the new order as its creator sees it once its first steps ran. It
// changes nothing.
const ViewUpdate = "view"

// FingerprintMemo is the memo field the API starts an order with: the
// digest of the create request's body.
const FingerprintMemo = "request_fingerprint"

// ErrKeyReused: a create retried with the Idempotency-Key of another order
// (another body); the API answers 422.
const ErrKeyReused = "IdempotencyKeyReused"

// ViewRequest is the argument of ViewUpdate.
type ViewRequest struct {
	Actor auth.Principal `json:"actor"`
	// Fingerprint of the create request's body; a retry of a create with the
	// same Idempotency-Key must send the same body.
	Fingerprint string `json:"fingerprint,omitempty"`
	// RequestID is the create request's id.
	RequestID string `json:"request_id,omitempty"`
}

// ViewAnswer is what ViewUpdate answers.
type ViewAnswer struct {
	// Order or Receipt: as an action's Answer (answer.go).
	Order   *OrderView `json:"order,omitempty"`
	Receipt *Receipt   `json:"receipt,omitempty"`
	// Created is true for the first answer only, and RequestID is then the
	// id of the request that created the order. The API sends a retried
	// create (same caller, Idempotency-Key and body) as the same update,
	// which Temporal answers with this first answer again: the request ids
	// tell the call that created the order (201) from a retry that found it
	// (200).
	Created   bool   `json:"created"`
	RequestID string `json:"request_id,omitempty"`
	// Flow is the order's flow, which a receipt does not name: the API's
	// client counts created orders by it (internal/observe).
	Flow string `json:"flow,omitempty"`
}

func (c *core) registerViewUpdate(ctx workflow.Context) error {
	answered := false
	validate := func(ctx workflow.Context, req ViewRequest) error {
		if stored := startFingerprint(ctx); req.Fingerprint != "" && stored != "" && stored != req.Fingerprint {
			return temporal.NewApplicationError("this Idempotency-Key was used for a different order", ErrKeyReused)
		}
		if !c.flow.visibleTo(req.Actor) {
			return refusalError(&lifecycle.Refusal{Code: NotVisible, Status: c.Status, Reason: "there is no such order"})
		}
		return nil
	}
	handle := func(ctx workflow.Context, req ViewRequest) (ViewAnswer, error) {
		// Answer once the order exists (an update sent with the start may
		// run before the workflow has written its first entry) and the steps
		// queued so far ran (the payment link of a new order, say) or
		// parked: in the same workflow task, since they run as local
		// activities. Emails are not waited for (LeanAnswersBeforeEmails):
		// one the provider refuses for now is retried for minutes.
		if err := workflow.Await(ctx, func() bool { return c.Seq > 0 && (c.firstStepsRan() || c.Attention != nil) }); err != nil {
			return ViewAnswer{}, err
		}
		// A run continued from another never created the order.
		created := !answered && workflow.GetInfo(ctx).ContinuedExecutionRunID == ""
		answered = true
		a := c.answer(c.party(req.Actor))
		answer := ViewAnswer{Order: a.OrderView, Receipt: a.Receipt, Created: created, Flow: c.table.Name}
		if created {
			answer.RequestID = req.RequestID
		}
		return answer, nil
	}
	return workflow.SetUpdateHandlerWithOptions(ctx, ViewUpdate, handle, workflow.UpdateHandlerOptions{Validator: validate})
}

// firstStepsRan: the steps queued so far ran, emails aside for an order
// that answers before them.
func (c *core) firstStepsRan() bool {
	if !c.answersBeforeEmails {
		return len(c.effects) == 0
	}
	return !slices.ContainsFunc(c.effects, func(e effect) bool { return !e.email })
}

// startFingerprint is the fingerprint memo the order was started with ("" if none).
func startFingerprint(ctx workflow.Context) string {
	field, ok := workflow.GetInfo(ctx).Memo.GetFields()[FingerprintMemo]
	if !ok {
		return ""
	}
	var fp string
	if json.Unmarshal(field.GetData(), &fp) != nil {
		return ""
	}
	return fp
}

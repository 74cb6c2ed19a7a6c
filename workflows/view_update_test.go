package workflows

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/orderflow/orderflow/internal/auth"
	"github.com/orderflow/orderflow/lifecycle"
)

// viewResult records what one view update answered.
type viewResult struct {
	answer *ViewAnswer
	err    error
}

func (v *viewResult) Accept()          {}
func (v *viewResult) Reject(err error) { v.err = err }
func (v *viewResult) Complete(result any, err error) {
	if a, ok := result.(ViewAnswer); ok {
		v.answer = &a
	}
	v.err = err
}

// The API's create sends the view update with the start: the first answer
// says created, once the order's first steps ran; a retry with the same
// body is answered as found; another body under the same key, and a caller
// who may not see the order, are refused without changing anything.
func TestViewUpdateAnswersTheCreatorOnce(t *testing.T) {
	r := newRun(t)
	if err := r.env.SetMemoOnStart(map[string]any{FingerprintMemo: "fp-1"}); err != nil {
		t.Fatal(err)
	}
	first, retry, reused, stranger := &viewResult{}, &viewResult{}, &viewResult{}, &viewResult{}
	send := func(id string, res *viewResult, req ViewRequest) {
		r.env.RegisterDelayedCallback(func() { r.env.UpdateWorkflow(ViewUpdate, id, res, req) }, 0)
	}
	send("create", first, ViewRequest{Actor: customer, Fingerprint: "fp-1", RequestID: "req-1"})
	send("retry", retry, ViewRequest{Actor: customer, Fingerprint: "fp-1", RequestID: "req-2"})
	send("reused", reused, ViewRequest{Actor: customer, Fingerprint: "fp-2"})
	send("stranger", stranger, ViewRequest{Actor: auth.Principal{Role: lifecycle.Customer, Subject: "c-2"}, Fingerprint: "fp-1"})
	r.stopAt(minute)
	r.execute(orderInput("prepaid"))

	if first.err != nil || first.answer == nil || !first.answer.Created || first.answer.RequestID != "req-1" {
		t.Fatalf("the creator's answer: %+v, %v; want created by req-1", first.answer, first.err)
	}
	// The payment link was made after the order's first record, so the
	// answer carries the order (no receipt: the record is not all of it).
	if v := first.answer.Order; first.answer.Receipt != nil || v == nil || v.Status != lifecycle.AwaitingPayment || v.Marketplace == nil || v.Marketplace.Payment == nil || v.Marketplace.Payment.ID == "" {
		t.Fatalf("the creator's answer: %+v; want the order awaiting payment with its payment link made", first.answer)
	}
	// (A retry the API sends as another update; the API sends a retry of
	// the same body as the same update, which Temporal answers itself.)
	if retry.err != nil || retry.answer == nil || retry.answer.Created || retry.answer.RequestID != "" || retry.answer.Order == nil || retry.answer.Order.ID != first.answer.Order.ID {
		t.Errorf("the retry's answer: %+v, %v; want the same order, not created", retry.answer, retry.err)
	}
	var appErr *temporal.ApplicationError
	if !errors.As(reused.err, &appErr) || appErr.Type() != ErrKeyReused {
		t.Errorf("another body under the key: %v; want %s", reused.err, ErrKeyReused)
	}
	if !errors.As(stranger.err, &appErr) || appErr.Type() != NotVisible {
		t.Errorf("a stranger: %v; want %s", stranger.err, NotVisible)
	}
}

// answeredAt records what the sends had done when the update was answered.
type answeredAt struct {
	viewResult
	then func() []string
	sent []string
}

func (a *answeredAt) Complete(result any, err error) {
	a.viewResult.Complete(result, err)
	a.sent = a.then()
}

// While the email provider refuses for now, the create is answered once the
// payment link is made, not after the link's email, retried for minutes; an
// order of an older version answers after it, as it ran.
func TestTheCreateIsAnsweredWhileItsEmailIsRetried(t *testing.T) {
	for _, c := range []struct {
		version       workflow.Version
		answersBefore bool
	}{{newestLean, true}, {LeanPartiesIndexed, false}} {
		r := newRun(t)
		r.env.OnGetVersion(ChangeLeanEngine, workflow.DefaultVersion, newestLean).Return(c.version)
		r.fakes.brokenSends = 3 // the local attempt, then two retries of the regular activity
		res := &answeredAt{then: r.fakes.sentTo}
		r.env.RegisterDelayedCallback(func() {
			r.env.UpdateWorkflow(ViewUpdate, "create", res, ViewRequest{Actor: customer, RequestID: "req-1"})
		}, 0)
		r.stopAt(minute)
		r.execute(orderInput("prepaid"))

		if res.err != nil || res.answer == nil || res.answer.Order == nil || res.answer.Order.Marketplace.Payment == nil {
			t.Fatalf("version %d: the create's answer %+v, %v; want the order with its payment link", c.version, res.answer, res.err)
		}
		linkSent := slices.ContainsFunc(res.sent, func(s string) bool { return strings.HasPrefix(s, "payment_link→") })
		if linkSent == c.answersBefore {
			t.Errorf("version %d: when the create was answered the sent emails were %v; want the payment link's sent: %v", c.version, res.sent, !c.answersBefore)
		}
		if !slices.ContainsFunc(r.fakes.sentTo(), func(s string) bool { return strings.HasPrefix(s, "payment_link→") }) {
			t.Errorf("version %d: the payment link's email was never sent: %v", c.version, r.fakes.sentTo())
		}
	}
}

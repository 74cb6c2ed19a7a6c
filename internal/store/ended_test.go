package store

import (
	"sync"
	"testing"
)

func TestEndedOrderCloseIsRecordedOncePerRun(t *testing.T) {
	s, ctx := newTestStore(t), testContext(t)
	run := EndedRun{OrderID: "ord_1", RunID: "run-1"}
	closed, err := s.ClosedEndedRuns(ctx, []EndedRun{run})
	mustNoErr(t, err)
	if closed[run] {
		t.Fatal("a run nobody closed is closed")
	}
	_, err = s.EndedClosure(ctx, run)
	wantErrIs(t, err, ErrNotFound)

	// Two ops closing at once: one close, the first.
	var wg sync.WaitGroup
	got := make([]EndedAction, 2)
	for i := range got {
		wg.Go(func() {
			a, err := s.RecordEndedAction(ctx, EndedAction{
				EndedRun: run, Ended: EndedTerminated, Action: EndedClose, ActorRole: "ops", ActorID: "ops-1",
				Reason: "customer called", At: t0,
			})
			if err != nil {
				t.Error(err)
			}
			got[i] = a
		})
	}
	wg.Wait()
	if got[0] != got[1] || got[0].Reason != "customer called" || !got[0].At.Equal(t0) {
		t.Fatalf("closes %+v", got)
	}
	again, err := s.RecordEndedAction(ctx, EndedAction{EndedRun: run, Ended: EndedTerminated, Action: EndedClose, ActorRole: "ops", ActorID: "ops-2", Reason: "other"})
	mustNoErr(t, err)
	if again != got[0] {
		t.Fatalf("second close = %+v, want the first %+v", again, got[0])
	}

	other := EndedRun{OrderID: "ord_1", RunID: "run-2"} // a later run of the same order
	closed, err = s.ClosedEndedRuns(ctx, []EndedRun{run, other, {OrderID: "ord_2", RunID: "run-1"}})
	mustNoErr(t, err)
	if len(closed) != 1 || !closed[run] {
		t.Fatalf("closed = %v, want only %v", closed, run)
	}
	c, err := s.EndedClosure(ctx, run)
	mustNoErr(t, err)
	if c != got[0] {
		t.Fatalf("closure = %+v", c)
	}
}

func TestEndedOrderRefundsAreRecordedPerRefund(t *testing.T) {
	s, ctx := newTestStore(t), testContext(t)
	run := EndedRun{OrderID: "ord_1", RunID: "run-1"}
	refund := EndedAction{EndedRun: run, Ended: EndedFailed, Action: EndedRefund, Ref: "re_1", ActorRole: "ops", ActorID: "ops-1", At: t0}
	for range 2 {
		_, err := s.RecordEndedAction(ctx, refund)
		mustNoErr(t, err)
	}
	// A refund does not close the order.
	closed, err := s.ClosedEndedRuns(ctx, []EndedRun{run})
	mustNoErr(t, err)
	if closed[run] {
		t.Fatal("a refund closed the order")
	}
	actions, err := s.EndedActions(ctx, "ord_1")
	mustNoErr(t, err)
	if len(actions) != 1 || actions[0].Ref != "re_1" || actions[0].Action != EndedRefund {
		t.Fatalf("actions = %+v, want the one refund", actions)
	}
}

func TestEndedOrderActionIsValidated(t *testing.T) {
	s, ctx := newTestStore(t), testContext(t)
	run := EndedRun{OrderID: "ord_1", RunID: "run-1"}
	for name, a := range map[string]EndedAction{
		"no run":           {EndedRun: EndedRun{OrderID: "ord_1"}, Ended: EndedFailed, Action: EndedClose, ActorRole: "ops", ActorID: "o", Reason: "r"},
		"close, no reason": {EndedRun: run, Ended: EndedFailed, Action: EndedClose, ActorRole: "ops", ActorID: "o"},
		"refund, no id":    {EndedRun: run, Ended: EndedFailed, Action: EndedRefund, ActorRole: "ops", ActorID: "o"},
		"running":          {EndedRun: run, Ended: "running", Action: EndedClose, ActorRole: "ops", ActorID: "o", Reason: "r"},
		"unknown action":   {EndedRun: run, Ended: EndedFailed, Action: "reopen", ActorRole: "ops", ActorID: "o", Reason: "r"},
	} {
		_, err := s.RecordEndedAction(ctx, a)
		if err == nil {
			t.Errorf("%s: recorded", name)
			continue
		}
		wantErrIs(t, err, ErrInvalid)
	}
}

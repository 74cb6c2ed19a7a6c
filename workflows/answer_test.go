package workflows

import (
	"encoding/json"
	"path/filepath"
	"slices"
	"testing"

	"github.com/orderflow/orderflow/internal/store"
	"github.com/orderflow/orderflow/lifecycle"
)

// A lean order's action answers with a receipt of the record its decision
// wrote: the read model's row under the receipt's seq is the order as the
// action left it, which the API reads back. An order started before the
// lean engine records after it answers, so it answers with the order.
func TestActionAnswersAReceiptOfItsRecord(t *testing.T) {
	for _, lean := range []bool{true, false} {
		name := map[bool]string{true: "lean", false: "before the lean engine"}[lean]
		t.Run(name, func(t *testing.T) {
			r := newRun(t)
			if !lean {
				r.startedBefore()
			}
			r.script(paidAt1m)
			var got *Answer
			r.env.RegisterDelayedCallback(func() {
				req := ActionRequest{Actor: buyer, RequestID: "margin", Payload: rawPayload(margin(10))}
				r.env.UpdateWorkflow(string(lifecycle.SetMargin), "margin", &updateResult{
					check: func(_ OrderView, err error) {
						if err != nil {
							t.Errorf("set_margin: %v", err)
						}
					},
					view: func(a Answer) OrderView { got = &a; return OrderView{} },
				}, req)
			}, 2*minute)
			r.stopAt(hour)
			r.execute(orderInput("prepaid"))

			if got == nil {
				t.Fatal("set_margin was not answered")
			}
			if !lean {
				if got.Receipt != nil || got.OrderView == nil || got.Marketplace.MarginPercent == nil || got.Marketplace.MarginPercent.String() != "10" {
					t.Fatalf("answer %+v, want the order with its margin", got)
				}
				return
			}
			if got.Receipt == nil || got.OrderView != nil {
				t.Fatalf("answer %+v, want a receipt only", got)
			}
			i := slices.IndexFunc(r.fakes.transitions, func(tr transition) bool { return tr.Order.Seq == got.Receipt.Seq })
			if i < 0 {
				t.Fatalf("no record under the receipt's seq %d", got.Receipt.Seq)
			}
			recorded := r.fakes.transitions[i]
			if e := recorded.Entry; e.Action != string(lifecycle.SetMargin) || e.RequestID != "margin" {
				t.Errorf("the record under the receipt is of %s (%s), want this set_margin", e.Action, e.RequestID)
			}
			if v := viewOf(t, recorded.Order); v.Marketplace.MarginPercent == nil || v.Marketplace.MarginPercent.String() != "10" {
				t.Errorf("the recorded order has margin %v, want 10", v.Marketplace.MarginPercent)
			}
			if !slices.Contains(got.Receipt.AllowedActions, lifecycle.Release) || slices.Contains(got.Receipt.AllowedActions, lifecycle.Accept) {
				t.Errorf("the receipt allows %v, want purchasing's release and not a supplier's accept", got.Receipt.AllowedActions)
			}
		})
	}
}

func viewOf(t *testing.T, o store.Order) OrderView {
	t.Helper()
	var v OrderView
	if err := json.Unmarshal(o.View, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// Every update answer Temporal kept in the committed histories decodes as
// the API decodes answers now, into the order it answered: a create or an
// action retried after a deploy gets its first answer again, from before
// receipts.
func TestKeptAnswersDecode(t *testing.T) {
	seen := 0
	for _, file := range committedHistories(t) {
		h := readProtoHistory(t, file)
		names := map[int64]string{} // accepted event → update name
		for _, e := range h.GetEvents() {
			if a := e.GetWorkflowExecutionUpdateAcceptedEventAttributes(); a != nil {
				names[e.GetEventId()] = a.GetAcceptedRequest().GetInput().GetName()
			}
			c := e.GetWorkflowExecutionUpdateCompletedEventAttributes()
			if c == nil || c.GetOutcome().GetSuccess() == nil {
				continue
			}
			raw := c.GetOutcome().GetSuccess().GetPayloads()[0].GetData()
			var a Answer
			var err error
			if names[c.GetAcceptedEventId()] == ViewUpdate {
				var v ViewAnswer
				err = json.Unmarshal(raw, &v)
				a = Answer{OrderView: v.Order, Receipt: v.Receipt}
			} else {
				err = json.Unmarshal(raw, &a)
			}
			seen++
			if err != nil || (a.Receipt == nil && (a.OrderView == nil || a.ID == "")) {
				t.Errorf("%s, event %d (%s): answer %.80s decodes to %+v, %v", filepath.Base(file), e.GetEventId(), names[c.GetAcceptedEventId()], raw, a, err)
			}
		}
	}
	if seen == 0 {
		t.Fatal("no update answers in the committed histories")
	}
}

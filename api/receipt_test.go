package api

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"testing"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"

	"github.com/orderflow/orderflow/internal/auth"
	"github.com/orderflow/orderflow/internal/pgtest"
	"github.com/orderflow/orderflow/internal/store"
	"github.com/orderflow/orderflow/lifecycle"
	"github.com/orderflow/orderflow/workflows"
)

// receiptTemporal answers every action with a receipt of the record under
// seq, and the order query with a status no record has, so a test tells
// where an answer came from.
type receiptTemporal struct {
	*recordingTemporal
	seq int64
}

func (r receiptTemporal) UpdateWorkflow(ctx context.Context, o client.UpdateWorkflowOptions) (client.WorkflowUpdateHandle, error) {
	if _, err := r.recordingTemporal.UpdateWorkflow(ctx, o); err != nil {
		return nil, err
	}
	return appliedUpdate{answer: workflows.Answer{Receipt: &workflows.Receipt{
		ID: o.WorkflowID, Seq: r.seq, AllowedActions: []lifecycle.Action{lifecycle.RequestReturn},
	}}}, nil
}

const statusFromTheWorkflow = lifecycle.Status("from_the_workflow")

func (receiptTemporal) QueryWorkflow(_ context.Context, id, _, _ string, _ ...any) (converter.EncodedValue, error) {
	return encodedJSON{workflows.OrderView{ID: id, Flow: lifecycle.MarketplaceFlow.Name, Status: statusFromTheWorkflow, Owner: accessOwner}}, nil
}

// An action answered with a receipt is answered from the read model's record
// the receipt names, with what the receipt says the caller may do now; where
// the read model holds another record (the order's record failed and waits,
// or a later one landed), from the workflow.
func TestActionAnsweredWithAReceiptReadsTheRecordBack(t *testing.T) {
	st := store.New(pgtest.New(t))
	o := accessOrder{id: "ord_01M8RECEPT0000000000000001", flow: lifecycle.MarketplaceFlow, status: lifecycle.AwaitingPayment,
		creator: auth.Principal{Role: lifecycle.Customer, Subject: accessOwner}}
	recordAccessOrder(t, st, o, 1) // seq 1

	for _, tc := range []struct {
		name       string
		seq        int64
		wantStatus lifecycle.Status
	}{
		{"the record it names", 1, lifecycle.AwaitingPayment},
		{"another record", 2, statusFromTheWorkflow},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := testDeps(nil)
			d.Temporal, d.Store = receiptTemporal{recordingTemporal: &recordingTemporal{}, seq: tc.seq}, st
			rec := send(New(d), "POST", "/v1/orders/"+o.id+"/actions/cancel", bearer(t, lifecycle.Customer, accessOwner),
				[]byte(`{"reason": "changed my mind"}`))
			if rec.Code != http.StatusOK {
				t.Fatalf("cancel: %d %s", rec.Code, rec.Body)
			}
			var v workflows.OrderView
			if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil {
				t.Fatal(err)
			}
			if v.ID != o.id || v.Status != tc.wantStatus {
				t.Errorf("answered %s in %q, want %s in %q", v.ID, v.Status, o.id, tc.wantStatus)
			}
			if tc.seq == 1 && (len(v.Timeline) != 1 || !slices.Equal(v.AllowedActions, []lifecycle.Action{lifecycle.RequestReturn})) {
				t.Errorf("timeline %+v, allowed %v; want the recorded entry and the receipt's actions", v.Timeline, v.AllowedActions)
			}
		})
	}
}

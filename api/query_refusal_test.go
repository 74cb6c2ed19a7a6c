package api

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/converter"

	"github.com/orderflow/orderflow/lifecycle"
	"github.com/orderflow/orderflow/workflows"
)

// queryRefusing is a Temporal whose order query fails with err, as Temporal
// hands a query's error to the client: a QueryFailed with its text.
type queryRefusing struct {
	*recordingTemporal
	err error
}

func (q queryRefusing) QueryWorkflow(context.Context, string, string, string, ...any) (converter.EncodedValue, error) {
	return nil, q.err
}

// The order query refuses a viewer who may not see the order with an error
// (workflows.QueryError) rather than an empty view; the API answers it as it
// answered the empty view: 404, with the same words. Any other query
// failure is Temporal's, not the caller's: 503.
func TestTheOrderQuerysRefusalIsA404(t *testing.T) {
	get := func(err error) (int, string) {
		d := testDeps(nil)
		d.Temporal = queryRefusing{&recordingTemporal{}, err}
		rec := send(New(d), "GET", "/v1/orders/ord_01M8XNBD9A9JRXE0CN1VXQYX4F", bearer(t, lifecycle.Customer, "c-2"), nil)
		var pr Problem
		_ = json.Unmarshal(rec.Body.Bytes(), &pr)
		return rec.Code, pr.Detail
	}
	refusal := &workflows.QueryError{Code: workflows.NotVisible, Message: `this order is not visible to role customer subject "c-2"`}
	code, body := get(serviceerror.NewQueryFailed(refusal.Error()))
	if code != http.StatusNotFound {
		t.Fatalf("a refused query = %d: %s", code, body)
	}
	emptyCode, emptyBody := get(serviceerror.NewNotFound("order not visible to the caller"))
	if emptyCode != code || emptyBody != body {
		t.Errorf("the refusal answers %d %s, the empty view answered %d %s", code, body, emptyCode, emptyBody)
	}
	if code, body := get(refusal); code != http.StatusNotFound {
		t.Errorf("the refusal itself = %d: %s", code, body)
	}
	if code, body := get(serviceerror.NewQueryFailed("MissingViewer: the order query needs who is asking")); code != http.StatusServiceUnavailable {
		t.Errorf("another query failure = %d: %s", code, body)
	}
}

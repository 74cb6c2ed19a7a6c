package workflows

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path/filepath"
	"testing"

	enumspb "go.temporal.io/api/enums/v1"

	"github.com/orderflow/orderflow/activities"
)

// The activity inputs recorded in the committed histories decode into the
// activities' input types as they are now, and encode again to everything
// that was recorded (fields added since then appear with their zero value):
// a field renamed, dropped or typed differently in the workflows' contract
// with the activities (activities/contract.go) would change what running
// orders' retries and resets send. The replayer does not compare activity
// inputs, so this test does.
func TestRecordedActivityInputsKeepTheirJSON(t *testing.T) {
	inputs := map[string]func() any{
		"RecordTransition":     func() any { return &activities.RecordTransitionInput{} },
		"RenderDocument":       func() any { return &activities.RenderDocumentInput{} },
		"IssueInvoice":         func() any { return &activities.IssueInvoiceInput{} },
		"IssueOrderCreditNote": func() any { return &activities.OrderCreditNoteInput{} },
		"SendEmail":            func() any { return &activities.SendEmailInput{} },
	}
	seen := map[string]int{}
	for _, file := range committedHistories(t) {
		h := readProtoHistory(t, file)
		for _, e := range h.GetEvents() {
			if e.GetEventType() != enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED {
				continue
			}
			a := e.GetActivityTaskScheduledEventAttributes()
			name := a.GetActivityType().GetName()
			newInput, ok := inputs[name]
			if !ok {
				continue
			}
			for _, p := range a.GetInput().GetPayloads() {
				seen[name]++
				recorded := p.GetData()
				in := newInput()
				dec := json.NewDecoder(bytes.NewReader(recorded))
				dec.DisallowUnknownFields()
				if err := dec.Decode(in); err != nil {
					t.Errorf("%s, event %d: %s input no longer decodes: %v", filepath.Base(file), e.GetEventId(), name, err)
					continue
				}
				again, err := json.Marshal(in)
				if err != nil {
					t.Fatal(err)
				}
				if path, ok := keeps(decodeAny(t, recorded), decodeAny(t, again), name); !ok {
					t.Errorf("%s, event %d: %s encodes differently now at %s:\nrecorded %s\nnow      %s",
						filepath.Base(file), e.GetEventId(), name, path, recorded, again)
				}
			}
		}
	}
	for name := range inputs {
		if seen[name] == 0 {
			t.Errorf("no committed history schedules %s: its input is not checked", name)
		}
	}
}

func decodeAny(t *testing.T, data []byte) any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

// keeps reports whether now holds everything recorded holds, with the same
// values; objects in now may have more keys. It names the first difference.
func keeps(recorded, now any, path string) (string, bool) {
	switch r := recorded.(type) {
	case map[string]any:
		n, ok := now.(map[string]any)
		if !ok {
			return path, false
		}
		for k, v := range r {
			nv, present := n[k]
			if !present {
				return path + "." + k, false
			}
			if p, ok := keeps(v, nv, path+"."+k); !ok {
				return p, false
			}
		}
		return path, true
	case []any:
		n, ok := now.([]any)
		if !ok || len(n) != len(r) {
			return path, false
		}
		for i := range r {
			if p, ok := keeps(r[i], n[i], fmt.Sprintf("%s[%d]", path, i)); !ok {
				return p, false
			}
		}
		return path, true
	default:
		return path, recorded == now
	}
}

package workflows

import (
	"errors"
	"testing"

	"github.com/orderflow/orderflow/internal/money"
)

func TestDecodeJSONIsStrict(t *testing.T) {
	type inner struct {
		Amount money.Amount `json:"amount"`
		Count  int          `json:"count"`
	}
	type body struct {
		Reason string  `json:"reason"`
		Lines  []inner `json:"lines"`
	}
	for _, tc := range []struct {
		raw   string
		kind  JSONKind
		field string
	}{
		{`{"reason":"x"}`, 0, ""},
		{" \t\r\n{\"reason\":\"x\"}\n ", 0, ""},
		{``, JSONEmpty, ""},
		{" \n", JSONEmpty, ""},
		{`null`, JSONShape, ""},
		{`[]`, JSONShape, ""},
		{`"x"`, JSONShape, ""},
		{`12`, JSONShape, ""},
		{`{"reason":"x"}}`, JSONMalformed, ""}, // json.Decoder.More misses a stray '}'
		{`{"reason":"x"}]`, JSONMalformed, ""},
		{`{"reason":"x"} {"reason":"y"}`, JSONMalformed, ""},
		{`{"reason":"x"} x`, JSONMalformed, ""},
		{"{\"reason\":\"x\"}\f", JSONMalformed, ""},
		{`{"reason":`, JSONMalformed, ""},
		{`{reason}`, JSONMalformed, ""},
		{`{"why":"x"}`, JSONUnknown, "why"},
		{`{"lines":[{"count":1,"colour":"red"}]}`, JSONUnknown, "colour"},
		{`{"reason":1}`, JSONShape, "reason"},
		{`{"lines":[{"count":"1"}]}`, JSONShape, "lines.count"},
		{`{"lines":[{"amount":"1000000000000.01"}]}`, JSONValue, ""},
	} {
		var v body
		err := DecodeJSON([]byte(tc.raw), &v)
		if tc.kind == 0 {
			if err != nil {
				t.Errorf("%q: refused: %v", tc.raw, err)
			}
			continue
		}
		var je *JSONError
		if !errors.As(err, &je) {
			t.Errorf("%q: error %v, want a *JSONError", tc.raw, err)
			continue
		}
		if je.Kind != tc.kind || je.Field != tc.field || je.Problem == "" {
			t.Errorf("%q: kind %d field %q problem %q, want kind %d field %q", tc.raw, je.Kind, je.Field, je.Problem, tc.kind, tc.field)
		}
	}
	var m map[string]any
	if err := DecodeJSON([]byte(`{"anything":1}`), &m); err != nil || m["anything"] == nil {
		t.Errorf("a map takes any member: %v, %v", m, err)
	}
	var pe *money.ParseError
	if err := DecodeJSON([]byte(`{"lines":[{"amount":"1e400"}]}`), &body{}); !errors.As(err, &pe) {
		t.Errorf("a field's own error is kept: %v", err)
	}
}

// decodeRecorded reads an update's or a signal's payload as the workflows
// read it before DecodeJSON: a second value is refused, a stray closing
// bracket is not (histories may hold one; replay must read it the same).
func TestDecodeRecordedEndsAsTheWorkflowsAlwaysDid(t *testing.T) {
	var p ReasonPayload
	if err := decodeRecorded([]byte(`{"reason": "late"}}`), &p); err != nil || p.Reason != "late" {
		t.Errorf("stray brace: %v, %+v; want it read as before", err, p)
	}
	if err := decodeRecorded([]byte(`{"reason": "a"} {"reason": "b"}`), &p); err == nil {
		t.Error("two objects were read; want them refused as before")
	}
	if err := DecodeJSON([]byte(`{"reason": "late"}}`), &p); err == nil {
		t.Error("DecodeJSON read a stray brace; the API must refuse it")
	}
}

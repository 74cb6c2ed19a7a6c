package workflows

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
)

// Strict JSON reading of every request and action body, with errors that
// say which field is wrong and how.

// DecodeJSON is the one strict reading of a JSON body: every request body
// of the API (orders, actions, ops, invoices, suppliers) and every action
// payload and signal the workflows decode go through it. raw must hold
// exactly one JSON object: nothing but white space after it, no member
// the target does not have (a map takes any), no null in its place. What
// is wrong comes back as a *JSONError naming the field. The size of raw is
// bounded by the caller (the API's body limit, Temporal's payload limit).
func DecodeJSON(raw []byte, v any) error { return decodeJSON(raw, v, true) }

// decodeRecorded is DecodeJSON for what a workflow reads of an update or a
// signal, whose end is checked as the workflow always checked it: a second
// value after the object is refused, a stray "}" or "]" is not. The API
// refuses both at its door; a payload recorded in a history before
// DecodeJSON existed must be read the same way when the order replays.
func decodeRecorded(raw []byte, v any) error { return decodeJSON(raw, v, false) }

func decodeJSON(raw []byte, v any, strictEnd bool) error {
	body := bytes.Trim(raw, jsonSpace)
	if len(body) == 0 {
		return &JSONError{Kind: JSONEmpty, Problem: "the body is empty"}
	}
	if body[0] != '{' {
		if json.Valid(body) {
			return &JSONError{Kind: JSONShape, Problem: "must be a JSON object, not " + jsonKindOf(body[0])}
		}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return describeJSON(err)
	}
	if !strictEnd {
		if dec.More() {
			return &JSONError{Kind: JSONMalformed, Problem: "only one JSON object is allowed"}
		}
		return nil
	}
	if rest := bytes.Trim(body[dec.InputOffset():], jsonSpace); len(rest) > 0 {
		return &JSONError{Kind: JSONMalformed, Problem: fmt.Sprintf("there is more after the JSON object (at byte %d); send exactly one object", dec.InputOffset())}
	}
	return nil
}

// jsonSpace is JSON's white space; anything else around a value is an error.
const jsonSpace = " \t\r\n"

// JSONKind sorts what DecodeJSON refused, so each caller picks its status.
type JSONKind int

const (
	JSONEmpty     JSONKind = iota + 1 // nothing but white space
	JSONMalformed                     // not JSON, cut short, or more after the object
	JSONShape                         // JSON, but not an object, or a field of the wrong JSON type
	JSONUnknown                       // a member the target does not have
	JSONValue                         // a field's value refused by its type (an amount over the limit)
)

// JSONError is what DecodeJSON refused. Field is the member's path
// ("items.quantity"), "" when the problem is the body as a whole.
type JSONError struct {
	Kind    JSONKind
	Field   string
	Problem string
	Err     error // what encoding/json or the field's type said, if anything
}

func (e *JSONError) Error() string {
	if e.Kind == JSONUnknown {
		return fmt.Sprintf("unknown field %q", e.Field)
	}
	if e.Field == "" {
		return e.Problem
	}
	return fmt.Sprintf("field %q %s", e.Field, e.Problem)
}

func (e *JSONError) Unwrap() error { return e.Err }

// describeJSON turns what encoding/json said into a *JSONError.
func describeJSON(err error) *JSONError {
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	switch {
	case errors.As(err, &typeErr):
		want := jsonKindOfType(typeErr.Type)
		if typeErr.Field == "" {
			return &JSONError{Kind: JSONShape, Problem: "must be " + want + ", not a JSON " + typeErr.Value, Err: err}
		}
		return &JSONError{Kind: JSONShape, Field: typeErr.Field, Problem: "must be " + want + ", not a JSON " + typeErr.Value, Err: err}
	case errors.As(err, &syntaxErr):
		return &JSONError{Kind: JSONMalformed, Problem: fmt.Sprintf("malformed JSON at byte %d (%s)", syntaxErr.Offset, syntaxErr.Error()), Err: err}
	case errors.Is(err, io.ErrUnexpectedEOF):
		return &JSONError{Kind: JSONMalformed, Problem: "the JSON ends before the object is complete", Err: err}
	case errors.Is(err, io.EOF):
		return &JSONError{Kind: JSONEmpty, Problem: "the body is empty", Err: err}
	}
	msg := strings.TrimPrefix(err.Error(), "json: ")
	if field, ok := strings.CutPrefix(msg, "unknown field "); ok {
		return &JSONError{Kind: JSONUnknown, Field: strings.Trim(field, `"`), Problem: "is not a field of this body; leave it out", Err: err}
	}
	// A field's own type refused its value (money.ParseError and the like):
	// its message names what it is ("amount 1e15 is over the limit").
	return &JSONError{Kind: JSONValue, Problem: msg, Err: err}
}

func jsonKindOf(first byte) string {
	switch first {
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 'n':
		return "null"
	case 't', 'f':
		return "true or false"
	}
	return "a number"
}

func jsonKindOfType(t reflect.Type) string {
	if t == nil {
		return "another type"
	}
	switch t.Kind() {
	case reflect.Struct, reflect.Map:
		return "a JSON object"
	case reflect.Slice, reflect.Array:
		return "a list"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number"
	case reflect.Float32, reflect.Float64:
		return "a number"
	}
	return "a " + t.Kind().String()
}

package payments

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/orderflow/orderflow/internal/money"
)

// Event types.
const (
	EventPaymentSucceeded = "payment.succeeded"
	EventRefundSucceeded  = "refund.succeeded"
)

// Refusals of ParseEvent: a body that is not JSON is a bad request (400); an
// event with a missing or wrong field, or of an unknown type, is
// unprocessable (422).
var (
	ErrEventMalformed   = errors.New("webhook body is not a JSON event")
	ErrEventIncomplete  = errors.New("webhook event is incomplete")
	ErrEventUnknownType = errors.New("webhook event type is unknown")
)

// Event is what the provider reports to the webhook. The receiver dedupes by
// ID: the same event may arrive more than once.
type Event struct {
	ID      string
	Type    string
	Created time.Time // whole seconds, UTC
	Data    EventData
}

// EventData is the payment (and refund) an event is about.
type EventData struct {
	PaymentID string       `json:"payment_id"`
	OrderID   string       `json:"order_id"`
	Amount    money.Amount `json:"amount"` // the payment's or the refund's amount
	Currency  string       `json:"currency"`
	RefundID  string       `json:"refund_id,omitempty"` // refund.succeeded only
}

// wireEvent is the JSON of an event; pointers tell a missing field from a zero one.
type wireEvent struct {
	ID      string    `json:"id"`
	Type    string    `json:"type"`
	Created int64     `json:"created"`
	Data    *wireData `json:"data"`
}

type wireData struct {
	PaymentID string        `json:"payment_id"`
	OrderID   string        `json:"order_id"`
	Amount    *money.Amount `json:"amount"`
	Currency  string        `json:"currency"`
	RefundID  string        `json:"refund_id,omitempty"`
}

// MarshalJSON writes the webhook body:
// {"id":"evt_…","type":"payment.succeeded","created":<unix>,"data":{…}}.
func (e Event) MarshalJSON() ([]byte, error) {
	amount := e.Data.Amount
	return json.Marshal(wireEvent{
		ID:      e.ID,
		Type:    e.Type,
		Created: e.Created.Unix(),
		Data: &wireData{
			PaymentID: e.Data.PaymentID,
			OrderID:   e.Data.OrderID,
			Amount:    &amount,
			Currency:  e.Data.Currency,
			RefundID:  e.Data.RefundID,
		},
	})
}

// UnmarshalJSON reads an event as strictly as ParseEvent, so that an Event
// passed through Temporal's JSON payloads comes back whole.
func (e *Event) UnmarshalJSON(data []byte) error {
	parsed, err := ParseEvent(data)
	if err != nil {
		return err
	}
	*e = parsed
	return nil
}

// ParseEvent reads a webhook body strictly: every field must be present and
// sensible, and the type known. Unknown extra fields are ignored on purpose:
// a refused event is redelivered and finally given up, so a newer sender
// adding a field must not make an older receiver lose payments.
func ParseEvent(body []byte) (Event, error) {
	var w wireEvent
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&w); err != nil {
		return Event{}, fmt.Errorf("%w: %v", ErrEventMalformed, err)
	}
	if dec.More() {
		return Event{}, fmt.Errorf("%w: data after the event object", ErrEventMalformed)
	}
	e, err := w.event()
	if err != nil {
		return Event{}, err
	}
	return e, nil
}

func (w wireEvent) event() (Event, error) {
	var missing []string
	need := func(ok bool, field string) {
		if !ok {
			missing = append(missing, field)
		}
	}
	need(strings.HasPrefix(w.ID, eventIDPrefix) && len(w.ID) > len(eventIDPrefix), "id (evt_…)")
	need(w.Type != "", "type")
	need(w.Created > 0, "created (unix seconds)")
	need(w.Data != nil, "data")
	if w.Data != nil {
		need(w.Data.PaymentID != "", "data.payment_id")
		need(w.Data.OrderID != "", "data.order_id")
		need(w.Data.Amount != nil && *w.Data.Amount > 0, "data.amount (positive)")
		need(validCurrency(w.Data.Currency), "data.currency (3 capital letters)")
		need(w.Type != EventRefundSucceeded || w.Data.RefundID != "", "data.refund_id")
	}
	if len(missing) > 0 {
		return Event{}, fmt.Errorf("%w: missing or invalid %s", ErrEventIncomplete, strings.Join(missing, ", "))
	}
	switch w.Type {
	case EventPaymentSucceeded:
		if w.Data.RefundID != "" {
			return Event{}, fmt.Errorf("%w: a payment.succeeded event has no data.refund_id", ErrEventIncomplete)
		}
	case EventRefundSucceeded:
	default:
		return Event{}, fmt.Errorf("%w: %q (known: %s, %s)", ErrEventUnknownType, shorten(w.Type), EventPaymentSucceeded, EventRefundSucceeded)
	}
	return Event{
		ID:      w.ID,
		Type:    w.Type,
		Created: time.Unix(w.Created, 0).UTC(),
		Data: EventData{
			PaymentID: w.Data.PaymentID,
			OrderID:   w.Data.OrderID,
			Amount:    *w.Data.Amount,
			Currency:  w.Data.Currency,
			RefundID:  w.Data.RefundID,
		},
	}, nil
}

func validCurrency(c string) bool {
	if len(c) != 3 {
		return false
	}
	for _, r := range c {
		if r < 'A' || r > 'Z' {
			return false
		}
	}
	return true
}

package payments

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

const validPaymentEvent = `{"id":"evt_1","type":"payment.succeeded","created":1700000000,
	"data":{"payment_id":"pay_1","order_id":"o-1","amount":"12.34","currency":"EUR"}}`

func TestParseEventReadsBothTypes(t *testing.T) {
	e, err := ParseEvent([]byte(validPaymentEvent))
	if err != nil {
		t.Fatal(err)
	}
	want := Event{ID: "evt_1", Type: EventPaymentSucceeded, Created: time.Unix(1700000000, 0).UTC(),
		Data: EventData{PaymentID: "pay_1", OrderID: "o-1", Amount: 1234, Currency: "EUR"}}
	if e != want {
		t.Fatalf("ParseEvent = %+v, want %+v", e, want)
	}

	refund := `{"id":"evt_2","type":"refund.succeeded","created":1700000001,"data":{"payment_id":"pay_1",
		"order_id":"o-1","amount":"2.00","currency":"EUR","refund_id":"re_1"},"livemode":false}`
	e, err = ParseEvent([]byte(refund))
	if err != nil {
		t.Fatalf("refund event with an extra field: %v", err)
	}
	if e.Data.RefundID != "re_1" || e.Data.Amount != 200 {
		t.Fatalf("refund event = %+v", e)
	}
}

func TestEventJSONRoundTrip(t *testing.T) {
	e := Event{ID: "evt_9", Type: EventRefundSucceeded, Created: time.Unix(1700000000, 0).UTC(),
		Data: EventData{PaymentID: "pay_9", OrderID: "o-9", Amount: 5, Currency: "EUR", RefundID: "re_9"}}
	body, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"id":"evt_9","type":"refund.succeeded","created":1700000000,"data":{"payment_id":"pay_9","order_id":"o-9","amount":"0.05","currency":"EUR","refund_id":"re_9"}}`
	if string(body) != want {
		t.Fatalf("body = %s\nwant   %s", body, want)
	}
	var back Event
	if err := json.Unmarshal(body, &back); err != nil || back != e {
		t.Fatalf("round trip = %+v, %v; want %+v", back, err, e)
	}
	if err := json.Unmarshal([]byte(`{"id":"evt_9"}`), &back); !errors.Is(err, ErrEventIncomplete) {
		t.Fatalf("json.Unmarshal of an incomplete event: %v, want ErrEventIncomplete", err)
	}
}

func TestParseEventIsStrict(t *testing.T) {
	replace := func(old, new string) string { return strings.Replace(validPaymentEvent, old, new, 1) }
	cases := []struct {
		name, body string
		want       error
	}{
		{"empty", ``, ErrEventMalformed},
		{"not json", `payment succeeded`, ErrEventMalformed},
		{"array", `[]`, ErrEventMalformed},
		{"two objects", validPaymentEvent + `{}`, ErrEventMalformed},
		{"amount as object", replace(`"12.34"`, `{}`), ErrEventMalformed},
		{"amount with three decimals", replace(`"12.34"`, `"12.345"`), ErrEventMalformed},
		{"created as text", replace(`1700000000`, `"yesterday"`), ErrEventMalformed},
		{"unknown type", replace(`payment.succeeded`, `payment.failed`), ErrEventUnknownType},
		{"no id", replace(`"id":"evt_1",`, ``), ErrEventIncomplete},
		{"id without prefix", replace(`evt_1`, `1`), ErrEventIncomplete},
		{"no type", replace(`"type":"payment.succeeded",`, ``), ErrEventIncomplete},
		{"no created", replace(`"created":1700000000,`, ``), ErrEventIncomplete},
		{"no data", `{"id":"evt_1","type":"payment.succeeded","created":1700000000}`, ErrEventIncomplete},
		{"no payment id", replace(`"payment_id":"pay_1",`, ``), ErrEventIncomplete},
		{"no order id", replace(`"order_id":"o-1",`, ``), ErrEventIncomplete},
		{"no amount", replace(`"amount":"12.34",`, ``), ErrEventIncomplete},
		{"zero amount", replace(`"12.34"`, `"0.00"`), ErrEventIncomplete},
		{"negative amount", replace(`"12.34"`, `"-1.00"`), ErrEventIncomplete},
		{"no currency", replace(`,"currency":"EUR"`, ``), ErrEventIncomplete},
		{"bad currency", replace(`EUR`, `euro`), ErrEventIncomplete},
		{"refund without refund id", replace(`payment.succeeded`, `refund.succeeded`), ErrEventIncomplete},
		{"payment with refund id", replace(`"currency":"EUR"`, `"currency":"EUR","refund_id":"re_1"`), ErrEventIncomplete},
	}
	for _, c := range cases {
		if _, err := ParseEvent([]byte(c.body)); !errors.Is(err, c.want) {
			t.Errorf("%s: ParseEvent = %v, want %v", c.name, err, c.want)
		}
	}
}

package payments

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/orderflow/orderflow/internal/money"
	"github.com/orderflow/orderflow/internal/pgtest"
)

const testPublicURL = "https://shop.example"

var testSecret = []byte("test-webhook-secret")

func newTestSandbox(t *testing.T) (*Sandbox, *pgxpool.Pool) {
	t.Helper()
	pool := pgtest.New(t)
	return NewSandbox(pool, testPublicURL+"/", testSecret), pool
}

func linkRequest(key, orderID string) LinkRequest {
	return LinkRequest{
		Key: key, OrderID: orderID, Amount: 1234, Currency: "EUR",
		Description: "2 × pallet of tiles", CustomerEmail: "ann@example.com",
		ExpiresAt: time.Now().Add(time.Hour),
	}
}

func tokenOf(t *testing.T, l Link) string {
	t.Helper()
	token, ok := strings.CutPrefix(l.URL, testPublicURL+"/pay/")
	if !ok || token == "" {
		t.Fatalf("link URL %q is not %s/pay/<token>", l.URL, testPublicURL)
	}
	return token
}

func createLink(t *testing.T, s *Sandbox, r LinkRequest) Link {
	t.Helper()
	l, err := s.CreateLink(context.Background(), r)
	if err != nil {
		t.Fatalf("CreateLink(%s): %v", r.Key, err)
	}
	return l
}

// paidPayment makes a link for orderID and pays it.
func paidPayment(t *testing.T, s *Sandbox, orderID string, amount money.Amount) Link {
	t.Helper()
	r := linkRequest("link-"+orderID, orderID)
	r.Amount = amount
	l := createLink(t, s, r)
	if _, err := s.Pay(context.Background(), tokenOf(t, l)); err != nil {
		t.Fatalf("Pay %s: %v", l.PaymentID, err)
	}
	return l
}

func count(t *testing.T, pool *pgxpool.Pool, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := pool.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

func TestCreateLinkIsIdempotentPerKey(t *testing.T) {
	s, pool := newTestSandbox(t)
	ctx := context.Background()
	r := linkRequest("o-1/payment", "o-1")

	first := createLink(t, s, r)
	if !strings.HasPrefix(first.PaymentID, "pay_") {
		t.Fatalf("payment id %q, want pay_…", first.PaymentID)
	}
	if !first.ExpiresAt.Equal(r.ExpiresAt.Truncate(time.Microsecond)) {
		t.Fatalf("expiry %s, want %s", first.ExpiresAt, r.ExpiresAt)
	}
	retried := r
	retried.Description = "regenerated description" // not part of the identity
	again := createLink(t, s, retried)
	if again != first {
		t.Fatalf("same key: %+v, first %+v", again, first)
	}
	other := createLink(t, s, linkRequest("o-1/payment-2", "o-1"))
	if other.PaymentID == first.PaymentID || other.URL == first.URL {
		t.Fatalf("different keys share a link: %+v and %+v", first, other)
	}
	if n := count(t, pool, `SELECT count(*) FROM payments`); n != 2 {
		t.Fatalf("payments rows = %d, want 2", n)
	}
	// Only the token's hash is stored.
	token := tokenOf(t, first)
	if n := count(t, pool, `SELECT count(*) FROM payments WHERE token_hash = sha256($1::bytea)`, []byte(token)); n != 1 {
		t.Fatalf("rows with sha256(token) = %d, want 1", n)
	}
	if n := count(t, pool, `SELECT count(*) FROM payments p WHERE position($1 in row_to_json(p)::text) > 0`, token); n != 0 {
		t.Fatal("the token itself is stored")
	}

	conflict := r
	conflict.Amount = 999
	_, err := s.CreateLink(ctx, conflict)
	if !errors.Is(err, ErrInvalid) || !errors.Is(err, ErrKeyConflict) {
		t.Fatalf("same key, other amount: %v, want ErrInvalid and ErrKeyConflict", err)
	}
}

func TestCreateLinkConcurrentlyWithOneKeyMakesOneLink(t *testing.T) {
	s, pool := newTestSandbox(t)
	r := linkRequest("o-2/payment", "o-2")
	links := make([]Link, 8)
	errs := make([]error, len(links))
	var wg sync.WaitGroup
	for i := range links {
		wg.Go(func() { links[i], errs[i] = s.CreateLink(context.Background(), r) })
	}
	wg.Wait()
	for i := range links {
		if errs[i] != nil {
			t.Fatalf("call %d: %v", i, errs[i])
		}
		if links[i] != links[0] {
			t.Fatalf("call %d got %+v, call 0 %+v", i, links[i], links[0])
		}
	}
	if n := count(t, pool, `SELECT count(*) FROM payments`); n != 1 {
		t.Fatalf("payments rows = %d, want 1", n)
	}
}

func TestCreateLinkRefusesInvalidRequests(t *testing.T) {
	s, pool := newTestSandbox(t)
	cases := map[string]func(*LinkRequest){
		"no key":          func(r *LinkRequest) { r.Key = " " },
		"no order":        func(r *LinkRequest) { r.OrderID = "" },
		"zero amount":     func(r *LinkRequest) { r.Amount = 0 },
		"negative amount": func(r *LinkRequest) { r.Amount = -100 },
		"absurd amount":   func(r *LinkRequest) { r.Amount = money.MaxAmount + 1 },
		"bad currency":    func(r *LinkRequest) { r.Currency = "€" },
		"no expiry":       func(r *LinkRequest) { r.ExpiresAt = time.Time{} },
		"NUL in text":     func(r *LinkRequest) { r.Description = "a\x00b" },
		"huge text":       func(r *LinkRequest) { r.Description = strings.Repeat("x", 5000) },
	}
	for name, change := range cases {
		r := linkRequest("bad/"+name, "o-3")
		change(&r)
		if _, err := s.CreateLink(context.Background(), r); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: CreateLink = %v, want ErrInvalid", name, err)
		}
	}
	if n := count(t, pool, `SELECT count(*) FROM payments`); n != 0 {
		t.Fatalf("payments rows = %d after refused requests, want 0", n)
	}
	if _, err := NewSandbox(pool, testPublicURL, nil).CreateLink(context.Background(), linkRequest("k", "o")); !errors.Is(err, ErrNoSecret) {
		t.Fatalf("sandbox without a secret: %v, want ErrNoSecret", err)
	}
}

func TestPayTakesThePaymentOnce(t *testing.T) {
	s, pool := newTestSandbox(t)
	ctx := context.Background()
	l := createLink(t, s, linkRequest("o-4/payment", "o-4"))
	token := tokenOf(t, l)

	v, err := s.View(ctx, token)
	if err != nil {
		t.Fatal(err)
	}
	if v.Status != StatusCreated || v.OrderID != "o-4" || v.Amount != 1234 || v.Currency != "EUR" ||
		v.Description != "2 × pallet of tiles" || !v.ExpiresAt.Equal(l.ExpiresAt) || v.Paid() {
		t.Fatalf("view before paying = %+v", v)
	}

	event, err := s.Pay(ctx, token)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(event.ID, "evt_") || event.Type != EventPaymentSucceeded ||
		event.Data != (EventData{PaymentID: l.PaymentID, OrderID: "o-4", Amount: 1234, Currency: "EUR"}) {
		t.Fatalf("event = %+v", event)
	}
	again, err := s.Pay(ctx, token)
	if err != nil || again != event {
		t.Fatalf("second Pay = %+v, %v; want the first event %+v", again, err, event)
	}
	if n := count(t, pool, `SELECT count(*) FROM payment_events WHERE type = 'payment.succeeded'`); n != 1 {
		t.Fatalf("payment.succeeded rows = %d, want 1", n)
	}
	v, err = s.View(ctx, token)
	if err != nil || !v.Paid() || v.PaidAt.IsZero() {
		t.Fatalf("view after paying = %+v, %v", v, err)
	}
}

func TestConcurrentPaysRecordOneEvent(t *testing.T) {
	s, pool := newTestSandbox(t)
	token := tokenOf(t, createLink(t, s, linkRequest("o-5/payment", "o-5")))
	events := make([]Event, 6)
	errs := make([]error, len(events))
	var wg sync.WaitGroup
	for i := range events {
		wg.Go(func() { events[i], errs[i] = s.Pay(context.Background(), token) })
	}
	wg.Wait()
	for i := range events {
		if errs[i] != nil || events[i] != events[0] {
			t.Fatalf("pay %d = %+v, %v; pay 0 = %+v", i, events[i], errs[i], events[0])
		}
	}
	if n := count(t, pool, `SELECT count(*) FROM payment_events`); n != 1 {
		t.Fatalf("events = %d, want 1", n)
	}
}

func TestExpiredLinkRefusesPayment(t *testing.T) {
	s, pool := newTestSandbox(t)
	ctx := context.Background()
	l := createLink(t, s, linkRequest("o-6/payment", "o-6"))
	token := tokenOf(t, l)

	s.now = func() time.Time { return l.ExpiresAt.Add(-time.Microsecond) }
	if _, err := s.View(ctx, token); err != nil {
		t.Fatalf("a microsecond before expiry: %v", err)
	}
	s.now = func() time.Time { return l.ExpiresAt }
	v, err := s.View(ctx, token)
	if !errors.Is(err, ErrLinkExpired) || v.OrderID != "o-6" {
		t.Fatalf("View at expiry = %+v, %v; want the view with ErrLinkExpired", v, err)
	}
	if _, err := s.Pay(ctx, token); !errors.Is(err, ErrLinkExpired) {
		t.Fatalf("Pay at expiry = %v, want ErrLinkExpired", err)
	}
	if n := count(t, pool, `SELECT count(*) FROM payment_events`); n != 0 {
		t.Fatalf("events after a refused payment = %d, want 0", n)
	}
	if p, _ := s.Payment(ctx, l.PaymentID); p.Status != StatusCreated {
		t.Fatalf("status after a refused payment = %s", p.Status)
	}

	// A payment made in time still shows as paid after the expiry.
	paid := createLink(t, s, linkRequest("o-7/payment", "o-7"))
	s.now = time.Now
	if _, err := s.Pay(ctx, tokenOf(t, paid)); err != nil {
		t.Fatal(err)
	}
	s.now = func() time.Time { return paid.ExpiresAt.Add(time.Hour) }
	if v, err := s.View(ctx, tokenOf(t, paid)); err != nil || !v.Paid() {
		t.Fatalf("paid link after expiry = %+v, %v; want paid", v, err)
	}
	if _, err := s.Pay(ctx, tokenOf(t, paid)); err != nil {
		t.Fatalf("paying a paid link after expiry = %v, want its event", err)
	}
}

func TestTamperedAndUnknownTokensAreToldApart(t *testing.T) {
	s, _ := newTestSandbox(t)
	ctx := context.Background()
	token := tokenOf(t, createLink(t, s, linkRequest("o-8/payment", "o-8")))
	last := token[len(token)-2]
	tampered := token[:len(token)-2] + string(last^1) + token[len(token)-1:]
	unknown := s.links.Token("pay_01NOSUCHPAYMENT")
	cases := []struct {
		name, token string
		want        error
	}{
		{"tampered", tampered, ErrLinkTampered},
		{"garbage", "hello", ErrLinkTampered},
		{"other secret", linkSigner([]byte("another")).Token("pay_X"), ErrLinkTampered},
		{"unknown payment", unknown, ErrNotFound},
	}
	for _, c := range cases {
		if _, err := s.View(ctx, c.token); !errors.Is(err, c.want) {
			t.Errorf("%s: View = %v, want %v", c.name, err, c.want)
		}
		if _, err := s.Pay(ctx, c.token); !errors.Is(err, c.want) {
			t.Errorf("%s: Pay = %v, want %v", c.name, err, c.want)
		}
	}
}

func TestCancelLink(t *testing.T) {
	s, _ := newTestSandbox(t)
	ctx := context.Background()
	l := createLink(t, s, linkRequest("o-9/payment", "o-9"))
	if err := s.CancelLink(ctx, l.PaymentID); err != nil {
		t.Fatal(err)
	}
	if err := s.CancelLink(ctx, l.PaymentID); err != nil {
		t.Fatalf("cancelling twice: %v", err)
	}
	if _, err := s.Pay(ctx, tokenOf(t, l)); !errors.Is(err, ErrLinkCancelled) {
		t.Fatalf("Pay of a cancelled link = %v, want ErrLinkCancelled", err)
	}
	if v, err := s.View(ctx, tokenOf(t, l)); !errors.Is(err, ErrLinkCancelled) || v.OrderID != "o-9" {
		t.Fatalf("View of a cancelled link = %+v, %v", v, err)
	}
	paid := paidPayment(t, s, "o-10", 500)
	if err := s.CancelLink(ctx, paid.PaymentID); !errors.Is(err, ErrAlreadyPaid) {
		t.Fatalf("cancelling a paid link = %v, want ErrAlreadyPaid", err)
	}
	if err := s.CancelLink(ctx, "pay_NOPE"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("cancelling an unknown link = %v, want ErrNotFound", err)
	}
}

func refundRequest(key string, l Link, orderID string, amount money.Amount) RefundRequest {
	return RefundRequest{Key: key, OrderID: orderID, PaymentID: l.PaymentID, Amount: amount, Reason: "cancelled"}
}

func TestRefundIsIdempotentPerKey(t *testing.T) {
	s, pool := newTestSandbox(t)
	ctx := context.Background()
	l := paidPayment(t, s, "o-11", 1234)
	r := refundRequest("o-11/refund/cancel", l, "o-11", 500)

	first, err := s.Refund(ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(first.RefundID, "re_") || first.PaymentID != l.PaymentID || first.Amount != 500 || first.At.IsZero() {
		t.Fatalf("refund = %+v", first)
	}
	again, err := s.Refund(ctx, r)
	if err != nil || again != first {
		t.Fatalf("retried refund = %+v, %v; want %+v", again, err, first)
	}
	if n := count(t, pool, `SELECT count(*) FROM refunds`); n != 1 {
		t.Fatalf("refund rows = %d, want 1", n)
	}
	var eventAmount string
	err = pool.QueryRow(ctx, `SELECT payload->'data'->>'amount' FROM payment_events WHERE type = 'refund.succeeded' AND refund_id = $1`,
		first.RefundID).Scan(&eventAmount)
	if err != nil || eventAmount != "5.00" {
		t.Fatalf("refund event amount = %q, %v; want 5.00", eventAmount, err)
	}
	if n := count(t, pool, `SELECT count(*) FROM payment_events WHERE type = 'refund.succeeded'`); n != 1 {
		t.Fatalf("refund events = %d, want 1", n)
	}

	conflict := r
	conflict.Amount = 100
	if _, err := s.Refund(ctx, conflict); !errors.Is(err, ErrInvalid) || !errors.Is(err, ErrKeyConflict) {
		t.Fatalf("same key, other amount: %v, want ErrInvalid and ErrKeyConflict", err)
	}
}

func TestPartialRefundsUpToTheAmountPaid(t *testing.T) {
	s, _ := newTestSandbox(t)
	ctx := context.Background()
	l := paidPayment(t, s, "o-12", 1234)
	if _, err := s.Refund(ctx, refundRequest("r1", l, "o-12", 1235)); !errors.Is(err, ErrRefundExceedsPayment) {
		t.Fatalf("refund above the payment: %v, want ErrRefundExceedsPayment", err)
	}
	for key, amount := range map[string]money.Amount{"r2": 1000, "r3": 234} {
		if _, err := s.Refund(ctx, refundRequest(key, l, "o-12", amount)); err != nil {
			t.Fatalf("refund %s of %s: %v", key, amount, err)
		}
	}
	if _, err := s.Refund(ctx, refundRequest("r4", l, "o-12", 1)); !errors.Is(err, ErrRefundExceedsPayment) {
		t.Fatalf("refund beyond the total: %v, want ErrRefundExceedsPayment", err)
	}
	p, err := s.Payment(ctx, l.PaymentID)
	if err != nil || p.Refunded != 1234 {
		t.Fatalf("refunded = %s, %v; want 12.34", p.Refunded, err)
	}
}

func TestRefundRefusals(t *testing.T) {
	s, _ := newTestSandbox(t)
	ctx := context.Background()
	unpaid := createLink(t, s, linkRequest("o-13/payment", "o-13"))
	if _, err := s.Refund(ctx, refundRequest("u1", unpaid, "o-13", 100)); !errors.Is(err, ErrNotPaid) {
		t.Fatalf("refund of an unpaid payment: %v, want ErrNotPaid", err)
	}
	if _, err := s.Refund(ctx, refundRequest("u2", Link{PaymentID: "pay_NOPE"}, "o-13", 100)); !errors.Is(err, ErrNotFound) {
		t.Fatalf("refund of an unknown payment: %v, want ErrNotFound", err)
	}
	paid := paidPayment(t, s, "o-14", 100)
	if _, err := s.Refund(ctx, refundRequest("u3", paid, "o-other", 100)); !errors.Is(err, ErrInvalid) {
		t.Fatalf("refund naming another order: %v, want ErrInvalid", err)
	}
	if _, err := s.Refund(ctx, refundRequest("u4", paid, "o-14", 0)); !errors.Is(err, ErrInvalid) {
		t.Fatalf("refund of zero: %v, want ErrInvalid", err)
	}
}

func TestConcurrentRefundsWithOneKeyRefundOnce(t *testing.T) {
	s, pool := newTestSandbox(t)
	l := paidPayment(t, s, "o-15", 1234)
	r := refundRequest("o-15/refund", l, "o-15", 1234)
	refunds := make([]Refund, 8)
	errs := make([]error, len(refunds))
	var wg sync.WaitGroup
	for i := range refunds {
		wg.Go(func() { refunds[i], errs[i] = s.Refund(context.Background(), r) })
	}
	wg.Wait()
	for i := range refunds {
		if errs[i] != nil || refunds[i] != refunds[0] {
			t.Fatalf("refund %d = %+v, %v; refund 0 = %+v", i, refunds[i], errs[i], refunds[0])
		}
	}
	if n := count(t, pool, `SELECT count(*) FROM refunds`); n != 1 {
		t.Fatalf("refund rows = %d, want 1", n)
	}
}

func TestConcurrentRefundsWithDifferentKeysNeverExceedThePayment(t *testing.T) {
	s, pool := newTestSandbox(t)
	l := paidPayment(t, s, "o-16", 1000)
	errs := make([]error, 8)
	var wg sync.WaitGroup
	for i := range errs {
		wg.Go(func() {
			_, errs[i] = s.Refund(context.Background(), refundRequest("o-16/r"+string(rune('a'+i)), l, "o-16", 300))
		})
	}
	wg.Wait()
	var ok, exceeded int
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case errors.Is(err, ErrRefundExceedsPayment):
			exceeded++
		default:
			t.Fatalf("unexpected error: %v", err)
		}
	}
	if ok != 3 || exceeded != 5 {
		t.Fatalf("%d refunds made, %d refused; want 3 and 5", ok, exceeded)
	}
	if n := count(t, pool, `SELECT sum(amount_cents)::int FROM refunds`); n != 900 {
		t.Fatalf("refunded %d cents, want 900", n)
	}
}

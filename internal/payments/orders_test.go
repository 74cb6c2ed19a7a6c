package payments

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestPaymentsOfOrderShowWhatIsHeld(t *testing.T) {
	s, _ := newTestSandbox(t)
	ctx := context.Background()
	if got, err := s.PaymentsOfOrder(ctx, "ord-1"); err != nil || len(got) != 0 {
		t.Fatalf("no payments: %v, %v", got, err)
	}
	paid := paidPayment(t, s, "ord-1", 5000)
	open := createLink(t, s, linkRequest("second-link", "ord-1"))
	createLink(t, s, linkRequest("other-order", "ord-2"))
	if _, err := s.Refund(ctx, RefundRequest{Key: "ord-1/refund", OrderID: "ord-1", PaymentID: paid.PaymentID, Amount: 1500}); err != nil {
		t.Fatal(err)
	}

	got, err := s.PaymentsOfOrder(ctx, "ord-1")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].PaymentID != paid.PaymentID || got[1].PaymentID != open.PaymentID {
		t.Fatalf("payments %+v, want the paid one then the open one", got)
	}
	now := time.Now()
	if p := got[0]; !p.Paid() || p.Amount != 5000 || p.Refunded != 1500 || p.Held() != 3500 || p.Open(now) {
		t.Errorf("paid payment %+v held %s", p, p.Held())
	}
	if p := got[1]; p.Paid() || p.Held() != 0 || !p.Open(now) || p.Open(p.ExpiresAt) {
		t.Errorf("open payment %+v", p)
	}

	r, err := s.RefundOfKey(ctx, "ord-1/refund")
	if err != nil || r.PaymentID != paid.PaymentID || r.Amount != 1500 || r.RefundID == "" {
		t.Fatalf("refund of key: %+v, %v", r, err)
	}
	if _, err := s.RefundOfKey(ctx, "ord-2/refund"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("refund of an unused key: %v, want ErrNotFound", err)
	}
}

package payments

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// receiver is a webhook endpoint that checks every request as the API will.
type receiver struct {
	mu       sync.Mutex
	received []Event        // in arrival order
	perID    map[string]int // deliveries per event id
	problems []string
	// answer gives the status for an event; nil answers 204.
	answer func(Event) int
	delay  time.Duration
}

func newReceiver(t *testing.T) (*receiver, *httptest.Server) {
	rc := &receiver{perID: map[string]int{}}
	srv := httptest.NewServer(rc)
	t.Cleanup(srv.Close)
	t.Cleanup(func() {
		rc.mu.Lock()
		defer rc.mu.Unlock()
		for _, p := range rc.problems {
			t.Error(p)
		}
	})
	return rc, srv
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	if err := Verify(testSecret, r.Header.Get(SignatureHeader), body, time.Now(), 0); err != nil {
		rc.problem("signature: %v", err)
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return
	}
	if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" {
		rc.problem("got %s with Content-Type %q, want a JSON POST", r.Method, r.Header.Get("Content-Type"))
	}
	event, err := ParseEvent(body)
	if err != nil {
		rc.problem("body: %v", err)
		http.Error(w, err.Error(), http.StatusUnprocessableEntity)
		return
	}
	time.Sleep(rc.delay)
	rc.mu.Lock()
	rc.received = append(rc.received, event)
	rc.perID[event.ID]++
	answer := rc.answer
	rc.mu.Unlock()
	status := http.StatusNoContent
	if answer != nil {
		status = answer(event)
	}
	w.WriteHeader(status)
	_, _ = fmt.Fprintf(w, "answer %d", status)
}

func (rc *receiver) problem(format string, args ...any) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.problems = append(rc.problems, fmt.Sprintf(format, args...))
}

func (rc *receiver) count() int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return len(rc.received)
}

func (rc *receiver) setAnswer(f func(Event) int) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.answer = f
}

type eventRow struct {
	delivered, givenUp bool
	attempts, refusals int
	lastError          string
}

func readEvent(t *testing.T, pool *pgxpool.Pool, id string) eventRow {
	t.Helper()
	var r eventRow
	err := pool.QueryRow(context.Background(), `SELECT delivered_at IS NOT NULL, given_up_at IS NOT NULL, attempts, refusals, last_error
		FROM payment_events WHERE id = $1`, id).Scan(&r.delivered, &r.givenUp, &r.attempts, &r.refusals, &r.lastError)
	if err != nil {
		t.Fatalf("event %s: %v", id, err)
	}
	return r
}

func pay(t *testing.T, s *Sandbox, orderID string) Event {
	t.Helper()
	l := createLink(t, s, linkRequest("link-"+orderID, orderID))
	e, err := s.Pay(context.Background(), tokenOf(t, l))
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestDeliverPendingPostsSignedEventsOnceOldestFirst(t *testing.T) {
	s, pool := newTestSandbox(t)
	rc, srv := newReceiver(t)
	d := NewDeliverer(pool, srv.URL, testSecret, srv.Client())
	ctx := context.Background()

	paid := pay(t, s, "o-20")
	refund, err := s.Refund(ctx, RefundRequest{Key: "o-20/refund", OrderID: "o-20", PaymentID: paid.Data.PaymentID, Amount: 34})
	if err != nil {
		t.Fatal(err)
	}
	n, err := d.DeliverPending(ctx)
	if err != nil || n != 2 {
		t.Fatalf("DeliverPending = %d, %v; want 2", n, err)
	}
	if n, err := d.DeliverPending(ctx); err != nil || n != 0 {
		t.Fatalf("second round = %d, %v; want 0", n, err)
	}
	if rc.count() != 2 {
		t.Fatalf("receiver got %d requests, want 2", rc.count())
	}
	if rc.received[0] != paid {
		t.Fatalf("first delivery = %+v, want the payment event %+v", rc.received[0], paid)
	}
	got := rc.received[1]
	if got.Type != EventRefundSucceeded || got.Data.RefundID != refund.RefundID || got.Data.Amount != 34 || got.Data.OrderID != "o-20" {
		t.Fatalf("second delivery = %+v, want the refund %+v", got, refund)
	}
	if row := readEvent(t, pool, paid.ID); !row.delivered || row.attempts != 1 {
		t.Fatalf("payment event after delivery = %+v", row)
	}
}

func TestDeliverPendingKeepsAFailedEventForTheNextRound(t *testing.T) {
	s, pool := newTestSandbox(t)
	rc, srv := newReceiver(t)
	d := NewDeliverer(pool, srv.URL, testSecret, nil)
	ctx := context.Background()
	failing := pay(t, s, "o-21")
	fine := pay(t, s, "o-22")
	rc.setAnswer(func(e Event) int {
		if e.ID == failing.ID {
			return http.StatusInternalServerError
		}
		return http.StatusOK
	})

	n, err := d.DeliverPending(ctx)
	if n != 1 || err == nil {
		t.Fatalf("round with a 500 = %d, %v; want 1 delivered and an error", n, err)
	}
	row := readEvent(t, pool, failing.ID)
	if row.delivered || row.givenUp || row.attempts != 1 || row.lastError == "" {
		t.Fatalf("failed event = %+v, want pending with one attempt and its error", row)
	}
	if !readEvent(t, pool, fine.ID).delivered {
		t.Fatal("the event after the failing one was not delivered")
	}

	rc.setAnswer(nil)
	if n, err := d.DeliverPending(ctx); n != 1 || err != nil {
		t.Fatalf("next round = %d, %v; want 1", n, err)
	}
	if row := readEvent(t, pool, failing.ID); !row.delivered || row.attempts != 2 {
		t.Fatalf("event after the retry = %+v", row)
	}
	if rc.perID[failing.ID] != 2 || rc.perID[fine.ID] != 1 {
		t.Fatalf("deliveries = %v", rc.perID)
	}
}

func TestDeliverPendingGivesUpAfterRepeatedRefusals(t *testing.T) {
	s, pool := newTestSandbox(t)
	rc, srv := newReceiver(t)
	rc.setAnswer(func(Event) int { return http.StatusBadRequest })
	d := NewDeliverer(pool, srv.URL, testSecret, nil)
	event := pay(t, s, "o-23")

	for round := 1; round <= MaxRefusals; round++ {
		if _, err := d.DeliverPending(context.Background()); err == nil {
			t.Fatalf("round %d: no error for a refused event", round)
		}
		row := readEvent(t, pool, event.ID)
		if row.refusals != round || row.givenUp != (round == MaxRefusals) || row.delivered {
			t.Fatalf("after round %d: %+v", round, row)
		}
		if want := "400 Bad Request"; !strings.Contains(row.lastError, want) {
			t.Fatalf("last error %q does not say %q", row.lastError, want)
		}
	}
	n, err := d.DeliverPending(context.Background())
	if n != 0 || err != nil || rc.count() != MaxRefusals {
		t.Fatalf("after giving up: round = %d, %v; receiver got %d requests, want %d", n, err, rc.count(), MaxRefusals)
	}
}

func TestDeliverPendingDoesNotFollowRedirects(t *testing.T) {
	s, pool := newTestSandbox(t)
	rc, target := newReceiver(t)
	redirect := httptest.NewServer(http.RedirectHandler(target.URL, http.StatusTemporaryRedirect))
	t.Cleanup(redirect.Close)
	event := pay(t, s, "o-26")

	if _, err := NewDeliverer(pool, redirect.URL, testSecret, nil).DeliverPending(context.Background()); err == nil {
		t.Fatal("a redirect counted as delivered")
	}
	row := readEvent(t, pool, event.ID)
	if row.delivered || row.refusals != 1 || !strings.Contains(row.lastError, "redirected") {
		t.Fatalf("event after a redirect = %+v, want one refusal naming the redirect", row)
	}
	if rc.count() != 0 {
		t.Fatal("the redirect was followed")
	}
}

func TestDeliverPendingStopsWhenTheReceiverIsUnreachable(t *testing.T) {
	s, pool := newTestSandbox(t)
	srv := httptest.NewServer(http.NotFoundHandler())
	srv.Close() // nothing listens there any more
	d := NewDeliverer(pool, srv.URL, testSecret, nil)
	first := pay(t, s, "o-24")
	second := pay(t, s, "o-25")

	n, err := d.DeliverPending(context.Background())
	if n != 0 || err == nil {
		t.Fatalf("DeliverPending = %d, %v; want 0 and an error", n, err)
	}
	if a, b := readEvent(t, pool, first.ID), readEvent(t, pool, second.ID); a.attempts != 1 || b.attempts != 0 || a.delivered || a.givenUp {
		t.Fatalf("after an unreachable round: first %+v, second %+v; want one attempt on the first only", a, b)
	}
}

func TestConcurrentRoundsDeliverEachEventOnce(t *testing.T) {
	s, pool := newTestSandbox(t)
	rc, srv := newReceiver(t)
	rc.delay = 20 * time.Millisecond // so that the rounds overlap
	var events []Event
	for i := range 10 {
		events = append(events, pay(t, s, fmt.Sprintf("o-3%d", i)))
	}
	d1 := NewDeliverer(pool, srv.URL, testSecret, nil)
	d2 := NewDeliverer(pool, srv.URL, testSecret, nil)
	var counts [2]int
	var errs [2]error
	var wg sync.WaitGroup
	wg.Go(func() { counts[0], errs[0] = d1.DeliverPending(context.Background()) })
	wg.Go(func() { counts[1], errs[1] = d2.DeliverPending(context.Background()) })
	wg.Wait()
	if errs[0] != nil || errs[1] != nil {
		t.Fatalf("errors: %v, %v", errs[0], errs[1])
	}
	if counts[0]+counts[1] != len(events) {
		t.Fatalf("delivered %d + %d, want %d in all", counts[0], counts[1], len(events))
	}
	for _, e := range events {
		if rc.perID[e.ID] != 1 {
			t.Errorf("event %s delivered %d times, want once", e.ID, rc.perID[e.ID])
		}
	}
}

func TestRunDeliversUntilCancelled(t *testing.T) {
	s, pool := newTestSandbox(t)
	rc, srv := newReceiver(t)
	d := NewDeliverer(pool, srv.URL, testSecret, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx, 20*time.Millisecond) }()

	event := pay(t, s, "o-40")
	deadline := time.Now().Add(30 * time.Second)
	for rc.count() == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run returned %v after cancel, want nil", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Run did not return after its context ended")
	}
	if rc.count() != 1 || rc.received[0].ID != event.ID {
		t.Fatalf("received %+v, want the one payment event", rc.received)
	}
}

func TestDeliverPendingNeedsASecret(t *testing.T) {
	d := NewDeliverer(nil, "http://127.0.0.1:1", nil, nil)
	if _, err := d.DeliverPending(context.Background()); !errors.Is(err, ErrNoSecret) {
		t.Fatalf("DeliverPending without a secret = %v, want ErrNoSecret", err)
	}
}

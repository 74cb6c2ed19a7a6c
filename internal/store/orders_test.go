package store

import (
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"
)

var t0 = time.Date(2026, 3, 1, 9, 30, 0, 123456000, time.UTC)

func memberOrder(id string, seq int64, status string) (Order, TimelineEntry) {
	at := t0.Add(time.Duration(seq) * time.Minute)
	deadline := at.Add(48 * time.Hour)
	o := Order{
		ID: id, Flow: "member", Status: status, OwnerID: "member-1", Title: "Order " + id,
		TotalCents: 1000 * seq, NextDeadline: &deadline,
		View:      json.RawMessage(fmt.Sprintf(`{"status": %q, "seq": %d}`, status, seq)),
		CreatedAt: t0, UpdatedAt: at,
	}
	e := TimelineEntry{
		Seq: seq, At: at, From: "prev", To: status, Action: "act", ActorRole: "member",
		ActorID: "member-1", RequestID: fmt.Sprintf("req-%d", seq),
	}
	return o, e
}

func TestRecordTransitionIsIdempotent(t *testing.T) {
	s, ctx := newTestStore(t), testContext(t)
	o, e := memberOrder("o-1", 1, "submitted")
	for range 3 {
		mustNoErr(t, s.RecordTransition(ctx, o, e))
	}

	got, err := s.GetOrder(ctx, "o-1")
	mustNoErr(t, err)
	if got.Seq != 1 || got.Status != "submitted" || got.TotalCents != 1000 || got.Currency != "EUR" {
		t.Fatalf("order = %+v, want seq 1, submitted, 1000 EUR", got)
	}
	if !got.UpdatedAt.Equal(e.At) || !got.CreatedAt.Equal(t0) || got.NextDeadline == nil || !got.NextDeadline.Equal(*o.NextDeadline) {
		t.Fatalf("order times = created %v updated %v deadline %v", got.CreatedAt, got.UpdatedAt, got.NextDeadline)
	}
	var view map[string]any
	mustNoErr(t, json.Unmarshal(got.View, &view))
	if view["status"] != "submitted" {
		t.Fatalf("view = %s", got.View)
	}

	timeline, err := s.Timeline(ctx, "o-1")
	mustNoErr(t, err)
	if len(timeline) != 1 {
		t.Fatalf("timeline has %d entries, want 1", len(timeline))
	}
	e.OrderID, e.Outcome = "o-1", OutcomeApplied
	if timeline[0] != e {
		t.Fatalf("timeline entry = %+v, want %+v", timeline[0], e)
	}
}

func TestRecordTransitionNeverRollsBackAnOrder(t *testing.T) {
	s, ctx := newTestStore(t), testContext(t)
	o3, e3 := memberOrder("o-1", 3, "approved")
	o2, e2 := memberOrder("o-1", 2, "submitted")
	mustNoErr(t, s.RecordTransition(ctx, o3, e3))
	mustNoErr(t, s.RecordTransition(ctx, o2, e2)) // a late retry of an older transition

	got, err := s.GetOrder(ctx, "o-1")
	mustNoErr(t, err)
	if got.Seq != 3 || got.Status != "approved" || got.TotalCents != 3000 {
		t.Fatalf("order = seq %d %s %d, want seq 3 approved 3000", got.Seq, got.Status, got.TotalCents)
	}
	timeline, err := s.Timeline(ctx, "o-1")
	mustNoErr(t, err)
	if len(timeline) != 2 || timeline[0].Seq != 2 || timeline[1].Seq != 3 {
		t.Fatalf("timeline = %+v, want seq 2 then 3", timeline)
	}

	o4, e4 := memberOrder("o-1", 4, "paid")
	mustNoErr(t, s.RecordTransition(ctx, o4, e4))
	got, err = s.GetOrder(ctx, "o-1")
	mustNoErr(t, err)
	if got.Seq != 4 || got.Status != "paid" {
		t.Fatalf("order = seq %d %s, want seq 4 paid", got.Seq, got.Status)
	}
}

func TestRecordTransitionRefusesDifferentContentForTheSameSeq(t *testing.T) {
	s, ctx := newTestStore(t), testContext(t)
	o, e := memberOrder("o-1", 1, "submitted")
	mustNoErr(t, s.RecordTransition(ctx, o, e))

	t.Run("timeline entry differs", func(t *testing.T) {
		other := e
		other.Reason = "something else"
		wantErrIs(t, s.RecordTransition(ctx, o, other), ErrConflict)
	})
	t.Run("order state differs", func(t *testing.T) {
		other := o
		other.Status = "cancelled"
		wantErrIs(t, s.RecordTransition(ctx, other, e), ErrConflict)
	})
	t.Run("view differs", func(t *testing.T) {
		other := o
		other.View = json.RawMessage(`{"status": "submitted", "seq": 2}`)
		wantErrIs(t, s.RecordTransition(ctx, other, e), ErrConflict)
	})
	t.Run("same view spelled differently is the same", func(t *testing.T) {
		same := o
		same.View = json.RawMessage(`{"seq":1,"status":"submitted"}`)
		mustNoErr(t, s.RecordTransition(ctx, same, e))
	})
	t.Run("sub-microsecond time difference is the same", func(t *testing.T) {
		// Postgres keeps microseconds; nanoseconds beyond them cannot be a conflict.
		same := e
		same.At = e.At.Add(500 * time.Nanosecond)
		sameOrder := o
		sameOrder.UpdatedAt = same.At
		mustNoErr(t, s.RecordTransition(ctx, sameOrder, same))
	})

	got, err := s.GetOrder(ctx, "o-1")
	mustNoErr(t, err)
	if got.Status != "submitted" {
		t.Fatalf("status = %s after refused conflicts, want submitted", got.Status)
	}
	timeline, err := s.Timeline(ctx, "o-1")
	mustNoErr(t, err)
	if len(timeline) != 1 || timeline[0].Reason != "" {
		t.Fatalf("timeline = %+v, want the first entry only", timeline)
	}
}

func TestRecordTransitionAtAnOlderSeqComparesTheTimelineOnly(t *testing.T) {
	s, ctx := newTestStore(t), testContext(t)
	o1, e1 := memberOrder("o-1", 1, "submitted")
	o2, e2 := memberOrder("o-1", 2, "approved")
	mustNoErr(t, s.RecordTransition(ctx, o1, e1))
	mustNoErr(t, s.RecordTransition(ctx, o2, e2))

	mustNoErr(t, s.RecordTransition(ctx, o1, e1)) // a retry of 1 after 2 landed
	changed := e1
	changed.Action = "other"
	wantErrIs(t, s.RecordTransition(ctx, o1, changed), ErrConflict)
}

func TestRecordTransitionRecordsRefusedActions(t *testing.T) {
	s, ctx := newTestStore(t), testContext(t)
	o, e := memberOrder("o-1", 1, "submitted")
	mustNoErr(t, s.RecordTransition(ctx, o, e))
	o.Seq = 0
	refused := TimelineEntry{Seq: 2, At: t0.Add(time.Hour), From: "submitted", To: "submitted",
		Action: "pay", ActorRole: "member", Reason: "not allowed in submitted", Outcome: OutcomeRefused}
	mustNoErr(t, s.RecordTransition(ctx, o, refused))

	timeline, err := s.Timeline(ctx, "o-1")
	mustNoErr(t, err)
	if len(timeline) != 2 || timeline[1].Outcome != OutcomeRefused || timeline[1].Reason != refused.Reason {
		t.Fatalf("timeline = %+v, want a refused second entry", timeline)
	}
}

func TestRecordTransitionRejectsBadInput(t *testing.T) {
	s, ctx := newTestStore(t), testContext(t)
	o, e := memberOrder("o-1", 1, "submitted")
	cases := map[string]func(*Order, *TimelineEntry){
		"no order id":     func(o *Order, e *TimelineEntry) { o.ID = "" },
		"other order":     func(o *Order, e *TimelineEntry) { e.OrderID = "o-2" },
		"seq mismatch":    func(o *Order, e *TimelineEntry) { o.Seq = 5 },
		"negative seq":    func(o *Order, e *TimelineEntry) { o.Seq, e.Seq = -1, -1 },
		"no time":         func(o *Order, e *TimelineEntry) { e.At = time.Time{} },
		"view not JSON":   func(o *Order, e *TimelineEntry) { o.View = json.RawMessage(`{`) },
		"unknown flow":    func(o *Order, e *TimelineEntry) { o.Flow = "barter" },
		"unknown outcome": func(o *Order, e *TimelineEntry) { e.Outcome = "maybe" },
	}
	for name, spoil := range cases {
		t.Run(name, func(t *testing.T) {
			bo, be := o, e
			spoil(&bo, &be)
			wantErrIs(t, s.RecordTransition(ctx, bo, be), ErrInvalid)
		})
	}
	if _, err := s.GetOrder(ctx, "o-1"); err == nil {
		t.Fatal("a refused transition left an order behind")
	}
}

func TestGetOrderUnknown(t *testing.T) {
	s, ctx := newTestStore(t), testContext(t)
	_, err := s.GetOrder(ctx, "nope")
	wantErrIs(t, err, ErrNotFound)
	timeline, err := s.Timeline(ctx, "nope")
	mustNoErr(t, err)
	if len(timeline) != 0 {
		t.Fatalf("timeline of an unknown order = %+v", timeline)
	}
}

func TestOrderSupplierAndDefaultsRoundTrip(t *testing.T) {
	s, ctx := newTestStore(t), testContext(t)
	o := Order{ID: "m-1", Flow: "marketplace", Status: "in_progress", OwnerID: "c-1", SupplierID: "sup-1", Currency: "USD"}
	mustNoErr(t, s.RecordTransition(ctx, o, TimelineEntry{Seq: 0, At: t0, To: "in_progress", Action: "accept", ActorRole: "supplier"}))
	got, err := s.GetOrder(ctx, "m-1")
	mustNoErr(t, err)
	if got.SupplierID != "sup-1" || got.Currency != "USD" || got.NextDeadline != nil || string(got.View) != "{}" ||
		!got.CreatedAt.Equal(t0) || !got.UpdatedAt.Equal(t0) {
		t.Fatalf("order = %+v", got)
	}
}

func TestRecordTransitionRacingWorkers(t *testing.T) {
	s, ctx := newTestStore(t), testContext(t)
	const workers = 10
	errs := make([]error, 2*workers)
	var wg sync.WaitGroup
	for i := range workers {
		// Each seq recorded twice at once, seqs arriving in any order.
		for j := range 2 {
			wg.Go(func() {
				o, e := memberOrder("o-1", int64(i+1), fmt.Sprintf("status-%d", i+1))
				errs[2*i+j] = s.RecordTransition(ctx, o, e)
			})
		}
	}
	wg.Wait()
	for _, err := range errs {
		mustNoErr(t, err)
	}
	got, err := s.GetOrder(ctx, "o-1")
	mustNoErr(t, err)
	if got.Seq != workers || got.Status != fmt.Sprintf("status-%d", workers) {
		t.Fatalf("order = seq %d %s, want the last transition %d", got.Seq, got.Status, workers)
	}
	timeline, err := s.Timeline(ctx, "o-1")
	mustNoErr(t, err)
	if len(timeline) != workers {
		t.Fatalf("timeline has %d entries, want %d", len(timeline), workers)
	}
	for i, e := range timeline {
		if e.Seq != int64(i+1) {
			t.Fatalf("timeline seqs out of order: %+v", timeline)
		}
	}
}

// A reset's new run rewrites the read model from the first sequence it
// records differently; the replaced run's late writes change nothing; within
// one run a different entry at a recorded sequence is still a conflict.
func TestRecordTransitionFollowsARunThatReplacedAnother(t *testing.T) {
	s, ctx := newTestStore(t), testContext(t)
	record := func(run string, seq int64, status string, shift time.Duration) error {
		o, e := memberOrder("o-r", seq, status)
		o.RunID, e.At, o.UpdatedAt = run, e.At.Add(shift), o.UpdatedAt.Add(shift)
		return s.RecordTransition(ctx, o, e)
	}
	for seq, status := range []string{"draft", "submitted", "approved"} {
		mustNoErr(t, record("run-a", int64(seq+1), status, 0))
	}
	// The reset's run redoes sequence 2 later, and goes elsewhere from there.
	mustNoErr(t, record("run-b", 2, "submitted", time.Hour))
	mustNoErr(t, record("run-b", 2, "submitted", time.Hour)) // a retry
	mustNoErr(t, record("run-b", 3, "rejected", time.Hour))
	// The old run's late write is ignored.
	mustNoErr(t, record("run-a", 4, "active", 0))
	// Within run-b, another entry at 3 is still a conflict.
	if err := record("run-b", 3, "active", 2*time.Hour); err == nil {
		t.Fatal("a different entry at a recorded sequence of the same run was accepted")
	}

	got, err := s.GetOrder(ctx, "o-r")
	mustNoErr(t, err)
	timeline, err := s.Timeline(ctx, "o-r")
	mustNoErr(t, err)
	var statuses []string
	for _, e := range timeline {
		statuses = append(statuses, e.To)
	}
	if got.Seq != 3 || got.Status != "rejected" || fmt.Sprint(statuses) != "[draft submitted rejected]" || !timeline[1].At.Equal(t0.Add(2*time.Minute+time.Hour)) {
		t.Fatalf("order at %d %s, timeline %v (entry 2 at %s): want run-b's", got.Seq, got.Status, statuses, timeline[1].At)
	}
}

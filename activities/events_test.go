package activities_test

// Domain events are counted where they really happen: once per email the
// provider accepted, per invoice given a number, per status change recorded.

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/testsuite"

	"github.com/orderflow/orderflow/activities"
	"github.com/orderflow/orderflow/internal/email"
	"github.com/orderflow/orderflow/internal/pgtest"
	"github.com/orderflow/orderflow/internal/store"
)

// heard records the events the activities report.
type heard struct {
	mu     sync.Mutex
	events []string
}

func (h *heard) add(e string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.events = append(h.events, e)
}

func (h *heard) TransitionRecorded(flow, status string) { h.add("transition " + flow + " " + status) }
func (h *heard) EmailSent(purpose string)               { h.add("email " + purpose) }
func (h *heard) InvoiceIssued(kind string)              { h.add("invoice " + kind) }

func (h *heard) list() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.events)
}

// failingSender refuses every message, as a provider that is down.
type failingSender struct{}

func (failingSender) Send(context.Context, email.Message) (string, error) {
	return "", errors.New("provider down")
}

func countingEnv(t *testing.T, sender email.Sender) (*testsuite.TestActivityEnvironment, *heard) {
	t.Helper()
	pool := pgtest.New(t)
	st := store.New(pool)
	templates, err := email.LoadTemplates()
	if err != nil {
		t.Fatal(err)
	}
	if sender == nil {
		sender = email.NewCapture(pool)
	}
	h := &heard{}
	acts := activities.New(st, nil, sender, templates, email.Address{Name: "orderflow", Email: "orders@example.com"}, nil)
	acts.Events = h
	env := (&testsuite.WorkflowTestSuite{}).NewTestActivityEnvironment()
	env.RegisterActivity(acts)
	return env, h
}

func TestAnEmailCountsOnceWhenTheProviderAcceptsIt(t *testing.T) {
	env, h := countingEnv(t, nil)
	in := notice("ord_1")
	in.Purpose, in.Template = "notice#2", "notice"
	for range 2 { // the second call finds it sent: a duplicate, not an email
		if _, err := env.ExecuteActivity("SendEmail", in); err != nil {
			t.Fatal(err)
		}
	}
	if got, want := h.list(), []string{"email notice#2"}; !slices.Equal(got, want) {
		t.Fatalf("events %v, want %v", got, want)
	}
}

func TestAnEmailTheProviderRefusedDoesNotCount(t *testing.T) {
	env, h := countingEnv(t, failingSender{})
	if _, err := env.ExecuteActivity("SendEmail", notice("ord_1")); err == nil {
		t.Fatal("SendEmail succeeded with the provider down")
	}
	if got := h.list(); len(got) != 0 {
		t.Fatalf("events %v, want none", got)
	}
}

func TestAnInvoiceCountsWhenItGetsItsNumber(t *testing.T) {
	env, h := countingEnv(t, nil)
	in := memberInvoice("ord_1", 0)
	for range 2 { // the retry returns the invoice the first call issued
		if _, err := issueVia(t, env, in); err != nil {
			t.Fatal(err)
		}
	}
	if got, want := h.list(), []string{"invoice invoice"}; !slices.Equal(got, want) {
		t.Fatalf("events %v, want %v", got, want)
	}
}

func TestOnlyStatusChangesCountAsTransitions(t *testing.T) {
	env, h := countingEnv(t, nil)
	at := time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)
	record := func(seq int64, from, to, outcome string) {
		t.Helper()
		in := activities.RecordTransitionInput{
			Order: activities.OrderRow{ID: "ord_1", Flow: "marketplace", Status: to, OwnerID: "c-1", Seq: seq, CreatedAt: at, UpdatedAt: at},
			Entry: activities.TimelineRow{OrderID: "ord_1", Seq: seq, At: at, From: from, To: to, Action: "a", ActorRole: "customer", ActorID: "c-1", Outcome: outcome},
		}
		if _, err := env.ExecuteActivity("RecordTransition", in); err != nil {
			t.Fatal(err)
		}
	}
	record(1, "", "awaiting_credit", activities.OutcomeApplied)
	record(2, "awaiting_credit", "awaiting_credit", activities.OutcomeRefused) // a refused signal
	record(3, "awaiting_credit", "screening", "")                              // applied by default
	record(4, "screening", "screening", activities.OutcomeApplied)             // a note (set_margin)

	want := []string{"transition marketplace awaiting_credit", "transition marketplace screening"}
	if got := h.list(); !slices.Equal(got, want) {
		t.Fatalf("events %v, want %v", got, want)
	}
}

package activities_test

// Integration tests of SendEmail on real parts: an in-process Temporal
// server, a real Postgres database, the real SendGrid client and the
// SendGrid stand-in. Faults are injected only at the edges (the stand-in's
// answers, one failing write of the outbox).

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/orderflow/orderflow/activities"
	"github.com/orderflow/orderflow/internal/email"
	"github.com/orderflow/orderflow/internal/pgtest"
	"github.com/orderflow/orderflow/internal/sendgridtest"
	"github.com/orderflow/orderflow/internal/store"
	"github.com/orderflow/orderflow/internal/testenv"
	"github.com/orderflow/orderflow/worker"
	"github.com/orderflow/orderflow/workflows"
)

const sendGridKey = "SG.test-key"

// flakyOutbox is the real store whose MarkEmailSent fails a set number of
// times: the provider accepted the message but recording it failed.
type flakyOutbox struct {
	*store.Store
	failMarks atomic.Int32
	marks     atomic.Int32
}

func (f *flakyOutbox) MarkEmailSent(ctx context.Context, key, id string, at time.Time) error {
	f.marks.Add(1)
	if f.failMarks.Add(-1) >= 0 {
		return errors.New("injected: connection to Postgres lost")
	}
	return f.Store.MarkEmailSent(ctx, key, id, at)
}

type rig struct {
	temporal  client.Client
	sendgrid  *sendgridtest.Server
	store     *store.Store
	outbox    *flakyOutbox
	taskQueue string
}

func newRig(t *testing.T, sendTimeout time.Duration) *rig {
	t.Helper()
	c, _, _ := testenv.Temporal(t, workflows.SearchAttributes())
	sg := sendgridtest.New(sendGridKey)
	t.Cleanup(sg.Close)
	st := store.New(pgtest.New(t))
	sender, err := email.NewSendGrid(email.SendGridConfig{APIKey: sendGridKey, BaseURL: sg.URL(), Timeout: sendTimeout})
	if err != nil {
		t.Fatal(err)
	}
	templates, err := email.LoadTemplates()
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	acts := activities.New(st, nil, sender, templates, email.Address{Name: "orderflow", Email: "orders@example.com"}, log)
	outbox := &flakyOutbox{Store: st}
	acts.Outbox = outbox

	r := &rig{temporal: c, sendgrid: sg, store: st, outbox: outbox, taskQueue: "email-" + t.Name()}
	w := worker.New(c, r.taskQueue, acts) // the production registration
	w.RegisterWorkflowWithOptions(sendEmailTimes, workflow.RegisterOptions{Name: "SendEmailTimes"})
	w.RegisterWorkflowWithOptions(sendEmailLocalThenRegular, workflow.RegisterOptions{Name: "SendEmailLocalThenRegular"})
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Stop)
	return r
}

// sendEmailTimes calls SendEmail `times` times with the same input, as a
// workflow that reaches the same step again would.
func sendEmailTimes(ctx workflow.Context, in activities.SendEmailInput, times int) ([]activities.SendEmailResult, error) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 30 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:    50 * time.Millisecond,
			BackoffCoefficient: 1,
			MaximumAttempts:    5,
		},
	})
	var results []activities.SendEmailResult
	for range times {
		var res activities.SendEmailResult
		if err := workflow.ExecuteActivity(ctx, "SendEmail", in).Get(ctx, &res); err != nil {
			return results, err
		}
		results = append(results, res)
	}
	return results, nil
}

// sendEmailLocalThenRegular sends as a lean order does: one local attempt,
// then a regular activity handed what the local attempt left (SentAs).
func sendEmailLocalThenRegular(ctx workflow.Context, in activities.SendEmailInput) (string, error) {
	lctx := workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
		StartToCloseTimeout: 30 * time.Second, RetryPolicy: &temporal.RetryPolicy{MaximumAttempts: 1},
	})
	err := workflow.ExecuteLocalActivity(lctx, "SendEmail", in).Get(lctx, nil)
	if err == nil {
		return "", errors.New("the local attempt succeeded; the test wants it to fail after sending")
	}
	in.SentAs = activities.SentUnrecorded(err)
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 30 * time.Second, RetryPolicy: &temporal.RetryPolicy{MaximumAttempts: 1},
	})
	var res activities.SendEmailResult
	err = workflow.ExecuteActivity(ctx, "SendEmail", in).Get(ctx, &res)
	return in.SentAs + " " + res.ProviderMessageID, err
}

func notice(orderID string) activities.SendEmailInput {
	return activities.SendEmailInput{
		OrderID: orderID,
		Purpose: "notice",
		To:      activities.Address{Name: "Ann Client", Email: "Ann@Example.com"},
		Cc:      []activities.Address{{Email: "member@example.com"}},
		Data: map[string]any{
			"Subject": "Your order " + orderID, "Name": "Ann", "Heading": "Hello",
			"Paragraphs": []string{"One paragraph."}, "ActionURL": "", "ActionLabel": "",
		},
	}
}

func (r *rig) run(t *testing.T, id string, in activities.SendEmailInput, times int) ([]activities.SendEmailResult, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	run, err := r.temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: r.taskQueue}, "SendEmailTimes", in, times)
	if err != nil {
		t.Fatal(err)
	}
	var results []activities.SendEmailResult
	err = run.Get(ctx, &results)
	return results, err
}

// attemptsOf reads, from the workflow's history, the attempt number of each
// SendEmail activity that completed or failed.
func (r *rig) attemptsOf(t *testing.T, workflowID string) []int32 {
	t.Helper()
	iter := r.temporal.GetWorkflowHistory(context.Background(), workflowID, "", false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	var attempts []int32
	for iter.HasNext() {
		ev, err := iter.Next()
		if err != nil {
			t.Fatal(err)
		}
		if a := ev.GetActivityTaskStartedEventAttributes(); a != nil {
			attempts = append(attempts, a.GetAttempt())
		}
	}
	return attempts
}

func TestSendEmailRetriedThreeTimesSendsOneMessage(t *testing.T) {
	r := newRig(t, 10*time.Second)
	r.outbox.failMarks.Store(2) // attempts 1 and 2 send (or would), then fail to record

	results, err := r.run(t, "wf-retried", notice("ord_retried"), 2)
	if err != nil {
		t.Fatal(err)
	}

	if got := r.outbox.marks.Load(); got != 3 {
		t.Fatalf("MarkEmailSent called %d times, want 3: once per attempt of the first call, none for the second", got)
	}
	if attempts := r.attemptsOf(t, "wf-retried"); len(attempts) != 2 || attempts[0] != 3 || attempts[1] != 1 {
		t.Fatalf("activity attempts = %v, want [3 1]: the first call retried three times", attempts)
	}
	msgs := r.sendgrid.Messages()
	if len(msgs) != 1 {
		t.Fatalf("the stand-in received %d messages, want exactly 1", len(msgs))
	}
	if len(r.sendgrid.Violations()) != 0 {
		t.Fatalf("schema violations: %v", r.sendgrid.Violations())
	}
	m := msgs[0]
	if m.CustomArgs["idempotency_key"] != results[0].Key || m.CustomArgs["order_id"] != "ord_retried" {
		t.Fatalf("custom args = %v", m.CustomArgs)
	}
	if results[0].ProviderMessageID != m.ID || results[0].Duplicate || !results[1].Duplicate || results[1].ProviderMessageID != m.ID {
		t.Fatalf("results = %+v, message id %s", results, m.ID)
	}

	rows, err := r.store.ListEmails(context.Background(), "ord_retried")
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0].Status != store.EmailSent || rows[0].ProviderMessageID != m.ID || rows[0].Recipient != "ann@example.com" {
		t.Fatalf("outbox rows = %+v", rows)
	}
}

func TestSendEmailRateLimitDelaysTheRetryUntilTheReset(t *testing.T) {
	r := newRig(t, 10*time.Second)
	reset := time.Now().Add(45 * time.Second).Truncate(time.Second)
	r.sendgrid.FailNext(1, sendgridtest.Fault{Status: 429, Reset: reset})

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	run, err := r.temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "wf-429", TaskQueue: r.taskQueue}, "SendEmailTimes", notice("ord_429"), 1)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = r.temporal.TerminateWorkflow(context.Background(), run.GetID(), "", "test over") }()

	// Wait until the first attempt has failed and the server has scheduled the next.
	var next, failedAt time.Time
	for next.IsZero() {
		if ctx.Err() != nil {
			t.Fatal("the rate-limited attempt never failed")
		}
		desc, err := r.temporal.DescribeWorkflowExecution(ctx, run.GetID(), "")
		if err != nil {
			t.Fatal(err)
		}
		for _, pa := range desc.GetPendingActivities() {
			if pa.GetAttempt() == 2 && pa.GetLastFailure() != nil {
				if got := pa.GetLastFailure().GetApplicationFailureInfo().GetType(); got != activities.ErrEmailRateLimited {
					t.Fatalf("failure type = %q, want %s", got, activities.ErrEmailRateLimited)
				}
				next, failedAt = pa.GetNextAttemptScheduleTime().AsTime(), pa.GetLastAttemptCompleteTime().AsTime()
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	// Without the header the retry policy would wait 50 ms; with it, until the reset.
	if next.Before(reset.Add(-time.Second)) || next.After(reset.Add(2*time.Second)) {
		t.Fatalf("next attempt at %s (%s after the failure), want at the rate-limit reset %s",
			next.Format(time.RFC3339Nano), next.Sub(failedAt), reset.Format(time.RFC3339))
	}
	if n := len(r.sendgrid.Messages()); n != 0 {
		t.Fatalf("%d messages accepted during the rate limit", n)
	}
	row, err := r.store.GetEmail(ctx, email.KeyFor("ord_429", "notice", "ann@example.com"))
	if err != nil || row.Status != store.EmailFailed {
		t.Fatalf("outbox row = %+v, %v; want failed (claimable again)", row, err)
	}
}

func TestSendEmailRejectedIsNotRetried(t *testing.T) {
	r := newRig(t, 10*time.Second)
	r.sendgrid.FailNext(1, sendgridtest.Fault{Status: 400})

	_, err := r.run(t, "wf-400", notice("ord_400"), 1)
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) || appErr.Type() != activities.ErrEmailRejected {
		t.Fatalf("err = %v, want %s", err, activities.ErrEmailRejected)
	}
	if attempts := r.attemptsOf(t, "wf-400"); len(attempts) != 1 || attempts[0] != 1 {
		t.Fatalf("attempts = %v, want one", attempts)
	}
}

func TestSendEmailUnknownOutcomeIsNeverSentAgain(t *testing.T) {
	r := newRig(t, time.Second)
	r.sendgrid.FailNext(1, sendgridtest.Fault{Hang: true})

	for _, id := range []string{"wf-hang-1", "wf-hang-2"} {
		_, err := r.run(t, id, notice("ord_hang"), 1)
		var appErr *temporal.ApplicationError
		if !errors.As(err, &appErr) || appErr.Type() != activities.ErrEmailOutcomeUnknown {
			t.Fatalf("%s: err = %v, want %s", id, err, activities.ErrEmailOutcomeUnknown)
		}
	}
	if n := r.sendgrid.Requests(); n != 1 {
		t.Fatalf("the stand-in saw %d requests, want 1: an unknown outcome must not be sent again", n)
	}

	// Ops checked the provider: it never got the message. Resend sends it,
	// once; a resend of the email now recorded as sent sends nothing.
	resend := notice("ord_hang")
	resend.Resend = true
	results, err := r.run(t, "wf-hang-resend", resend, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != 2 || results[0].Duplicate || !results[1].Duplicate {
		t.Fatalf("results = %+v, want sent, then a duplicate", results)
	}
	if n, delivered := r.sendgrid.Requests(), len(r.sendgrid.Messages()); n != 2 || delivered != 1 {
		t.Fatalf("the stand-in saw %d requests and accepted %d, want 2 and 1", n, delivered)
	}
}

// A local attempt has no heartbeat: when the provider accepted the email but
// the outbox could not record it, the failure carries the provider's id and
// the regular attempt records it instead of sending again or parking it as
// of unknown outcome.
func TestSendEmailLocalAttemptHandsOnWhatTheProviderAccepted(t *testing.T) {
	r := newRig(t, 10*time.Second)
	r.outbox.failMarks.Store(1)

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	run, err := r.temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "wf-local", TaskQueue: r.taskQueue}, "SendEmailLocalThenRegular", notice("ord_local"))
	if err != nil {
		t.Fatal(err)
	}
	var ids string
	if err := run.Get(ctx, &ids); err != nil {
		t.Fatalf("%v (ids %q)", err, ids)
	}
	msgs := r.sendgrid.Messages()
	if len(msgs) != 1 {
		t.Fatalf("the stand-in received %d messages, want exactly 1", len(msgs))
	}
	if want := msgs[0].ID + " " + msgs[0].ID; ids != want {
		t.Fatalf("handed on and recorded ids %q, want %q", ids, want)
	}
	rows, err := r.store.ListEmails(ctx, "ord_local")
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0].Status != store.EmailSent || rows[0].ProviderMessageID != msgs[0].ID {
		t.Fatalf("outbox rows = %+v, want the one email sent under the provider's id", rows)
	}
	if got := r.outbox.marks.Load(); got != 2 {
		t.Fatalf("MarkEmailSent called %d times, want 2 (the local attempt's, failed, and the regular one's)", got)
	}
}

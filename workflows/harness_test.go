package workflows

// A time-skipping harness for the order workflows: the real activities run
// on in-memory fakes of the store, the payment provider and the email sender
// (unit tests of the workflow; the integration tests use the real ones).

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/interceptor"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/orderflow/orderflow/activities"
	"github.com/orderflow/orderflow/internal/auth"
	"github.com/orderflow/orderflow/internal/email"
	"github.com/orderflow/orderflow/internal/money"
	"github.com/orderflow/orderflow/internal/payments"
	"github.com/orderflow/orderflow/internal/store"
	"github.com/orderflow/orderflow/lifecycle"
)

// transition is one read-model write, as the store receives it.
type transition struct {
	Order store.Order
	Entry store.TimelineEntry
}

// fakes records every side effect the workflow asked for.
type fakes struct {
	mu           sync.Mutex
	transitions  []transition
	sent         []email.Message
	outbox       map[string]store.Email
	documents    map[string]store.Document
	suppliers    []store.Supplier
	offers       map[string][]string // order → supplier ids, in offer order
	declines     []string
	links        map[string]payments.Link // key → link
	cancelled    []string
	refunds      map[string]payments.Refund  // key → refund
	paidLate     bool                        // CancelLink finds the payment already paid
	failSends    int                         // the next sends fail permanently
	unknownSends int                         // the next sends get no answer (not delivered)
	brokenSends  int                         // the next sends fail for now (the provider's outage)
	clientLinks  map[string]store.ClientLink // key → link
	invoices     map[string]store.Invoice    // key → invoice
	counters     map[string]int64            // series/year → last number
	failRefunds  int                         // the next refunds are refused permanently
	failLinks    int                         // the next payment links are refused permanently
}

func newFakes() *fakes {
	return &fakes{
		outbox: map[string]store.Email{}, documents: map[string]store.Document{}, offers: map[string][]string{},
		links: map[string]payments.Link{}, refunds: map[string]payments.Refund{},
		clientLinks: map[string]store.ClientLink{}, invoices: map[string]store.Invoice{}, counters: map[string]int64{},
		suppliers: []store.Supplier{
			{ID: "sup_a", Name: "Alpha", Email: "alpha@example.com"},
			{ID: "sup_b", Name: "Bravo", Email: "bravo@example.com"},
			{ID: "sup_c", Name: "Charlie", Email: "charlie@example.com"},
			{ID: "sup_d", Name: "Delta", Email: "delta@example.com"},
			{ID: "sup_e", Name: "Echo", Email: "echo@example.com"},
		},
	}
}

// docs is a copy of the stored documents, read under the fakes' lock: the
// environment's activity goroutines write them.
func (f *fakes) docs() map[string]store.Document {
	f.mu.Lock()
	defer f.mu.Unlock()
	return maps.Clone(f.documents)
}

func (f *fakes) RecordTransition(_ context.Context, o store.Order, e store.TimelineEntry) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.transitions = append(f.transitions, transition{Order: o, Entry: e})
	return nil
}

func (f *fakes) ClaimEmail(_ context.Context, e store.Email) (store.Email, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	// Like the store: only a new or failed email may be claimed.
	if cur, ok := f.outbox[e.Key]; ok && cur.Status != store.EmailFailed {
		return cur, false, nil
	}
	e.Status = store.EmailSending
	f.outbox[e.Key] = e
	return e, true, nil
}

func (f *fakes) MarkEmailSent(_ context.Context, key, id string, _ time.Time) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	e := f.outbox[key]
	e.Status, e.ProviderMessageID = store.EmailSent, id
	f.outbox[key] = e
	return nil
}

func (f *fakes) MarkEmailFailed(_ context.Context, key, _ string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	e := f.outbox[key]
	e.Status = store.EmailFailed
	f.outbox[key] = e
	return nil
}

func (f *fakes) Send(_ context.Context, m email.Message) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failSends > 0 {
		f.failSends--
		return "", &email.PermanentError{StatusCode: 400, Reason: "injected refusal"}
	}
	if f.unknownSends > 0 {
		f.unknownSends--
		return "", &email.UnknownOutcomeError{Err: errors.New("injected timeout")}
	}
	if f.brokenSends > 0 {
		f.brokenSends--
		return "", &email.TransientError{StatusCode: 503, Err: errors.New("injected outage")}
	}
	f.sent = append(f.sent, m)
	return fmt.Sprintf("msg-%d", len(f.sent)), nil
}

func (f *fakes) SaveDocument(_ context.Context, d store.Document) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.documents[d.ID] = d
	return nil
}

func (f *fakes) GetDocument(_ context.Context, orderID, docID string) (store.Document, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	d, ok := f.documents[docID]
	if !ok || d.OrderID != orderID {
		return store.Document{}, store.ErrNotFound
	}
	return d, nil
}

func (f *fakes) EligibleSuppliers(context.Context, string, string) ([]store.Supplier, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.suppliers), nil
}

func (f *fakes) RecordOffers(_ context.Context, orderID string, _ int, ids []string, _ time.Time) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.offers[orderID] = append(f.offers[orderID], ids...)
	return nil
}

func (f *fakes) RecordDecline(_ context.Context, _, supplierID, _ string, _ time.Time) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.declines = append(f.declines, supplierID)
	return nil
}

func (f *fakes) CreateLink(_ context.Context, r payments.LinkRequest) (payments.Link, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if l, ok := f.links[r.Key]; ok {
		return l, nil
	}
	if f.failLinks > 0 {
		f.failLinks--
		return payments.Link{}, fmt.Errorf("injected refusal: %w", payments.ErrInvalid)
	}
	l := payments.Link{PaymentID: fmt.Sprintf("pay_%d", len(f.links)+1), URL: "http://pay.test/" + r.OrderID, ExpiresAt: r.ExpiresAt}
	f.links[r.Key] = l
	return l, nil
}

func (f *fakes) LinkURL(_ context.Context, paymentID string) (string, error) {
	return "http://pay.test/" + paymentID, nil
}

func (f *fakes) CancelLink(_ context.Context, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.cancelled = append(f.cancelled, id)
	if f.paidLate {
		return payments.ErrAlreadyPaid
	}
	return nil
}

func (f *fakes) Refund(_ context.Context, r payments.RefundRequest) (payments.Refund, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if re, ok := f.refunds[r.Key]; ok {
		return re, nil
	}
	if f.failRefunds > 0 {
		f.failRefunds--
		return payments.Refund{}, fmt.Errorf("injected refusal: %w", payments.ErrInvalid)
	}
	re := payments.Refund{RefundID: fmt.Sprintf("re_%d", len(f.refunds)+1), PaymentID: r.PaymentID, Amount: r.Amount}
	f.refunds[r.Key] = re
	return re, nil
}

func (f *fakes) CreateClientLink(_ context.Context, r store.ClientLinkRequest) (store.ClientLink, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if l, ok := f.clientLinks[r.Key]; ok {
		return l, nil
	}
	n := len(f.clientLinks) + 1
	l := store.ClientLink{ID: fmt.Sprintf("link_%d", n), OrderID: r.OrderID, Token: fmt.Sprintf("tok_%d", n), ExpiresAt: r.ExpiresAt}
	f.clientLinks[r.Key] = l
	return l, nil
}

func (f *fakes) TokenOf(id string) string { return "tok_" + strings.TrimPrefix(id, "link_") }

func (f *fakes) IssueInvoice(_ context.Context, r store.InvoiceRecord, key string, render store.RenderFunc) (store.Invoice, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if inv, ok := f.invoices[key]; ok {
		return inv, nil
	}
	counter := fmt.Sprintf("%s/%d", r.Series, r.Year)
	number := f.counters[counter] + 1
	text := store.FormatInvoiceNumber(r.Series, r.Year, number)
	content, err := render(text)
	if err != nil {
		return store.Invoice{}, err
	}
	f.counters[counter] = number
	f.documents[r.DocumentID] = store.Document{ID: r.DocumentID, OrderID: r.OrderID, Kind: r.Kind, Number: text, Filename: r.Filename, Content: content}
	inv := store.Invoice{InvoiceRecord: r, Number: number, NumberText: text}
	if inv.ID == "" {
		inv.ID = fmt.Sprintf("inv_%d", len(f.invoices)+1)
	}
	f.invoices[key] = inv
	return inv, nil
}

func (f *fakes) GetInvoice(_ context.Context, id string) (store.Invoice, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, inv := range f.invoices {
		if inv.ID == id {
			return inv, nil
		}
	}
	return store.Invoice{}, store.ErrNotFound
}

// invoiceNumbers lists the numbers issued, sorted.
func (f *fakes) invoiceNumbers() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, inv := range f.invoices {
		out = append(out, inv.NumberText)
	}
	slices.Sort(out)
	return out
}

// sentTo lists "purpose→recipient" of every email sent, in order.
func (f *fakes) sentTo() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]string, len(f.sent))
	for i, m := range f.sent {
		out[i] = m.Purpose + "→" + m.To.Email
	}
	return out
}

func (f *fakes) refundTotal() money.Amount {
	f.mu.Lock()
	defer f.mu.Unlock()
	var sum money.Amount
	for _, r := range f.refunds {
		sum += r.Amount
	}
	return sum
}

// refundCount is how many refunds were made.
func (f *fakes) refundCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.refunds)
}

func (f *fakes) cancelledLinks() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.cancelled)
}

// scheduledTimer is a durable timer the workflow started.
type scheduledTimer struct {
	Summary string
	FiresAt time.Time
}

// timerLog records every timer with its summary: the test environment's
// own timer listener sees durations only.
type timerLog struct {
	mu     sync.Mutex
	timers []scheduledTimer
	// activities are the summaries of the activities scheduled, regular
	// and local, in order.
	activities []string
}

func (l *timerLog) activitySummaries() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.activities)
}

func (l *timerLog) addActivity(summary string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.activities = append(l.activities, summary)
}

func (l *timerLog) all() []scheduledTimer {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.timers)
}

// overdueSample is a workflow's Overdue search attribute right after one
// of its upserts.
type overdueSample struct {
	WorkflowID string
	At         time.Time
	Overdue    bool
	Set        bool // the attribute exists at all
}

// attributeLog records the Overdue search attribute of every workflow after
// each upsert: the test environment keeps search attributes inside the run.
type attributeLog struct {
	mu      sync.Mutex
	samples []overdueSample
}

// overdue is the last Overdue value workflowID upserted; set is false when
// it never did.
func (l *attributeLog) overdue(workflowID string) (value, set bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, s := range l.samples {
		if s.WorkflowID == workflowID {
			value, set = s.Overdue, s.Set
		}
	}
	return value, set
}

// overdueAt is the Overdue value workflowID upserted last at or before at.
func (l *attributeLog) overdueAt(workflowID string, at time.Time) (value, set bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, s := range l.samples {
		if s.WorkflowID == workflowID && !s.At.After(at) {
			value, set = s.Overdue, s.Set
		}
	}
	return value, set
}

type timerInterceptor struct {
	interceptor.WorkerInterceptorBase
	log   *timerLog
	attrs *attributeLog
}

func (i *timerInterceptor) InterceptWorkflow(_ workflow.Context, next interceptor.WorkflowInboundInterceptor) interceptor.WorkflowInboundInterceptor {
	return &timerInbound{WorkflowInboundInterceptorBase: interceptor.WorkflowInboundInterceptorBase{Next: next}, log: i.log, attrs: i.attrs}
}

type timerInbound struct {
	interceptor.WorkflowInboundInterceptorBase
	log   *timerLog
	attrs *attributeLog
}

func (i *timerInbound) Init(outbound interceptor.WorkflowOutboundInterceptor) error {
	return i.Next.Init(&timerOutbound{WorkflowOutboundInterceptorBase: interceptor.WorkflowOutboundInterceptorBase{Next: outbound}, log: i.log, attrs: i.attrs})
}

type timerOutbound struct {
	interceptor.WorkflowOutboundInterceptorBase
	log   *timerLog
	attrs *attributeLog
}

func (o *timerOutbound) NewTimerWithOptions(ctx workflow.Context, d time.Duration, options workflow.TimerOptions) workflow.Future {
	if options.Summary == stopSummary {
		return o.Next.NewTimerWithOptions(ctx, d, options)
	}
	o.log.mu.Lock()
	o.log.timers = append(o.log.timers, scheduledTimer{Summary: options.Summary, FiresAt: workflow.Now(ctx).Add(d)})
	o.log.mu.Unlock()
	return o.Next.NewTimerWithOptions(ctx, d, options)
}

func (o *timerOutbound) ExecuteActivity(ctx workflow.Context, activityType string, args ...any) workflow.Future {
	o.log.addActivity(workflow.GetActivityOptions(ctx).Summary)
	return o.Next.ExecuteActivity(ctx, activityType, args...)
}

func (o *timerOutbound) ExecuteLocalActivity(ctx workflow.Context, activityType string, args ...any) workflow.Future {
	o.log.addActivity(workflow.GetLocalActivityOptions(ctx).Summary)
	return o.Next.ExecuteLocalActivity(ctx, activityType, args...)
}

func (o *timerOutbound) UpsertTypedSearchAttributes(ctx workflow.Context, updates ...temporal.SearchAttributeUpdate) error {
	err := o.Next.UpsertTypedSearchAttributes(ctx, updates...)
	if o.attrs != nil {
		overdue, set := workflow.GetTypedSearchAttributes(ctx).GetBool(Overdue)
		o.attrs.mu.Lock()
		o.attrs.samples = append(o.attrs.samples, overdueSample{
			WorkflowID: workflow.GetInfo(ctx).WorkflowExecution.ID, At: workflow.Now(ctx), Overdue: overdue, Set: set,
		})
		o.attrs.mu.Unlock()
	}
	return err
}

// run is one workflow execution in the time-skipping environment.
// stopInterceptor ends a workflow that would otherwise wait forever (an
// order left in a status without deadlines) after a time, as if it were cut
// off there: the workflow returns a cancellation without the order doing
// anything. Temporal's own cancellation request is no way to stop one,
// since the order turns it into its own cancellation (cancel_request_test.go).
type stopInterceptor struct {
	interceptor.WorkerInterceptorBase
	after time.Duration // 0: never
}

const stopSummary = "test harness: stop"

func (i *stopInterceptor) InterceptWorkflow(_ workflow.Context, next interceptor.WorkflowInboundInterceptor) interceptor.WorkflowInboundInterceptor {
	return &stopInbound{WorkflowInboundInterceptorBase: interceptor.WorkflowInboundInterceptorBase{Next: next}, after: i.after}
}

type stopInbound struct {
	interceptor.WorkflowInboundInterceptorBase
	after time.Duration
}

func (i *stopInbound) ExecuteWorkflow(ctx workflow.Context, in *interceptor.ExecuteWorkflowInput) (any, error) {
	if i.after <= 0 || workflow.GetInfo(ctx).ParentWorkflowExecution != nil {
		return i.Next.ExecuteWorkflow(ctx, in)
	}
	var result any
	var err error
	done := false
	workflow.Go(ctx, func(ctx workflow.Context) { result, err = i.Next.ExecuteWorkflow(ctx, in); done = true })
	stop := workflow.NewTimerWithOptions(ctx, i.after, workflow.TimerOptions{Summary: stopSummary})
	if awaitErr := workflow.Await(ctx, func() bool { return done || stop.IsReady() }); awaitErr != nil || !done {
		return nil, temporal.NewCanceledError("stopped by the test")
	}
	return result, err
}

type run struct {
	t        *testing.T
	env      *testsuite.TestWorkflowEnvironment
	stop     *stopInterceptor
	fakes    *fakes
	timers   *timerLog
	attrs    *attributeLog
	requests *requestLog
	start    time.Time
}

var testStart = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC) // a Monday

func newRun(t *testing.T) *run {
	t.Helper()
	return newRunWith(t, newFakes(), &requestLog{}, testStart)
}

// newRunWith starts an environment at start on existing fakes and request
// log: the next run of a workflow that continued as new sees the same
// store, outbox and invoice numbers as the first.
func newRunWith(t *testing.T, f *fakes, requests *requestLog, start time.Time) *run {
	t.Helper()
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(sdklog.NewStructuredLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))))
	env := suite.NewTestWorkflowEnvironment()
	env.SetStartTime(start)
	env.SetTestTimeout(time.Minute)
	env.SetOnActivityStartedListener(requests.record)
	env.SetOnLocalActivityStartedListener(requests.recordLocal)
	templates, err := email.LoadTemplates()
	if err != nil {
		t.Fatal(err)
	}
	env.RegisterActivity(&activities.Activities{
		Outbox: f, Documents: f, ReadModel: f, Suppliers: f, Payments: f, Sender: f, ClientLinks: f, Invoices: f,
		PublicURL: "http://orderflow.test",
		Templates: templates, From: email.Address{Email: "orders@example.com"}, Now: time.Now,
	})
	env.RegisterWorkflowWithOptions(MarketplaceOrder, workflow.RegisterOptions{Name: MarketplaceWorkflow})
	env.RegisterWorkflowWithOptions(MemberOrder, workflow.RegisterOptions{Name: MemberWorkflow})
	timers, attrs, stop := &timerLog{}, &attributeLog{}, &stopInterceptor{}
	env.SetWorkerOptions(worker.Options{Interceptors: []interceptor.WorkerInterceptor{stop, &timerInterceptor{log: timers, attrs: attrs}}})
	return &run{t: t, env: env, stop: stop, fakes: f, timers: timers, attrs: attrs, requests: requests, start: start}
}

// requestLog records what the workflows asked of the activities that must
// happen once, before any deduplication by the fakes: every email and every
// invoice or credit note, attempt by attempt.
type requestLog struct {
	mu       sync.Mutex
	emails   []activities.SendEmailInput
	invoices []activities.IssueInvoiceInput
}

func (l *requestLog) record(info *activity.Info, _ context.Context, args converter.EncodedValues) {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch info.ActivityType.Name {
	case "SendEmail":
		var in activities.SendEmailInput
		if args.Get(&in) == nil {
			l.emails = append(l.emails, in)
		}
	case "IssueInvoice":
		var in activities.IssueInvoiceInput
		if args.Get(&in) == nil {
			l.invoices = append(l.invoices, in)
		}
	}
}

// recordLocal records a local activity's request as record does a regular
// one's (a local activity's arguments are the values themselves).
func (l *requestLog) recordLocal(_ *activity.Info, _ context.Context, args []any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, arg := range args {
		switch in := arg.(type) {
		case activities.SendEmailInput:
			l.emails = append(l.emails, in)
		case activities.IssueInvoiceInput:
			l.invoices = append(l.invoices, in)
		}
	}
}

// emailRequests counts the SendEmail calls per "order purpose→recipient".
func (l *requestLog) emailRequests() map[string]int {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := map[string]int{}
	for _, in := range l.emails {
		out[in.OrderID+" "+in.Purpose+"→"+in.To.Email]++
	}
	return out
}

// invoiceRequests counts the IssueInvoice calls per idempotency key.
func (l *requestLog) invoiceRequests() map[string]int {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := map[string]int{}
	for _, in := range l.invoices {
		out[in.Key]++
	}
	return out
}

// at schedules an action at offset after the start; check sees its outcome.
// The update id names action, time and actor, so that two parties trying
// the same action at the same time are two updates.
// startedBefore makes the order one started before the changes (and so
// before ChangeLeanEngine, which includes every change before it).
func (r *run) startedBefore(changes ...string) {
	r.env.OnGetVersion(ChangeLeanEngine, workflow.DefaultVersion, newestLean).Return(workflow.DefaultVersion)
	for _, c := range changes {
		r.env.OnGetVersion(c, workflow.DefaultVersion, 1).Return(workflow.DefaultVersion)
	}
}

func (r *run) at(offset time.Duration, a lifecycle.Action, actor auth.Principal, payload any, check func(view OrderView, err error)) {
	id := updateID(a, offset, actor)
	r.env.RegisterDelayedCallback(func() {
		r.env.UpdateWorkflow(string(a), id, r.answered(actor, check), ActionRequest{Actor: actor, RequestID: id, Payload: rawPayload(payload)})
	}, offset)
}

func updateID(a lifecycle.Action, offset time.Duration, actor auth.Principal) string {
	return fmt.Sprintf("%s@%s by %s %s", a, offset, actor.Role, actor.Subject)
}

func rawPayload(payload any) json.RawMessage {
	if payload == nil {
		return nil
	}
	raw, _ := json.Marshal(payload)
	return raw
}

// signalAt sends an action as a signal at offset after the start.
func (r *run) signalAt(offset time.Duration, a lifecycle.Action, req ActionRequest) {
	r.env.RegisterDelayedCallback(func() { r.env.SignalWorkflow(string(a), req) }, offset)
}

// neverAnswered schedules an action at offset and fails the test if it is
// ever answered: the test environment neither accepts nor rejects updates
// once the workflow has completed (a real server answers "workflow
// execution already completed"), it simply never runs them.
func (r *run) neverAnswered(offset time.Duration, a lifecycle.Action, actor auth.Principal, payload any) {
	r.at(offset, a, actor, payload, func(v OrderView, err error) {
		r.t.Errorf("%s at +%s was answered after the order ended: status %q, error %v", a, offset, v.Status, err)
	})
}

// settledViewAt queries the order at offset once everything due at that
// instant has run (timers that fire at offset and the workflow task they
// start), however the environment orders timers of the same instant.
func (r *run) settledViewAt(offset time.Duration, viewer auth.Principal, check func(OrderView)) {
	r.env.RegisterDelayedCallback(func() {
		r.env.RegisterDelayedCallback(func() {
			if now := r.env.Now(); !now.Equal(r.start.Add(offset)) {
				r.t.Errorf("view meant for +%s taken at %s", offset, now)
			}
			check(r.query(viewer))
		}, 0)
	}, offset)
}

// stopAt ends a workflow that would otherwise wait forever (an order left
// in a status without deadlines) at offset; call it before executing.
func (r *run) stopAt(offset time.Duration) {
	r.stop.after = offset
}

// requireStopped asserts the workflow ended only because stopAt stopped it.
func (r *run) requireStopped() {
	r.t.Helper()
	if err := r.env.GetWorkflowError(); !temporal.IsCanceledError(err) {
		r.t.Fatalf("workflow ended with %v, want it still running until cancelled", err)
	}
}

// requireCompleted asserts the workflow ended by itself without error.
func (r *run) requireCompleted() {
	r.t.Helper()
	if !r.env.IsWorkflowCompleted() {
		r.t.Fatal("workflow did not complete")
	}
	if err := r.env.GetWorkflowError(); err != nil {
		r.t.Fatalf("workflow failed: %v", err)
	}
}

// must schedules an action that has to succeed.
func (r *run) must(offset time.Duration, a lifecycle.Action, actor auth.Principal, payload any) {
	answered := r.requireAnswer(offset, a)
	r.at(offset, a, actor, payload, func(_ OrderView, err error) {
		*answered = true
		if err != nil {
			r.t.Errorf("%s at +%s: %v", a, offset, err)
		}
	})
}

// refused schedules an action that has to be refused with code.
func (r *run) refused(offset time.Duration, a lifecycle.Action, actor auth.Principal, payload any, code string) {
	answered := r.requireAnswer(offset, a)
	r.at(offset, a, actor, payload, func(_ OrderView, err error) {
		*answered = true
		if got := refusalCode(err); got != code {
			r.t.Errorf("%s at +%s: refusal %q (%v), want %q", a, offset, got, err, code)
		}
	})
}

// requireAnswer fails the test at its end unless the flag it returns was
// set: an action scheduled after the workflow ended, or sent twice under
// one update id after a refusal, is never answered at all.
func (r *run) requireAnswer(offset time.Duration, a lifecycle.Action) *bool {
	answered := new(bool)
	r.t.Cleanup(func() {
		if !*answered {
			r.t.Errorf("%s at +%s was never answered", a, offset)
		}
	})
	return answered
}

// view queries the order at offset as viewer.
func (r *run) viewAt(offset time.Duration, viewer auth.Principal, check func(OrderView)) {
	r.env.RegisterDelayedCallback(func() {
		check(r.query(viewer))
	}, offset)
}

// query is the order as viewer sees it; empty for a viewer who may not
// see it, whom the query refuses (as the API answers 404).
func (r *run) query(viewer auth.Principal) OrderView {
	r.t.Helper()
	res, err := r.env.QueryWorkflow(OrderQuery, viewer)
	if IsNotVisible(err) {
		return OrderView{}
	}
	if err != nil {
		r.t.Fatalf("query: %v", err)
	}
	var v OrderView
	if err := res.Get(&v); err != nil {
		r.t.Fatal(err)
	}
	return v
}

func (r *run) execute(in MarketplaceInput) {
	r.env.ExecuteWorkflow(MarketplaceWorkflow, in)
}

type updateResult struct {
	check func(OrderView, error)
	// view is the order an answer stands for.
	view func(Answer) OrderView
}

func (u *updateResult) Accept()          {}
func (u *updateResult) Reject(err error) { u.check(OrderView{}, err) }
func (u *updateResult) Complete(result any, err error) {
	a, _ := result.(Answer)
	u.check(u.view(a), err)
}

// answered hands check the order an update's answer stands for, as viewer
// sees it: the view the answer carries, or for a receipt the order now, as
// the API reads it back (from the read model, or from the workflow).
func (r *run) answered(viewer auth.Principal, check func(OrderView, error)) *updateResult {
	return &updateResult{check: check, view: func(a Answer) OrderView {
		switch {
		case a.Receipt != nil:
			v := r.query(viewer)
			if !slices.Equal(v.AllowedActions, a.Receipt.AllowedActions) {
				r.t.Errorf("receipt allows %v, the order %v", a.Receipt.AllowedActions, v.AllowedActions)
			}
			return v
		case a.OrderView != nil:
			return *a.OrderView
		}
		return OrderView{}
	}}
}

func refusalCode(err error) string {
	if err == nil {
		return ""
	}
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) {
		return appErr.Type()
	}
	return "not an application error: " + err.Error()
}

// executeMember runs a member order under its order id as workflow id, as
// the API starts it.
func (r *run) executeMember(in MemberInput) {
	r.env.SetStartWorkflowOptions(client.StartWorkflowOptions{ID: in.OrderID})
	r.env.ExecuteWorkflow(MemberWorkflow, in)
}

// purposesTo lists "purpose→recipient" of every email sent (the purpose, not
// the template: what makes an email unique).
func (f *fakes) purposesTo() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]string, len(f.sent))
	for i, m := range f.sent {
		out[i] = m.Purpose + "→" + m.To.Email
	}
	return out
}

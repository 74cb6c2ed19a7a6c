package workflows

import (
	"slices"
	"testing"
	"time"

	"github.com/orderflow/orderflow/internal/auth"
	"github.com/orderflow/orderflow/internal/money"
	"github.com/orderflow/orderflow/lifecycle"
)

var (
	memberM    = auth.Principal{Role: lifecycle.Member, Subject: "m-1"}
	staffS     = auth.Principal{Role: lifecycle.Staff, Subject: "s-1"}
	clientLink = func(n string) auth.Principal { return auth.Principal{Role: lifecycle.Client, Subject: "link:" + n} }
	brussels   = mustLocation("Europe/Brussels")
)

func mustLocation(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// since is the offset of a Brussels wall-clock time from the test start.
func since(y int, mo time.Month, d, h, mi, s int) time.Duration {
	return time.Date(y, mo, d, h, mi, s, 0, brussels).Sub(testStart)
}

var memberSettings = MemberSettings{
	TimeZone: "Europe/Brussels", InvoiceTime: "09:00", InvoiceDraftLead: 168 * time.Hour, MinReview: 48 * time.Hour,
	ClientReminderLead: 48 * time.Hour, SmartSLA: 24 * time.Hour, DuplicateWindow: 720 * time.Hour,
	PublicURL: "http://orderflow.test", StaffEmail: "staff@example.com",
}

func memberInput() MemberInput {
	amount := money.Amount(100000)
	return MemberInput{
		OrderID: "ord_member", MemberID: "m-1", MemberName: "Mia Member", MemberEmail: "mia@example.com",
		Content: MemberContent{
			Client:          Client{Name: "Carl Client", Company: "Client SA", VATNumber: "BE0123456789", Email: "carl@client.test"},
			Title:           "Website redesign",
			Lines:           []money.Line{{Description: "Design and build", Quantity: money.QuantityOf(1), UnitPrice: 200000, VATRate: money.Percent(21)}},
			ServicePeriod:   Period{Start: "2026-12-01", End: "2027-01-31"},
			Schedule:        []ScheduleEntry{{Date: "2026-12-15", Amount: &amount}, {Date: "2027-01-15", Amount: &amount}},
			OfferValidUntil: "2026-11-30",
		},
		Submit: true, CreatedBy: memberM, Settings: memberSettings,
	}
}

func TestMemberOrderFromSubmitToCompleted(t *testing.T) {
	r := newRun(t)
	hour := time.Hour
	r.must(1*hour, lifecycle.Approve, staffS, nil)
	r.must(2*hour, lifecycle.Confirm, clientLink("link_1"), nil)
	r.must(since(2026, 12, 9, 10, 0, 0), lifecycle.RequestChanges, memberM, ChangeRequestPayload{Entry: 1, Comment: "please split travel costs"})
	r.refused(since(2026, 12, 9, 11, 0, 0), lifecycle.RequestChanges, memberM, ChangeRequestPayload{Entry: 1, Comment: "again"}, lifecycle.NotAllowedNow) // already held: no draft to review
	r.must(since(2026, 12, 10, 10, 0, 0), lifecycle.ResolveChanges, staffS, ResolvePayload{Entry: 1, Amount: ptr(money.Amount(90000)), Note: "travel moved to next invoice"})
	r.viewAt(since(2026, 12, 15, 9, 0, 1), staffS, func(v OrderView) {
		e := v.Member.Schedule[0]
		if e.Status != EntryIssued || e.Invoice == nil || e.Invoice.Number != "INV-2026-0001" {
			t.Errorf("entry 1 after its date: %+v", e)
		}
	})
	r.executeMember(memberInput())

	if err := r.env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	v := r.query(staffS)
	if got, want := statuses(v), []lifecycle.Status{lifecycle.Draft, lifecycle.SmartConfirmation, lifecycle.ClientConfirmation, lifecycle.Active, lifecycle.Completed}; !slices.Equal(got, want) {
		t.Fatalf("statuses = %v, want %v", got, want)
	}
	if got := r.fakes.invoiceNumbers(); !slices.Equal(got, []string{"INV-2026-0001", "INV-2027-0001"}) {
		t.Fatalf("invoices = %v", got)
	}
	wantEmails := []string{
		"order_submitted#2→mia@example.com", "confirmation_request#1→carl@client.test", "order_approved→mia@example.com",
		"member_order_confirmed→mia@example.com", "member_order_confirmed→carl@client.test",
		"invoice_draft_ready#1.1→mia@example.com", "invoice_draft_ready#1.2→mia@example.com", "invoice_issued#1→carl@client.test",
		"invoice_draft_ready#2.1→mia@example.com", "invoice_issued#2→carl@client.test", "member_order_completed→mia@example.com",
	}
	got := r.fakes.purposesTo()
	slices.Sort(got)
	slices.Sort(wantEmails)
	if !slices.Equal(got, wantEmails) {
		t.Fatalf("emails:\n got %v\nwant %v", got, wantEmails)
	}
	// The draft of entry 1 came at 09:00 seven days before its date.
	first := r.entryAt(v, lifecycle.InvoiceDrafted)
	if want := time.Date(2026, 12, 8, 9, 0, 0, 0, brussels); !first.Equal(want) {
		t.Fatalf("first draft at %s, want %s", first, want)
	}
}

func ptr[T any](v T) *T { return &v }

// entryAt is when the first timeline entry of action happened.
func (r *run) entryAt(v OrderView, a lifecycle.Action) time.Time {
	for _, e := range v.Timeline {
		if e.Action == a {
			return e.At
		}
	}
	r.t.Fatalf("no %s on the timeline", a)
	return time.Time{}
}

// PayloadsOf hands the API the member actions' bodies.
func TestPayloadsOfMember(t *testing.T) {
	payloads := PayloadsOf("member")
	if PayloadsOf("no such flow") != nil {
		t.Fatal("an unknown flow has payloads")
	}
	// Actions that need a body have one; reasons are required where the spec says so.
	for _, a := range []lifecycle.Action{lifecycle.Edit, lifecycle.Reject, lifecycle.Decline, lifecycle.RequestChanges, lifecycle.ResolveChanges, lifecycle.RequestCancellation, lifecycle.DenyCancellation, lifecycle.Duplicate} {
		if payloads[a] == nil {
			t.Errorf("%s has no payload type", a)
		}
	}
	if _, err := DecodePayload(payloads, lifecycle.Reject, nil); err == nil {
		t.Error("reject without a reason was accepted")
	}
	if _, err := DecodePayload(payloads, lifecycle.Decline, nil); err != nil {
		t.Errorf("decline without a reason: %v", err)
	}
	if _, err := DecodePayload(payloads, lifecycle.RequestCancellation, rawPayload(CancellationPayload{Reason: "too short"})); err == nil {
		t.Error("a cancellation with a short reason was accepted")
	}
	if _, err := DecodePayload(payloads, lifecycle.RequestCancellation, rawPayload(CancellationPayload{Reason: "the client closed the project entirely"})); err != nil {
		t.Errorf("a detailed cancellation reason: %v", err)
	}
}

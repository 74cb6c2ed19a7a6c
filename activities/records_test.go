package activities_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/orderflow/orderflow/activities"
	"github.com/orderflow/orderflow/internal/money"
	"github.com/orderflow/orderflow/internal/pgtest"
	"github.com/orderflow/orderflow/internal/store"
)

// activityEnv runs activities with Temporal's activity test environment on a
// real database.
func activityEnv(t *testing.T) (*testsuite.TestActivityEnvironment, *store.Store) {
	t.Helper()
	st := store.New(pgtest.New(t))
	env := (&testsuite.WorkflowTestSuite{}).NewTestActivityEnvironment()
	env.RegisterActivity(&activities.Activities{ReadModel: st, Documents: st, Outbox: st, Now: time.Now})
	return env, st
}

func nonRetryableType(err error) string {
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) && appErr.NonRetryable() {
		return appErr.Type()
	}
	return ""
}

func TestRecordTransitionIsIdempotentAndRefusesRewrites(t *testing.T) {
	env, st := activityEnv(t)
	at := time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)
	in := activities.RecordTransitionInput{
		Order: activities.OrderRow{ID: "ord_1", Flow: "member", Status: "smart_confirmation", OwnerID: "m-1", Seq: 2, CreatedAt: at, UpdatedAt: at},
		Entry: activities.TimelineRow{OrderID: "ord_1", Seq: 2, At: at, From: "draft", To: "smart_confirmation", Action: "submit", ActorRole: "member", ActorID: "m-1"},
	}
	for range 3 {
		if _, err := env.ExecuteActivity("RecordTransition", in); err != nil {
			t.Fatal(err)
		}
	}
	timeline, err := st.Timeline(context.Background(), "ord_1")
	if err != nil || len(timeline) != 1 || timeline[0].To != "smart_confirmation" {
		t.Fatalf("timeline = %+v, %v; want one entry", timeline, err)
	}

	in.Entry.To, in.Order.Status = "active", "active"
	_, err = env.ExecuteActivity("RecordTransition", in)
	if got := nonRetryableType(err); got != activities.ErrReadModelConflict {
		t.Fatalf("rewrite of seq 2: err = %v, want non-retryable %s", err, activities.ErrReadModelConflict)
	}
}

func TestRenderDocumentStoresTheSamePDFOnRetry(t *testing.T) {
	env, st := activityEnv(t)
	in := activities.RenderDocumentInput{
		ID: "ord_2-po", OrderID: "ord_2", Filename: "purchase-order.pdf",
		Document: activities.Document{
			Kind: activities.PurchaseOrderDocument, Reference: "ord_2", IssueDate: time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC),
			Seller: activities.Party{Name: "Supplier One"}, Buyer: activities.Party{Name: "Marketplace"},
			Lines: []money.Line{{Description: "Cement 25 kg", Quantity: money.QuantityOf(4), UnitPrice: 650, VATRate: money.Percent(21)}},
		},
	}
	var first, second activities.DocumentRef
	for _, ref := range []*activities.DocumentRef{&first, &second} {
		val, err := env.ExecuteActivity("RenderDocument", in)
		if err != nil {
			t.Fatal(err)
		}
		if err := val.Get(ref); err != nil {
			t.Fatal(err)
		}
	}
	if first != second || first.Kind != "purchase_order" || len(first.SHA256) != 64 {
		t.Fatalf("refs differ or are incomplete: %+v / %+v", first, second)
	}
	doc, err := st.GetDocument(context.Background(), "ord_2", "ord_2-po")
	if err != nil || doc.ContentType != "application/pdf" || string(doc.Content[:5]) != "%PDF-" {
		t.Fatalf("stored document = %s %d bytes, %v", doc.ContentType, len(doc.Content), err)
	}

	in.Document.Lines = nil
	_, err = env.ExecuteActivity("RenderDocument", in)
	if got := nonRetryableType(err); got != activities.ErrDocumentInvalid {
		t.Fatalf("document without lines: err = %v, want non-retryable %s", err, activities.ErrDocumentInvalid)
	}
}

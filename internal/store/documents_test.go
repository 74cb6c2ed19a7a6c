package store

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"testing"
	"time"
)

func invoicePDF() Document {
	return Document{
		ID: "doc-inv-1", OrderID: "o-1", Kind: "invoice", Number: "INV-2026-000001",
		Filename: "invoice.pdf", ContentType: "application/pdf", Content: []byte("%PDF-1.7 invoice"),
		CreatedAt: t0,
	}
}

func TestSaveDocumentIsIdempotent(t *testing.T) {
	s, ctx := newTestStore(t), testContext(t)
	d := invoicePDF()
	mustNoErr(t, s.SaveDocument(ctx, d))
	retry := d
	retry.CreatedAt = t0.Add(time.Hour) // a retry's clock is not part of the document
	mustNoErr(t, s.SaveDocument(ctx, retry))

	got, err := s.GetDocument(ctx, "o-1", d.ID)
	mustNoErr(t, err)
	sum := sha256.Sum256(d.Content)
	if !bytes.Equal(got.Content, d.Content) || got.SHA256 != hex.EncodeToString(sum[:]) || got.Size != int64(len(d.Content)) ||
		got.Number != d.Number || got.Kind != "invoice" || got.Filename != "invoice.pdf" || !got.CreatedAt.Equal(t0) {
		t.Fatalf("document = %+v", got)
	}

	list, err := s.ListDocuments(ctx, "o-1")
	mustNoErr(t, err)
	if len(list) != 1 || list[0].Content != nil || list[0].Size != int64(len(d.Content)) || list[0].SHA256 != got.SHA256 {
		t.Fatalf("list = %+v, want one entry without content", list)
	}
}

func TestSaveDocumentRefusesOtherContentUnderTheSameID(t *testing.T) {
	s, ctx := newTestStore(t), testContext(t)
	d := invoicePDF()
	mustNoErr(t, s.SaveDocument(ctx, d))

	other := d
	other.Content = []byte("%PDF-1.7 another invoice")
	wantErrIs(t, s.SaveDocument(ctx, other), ErrConflict)

	renamed := d
	renamed.Number = "INV-2026-000002"
	wantErrIs(t, s.SaveDocument(ctx, renamed), ErrConflict)

	got, err := s.GetDocument(ctx, "o-1", d.ID)
	mustNoErr(t, err)
	if !bytes.Equal(got.Content, d.Content) || got.Number != d.Number {
		t.Fatalf("document changed to %+v", got)
	}
}

func TestSaveDocumentChecksInput(t *testing.T) {
	s, ctx := newTestStore(t), testContext(t)
	wrongSum := invoicePDF()
	wrongSum.SHA256 = hex.EncodeToString(make([]byte, 32))
	wantErrIs(t, s.SaveDocument(ctx, wrongSum), ErrInvalid)

	noKind := invoicePDF()
	noKind.Kind = ""
	wantErrIs(t, s.SaveDocument(ctx, noKind), ErrInvalid)

	// A correct hash given in upper case is accepted and stored normalised.
	upper := invoicePDF()
	sum := sha256.Sum256(upper.Content)
	upper.SHA256 = hex.EncodeToString(sum[:])
	upper.SHA256 = string(bytes.ToUpper([]byte(upper.SHA256)))
	mustNoErr(t, s.SaveDocument(ctx, upper))
	got, err := s.GetDocument(ctx, "o-1", upper.ID)
	mustNoErr(t, err)
	if got.SHA256 != hex.EncodeToString(sum[:]) {
		t.Fatalf("sha256 = %s", got.SHA256)
	}
}

func TestGetDocumentOnlyUnderItsOrder(t *testing.T) {
	s, ctx := newTestStore(t), testContext(t)
	d := invoicePDF()
	mustNoErr(t, s.SaveDocument(ctx, d))
	_, err := s.GetDocument(ctx, "o-2", d.ID)
	wantErrIs(t, err, ErrNotFound)
	_, err = s.GetDocument(ctx, "o-1", "doc-missing")
	wantErrIs(t, err, ErrNotFound)
}

func TestDocumentInfoIsTheDocumentWithoutItsContent(t *testing.T) {
	s, ctx := newTestStore(t), testContext(t)
	d := invoicePDF()
	mustNoErr(t, s.SaveDocument(ctx, d))
	got, err := s.DocumentInfo(ctx, "o-1", d.ID)
	mustNoErr(t, err)
	if got.Content != nil || got.Size != int64(len(d.Content)) || got.Filename != d.Filename || got.Number != d.Number || got.SHA256 == "" {
		t.Errorf("info = %+v", got)
	}
	_, err = s.DocumentInfo(ctx, "o-2", d.ID)
	wantErrIs(t, err, ErrNotFound)
}

func TestListDocumentsOfOneOrderOldestFirst(t *testing.T) {
	s, ctx := newTestStore(t), testContext(t)
	later := Document{ID: "doc-po", OrderID: "o-1", Kind: "purchase_order", Filename: "po.pdf",
		ContentType: "application/pdf", Content: []byte("po"), CreatedAt: t0.Add(time.Hour)}
	earlier := invoicePDF()
	foreign := invoicePDF()
	foreign.ID, foreign.OrderID = "doc-other", "o-2"
	for _, d := range []Document{later, earlier, foreign} {
		mustNoErr(t, s.SaveDocument(ctx, d))
	}
	list, err := s.ListDocuments(ctx, "o-1")
	mustNoErr(t, err)
	if len(list) != 2 || list[0].ID != "doc-inv-1" || list[1].ID != "doc-po" {
		t.Fatalf("documents = %+v, want doc-inv-1 then doc-po", list)
	}
}

func TestSaveDocumentWithoutTimeOrContent(t *testing.T) {
	s, ctx := newTestStore(t), testContext(t)
	d := Document{ID: "doc-empty", OrderID: "o-1", Kind: "note", Filename: "n.txt", ContentType: "text/plain"}
	mustNoErr(t, s.SaveDocument(ctx, d))
	mustNoErr(t, s.SaveDocument(ctx, d))
	got, err := s.GetDocument(ctx, "o-1", "doc-empty")
	mustNoErr(t, err)
	if got.CreatedAt.IsZero() || got.Size != 0 || got.Number != "" || len(got.Content) != 0 {
		t.Fatalf("document = %+v, want a creation time, empty content and no number", got)
	}
}

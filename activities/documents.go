package activities

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"

	"go.temporal.io/sdk/temporal"

	"github.com/orderflow/orderflow/internal/pdf"
	"github.com/orderflow/orderflow/internal/store"
)

// ErrDocumentInvalid: the document cannot be rendered or conflicts with a
// stored one of the same id; retrying cannot help.
const ErrDocumentInvalid = "DocumentInvalid"

// RenderDocumentInput names the document (a deterministic id chosen by the
// workflow, e.g. "ord_…-invoice-2") and what goes in it.
type RenderDocumentInput struct {
	ID       string
	OrderID  string
	Filename string
	Document Document
}

// DocumentRef is what the workflow keeps of a stored document.
type DocumentRef struct {
	ID       string `json:"id"`
	Kind     string `json:"kind"`
	Number   string `json:"number,omitempty"`
	Filename string `json:"filename"`
	SHA256   string `json:"sha256"`
}

// RenderDocument renders a PDF and stores it under its id. Rendering is
// deterministic, so a retry stores the same bytes and changes nothing.
func (a *Activities) RenderDocument(ctx context.Context, in RenderDocumentInput) (DocumentRef, error) {
	content, err := pdf.Render(pdfDocument(in.Document))
	if err != nil {
		return DocumentRef{}, temporal.NewNonRetryableApplicationError("render "+in.ID+": "+err.Error(), ErrDocumentInvalid, err)
	}
	sum := sha256.Sum256(content)
	doc := store.Document{
		ID: in.ID, OrderID: in.OrderID, Kind: string(in.Document.Kind), Number: in.Document.Number,
		Filename: in.Filename, ContentType: "application/pdf", Content: content, SHA256: hex.EncodeToString(sum[:]),
	}
	if err := a.Documents.SaveDocument(ctx, doc); err != nil {
		if errors.Is(err, store.ErrConflict) || errors.Is(err, store.ErrInvalid) {
			return DocumentRef{}, temporal.NewNonRetryableApplicationError(err.Error(), ErrDocumentInvalid, err)
		}
		return DocumentRef{}, err
	}
	return DocumentRef{ID: doc.ID, Kind: doc.Kind, Number: doc.Number, Filename: doc.Filename, SHA256: doc.SHA256}, nil
}

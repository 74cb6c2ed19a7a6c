package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// Document is a generated or uploaded file of an order (PDFs mostly).
type Document struct {
	ID          string
	OrderID     string
	Kind        string
	Number      string // e.g. the invoice number; "" when the kind has none
	Filename    string
	ContentType string
	Content     []byte // nil in ListDocuments
	SHA256      string // hex of the content's SHA-256; computed when empty
	Size        int64  // length of the content; set when read back
	CreatedAt   time.Time
}

// SaveDocument stores d once under d.ID. Saving the same document again is
// a no-op; different content, or other metadata, under the same id returns
// ErrConflict. A zero CreatedAt means the time of the first save.
func (s *Store) SaveDocument(ctx context.Context, d Document) error {
	d, err := normalizeDocument(d)
	if err != nil {
		return err
	}
	var createdAt *time.Time
	if !d.CreatedAt.IsZero() {
		createdAt = &d.CreatedAt
	}
	args := []any{d.ID, d.OrderID, d.Kind, nullIfEmpty(d.Number), d.Filename, d.ContentType, d.SHA256}
	tag, err := s.pool.Exec(ctx, `
		INSERT INTO documents (id, order_id, kind, number, filename, content_type, sha256, content, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, COALESCE($9, now()))
		ON CONFLICT (id) DO NOTHING`, append(args, d.Content, createdAt)...)
	if err != nil {
		return fmt.Errorf("store: save document %s: %w", d.ID, err)
	}
	if tag.RowsAffected() == 1 {
		return nil
	}
	// The hash stands for the content: comparing it avoids reading the bytes back.
	var differs bool
	err = s.pool.QueryRow(ctx, `
		SELECT (order_id, kind, number, filename, content_type, sha256)
			IS DISTINCT FROM ($2::text, $3::text, $4::text, $5::text, $6::text, $7::text)
		FROM documents WHERE id = $1`, args...).Scan(&differs)
	if err != nil {
		return fmt.Errorf("store: save document %s: compare: %w", d.ID, err)
	}
	if differs {
		return fmt.Errorf("store: save document %s: %w: already saved with different content or metadata", d.ID, ErrConflict)
	}
	return nil
}

func normalizeDocument(d Document) (Document, error) {
	if err := requireFields("document", "id", d.ID, "order id", d.OrderID, "kind", d.Kind,
		"filename", d.Filename, "content type", d.ContentType); err != nil {
		return d, err
	}
	if d.Content == nil {
		d.Content = []byte{} // nil would be NULL
	}
	sum := sha256.Sum256(d.Content)
	actual := hex.EncodeToString(sum[:])
	if d.SHA256 == "" {
		d.SHA256 = actual
	}
	if !strings.EqualFold(d.SHA256, actual) {
		return d, invalid("document %s: SHA-256 %s does not match its content (%s)", d.ID, d.SHA256, actual)
	}
	d.SHA256 = actual
	return d, nil
}

// GetDocument returns a document with its content. ErrNotFound also when the
// document belongs to another order, so ids cannot be probed across orders.
func (s *Store) GetDocument(ctx context.Context, orderID, docID string) (Document, error) {
	var d Document
	var number *string
	err := s.pool.QueryRow(ctx, `
		SELECT id, order_id, kind, number, filename, content_type, content, sha256, created_at
		FROM documents WHERE id = $1 AND order_id = $2`, docID, orderID).
		Scan(&d.ID, &d.OrderID, &d.Kind, &number, &d.Filename, &d.ContentType, &d.Content, &d.SHA256, &d.CreatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return Document{}, fmt.Errorf("store: document %s of order %s: %w", docID, orderID, ErrNotFound)
	}
	if err != nil {
		return Document{}, fmt.Errorf("store: get document %s: %w", docID, err)
	}
	d.Number = deref(number)
	d.Size = int64(len(d.Content))
	d.CreatedAt = d.CreatedAt.UTC()
	return d, nil
}

// infoColumns are a document's columns without its content, with its size.
const infoColumns = `id, order_id, kind, number, filename, content_type, octet_length(content), sha256, created_at`

// ListDocuments returns an order's documents, oldest first, without content.
func (s *Store) ListDocuments(ctx context.Context, orderID string) ([]Document, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT `+infoColumns+` FROM documents WHERE order_id = $1 ORDER BY created_at, id`, orderID)
	if err != nil {
		return nil, fmt.Errorf("store: documents of order %s: %w", orderID, err)
	}
	docs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Document, error) { return scanInfo(row) })
	if err != nil {
		return nil, fmt.Errorf("store: documents of order %s: %w", orderID, err)
	}
	return docs, nil
}

// DocumentInfo is GetDocument without the content (a stored upload's name
// and digest), with the same ErrNotFound.
func (s *Store) DocumentInfo(ctx context.Context, orderID, docID string) (Document, error) {
	d, err := scanInfo(s.pool.QueryRow(ctx, `
		SELECT `+infoColumns+` FROM documents WHERE id = $1 AND order_id = $2`, docID, orderID))
	if errors.Is(err, pgx.ErrNoRows) {
		return Document{}, fmt.Errorf("store: document %s of order %s: %w", docID, orderID, ErrNotFound)
	}
	if err != nil {
		return Document{}, fmt.Errorf("store: document %s: %w", docID, err)
	}
	return d, nil
}

func scanInfo(row pgx.Row) (Document, error) {
	var d Document
	var number *string
	err := row.Scan(&d.ID, &d.OrderID, &d.Kind, &number, &d.Filename, &d.ContentType, &d.Size, &d.SHA256, &d.CreatedAt)
	d.Number = deref(number)
	d.CreatedAt = d.CreatedAt.UTC()
	return d, err
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

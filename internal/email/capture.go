package email

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/oklog/ulid/v2"
)

// Capture is the dev-mode sender: it keeps each message in the captured_mail
// table, where the /dev/mail page shows it, instead of sending it. Like a
// real send it happens at most once per idempotency key.
type Capture struct {
	pool *pgxpool.Pool
}

var _ Sender = (*Capture)(nil)

// NewCapture returns a sender that stores messages through pool.
func NewCapture(pool *pgxpool.Pool) *Capture { return &Capture{pool: pool} }

// CapturedAttachment describes an attachment of a captured message.
type CapturedAttachment struct {
	Filename    string `json:"filename"`
	ContentType string `json:"content_type"`
	Size        int    `json:"size"`
}

// Captured is a message as the capture sender kept it.
type Captured struct {
	ID          int64
	MessageID   string
	Key         string
	OrderID     string
	Purpose     string
	From        string // "Name <email>"
	To          string
	Cc          []string
	Subject     string
	Text        string
	HTML        string
	Attachments []CapturedAttachment
	CreatedAt   time.Time
}

// Send stores m and returns its capture id ("capture-<ULID>"). Storing the
// same key again stores nothing and returns the first message's id.
func (c *Capture) Send(ctx context.Context, m Message) (string, error) {
	m, err := prepare(m)
	if err != nil {
		return "", err
	}
	attachments, err := json.Marshal(describeAttachments(m.Attachments))
	if err != nil {
		return "", fmt.Errorf("capture email: encode attachments: %w", err)
	}
	cc := make([]string, len(m.Cc))
	for i, a := range m.Cc {
		cc[i] = a.String()
	}
	id := "capture-" + ulid.Make().String()
	var stored string
	err = c.pool.QueryRow(ctx, `
		INSERT INTO captured_mail (idempotency_key, message_id, order_id, purpose, from_addr, to_addr,
		                           cc_addrs, subject, text_body, html_body, attachments)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
		ON CONFLICT (idempotency_key) DO NOTHING
		RETURNING message_id`,
		m.Key, id, m.OrderID, m.Purpose, m.From.String(), m.To.String(),
		cc, m.Subject, m.Text, m.HTML, attachments,
	).Scan(&stored)
	if errors.Is(err, pgx.ErrNoRows) {
		// Captured before. A separate statement, so that it sees a row a
		// concurrent capture of the same key committed meanwhile.
		err = c.pool.QueryRow(ctx, `SELECT message_id FROM captured_mail WHERE idempotency_key = $1`, m.Key).Scan(&stored)
	}
	if err != nil {
		return "", fmt.Errorf("capture email %s: %w", m.Key, err)
	}
	return stored, nil
}

func describeAttachments(as []Attachment) []CapturedAttachment {
	out := make([]CapturedAttachment, len(as))
	for i, a := range as {
		out[i] = CapturedAttachment{Filename: a.Filename, ContentType: contentTypeOf(a), Size: len(a.Content)}
	}
	return out
}

const (
	defaultListLimit = 50
	maxListLimit     = 500
)

// ListCaptured returns up to limit captured messages, newest first (50 when
// limit is not positive, at most 500).
func (c *Capture) ListCaptured(ctx context.Context, limit int) ([]Captured, error) {
	if limit <= 0 {
		limit = defaultListLimit
	}
	limit = min(limit, maxListLimit)
	rows, err := c.pool.Query(ctx, `
		SELECT id, message_id, idempotency_key, order_id, purpose, from_addr, to_addr, cc_addrs,
		       subject, text_body, html_body, attachments, created_at
		FROM captured_mail
		ORDER BY id DESC
		LIMIT $1`, limit)
	if err != nil {
		return nil, fmt.Errorf("list captured emails: %w", err)
	}
	mails, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Captured, error) {
		var m Captured
		err := row.Scan(&m.ID, &m.MessageID, &m.Key, &m.OrderID, &m.Purpose, &m.From, &m.To, &m.Cc,
			&m.Subject, &m.Text, &m.HTML, &m.Attachments, &m.CreatedAt)
		return m, err
	})
	if err != nil {
		return nil, fmt.Errorf("list captured emails: %w", err)
	}
	return mails, nil
}

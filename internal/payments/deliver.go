package payments

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// MaxRefusals is how many 4xx answers an event gets before the deliverer
// gives up on it. A refusal is retried at all because the usual cause is a
// configuration being fixed (a wrong secret, a wrong URL); a given-up event
// stays in payment_events with its last error for ops.
const MaxRefusals = 5

// attemptTimeout bounds one POST when the client has no timeout of its own.
const attemptTimeout = 30 * time.Second

// Deliverer posts the outbox of payment events to the webhook, signed.
//
// Delivery is at least once: a crash after the receiver answered but before
// the event is marked delivered sends it again on the next round. The
// receiver dedupes by event id. What the deliverer does guarantee is that
// concurrent rounds (the pay handler's and the Run loop's) never post the
// same event at the same time: each holds its event's row lock while posting.
type Deliverer struct {
	pool   *pgxpool.Pool
	url    string
	secret []byte
	client *http.Client
	now    func() time.Time
	// Logger receives Run's reports; nil means slog.Default().
	Logger *slog.Logger
}

// NewDeliverer returns a deliverer posting to webhookURL with client (nil:
// a client with a 30-second timeout). Redirects are not followed: a webhook
// URL must point at the receiver itself.
func NewDeliverer(pool *pgxpool.Pool, webhookURL string, secret []byte, client *http.Client) *Deliverer {
	var c http.Client
	if client != nil {
		c = *client
	} else {
		c.Timeout = attemptTimeout
	}
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &Deliverer{pool: pool, url: webhookURL, secret: secret, client: &c, now: time.Now}
}

// outcome of one POST.
type outcome int

const (
	delivered   outcome = iota // 2xx
	refused                    // the receiver answered no (4xx, 3xx): counts towards MaxRefusals
	failed                     // 5xx, 408, 429: try again next round
	unreachable                // no answer at all: the rest of this round would fail too
)

// DeliverPending posts every undelivered event, oldest first, and reports how
// many were delivered. Events that fail stay for the next round; the error
// says how many and why. It stops early when the receiver cannot be reached.
func (d *Deliverer) DeliverPending(ctx context.Context) (int, error) {
	if len(d.secret) == 0 {
		return 0, fmt.Errorf("payments: deliver: %w: set ORDERFLOW_PAYMENT_WEBHOOK_SECRET", ErrNoSecret)
	}
	var count int
	tried := []string{} // events that failed this round, not to be posted again in it (never nil: NULL would match nothing)
	var lastErr error
	for {
		id, result, err := d.deliverNext(ctx, tried)
		switch {
		case err != nil:
			return count, err
		case id == "":
			if lastErr != nil {
				return count, fmt.Errorf("payments: %d event(s) not delivered, kept for the next round; last: %w", len(tried), lastErr)
			}
			return count, nil
		case result.outcome == delivered:
			count++
			continue
		}
		tried = append(tried, id)
		lastErr = result.err
		if result.outcome == unreachable {
			return count, fmt.Errorf("payments: webhook unreachable, events kept for the next round: %w", result.err)
		}
	}
}

type attempt struct {
	outcome outcome
	err     error
}

// deliverNext posts the oldest pending event that is neither in skip nor
// being posted by another round, and records the outcome. It returns an
// empty id when there is none.
func (d *Deliverer) deliverNext(ctx context.Context, skip []string) (string, attempt, error) {
	tx, err := d.pool.Begin(ctx)
	if err != nil {
		return "", attempt{}, fmt.Errorf("payments: deliver: begin: %w", err)
	}
	defer func() { _ = tx.Rollback(ctx) }() // a no-op after Commit
	var id string
	var payload []byte
	err = tx.QueryRow(ctx, `
		SELECT id, payload FROM payment_events
		WHERE delivered_at IS NULL AND given_up_at IS NULL AND NOT (id = ANY($1::text[]))
		ORDER BY created_at, id
		LIMIT 1
		FOR UPDATE SKIP LOCKED`, skip).Scan(&id, &payload)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", attempt{}, nil
	}
	if err != nil {
		return "", attempt{}, fmt.Errorf("payments: deliver: next event: %w", err)
	}
	result := d.post(ctx, id, payload)
	if ctx.Err() != nil {
		return "", attempt{}, fmt.Errorf("payments: deliver %s: %w", id, ctx.Err())
	}
	if err := d.record(ctx, tx, id, result); err != nil {
		return "", attempt{}, err
	}
	if err := tx.Commit(ctx); err != nil {
		return "", attempt{}, fmt.Errorf("payments: deliver %s: commit: %w", id, err)
	}
	return id, result, nil
}

func (d *Deliverer) record(ctx context.Context, tx pgx.Tx, id string, result attempt) error {
	now := d.now().UTC()
	var err error
	switch result.outcome {
	case delivered:
		_, err = tx.Exec(ctx, `UPDATE payment_events SET delivered_at = $2, attempts = attempts + 1, last_error = ''
			WHERE id = $1`, id, now)
	case refused:
		_, err = tx.Exec(ctx, `UPDATE payment_events SET attempts = attempts + 1, refusals = refusals + 1, last_error = $2,
			given_up_at = CASE WHEN refusals + 1 >= $3 THEN $4::timestamptz END
			WHERE id = $1`, id, result.err.Error(), MaxRefusals, now)
	default:
		_, err = tx.Exec(ctx, `UPDATE payment_events SET attempts = attempts + 1, last_error = $2 WHERE id = $1`,
			id, result.err.Error())
	}
	if err != nil {
		return fmt.Errorf("payments: deliver %s: record the outcome: %w", id, err)
	}
	return nil
}

// post sends one event. The body is re-encoded from the stored event, so it
// is the same canonical JSON on every attempt; the signature is fresh.
func (d *Deliverer) post(ctx context.Context, id string, payload []byte) attempt {
	event, err := ParseEvent(payload)
	if err != nil {
		return attempt{refused, fmt.Errorf("stored event %s is unreadable: %w", id, err)}
	}
	body, err := json.Marshal(event)
	if err != nil {
		return attempt{refused, fmt.Errorf("encode event %s: %w", id, err)}
	}
	if d.client.Timeout == 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, attemptTimeout)
		defer cancel()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.url, bytes.NewReader(body))
	if err != nil {
		return attempt{unreachable, fmt.Errorf("webhook URL %q: %w", d.url, err)}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "orderflow-sandbox-payments/1")
	req.Header.Set(SignatureHeader, Sign(d.secret, body, d.now()))
	resp, err := d.client.Do(req)
	if err != nil {
		return attempt{unreachable, fmt.Errorf("post event %s: %w", id, err)}
	}
	defer resp.Body.Close()
	return classify(id, resp)
}

func classify(id string, resp *http.Response) attempt {
	const keep = 300 // bytes of the answer kept in last_error
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, keep))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20)) // lets the connection be reused
	code := resp.StatusCode
	if code >= 200 && code < 300 {
		return attempt{outcome: delivered}
	}
	err := fmt.Errorf("post event %s: %s: %s", id, resp.Status, strings.TrimSpace(string(snippet)))
	switch {
	case code >= 300 && code < 400:
		return attempt{refused, fmt.Errorf("%w (redirected to %q: configure the final webhook URL)", err, resp.Header.Get("Location"))}
	case code == http.StatusRequestTimeout, code == http.StatusTooManyRequests, code >= 500:
		return attempt{failed, err}
	default:
		return attempt{refused, err}
	}
}

// Run delivers pending events now and then every interval (10 seconds when
// not positive) until ctx ends, logging what fails. It returns nil when ctx ends.
func (d *Deliverer) Run(ctx context.Context, interval time.Duration) error {
	if interval <= 0 {
		interval = 10 * time.Second
	}
	log := d.Logger
	if log == nil {
		log = slog.Default()
	}
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		n, err := d.DeliverPending(ctx)
		if n > 0 {
			log.Info("payment events delivered", "count", n)
		}
		if err != nil && ctx.Err() == nil {
			log.Warn("payment events not delivered", "error", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-ticker.C:
		}
	}
}

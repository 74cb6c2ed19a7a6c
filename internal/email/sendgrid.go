package email

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/sendgrid/sendgrid-go"
	"github.com/sendgrid/sendgrid-go/helpers/mail"
)

const (
	mailSendPath   = "/v3/mail/send"
	defaultBaseURL = "https://api.sendgrid.com"
	defaultTimeout = 10 * time.Second

	// Bounds on how long a 429 asks us to wait: never hammer the API again
	// within the second, never park an email for longer than a few minutes
	// because of one odd header.
	minRetryAfter     = time.Second
	maxRetryAfter     = 10 * time.Minute
	defaultRetryAfter = 30 * time.Second

	maxErrorBody = 64 << 10
)

// SendGridConfig configures the SendGrid sender.
type SendGridConfig struct {
	APIKey  string
	BaseURL string        // https://api.sendgrid.com when empty
	Timeout time.Duration // for each request, 10s when zero
	// HTTPClient sends the requests; when nil the sender uses a client of
	// its own. Redirects are never followed either way.
	HTTPClient *http.Client
	// Now tells the time for rate-limit waits; time.Now when nil.
	Now func() time.Time
}

// SendGrid sends messages through SendGrid's v3 mail-send API. It builds
// requests with sendgrid-go's types but sends them itself, so that every
// answer is classified (that client reports 4xx answers as successes).
type SendGrid struct {
	endpoint string
	headers  map[string]string
	timeout  time.Duration
	client   *http.Client
	now      func() time.Time
}

var _ Sender = (*SendGrid)(nil)

// NewSendGrid checks cfg and returns a sender. It is safe for concurrent use.
func NewSendGrid(cfg SendGridConfig) (*SendGrid, error) {
	if cfg.APIKey == "" {
		return nil, errors.New("sendgrid: no API key (set SENDGRID_API_KEY)")
	}
	base := strings.TrimRight(cfg.BaseURL, "/")
	if base == "" {
		base = defaultBaseURL
	}
	if u, err := url.Parse(base); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("sendgrid: base URL %q is not an http(s) URL such as %s", cfg.BaseURL, defaultBaseURL)
	}
	s := &SendGrid{timeout: cfg.Timeout, now: cfg.Now}
	if s.timeout <= 0 {
		s.timeout = defaultTimeout
	}
	if s.now == nil {
		s.now = time.Now
	}
	req := sendgrid.GetRequest(cfg.APIKey, mailSendPath, base)
	s.endpoint, s.headers = req.BaseURL, req.Headers

	client := http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
	if cfg.HTTPClient != nil {
		client = *cfg.HTTPClient
	}
	// A redirect would turn the POST into a GET elsewhere: report it instead.
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	s.client = &client
	return s, nil
}

// Send posts m to SendGrid and returns the X-Message-Id of the accepted message.
func (s *SendGrid) Send(ctx context.Context, m Message) (string, error) {
	m, err := prepare(m)
	if err != nil {
		return "", err
	}
	body, err := requestBody(m)
	if err != nil {
		return "", err
	}
	resp, err := s.post(ctx, body)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	return s.classify(resp)
}

// post sends the request. A failure before the request was fully written
// means SendGrid cannot have the message; after it, nobody knows.
func (s *SendGrid) post(ctx context.Context, body []byte) (*http.Response, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("email not sent: %w", err)
	}
	reqCtx, cancel := context.WithTimeout(ctx, s.timeout)
	var written atomic.Bool
	reqCtx = httptrace.WithClientTrace(reqCtx, &httptrace.ClientTrace{
		WroteRequest: func(info httptrace.WroteRequestInfo) {
			if info.Err == nil {
				written.Store(true)
			}
		},
	})
	req, err := http.NewRequestWithContext(reqCtx, http.MethodPost, s.endpoint, bytes.NewReader(body))
	if err != nil {
		cancel()
		return nil, fmt.Errorf("sendgrid: build request: %w", err)
	}
	for k, v := range s.headers {
		req.Header.Set(k, v)
	}
	req.Header.Set("Content-Type", "application/json")

	resp, err := s.client.Do(req)
	if err != nil {
		cancel()
		switch {
		case written.Load():
			return nil, &UnknownOutcomeError{Err: err}
		case ctx.Err() != nil: // the caller gave up, not SendGrid
			return nil, fmt.Errorf("email not sent: %w", ctx.Err())
		default:
			return nil, &TransientError{Err: err}
		}
	}
	resp.Body = cancelOnClose{resp.Body, cancel}
	return resp, nil
}

// cancelOnClose keeps the request's context alive while its body is read.
type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (c cancelOnClose) Close() error {
	err := c.ReadCloser.Close()
	c.cancel()
	return err
}

func (s *SendGrid) classify(resp *http.Response) (string, error) {
	code := resp.StatusCode
	switch {
	case code >= 200 && code < 300:
		return resp.Header.Get("X-Message-Id"), nil
	case code == http.StatusTooManyRequests:
		return "", &RateLimitedError{RetryAfter: retryAfter(resp.Header, s.now())}
	case code >= 500:
		return "", &TransientError{StatusCode: code, Err: errors.New(reasonOf(resp))}
	case code >= 400:
		return "", &PermanentError{StatusCode: code, Reason: reasonOf(resp)}
	default:
		return "", &PermanentError{StatusCode: code, Reason: fmt.Sprintf("unexpected answer (Location %q); is SENDGRID_BASE_URL right?", resp.Header.Get("Location"))}
	}
}

// retryAfter reads how long a 429 asks us to wait: X-RateLimit-Reset (unix
// seconds) first, then Retry-After, then a default, rounded up to whole
// seconds and kept within bounds.
func retryAfter(h http.Header, now time.Time) time.Duration {
	wait := defaultRetryAfter
	if reset, err := strconv.ParseInt(h.Get("X-RateLimit-Reset"), 10, 64); err == nil {
		wait = time.Unix(reset, 0).Sub(now)
	} else if v := h.Get("Retry-After"); v != "" {
		if secs, err := strconv.Atoi(v); err == nil {
			wait = time.Duration(secs) * time.Second
		} else if at, err := http.ParseTime(v); err == nil {
			wait = at.Sub(now)
		}
	}
	wait = (wait + time.Second - 1).Truncate(time.Second)
	return min(max(wait, minRetryAfter), maxRetryAfter)
}

// reasonOf reads SendGrid's error envelope into one line, falling back to
// the raw body or the status text.
func reasonOf(resp *http.Response) string {
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	var env struct {
		Errors []struct {
			Message string  `json:"message"`
			Field   *string `json:"field"`
		} `json:"errors"`
	}
	if json.Unmarshal(body, &env) == nil && len(env.Errors) > 0 {
		parts := make([]string, len(env.Errors))
		for i, e := range env.Errors {
			parts[i] = e.Message
			if e.Field != nil && *e.Field != "" {
				parts[i] = *e.Field + ": " + e.Message
			}
		}
		return strings.Join(parts, "; ")
	}
	if text := strings.TrimSpace(string(body)); text != "" {
		const max = 300
		if len(text) > max {
			text = text[:max] + "…"
		}
		return text
	}
	return http.StatusText(resp.StatusCode)
}

// requestBody builds the mail-send request: one personalization, text/plain
// before text/html (SendGrid insists on that order), order id, purpose and
// idempotency key as custom args so every SendGrid event can be traced back,
// and the purpose as category for SendGrid's statistics.
func requestBody(m Message) ([]byte, error) {
	v3 := mail.NewV3Mail()
	v3.SetFrom(mail.NewEmail(m.From.Name, m.From.Email))
	v3.Subject = m.Subject
	p := mail.NewPersonalization()
	p.AddTos(mail.NewEmail(m.To.Name, m.To.Email))
	for _, cc := range m.Cc {
		p.AddCCs(mail.NewEmail(cc.Name, cc.Email))
	}
	v3.AddPersonalizations(p)
	if m.ReplyTo != nil {
		v3.SetReplyTo(mail.NewEmail(m.ReplyTo.Name, m.ReplyTo.Email))
	}
	if m.Text != "" {
		v3.AddContent(mail.NewContent("text/plain", m.Text))
	}
	if m.HTML != "" {
		v3.AddContent(mail.NewContent("text/html", m.HTML))
	}
	for _, a := range m.Attachments {
		v3.AddAttachment(mail.NewAttachment().
			SetContent(base64.StdEncoding.EncodeToString(a.Content)).
			SetType(contentTypeOf(a)).
			SetFilename(a.Filename).
			SetDisposition("attachment"))
	}
	for k, v := range map[string]string{"order_id": m.OrderID, "purpose": m.Purpose, "idempotency_key": m.Key} {
		if v != "" {
			v3.SetCustomArg(k, v)
		}
	}
	if m.Purpose != "" {
		v3.AddCategories(m.Purpose)
	}
	body := mail.GetRequestBody(v3)
	if len(body) == 0 {
		return nil, errors.New("sendgrid: cannot encode the message as JSON")
	}
	return body, nil
}

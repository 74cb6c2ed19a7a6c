package email

import (
	"fmt"
	"net/http"
	"time"
)

// PermanentError: the provider refused the message (or it was refused before
// sending) and sending it again unchanged cannot succeed.
type PermanentError struct {
	StatusCode int    // the provider's HTTP status; 0 when refused before sending
	Reason     string // what was wrong, in the provider's words where it gave any
}

func (e *PermanentError) Error() string {
	var hint string
	switch e.StatusCode {
	case 0:
		return "email not sent: " + e.Reason + "; fix the message, retrying cannot help"
	case http.StatusUnauthorized, http.StatusForbidden:
		hint = "check SENDGRID_API_KEY and the key's mail-send permission"
	case http.StatusRequestEntityTooLarge:
		hint = "the message with its attachments is over SendGrid's 30 MB limit"
	default:
		hint = "fix the message or the configuration, retrying cannot help"
	}
	return fmt.Sprintf("sendgrid refused the email (%d %s): %s; %s", e.StatusCode, http.StatusText(e.StatusCode), e.Reason, hint)
}

// RateLimitedError: the provider asks us to slow down. Nothing was accepted;
// send again after RetryAfter.
type RateLimitedError struct {
	RetryAfter time.Duration
}

func (e *RateLimitedError) Error() string {
	return fmt.Sprintf("sendgrid rate limit reached (429): nothing was sent, retry after %s", e.RetryAfter)
}

// TransientError: the provider could not be reached or failed before taking
// the message (5xx, connection refused, DNS failure). Nothing was accepted;
// retrying is safe.
type TransientError struct {
	StatusCode int // 0 when no answer was received
	Err        error
}

func (e *TransientError) Error() string {
	if e.StatusCode != 0 {
		return fmt.Sprintf("sendgrid failed (%d %s): %v; nothing was sent, retry later", e.StatusCode, http.StatusText(e.StatusCode), e.Err)
	}
	return fmt.Sprintf("sendgrid unreachable: %v; nothing was sent, retry later (check SENDGRID_BASE_URL and the network if it persists)", e.Err)
}

func (e *TransientError) Unwrap() error { return e.Err }

// UnknownOutcomeError: the whole request was sent but no answer came back
// (timeout, connection reset). SendGrid may have accepted the message; a
// retry may deliver it twice.
type UnknownOutcomeError struct {
	Err error
}

func (e *UnknownOutcomeError) Error() string {
	return fmt.Sprintf("no answer from sendgrid after sending the email (%v): it may or may not have been accepted; check SendGrid's activity feed before sending it again", e.Err)
}

func (e *UnknownOutcomeError) Unwrap() error { return e.Err }

package activities

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/orderflow/orderflow/internal/email"
	"github.com/orderflow/orderflow/internal/store"
)

// Error types of SendEmail, for retry policies and for ops reading a failure.
const (
	ErrEmailRejected       = "EmailRejected"       // the provider refused the message: fix data or config
	ErrEmailRateLimited    = "EmailRateLimited"    // retried after the provider's reset time
	ErrEmailUnavailable    = "EmailUnavailable"    // nothing was sent; retried with backoff
	ErrEmailOutcomeUnknown = "EmailOutcomeUnknown" // may have been sent: ops check the provider before a retry
	ErrEmailInvalid        = "EmailInvalid"        // bad input or template: a code or data bug
)

// SendEmailInput asks for one email of one purpose to one recipient.
type SendEmailInput struct {
	OrderID string
	// Purpose names the email for "at most once per (order, purpose,
	// recipient)", e.g. "invoice_issued#2" for the second invoice.
	Purpose string
	// Template renders it; empty means the template named like the purpose.
	Template string
	To       Address
	Cc       []Address
	// Data feeds the purpose's templates.
	Data map[string]any
	// AttachDocuments are ids of this order's stored documents to attach.
	AttachDocuments []string
	// Resend, set by ops after checking the provider, sends an email whose
	// earlier attempt ended without an answer (its outbox row still
	// "sending"). An email recorded as sent is never sent again.
	Resend bool `json:",omitempty"`
	// SentAs is the provider's message id of an earlier attempt that the
	// provider accepted but that could not record it (a local activity has
	// no heartbeat to hand it on; SentUnrecorded): this attempt records it
	// and sends nothing.
	SentAs string `json:",omitempty"`
}

// SendEmailResult says what happened; Duplicate is true when an earlier
// attempt or call had already sent this email.
type SendEmailResult struct {
	Key               string
	ProviderMessageID string
	Duplicate         bool
}

// sentMarker is heartbeated right after the provider accepted a message, so
// that an attempt which then fails to record it lets the next attempt record
// it instead of sending again.
type sentMarker struct {
	Key               string
	ProviderMessageID string
}

// SendEmail sends at most one message per (order, purpose, recipient),
// however often it is retried or called.
func (a *Activities) SendEmail(ctx context.Context, in SendEmailInput) (SendEmailResult, error) {
	if err := in.validate(); err != nil {
		return SendEmailResult{}, temporal.NewNonRetryableApplicationError(err.Error(), ErrEmailInvalid, err)
	}
	key := email.KeyFor(in.OrderID, in.Purpose, in.To.Email)

	if marker, ok := earlierSend(ctx, key, in.SentAs); ok {
		return a.recordSent(ctx, marker)
	}

	msg, err := a.compose(ctx, in, key)
	if err != nil {
		return SendEmailResult{}, err
	}
	current, claimed, err := a.Outbox.ClaimEmail(ctx, store.Email{
		Key: key, OrderID: in.OrderID, Purpose: in.Purpose, Recipient: strings.ToLower(in.To.Email), Subject: msg.Subject,
	})
	if err != nil {
		return SendEmailResult{}, claimError(err)
	}
	if !claimed && in.Resend && current.Status == store.EmailSending {
		if current, claimed, err = a.reclaim(ctx, current); err != nil {
			return SendEmailResult{}, err
		}
	}
	if !claimed {
		return alreadyClaimed(current)
	}

	providerID, err := a.Sender.Send(ctx, msg)
	if err != nil {
		return SendEmailResult{}, a.sendFailed(ctx, key, err)
	}
	// Counted here, once the provider accepted it: a duplicate call or a
	// retry that finds the email sent never reaches this line.
	a.events().EmailSent(in.Purpose)
	a.log().InfoContext(ctx, "email sent", "purpose", in.Purpose, "key", key, "provider_message_id", providerID)
	marker := sentMarker{Key: key, ProviderMessageID: providerID}
	activity.RecordHeartbeat(ctx, marker)
	return a.recordSent(ctx, marker)
}

// SentUnrecorded is the provider's message id in a SendEmail failure that
// came after the provider accepted the email ("" for any other failure):
// what the next attempt's SentAs takes.
func SentUnrecorded(err error) string {
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) || appErr.Type() != ErrEmailUnavailable || !appErr.HasDetails() {
		return ""
	}
	var m sentMarker
	if appErr.Details(&m) != nil {
		return ""
	}
	return m.ProviderMessageID
}

func (in SendEmailInput) validate() error {
	var missing []string
	if in.OrderID == "" {
		missing = append(missing, "order id")
	}
	if in.Purpose == "" {
		missing = append(missing, "purpose")
	}
	if !strings.Contains(in.To.Email, "@") {
		missing = append(missing, "recipient address")
	}
	if len(missing) > 0 {
		return fmt.Errorf("email request lacks %s", strings.Join(missing, ", "))
	}
	return nil
}

// earlierSend is an earlier attempt's send the provider accepted: handed on
// in the input (sentAs) or heartbeated by an earlier attempt of this activity.
func earlierSend(ctx context.Context, key, sentAs string) (sentMarker, bool) {
	if sentAs != "" {
		return sentMarker{Key: key, ProviderMessageID: sentAs}, true
	}
	if !activity.HasHeartbeatDetails(ctx) {
		return sentMarker{}, false
	}
	var m sentMarker
	if err := activity.GetHeartbeatDetails(ctx, &m); err != nil || m.Key != key {
		return sentMarker{}, false
	}
	return m, true
}

// recordSent marks the email sent. The marker is heartbeated again first so
// it survives this attempt too if the write fails.
func (a *Activities) recordSent(ctx context.Context, m sentMarker) (SendEmailResult, error) {
	activity.RecordHeartbeat(ctx, m)
	if err := a.Outbox.MarkEmailSent(ctx, m.Key, m.ProviderMessageID, a.Now()); err != nil {
		// The marker rides along as the error's details for SentUnrecorded.
		return SendEmailResult{}, temporal.NewApplicationErrorWithCause("email was sent but could not be recorded yet: "+err.Error(), ErrEmailUnavailable, err, m)
	}
	return SendEmailResult{Key: m.Key, ProviderMessageID: m.ProviderMessageID}, nil
}

func (a *Activities) compose(ctx context.Context, in SendEmailInput, key string) (email.Message, error) {
	template := in.Template
	if template == "" {
		template = in.Purpose
	}
	data, err := a.withLinkURL(ctx, in.Data)
	if err != nil {
		return email.Message{}, err
	}
	subject, text, html, err := a.Templates.Render(template, data)
	if err != nil {
		return email.Message{}, temporal.NewNonRetryableApplicationError("email template: "+err.Error(), ErrEmailInvalid, err)
	}
	msg := email.Message{
		Key: key, OrderID: in.OrderID, Purpose: in.Purpose,
		From: a.From, To: emailAddress(in.To), Cc: emailAddresses(in.Cc),
		Subject: subject, Text: text, HTML: html,
	}
	for _, docID := range in.AttachDocuments {
		doc, err := a.Documents.GetDocument(ctx, in.OrderID, docID)
		if errors.Is(err, store.ErrNotFound) {
			return email.Message{}, temporal.NewNonRetryableApplicationError(
				fmt.Sprintf("attachment %s of order %s does not exist", docID, in.OrderID), ErrEmailInvalid, err)
		}
		if err != nil {
			return email.Message{}, temporal.NewApplicationError("read attachment: "+err.Error(), ErrEmailUnavailable, err)
		}
		msg.Attachments = append(msg.Attachments, email.Attachment{Filename: doc.Filename, ContentType: doc.ContentType, Content: doc.Content})
	}
	return msg, nil
}

func claimError(err error) error {
	if errors.Is(err, store.ErrConflict) {
		return temporal.NewNonRetryableApplicationError(err.Error(), ErrEmailInvalid, err)
	}
	return temporal.NewApplicationError("claim email: "+err.Error(), ErrEmailUnavailable, err)
}

// reclaim releases an email whose outcome is unknown, as ops asked, and
// claims it again for this attempt.
func (a *Activities) reclaim(ctx context.Context, e store.Email) (store.Email, bool, error) {
	if err := a.Outbox.MarkEmailFailed(ctx, e.Key, "outcome unknown; ops chose to send it again"); err != nil {
		return e, false, temporal.NewApplicationError("release email for a resend: "+err.Error(), ErrEmailUnavailable, err)
	}
	a.log().WarnContext(ctx, "resending an email whose earlier outcome is unknown, as ops asked", "key", e.Key)
	current, claimed, err := a.Outbox.ClaimEmail(ctx, e)
	if err != nil {
		return e, false, claimError(err)
	}
	return current, claimed, nil
}

// alreadyClaimed answers a call for an email another attempt already owns.
func alreadyClaimed(e store.Email) (SendEmailResult, error) {
	if e.Status == store.EmailSent {
		return SendEmailResult{Key: e.Key, ProviderMessageID: e.ProviderMessageID, Duplicate: true}, nil
	}
	// "sending": an earlier attempt died between claiming and recording.
	// Sending again could deliver twice; a person decides.
	msg := fmt.Sprintf("an earlier attempt to send %s to %s for order %s ended without an answer; "+
		"check the provider's activity for custom arg idempotency_key=%s, then skip the step if it was delivered, "+
		"or retry it with {\"resend\": true} if not",
		e.Purpose, e.Recipient, e.OrderID, e.Key)
	return SendEmailResult{}, temporal.NewNonRetryableApplicationError(msg, ErrEmailOutcomeUnknown, nil)
}

// sendFailed records a definite failure (so a retry may claim again) and
// maps the provider's answer to Temporal's retry behaviour.
func (a *Activities) sendFailed(ctx context.Context, key string, err error) error {
	var unknown *email.UnknownOutcomeError
	if errors.As(err, &unknown) {
		return temporal.NewNonRetryableApplicationError(
			"the email provider may have accepted the message but did not answer ("+err.Error()+"); check the provider before retrying",
			ErrEmailOutcomeUnknown, err)
	}
	if markErr := a.Outbox.MarkEmailFailed(ctx, key, err.Error()); markErr != nil {
		a.log().WarnContext(ctx, "could not record a failed email; the next attempt will see its outcome as unknown",
			"key", key, "error", markErr)
	}

	var rateLimited *email.RateLimitedError
	var permanent *email.PermanentError
	switch {
	case errors.As(err, &rateLimited):
		return temporal.NewApplicationErrorWithOptions(err.Error(), ErrEmailRateLimited, temporal.ApplicationErrorOptions{
			NextRetryDelay: rateLimited.RetryAfter,
			Cause:          err,
		})
	case errors.As(err, &permanent):
		return temporal.NewNonRetryableApplicationError(err.Error(), ErrEmailRejected, err)
	default:
		return temporal.NewApplicationError(err.Error(), ErrEmailUnavailable, err)
	}
}

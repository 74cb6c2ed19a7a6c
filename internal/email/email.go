// Package email sends the emails of orders: one Sender interface with a
// SendGrid implementation for real deployments and a capture implementation
// that keeps messages in Postgres for the dev-mode inbox, plus the embedded
// templates the messages are rendered from.
//
// Every message carries an idempotency key (KeyFor). Senders never retry:
// they classify each failure (PermanentError, RateLimitedError,
// TransientError, UnknownOutcomeError) and leave retrying to the caller.
package email

import (
	"context"
	"fmt"
	"net/mail"
	"strings"
	"unicode"
)

// Address is a sender or recipient.
type Address struct {
	Name  string
	Email string
}

// String formats the address for people to read: "Name <email>" or "email".
func (a Address) String() string {
	if a.Name == "" {
		return a.Email
	}
	return a.Name + " <" + a.Email + ">"
}

// ParseAddress reads "Name <email>" or a bare "email" (RFC 5322).
func ParseAddress(s string) (Address, error) {
	a, err := mail.ParseAddress(s)
	if err != nil {
		return Address{}, fmt.Errorf("email address %q: %w", s, err)
	}
	return Address{Name: a.Name, Email: a.Address}, nil
}

// Attachment is a file sent with a message.
type Attachment struct {
	Filename    string
	ContentType string // application/octet-stream when empty
	Content     []byte
}

// Message is one email to one recipient (with optional copies).
type Message struct {
	Key     string // idempotency key, see KeyFor
	OrderID string
	Purpose string
	From    Address
	To      Address
	Cc      []Address
	ReplyTo *Address
	Subject string
	Text    string
	HTML    string

	Attachments []Attachment
}

// Sender delivers a message, or says precisely why it did not.
type Sender interface {
	// Send returns the provider's id of the accepted message. Errors are
	// *PermanentError, *RateLimitedError, *TransientError,
	// *UnknownOutcomeError or the context's error.
	Send(ctx context.Context, m Message) (providerMessageID string, err error)
}

// KeyFor is the idempotency key of the email about orderID for purpose to
// recipient: the same three always give the same key, whatever the case of
// the address. Parts are escaped so that no two triples share a key.
func KeyFor(orderID, purpose, recipient string) string {
	recipient = strings.ToLower(strings.TrimSpace(recipient))
	return keyEscaper.Replace(orderID) + "/" + keyEscaper.Replace(purpose) + "/" + keyEscaper.Replace(recipient)
}

var keyEscaper = strings.NewReplacer("%", "%25", "/", "%2F")

// prepare checks what every provider would refuse anyway and removes copies
// to an address that already receives the message: SendGrid refuses a
// message that names an address twice, and a member who is also the client
// needs only one copy. It also makes every text that becomes a mail header
// one line (headerText), and refuses an address with a space or control
// character rather than send to something else than was asked.
func prepare(m Message) (Message, error) {
	var problems []string
	m.Subject = headerText(m.Subject)
	m.From.Name, m.To.Name = headerText(m.From.Name), headerText(m.To.Name)
	if m.ReplyTo != nil {
		replyTo := Address{Name: headerText(m.ReplyTo.Name), Email: m.ReplyTo.Email}
		m.ReplyTo = &replyTo
	}
	m.Cc = append([]Address(nil), m.Cc...)
	for i := range m.Cc {
		m.Cc[i].Name = headerText(m.Cc[i].Name)
	}
	m.Attachments = append([]Attachment(nil), m.Attachments...)
	for i := range m.Attachments {
		m.Attachments[i].Filename = headerText(m.Attachments[i].Filename)
	}
	if m.Key == "" {
		problems = append(problems, "no idempotency key (use KeyFor)")
	}
	if m.From.Email == "" {
		problems = append(problems, "no sender address")
	}
	if m.To.Email == "" {
		problems = append(problems, "no recipient address")
	}
	for _, a := range addressesOf(m) {
		if strings.ContainsFunc(a, breaksHeader) {
			problems = append(problems, fmt.Sprintf("the address %q holds a space or control character", a))
		}
	}
	if m.Subject == "" {
		problems = append(problems, "no subject")
	}
	if m.Text == "" && m.HTML == "" {
		problems = append(problems, "no body (text or HTML)")
	}
	for i, a := range m.Attachments {
		if a.Filename == "" {
			problems = append(problems, fmt.Sprintf("attachment %d has no file name", i+1))
		}
		if len(a.Content) == 0 {
			problems = append(problems, fmt.Sprintf("attachment %q is empty", a.Filename))
		}
	}
	if len(problems) > 0 {
		return Message{}, &PermanentError{Reason: "the message is incomplete: " + strings.Join(problems, "; ")}
	}
	m.Cc = distinctCopies(m.To, m.Cc)
	return m, nil
}

// headerText makes s fit a mail header: every control character (CR and
// LF above all, which would start a header of the sender's choosing), every
// other white space and Unicode line separator becomes one space, and the
// ends are trimmed. The templates fold subjects into one line and the API
// refuses control characters in names; this is the defence in depth for
// whatever reaches a header anyway (names, subject, attachment file names).
func headerText(s string) string {
	return strings.Join(strings.FieldsFunc(strings.ToValidUTF8(s, "\uFFFD"), breaksHeader), " ")
}

// breaksHeader: control characters (C0, DEL, C1) and Unicode white space,
// which includes the line and paragraph separators U+2028 and U+2029.
func breaksHeader(r rune) bool { return unicode.IsControl(r) || unicode.IsSpace(r) }

// addressesOf lists every address the message names.
func addressesOf(m Message) []string {
	out := []string{m.From.Email, m.To.Email}
	for _, a := range m.Cc {
		out = append(out, a.Email)
	}
	if m.ReplyTo != nil {
		out = append(out, m.ReplyTo.Email)
	}
	return out
}

func distinctCopies(to Address, cc []Address) []Address {
	seen := map[string]bool{strings.ToLower(to.Email): true}
	var out []Address
	for _, a := range cc {
		key := strings.ToLower(a.Email)
		if a.Email == "" || seen[key] {
			continue
		}
		seen[key] = true
		out = append(out, a)
	}
	return out
}

func contentTypeOf(a Attachment) string {
	if a.ContentType == "" {
		return "application/octet-stream"
	}
	return a.ContentType
}

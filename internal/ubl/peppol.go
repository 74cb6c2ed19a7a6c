package ubl

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
)

// AccessPoint sends e-invoices over the Peppol network.
//
// A real implementation is a client of a certified Peppol access point
// provider; orderflow cannot be its own access point without OpenPeppol
// certification. It needs (see docs/einvoicing.md):
//   - an account with the provider, and the seller registered as a Peppol
//     participant (its 0208 enterprise number) in the provider's SMP, so
//     that answers and invoices addressed to the seller arrive;
//   - a lookup of the receiver before sending: the SML gives the receiver's
//     SMP, which says whether it accepts Peppol BIS Billing 3.0 invoices and
//     credit notes and at which access point (most providers do this);
//   - the transport itself: the document in an SBDH envelope, sent over
//     AS4, signed and encrypted with the access point's Peppol certificate;
//   - the answers: a transport failure, then asynchronous Message Level
//     Responses (the receiver's access point rejected the document, e.g. a
//     Schematron error) and Invoice Responses (the buyer accepts, disputes
//     or rejects the invoice), to be fed back into the order.
//
// Send must be idempotent per document: a retry of the same bytes to the
// same receiver returns the first message id instead of sending twice
// (providers take an idempotency key; use the document's hash).
type AccessPoint interface {
	Send(ctx context.Context, doc []byte, receiver Endpoint) (messageID string, err error)
}

// ErrNoReceiver: the receiver has no Peppol endpoint we can address.
var ErrNoReceiver = errors.New("peppol: the receiver has no endpoint")

// Sent is what the Stub was asked to send.
type Sent struct {
	MessageID string
	Receiver  Endpoint
	Document  []byte
}

// Stub is an AccessPoint that sends nothing: it records each distinct
// document once and answers with a message id derived from its content, as
// a real idempotent access point would.
type Stub struct {
	mu   sync.Mutex
	sent []Sent
}

// Send records doc for receiver.
func (s *Stub) Send(ctx context.Context, doc []byte, receiver Endpoint) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	if receiver.Scheme == "" || receiver.ID == "" {
		return "", fmt.Errorf("%w: scheme %q, id %q", ErrNoReceiver, receiver.Scheme, receiver.ID)
	}
	sum := sha256.Sum256(doc)
	id := "stub-" + hex.EncodeToString(sum[:8])
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, prev := range s.sent {
		if prev.MessageID == id && prev.Receiver == receiver {
			return id, nil
		}
	}
	s.sent = append(s.sent, Sent{MessageID: id, Receiver: receiver, Document: bytes.Clone(doc)})
	return id, nil
}

// Sent lists what was sent, oldest first.
func (s *Stub) Sent() []Sent {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Sent, len(s.sent))
	copy(out, s.sent)
	return out
}

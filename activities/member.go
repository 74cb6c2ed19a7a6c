package activities

import (
	"context"
	"errors"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/orderflow/orderflow/internal/store"
)

// ErrLinkInvalid: the link cannot be made as asked; retrying cannot help.
const ErrLinkInvalid = "ClientLinkInvalid"

// ClientLinks makes the client confirmation links of member orders.
type ClientLinks interface {
	CreateClientLink(ctx context.Context, r store.ClientLinkRequest) (store.ClientLink, error)
	// TokenOf is the token of link id (its page is clientpage.Path of it).
	TokenOf(id string) string
}

// ClientLinkInput asks for an order's confirmation link; a new key (a
// resend) makes a new link and retires the older ones.
type ClientLinkInput struct {
	Key       string
	OrderID   string
	ExpiresAt time.Time
}

// ClientLinkRef is what the order keeps of its link: the id, by which the
// workflow recognises the link holder and SendEmail finds the URL (a
// credential, never returned to the workflow: links.go).
type ClientLinkRef struct {
	ID string
}

// CreateClientLink makes (or, for the same key, finds again) the link.
func (a *Activities) CreateClientLink(ctx context.Context, in ClientLinkInput) (ClientLinkRef, error) {
	link, err := a.ClientLinks.CreateClientLink(ctx, store.ClientLinkRequest{Key: in.Key, OrderID: in.OrderID, ExpiresAt: in.ExpiresAt})
	if errors.Is(err, store.ErrInvalid) || errors.Is(err, store.ErrConflict) {
		return ClientLinkRef{}, temporal.NewNonRetryableApplicationError(err.Error(), ErrLinkInvalid, err)
	}
	if err != nil {
		return ClientLinkRef{}, err
	}
	return ClientLinkRef{ID: link.ID}, nil
}

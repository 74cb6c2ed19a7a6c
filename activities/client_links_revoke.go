package activities

import (
	"context"

	"go.temporal.io/sdk/temporal"
)

// ClientLinkRevoker makes every confirmation link of an order unusable
// (*store.ClientLinks does).
type ClientLinkRevoker interface {
	RevokeClientLinks(ctx context.Context, orderID string) (int64, error)
}

// RevokeClientLinksInput names the order whose links stop working.
type RevokeClientLinksInput struct {
	OrderID string
}

// RevokeClientLinks revokes the client's confirmation links of an order the
// member withdrew from client confirmation (issue 12): the page then says
// the link is no longer valid. Revoking again revokes nothing more, so it
// is safe to retry; it returns how many links it revoked.
func (a *Activities) RevokeClientLinks(ctx context.Context, in RevokeClientLinksInput) (int64, error) {
	r, ok := a.ClientLinks.(ClientLinkRevoker)
	if !ok {
		return 0, temporal.NewNonRetryableApplicationError("client links cannot be revoked: the link store has no RevokeClientLinks", ErrLinkInvalid, nil)
	}
	return r.RevokeClientLinks(ctx, in.OrderID)
}

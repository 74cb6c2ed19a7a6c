package payments

import (
	"fmt"

	"github.com/orderflow/orderflow/internal/linktoken"
)

// Pay-link tokens are internal/linktoken tokens of payment ids, keyed from
// the webhook secret under a label of their own, so one configured secret
// serves both without a pay-link MAC ever being usable as a webhook
// signature or the other way round.
func linkSigner(secret []byte) linktoken.Signer {
	return linktoken.New(secret, "orderflow sandbox payment link tokens v1", "pay:", paymentIDPrefix)
}

// checkToken returns the payment id of a pay-link token; any malformed or
// forged token is ErrLinkTampered.
func (s *Sandbox) checkToken(token string) (string, error) {
	id, err := s.links.Check(token)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrLinkTampered, err)
	}
	return id, nil
}

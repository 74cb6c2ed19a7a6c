package activities

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/orderflow/orderflow/internal/clientpage"
	"github.com/orderflow/orderflow/lifecycle"

	"go.temporal.io/sdk/temporal"
)

// A bearer link works without sign-in: whoever holds its URL may use it
// (the client's confirmation link, the customer's pay link). Its URL is a
// credential, so no workflow ever holds one: activity inputs and results are
// history, which anyone who opens the order in the Web UI reads. A workflow
// names a link by kind and id in an email's data (key "ActionLink"), and
// SendEmail looks its URL up just before rendering (docs/security.md).

// Kinds of bearer link.
const (
	LinkClientConfirmation = string(lifecycle.ClientConfirmation)
	LinkPayment            = "payment"
)

// BearerLink names a bearer link without being one.
type BearerLink struct {
	Kind string `json:"kind"`
	ID   string `json:"id"`
}

// actionLinkKey is the email data key of the link, and actionURLKey the key
// templates read its URL from.
const (
	actionLinkKey = "ActionLink"
	actionURLKey  = "ActionURL"
)

// withLinkURL returns the email data with the named link's URL under
// ActionURL; data without a link is returned as it is.
func (a *Activities) withLinkURL(ctx context.Context, data map[string]any) (map[string]any, error) {
	raw, ok := data[actionLinkKey]
	if !ok || raw == nil {
		return data, nil
	}
	var link BearerLink
	if b, err := json.Marshal(raw); err != nil || json.Unmarshal(b, &link) != nil || link.ID == "" {
		return nil, temporal.NewNonRetryableApplicationError(fmt.Sprintf("email data names a malformed link: %v", raw), ErrEmailInvalid, nil)
	}
	url, err := a.linkURL(ctx, link)
	if err != nil {
		return nil, err
	}
	out := make(map[string]any, len(data))
	for k, v := range data {
		out[k] = v
	}
	delete(out, actionLinkKey)
	out[actionURLKey] = url
	return out, nil
}

func (a *Activities) linkURL(ctx context.Context, link BearerLink) (string, error) {
	switch link.Kind {
	case LinkClientConfirmation:
		if a.ClientLinks == nil {
			return "", temporal.NewNonRetryableApplicationError("client links are not configured", ErrEmailInvalid, nil)
		}
		return a.PublicURL + clientpage.Path(a.ClientLinks.TokenOf(link.ID)), nil
	case LinkPayment:
		url, err := a.Payments.LinkURL(ctx, link.ID)
		if err != nil {
			return "", paymentError(err)
		}
		return url, nil
	}
	return "", temporal.NewNonRetryableApplicationError("email data names a link of unknown kind "+link.Kind, ErrEmailInvalid, nil)
}

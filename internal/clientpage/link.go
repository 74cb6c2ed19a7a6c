package clientpage

import (
	"github.com/orderflow/orderflow/internal/linktoken"
	"github.com/orderflow/orderflow/internal/store"
)

// Route is where the client pages live: Route + token is a link's page,
// with /confirm, /decline and /done below it.
const Route = "/c/"

// Path is where the link with token points, relative to the public URL.
func Path(token string) string { return Route + token }

// Tokens makes and checks the links' tokens with a key derived from secret,
// so the API's token secret can serve here too without a link MAC ever being
// usable as anything else. The label and the MAC's prefix are those of every
// link already emailed: changing them breaks those links.
func Tokens(secret []byte) linktoken.Signer {
	return linktoken.New(secret, "orderflow client confirmation link tokens v1", "client-link:", store.ClientLinkPrefix)
}

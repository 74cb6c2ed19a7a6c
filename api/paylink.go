package api

import (
	"context"

	"github.com/orderflow/orderflow/internal/auth"
	"github.com/orderflow/orderflow/lifecycle"
	"github.com/orderflow/orderflow/workflows"
)

// withPayLink gives the paying customer their pay link in their own view of
// an order still awaiting payment. The link is a credential, so the
// workflow never holds it (activities/links.go); the API makes it from the
// payment id for its one rightful reader. Nobody else's view has it.
func (d Deps) withPayLink(ctx context.Context, view *workflows.OrderView, p auth.Principal) {
	m := view.Marketplace
	if d.Payments == nil || m == nil || m.Payment == nil || m.Payment.Paid ||
		view.Status != lifecycle.AwaitingPayment || p.Role != lifecycle.Customer || view.Owner != p.Subject {
		return
	}
	if url, err := d.Payments.LinkURL(ctx, m.Payment.ID); err == nil {
		m.Payment.URL = url
	}
}

package load

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// Open places order i of a scale run and leaves it waiting on a timer, the
// three kinds in turn: a marketplace order awaiting payment, a member order
// in smart_confirmation, a member order active until its first invoice draft.
func (l *Lifecycles) Open(ctx context.Context, i int) error {
	switch i % 3 {
	case 0:
		return l.OpenMarketplace(ctx, i)
	case 1:
		return l.OpenMember(ctx, i, false)
	default:
		return l.OpenMember(ctx, i, true)
	}
}

// Read is one read of the scale run's watch: order id (a workflow query,
// answered from the worker's cache or by replaying the history).
func (a *API) Read(ctx context.Context, id, token string) error {
	return a.read(ctx, "get_order", "/v1/orders/"+id, token)
}

// List is the first page of the order list (the read model in Postgres).
func (a *API) List(ctx context.Context, token string) error {
	return a.read(ctx, "list_orders", "/v1/orders?limit=50", token)
}

// read GETs path, timing it as a read and counting a refusal as an error.
func (a *API) read(ctx context.Context, kind, path, token string) error {
	_, err := a.call(ctx, kind, http.MethodGet, path, token, nil, true)
	var se *StatusError
	if errors.As(err, &se) {
		a.Rec.Fail(fmt.Sprintf("%s: %d", kind, se.Status))
	}
	return err
}

// Touch brings order id into a worker's cache without changing it: an ops
// retry of an order with nothing parked is refused by the update's
// validator, after a workflow task that writes no event. It expects that 409.
func (a *API) Touch(ctx context.Context, id, opsToken string) error {
	start := time.Now()
	_, err := a.call(ctx, "touch", http.MethodPost, "/v1/orders/"+id+"/actions/retry", opsToken, map[string]any{}, true)
	var se *StatusError
	switch {
	case errors.As(err, &se) && se.Status == http.StatusConflict:
		a.Rec.ObserveRead("touch (refused retry)", time.Since(start))
		return nil
	case err == nil:
		a.Rec.Fail("touch: accepted")
		return fmt.Errorf("touch %s: the retry was accepted (the order had a parked step)", id)
	default:
		if se != nil {
			a.Rec.Fail(fmt.Sprintf("touch: %d", se.Status))
		}
		return err
	}
}

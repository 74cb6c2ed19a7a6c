package load

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/orderflow/orderflow/lifecycle"
)

// Placed is an order a script created and the status its script ends in.
type Placed struct {
	ID       string `json:"id"`
	Flow     string `json:"flow"`
	Expected string `json:"expected_status"`
	// Refunds is how many refunds the order must end with.
	Refunds int `json:"expected_refunds"`
}

// Ledger collects the orders scripts created; safe for concurrent use.
type Ledger struct {
	mu     sync.Mutex
	orders []Placed
}

// Add records an order placed.
func (l *Ledger) Add(p Placed) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.orders = append(l.orders, p)
}

// expectRefunds sets how many refunds order id must end with.
func (l *Ledger) expectRefunds(id string, n int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for i := range l.orders {
		if l.orders[i].ID == id {
			l.orders[i].Refunds = n
		}
	}
}

// Orders is a copy of what was placed so far.
func (l *Ledger) Orders() []Placed {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]Placed(nil), l.orders...)
}

// Lifecycles drives both flows through the API.
type Lifecycles struct {
	API    *API
	Ledger *Ledger
	// Supplier accepts every marketplace order; it must be among the top
	// three for building in BE-BRU (sup_demo_1 in dev mode).
	Supplier string
	// Tag makes subjects unique per run.
	Tag string
	// Offered, when set, is called once the supplier sees a marketplace
	// order offered, before it accepts.
	Offered func(ctx context.Context, id string) error
}

// Marketplace drives a prepaid order from creation to completed: pay on the
// pay page, set_margin, release, accept (once offered), mark_delivered,
// upload_invoice.
func (l *Lifecycles) Marketplace(ctx context.Context, i int) error {
	_, err := l.marketplaceTo(ctx, i, lifecycle.Completed)
	return err
}

// marketplaceTo drives a prepaid order to completed, recorded as ending in
// expected; it returns the order and the tokens of its people.
func (l *Lifecycles) marketplaceTo(ctx context.Context, i int, expected lifecycle.Status) (paidOrder, error) {
	o, err := l.paid(ctx, i, expected)
	if err != nil {
		return o, err
	}
	api, order, tokens := l.API, "/v1/orders/"+o.id, o.tokens
	steps := []step{
		{lifecycle.SetMargin, "p-load", map[string]any{"margin_percent": 12}},
		{lifecycle.Release, "p-load", nil},
	}
	if err := l.actAll(ctx, o.id, tokens, steps); err != nil {
		return o, err
	}
	// The offer is made by an activity after release: until then the supplier does not see the order.
	if err := api.until(ctx, "offer", func() (bool, error) {
		_, err := api.call(ctx, "get_order_as_supplier", "GET", order, tokens[l.Supplier], nil, true)
		return err == nil, err
	}); err != nil {
		return o, fmt.Errorf("%s: %w", o.id, err)
	}
	if l.Offered != nil {
		if err := l.Offered(ctx, o.id); err != nil {
			return o, fmt.Errorf("%s: %w", o.id, err)
		}
	}
	steps = []step{
		{lifecycle.Accept, l.Supplier, nil},
		{lifecycle.MarkDelivered, l.Supplier, map[string]any{"note": "signed by J. Doe"}},
		{lifecycle.UploadInvoice, l.Supplier, map[string]any{"number": "LOAD-" + o.id, "amount": "57.20"}},
	}
	if err := l.actAll(ctx, o.id, tokens, steps); err != nil {
		return o, err
	}
	return o, l.waitStatus(ctx, o.id, tokens["o-load"], string(lifecycle.Completed))
}

// paidOrder is a marketplace order a script drives, with its customer and
// the tokens of everyone who acts on it.
type paidOrder struct {
	id, customer string
	tokens       map[string]string
}

// created creates a prepaid order of a new customer, recorded as ending in
// expected, and returns it with its payment page.
func (l *Lifecycles) created(ctx context.Context, i int, expected lifecycle.Status) (paidOrder, string, error) {
	customer := fmt.Sprintf("c-%s-%d", l.Tag, i)
	tokens, err := l.tokens(map[string]lifecycle.Role{customer: lifecycle.Customer, "p-load": lifecycle.Purchasing, l.Supplier: lifecycle.Supplier, "o-load": lifecycle.Ops})
	if err != nil {
		return paidOrder{}, "", err
	}
	id, err := l.createMarketplace(ctx, customer, tokens[customer], string(expected))
	if err != nil {
		return paidOrder{}, "", err
	}
	o := paidOrder{id: id, customer: customer, tokens: tokens}
	var payURL string
	if err := l.API.until(ctx, "payment link", func() (bool, error) {
		v, err := l.API.call(ctx, "get_order", "GET", "/v1/orders/"+id, tokens[customer], nil, true)
		payURL = field(v, "marketplace", "payment", "url")
		return payURL != "", err
	}); err != nil {
		return o, "", fmt.Errorf("%s: %w", id, err)
	}
	return o, payURL, nil
}

// paid is a created order its customer paid on the pay page, in screening.
func (l *Lifecycles) paid(ctx context.Context, i int, expected lifecycle.Status) (paidOrder, error) {
	o, payURL, err := l.created(ctx, i, expected)
	if err != nil {
		return o, err
	}
	if _, err := l.API.act(ctx, "pay", "POST", payURL, "", nil); err != nil {
		return o, fmt.Errorf("%s: %w", o.id, err)
	}
	return o, l.waitStatus(ctx, o.id, o.tokens["o-load"], string(lifecycle.Screening))
}

// CancelledPaid: a prepaid order paid, then cancelled by its customer in
// screening; refunded once.
func (l *Lifecycles) CancelledPaid(ctx context.Context, i int) error {
	o, err := l.paid(ctx, i, lifecycle.Cancelled)
	if err != nil {
		return err
	}
	l.Ledger.expectRefunds(o.id, 1)
	return l.cancel(ctx, o)
}

// PaymentRacingCancel: the customer pays and cancels at the same moment.
// Whichever the order sees first, it ends cancelled, refunded once if the
// payment went through (a payment that lands after the cancellation is
// refunded as a late payment) and not at all if the pay page refused it.
func (l *Lifecycles) PaymentRacingCancel(ctx context.Context, i int) error {
	o, payURL, err := l.created(ctx, i, lifecycle.Cancelled)
	if err != nil {
		return err
	}
	paid := make(chan error, 1)
	go func() {
		_, err := l.API.call(ctx, "pay", "POST", payURL, "", nil, false)
		paid <- err
	}()
	cancelErr := l.cancel(ctx, o)
	var refused *StatusError
	switch err := <-paid; {
	case err == nil:
		l.Ledger.expectRefunds(o.id, 1)
	case !errors.As(err, &refused): // the pay page never answered: unknown
		return fmt.Errorf("%s: pay: %w", o.id, err)
	}
	return cancelErr
}

// Returned: a completed order returned; purchasing approves the return, the
// supplier confirms the goods resalable; refunded once.
func (l *Lifecycles) Returned(ctx context.Context, i int) error {
	o, err := l.marketplaceTo(ctx, i, lifecycle.Returned)
	if err != nil {
		return err
	}
	l.Ledger.expectRefunds(o.id, 1)
	steps := []step{
		{lifecycle.RequestReturn, o.customer, map[string]any{"reason": "wrong colour"}},
		{lifecycle.ApproveReturn, "p-load", nil},
		{lifecycle.ConfirmResalable, l.Supplier, nil},
	}
	if err := l.actAll(ctx, o.id, o.tokens, steps); err != nil {
		return err
	}
	return l.waitStatus(ctx, o.id, o.tokens["o-load"], string(lifecycle.Returned))
}

// cancel has the customer cancel o and waits until it is cancelled.
func (l *Lifecycles) cancel(ctx context.Context, o paidOrder) error {
	if err := l.actAll(ctx, o.id, o.tokens, []step{{lifecycle.Cancel, o.customer, map[string]any{"reason": "changed my mind"}}}); err != nil {
		return err
	}
	return l.waitStatus(ctx, o.id, o.tokens["o-load"], string(lifecycle.Cancelled))
}

// Member drives an order submitted with skip_client_confirmation and a
// proof reference through approval to active. Its first schedule entry is
// dated today (see AwaitFirstInvoices), the second in 40 days.
func (l *Lifecycles) Member(ctx context.Context, i int) error {
	member := fmt.Sprintf("m-%s-%d", l.Tag, i)
	tokens, err := l.tokens(map[string]lifecycle.Role{member: lifecycle.Member, "s-load": lifecycle.Staff})
	if err != nil {
		return err
	}
	id, err := l.createMember(ctx, member, tokens[member], 0, string(lifecycle.Active))
	if err != nil {
		return err
	}
	return l.approve(ctx, id, tokens["s-load"])
}

// OpenMarketplace creates a prepaid marketplace order and leaves it
// awaiting payment: it waits on its payment window's timer.
func (l *Lifecycles) OpenMarketplace(ctx context.Context, i int) error {
	customer := fmt.Sprintf("c-%s-%d", l.Tag, i)
	token, err := l.API.Token(lifecycle.Customer, customer)
	if err != nil {
		return err
	}
	_, err = l.createMarketplace(ctx, customer, token, string(lifecycle.AwaitingPayment))
	return err
}

// OpenMember creates a member order (submitted, client confirmation
// skipped) and, when approve is set, approves it. Unapproved, it waits in
// smart_confirmation on its SLA timer; approved, it waits in active on the
// timer of its first invoice draft, its invoices being 30 and 70 days out.
func (l *Lifecycles) OpenMember(ctx context.Context, i int, approve bool) error {
	member := fmt.Sprintf("m-%s-%d", l.Tag, i)
	token, err := l.API.Token(lifecycle.Member, member)
	if err != nil {
		return err
	}
	expected := string(lifecycle.SmartConfirmation)
	if approve {
		expected = string(lifecycle.Active)
	}
	id, err := l.createMember(ctx, member, token, 30, expected)
	if err != nil || !approve {
		return err
	}
	staff, err := l.API.Token(lifecycle.Staff, "s-load")
	if err != nil {
		return err
	}
	return l.approve(ctx, id, staff)
}

// createMarketplace creates a prepaid marketplace order for customer and
// records it in the ledger with the status its script ends in.
func (l *Lifecycles) createMarketplace(ctx context.Context, customer, token, expected string) (string, error) {
	o, err := l.API.act(ctx, "create_marketplace", "POST", "/v1/orders", token, MarketplaceOrder(customer))
	if err != nil {
		return "", err
	}
	return l.place(o, "create_marketplace", lifecycle.MarketplaceFlow.Name, expected)
}

// MarketplaceOrder is the body that creates a prepaid order of customer,
// for building materials delivered in BE-BRU in two weeks.
func MarketplaceOrder(customer string) map[string]any {
	return map[string]any{
		"flow": lifecycle.MarketplaceFlow.Name, "customer_email": customer + "@customers.test", "customer_name": "Customer " + customer,
		"items":         []map[string]any{{"sku": "CEM-25", "description": "Cement 25 kg", "quantity": 10, "unit_price": "6.50", "vat_rate": 21}},
		"category":      "building",
		"payment_terms": "prepaid",
		"delivery":      map[string]any{"address": []string{"Rue Haute 1", "1000 Brussels"}, "region": "BE-BRU", "requested_date": time.Now().AddDate(0, 0, 14).Format(time.DateOnly)},
	}
}

// createMember creates a member order submitted with skip_client_confirmation
// and a proof reference, its two invoices firstDay and firstDay+40 days
// from today, and records it in the ledger with the status its script ends in.
func (l *Lifecycles) createMember(ctx context.Context, member, token string, firstDay int, expected string) (string, error) {
	day := func(offset int) string { return time.Now().UTC().AddDate(0, 0, offset).Format(time.DateOnly) }
	o, err := l.API.act(ctx, "create_member", "POST", "/v1/orders", token, map[string]any{
		"flow": lifecycle.MemberFlow.Name, "submit": true, "skip_client_confirmation": true, "proof_reference": "framework contract FC-LOAD",
		"member_name": "Mia " + member, "member_email": member + "@members.test",
		"client":            map[string]any{"name": "Carl Client", "company": "Client SA", "vat_number": "BE0123456789", "email": "carl-" + member + "@client.test"},
		"title":             "Load test engagement",
		"lines":             []map[string]any{{"description": "Consulting", "quantity": 1, "unit_price": "1000.00", "vat_rate": 21}},
		"service_period":    map[string]any{"start": day(-1), "end": day(firstDay + 60)},
		"schedule":          []map[string]any{{"date": day(firstDay), "amount": "500.00"}, {"date": day(firstDay + 40), "amount": "500.00"}},
		"offer_valid_until": day(10),
	})
	if err != nil {
		return "", err
	}
	return l.place(o, "create_member", lifecycle.MemberFlow.Name, expected)
}

// place records the order that answer o of a creation (kind) created.
func (l *Lifecycles) place(o map[string]any, kind, flow, expected string) (string, error) {
	id := field(o, "id")
	if id == "" {
		return "", fmt.Errorf("%s: answer without id", kind)
	}
	l.Ledger.Add(Placed{ID: id, Flow: flow, Expected: expected})
	return id, nil
}

func (l *Lifecycles) approve(ctx context.Context, id, staff string) error {
	v, err := l.API.act(ctx, string(lifecycle.Approve), "POST", "/v1/orders/"+id+"/actions/"+string(lifecycle.Approve), staff, nil)
	if err != nil {
		return fmt.Errorf("%s: %w", id, err)
	}
	if got := field(v, "status"); got != string(lifecycle.Active) {
		l.API.Rec.Fail("approve: status " + got)
		return fmt.Errorf("%s: approved into %q, want active", id, got)
	}
	return nil
}

// AwaitFirstInvoices waits, after the run, for the first invoice (dated
// today) of every member order, and returns how many never got one. It needs
// a stack started with a short ORDERFLOW_MIN_REVIEW, UTC and 00:00.
func (l *Lifecycles) AwaitFirstInvoices(ctx context.Context, orders []Placed) int {
	staff, err := l.API.Token(lifecycle.Staff, "s-load")
	if err != nil {
		return len(orders)
	}
	missing := 0
	for _, o := range orders {
		if o.Flow != lifecycle.MemberFlow.Name {
			continue
		}
		err := l.API.until(ctx, "first invoice", func() (bool, error) {
			v, err := l.API.call(ctx, "list_invoices", "GET", "/v1/invoices?order="+o.ID, staff, nil, true)
			list, _ := v["invoices"].([]any)
			return len(list) >= 1, err
		})
		if err != nil {
			missing++
		}
	}
	return missing
}

func (l *Lifecycles) tokens(who map[string]lifecycle.Role) (map[string]string, error) {
	out := make(map[string]string, len(who))
	for sub, role := range who {
		t, err := l.API.Token(role, sub)
		if err != nil {
			return nil, fmt.Errorf("token for %s: %w", sub, err)
		}
		out[sub] = t
	}
	return out, nil
}

// step is one action of a script, by whom, with what body.
type step struct {
	action lifecycle.Action
	who    string
	body   any
}

func (l *Lifecycles) actAll(ctx context.Context, id string, tokens map[string]string, steps []step) error {
	for _, s := range steps {
		if _, err := l.API.act(ctx, string(s.action), http.MethodPost, "/v1/orders/"+id+"/actions/"+string(s.action), tokens[s.who], s.body); err != nil {
			return fmt.Errorf("%s: %w", id, err)
		}
	}
	return nil
}

func (l *Lifecycles) waitStatus(ctx context.Context, id, token, status string) error {
	err := l.API.until(ctx, "status "+status, func() (bool, error) {
		v, err := l.API.call(ctx, "get_order", "GET", "/v1/orders/"+id, token, nil, true)
		return field(v, "status") == status, err
	})
	if err != nil {
		return fmt.Errorf("%s: %w", id, err)
	}
	return nil
}

package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/orderflow/orderflow/lifecycle"
)

// demo walks one marketplace order to completed and one member order to
// active, as each party would through the API and the public pages,
// printing every step and where to watch each workflow in the Web UI.
func demo(ctx context.Context, s session, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	timeout := fs.Duration("timeout", 5*time.Minute, "give up after this long")
	if _, err := parse(fs, args, out, 0); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	w := &walk{session: s, out: out}
	fmt.Fprintf(out, "orderflow demo against %s\n", s.api.base)

	market, err := w.marketplace(ctx)
	if err != nil {
		return fmt.Errorf("marketplace order: %w", err)
	}
	member, err := w.member(ctx)
	if err != nil {
		return fmt.Errorf("member order: %w", err)
	}
	fmt.Fprintln(out, "\nFinal statuses:")
	for _, o := range []order{market, member} {
		fmt.Fprintf(out, "  %-12s %s  %s (%s)  %s\n", o.Flow, o.ID, o.Status, o.StatusLabel, s.workflowLink(o.ID))
	}
	w.printSignIns()
	return nil
}

// party is someone the demo acted as, and the address they sign in to the
// pages with.
type party struct {
	role  lifecycle.Role
	email string
}

// The staff side signs in with the addresses the server is configured with;
// the demo prints the defaults and the variable that changes them.
var (
	purchasingParty = party{lifecycle.Purchasing, "purchasing@orderflow.localhost (ORDERFLOW_PURCHASING_EMAIL)"}
	staffParty      = party{lifecycle.Staff, "staff@orderflow.localhost (ORDERFLOW_STAFF_EMAIL)"}
)

// printSignIns says where each party the demo played sees its orders.
func (w *walk) printSignIns() {
	fmt.Fprintf(w.out, "\nSee the orders as each party: open %s/app/sign-in, enter the address, and follow the link emailed to it (dev mode keeps it in %s/dev/mail):\n",
		w.api.base, w.api.base)
	for _, p := range w.parties {
		fmt.Fprintf(w.out, "  %-11s %s\n", p.role, p.email)
	}
}

// walk prints numbered steps and acts as whichever party a step needs.
type walk struct {
	session
	out     io.Writer
	step    int
	parties []party
}

func (w *walk) say(format string, args ...any) {
	w.step++
	fmt.Fprintf(w.out, "%2d. %s\n", w.step, fmt.Sprintf(format, args...))
}

func (w *walk) as(role lifecycle.Role, subject string) (client, error) {
	c := w.api
	c.token = "" // every step is some party's own request, never a fixed token
	return c.as(role, subject)
}

// do applies an action as role and subject and returns the order after it.
func (w *walk) do(ctx context.Context, id string, action lifecycle.Action, role lifecycle.Role, subject string, payload map[string]any) (order, error) {
	c, err := w.as(role, subject)
	if err != nil {
		return order{}, err
	}
	var body any
	if payload != nil {
		body = payload
	}
	var o order
	if err := c.call(ctx, "POST", "/v1/orders/"+url.PathEscape(id)+"/actions/"+string(action), body, &o); err != nil {
		return o, fmt.Errorf("%s as %s: %w", action, role, err)
	}
	w.say("%s %s: %s → %s", role, subject, action, o.Status)
	return o, nil
}

// waitFor re-reads the order as role until cond holds; the order moves on
// its own (webhooks, activities), so the demo waits the way a screen would.
func (w *walk) waitFor(ctx context.Context, id string, role lifecycle.Role, subject, what string, cond func(order) bool) (order, error) {
	c, err := w.as(role, subject)
	if err != nil {
		return order{}, err
	}
	for {
		var o order
		if err := c.call(ctx, "GET", "/v1/orders/"+url.PathEscape(id), nil, &o); err != nil {
			return o, fmt.Errorf("waiting for %s: %w", what, err)
		}
		if cond(o) {
			return o, nil
		}
		select {
		case <-ctx.Done():
			return o, fmt.Errorf("gave up waiting for %s (the order is %s): %w", what, o.Status, ctx.Err())
		case <-time.After(w.poll):
		}
	}
}

// emailedLink waits for the email of purpose about order id in dev mode's
// captured inbox (GET /dev/mail?format=json) and returns its first link
// whose path starts with prefix.
func (w *walk) emailedLink(ctx context.Context, id, purpose, prefix string) (string, error) {
	find := regexp.MustCompile(`https?://\S+` + regexp.QuoteMeta(prefix) + `[^\s"<>]+`)
	for {
		var inbox struct {
			Messages []struct {
				OrderID string `json:"order_id"`
				Purpose string `json:"purpose"`
				Text    string `json:"text"`
			} `json:"messages"`
		}
		if err := w.api.call(ctx, "GET", "/dev/mail?format=json&limit=500", nil, &inbox); err != nil {
			return "", fmt.Errorf("the %s email is read from dev mode's captured inbox, which is not available: %w", purpose, err)
		}
		for _, m := range inbox.Messages {
			if link := find.FindString(m.Text); m.OrderID == id && m.Purpose == purpose && link != "" {
				return link, nil
			}
		}
		select {
		case <-ctx.Done():
			return "", fmt.Errorf("gave up waiting for the %s email: %w", purpose, ctx.Err())
		case <-time.After(w.poll):
		}
	}
}

func (w *walk) marketplace(ctx context.Context) (order, error) {
	fmt.Fprintln(w.out, "\nA marketplace order: the customer orders and pays, purchasing releases, a supplier delivers.")
	const customer, buyer = "c-demo", "p-demo"
	body, _ := sampleOrder(lifecycle.MarketplaceFlow.Name, time.Now())
	c, err := w.as(lifecycle.Customer, customer)
	if err != nil {
		return order{}, err
	}
	var o order
	if err := c.call(ctx, "POST", "/v1/orders", body, &o); err != nil {
		return o, fmt.Errorf("create: %w", err)
	}
	id := o.ID
	w.say("customer %s orders %q (prepaid): %s is %s\n    Web UI: %s", customer, o.Title, id, o.Status, w.workflowLink(id))
	w.parties = append(w.parties, party{lifecycle.Customer, body["customer_email"].(string)}, purchasingParty)

	o, err = w.waitFor(ctx, id, lifecycle.Customer, customer, "the payment link", func(o order) bool {
		return o.Marketplace != nil && o.Marketplace.Payment != nil && o.Marketplace.Payment.URL != ""
	})
	if err != nil {
		return o, err
	}
	if err := w.api.postForm(ctx, o.Marketplace.Payment.URL); err != nil {
		return o, fmt.Errorf("pay: %w", err)
	}
	w.say("customer pays %s %s on the pay page %s", o.Total, o.Currency, o.Marketplace.Payment.URL)
	if _, err := w.waitFor(ctx, id, lifecycle.Purchasing, buyer, "screening after the payment", func(o order) bool { return o.Status == string(lifecycle.Screening) }); err != nil {
		return o, err
	}
	w.say("the payment webhook confirms it: screening")

	if _, err := w.do(ctx, id, lifecycle.SetMargin, lifecycle.Purchasing, buyer, map[string]any{"margin_percent": 12}); err != nil {
		return o, err
	}
	if _, err := w.do(ctx, id, lifecycle.Release, lifecycle.Purchasing, buyer, nil); err != nil {
		return o, err
	}
	o, err = w.waitFor(ctx, id, lifecycle.Purchasing, buyer, "offers to suppliers", func(o order) bool {
		return o.Marketplace != nil && len(o.Marketplace.Offers) > 0
	})
	if err != nil {
		return o, err
	}
	supplier, names := "", []string{}
	for _, offer := range o.Marketplace.Offers {
		names = append(names, offer.Supplier.Name+" ("+offer.Supplier.ID+")")
		if supplier == "" && !offer.Declined {
			supplier = offer.Supplier.ID
			w.parties = append(w.parties, party{lifecycle.Supplier, offer.Supplier.Email})
		}
	}
	w.say("offered to the top suppliers: %s", strings.Join(names, ", "))
	if supplier == "" {
		return o, fmt.Errorf("every offered supplier declined")
	}

	if _, err := w.do(ctx, id, lifecycle.Accept, lifecycle.Supplier, supplier, nil); err != nil {
		return o, err
	}
	o, err = w.do(ctx, id, lifecycle.MarkDelivered, lifecycle.Supplier, supplier, map[string]any{"note": "signed by J. Doe (demo)"})
	if err != nil {
		return o, err
	}
	// As the supplier sees it, the total is what the supplier is paid: its invoice.
	o, err = w.do(ctx, id, lifecycle.UploadInvoice, lifecycle.Supplier, supplier, map[string]any{"number": "DEMO-" + id[max(0, len(id)-6):], "amount": o.Total})
	if err != nil {
		return o, err
	}
	o, err = w.waitFor(ctx, id, lifecycle.Purchasing, buyer, string(lifecycle.Completed), func(o order) bool { return o.Status == string(lifecycle.Completed) })
	if err != nil {
		return o, err
	}
	printDeadlines(w.out, o.Deadlines)
	return o, nil
}

func (w *walk) member(ctx context.Context) (order, error) {
	fmt.Fprintln(w.out, "\nA member order: the member submits, staff approve, the client confirms through the emailed link.")
	const member, staff = "m-demo", "s-demo"
	body, _ := sampleOrder(lifecycle.MemberFlow.Name, time.Now())
	body["submit"] = true
	c, err := w.as(lifecycle.Member, member)
	if err != nil {
		return order{}, err
	}
	var o order
	if err := c.call(ctx, "POST", "/v1/orders", body, &o); err != nil {
		return o, fmt.Errorf("create: %w", err)
	}
	id := o.ID
	w.say("member %s submits %q: %s is %s\n    Web UI: %s", member, o.Title, id, o.Status, w.workflowLink(id))
	w.parties = append(w.parties, party{lifecycle.Member, body["member_email"].(string)}, staffParty)

	if _, err := w.do(ctx, id, lifecycle.Approve, lifecycle.Staff, staff, nil); err != nil {
		return o, err
	}
	// Only the client holds the link, from the email: the demo reads it in
	// dev mode's captured inbox, as the client would in theirs.
	link, err := w.emailedLink(ctx, id, "confirmation_request#1", "/c/")
	if err != nil {
		return o, err
	}
	if err := w.api.postForm(ctx, link+"/confirm"); err != nil {
		return o, fmt.Errorf("confirm: %w", err)
	}
	w.say("the client confirms on the page of the emailed link %s", link)
	o, err = w.waitFor(ctx, id, lifecycle.Staff, staff, string(lifecycle.Active), func(o order) bool { return o.Status == string(lifecycle.Active) })
	if err != nil {
		return o, err
	}
	w.say("the order is active; its billing schedule:")
	for i, e := range o.Member.Schedule {
		fmt.Fprintf(w.out, "    %d. %s  %s\n", i+1, e.Date, e.Status)
	}
	printDeadlines(w.out, o.Deadlines)
	fmt.Fprintln(w.out, "    The order now waits on durable timers: the member gets each invoice draft 7 days before its date,\n"+
		"    and each invoice is issued on its date (the first in about a month). Watch the timers in the Web UI.")
	return o, nil
}

package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"time"

	"github.com/orderflow/orderflow/internal/auth"
	"github.com/orderflow/orderflow/lifecycle"
)

// parse reads flags wherever they are among the positional arguments
// ("act ID ACTION --json ..." as well as "act --json ... ID ACTION").
func parse(fs *flag.FlagSet, args []string, out io.Writer, positional int) ([]string, error) {
	fs.SetOutput(out)
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			break
		}
		pos, args = append(pos, args[0]), args[1:]
	}
	if len(pos) != positional {
		return nil, fmt.Errorf("%s: want %d argument(s), got %d", fs.Name(), positional, len(pos))
	}
	return pos, nil
}

func health(ctx context.Context, s session, args []string, out io.Writer) error {
	var body []byte
	if err := s.api.call(ctx, "GET", "/readyz", nil, &body); err != nil {
		return err
	}
	_, err := fmt.Fprintln(out, string(body))
	return err
}

func whoami(ctx context.Context, s session, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("whoami", flag.ContinueOnError)
	as := fs.String("as", "", "act as ROLE:ID instead of $ORDERFLOW_TOKEN")
	if _, err := parse(fs, args, out, 0); err != nil {
		return err
	}
	c, err := s.api.asFlag(*as)
	if err != nil {
		return err
	}
	var body []byte
	if err := c.call(ctx, "GET", "/v1/me", nil, &body); err != nil {
		return err
	}
	_, err = fmt.Fprintln(out, string(body))
	return err
}

func token(_ context.Context, s session, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("token", flag.ContinueOnError)
	role := fs.String("role", "", "member, client, staff, customer, purchasing, finance, supplier, ops")
	sub := fs.String("sub", "", "the member, customer, supplier or staff id")
	ttl := fs.Duration("ttl", 24*time.Hour, "how long the token is valid")
	if _, err := parse(fs, args, out, 0); err != nil {
		return err
	}
	r, err := lifecycle.ParseRole(*role)
	if err != nil {
		return err
	}
	if s.api.tokens == nil {
		return errors.New("no token secret to mint with")
	}
	tok, err := s.api.tokens.Mint(auth.Principal{Role: r, Subject: *sub}, *ttl)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(out, tok)
	return err
}

func create(ctx context.Context, s session, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("create", flag.ContinueOnError)
	flow := fs.String("flow", "", "marketplace or member")
	file := fs.String("file", "", "the order as JSON (api/openapi.yaml NewMarketplaceOrder or NewMemberOrder); without it, a sample order")
	as := fs.String("as", "", "act as ROLE:ID (default customer:c-100 or member:m-100)")
	email := fs.String("email", "", "the customer's or member's email")
	name := fs.String("name", "", "the customer's or member's name")
	terms := fs.String("terms", "", "marketplace: prepaid or invoice")
	submit := fs.Bool("submit", false, "member: submit at once (smart confirmation) instead of keeping a draft")
	idempotencyKey := fs.String("key", "", "Idempotency-Key: the same key never creates a second order")
	if _, err := parse(fs, args, out, 0); err != nil {
		return err
	}
	body, err := orderBody(*flow, *file, time.Now())
	if err != nil {
		return err
	}
	overrides := map[string]map[string]string{
		lifecycle.MarketplaceFlow.Name: {"customer_email": *email, "customer_name": *name, "payment_terms": *terms},
		lifecycle.MemberFlow.Name:      {"member_email": *email, "member_name": *name},
	}
	for field, v := range overrides[body["flow"].(string)] {
		if v != "" {
			body[field] = v
		}
	}
	if *submit {
		body["submit"] = true
	}
	c, err := s.api.asFlag(orDefaultUnlessToken(s.api, *as, defaultCreator(body["flow"].(string))))
	if err != nil {
		return err
	}
	c.idempotencyKey = *idempotencyKey
	var o order
	if err := c.call(ctx, "POST", "/v1/orders", body, &o); err != nil {
		return err
	}
	printOrder(out, o)
	fmt.Fprintf(out, "Web UI: %s\n", s.workflowLink(o.ID))
	return nil
}

// orderBody is the order to create: the file's, or the flow's sample.
func orderBody(flow, file string, today time.Time) (map[string]any, error) {
	if file == "" {
		return sampleOrder(flow, today)
	}
	raw, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	var body map[string]any
	if err := json.Unmarshal(raw, &body); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	if flow != "" {
		body["flow"] = flow
	}
	if f, _ := body["flow"].(string); f != lifecycle.MarketplaceFlow.Name && f != lifecycle.MemberFlow.Name {
		return nil, fmt.Errorf("%s: say which flow (--flow marketplace|member or a \"flow\" field)", file)
	}
	return body, nil
}

func defaultCreator(flow string) string {
	if flow == lifecycle.MemberFlow.Name {
		return "member:m-100"
	}
	return "customer:c-100"
}

func act(ctx context.Context, s session, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("act", flag.ContinueOnError)
	payload := fs.String("json", "", `the action's payload, e.g. {"margin_percent": 12}`)
	as := fs.String("as", "", "act as ROLE:ID (e.g. purchasing:p-1)")
	pos, err := parse(fs, args, out, 2)
	if err != nil {
		return err
	}
	var body any
	if *payload != "" {
		var m map[string]any
		if err := json.Unmarshal([]byte(*payload), &m); err != nil {
			return fmt.Errorf("--json: %w", err)
		}
		body = m
	}
	c, err := s.api.asFlag(*as)
	if err != nil {
		return err
	}
	var o order
	if err := c.call(ctx, "POST", "/v1/orders/"+url.PathEscape(pos[0])+"/actions/"+url.PathEscape(pos[1]), body, &o); err != nil {
		return err
	}
	printHeadline(out, o)
	fmt.Fprintf(out, "You may: %s\n", listOrNone(o.AllowedActions))
	return nil
}

func show(ctx context.Context, s session, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("show", flag.ContinueOnError)
	as := fs.String("as", "", "act as ROLE:ID (default ops:o-1, who sees every order)")
	pos, err := parse(fs, args, out, 1)
	if err != nil {
		return err
	}
	c, err := s.api.asFlag(orDefaultUnlessToken(s.api, *as, "ops:o-1"))
	if err != nil {
		return err
	}
	var o order
	if err := c.call(ctx, "GET", "/v1/orders/"+url.PathEscape(pos[0]), nil, &o); err != nil {
		return err
	}
	printOrder(out, o)
	fmt.Fprintf(out, "Web UI: %s\n", s.workflowLink(o.ID))
	return nil
}

func list(ctx context.Context, s session, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("list", flag.ContinueOnError)
	as := fs.String("as", "", "act as ROLE:ID (default ops:o-1, who sees every order)")
	query := url.Values{}
	for _, name := range []string{"status", "flow", "owner", "supplier", "q", "limit"} {
		fs.Func(name, "filter by "+name, func(v string) error { query.Set(name, v); return nil })
	}
	if _, err := parse(fs, args, out, 0); err != nil {
		return err
	}
	c, err := s.api.asFlag(orDefaultUnlessToken(s.api, *as, "ops:o-1"))
	if err != nil {
		return err
	}
	var page struct {
		Orders     []orderSummary `json:"orders"`
		NextCursor string         `json:"next_cursor"`
	}
	path := "/v1/orders"
	if len(query) > 0 {
		path += "?" + query.Encode()
	}
	if err := c.call(ctx, "GET", path, nil, &page); err != nil {
		return err
	}
	printSummaries(out, page.Orders)
	if page.NextCursor != "" {
		fmt.Fprintln(out, "(more: narrow the filters or raise --limit)")
	}
	return nil
}

func (s session) workflowLink(id string) string {
	return s.webUI + "/namespaces/" + url.PathEscape(s.namespace) + "/workflows/" + url.PathEscape(id)
}

func orDefault(v, fallback string) string {
	if v == "" {
		return fallback
	}
	return v
}

// orDefaultUnlessToken keeps a fixed token when no --as was given.
func orDefaultUnlessToken(c client, as, fallback string) string {
	if as == "" && c.token != "" {
		return ""
	}
	return orDefault(as, fallback)
}

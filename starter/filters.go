package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/url"
	"text/tabwriter"
	"time"
)

// filter is one list filter staff use every day in the Temporal Web UI.
type filter struct {
	What, Query string
}

// everydayFilters are the filters of the README's list (a test keeps the
// two equal), the time-relative ones written for now: visibility queries
// know no "now", so a filter of the next hour names its hour.
func everydayFilters(now time.Time) []filter {
	at := func(t time.Time) string { return t.UTC().Truncate(time.Second).Format(time.RFC3339) }
	return []filter{
		{"orders waiting to be released", `OrderStatus = "screening"`},
		{"member orders to confirm or follow (a member's drafts are its own)", `OrderFlow = "member" AND OrderStatus != "draft"`},
		{"marketplace orders on the supplier feed", `OrderFlow = "marketplace" AND OrderStatus IN ("pending", "pending_expiring")`},
		{"one customer's orders", `OrderOwner = "c-100"`},
		{"a supplier's orders (accepted)", `SupplierId = "sup_demo_1"`},
		{"the orders offered to a supplier, still pending ones included", `OfferedTo = "sup_demo_1"`},
		{"orders waiting for ops", `NeedsAttention = true`},
		{"a client's member orders (drafts are the member's own)", `ClientEmail = "carl@client.test" AND OrderStatus != "draft"`},
		{"orders of 1,000 euros or more (VAT included)", `OrderTotal >= 1000`},
		{"deadlines in the next hour", fmt.Sprintf(`NextDeadline BETWEEN "%s" AND "%s"`, at(now), at(now.Add(time.Hour)))},
	}
}

// filters prints every everyday filter with a link that opens the Web UI's
// list with it.
func filters(_ context.Context, s session, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("filters", flag.ContinueOnError)
	if _, err := parse(fs, args, out, 0); err != nil {
		return err
	}
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	for _, f := range everydayFilters(time.Now()) {
		fmt.Fprintf(tw, "%s\t%s\n", f.What, f.Query)
		fmt.Fprintf(tw, "\t%s\n", s.listLink(f.Query))
	}
	return tw.Flush()
}

// listLink opens the Web UI's workflow list filtered by query.
func (s session) listLink(query string) string {
	return s.webUI + "/namespaces/" + url.PathEscape(s.namespace) + "/workflows?query=" + url.QueryEscape(query)
}

package api

import (
	"strings"
	"testing"
	"time"

	"github.com/orderflow/orderflow/internal/money"
	"github.com/orderflow/orderflow/workflows"
)

func TestDuplicateChecks(t *testing.T) {
	day := memberDay{today: time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)}
	amount := money.Amount(100000)
	c := workflows.MemberContent{OfferValidUntil: "2026-11-30", Schedule: []workflows.ScheduleEntry{
		{Date: "2026-12-20", Amount: &amount}, {Date: "2027-01-20", Amount: &amount}}}
	cases := []struct {
		name  string
		p     workflows.DuplicatePayload
		field string // refused on it; "" accepted
		warn  bool
	}{
		{"offer passed, none given", workflows.DuplicatePayload{}, "offer_valid_until", false},
		{"new offer passed too", workflows.DuplicatePayload{OfferValidUntil: "2026-12-01"}, "offer_valid_until", false},
		{"new offer tomorrow", workflows.DuplicatePayload{OfferValidUntil: "2026-12-03"}, "", true},
		{"new offer in a week", workflows.DuplicatePayload{OfferValidUntil: "2026-12-09"}, "", false},
		{"to draft keeps the old dates", workflows.DuplicatePayload{ToDraft: true}, "", true},
		{"one date for two invoices", workflows.DuplicatePayload{OfferValidUntil: "2026-12-09", ScheduleDates: []string{"2027-01-01"}}, "schedule_dates", false},
		{"a new invoice date passed", workflows.DuplicatePayload{OfferValidUntil: "2026-12-09", ScheduleDates: []string{"2026-12-01", "2027-01-01"}}, "schedule_dates[0]", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			pr, warnings := duplicateChecks(day, c, tc.p)
			switch {
			case tc.field == "" && pr != nil:
				t.Fatalf("refused: %+v", pr.Errors)
			case tc.field != "" && (pr == nil || pr.Errors[tc.field] == ""):
				t.Fatalf("want a problem on %s, got %+v", tc.field, pr)
			case tc.field == "" && (len(warnings) > 0) != tc.warn:
				t.Fatalf("warnings %+v, want some: %v", warnings, tc.warn)
			}
		})
	}
	// Passed invoice dates need new ones.
	past := c
	past.Schedule = []workflows.ScheduleEntry{{Date: "2026-11-20", Amount: &amount}}
	if pr, _ := duplicateChecks(day, past, workflows.DuplicatePayload{OfferValidUntil: "2026-12-09"}); pr == nil || !strings.Contains(pr.Errors["schedule_dates"], "has passed") {
		t.Fatalf("passed invoice date: %+v", pr)
	}
}

// The content read back from a view is the content the order was made of:
// an amount entry comes back as its amount.
func TestMemberContentOfAView(t *testing.T) {
	amount := money.Amount(60000)
	line := money.Line{Description: "Extra", Quantity: money.QuantityOf(2), UnitPrice: 20000, VATRate: money.Percent(21)}
	v := workflows.OrderView{Title: "Site", Member: &workflows.MemberDetails{
		Lines: []money.Line{{Description: "Build", Quantity: money.QuantityOf(1), UnitPrice: 100000, VATRate: money.Percent(21)}},
		Schedule: []workflows.Entry{
			{Date: "2027-01-01", Lines: []money.Line{{Description: "Site — invoice 1 of 2", Quantity: money.QuantityOf(1), UnitPrice: amount, VATRate: money.Percent(21)}}},
			{Date: "2027-02-01", Lines: []money.Line{line}},
		},
		OfferValidUntil: "2026-12-20",
	}}
	c := memberContentOf(v)
	if len(c.Schedule) != 2 || c.Schedule[0].Amount == nil || *c.Schedule[0].Amount != amount || len(c.Schedule[0].Lines) != 0 ||
		c.Schedule[1].Amount != nil || len(c.Schedule[1].Lines) != 1 || c.Title != "Site" || c.OfferValidUntil != "2026-12-20" {
		t.Fatalf("content %+v", c)
	}
}

package workflows

import (
	"strings"
	"testing"

	"github.com/orderflow/orderflow/internal/money"
)

// Issue 12: the planned invoices add up to the order, at create and on edit.
func TestMemberScheduleMustTotalTheOrder(t *testing.T) {
	line := func(price money.Amount, rate int64) money.Line {
		return money.Line{Description: "Work", Quantity: money.QuantityOf(1), UnitPrice: price, VATRate: money.Percent(rate)}
	}
	cases := []struct {
		name string
		edit func(*MemberContent)
		want string // "" = accepted
	}{
		{"amounts that add up", func(c *MemberContent) {}, ""},
		{"amounts short of the order", func(c *MemberContent) { c.Schedule = entries("2026-12-15") },
			"the planned invoices total € 1,000.00 but the order totals € 2,000.00 (excl. VAT); make them equal"},
		{"amounts beyond the order", func(c *MemberContent) { c.Schedule = entries("2026-12-15", "2027-01-15", "2027-01-30") },
			"total € 3,000.00 but the order totals € 2,000.00"},
		{"gross amounts", func(c *MemberContent) {
			c.Schedule = []ScheduleEntry{{Date: "2026-12-15", Amount: ptr(money.Amount(242000))}}
		}, "total € 2,420.00 but the order totals € 2,000.00"},
		{"own lines that add up", func(c *MemberContent) {
			c.Schedule = []ScheduleEntry{{Date: "2026-12-15", Lines: []money.Line{line(150000, 21)}}, {Date: "2027-01-15", Amount: ptr(money.Amount(50000))}}
		}, ""},
		{"the same net at another VAT rate", func(c *MemberContent) {
			c.Schedule = []ScheduleEntry{{Date: "2026-12-15", Lines: []money.Line{line(200000, 6)}}}
		}, "make them equal at each VAT rate"},
		{"a split that rounds VAT per invoice", func(c *MemberContent) {
			c.Lines = []money.Line{line(100000, 21)}
			c.Schedule = []ScheduleEntry{{Date: "2026-12-15", Amount: ptr(money.Amount(33333))}, {Date: "2027-01-15", Amount: ptr(money.Amount(33333))}, {Date: "2027-01-30", Amount: ptr(money.Amount(33334))}}
		}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := memberInput()
			tc.edit(&in.Content)
			for what, problems := range map[string]map[string]string{
				"create": in.Validate(),
				"edit":   (&EditPayload{MemberContent: in.Content}).Validate(),
			} {
				got := problems["schedule"]
				if tc.want == "" && len(problems) > 0 || tc.want != "" && !strings.Contains(got, tc.want) {
					t.Errorf("%s: problems %v, want schedule %q", what, problems, tc.want)
				}
			}
		})
	}
}

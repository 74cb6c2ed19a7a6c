package workflows

// The bounds of what an order and an action may say (issue 11, point 8): every
// text and list field has a limit, control characters are refused (multi-line
// free text keeps its line breaks and tabs), and an order that totals 0 is
// refused. The numbers are written out here, not taken from the constants, so
// that a changed limit is a visible change of this contract.

import (
	"fmt"
	"strings"
	"testing"

	"github.com/orderflow/orderflow/internal/money"
)

// boundCase is one Validate call and the field it must name ("" when valid).
type boundCase struct {
	name     string
	problems func() map[string]string
	field    string
	message  string // a part of the message the field must carry
}

func checkBounds(t *testing.T, cases []boundCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			problems := tc.problems()
			if tc.field == "" {
				if len(problems) > 0 {
					t.Fatalf("refused a valid value: %v", problems)
				}
				return
			}
			msg, ok := problems[tc.field]
			if !ok {
				t.Fatalf("%s not named; problems: %v", tc.field, problems)
			}
			if !strings.Contains(msg, tc.message) {
				t.Fatalf("%s: %q does not say %q", tc.field, msg, tc.message)
			}
		})
	}
}

// boundRunes is n characters of two bytes each, so a bound counted in bytes fails.
func boundRunes(n int) string { return strings.Repeat("é", n) }

// boundEmail is a valid address of exactly n bytes.
func boundEmail(n int) string { return "a@" + strings.Repeat("x", n-len("a@.test")) + ".test" }

// boundControlChars are refused everywhere: NUL, escape, DEL, a C1 control.
var boundControlChars = map[string]string{"NUL": "\x00", "ESC": "\x1b", "DEL": "\x7f", "C1 NEL": "\u0085", "BEL": "\a"}

// boundLineBreaks are refused in one-line fields and kept in free text.
var boundLineBreaks = map[string]string{"LF": "\n", "CR": "\r", "CRLF": "\r\n", "TAB": "\t"}

// boundOneLine: a one-line field of at most max characters.
func boundOneLine(field string, max int, required bool, validate func(string) map[string]string) []boundCase {
	cases := []boundCase{
		{field + " at the limit", func() map[string]string { return validate(boundRunes(max)) }, "", ""},
		{field + " over the limit", func() map[string]string { return validate(boundRunes(max + 1)) }, field, fmt.Sprintf("at most %d characters", max)},
		{field + " of 0.9 MB", func() map[string]string { return validate(strings.Repeat("x", 900_000)) }, field, "shorten"},
		{field + " with a line separator", func() map[string]string { return validate("a\u2028b") }, field, "remove"},
	}
	if required {
		cases = append(cases, boundCase{field + " blank", func() map[string]string { return validate(" ") }, field, "required"})
	}
	for name, c := range boundControlChars {
		cases = append(cases, boundCase{field + " with " + name, func() map[string]string { return validate("ab" + c + "c") }, field, "remove"})
	}
	for name, c := range boundLineBreaks {
		cases = append(cases, boundCase{field + " with " + name, func() map[string]string { return validate("ab" + c + "c") }, field, "remove"})
	}
	return cases
}

// boundFreeText: multi-line free text of at most max characters.
func boundFreeText(field string, max int, prefix string, validate func(string) map[string]string) []boundCase {
	cases := []boundCase{
		{field + " at the limit", func() map[string]string { return validate(prefix + boundRunes(max-len([]rune(prefix)))) }, "", ""},
		{field + " over the limit", func() map[string]string { return validate(prefix + boundRunes(max+1-len([]rune(prefix)))) }, field, fmt.Sprintf("at most %d characters", max)},
		{field + " of 0.9 MB", func() map[string]string { return validate(strings.Repeat("x", 900_000)) }, field, "shorten"},
	}
	for name, c := range boundControlChars {
		cases = append(cases, boundCase{field + " with " + name, func() map[string]string { return validate(prefix + c) }, field, "remove"})
	}
	for name, c := range boundLineBreaks {
		cases = append(cases, boundCase{field + " keeps " + name, func() map[string]string { return validate(prefix + c + "more") }, "", ""})
	}
	return cases
}

func boundEmailCases(field string, validate func(string) map[string]string) []boundCase {
	cases := []boundCase{
		{field + " of 254 characters", func() map[string]string { return validate(boundEmail(254)) }, "", ""},
		{field + " of 255 characters", func() map[string]string { return validate(boundEmail(255)) }, field, "at most 254 characters"},
		{field + " of 0.9 MB", func() map[string]string { return validate(boundEmail(900_000)) }, field, "at most 254 characters"},
		{field + " with CRLF", func() map[string]string { return validate("ann@example.com\r\nBcc: all@example.com") }, field, "email address"},
	}
	for name, c := range boundControlChars {
		cases = append(cases, boundCase{field + " with " + name, func() map[string]string { return validate("ann" + c + "@example.com") }, field, "email address"})
	}
	return cases
}

func boundMarketplace(change func(*MarketplaceInput)) func() map[string]string {
	return func() map[string]string {
		in := orderInput("prepaid")
		change(&in)
		return in.Validate()
	}
}

func boundMarketplaceText(change func(*MarketplaceInput, string)) func(string) map[string]string {
	return func(s string) map[string]string {
		return boundMarketplace(func(in *MarketplaceInput) { change(in, s) })()
	}
}

func TestMarketplaceInputBounds(t *testing.T) {
	var cases []boundCase
	cases = append(cases, boundOneLine("customer_name", 200, false, boundMarketplaceText(func(in *MarketplaceInput, s string) { in.CustomerName = s }))...)
	cases = append(cases, boundOneLine("customer_id", 128, true, boundMarketplaceText(func(in *MarketplaceInput, s string) { in.CustomerID = s }))...)
	cases = append(cases, boundEmailCases("customer_email", boundMarketplaceText(func(in *MarketplaceInput, s string) { in.CustomerEmail = s }))...)
	cases = append(cases, boundOneLine("items[1].description", 500, true, boundMarketplaceText(func(in *MarketplaceInput, s string) { in.Items[1].Description = s }))...)
	cases = append(cases, boundOneLine("items[0].sku", 100, false, boundMarketplaceText(func(in *MarketplaceInput, s string) { in.Items[0].SKU = s }))...)
	cases = append(cases, boundOneLine("category", 100, true, boundMarketplaceText(func(in *MarketplaceInput, s string) { in.Category = s }))...)
	cases = append(cases, boundOneLine("delivery.region", 100, true, boundMarketplaceText(func(in *MarketplaceInput, s string) { in.Delivery.Region = s }))...)
	cases = append(cases, boundOneLine("delivery.address[1]", 200, false, boundMarketplaceText(func(in *MarketplaceInput, s string) { in.Delivery.Address[1] = s }))...)

	lines := func(n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = fmt.Sprintf("line %d", i+1)
		}
		return out
	}
	items := func(n int, price money.Amount) []Item {
		out := make([]Item, n)
		for i := range out {
			out[i] = Item{Description: "Brick", Quantity: money.QuantityOf(1), UnitPrice: price, VATRate: money.Percent(21)}
		}
		return out
	}
	cases = append(cases,
		boundCase{"6 address lines", boundMarketplace(func(in *MarketplaceInput) { in.Delivery.Address = lines(6) }), "", ""},
		boundCase{"7 address lines", boundMarketplace(func(in *MarketplaceInput) { in.Delivery.Address = lines(7) }), "delivery.address", "at most 6 lines"},
		boundCase{"a blank address", boundMarketplace(func(in *MarketplaceInput) { in.Delivery.Address = []string{" ", ""} }), "delivery.address", "not blank"},
		boundCase{"no address", boundMarketplace(func(in *MarketplaceInput) { in.Delivery.Address = nil }), "delivery.address", "at least one line"},
		boundCase{"a 0.9 MB address in 4500 lines", boundMarketplace(func(in *MarketplaceInput) { in.Delivery.Address = lines(4500) }), "delivery.address", "at most 6 lines"},
		boundCase{"100 items", boundMarketplace(func(in *MarketplaceInput) { in.Items = items(100, 100) }), "", ""},
		boundCase{"101 items", boundMarketplace(func(in *MarketplaceInput) { in.Items = items(101, 100) }), "items", "at most 100 items"},
		boundCase{"items that total 0", boundMarketplace(func(in *MarketplaceInput) { in.Items = items(3, 0) }), "items", "more than 0.00"},
		boundCase{"one free item among priced ones", boundMarketplace(func(in *MarketplaceInput) { in.Items[1].UnitPrice = 0 }), "", ""},
		boundCase{"a cent", boundMarketplace(func(in *MarketplaceInput) {
			in.Items = items(1, 1)
			in.Items[0].VATRate = 0
		}), "", ""},
	)
	checkBounds(t, cases)
}

func boundMember(change func(*MemberInput)) func() map[string]string {
	return func() map[string]string {
		in := memberInput()
		change(&in)
		return in.Validate()
	}
}

func boundMemberText(change func(*MemberInput, string)) func(string) map[string]string {
	return func(s string) map[string]string {
		return boundMember(func(in *MemberInput) { change(in, s) })()
	}
}

func TestMemberInputBounds(t *testing.T) {
	var cases []boundCase
	cases = append(cases, boundOneLine("member_name", 200, false, boundMemberText(func(in *MemberInput, s string) { in.MemberName = s }))...)
	cases = append(cases, boundOneLine("member_id", 128, true, boundMemberText(func(in *MemberInput, s string) { in.MemberID = s }))...)
	cases = append(cases, boundEmailCases("member_email", boundMemberText(func(in *MemberInput, s string) { in.MemberEmail = s }))...)
	cases = append(cases, boundEmailCases("client.email", boundMemberText(func(in *MemberInput, s string) { in.Content.Client.Email = s }))...)
	cases = append(cases, boundOneLine("client.name", 200, true, boundMemberText(func(in *MemberInput, s string) { in.Content.Client.Name = s }))...)
	cases = append(cases, boundOneLine("client.company", 200, false, boundMemberText(func(in *MemberInput, s string) { in.Content.Client.Company = s }))...)
	cases = append(cases, boundOneLine("client.vat_number", 100, false, boundMemberText(func(in *MemberInput, s string) { in.Content.Client.VATNumber = s }))...)
	cases = append(cases, boundOneLine("title", 500, true, boundMemberText(func(in *MemberInput, s string) { in.Content.Title = s }))...)
	cases = append(cases, boundOneLine("proof_reference", 200, false, boundMemberText(func(in *MemberInput, s string) { in.Content.ProofReference = s }))...)
	cases = append(cases, boundOneLine("lines[0].description", 500, true, boundMemberText(func(in *MemberInput, s string) { in.Content.Lines[0].Description = s }))...)
	cases = append(cases, boundOneLine("schedule[1].lines[0].description", 500, true, boundMemberText(func(in *MemberInput, s string) {
		in.Content.Schedule[1].Amount = nil
		in.Content.Schedule[1].Lines = []money.Line{{Description: s, Quantity: money.QuantityOf(1), UnitPrice: 100000, VATRate: money.Percent(21)}}
	}))...)

	line := func(price money.Amount) money.Line {
		return money.Line{Description: "Work", Quantity: money.QuantityOf(1), UnitPrice: price, VATRate: money.Percent(21)}
	}
	schedule := func(n int) []ScheduleEntry {
		out := make([]ScheduleEntry, n)
		for i := range out {
			amount := money.Amount(100)
			out[i] = ScheduleEntry{Date: "2027-01-15", Amount: &amount}
		}
		return out
	}
	cases = append(cases,
		boundCase{"100 lines", boundMember(func(in *MemberInput) {
			in.Content.Lines = boundLines(line(2000), 100) // 2,000.00 as the schedule
		}), "", ""},
		boundCase{"101 lines", boundMember(func(in *MemberInput) { in.Content.Lines = boundLines(line(100), 101) }), "lines", "at most 100 lines"},
		boundCase{"120 planned invoices", boundMember(func(in *MemberInput) {
			in.Content.Schedule, in.Content.Lines = schedule(120), []money.Line{line(120 * 100)}
		}), "", ""},
		boundCase{"121 planned invoices", boundMember(func(in *MemberInput) { in.Content.Schedule = schedule(121) }), "schedule", "at most 120"},
		boundCase{"lines that total 0", boundMember(func(in *MemberInput) { in.Content.Lines = []money.Line{line(0)} }), "lines", "more than 0.00"},
		boundCase{"a credit that cancels the price", boundMember(func(in *MemberInput) { in.Content.Lines = []money.Line{line(5000), line(-5000)} }), "lines", "more than 0.00"},
		boundCase{"lines that total less than 0", boundMember(func(in *MemberInput) { in.Content.Lines = []money.Line{line(-5000)} }), "lines", "more than 0.00"},
		boundCase{"a discount line", boundMember(func(in *MemberInput) { in.Content.Lines = []money.Line{line(210000), line(-10000)} }), "", ""},
		boundCase{"an invoice whose lines total 0", boundMember(func(in *MemberInput) {
			in.Content.Schedule[0] = ScheduleEntry{Date: "2026-12-15", Lines: []money.Line{line(0)}}
		}), "schedule[0].lines", "more than 0.00"},
	)
	checkBounds(t, cases)
}

func boundLines(l money.Line, n int) []money.Line {
	out := make([]money.Line, n)
	for i := range out {
		out[i] = l
	}
	return out
}

// boundNamed prefixes the names of cases with the payload they check.
func boundNamed(payload string, cases []boundCase) []boundCase {
	for i := range cases {
		cases[i].name = payload + " " + cases[i].name
	}
	return cases
}

func TestActionPayloadBounds(t *testing.T) {
	const reason = "the client closed the project"
	var cases []boundCase
	cases = append(cases, boundNamed("ReasonPayload", boundFreeText("reason", 2000, reason, func(s string) map[string]string {
		return (&ReasonPayload{Reason: s}).Validate()
	}))...)
	cases = append(cases, boundNamed("OptionalReasonPayload", boundFreeText("reason", 2000, reason, func(s string) map[string]string {
		return (&OptionalReasonPayload{Reason: s}).Validate()
	}))...)
	cases = append(cases, boundNamed("CancellationPayload", boundFreeText("reason", 2000, reason, func(s string) map[string]string {
		return (&CancellationPayload{Reason: s}).Validate()
	}))...)
	cases = append(cases, boundNamed("DeliveredPayload", boundFreeText("note", 2000, reason, func(s string) map[string]string {
		return (&DeliveredPayload{Note: s}).Validate()
	}))...)
	cases = append(cases, boundNamed("ChangeRequestPayload", boundFreeText("comment", 2000, reason, func(s string) map[string]string {
		return (&ChangeRequestPayload{Entry: 1, Comment: s}).Validate()
	}))...)
	cases = append(cases, boundNamed("ResolvePayload", boundFreeText("note", 2000, reason, func(s string) map[string]string {
		return (&ResolvePayload{Entry: 1, Note: s}).Validate()
	}))...)
	cases = append(cases, boundNamed("InvoicePayload", boundOneLine("number", 100, true, func(s string) map[string]string {
		return (&InvoicePayload{Number: s, Amount: 5720}).Validate()
	}))...)
	cases = append(cases, boundNamed("PaymentConfirmedPayload", boundOneLine("payment_id", 100, true, func(s string) map[string]string {
		return (&PaymentConfirmedPayload{PaymentID: s, Amount: 9317}).Validate()
	}))...)
	cases = append(cases, boundNamed("EditPayload", boundOneLine("title", 500, true, func(s string) map[string]string {
		c := memberInput().Content
		c.Title = s
		return (&EditPayload{MemberContent: c}).Validate()
	}))...)
	zero := money.Line{Description: "Work", Quantity: money.QuantityOf(1), UnitPrice: 0, VATRate: money.Percent(21)}
	cases = append(cases,
		boundCase{"an optional reason may be empty", func() map[string]string { return (&OptionalReasonPayload{}).Validate() }, "", ""},
		boundCase{"a resolution whose lines total 0", func() map[string]string {
			return (&ResolvePayload{Entry: 1, Lines: []money.Line{zero}}).Validate()
		}, "lines", "more than 0.00"},
		boundCase{"an edit whose lines total 0", func() map[string]string {
			c := memberInput().Content
			c.Lines = []money.Line{zero}
			return (&EditPayload{MemberContent: c}).Validate()
		}, "lines", "more than 0.00"},
	)
	checkBounds(t, cases)
}

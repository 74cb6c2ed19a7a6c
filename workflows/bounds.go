package workflows

import (
	"fmt"
	"net/mail"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/orderflow/orderflow/internal/money"
)

// Bounds and text checks that both flows' inputs and action payloads share:
// every field bounded, no control character where a line must stay one.

// Bounds of what an order and an action may say. Every field is bounded so
// that an order's input, and the view every update returns, stays far below
// Temporal's limits (2 MB a payload, 50 MB a history: a 0.9 MB address once
// grew a paid order's history past 50 MB and Temporal terminated it). The API
// also caps a request's body; these limits say which field is too long.
// Lengths count characters (runes), not bytes.
const (
	// maxName: a person's or company's name (customer, member, client).
	// Invoices and envelopes print far less; 200 fits any real one.
	maxName = 200
	// maxEmail: RFC 5321 limits a forward path to 256 octets including the
	// angle brackets, so an address is at most 254.
	maxEmail = 254
	// maxID: customer and member ids, token subjects (like request ids, 128).
	maxID = 128
	// maxCode: SKUs, VAT numbers, categories, regions, supplier invoice
	// numbers, payment ids; real ones are under 40.
	maxCode = 100
	// maxTitle: an order's title and an item's or line's description, one
	// line on the PDF and in the Web UI summary.
	maxTitle = 500
	// maxReference: the proof reference ("contract 2026-17 signed 3 Nov").
	maxReference = 200
	// maxAddressLines × maxAddressLine: a postal address; UPU S42 uses at
	// most 6 lines, and no line of one needs more than 200 characters.
	maxAddressLines = 6
	maxAddressLine  = 200
	// maxText: multi-line free text (reasons, notes, comments), the same as
	// the client page's decline reason (clientpage.MaxReasonLength).
	maxText = 2000
	// maxItems, maxLines: the items of a marketplace order, the lines of a
	// member order or of one planned invoice.
	maxItems = 100
	maxLines = 100
	// maxSchedule: planned invoices of a member order, ten years monthly.
	maxSchedule = 120
)

// textProblems checks multi-line free text (reasons, notes, comments): at
// most maxText characters; line breaks and tabs are kept, every other control
// character is refused.
func textProblems(problems map[string]string, field, value string, required bool) map[string]string {
	return checkText(problems, field, value, required, maxText, true)
}

// oneLine checks a one-line field (names, titles, codes, ids, address lines):
// at most max characters and no control character at all, so that nothing
// it reaches (a mail header, a PDF line, a CSV cell) can be split or hidden.
func oneLine(problems map[string]string, field, value string, required bool, max int) map[string]string {
	return checkText(problems, field, value, required, max, false)
}

func checkText(problems map[string]string, field, value string, required bool, max int, multiLine bool) map[string]string {
	// A value of at most max bytes has at most max runes: only longer ones
	// are counted.
	switch {
	case required && strings.TrimSpace(value) == "":
		problems[field] = "is required"
	case !utf8.ValidString(value):
		problems[field] = "must be valid UTF-8 text"
	case len(value) > max && utf8.RuneCountInString(value) > max:
		problems[field] = fmt.Sprintf("must be at most %d characters; shorten it", max)
	default:
		if r, at, bad := controlIn(value, multiLine); bad {
			what := "a line break or other control character"
			if multiLine {
				what = "a control character other than a line break or tab"
			}
			problems[field] = fmt.Sprintf("must not contain %s (found U+%04X at character %d); remove it", what, r, at)
		}
	}
	return problems
}

// controlIn finds the first control character of s (C0, DEL, C1) or Unicode
// line or paragraph separator, with its position counted from 1. Multi-line
// text may hold LF, CR (browsers send CRLF from a text area) and TAB.
func controlIn(s string, multiLine bool) (rune, int, bool) {
	at := 0
	for _, r := range s {
		at++
		if multiLine && (r == '\n' || r == '\r' || r == '\t') {
			continue
		}
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			return r, at, true
		}
	}
	return 0, 0, false
}

// emailProblems checks an email address: bounded, then isEmail.
func emailProblems(problems map[string]string, field, value, example string) {
	switch {
	case len(value) > maxEmail:
		problems[field] = fmt.Sprintf("must be at most %d characters; shorten it", maxEmail)
	case !IsEmail(value):
		problems[field] = "must be an email address like " + example
	}
}

// totalProblems refuses lines that total nothing (or less): an order of
// 0.00 cannot be paid, and an invoice of 0.00 (or a negative one, which is a
// credit note) must not be issued.
func totalProblems(problems map[string]string, field string, lines []money.Line) {
	t, err := money.Compute(lines)
	switch {
	case err != nil:
		problems[field] = err.Error()
	case t.Gross <= 0:
		problems[field] = fmt.Sprintf("must total more than 0.00 (they total %s); check the quantities and unit prices", t.Gross)
	}
}

// IsEmail accepts a bare address of printable ASCII (decision: addresses with
// lookalike letters, direction overrides or spaces are refused rather than
// mailed), as net/mail parses it, of at most 254 characters. Every address
// orderflow takes (an order's, a supplier's, a sign-in's) is checked here.
func IsEmail(s string) bool {
	if len(s) > maxEmail {
		return false
	}
	for _, r := range s {
		if r <= ' ' || r > '~' {
			return false
		}
	}
	a, err := mail.ParseAddress(s)
	return err == nil && a.Address == s && strings.Contains(s, "@")
}

package money

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// ParseError says why a decimal text was refused, in words a person can act on.
type ParseError struct {
	What   string // "amount", "quantity", "VAT rate"
	Input  string
	Reason string
}

func (e *ParseError) Error() string {
	if e.Input == "" {
		return e.What + " " + e.Reason
	}
	return e.What + " " + shorten(e.Input) + " " + e.Reason
}

// shorten keeps error messages readable when someone sends a megabyte of digits.
func shorten(s string) string {
	const limit = 32
	if len(s) <= limit {
		return s
	}
	return s[:limit] + "…"
}

// fixedPoint describes one of the exact decimal types: how many decimals it
// keeps and the largest magnitude it accepts.
type fixedPoint struct {
	what   string
	scale  int    // decimals kept
	max    int64  // largest accepted magnitude, in units of 10^-scale
	limits string // the accepted range in words, for error messages
}

func (f fixedPoint) fail(input, reason string) error {
	return &ParseError{What: f.what, Input: input, Reason: reason}
}

// parse reads a plain decimal ("-12", "12.5", "0.05") exactly, never through a
// float, so that what a person typed is what gets stored.
func (f fixedPoint) parse(s string) (int64, error) {
	if s == "" {
		return 0, f.fail("", "is empty")
	}
	if hasExponent(s) {
		return 0, f.fail(s, "must be written as a plain decimal number, without an exponent")
	}
	if !isPlainDecimal(s) {
		return 0, f.fail(s, "is not a decimal number like 1234.5 (digits, an optional leading '-' and at most one '.')")
	}
	body, negative := strings.CutPrefix(s, "-")
	intPart, fracPart, _ := strings.Cut(body, ".")
	if len(fracPart) > f.scale {
		return 0, f.fail(s, fmt.Sprintf("has more than %d decimals", f.scale))
	}
	value, ok := f.combine(intPart, fracPart)
	if !ok {
		return 0, f.fail(s, "is out of range ("+f.limits+")")
	}
	if negative {
		value = -value
	}
	return value, nil
}

// combine turns digit strings into units of 10^-scale, reporting false when
// the result would exceed the maximum.
func (f fixedPoint) combine(intPart, fracPart string) (int64, bool) {
	intPart = strings.TrimLeft(intPart, "0")
	if intPart == "" {
		intPart = "0"
	}
	whole, err := strconv.ParseInt(intPart, 10, 64)
	if err != nil {
		return 0, false // only a range error is possible: the digits were checked
	}
	unit := pow10(f.scale)
	if whole > f.max/unit {
		return 0, false
	}
	frac := int64(0)
	if fracPart != "" {
		frac, _ = strconv.ParseInt(fracPart, 10, 64) // at most scale digits, cannot fail
		frac *= pow10(f.scale - len(fracPart))
	}
	value := whole*unit + frac
	return value, value <= f.max
}

// format writes value with exactly minDecimals decimals, or more when the
// value needs them (up to scale).
func (f fixedPoint) format(value int64, minDecimals int) string {
	magnitude := uint64(value)
	sign := ""
	if value < 0 {
		magnitude = -magnitude // two's complement: correct even for the minimum int64
		sign = "-"
	}
	unit := uint64(pow10(f.scale))
	whole := strconv.FormatUint(magnitude/unit, 10)
	frac := fmt.Sprintf("%0*d", f.scale, magnitude%unit)
	for len(frac) > minDecimals && frac[len(frac)-1] == '0' {
		frac = frac[:len(frac)-1]
	}
	if frac == "" {
		return sign + whole
	}
	return sign + whole + "." + frac
}

// isPlainDecimal reports whether s is an optional '-', digits, and optionally
// a '.' followed by digits.
func isPlainDecimal(s string) bool {
	body, _ := strings.CutPrefix(s, "-")
	intPart, fracPart, hasDot := strings.Cut(body, ".")
	return allDigits(intPart) && (!hasDot || allDigits(fracPart))
}

// hasExponent reports whether s is scientific notation such as 1e3 or -1.5E-2,
// so the error can say what to change.
func hasExponent(s string) bool {
	i := strings.IndexAny(s, "eE")
	if i < 0 {
		return false
	}
	exponent := strings.TrimLeft(s[i+1:], "+-")
	return isPlainDecimal(s[:i]) && allDigits(exponent)
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func pow10(n int) int64 {
	p := int64(1)
	for range n {
		p *= 10
	}
	return p
}

// decodeJSONDecimal returns the decimal text inside a JSON string or the text
// of a JSON number literal, so neither ever passes through float64.
func decodeJSONDecimal(what string, data []byte) (string, error) {
	text := strings.TrimSpace(string(data))
	if strings.HasPrefix(text, `"`) {
		var unquoted string
		if err := json.Unmarshal([]byte(text), &unquoted); err != nil {
			return "", &ParseError{What: what, Input: text, Reason: "is not a valid JSON string"}
		}
		return unquoted, nil
	}
	if text == "" || text[0] == '-' || (text[0] >= '0' && text[0] <= '9') {
		return text, nil
	}
	return "", &ParseError{What: what, Input: text, Reason: "must be a JSON number or a string holding a decimal number"}
}

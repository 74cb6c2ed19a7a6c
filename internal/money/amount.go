// Package money holds exact amounts, quantities and VAT rates as scaled
// integers, and the invoice arithmetic on them. Nothing here touches a float.
package money

import (
	"strings"
)

// Amount is a sum of money in cents (hundredths of the currency unit).
type Amount int64

// MaxAmount bounds every amount parsed or computed: 1,000,000,000,000.00 (a
// trillion euros) is far beyond any order and keeps products inside 128 bits.
const MaxAmount Amount = 1_000_000_000_000_00

var amountFormat = fixedPoint{what: "amount", scale: 2, max: int64(MaxAmount), limits: "-1000000000000.00 to 1000000000000.00"}

// ParseAmount reads a decimal text such as "1234.5" or "-0.05" exactly.
// It accepts up to 2 decimals and refuses exponents, signs other than a
// leading '-', grouping separators and values beyond MaxAmount.
func ParseAmount(s string) (Amount, error) {
	v, err := amountFormat.parse(s)
	return Amount(v), err
}

// String writes the amount with two decimals and no grouping: "1234.50", "-0.05".
func (a Amount) String() string {
	return amountFormat.format(int64(a), 2)
}

// MarshalJSON writes a JSON string ("1234.50") so that no client reads the
// amount into a binary float.
func (a Amount) MarshalJSON() ([]byte, error) {
	return []byte(`"` + a.String() + `"`), nil
}

// UnmarshalJSON accepts a JSON string or number holding a decimal. A JSON
// null leaves the amount unchanged, as encoding/json does for plain fields.
func (a *Amount) UnmarshalJSON(data []byte) error {
	if string(data) == "null" {
		return nil
	}
	text, err := decodeJSONDecimal("amount", data)
	if err != nil {
		return err
	}
	v, err := ParseAmount(text)
	if err != nil {
		return err
	}
	*a = v
	return nil
}

// Format writes an amount for people reading a document, in one fixed style:
// the currency symbol (or code when it has no common symbol), a space, the
// sign, comma-grouped thousands and a point before the two decimals:
// Format(123450, "EUR") == "€ 1,234.50", Format(-500, "EUR") == "€ -5.00",
// Format(100, "USD") == "USD 1.00". An empty currency gives the number alone.
func Format(a Amount, currency string) string {
	number := groupThousands(a.String())
	symbol := currencySymbol(currency)
	if symbol == "" {
		return number
	}
	return symbol + " " + number
}

func currencySymbol(currency string) string {
	switch strings.ToUpper(currency) {
	case "EUR":
		return "€"
	case "GBP":
		return "£"
	default:
		return currency
	}
}

// groupThousands inserts commas into the integer part of a plain decimal.
func groupThousands(plain string) string {
	sign, body := "", plain
	if strings.HasPrefix(body, "-") {
		sign, body = "-", body[1:]
	}
	whole, frac, _ := strings.Cut(body, ".")
	var b strings.Builder
	for i, digit := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(digit)
	}
	if frac != "" {
		b.WriteString("." + frac)
	}
	return sign + b.String()
}

package money

import (
	"errors"
	"fmt"
	"strings"
)

// Line is one priced line of an order or document. A credit is written as a
// negative unit price; the quantity stays positive.
type Line struct {
	Description string   `json:"description"`
	Quantity    Quantity `json:"quantity"`
	UnitPrice   Amount   `json:"unit_price"`
	VATRate     Rate     `json:"vat_rate"`
}

// Validate says what a person must fix before the line can be priced.
func (l Line) Validate() error {
	var problems []error
	if strings.TrimSpace(l.Description) == "" {
		problems = append(problems, errors.New("description is empty"))
	}
	if err := l.Quantity.CheckPositive(); err != nil {
		problems = append(problems, err)
	}
	if l.UnitPrice > MaxAmount || l.UnitPrice < -MaxAmount {
		problems = append(problems, &ParseError{What: "unit price", Input: l.UnitPrice.String(), Reason: "is out of range (" + amountFormat.limits + ")"})
	}
	if err := l.VATRate.Check(); err != nil {
		problems = append(problems, err)
	}
	return errors.Join(problems...)
}

// ValidateLines validates every line and names the ones at fault (counting from 1).
func ValidateLines(lines []Line) error {
	if len(lines) == 0 {
		return errors.New("there are no lines")
	}
	var problems []error
	for i, l := range lines {
		if err := l.Validate(); err != nil {
			problems = append(problems, fmt.Errorf("line %d: %w", i+1, flatten(err)))
		}
	}
	return errors.Join(problems...)
}

// flatten puts a joined error on one line so "line 2: a; b" reads as one problem.
func flatten(err error) error {
	return errorString{strings.ReplaceAll(err.Error(), "\n", "; "), err}
}

type errorString struct {
	msg   string
	cause error
}

func (e errorString) Error() string { return e.msg }
func (e errorString) Unwrap() error { return e.cause }

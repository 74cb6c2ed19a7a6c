package payments

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/orderflow/orderflow/internal/money"
)

// Limits on what a caller may store; far beyond real use, they only stop
// runaway input.
const (
	maxKeyLength         = 200
	maxIDLength          = 200
	maxDescriptionLength = 1000
	maxEmailLength       = 320
	maxReasonLength      = 1000
)

func validateLinkRequest(r LinkRequest) error {
	var problems []string
	problems = checkText(problems, "key", r.Key, true, maxKeyLength)
	problems = checkText(problems, "order id", r.OrderID, true, maxIDLength)
	problems = checkText(problems, "description", r.Description, false, maxDescriptionLength)
	problems = checkText(problems, "customer email", r.CustomerEmail, false, maxEmailLength)
	problems = checkAmount(problems, r.Amount)
	if !validCurrency(r.Currency) {
		problems = append(problems, fmt.Sprintf("currency %q is not an ISO 4217 code like EUR", shorten(r.Currency)))
	}
	if r.ExpiresAt.IsZero() {
		problems = append(problems, "expiry is required (the end of the order's payment window)")
	}
	return invalid("payment link", problems)
}

func validateRefundRequest(r RefundRequest) error {
	var problems []string
	problems = checkText(problems, "key", r.Key, true, maxKeyLength)
	problems = checkText(problems, "order id", r.OrderID, true, maxIDLength)
	problems = checkText(problems, "payment id", r.PaymentID, true, maxIDLength)
	problems = checkText(problems, "reason", r.Reason, false, maxReasonLength)
	problems = checkAmount(problems, r.Amount)
	return invalid("refund", problems)
}

func checkText(problems []string, field, value string, required bool, limit int) []string {
	switch {
	case required && strings.TrimSpace(value) == "":
		return append(problems, field+" is required")
	case !utf8.ValidString(value):
		return append(problems, field+" is not valid UTF-8")
	case strings.ContainsRune(value, 0):
		return append(problems, field+" contains a NUL character")
	case utf8.RuneCountInString(value) > limit:
		return append(problems, fmt.Sprintf("%s is longer than %d characters", field, limit))
	}
	return problems
}

func checkAmount(problems []string, a money.Amount) []string {
	if a <= 0 || a > money.MaxAmount {
		return append(problems, fmt.Sprintf("amount %s must be positive and at most %s", a, money.MaxAmount))
	}
	return problems
}

func invalid(what string, problems []string) error {
	if len(problems) == 0 {
		return nil
	}
	return fmt.Errorf("payments: %w: %s: %s", ErrInvalid, what, strings.Join(problems, "; "))
}

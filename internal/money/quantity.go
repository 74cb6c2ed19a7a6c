package money

// Quantity is a count of units in thousandths: 1.5 hours is 1500.
type Quantity int64

// MaxQuantity bounds parsed quantities: 1,000,000,000 units.
const MaxQuantity Quantity = 1_000_000_000_000

var quantityFormat = fixedPoint{what: "quantity", scale: 3, max: int64(MaxQuantity), limits: "at most 1000000000 units"}

// QuantityOf returns n whole units.
func QuantityOf(n int64) Quantity { return Quantity(n * 1000) }

// ParseQuantity reads a decimal text with up to 3 decimals exactly ("1.5", "2", "0.125").
func ParseQuantity(s string) (Quantity, error) {
	v, err := quantityFormat.parse(s)
	return Quantity(v), err
}

// String writes the quantity with as few decimals as it needs: "1.5", "2", "0.125".
func (q Quantity) String() string {
	return quantityFormat.format(int64(q), 0)
}

// CheckPositive refuses zero and negative quantities, which make no sense on
// an order or document line (a credit is a negative price, not a negative count).
func (q Quantity) CheckPositive() error {
	if q <= 0 {
		return &ParseError{What: "quantity", Input: q.String(), Reason: "must be greater than 0"}
	}
	if q > MaxQuantity {
		return &ParseError{What: "quantity", Input: q.String(), Reason: "is out of range (" + quantityFormat.limits + ")"}
	}
	return nil
}

// MarshalJSON writes a JSON number with as few decimals as needed (1.5).
// The text is exact; a client that reads it as a float loses nothing at 3 decimals.
func (q Quantity) MarshalJSON() ([]byte, error) {
	return []byte(q.String()), nil
}

// UnmarshalJSON accepts a JSON number or a string holding a decimal; null
// leaves the quantity unchanged.
func (q *Quantity) UnmarshalJSON(data []byte) error {
	if string(data) == "null" {
		return nil
	}
	text, err := decodeJSONDecimal("quantity", data)
	if err != nil {
		return err
	}
	v, err := ParseQuantity(text)
	if err != nil {
		return err
	}
	*q = v
	return nil
}

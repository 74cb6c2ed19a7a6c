package money

// Rate is a VAT rate in basis points (hundredths of a percent): 21% is 2100,
// 5.5% is 550.
type Rate int64

// MaxRate is 100%.
const MaxRate Rate = 10000

var rateFormat = fixedPoint{what: "VAT rate", scale: 2, max: int64(MaxRate), limits: "0 to 100 percent"}

// Percent returns a rate of n whole percent.
func Percent(n int64) Rate { return Rate(n * 100) }

// ParseRate reads a percentage with up to 2 decimals ("21", "5.5") and accepts
// 0 to 100 only.
func ParseRate(s string) (Rate, error) {
	v, err := rateFormat.parse(s)
	if err != nil {
		return 0, err
	}
	r := Rate(v)
	if err := r.Check(); err != nil {
		return 0, err
	}
	return r, nil
}

// Check refuses rates outside 0% to 100%.
func (r Rate) Check() error {
	if r < 0 || r > MaxRate {
		return &ParseError{What: "VAT rate", Input: r.String(), Reason: "is out of range (0 to 100 percent)"}
	}
	return nil
}

// String writes the percentage without a sign and with as few decimals as
// needed: "21", "5.5".
func (r Rate) String() string {
	return rateFormat.format(int64(r), 0)
}

// MarshalJSON writes the percentage as a JSON number: 21, 5.5.
func (r Rate) MarshalJSON() ([]byte, error) {
	return []byte(r.String()), nil
}

// UnmarshalJSON accepts a JSON number or string holding a percentage; null
// leaves the rate unchanged.
func (r *Rate) UnmarshalJSON(data []byte) error {
	if string(data) == "null" {
		return nil
	}
	text, err := decodeJSONDecimal("VAT rate", data)
	if err != nil {
		return err
	}
	v, err := ParseRate(text)
	if err != nil {
		return err
	}
	*r = v
	return nil
}

package money

import (
	"errors"
	"fmt"
	"maps"
	"math/bits"
	"slices"
)

// ErrOverflow reports a computation whose result would exceed MaxAmount.
var ErrOverflow = errors.New("amount out of range")

// VATBreakdown is the VAT due at one rate: the taxable base and the tax on it.
type VATBreakdown struct {
	Rate Rate   `json:"rate"`
	Base Amount `json:"base"`
	VAT  Amount `json:"vat"`
}

// Totals are the sums of a document.
type Totals struct {
	Net    Amount         `json:"net"`
	VAT    Amount         `json:"vat"`
	Gross  Amount         `json:"gross"`
	ByRate []VATBreakdown `json:"by_rate"`
}

// LineNet is quantity × unit price rounded half away from zero to the cent.
func LineNet(l Line) (Amount, error) {
	if err := checkAmount(l.UnitPrice); err != nil {
		return 0, fmt.Errorf("unit price: %w", err)
	}
	if l.Quantity > MaxQuantity || l.Quantity < -MaxQuantity {
		return 0, fmt.Errorf("quantity %s: %w", l.Quantity, ErrOverflow)
	}
	return mulDivRound(int64(l.Quantity), int64(l.UnitPrice), 1000)
}

// VATOn is base × rate rounded half away from zero to the cent.
func VATOn(base Amount, rate Rate) (Amount, error) {
	if err := rate.Check(); err != nil {
		return 0, err
	}
	return mulDivRound(int64(base), int64(rate), 10000)
}

// Compute totals lines the way EN 16931 does: each line's net is rounded to
// the cent; VAT is computed once per rate on the sum of the nets at that rate
// (never per line), so the document's VAT matches what a tax office recomputes.
// ByRate lists every rate present, highest first.
func Compute(lines []Line) (Totals, error) {
	bases := map[Rate]Amount{}
	for i, l := range lines {
		if err := l.VATRate.Check(); err != nil {
			return Totals{}, fmt.Errorf("line %d: %w", i+1, err)
		}
		net, err := LineNet(l)
		if err != nil {
			return Totals{}, fmt.Errorf("line %d: %w", i+1, err)
		}
		if bases[l.VATRate], err = add(bases[l.VATRate], net); err != nil {
			return Totals{}, fmt.Errorf("VAT base at %s%%: %w", l.VATRate, err)
		}
	}
	var t Totals
	rates := slices.Sorted(maps.Keys(bases))
	slices.Reverse(rates)
	for _, rate := range rates {
		vat, err := VATOn(bases[rate], rate)
		if err != nil {
			return Totals{}, fmt.Errorf("VAT at %s%%: %w", rate, err)
		}
		t.ByRate = append(t.ByRate, VATBreakdown{Rate: rate, Base: bases[rate], VAT: vat})
		if t.Net, err = add(t.Net, bases[rate]); err != nil {
			return Totals{}, fmt.Errorf("total net: %w", err)
		}
		if t.VAT, err = add(t.VAT, vat); err != nil {
			return Totals{}, fmt.Errorf("total VAT: %w", err)
		}
	}
	gross, err := add(t.Net, t.VAT)
	if err != nil {
		return Totals{}, fmt.Errorf("total gross: %w", err)
	}
	t.Gross = gross
	return t, nil
}

// add sums two amounts and refuses results beyond MaxAmount.
func add(a, b Amount) (Amount, error) {
	sum := a + b // both are within ±MaxAmount, far from int64 overflow
	return sum, checkAmount(sum)
}

func checkAmount(a Amount) error {
	if a > MaxAmount || a < -MaxAmount {
		return fmt.Errorf("%s: %w", a, ErrOverflow)
	}
	return nil
}

// mulDivRound returns x × y / divisor rounded half away from zero, using a
// 128-bit product so no intermediate can overflow.
func mulDivRound(x, y, divisor int64) (Amount, error) {
	negative := (x < 0) != (y < 0)
	hi, lo := bits.Mul64(magnitude(x), magnitude(y))
	if hi >= uint64(divisor) {
		return 0, ErrOverflow
	}
	quotient, remainder := bits.Div64(hi, lo, uint64(divisor))
	if remainder*2 >= uint64(divisor) {
		quotient++
	}
	if quotient > uint64(MaxAmount) {
		return 0, ErrOverflow
	}
	result := Amount(quotient)
	if negative {
		result = -result
	}
	return result, nil
}

func magnitude(v int64) uint64 {
	if v < 0 {
		return -uint64(v)
	}
	return uint64(v)
}

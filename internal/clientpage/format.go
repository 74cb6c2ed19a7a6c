package clientpage

import (
	"fmt"
	"time"

	"github.com/orderflow/orderflow/internal/money"
)

// Helpers that turn order data into the view's display strings.

const (
	isoDate    = "2006-01-02"
	longDate   = "2 January 2006"
	longMoment = "2 January 2006 at 15:04 MST"
)

// Date writes a YYYY-MM-DD date out in full: "1 December 2026". Anything
// else is returned as it is, so a page never loses what it was given.
func Date(iso string) string {
	d, err := time.Parse(isoDate, iso)
	if err != nil {
		return iso
	}
	return d.Format(longDate)
}

// Period writes a service period: "1 June 2026 to 30 September 2026", or one
// date when it starts and ends on the same day.
func Period(start, end string) string {
	switch {
	case start == "" || end == "":
		return Date(start + end)
	case start == end:
		return Date(start)
	}
	return Date(start) + " to " + Date(end)
}

// Instant writes a moment in loc with its zone: "4 May 2026 at 14:05 CEST".
func Instant(t time.Time, loc *time.Location) string {
	if loc == nil {
		loc = time.UTC
	}
	return t.In(loc).Format(longMoment)
}

// Rate writes a VAT rate as a percentage: "21%", "5.5%".
func Rate(r money.Rate) string { return r.String() + "%" }

// LinesOf formats order lines, each with its net (quantity × unit price).
func LinesOf(lines []money.Line, currency string) ([]Line, error) {
	out := make([]Line, len(lines))
	for i, l := range lines {
		net, err := money.LineNet(l)
		if err != nil {
			return nil, fmt.Errorf("clientpage: line %d: %w", i+1, err)
		}
		out[i] = Line{
			Description: l.Description,
			Quantity:    l.Quantity.String(),
			UnitPrice:   money.Format(l.UnitPrice, currency),
			VATRate:     Rate(l.VATRate),
			Net:         money.Format(net, currency),
		}
	}
	return out, nil
}

// TotalsOf formats an order's totals and its VAT per rate.
func TotalsOf(t money.Totals, currency string) Totals {
	out := Totals{
		Net:   money.Format(t.Net, currency),
		VAT:   money.Format(t.VAT, currency),
		Gross: money.Format(t.Gross, currency),
	}
	for _, r := range t.ByRate {
		out.ByRate = append(out.ByRate, RateTotal{
			Rate: Rate(r.Rate),
			Base: money.Format(r.Base, currency),
			VAT:  money.Format(r.VAT, currency),
		})
	}
	return out
}

package ubl

import (
	"encoding/xml"
	"fmt"
	"math/big"
)

// parsed is the part of an Invoice or CreditNote the arithmetic checks read,
// matched by local name so one struct reads both document types.
type parsed struct {
	XMLName      xml.Name
	ID           string           `xml:"ID"`
	TypeCode     string           `xml:"InvoiceTypeCode"`
	CNTypeCode   string           `xml:"CreditNoteTypeCode"`
	Currency     string           `xml:"DocumentCurrencyCode"`
	CreditedID   string           `xml:"BillingReference>InvoiceDocumentReference>ID"`
	OrderRef     string           `xml:"OrderReference>ID"`
	BuyerRef     string           `xml:"BuyerReference"`
	SellerName   string           `xml:"AccountingSupplierParty>Party>PartyLegalEntity>RegistrationName"`
	Buyer        parsedParty      `xml:"AccountingCustomerParty>Party"`
	TaxAmount    string           `xml:"TaxTotal>TaxAmount"`
	Subtotals    []parsedSubtotal `xml:"TaxTotal>TaxSubtotal"`
	LineTotal    string           `xml:"LegalMonetaryTotal>LineExtensionAmount"`
	TaxExclusive string           `xml:"LegalMonetaryTotal>TaxExclusiveAmount"`
	TaxInclusive string           `xml:"LegalMonetaryTotal>TaxInclusiveAmount"`
	Payable      string           `xml:"LegalMonetaryTotal>PayableAmount"`
	InvoiceLines []parsedLine     `xml:"InvoiceLine"`
	CreditLines  []parsedLine     `xml:"CreditNoteLine"`
}

type parsedParty struct {
	Endpoint tagged `xml:"EndpointID"`
	Country  string `xml:"PostalAddress>Country>IdentificationCode"`
	VAT      string `xml:"PartyTaxScheme>CompanyID"`
}

type parsedSubtotal struct {
	Taxable  string `xml:"TaxableAmount"`
	Tax      string `xml:"TaxAmount"`
	Category string `xml:"TaxCategory>ID"`
	Percent  string `xml:"TaxCategory>Percent"`
}

type parsedLine struct {
	ID       string `xml:"ID"`
	Invoiced tagged `xml:"InvoicedQuantity"`
	Credited tagged `xml:"CreditedQuantity"`
	Net      string `xml:"LineExtensionAmount"`
	Category string `xml:"Item>ClassifiedTaxCategory>ID"`
	Percent  string `xml:"Item>ClassifiedTaxCategory>Percent"`
	Price    string `xml:"Price>PriceAmount"`
}

// tagged is an element's text with the attributes the checks read.
type tagged struct {
	Value    string `xml:",chardata"`
	Scheme   string `xml:"schemeID,attr"`
	UnitCode string `xml:"unitCode,attr"`
}

func (p parsed) lines() []parsedLine {
	return append(append([]parsedLine(nil), p.InvoiceLines...), p.CreditLines...)
}

func parse(doc []byte) (parsed, error) {
	var p parsed
	err := xml.Unmarshal(doc, &p)
	return p, err
}

// checkArithmetic recomputes a document's amounts from its own XML, with
// big rationals rather than the money package that wrote them, and returns
// every EN 16931 calculation rule it breaks.
func checkArithmetic(doc []byte) ([]string, error) {
	p, err := parse(doc)
	if err != nil {
		return nil, err
	}
	var broken []string
	fail := func(format string, args ...any) { broken = append(broken, fmt.Sprintf(format, args...)) }

	type key struct{ category, percent string }
	bases := map[key]*big.Rat{}
	sumLines := new(big.Rat)
	for _, l := range p.lines() {
		qty := l.Invoiced.Value + l.Credited.Value
		want := roundCents(new(big.Rat).Mul(rat(qty), rat(l.Price)))
		if rat(l.Net).Cmp(want) != 0 {
			fail("line %s: net %s is not %s × %s rounded (%s)", l.ID, l.Net, qty, l.Price, want.FloatString(2))
		}
		if rat(l.Price).Sign() < 0 {
			fail("BR-27: line %s has a negative price %s", l.ID, l.Price)
		}
		k := key{l.Category, l.Percent}
		if bases[k] == nil {
			bases[k] = new(big.Rat)
		}
		bases[k].Add(bases[k], rat(l.Net))
		sumLines.Add(sumLines, rat(l.Net))
	}
	if rat(p.LineTotal).Cmp(sumLines) != 0 {
		fail("BR-CO-10: line total %s is not the sum of the lines %s", p.LineTotal, sumLines.FloatString(2))
	}
	if rat(p.TaxExclusive).Cmp(rat(p.LineTotal)) != 0 {
		fail("BR-CO-13: tax exclusive %s is not the line total %s (no allowances or charges)", p.TaxExclusive, p.LineTotal)
	}
	sumTax := new(big.Rat)
	seen := map[key]bool{}
	for _, s := range p.Subtotals {
		k := key{s.Category, s.Percent}
		seen[k] = true
		base := bases[k]
		if base == nil {
			fail("subtotal %s %s%% has no lines", s.Category, s.Percent)
			continue
		}
		if rat(s.Taxable).Cmp(base) != 0 {
			fail("BR-%s-08: taxable %s at %s%% is not the sum of its lines %s", s.Category, s.Taxable, s.Percent, base.FloatString(2))
		}
		wantTax := roundCents(new(big.Rat).Mul(rat(s.Taxable), new(big.Rat).Quo(rat(s.Percent), big.NewRat(100, 1))))
		if rat(s.Tax).Cmp(wantTax) != 0 {
			fail("BR-%s-09: VAT %s at %s%% is not %s × rate rounded (%s)", s.Category, s.Tax, s.Percent, s.Taxable, wantTax.FloatString(2))
		}
		if s.Category != CategoryStandard && rat(s.Tax).Sign() != 0 {
			fail("BR-%s-09: category %s must have no VAT, has %s", s.Category, s.Category, s.Tax)
		}
		sumTax.Add(sumTax, rat(s.Tax))
	}
	for k := range bases {
		if !seen[k] {
			fail("BR-CO-18: lines at %s %s%% have no VAT breakdown", k.category, k.percent)
		}
	}
	if rat(p.TaxAmount).Cmp(sumTax) != 0 {
		fail("BR-CO-14: VAT total %s is not the sum of the breakdown %s", p.TaxAmount, sumTax.FloatString(2))
	}
	inclusive := new(big.Rat).Add(rat(p.TaxExclusive), rat(p.TaxAmount))
	if rat(p.TaxInclusive).Cmp(inclusive) != 0 {
		fail("BR-CO-15: tax inclusive %s is not %s + %s", p.TaxInclusive, p.TaxExclusive, p.TaxAmount)
	}
	if rat(p.Payable).Cmp(rat(p.TaxInclusive)) != 0 {
		fail("BR-CO-16: payable %s is not the tax inclusive amount %s (nothing prepaid)", p.Payable, p.TaxInclusive)
	}
	return broken, nil
}

// rat reads a decimal; text that is not one reads as NaN-like nil would
// panic, so it becomes an impossible value that fails every comparison.
func rat(s string) *big.Rat {
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		return big.NewRat(-999_999_999_999, 7)
	}
	return r
}

// roundCents rounds half away from zero to two decimals.
func roundCents(r *big.Rat) *big.Rat {
	scaled := new(big.Rat).Mul(r, big.NewRat(100, 1))
	num, den := scaled.Num(), scaled.Denom()
	q, m := new(big.Int).QuoRem(new(big.Int).Abs(num), den, new(big.Int))
	if new(big.Int).Mul(m, big.NewInt(2)).Cmp(den) >= 0 {
		q.Add(q, big.NewInt(1))
	}
	if num.Sign() < 0 {
		q.Neg(q)
	}
	return new(big.Rat).SetFrac(q, big.NewInt(100))
}

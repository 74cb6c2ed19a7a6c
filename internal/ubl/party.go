package ubl

import (
	"strings"
	"unicode"

	"github.com/orderflow/orderflow/internal/pdf"
)

// BelgianEnterpriseScheme is the Peppol participant identifier scheme (ISO
// 6523 ICD 0208) of the Belgian enterprise number (KBO/BCE).
const BelgianEnterpriseScheme = "0208"

// Endpoint is a Peppol participant identifier: where an e-invoice is sent
// (BT-34 for the seller, BT-49 for the buyer).
type Endpoint struct {
	Scheme string // ISO 6523 ICD, e.g. "0208"
	ID     string
}

// NormalizeVAT writes a VAT number the way it is registered: upper case,
// without spaces, dots, dashes or slashes ("be 0123.456.789" → "BE0123456789").
// The old nine-digit Belgian form gains its leading 0.
func NormalizeVAT(vat string) string {
	var b strings.Builder
	for _, r := range strings.ToUpper(vat) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
		}
	}
	n := b.String()
	if digits, ok := strings.CutPrefix(n, "BE"); ok && len(digits) == 9 && allDigits(digits) {
		return "BE0" + digits
	}
	return n
}

// VATCountry is the ISO 3166-1 country of a VAT number: its two-letter
// prefix, with Greece's "EL" written "GR". "" when there is no prefix.
func VATCountry(vat string) string {
	n := NormalizeVAT(vat)
	if len(n) < 3 || !isUpperLetter(n[0]) || !isUpperLetter(n[1]) {
		return ""
	}
	if n[:2] == "EL" {
		return "GR"
	}
	return n[:2]
}

// EndpointOf derives a party's Peppol endpoint from its VAT number. Only
// Belgian numbers are derived: a Belgian company's enterprise number is its
// VAT number's ten digits, and Belgian receivers register in Peppol under
// scheme 0208 with that number (which is what the Belgian government asks
// of every company). Other countries use other schemes, some not based on
// the VAT number at all, so they must be looked up, not guessed.
func EndpointOf(p pdf.Party) (Endpoint, bool) {
	digits, ok := strings.CutPrefix(NormalizeVAT(p.VATNumber), "BE")
	if !ok || len(digits) != 10 || !allDigits(digits) {
		return Endpoint{}, false
	}
	return Endpoint{Scheme: BelgianEnterpriseScheme, ID: digits}, true
}

// partyName is the party's legal name: the company when there is one.
func partyName(p pdf.Party) string {
	if strings.TrimSpace(p.Company) != "" {
		return p.Company
	}
	return p.Name
}

// writeParty writes a cac:Party. We know names, a VAT number, an email and
// printed address lines; street, city and postcode are not separate fields
// in orderflow, so the first printed line is the street, the second the
// additional street line and the rest one address line. Peppol needs the
// country of every party: it comes from the VAT number, else fallback.
func writeParty(w *writer, p pdf.Party, fallbackCountry string) {
	w.open("cac:Party")
	if ep, ok := EndpointOf(p); ok {
		w.leaf("cbc:EndpointID", ep.ID, attr{"schemeID", ep.Scheme})
	}
	w.open("cac:PartyName")
	w.leaf("cbc:Name", partyName(p))
	w.close("cac:PartyName")
	writeAddress(w, p.Address, countryOf(p, fallbackCountry))
	vat := NormalizeVAT(p.VATNumber)
	if vat != "" {
		w.open("cac:PartyTaxScheme")
		w.leaf("cbc:CompanyID", vat)
		writeTaxScheme(w)
		w.close("cac:PartyTaxScheme")
	}
	w.open("cac:PartyLegalEntity")
	w.leaf("cbc:RegistrationName", partyName(p))
	if ep, ok := EndpointOf(p); ok {
		w.leaf("cbc:CompanyID", ep.ID, attr{"schemeID", ep.Scheme})
	}
	w.close("cac:PartyLegalEntity")
	if (strings.TrimSpace(p.Company) != "" && strings.TrimSpace(p.Name) != "") || strings.TrimSpace(p.Email) != "" {
		w.open("cac:Contact")
		if strings.TrimSpace(p.Company) != "" {
			w.leafIf("cbc:Name", p.Name)
		}
		w.leafIf("cbc:ElectronicMail", p.Email)
		w.close("cac:Contact")
	}
	w.close("cac:Party")
}

func countryOf(p pdf.Party, fallback string) string {
	if c := VATCountry(p.VATNumber); c != "" {
		return c
	}
	if fallback != "" {
		return fallback
	}
	return "BE"
}

func writeAddress(w *writer, lines []string, country string) {
	var kept []string
	for _, l := range lines {
		if strings.TrimSpace(l) != "" {
			kept = append(kept, strings.TrimSpace(l))
		}
	}
	w.open("cac:PostalAddress")
	if len(kept) > 0 {
		w.leaf("cbc:StreetName", kept[0])
	}
	if len(kept) > 1 {
		w.leaf("cbc:AdditionalStreetName", kept[1])
	}
	if len(kept) > 2 {
		w.open("cac:AddressLine")
		w.leaf("cbc:Line", strings.Join(kept[2:], ", "))
		w.close("cac:AddressLine")
	}
	w.open("cac:Country")
	w.leaf("cbc:IdentificationCode", country)
	w.close("cac:Country")
	w.close("cac:PostalAddress")
}

func writeTaxScheme(w *writer) {
	w.open("cac:TaxScheme")
	w.leaf("cbc:ID", "VAT")
	w.close("cac:TaxScheme")
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

func isUpperLetter(b byte) bool { return b >= 'A' && b <= 'Z' }

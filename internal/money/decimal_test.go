package money

import (
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"
)

func TestParseAmount(t *testing.T) {
	tests := []struct {
		in   string
		want Amount
	}{
		{"0", 0},
		{"-0", 0},
		{"1", 100},
		{"1.5", 150},
		{"1.50", 150},
		{"0.05", 5},
		{"-0.05", -5},
		{"007.10", 710},
		// Values a float64 parse followed by truncation would get wrong.
		{"1.15", 115},
		{"0.29", 29},
		{"4.35", 435},
		{"1000000000000.00", MaxAmount},
		{"-1000000000000", -MaxAmount},
	}
	for _, tt := range tests {
		got, err := ParseAmount(tt.in)
		if err != nil {
			t.Errorf("ParseAmount(%q): %v", tt.in, err)
			continue
		}
		if got != tt.want {
			t.Errorf("ParseAmount(%q) = %d cents, want %d", tt.in, got, tt.want)
		}
	}
}

func TestParseAmountRejects(t *testing.T) {
	tests := []struct {
		in      string
		message string
	}{
		{"", "amount is empty"},
		{"12.345", "amount 12.345 has more than 2 decimals"},
		{"0.001", "amount 0.001 has more than 2 decimals"},
		{"1e3", "amount 1e3 must be written as a plain decimal number, without an exponent"},
		{"1E-2", "amount 1E-2 must be written as a plain decimal number, without an exponent"},
		{"1000000000000.01", "amount 1000000000000.01 is out of range (-1000000000000.00 to 1000000000000.00)"},
		{"-1000000000001", "amount -1000000000001 is out of range (-1000000000000.00 to 1000000000000.00)"},
		{"99999999999999999999999", "amount 99999999999999999999999 is out of range"},
		{"abc", "amount abc is not a decimal number"},
		{"1,50", "amount 1,50 is not a decimal number"},
		{"1 000", "is not a decimal number"},
		{"+1", "is not a decimal number"},
		{" 1", "is not a decimal number"},
		{"1.", "is not a decimal number"},
		{".5", "is not a decimal number"},
		{"-", "is not a decimal number"},
		{"--1", "is not a decimal number"},
		{"1.2.3", "is not a decimal number"},
		{"0x10", "is not a decimal number"},
		{"١٢", "is not a decimal number"},
		{"NaN", "is not a decimal number"},
		{strings.Repeat("9", 200), "9999…"},
	}
	for _, tt := range tests {
		got, err := ParseAmount(tt.in)
		if err == nil {
			t.Errorf("ParseAmount(%q) = %v, want an error", tt.in, got)
			continue
		}
		if !strings.Contains(err.Error(), tt.message) {
			t.Errorf("ParseAmount(%q) error %q, want it to contain %q", tt.in, err, tt.message)
		}
		var parseErr *ParseError
		if !errors.As(err, &parseErr) {
			t.Errorf("ParseAmount(%q) error is %T, want *ParseError", tt.in, err)
		}
	}
}

func TestAmountString(t *testing.T) {
	tests := []struct {
		in   Amount
		want string
	}{
		{0, "0.00"},
		{5, "0.05"},
		{-5, "-0.05"},
		{100, "1.00"},
		{123450, "1234.50"},
		{-123456, "-1234.56"},
		{MaxAmount, "1000000000000.00"},
		{math.MinInt64, "-92233720368547758.08"},
	}
	for _, tt := range tests {
		if got := tt.in.String(); got != tt.want {
			t.Errorf("Amount(%d).String() = %q, want %q", int64(tt.in), got, tt.want)
		}
	}
}

func TestFormat(t *testing.T) {
	tests := []struct {
		amount   Amount
		currency string
		want     string
	}{
		{123450, "EUR", "€ 1,234.50"},
		{-123450, "EUR", "€ -1,234.50"},
		{0, "EUR", "€ 0.00"},
		{99999, "EUR", "€ 999.99"},
		{100000, "EUR", "€ 1,000.00"},
		{123456789012, "EUR", "€ 1,234,567,890.12"},
		{-100000000, "eur", "€ -1,000,000.00"},
		{100, "GBP", "£ 1.00"},
		{100, "USD", "USD 1.00"},
		{123450, "", "1,234.50"},
	}
	for _, tt := range tests {
		if got := Format(tt.amount, tt.currency); got != tt.want {
			t.Errorf("Format(%d, %q) = %q, want %q", int64(tt.amount), tt.currency, got, tt.want)
		}
	}
}

func TestAmountJSON(t *testing.T) {
	data, err := json.Marshal(Amount(123450))
	if err != nil {
		t.Fatal(err)
	}
	if string(data) != `"1234.50"` {
		t.Errorf("Marshal = %s, want \"1234.50\"", data)
	}

	accepted := map[string]Amount{
		`"1234.50"`:     123450,
		`1234.5`:        123450,
		`"-0.05"`:       -5,
		`-0.05`:         -5,
		`0.29`:          29,
		`"\u0031.10"`:   110,
		`  7  `:         700,
		`"0"`:           0,
		`1000000000000`: MaxAmount,
	}
	for in, want := range accepted {
		var got Amount
		if err := json.Unmarshal([]byte(in), &got); err != nil {
			t.Errorf("Unmarshal(%s): %v", in, err)
			continue
		}
		if got != want {
			t.Errorf("Unmarshal(%s) = %d, want %d", in, got, want)
		}
	}

	rejected := map[string]string{
		`12.345`:              "amount 12.345 has more than 2 decimals",
		`"12.345"`:            "amount 12.345 has more than 2 decimals",
		`1e3`:                 "without an exponent",
		`1E+400`:              "without an exponent",
		`""`:                  "amount is empty",
		`"1,5"`:               "is not a decimal number",
		`true`:                "must be a JSON number or a string",
		`{}`:                  "must be a JSON number or a string",
		`[1]`:                 "must be a JSON number or a string",
		`10000000000000.00`:   "out of range",
		`"10000000000000.00"`: "out of range",
	}
	for in, message := range rejected {
		var got Amount
		err := json.Unmarshal([]byte(in), &got)
		if err == nil {
			t.Errorf("Unmarshal(%s) = %v, want an error", in, got)
			continue
		}
		if !strings.Contains(err.Error(), message) {
			t.Errorf("Unmarshal(%s) error %q, want it to contain %q", in, err, message)
		}
	}
}

func TestAmountJSONNullKeepsValue(t *testing.T) {
	a := Amount(42)
	if err := json.Unmarshal([]byte("null"), &a); err != nil {
		t.Fatal(err)
	}
	if a != 42 {
		t.Errorf("null changed the amount to %d", a)
	}
}

func TestParseQuantity(t *testing.T) {
	accepted := map[string]Quantity{
		"1.5":        1500,
		"2":          2000,
		"0.125":      125,
		"0.001":      1,
		"-1":         -1000,
		"1000000000": MaxQuantity,
	}
	for in, want := range accepted {
		got, err := ParseQuantity(in)
		if err != nil || got != want {
			t.Errorf("ParseQuantity(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	rejected := map[string]string{
		"1.2345":         "quantity 1.2345 has more than 3 decimals",
		"":               "quantity is empty",
		"2e2":            "without an exponent",
		"1000000000.001": "quantity 1000000000.001 is out of range",
		"one":            "is not a decimal number",
	}
	for in, message := range rejected {
		_, err := ParseQuantity(in)
		if err == nil || !strings.Contains(err.Error(), message) {
			t.Errorf("ParseQuantity(%q) error %v, want it to contain %q", in, err, message)
		}
	}
}

func TestQuantityStringAndJSON(t *testing.T) {
	tests := []struct {
		q    Quantity
		text string
	}{
		{1500, "1.5"},
		{2000, "2"},
		{125, "0.125"},
		{1, "0.001"},
		{1010, "1.01"},
		{-2500, "-2.5"},
	}
	for _, tt := range tests {
		if got := tt.q.String(); got != tt.text {
			t.Errorf("Quantity(%d).String() = %q, want %q", tt.q, got, tt.text)
		}
		data, err := json.Marshal(tt.q)
		if err != nil || string(data) != tt.text {
			t.Errorf("Marshal(Quantity(%d)) = %s, %v; want %s", tt.q, data, err, tt.text)
		}
		var back Quantity
		if err := json.Unmarshal(data, &back); err != nil || back != tt.q {
			t.Errorf("round trip of %d gave %d, %v", tt.q, back, err)
		}
		if err := json.Unmarshal([]byte(`"`+tt.text+`"`), &back); err != nil || back != tt.q {
			t.Errorf("string %q gave %d, %v", tt.text, back, err)
		}
	}
	var q Quantity
	if err := json.Unmarshal([]byte(`1.0005`), &q); err == nil || !strings.Contains(err.Error(), "more than 3 decimals") {
		t.Errorf("Unmarshal(1.0005) error %v, want more than 3 decimals", err)
	}
}

func TestQuantityCheckPositive(t *testing.T) {
	if err := Quantity(1).CheckPositive(); err != nil {
		t.Errorf("0.001: %v", err)
	}
	if err := MaxQuantity.CheckPositive(); err != nil {
		t.Errorf("max: %v", err)
	}
	for _, q := range []Quantity{0, -1, -1500, MaxQuantity + 1} {
		if err := q.CheckPositive(); err == nil {
			t.Errorf("CheckPositive(%s) accepted it", q)
		}
	}
	if err := Quantity(0).CheckPositive(); err.Error() != "quantity 0 must be greater than 0" {
		t.Errorf("message %q", err)
	}
}

func TestParseRate(t *testing.T) {
	accepted := map[string]Rate{
		"21":     2100,
		"6":      600,
		"0":      0,
		"5.5":    550,
		"12.75":  1275,
		"100":    MaxRate,
		"100.00": MaxRate,
	}
	for in, want := range accepted {
		got, err := ParseRate(in)
		if err != nil || got != want {
			t.Errorf("ParseRate(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	rejected := map[string]string{
		"100.01": "VAT rate 100.01 is out of range (0 to 100 percent)",
		"-1":     "VAT rate -1 is out of range (0 to 100 percent)",
		"5.555":  "VAT rate 5.555 has more than 2 decimals",
		"21%":    "is not a decimal number",
		"":       "VAT rate is empty",
		"2.1e1":  "without an exponent",
	}
	for in, message := range rejected {
		_, err := ParseRate(in)
		if err == nil || !strings.Contains(err.Error(), message) {
			t.Errorf("ParseRate(%q) error %v, want it to contain %q", in, err, message)
		}
	}
}

func TestRateJSON(t *testing.T) {
	for rate, text := range map[Rate]string{2100: "21", 550: "5.5", 0: "0", 1275: "12.75"} {
		data, err := json.Marshal(rate)
		if err != nil || string(data) != text {
			t.Errorf("Marshal(Rate(%d)) = %s, %v; want %s", rate, data, err, text)
		}
		var back Rate
		if err := json.Unmarshal(data, &back); err != nil || back != rate {
			t.Errorf("round trip of %d gave %d, %v", rate, back, err)
		}
		if err := json.Unmarshal([]byte(`"`+text+`"`), &back); err != nil || back != rate {
			t.Errorf("string %q gave %d, %v", text, back, err)
		}
	}
	var r Rate
	for _, in := range []string{`101`, `-6`, `"abc"`, `21.001`, `false`} {
		if err := json.Unmarshal([]byte(in), &r); err == nil {
			t.Errorf("Unmarshal(%s) accepted it as %d", in, r)
		}
	}
}

func TestLineJSONRoundTrip(t *testing.T) {
	in := `{"description":"Café consulting, 1.5 h","quantity":"1.5","unit_price":85,"vat_rate":"5.5"}`
	var l Line
	if err := json.Unmarshal([]byte(in), &l); err != nil {
		t.Fatal(err)
	}
	want := Line{Description: "Café consulting, 1.5 h", Quantity: 1500, UnitPrice: 8500, VATRate: 550}
	if l != want {
		t.Fatalf("Unmarshal = %+v, want %+v", l, want)
	}
	out, err := json.Marshal(l)
	if err != nil {
		t.Fatal(err)
	}
	const wantJSON = `{"description":"Café consulting, 1.5 h","quantity":1.5,"unit_price":"85.00","vat_rate":5.5}`
	if string(out) != wantJSON {
		t.Errorf("Marshal = %s\nwant      %s", out, wantJSON)
	}
	var back Line
	if err := json.Unmarshal(out, &back); err != nil || back != want {
		t.Errorf("round trip = %+v, %v", back, err)
	}
}

func TestLineJSONNamesTheField(t *testing.T) {
	var l Line
	err := json.Unmarshal([]byte(`{"description":"x","quantity":1,"unit_price":"12.345","vat_rate":21}`), &l)
	if err == nil || !strings.Contains(err.Error(), "amount 12.345 has more than 2 decimals") {
		t.Errorf("error %v, want the amount's reason", err)
	}
}

func FuzzParseAmount(f *testing.F) {
	for _, seed := range []string{"0", "1234.50", "-0.05", "12.345", "1e3", "", "-", "007.1", "1000000000000.00", "1000000000000.01", "9223372036854775807"} {
		f.Add(seed, int64(len(seed))*1234567)
	}
	f.Add("1.5", int64(math.MinInt64))
	f.Add("-", int64(MaxAmount))
	f.Fuzz(func(t *testing.T, s string, cents int64) {
		a, err := ParseAmount(s)
		if err == nil {
			if a > MaxAmount || a < -MaxAmount {
				t.Fatalf("ParseAmount(%q) = %d, beyond the maximum", s, a)
			}
			back, err := ParseAmount(a.String())
			if err != nil || back != a {
				t.Fatalf("ParseAmount(%q) = %d, but its text %q parses to %d, %v", s, a, a.String(), back, err)
			}
		}

		x := Amount(cents)
		back, err := ParseAmount(x.String())
		inRange := x <= MaxAmount && x >= -MaxAmount
		if inRange && (err != nil || back != x) {
			t.Fatalf("ParseAmount(%q) = %d, %v; want %d", x.String(), back, err, x)
		}
		if !inRange && err == nil {
			t.Fatalf("ParseAmount(%q) accepted an amount beyond the maximum", x.String())
		}
		data, _ := json.Marshal(x)
		var fromJSON Amount
		if err := json.Unmarshal(data, &fromJSON); inRange && (err != nil || fromJSON != x) {
			t.Fatalf("JSON round trip of %d gave %d, %v", x, fromJSON, err)
		}
	})
}

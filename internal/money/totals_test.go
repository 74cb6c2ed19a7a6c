package money

import (
	"errors"
	"math/big"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
)

func line(desc, qty, price, rate string) Line {
	q, err := ParseQuantity(qty)
	if err != nil {
		panic(err)
	}
	p, err := ParseAmount(price)
	if err != nil {
		panic(err)
	}
	r, err := ParseRate(rate)
	if err != nil {
		panic(err)
	}
	return Line{Description: desc, Quantity: q, UnitPrice: p, VATRate: r}
}

func TestLineNetRoundsHalfAwayFromZero(t *testing.T) {
	tests := []struct {
		qty, price string
		want       Amount
	}{
		{"1", "100.00", 10000},
		{"0.5", "0.01", 1},       // 0.005 -> 0.01
		{"0.5", "-0.01", -1},     // -0.005 -> -0.01
		{"1.5", "0.03", 5},       // 0.045 -> 0.05
		{"1.5", "-0.03", -5},     // -0.045 -> -0.05
		{"0.499", "0.01", 0},     // 0.00499 -> 0.00
		{"0.501", "0.01", 1},     // 0.00501 -> 0.01
		{"2.333", "15.00", 3500}, // 34.995 -> 35.00
		{"2.5", "-10.01", -2503}, // -25.025 -> -25.03
		{"0.001", "0.01", 0},     // 0.00001 -> 0.00
		{"7.5", "85.00", 63750},
		{"1000000000", "1000.00", MaxAmount},
	}
	for _, tt := range tests {
		got, err := LineNet(line("x", tt.qty, tt.price, "21"))
		if err != nil {
			t.Errorf("LineNet(%s × %s): %v", tt.qty, tt.price, err)
			continue
		}
		if got != tt.want {
			t.Errorf("LineNet(%s × %s) = %s, want %s", tt.qty, tt.price, got, tt.want)
		}
	}
}

func TestVATOnRoundsHalfAwayFromZero(t *testing.T) {
	tests := []struct {
		base, rate string
		want       Amount
	}{
		{"0.50", "21", 11},   // 0.105 -> 0.11
		{"-0.50", "21", -11}, // -0.105 -> -0.11
		{"0.25", "6", 2},     // 0.015 -> 0.02
		{"-0.25", "6", -2},
		{"2.50", "6", 15},
		{"0.10", "5.5", 1}, // 0.0055 -> 0.01
		{"0.09", "5.5", 0}, // 0.00495 -> 0.00
		{"737.49", "21", 15487},
		{"100.00", "0", 0},
		{"100.00", "100", 10000},
	}
	for _, tt := range tests {
		base, _ := ParseAmount(tt.base)
		rate, _ := ParseRate(tt.rate)
		got, err := VATOn(base, rate)
		if err != nil {
			t.Errorf("VATOn(%s, %s%%): %v", tt.base, tt.rate, err)
			continue
		}
		if got != tt.want {
			t.Errorf("VATOn(%s, %s%%) = %s, want %s", tt.base, tt.rate, got, tt.want)
		}
	}
}

func TestCompute(t *testing.T) {
	tests := []struct {
		name  string
		lines []Line
		want  Totals
	}{
		{
			name:  "one line",
			lines: []Line{line("Design", "1", "100.00", "21")},
			want:  Totals{Net: 10000, VAT: 2100, Gross: 12100, ByRate: []VATBreakdown{{2100, 10000, 2100}}},
		},
		{
			name: "mixed rates 21/12/6/0 with fractional quantities",
			lines: []Line{
				line("Consulting", "7.5", "85.00", "21"),
				line("Travel", "1", "12.34", "0"),
				line("Books", "3", "19.99", "6"),
				line("Catering", "2.333", "15.00", "12"),
				line("Licence", "1", "99.99", "21"),
			},
			want: Totals{Net: 84480, VAT: 16267, Gross: 100747, ByRate: []VATBreakdown{
				{2100, 73749, 15487},
				{1200, 3500, 420},
				{600, 5997, 360},
				{0, 1234, 0},
			}},
		},
		{
			// Per line the VAT would be 0.01 + 0.01 = 0.02; per rate it is
			// 0.14 × 21% = 0.0294 -> 0.03, which is what EN 16931 asks for.
			name:  "VAT is rounded per rate, not per line",
			lines: []Line{line("a", "1", "0.07", "21"), line("b", "1", "0.07", "21")},
			want:  Totals{Net: 14, VAT: 3, Gross: 17, ByRate: []VATBreakdown{{2100, 14, 3}}},
		},
		{
			name: "credit note with negative lines",
			lines: []Line{
				line("Refund design", "1", "-100.00", "21"),
				line("Refund books", "2.5", "-10.01", "6"),
			},
			want: Totals{Net: -12503, VAT: -2250, Gross: -14753, ByRate: []VATBreakdown{
				{2100, -10000, -2100},
				{600, -2503, -150},
			}},
		},
		{
			name: "negative half cent VAT rounds away from zero",
			lines: []Line{
				line("Correction", "1", "-0.50", "21"),
			},
			want: Totals{Net: -50, VAT: -11, Gross: -61, ByRate: []VATBreakdown{{2100, -50, -11}}},
		},
		{
			name:  "lines cancelling out keep their rate",
			lines: []Line{line("Work", "1", "100.00", "21"), line("Discount", "1", "-100.00", "21")},
			want:  Totals{ByRate: []VATBreakdown{{2100, 0, 0}}},
		},
		{
			name:  "reduced rate 5.5",
			lines: []Line{line("Book", "1", "10.00", "5.5"), line("Bookmark", "1", "0.10", "5.5")},
			want:  Totals{Net: 1010, VAT: 56, Gross: 1066, ByRate: []VATBreakdown{{550, 1010, 56}}},
		},
		{
			name:  "no lines",
			lines: nil,
			want:  Totals{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Compute(tt.lines)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Compute =\n %+v\nwant\n %+v", got, tt.want)
			}
		})
	}
}

func TestComputeOrdersRatesDeterministically(t *testing.T) {
	lines := []Line{
		line("a", "1", "1.00", "0"), line("b", "1", "1.00", "6"), line("c", "1", "1.00", "21"),
		line("d", "1", "1.00", "12"), line("e", "1", "1.00", "5.5"), line("f", "1", "1.00", "6"),
	}
	want := []Rate{2100, 1200, 600, 550, 0}
	for range 50 { // map order changes between runs; the output must not
		rand.Shuffle(len(lines), func(i, j int) { lines[i], lines[j] = lines[j], lines[i] })
		totals, err := Compute(lines)
		if err != nil {
			t.Fatal(err)
		}
		var got []Rate
		for _, b := range totals.ByRate {
			got = append(got, b.Rate)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("rates %v, want %v", got, want)
		}
	}
}

func TestComputeRefusesOverflow(t *testing.T) {
	tests := []struct {
		name  string
		lines []Line
		want  string
	}{
		{"line net too large", []Line{{Description: "x", Quantity: MaxQuantity, UnitPrice: MaxAmount, VATRate: 2100}}, "line 1"},
		{"just over the max", []Line{{Description: "x", Quantity: 1001, UnitPrice: MaxAmount, VATRate: 0}}, "line 1"},
		{"sum too large", []Line{
			{Description: "x", Quantity: 1000, UnitPrice: MaxAmount, VATRate: 0},
			{Description: "y", Quantity: 1000, UnitPrice: 1, VATRate: 0},
		}, "VAT base at 0%"},
		{"gross too large", []Line{{Description: "x", Quantity: 1000, UnitPrice: MaxAmount, VATRate: 2100}}, "total gross"},
		{"unit price beyond max", []Line{{Description: "x", Quantity: 1000, UnitPrice: MaxAmount + 1, VATRate: 0}}, "unit price"},
		{"int64 extremes", []Line{{Description: "x", Quantity: -1 << 63, UnitPrice: -1 << 63, VATRate: 0}}, "line 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Compute(tt.lines)
			if !errors.Is(err, ErrOverflow) {
				t.Fatalf("error %v, want ErrOverflow", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q, want it to mention %q", err, tt.want)
			}
		})
	}
}

func TestComputeRefusesInvalidRate(t *testing.T) {
	_, err := Compute([]Line{line("a", "1", "1.00", "21"), {Description: "b", Quantity: 1000, UnitPrice: 100, VATRate: 10001}})
	if err == nil || !strings.Contains(err.Error(), "line 2: VAT rate 100.01 is out of range") {
		t.Errorf("error %v", err)
	}
}

// mulDivRound against math/big as an independent oracle.
func TestMulDivRoundMatchesBig(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	bound := func(max int64) int64 { return r.Int64N(2*max+1) - max }
	for range 20000 {
		x := bound(int64(MaxQuantity))
		if r.IntN(2) == 0 {
			x = bound(3000) // small values hit the .5 boundary often
		}
		y := bound(int64(MaxAmount))
		if r.IntN(2) == 0 {
			y = bound(5000)
		}
		divisor := []int64{1000, 10000}[r.IntN(2)]
		want, fits := bigMulDivRound(x, y, divisor)
		got, err := mulDivRound(x, y, divisor)
		if !fits {
			if err == nil {
				t.Fatalf("mulDivRound(%d, %d, %d) = %d, want overflow", x, y, divisor, got)
			}
			continue
		}
		if err != nil || int64(got) != want {
			t.Fatalf("mulDivRound(%d, %d, %d) = %d, %v; want %d", x, y, divisor, got, err, want)
		}
	}
}

func bigMulDivRound(x, y, divisor int64) (int64, bool) {
	product := new(big.Int).Mul(big.NewInt(x), big.NewInt(y))
	negative := product.Sign() < 0
	product.Abs(product)
	quotient, remainder := new(big.Int).QuoRem(product, big.NewInt(divisor), new(big.Int))
	if remainder.Mul(remainder, big.NewInt(2)).Cmp(big.NewInt(divisor)) >= 0 {
		quotient.Add(quotient, big.NewInt(1))
	}
	if negative {
		quotient.Neg(quotient)
	}
	if quotient.CmpAbs(big.NewInt(int64(MaxAmount))) > 0 {
		return 0, false
	}
	return quotient.Int64(), true
}

func TestLineValidate(t *testing.T) {
	good := line("Design work", "1.5", "80.00", "21")
	if err := good.Validate(); err != nil {
		t.Fatalf("valid line refused: %v", err)
	}
	credit := line("Refund", "1", "-80.00", "21")
	if err := credit.Validate(); err != nil {
		t.Fatalf("negative price refused: %v", err)
	}
	tests := []struct {
		name string
		edit func(*Line)
		want string
	}{
		{"blank description", func(l *Line) { l.Description = "  " }, "description is empty"},
		{"zero quantity", func(l *Line) { l.Quantity = 0 }, "quantity 0 must be greater than 0"},
		{"negative quantity", func(l *Line) { l.Quantity = -1500 }, "quantity -1.5 must be greater than 0"},
		{"price beyond max", func(l *Line) { l.UnitPrice = MaxAmount + 1 }, "unit price 1000000000000.01 is out of range"},
		{"rate beyond 100%", func(l *Line) { l.VATRate = 10001 }, "VAT rate 100.01 is out of range"},
		{"negative rate", func(l *Line) { l.VATRate = -100 }, "VAT rate -1 is out of range"},
	}
	for _, tt := range tests {
		l := good
		tt.edit(&l)
		err := l.Validate()
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %v, want %q", tt.name, err, tt.want)
		}
	}
}

func TestValidateLinesNamesEachLine(t *testing.T) {
	if err := ValidateLines(nil); err == nil || err.Error() != "there are no lines" {
		t.Errorf("no lines: %v", err)
	}
	lines := []Line{
		line("ok", "1", "1.00", "21"),
		{Description: "", Quantity: 0, UnitPrice: 100, VATRate: 2100},
		line("ok too", "2", "3.00", "6"),
		{Description: "rate", Quantity: 1000, UnitPrice: 100, VATRate: 20000},
	}
	err := ValidateLines(lines)
	if err == nil {
		t.Fatal("invalid lines accepted")
	}
	want := "line 2: description is empty; quantity 0 must be greater than 0\nline 4: VAT rate 200 is out of range (0 to 100 percent)"
	if err.Error() != want {
		t.Errorf("error\n%s\nwant\n%s", err, want)
	}
	var parseErr *ParseError
	if !errors.As(err, &parseErr) {
		t.Errorf("the cause is lost: %T", err)
	}
}

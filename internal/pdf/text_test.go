package pdf

import (
	"strings"
	"testing"
)

func TestPrintable(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Łódź Straße Café € 5", "Łódź Straße Café € 5"},
		{"Ωмега → × «»", "Ωмега → × «»"},
		{"tab\tnew\nline\r\n", "tab new line  "},
		{"nbsp\u00a0here", "nbsp here"},
		{"zero\u200bwidth\x00null", "zerowidthnull"},
		{"emoji 🎉", "emoji \uFFFD"},
		{"CJK 漢字", "CJK \uFFFD\uFFFD"},
		{"bad \xff byte", "bad \uFFFD byte"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := printable(tt.in); got != tt.want {
			t.Errorf("printable(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestBreakLongWordsKeepsShortTextAndSplitsLongWords(t *testing.T) {
	short := "Workshop facilitation, 2 days"
	if got := breakLongWords(short, 60, 9, false); got != short {
		t.Errorf("short text changed to %q", got)
	}

	long := strings.Repeat("W", 80) // W is one of the widest glyphs
	got := breakLongWords("IBAN "+long, 40, 9, false)
	pieces := strings.Fields(got)
	if len(pieces) < 3 {
		t.Fatalf("80 W's in 40 mm gave %d pieces: %q", len(pieces), got)
	}
	if strings.Join(pieces[1:], "") != long {
		t.Errorf("characters were lost or added: %q", got)
	}
	// At 9 pt a DejaVu W is about 3.1 mm wide, so a 40 mm piece holds at most 12.
	for i, p := range pieces[1:] {
		n := len(p)
		if n > 12 {
			t.Errorf("piece of %d W's cannot fit in 40 mm", n)
		}
		if last := i == len(pieces)-2; !last && n < 12 {
			t.Errorf("piece of %d W's wastes space: 12 fit", n)
		}
	}
	// Bold is wider, so it needs at least as many pieces.
	if bold := strings.Fields(breakLongWords(long, 40, 9, true)); len(bold) < len(pieces)-1 {
		t.Errorf("bold split into %d pieces, regular into %d", len(bold), len(pieces)-1)
	}
}

package pdf

import (
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/image/font"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"
)

// replacement stands in for a character the document cannot print.
const replacement = '\uFFFD'

// glyphSet tells which runes both embedded faces can draw.
type glyphSet struct {
	faces []*sfnt.Font
}

var glyphs = sync.OnceValue(func() glyphSet {
	var set glyphSet
	for _, data := range [][]byte{dejaVuSans, dejaVuSansBold} {
		f, err := sfnt.Parse(data)
		if err != nil {
			// The fonts are embedded at build time, so this is a broken
			// build; an empty set still prints ASCII, keeping documents readable.
			return glyphSet{}
		}
		set.faces = append(set.faces, f)
	}
	return set
})

func (g glyphSet) has(buf *sfnt.Buffer, r rune) bool {
	if r < unicode.MaxASCII {
		return true
	}
	if len(g.faces) == 0 {
		return false
	}
	for _, f := range g.faces {
		if i, err := f.GlyphIndex(buf, r); err != nil || i == 0 {
			return false
		}
	}
	return true
}

// printable makes text safe to draw: gofpdf crashes on runes beyond the
// Basic Multilingual Plane (emoji), control characters would print as boxes,
// and characters the font lacks would vanish. Whitespace becomes one space;
// anything else that cannot be drawn becomes U+FFFD, so a reader sees that a
// character was there.
func printable(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	set := glyphs()
	var buf sfnt.Buffer
	for _, r := range s {
		switch {
		case r == utf8.RuneError:
			b.WriteRune(replacement)
		case unicode.IsSpace(r):
			b.WriteByte(' ')
		case unicode.IsControl(r) || unicode.Is(unicode.Cf, r):
			// drop: zero-width and control characters have nothing to show
		case r > 0xFFFF || !set.has(&buf, r):
			b.WriteRune(replacement)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// breakLongWords splits any word too wide for maxWidth millimetres at the
// given size, so an IBAN-like run of characters wraps inside its column
// instead of running over the next one or off the page. Words that fit are
// left alone.
func breakLongWords(s string, maxWidth, sizePt float64, bold bool) string {
	set := glyphs()
	if len(set.faces) == 0 || maxWidth <= 0 {
		return s
	}
	face := set.faces[0]
	if bold {
		face = set.faces[1]
	}
	var buf sfnt.Buffer
	upem := fixed.Int26_6(face.UnitsPerEm()) << 6
	mmPerUnit := sizePt * 25.4 / 72 / float64(face.UnitsPerEm())
	runeWidth := func(r rune) float64 {
		i, err := face.GlyphIndex(&buf, r)
		if err != nil {
			return 0
		}
		adv, err := face.GlyphAdvance(&buf, i, upem, font.HintingNone)
		if err != nil {
			return 0
		}
		return float64(adv) / 64 * mmPerUnit
	}

	words := strings.Split(s, " ")
	for i, w := range words {
		var pieces []string
		var piece strings.Builder
		width := 0.0
		for _, r := range w {
			rw := runeWidth(r)
			if piece.Len() > 0 && width+rw > maxWidth {
				pieces = append(pieces, piece.String())
				piece.Reset()
				width = 0
			}
			piece.WriteRune(r)
			width += rw
		}
		words[i] = strings.Join(append(pieces, piece.String()), " ")
	}
	return strings.Join(words, " ")
}

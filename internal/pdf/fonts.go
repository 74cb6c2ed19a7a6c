package pdf

import (
	"bytes"
	_ "embed"

	"github.com/johnfercher/maroto/v2/pkg/consts/fontstyle"
	"github.com/johnfercher/maroto/v2/pkg/core/entity"
)

// DejaVu Sans covers Latin, Greek and Cyrillic with their accents and the €
// sign; it is embedded so rendering never depends on the host's fonts.
// License: fonts/LICENSE (Bitstream Vera license, DejaVu changes public domain).
var (
	//go:embed fonts/DejaVuSans.ttf
	dejaVuSans []byte
	//go:embed fonts/DejaVuSans-Bold.ttf
	dejaVuSansBold []byte
)

const fontFamily = "dejavu"

// customFonts hands every render its own copy of the font files: gofpdf
// writes into the font bytes it is given while subsetting (padding for its
// checksums), so sharing them between concurrent renders is a data race.
func customFonts() []*entity.CustomFont {
	return []*entity.CustomFont{
		{Family: fontFamily, Style: fontstyle.Normal, Bytes: bytes.Clone(dejaVuSans)},
		{Family: fontFamily, Style: fontstyle.Bold, Bytes: bytes.Clone(dejaVuSansBold)},
	}
}

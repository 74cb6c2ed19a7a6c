package pdf

import (
	"bytes"
	"fmt"
	"regexp"
	"time"

	"github.com/johnfercher/maroto/v2"
	"github.com/johnfercher/maroto/v2/pkg/config"
	"github.com/johnfercher/maroto/v2/pkg/consts/pagesize"
	"github.com/johnfercher/maroto/v2/pkg/core/entity"
	"github.com/johnfercher/maroto/v2/pkg/props"
	"github.com/phpdave11/gofpdf"

	"github.com/orderflow/orderflow/internal/money"
)

func init() {
	// gofpdf writes fonts and other resources by ranging over maps unless
	// catalog sorting is on; only this package renders PDFs, and setting the
	// default once before any render keeps every document byte-stable.
	gofpdf.SetDefaultCatalogSort(true)
}

// Render validates the document and draws it as an A4 PDF. Errors wrapping
// ErrInvalidDocument mean the document itself must change.
func Render(d Document) ([]byte, error) {
	if err := d.Validate(); err != nil {
		return nil, err
	}
	totals, err := money.Compute(d.Lines)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidDocument, err)
	}

	out, err := generate(d, totals)
	if err != nil {
		return nil, err
	}
	return pinModificationDate(out, d.IssueDate)
}

// generate draws the document. The PDF libraries panic on some inputs they
// do not expect; printable removes the known ones, and the recover turns any
// other into an error instead of a crashed worker.
func generate(d Document, totals money.Totals) (pdf []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("generate pdf: library panic: %v", r)
		}
	}()
	m := maroto.New(pageConfig(d))
	l := layout{doc: d, totals: totals}
	if err := m.RegisterFooter(l.footer()...); err != nil {
		return nil, fmt.Errorf("pdf footer: %w", err)
	}
	m.AddRows(l.rows()...)
	out, err := m.Generate()
	if err != nil {
		return nil, fmt.Errorf("generate pdf: %w", err)
	}
	return out.GetBytes(), nil
}

func pageConfig(d Document) *entity.Config {
	return config.NewBuilder().
		WithPageSize(pagesize.A4).
		WithLeftMargin(marginLeft).
		WithRightMargin(marginRight).
		WithTopMargin(marginTop).
		WithBottomMargin(marginBottom).
		WithMaxGridSize(gridSize).
		WithCustomFonts(customFonts()).
		WithDefaultFont(&props.Font{Family: fontFamily, Size: defaultFontSize, Color: &ink}).
		WithPageNumber(props.PageNumber{
			Pattern: "Page {current} of {total}",
			Place:   props.RightBottom,
			Family:  fontFamily,
			Size:    7.5,
			Color:   &muted,
		}).
		WithCompression(true).
		WithCreationDate(d.IssueDate).
		WithTitle(printable(d.title()), true).
		WithSubject(printable("Order "+d.Reference), true).
		WithAuthor(printable(d.issuer().displayName()), true).
		WithCreator("orderflow", false).
		Build()
}

// modDate matches the ModDate gofpdf stamps with the current time; maroto
// offers no way to set it.
var modDate = regexp.MustCompile(`/ModDate \(D:\d{14}\)`)

// pinModificationDate replaces the render time with the issue date so the
// bytes depend on the document alone. The replacement has the same length,
// so the cross-reference offsets stay right.
func pinModificationDate(pdf []byte, issued time.Time) ([]byte, error) {
	matches := modDate.FindAllIndex(pdf, -1)
	if len(matches) != 1 {
		return nil, fmt.Errorf("pdf: expected one ModDate entry, found %d", len(matches))
	}
	stamp := []byte("/ModDate (D:" + issued.Format("20060102150405") + ")")
	start, end := matches[0][0], matches[0][1]
	if len(stamp) != end-start {
		return nil, fmt.Errorf("pdf: issue date %v does not format as a 14-digit PDF date", issued)
	}
	return bytes.Join([][]byte{pdf[:start], stamp, pdf[end:]}, nil), nil
}

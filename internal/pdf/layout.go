package pdf

import (
	"strings"

	"github.com/johnfercher/maroto/v2/pkg/components/col"
	"github.com/johnfercher/maroto/v2/pkg/components/row"
	"github.com/johnfercher/maroto/v2/pkg/components/text"
	"github.com/johnfercher/maroto/v2/pkg/consts/align"
	"github.com/johnfercher/maroto/v2/pkg/consts/border"
	"github.com/johnfercher/maroto/v2/pkg/consts/fontstyle"
	"github.com/johnfercher/maroto/v2/pkg/core"
	"github.com/johnfercher/maroto/v2/pkg/props"

	"github.com/orderflow/orderflow/internal/money"
)

// gridSize is the number of columns a row is divided into; 24 gives the
// lines table finer widths than maroto's default 12.
const gridSize = 24

// Page geometry in millimetres and the body text size in points.
const (
	pageWidth       = 210.0 // A4
	marginLeft      = 18.0
	marginRight     = 18.0
	marginTop       = 16.0
	marginBottom    = 12.0
	contentWidth    = pageWidth - marginLeft - marginRight
	defaultFontSize = 9.0
)

var (
	ink       = props.Color{Red: 33, Green: 37, Blue: 41}
	muted     = props.Color{Red: 100, Green: 108, Blue: 117}
	accent    = props.Color{Red: 25, Green: 70, Blue: 115}
	draftRed  = props.Color{Red: 190, Green: 25, Blue: 25}
	tableFill = props.Color{Red: 232, Green: 237, Blue: 243}
	ruleGrey  = props.Color{Red: 205, Green: 210, Blue: 215}
)

// span is one printed line of a block: its text and how it looks.
type span struct {
	text  string
	style props.Text
}

func plain(s string) span { return span{s, props.Text{Bottom: 0.6}} }
func bold(s string) span {
	return span{s, props.Text{Style: fontstyle.Bold, Bottom: 0.6}}
}
func small(s string) span {
	return span{s, props.Text{Size: 8, Color: &muted, Bottom: 0.6}}
}
func label(s string) span {
	return span{strings.ToUpper(s), props.Text{Size: 7.5, Style: fontstyle.Bold, Color: &muted, Bottom: 1.2}}
}

// layout turns a valid document and its totals into maroto rows.
type layout struct {
	doc    Document
	totals money.Totals
}

func (l layout) rows() []core.Row {
	var rows []core.Row
	rows = append(rows, l.heading()...)
	if l.doc.Kind == InvoiceDraft {
		rows = append(rows, spacer(4), draftBanner())
	}
	rows = append(rows, spacer(8))
	rows = append(rows, l.parties()...)
	rows = append(rows, spacer(8))
	rows = append(rows, l.lineTable()...)
	rows = append(rows, spacer(5))
	rows = append(rows, l.summary()...)
	rows = append(rows, l.notes()...)
	return rows
}

// heading puts the issuer on the left and the title, number and dates on the right.
func (l layout) heading() []core.Row {
	d := l.doc
	titleColor := &accent
	if d.Kind == InvoiceDraft {
		titleColor = &draftRed
	}
	issuer := d.issuer()
	left := []span{{issuer.displayName(), props.Text{Size: 15, Style: fontstyle.Bold, Color: &accent, Bottom: 1.5}}}
	left = append(left, partyDetails(issuer, false)...)

	right := []span{{d.title(), props.Text{Size: 18, Style: fontstyle.Bold, Color: titleColor, Align: align.Right, Bottom: 2}}}
	for _, f := range d.headingFields() {
		right = append(right, span{f.name + ": " + f.value, props.Text{Align: align.Right, Bottom: 0.6}})
	}
	return pairedRows(left, 13, right, 11)
}

type field struct{ name, value string }

func (d Document) headingFields() []field {
	var fields []field
	if d.Number != "" {
		fields = append(fields, field{d.numberLabel(), d.Number})
	}
	fields = append(fields, field{"Issue date", formatDate(d.IssueDate)})
	if d.DueDate != nil {
		fields = append(fields, field{"Due date", formatDate(*d.DueDate)})
	}
	fields = append(fields, field{"Order", d.Reference})
	if d.Kind == CreditNote && !d.CreditsOrder {
		fields = append(fields, field{"Credits invoice", d.CreditedInvoice})
	}
	return fields
}

func draftBanner() core.Row {
	return row.New().Add(
		textCol(gridSize, "DRAFT — NOT AN INVOICE · NO NUMBER YET · DO NOT PAY", props.Text{
			Size: 13, Style: fontstyle.Bold, Color: &draftRed, Align: align.Center, Top: 2.5, Bottom: 2.5,
		}).WithStyle(&props.Cell{BorderType: border.Full, BorderColor: &draftRed, BorderThickness: 0.6}),
	)
}

// parties shows who the document is addressed to, and beside it the period or
// delivery the document is about.
func (l layout) parties() []core.Row {
	d := l.doc
	recipient := d.recipient()
	left := []span{label(d.recipientLabel())}
	left = append(left, partyDetails(recipient, true)...)

	var right []span
	if p := d.ServicePeriod; p != nil {
		right = append(right, label("Service period"), plain(formatDate(p.Start)+" – "+formatDate(p.End)), spacerSpan())
	}
	if del := d.Delivery; del != nil {
		right = append(right, label("Deliver to"))
		for _, a := range del.Address {
			right = append(right, plain(a))
		}
		if del.Region != "" {
			right = append(right, plain("Region: "+del.Region))
		}
		if !del.RequestedDate.IsZero() {
			right = append(right, bold("Requested delivery: "+formatDate(del.RequestedDate)))
		}
	}
	return pairedRows(left, 12, right, 12)
}

func spacerSpan() span { return span{" ", props.Text{Size: 4}} }

// partyDetails lists a party's lines; withName prints the display name first
// (the heading prints it larger itself).
func partyDetails(p Party, withName bool) []span {
	var spans []span
	if withName {
		spans = append(spans, bold(p.displayName()))
	}
	if p.Company != "" && p.Name != "" {
		spans = append(spans, plain(p.Name))
	}
	for _, a := range p.Address {
		if strings.TrimSpace(a) != "" {
			spans = append(spans, plain(a))
		}
	}
	if p.VATNumber != "" {
		spans = append(spans, plain("VAT: "+p.VATNumber))
	}
	if p.Email != "" {
		spans = append(spans, small(p.Email))
	}
	return spans
}

// Widths of the lines table columns, out of gridSize.
const (
	descWidth  = 11
	qtyWidth   = 2
	priceWidth = 4
	rateWidth  = 2
	netWidth   = 5
)

func (l layout) lineTable() []core.Row {
	head := props.Text{Style: fontstyle.Bold, Size: 8, Top: 1.8, Bottom: 1.8}
	rows := []core.Row{row.New().Add(
		textCol(descWidth, "Description", withPad(head, align.Left)),
		textCol(qtyWidth, "Qty", withPad(head, align.Right)),
		textCol(priceWidth, "Unit price", withPad(head, align.Right)),
		textCol(rateWidth, "VAT", withPad(head, align.Right)),
		textCol(netWidth, "Net amount", withPad(head, align.Right)),
	).WithStyle(&props.Cell{BackgroundColor: &tableFill})}

	cur := l.doc.currency()
	cell := props.Text{Top: 1.8, Bottom: 1.8, VerticalPadding: 0.6}
	for _, line := range l.doc.Lines {
		net, _ := money.LineNet(line) // Compute already succeeded on these lines
		rows = append(rows, row.New().Add(
			textCol(descWidth, line.Description, withPad(cell, align.Left)),
			textCol(qtyWidth, line.Quantity.String(), withPad(cell, align.Right)),
			textCol(priceWidth, money.Format(line.UnitPrice, cur), withPad(cell, align.Right)),
			textCol(rateWidth, line.VATRate.String()+"%", withPad(cell, align.Right)),
			textCol(netWidth, money.Format(net, cur), withPad(cell, align.Right)),
		).WithStyle(&props.Cell{BorderType: border.Bottom, BorderColor: &ruleGrey, BorderThickness: 0.2}))
	}
	return rows
}

// withPad keeps text off the cell edges: the first and last columns of a
// table line up with the page margin plus a little air.
func withPad(p props.Text, a align.Type) props.Text {
	p.Align = a
	p.Left, p.Right = 1.5, 1.5
	return p
}

// summary is the VAT breakdown per rate followed by the totals, on the right half.
func (l layout) summary() []core.Row {
	cur := l.doc.currency()
	const offset, labelWidth, baseWidth, valueWidth = 10, 5, 4, 5

	head := props.Text{Style: fontstyle.Bold, Size: 8, Top: 1.5, Bottom: 1.5}
	shaded := &props.Cell{BackgroundColor: &tableFill}
	rows := []core.Row{row.New().Add(
		col.New(offset),
		textCol(labelWidth, "VAT rate", withPad(head, align.Left)).WithStyle(shaded),
		textCol(baseWidth, "Taxable amount", withPad(head, align.Right)).WithStyle(shaded),
		textCol(valueWidth, "VAT", withPad(head, align.Right)).WithStyle(shaded),
	)}

	cell := props.Text{Top: 1.3, Bottom: 1.3}
	for _, b := range l.totals.ByRate {
		rows = append(rows, row.New().Add(
			col.New(offset),
			textCol(labelWidth, "VAT "+b.Rate.String()+"%", withPad(cell, align.Left)),
			textCol(baseWidth, money.Format(b.Base, cur), withPad(cell, align.Right)),
			textCol(valueWidth, money.Format(b.VAT, cur), withPad(cell, align.Right)),
		))
	}

	rows = append(rows, spacer(3))
	totalRow := func(name string, amount money.Amount, style props.Text) core.Row {
		return row.New().Add(
			col.New(offset),
			textCol(labelWidth+baseWidth, name, withPad(style, align.Left)),
			textCol(valueWidth, money.Format(amount, cur), withPad(style, align.Right)),
		)
	}
	rows = append(rows,
		totalRow("Total excl. VAT", l.totals.Net, cell),
		totalRow("Total VAT", l.totals.VAT, cell),
	)
	grand := totalRow(l.doc.grossLabel(), l.totals.Gross, props.Text{Style: fontstyle.Bold, Size: 11, Top: 2, Bottom: 2})
	for _, c := range grand.GetColumns()[1:] {
		c.WithStyle(&props.Cell{BorderType: border.Top, BorderColor: &ink, BorderThickness: 0.4})
	}
	return append(rows, grand)
}

func (l layout) notes() []core.Row {
	notes := l.doc.notesToPrint()
	if len(notes) == 0 {
		return nil
	}
	rows := []core.Row{spacer(10), textRow("NOTES", props.Text{Size: 7.5, Style: fontstyle.Bold, Color: &muted, Bottom: 1.5})}
	for _, n := range notes {
		rows = append(rows, textRow(n, props.Text{Bottom: 1.2}))
	}
	return rows
}

// footer repeats what the document is on every page, so a loose page is
// still identifiable.
func (l layout) footer() []core.Row {
	d := l.doc
	parts := []string{d.title()}
	if d.Number != "" {
		parts = append(parts, d.Number)
	}
	parts = append(parts, "order "+d.Reference)
	// maroto prints the page number just below the last row's bottom edge;
	// pushing this text down by the row's height puts both on one line.
	const height = 5
	style := props.Text{Size: 7.5, Color: &muted, Top: height}
	if d.Kind == InvoiceDraft {
		style.Color, style.Style = &draftRed, fontstyle.Bold
		parts = append(parts, "not valid as an invoice")
	}
	return []core.Row{row.New(height).Add(textCol(19, strings.Join(parts, " · "), style), col.New(5)).
		WithStyle(&props.Cell{BorderType: border.Bottom, BorderColor: &ruleGrey, BorderThickness: 0.2})}
}

// pairedRows sets two blocks of lines side by side, one row per line, so a
// line that wraps pushes the rest down instead of overlapping it.
func pairedRows(left []span, leftWidth int, right []span, rightWidth int) []core.Row {
	n := max(len(left), len(right))
	rows := make([]core.Row, 0, n)
	for i := range n {
		rows = append(rows, row.New().Add(spanCol(left, i, leftWidth), spanCol(right, i, rightWidth)))
	}
	return rows
}

func spanCol(spans []span, i, width int) core.Col {
	if i >= len(spans) {
		return col.New(width)
	}
	return textCol(width, spans[i].text, spans[i].style)
}

// textCol and textRow are the only ways text reaches the page, so every
// string is made printable first.
func textCol(width int, s string, style props.Text) core.Col {
	return text.NewCol(width, fitted(s, width, style), style)
}

func textRow(s string, style props.Text) core.Row {
	return text.NewAutoRow(fitted(s, gridSize, style), style)
}

// fitted makes s printable and breaks words wider than a column of width
// grid units.
func fitted(s string, width int, style props.Text) string {
	size := style.Size
	if size == 0 {
		size = defaultFontSize
	}
	available := float64(width)/gridSize*contentWidth - style.Left - style.Right
	return breakLongWords(printable(s), available, size, style.Style == fontstyle.Bold)
}

func spacer(height float64) core.Row {
	return row.New(height).Add(col.New(gridSize))
}

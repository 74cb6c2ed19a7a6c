package ubl

import (
	"bytes"
	"encoding/xml"
	"strings"
)

// writer writes indented XML by hand: encoding/xml cannot write the cbc:/cac:
// prefixes UBL readers expect, and a hand-written order of elements is the
// schema's order, which a struct would only hide.
type writer struct {
	buf   bytes.Buffer
	depth int
}

// attr is one attribute; a slice of them keeps their order fixed.
type attr struct{ name, value string }

func (w *writer) indent() {
	w.buf.WriteString(strings.Repeat("  ", w.depth))
}

func (w *writer) startTag(name string, attrs []attr) {
	w.indent()
	w.buf.WriteString("<" + name)
	for _, a := range attrs {
		w.buf.WriteString(" " + a.name + `="`)
		escape(&w.buf, a.value)
		w.buf.WriteString(`"`)
	}
	w.buf.WriteString(">")
}

// open starts an element whose content is other elements.
func (w *writer) open(name string, attrs ...attr) {
	w.startTag(name, attrs)
	w.buf.WriteString("\n")
	w.depth++
}

func (w *writer) close(name string) {
	w.depth--
	w.indent()
	w.buf.WriteString("</" + name + ">\n")
}

// leaf writes an element holding text.
func (w *writer) leaf(name, text string, attrs ...attr) {
	w.startTag(name, attrs)
	escape(&w.buf, text)
	w.buf.WriteString("</" + name + ">\n")
}

// leafIf writes the element only when text is not blank: UBL forbids empty
// elements (UBL 2.1 §4.3).
func (w *writer) leafIf(name, text string, attrs ...attr) {
	if strings.TrimSpace(text) != "" {
		w.leaf(name, text, attrs...)
	}
}

func escape(buf *bytes.Buffer, s string) {
	_ = xml.EscapeText(buf, []byte(s)) // writing to a bytes.Buffer cannot fail
}

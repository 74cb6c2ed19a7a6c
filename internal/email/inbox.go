package email

import (
	"embed"
	"io"
	"regexp"
	"strings"

	"github.com/orderflow/orderflow/internal/webpage"
)

//go:embed inbox.html
var inboxFiles embed.FS

// inboxPage is the inbox in the layout the HTML pages share.
var inboxPage = webpage.MustParse(inboxFiles, "inbox.html")

// RenderInbox writes the dev-mode inbox page: every message with its
// headers, the text body with its links made clickable and the HTML body in
// a sandboxed frame (no scripts; its links open in a new tab).
func RenderInbox(w io.Writer, mails []Captured) error {
	view := make([]inboxMail, len(mails))
	for i, m := range mails {
		view[i] = inboxMail{
			Captured:  m,
			TextParts: linkify(m.Text),
			// The frame has a document of its own: make its links leave it.
			Srcdoc: `<base target="_blank">` + m.HTML,
		}
	}
	return webpage.Render(w, inboxPage, view)
}

type inboxMail struct {
	Captured
	TextParts []textPart
	Srcdoc    string
}

// textPart is a run of plain text or one URL.
type textPart struct{ Text, URL string }

var urlPattern = regexp.MustCompile(`https?://[^\s<>"]+`)

// linkify splits text into plain runs and URLs. Punctuation that ends a
// sentence is left out of the URL before it.
func linkify(text string) []textPart {
	var parts []textPart
	rest := 0
	for _, loc := range urlPattern.FindAllStringIndex(text, -1) {
		start, end := loc[0], loc[1]
		end = start + len(strings.TrimRight(text[start:end], ".,;:!?)]}'"))
		if start > rest {
			parts = append(parts, textPart{Text: text[rest:start]})
		}
		parts = append(parts, textPart{URL: text[start:end]})
		rest = end
	}
	if rest < len(text) {
		parts = append(parts, textPart{Text: text[rest:]})
	}
	return parts
}

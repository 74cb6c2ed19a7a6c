// Package webpage is the page layout the server's HTML pages share: the
// client's confirmation page (clientpage), the pay page (payments) and the
// dev-mode captured-mail inbox (email). It holds the document around a page
// (language, viewport for phones, no indexing, no Referer, the title, the
// base styles) and the headers of a page whose URL is a bearer link; each
// page keeps its own body template in its own package.
//
// A page's templates define three names:
//
//	{{define "title"}}…{{end}}   the document title; " · orderflow" follows it
//	{{define "content"}}…{{end}} what goes inside <main>
//	{{define "style"}}…{{end}}   optional: the page's own CSS, after the base styles
//
// html/template escapes everything the page's data puts in, in the title as
// in the content.
package webpage

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"net/http"
)

//go:embed layout.html
var layoutSource string

// layout is never executed itself, only cloned: html/template refuses to
// clone a template that has run.
var layout = template.Must(template.New("layout.html").Parse(layoutSource))

// Parse returns the layout with a page's templates, read from the files of
// fsys that match patterns (as template.ParseFS).
func Parse(fsys fs.FS, patterns ...string) (*template.Template, error) {
	t, err := layout.Clone()
	if err != nil {
		return nil, fmt.Errorf("webpage: %w", err)
	}
	return t.ParseFS(fsys, patterns...)
}

// MustParse is Parse for the pages a package parses at start-up from its
// embedded files: a broken template is a build defect that the package's
// tests catch, never input, so it panics.
func MustParse(fsys fs.FS, patterns ...string) *template.Template {
	return template.Must(Parse(fsys, patterns...))
}

// Render writes page, as Parse returned it, filled with data.
func Render(w io.Writer, page *template.Template, data any) error {
	if err := page.ExecuteTemplate(w, "layout", data); err != nil {
		return fmt.Errorf("render page: %w", err)
	}
	return nil
}

// ProtectLink sets the headers of a page whose URL is a bearer link (the
// client's confirmation page, the pay page): keep the token out of caches,
// Referer headers and frames (a framed Confirm or Pay button could be
// clicked by someone else's page). The policy allows what the layout uses,
// an inline style sheet, and forms that post to the page's own site.
func ProtectLink(h http.Header) {
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
}

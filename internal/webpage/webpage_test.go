package webpage

import (
	"net/http"
	"strings"
	"testing"
	"testing/fstest"
)

// testFiles is a page as a surface writes it: a title, a style and content.
var testFiles = fstest.MapFS{
	"page.html": {Data: []byte(`{{define "title"}}Order {{.Title}}{{end}}
{{define "style"}}  .total { font-weight: 700; }{{end}}
{{define "content"}}<h1>{{.Title}}</h1><p class="total">{{.Body}}</p><a href="{{.Link}}">more</a>{{end}}`)},
	"plain.html": {Data: []byte(`{{define "title"}}Plain{{end}}{{define "content"}}<p>{{.}}</p>{{end}}`)},
}

func render(t *testing.T, name string, data any) string {
	t.Helper()
	page, err := Parse(testFiles, name)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := Render(&b, page, data); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

type pageData struct{ Title, Body, Link string }

func TestLayoutWrapsThePage(t *testing.T) {
	page := render(t, "page.html", pageData{Title: "42", Body: "€ 12.00", Link: "/pay/t"})
	for _, want := range []string{
		"<!DOCTYPE html>",
		`<html lang="en">`,
		`<meta charset="utf-8">`,
		`<meta name="viewport" content="width=device-width, initial-scale=1">`,
		`<meta name="robots" content="noindex, nofollow">`,
		`<meta name="referrer" content="no-referrer">`,
		"<title>Order 42 · orderflow</title>",
		":focus-visible",
		"<main>\n<h1>42</h1>",
		`<p class="total">€ 12.00</p>`,
		`<a href="/pay/t">more</a>`,
		"</main>\n</body>\n</html>",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %q:\n%s", want, page)
		}
	}
	// The page's own rules come after the shared ones, so that they win.
	base, own := strings.Index(page, "main { max-width"), strings.Index(page, ".total { font-weight: 700; }")
	if base < 0 || own < base || own > strings.Index(page, "</style>") {
		t.Errorf("the page's style is not in the style sheet after the base rules:\n%s", page)
	}
	if strings.Contains(page, "<script") {
		t.Error("the layout uses JavaScript")
	}
}

func TestLayoutEscapesThePageData(t *testing.T) {
	page := render(t, "page.html", pageData{
		Title: `</title><script>alert(1)</script>`,
		Body:  `<img src=x onerror=alert(2)> & more`,
		Link:  `javascript:alert(3)`,
	})
	for _, raw := range []string{"<script>", "<img src=x", `href="javascript:`} {
		if strings.Contains(page, raw) {
			t.Errorf("the page contains unescaped %q:\n%s", raw, page)
		}
	}
	for _, escaped := range []string{
		"<title>Order &lt;/title&gt;&lt;script&gt;alert(1)&lt;/script&gt; · orderflow</title>",
		"<h1>&lt;/title&gt;&lt;script&gt;alert(1)&lt;/script&gt;</h1>",
		"&lt;img src=x onerror=alert(2)&gt; &amp; more",
		`href="#ZgotmplZ"`,
	} {
		if !strings.Contains(page, escaped) {
			t.Errorf("the page lacks the escaped %q:\n%s", escaped, page)
		}
	}
}

func TestStyleIsOptional(t *testing.T) {
	page := render(t, "plain.html", "hello")
	if !strings.Contains(page, "<title>Plain · orderflow</title>") || !strings.Contains(page, "<p>hello</p>") {
		t.Errorf("a page without a style:\n%s", page)
	}
}

// Each Parse gets its own copy of the layout: one page's templates never
// leak into another's, and rendering one page does not stop the next Parse.
func TestPagesAreIndependent(t *testing.T) {
	first := render(t, "page.html", pageData{Title: "1"})
	second := render(t, "plain.html", "x")
	if strings.Contains(second, ".total") || strings.Contains(second, "Order") {
		t.Errorf("the second page carries the first page's templates:\n%s", second)
	}
	if !strings.Contains(first, ".total") {
		t.Error("the first page lost its style")
	}
}

func TestParseRefusesABrokenPage(t *testing.T) {
	broken := fstest.MapFS{"broken.html": {Data: []byte(`{{define "content"}}{{.Title}{{end}}`)}}
	if _, err := Parse(broken, "broken.html"); err == nil {
		t.Error("a template that does not parse was accepted")
	}
	if _, err := Parse(testFiles, "missing.html"); err == nil {
		t.Error("a pattern that matches no file was accepted")
	}
}

func TestRenderReportsAPageWithoutContent(t *testing.T) {
	page, err := Parse(fstest.MapFS{"title.html": {Data: []byte(`{{define "title"}}T{{end}}`)}}, "title.html")
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := Render(&b, page, nil); err == nil {
		t.Error("a page without content rendered")
	}
}

func TestProtectLink(t *testing.T) {
	h := http.Header{}
	ProtectLink(h)
	for name, want := range map[string]string{
		"Cache-Control":          "no-store",
		"Referrer-Policy":        "no-referrer",
		"X-Content-Type-Options": "nosniff",
		"X-Frame-Options":        "DENY",
	} {
		if got := h.Get(name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	csp := h.Get("Content-Security-Policy")
	// The layout's inline style sheet must be allowed, scripts must not.
	for _, want := range []string{"default-src 'none'", "style-src 'unsafe-inline'", "form-action 'self'", "frame-ancestors 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("Content-Security-Policy %q lacks %q", csp, want)
		}
	}
	if strings.Contains(csp, "script-src") {
		t.Errorf("Content-Security-Policy %q allows scripts", csp)
	}
}

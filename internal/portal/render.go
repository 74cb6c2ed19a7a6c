package portal

import (
	"bytes"
	"embed"
	htmltemplate "html/template"
	"net/http"
	"strings"
	"time"

	"github.com/orderflow/orderflow/internal/money"
	"github.com/orderflow/orderflow/internal/webpage"
)

//go:embed templates/*.html static/feed.js
var files embed.FS

func parse(page string) *htmltemplate.Template {
	t, err := webpage.Parse(files, "templates/style.html", "templates/"+page)
	if err != nil {
		panic(err) // a broken template is a build defect the package's tests catch
	}
	return t
}

// The pages, each in the shared layout with these pages' style.
var (
	signInPage        = parse("sign_in.html")
	linkSentPage      = parse("link_sent.html")
	confirmSignInPage = parse("confirm_sign_in.html")
	problemPage       = parse("problem.html")
	ordersPage        = parse("orders.html")
	orderPage         = parse("order.html")
	feedPage          = parse("feed.html")
)

// signInMail is the HTML part of the sign-in email.
var signInMail = htmltemplate.Must(htmltemplate.ParseFS(files, "templates/sign_in_mail.html"))

// render writes a whole page or, when it cannot be rendered, a plain 500:
// never half a page.
func (p *Portal) render(w http.ResponseWriter, status int, page *htmltemplate.Template, data any) {
	var buf bytes.Buffer
	if err := webpage.Render(&buf, page, data); err != nil {
		p.Logger.Error("page could not be rendered", "error", err)
		http.Error(w, "The page could not be rendered; please try again.", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

type problemView struct {
	Title, Message string
	Errors         map[string]string
}

// problem answers a page that says what went wrong and what to do.
func (p *Portal) problem(w http.ResponseWriter, status int, title, message string) {
	p.render(w, status, problemPage, problemView{Title: title, Message: message})
}

// apiRefused shows the API's refusal with its own status and words.
func (p *Portal) apiRefused(w http.ResponseWriter, pr apiProblem) {
	title := pr.Title
	if title == "" {
		title = http.StatusText(pr.Status)
	}
	p.render(w, pr.Status, problemPage, problemView{Title: title, Message: pr.Detail, Errors: pr.Errors})
}

// when writes an instant for people: in the orders' zone, to the minute.
func (p *Portal) when(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(p.Zone).Format("Mon 2 Jan 2006, 15:04 MST")
}

// amount writes an API amount for people: comma-grouped thousands, with the
// currency's symbol when the answer names one ("€ 1,210.00").
func amount(decimal, currency string) string {
	a, err := money.ParseAmount(decimal)
	if err != nil {
		return decimal
	}
	return money.Format(a, currency)
}

// humanize writes a status or action name as words: "awaiting_payment" →
// "awaiting payment".
func humanize(s string) string { return strings.ReplaceAll(s, "_", " ") }

func serveFeedScript(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	http.ServeFileFS(w, r, files, "static/feed.js")
}

// Package portal is the pages people work in (/app): members, customers,
// suppliers, purchasing, finance and staff sign in with a link emailed to
// them and see their orders, their queues and a supplier's live feed.
//
// The pages hold no rule of their own. A session names a role and a subject
// exactly as a bearer token does, and every page reads and acts through the
// JSON API in-process, with a short-lived token of the session's principal:
// what a page shows is what GET /v1/… answers that person, and a refused
// form shows the API's own answer, with its status.
package portal

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/orderflow/orderflow/internal/auth"
	"github.com/orderflow/orderflow/internal/email"
	"github.com/orderflow/orderflow/internal/signin"
	"github.com/orderflow/orderflow/internal/webpage"
)

// Prefix is where the pages live.
const Prefix = "/app"

const (
	sessionCookie = "orderflow_session"
	// formCookie carries the CSRF token of the forms shown before a session
	// exists (asking for a link, using one): the form must send it back.
	formCookie = "orderflow_form"
	// doneCookie names the action a form just did, for the page after it.
	doneCookie = "orderflow_done"
	// callTTL is how long the token of one in-process API call lives.
	callTTL = 5 * time.Minute
)

// Deps is what the pages need.
type Deps struct {
	// API is the JSON API the pages read and act through.
	API    http.Handler
	Tokens *auth.Tokens
	SignIn *signin.Service
	// Directory says who an address may sign in as.
	Directory signin.Directory
	// Mail sends the sign-in links, From is their sender.
	Mail email.Sender
	From email.Address
	// PublicURL is the base of the emailed links; https makes the cookies Secure.
	PublicURL string
	// Zone is where people read times (the orders' time zone).
	Zone   *time.Location
	Logger *slog.Logger
	// DevInbox is where dev mode keeps the emails (/dev/mail); the page
	// after asking for a link points there. Empty outside dev mode.
	DevInbox string
}

// Portal serves the pages.
type Portal struct {
	Deps
	mux    *http.ServeMux
	secure bool
}

// New builds the pages' handler; it serves paths under Prefix.
func New(d Deps) *Portal {
	if d.Zone == nil {
		d.Zone = time.UTC
	}
	p := &Portal{Deps: d, mux: http.NewServeMux(), secure: strings.HasPrefix(d.PublicURL, "https://")}
	p.routes()
	return p
}

func (p *Portal) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	protect(w.Header())
	p.mux.ServeHTTP(w, r)
}

func (p *Portal) routes() {
	m := p.mux
	m.HandleFunc("GET "+Prefix+"/{$}", p.signedIn(p.home))
	m.HandleFunc("GET "+Prefix+"/sign-in", p.signInForm)
	m.HandleFunc("POST "+Prefix+"/sign-in", p.askForLinks)
	m.HandleFunc("GET "+Prefix+"/sign-in/{token}", p.confirmSignIn)
	m.HandleFunc("POST "+Prefix+"/sign-in/{token}", p.useLink)
	m.HandleFunc("POST "+Prefix+"/sign-out", p.signedIn(p.signOut))
	m.HandleFunc("GET "+Prefix+"/orders/{id}", p.signedIn(p.order))
	m.HandleFunc("POST "+Prefix+"/orders/{id}/actions/{action}", p.signedIn(p.act))
	m.HandleFunc("GET "+Prefix+"/orders/{id}/documents/{doc}", p.signedIn(p.document))
	m.HandleFunc("GET "+Prefix+"/feed/stream", p.signedIn(p.feedStream))
	m.HandleFunc("GET "+Prefix+"/static/feed.js", serveFeedScript)
	m.HandleFunc(Prefix+"/", func(w http.ResponseWriter, r *http.Request) {
		p.problem(w, http.StatusNotFound, "There is no page here", "Go to your orders: "+Prefix+"/")
	})
}

// visit is one signed-in request: the session and its cookie's token.
type visit struct {
	sess  signin.Session
	token string
}

// signedIn runs h with the request's session; without one, a page is
// answered with the sign-in page (and where to come back to), a form or a
// stream with 401.
func (p *Portal) signedIn(h func(http.ResponseWriter, *http.Request, visit)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c, err := r.Cookie(sessionCookie)
		var v visit
		if err == nil {
			v.token = c.Value
			v.sess, err = p.SignIn.Session(r.Context(), c.Value)
		}
		if err != nil && err != signin.ErrNoSession && err != http.ErrNoCookie {
			p.serverError(w, r, err)
			return
		}
		if err != nil {
			if r.Method == http.MethodGet && !strings.HasSuffix(r.URL.Path, "/stream") {
				http.Redirect(w, r, Prefix+"/sign-in?next="+url.QueryEscape(r.URL.Path), http.StatusSeeOther)
				return
			}
			p.problem(w, http.StatusUnauthorized, "Please sign in again", "Your session has ended. Sign in again at "+Prefix+"/sign-in; what you sent was not recorded.")
			return
		}
		if r.Method == http.MethodPost && !v.sess.ValidCSRF(r.PostFormValue("csrf")) {
			p.problem(w, http.StatusForbidden, "This form has expired",
				"The form was not sent from this session's page (its security token is missing or old). Go back, reload the page and send it again; nothing was changed.")
			return
		}
		h(w, r, v)
	}
}

// apiAnswer is the API's answer to one in-process call.
type apiAnswer struct {
	status int
	header http.Header
	body   []byte
}

// problem is the API's problem detail when the call failed.
func (a apiAnswer) problem() apiProblem {
	var pr apiProblem
	if json.Unmarshal(a.body, &pr) != nil || pr.Detail == "" {
		pr.Detail = strings.TrimSpace(string(a.body))
	}
	pr.Status = a.status
	return pr
}

// apiProblem is the part of the API's problem details a page shows.
type apiProblem struct {
	Status int               `json:"status"`
	Title  string            `json:"title"`
	Detail string            `json:"detail"`
	Errors map[string]string `json:"errors"`
}

// call sends one request to the API as the session's person, with body
// (if not nil) as JSON.
func (p *Portal) call(r *http.Request, v visit, method, path string, body any) (apiAnswer, error) {
	if body == nil {
		return p.send(r, v, method, path, "", nil)
	}
	b, err := json.Marshal(body)
	if err != nil {
		return apiAnswer{}, err
	}
	return p.send(r, v, method, path, "application/json", bytes.NewReader(b))
}

// send sends one request to the API as the session's person, with a body
// of contentType (a PDF, JSON).
func (p *Portal) send(r *http.Request, v visit, method, path, contentType string, body io.Reader) (apiAnswer, error) {
	req, err := p.apiRequest(r.Context(), r, v, method, path, body)
	if err != nil {
		return apiAnswer{}, err
	}
	if body != nil {
		req.Header.Set("Content-Type", contentType)
	}
	rec := &recorder{header: http.Header{}, status: http.StatusOK}
	p.API.ServeHTTP(rec, req)
	return apiAnswer{status: rec.status, header: rec.header, body: rec.body.Bytes()}, nil
}

// read reads path into out; false: the page was answered instead, with
// the API's refusal (its status and words) or a server error.
func (p *Portal) read(w http.ResponseWriter, r *http.Request, v visit, path string, out any) bool {
	a, err := p.call(r, v, http.MethodGet, path, nil)
	if err == nil && a.status != http.StatusOK {
		p.apiRefused(w, a.problem())
		return false
	}
	if err == nil {
		err = json.Unmarshal(a.body, out)
	}
	if err != nil {
		p.serverError(w, r, err)
		return false
	}
	return true
}

// forward answers the request with the API's answer at path, streamed as
// it comes (a document, the feed's event stream).
func (p *Portal) forward(w http.ResponseWriter, r *http.Request, v visit, path string) {
	req, err := p.apiRequest(r.Context(), r, v, http.MethodGet, path, nil)
	if err != nil {
		p.serverError(w, r, err)
		return
	}
	p.API.ServeHTTP(w, req)
}

// apiRequest is a request to the API as the session's person: a bearer
// token of its principal, living no longer than the session.
func (p *Portal) apiRequest(ctx context.Context, r *http.Request, v visit, method, path string, body io.Reader) (*http.Request, error) {
	ttl := min(callTTL, time.Until(v.sess.Expires))
	if strings.HasSuffix(path, "/stream") {
		ttl = time.Until(v.sess.Expires) // the stream ends with the session
	}
	token, err := p.Tokens.Mint(v.sess.Who, max(ttl, time.Second))
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, method, path, body)
	if err != nil {
		return nil, err
	}
	req.RemoteAddr = r.RemoteAddr
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept", r.Header.Get("Accept"))
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if id := r.Header.Get("X-Request-ID"); id != "" { // the caller's id carries on
		req.Header.Set("X-Request-ID", id)
	}
	return req, nil
}

// recorder keeps an in-process API answer.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
	wrote  bool
}

func (r *recorder) Header() http.Header { return r.header }
func (r *recorder) Write(b []byte) (int, error) {
	r.wrote = true
	return r.body.Write(b)
}
func (r *recorder) WriteHeader(status int) {
	if !r.wrote {
		r.status, r.wrote = status, true
	}
}

func (p *Portal) serverError(w http.ResponseWriter, r *http.Request, err error) {
	p.Logger.ErrorContext(r.Context(), "page failed", "path", r.URL.Path, "error", err)
	p.problem(w, http.StatusInternalServerError, "Something went wrong on our side",
		fmt.Sprintf("Please try again in a moment. If it keeps happening, tell us the time (%s UTC).", time.Now().UTC().Format("15:04:05")))
}

func (p *Portal) setCookie(w http.ResponseWriter, name, value, path string, expires time.Time) {
	http.SetCookie(w, &http.Cookie{
		Name: name, Value: value, Path: path, Expires: expires, MaxAge: maxAge(expires),
		HttpOnly: true, Secure: p.secure, SameSite: http.SameSiteLaxMode,
	})
}

func maxAge(expires time.Time) int {
	if expires.IsZero() {
		return -1 // delete
	}
	return int(time.Until(expires).Seconds())
}

// protect sets the headers every page carries: nothing cached or framed,
// no Referer (an order id in a URL is nobody else's business), and only the
// page's own script and styles.
func protect(h http.Header) {
	webpage.ProtectLink(h)
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
}

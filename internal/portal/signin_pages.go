package portal

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/orderflow/orderflow/internal/email"
	"github.com/orderflow/orderflow/internal/signin"
	"github.com/orderflow/orderflow/workflows"
)

// Sign-in: GET /app/sign-in asks for an address; POST mails a link for
// each way the address may sign in. It answers alike, as fast and with the
// same limit, whether the address may sign in or not, so that the form
// tells nobody which addresses are known. GET
// /app/sign-in/{token} shows who the link signs in as, and its button (POST)
// uses the link once and opens the session. Using the link takes a click, not
// the GET, because mail scanners open links before people do.

func (p *Portal) signInForm(w http.ResponseWriter, r *http.Request) {
	p.render(w, http.StatusOK, signInPage, signInView{CSRF: p.formToken(w, r), Next: safeNext(r.URL.Query().Get("next"))})
}

type signInView struct {
	CSRF, Next, Email, Problem string
}

func (p *Portal) askForLinks(w http.ResponseWriter, r *http.Request) {
	if !p.validFormToken(w, r) {
		return
	}
	view := signInView{CSRF: p.formToken(w, r), Next: safeNext(r.PostFormValue("next")), Email: strings.TrimSpace(r.PostFormValue("email"))}
	if !workflows.IsEmail(view.Email) {
		view.Problem = "Please enter one email address, like ann@example.com."
		p.render(w, http.StatusUnprocessableEntity, signInPage, view)
		return
	}
	request, err := p.SignIn.Request(r.Context(), view.Email)
	switch {
	case errors.Is(err, signin.ErrTooManyLinks):
		p.problem(w, http.StatusTooManyRequests, "Several links were asked for already",
			fmt.Sprintf("This address was asked for sign-in links %d times in the last %d minutes. Use the newest one in your mailbox, or ask again in a few minutes.",
				signin.MaxLinksPerAddress, int(signin.LinkTTL.Minutes())))
		return
	case err != nil:
		p.serverError(w, r, err)
		return
	}
	// The links are looked up and mailed after the answer, so that it takes
	// as long, and says the same, for an address nobody has. A person whose
	// link does not come (SendGrid refused it, the process stopped) asks
	// again; the log says why.
	ctx := context.WithoutCancel(r.Context())
	go p.mailLinks(ctx, request, view.Email, view.Next)
	p.render(w, http.StatusOK, linkSentPage, struct{ Email, Inbox string }{view.Email, p.DevInbox})
}

// mailLinks sends one email with a link for each identity of the address
// (an unknown address gets nothing), then marks the request handled.
func (p *Portal) mailLinks(ctx context.Context, request int64, address, next string) {
	ctx, cancel := context.WithTimeout(ctx, mailTimeout)
	defer cancel()
	if err := p.sendLinks(ctx, address, next); err != nil {
		p.Logger.ErrorContext(ctx, "sign-in links not sent; the person can ask again", "request", request, "error", err)
		return
	}
	if err := p.SignIn.Handled(ctx, request); err != nil {
		p.Logger.ErrorContext(ctx, "sign-in request not marked handled", "request", request, "error", err)
	}
}

// mailTimeout bounds looking up and mailing one request's links.
const mailTimeout = time.Minute

// sendLinks makes the links of each identity of the address and mails
// them in one email.
func (p *Portal) sendLinks(ctx context.Context, address, next string) error {
	ids, err := p.Directory.Lookup(ctx, address)
	if err != nil || len(ids) == 0 {
		return err
	}
	links := make([]signInLink, len(ids))
	for i, id := range ids {
		token, err := p.SignIn.IssueLink(ctx, address, id.Principal)
		if err != nil {
			return err
		}
		u := p.PublicURL + Prefix + "/sign-in/" + token
		if next != "" {
			u += "?next=" + url.QueryEscape(next)
		}
		links[i] = signInLink{As: id.Name, URL: u}
	}
	msg, err := signInMessage(address, links)
	if err != nil {
		return err
	}
	// Each request mails new links: a key of its own, never the tokens.
	msg.From, msg.Key = p.From, "sign-in/"+randomToken()[:22]
	_, err = p.Mail.Send(ctx, msg)
	return err
}

func (p *Portal) confirmSignIn(w http.ResponseWriter, r *http.Request) {
	link, err := p.SignIn.PeekLink(r.Context(), r.PathValue("token"))
	if err != nil {
		p.linkProblem(w, r, err)
		return
	}
	p.render(w, http.StatusOK, confirmSignInPage, struct {
		Email, Role, Subject, CSRF, Next string
		Expires                          string
	}{link.Email, string(link.Who.Role), link.Who.Subject, p.formToken(w, r), safeNext(r.URL.Query().Get("next")),
		link.Expires.In(p.Zone).Format("15:04 MST")})
}

func (p *Portal) useLink(w http.ResponseWriter, r *http.Request) {
	if !p.validFormToken(w, r) {
		return
	}
	sess, token, err := p.SignIn.UseLink(r.Context(), r.PathValue("token"))
	if err != nil {
		p.linkProblem(w, r, err)
		return
	}
	p.setCookie(w, sessionCookie, token, Prefix, sess.Expires)
	p.setCookie(w, formCookie, "", Prefix, time.Time{})
	next := safeNext(r.PostFormValue("next"))
	if next == "" {
		next = Prefix + "/"
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (p *Portal) signOut(w http.ResponseWriter, r *http.Request, v visit) {
	if err := p.SignIn.EndSession(r.Context(), v.token); err != nil {
		p.serverError(w, r, err)
		return
	}
	p.setCookie(w, sessionCookie, "", Prefix, time.Time{})
	p.render(w, http.StatusOK, problemPage, problemView{Title: "You are signed out", Message: "Sign in again any time at " + Prefix + "/sign-in."})
}

func (p *Portal) linkProblem(w http.ResponseWriter, r *http.Request, err error) {
	again := " Ask for a new link at " + Prefix + "/sign-in."
	switch {
	case errors.Is(err, signin.ErrLinkUsed):
		p.problem(w, http.StatusGone, "This link was used already", "A sign-in link works once."+again)
	case errors.Is(err, signin.ErrLinkExpired):
		p.problem(w, http.StatusGone, "This link has expired", fmt.Sprintf("A sign-in link works for %d minutes.", int(signin.LinkTTL.Minutes()))+again)
	case errors.Is(err, signin.ErrLinkUnknown):
		p.problem(w, http.StatusNotFound, "This link does not work", "It may be incomplete: copy the whole link from the email."+again)
	default:
		p.serverError(w, r, err)
	}
}

// formToken is the CSRF token of the forms shown before sign-in, kept in
// a cookie the form must match (a page elsewhere can post a form, but it
// cannot read or set this site's cookie).
func (p *Portal) formToken(w http.ResponseWriter, r *http.Request) string {
	if c, err := r.Cookie(formCookie); err == nil && len(c.Value) == 43 {
		return c.Value
	}
	token := randomToken()
	p.setCookie(w, formCookie, token, Prefix, time.Now().Add(time.Hour))
	r.AddCookie(&http.Cookie{Name: formCookie, Value: token}) // a second call in this request gives the same token
	return token
}

func (p *Portal) validFormToken(w http.ResponseWriter, r *http.Request) bool {
	c, err := r.Cookie(formCookie)
	sent := r.PostFormValue("csrf")
	if err == nil && sent != "" && subtle.ConstantTimeCompare([]byte(c.Value), []byte(sent)) == 1 {
		return true
	}
	p.problem(w, http.StatusForbidden, "This form has expired",
		"The form was not sent from this site's page (its security token is missing or old). Go back, reload the page and send it again; nothing was changed.")
	return false
}

// randomToken is 256 random bits, URL-safe (43 characters).
func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return base64.RawURLEncoding.EncodeToString(b)
}

// safeNext keeps a page to return to only when it is one of these pages:
// a link must not send people to another site after signing in.
func safeNext(next string) string {
	if !strings.HasPrefix(next, Prefix+"/") || strings.ContainsAny(next, "\\\r\n") || strings.HasPrefix(next, "//") {
		return ""
	}
	return next
}

// signInLink is one way to sign in, as the email lists it.
type signInLink struct{ As, URL string }

// signInMessage is the email with the links.
func signInMessage(address string, links []signInLink) (email.Message, error) {
	var text, html strings.Builder
	fmt.Fprintf(&text, "Hello,\n\nSomeone (we hope you) asked to sign in to orderflow with this address. Each link below works once, for %d minutes.\n", int(signin.LinkTTL.Minutes()))
	for _, l := range links {
		fmt.Fprintf(&text, "\nSign in as %s:\n%s\n", l.As, l.URL)
	}
	text.WriteString("\nIf you did not ask, ignore this email: nobody can sign in without the link.\n")
	if err := signInMail.Execute(&html, struct {
		Minutes int
		Links   []signInLink
	}{int(signin.LinkTTL.Minutes()), links}); err != nil {
		return email.Message{}, err
	}
	return email.Message{
		To: email.Address{Email: address}, Purpose: "sign_in",
		Subject: "Your orderflow sign-in link", Text: text.String(), HTML: html.String(),
	}, nil
}

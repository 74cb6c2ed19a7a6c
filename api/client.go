package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/temporal"

	"github.com/orderflow/orderflow/internal/auth"
	"github.com/orderflow/orderflow/internal/clientpage"
	"github.com/orderflow/orderflow/internal/store"
	"github.com/orderflow/orderflow/lifecycle"
	"github.com/orderflow/orderflow/workflows"
)

// The client confirmation page of a member order, reached through the link
// emailed to the client: GET /c/{token} shows the order, POST
// /c/{token}/confirm or /decline answers it once, GET /c/{token}/done thanks.
// The link token is all the authority the client has; the workflow accepts
// its holder as the principal client "link:<link id>".

// defaultPageZone is lifecycles.md's default order time zone.
const defaultPageZone = "Europe/Brussels"

// doneQueryTimeout bounds the courtesy lookup of the order's title on the
// thank-you page, which is complete without it.
const doneQueryTimeout = 5 * time.Second

func registerClientRoutes(r *gin.Engine, d Deps) {
	p := clientPages{Deps: d, zone: pageZone(d.Member.TimeZone)}
	r.GET(clientpage.Route+":token", p.show)
	r.POST(clientpage.Route+":token/confirm", p.confirm)
	r.POST(clientpage.Route+":token/decline", p.decline)
	r.GET(clientpage.Route+":token/done", p.done)
}

type clientPages struct {
	Deps
	zone *time.Location // where the client reads times
}

func pageZone(name string) *time.Location {
	if name == "" {
		name = defaultPageZone
	}
	if loc, err := time.LoadLocation(name); err == nil {
		return loc
	}
	return time.UTC
}

// linkHolder is who acts through a link: the workflow grants confirm and
// decline to this principal while the link is the order's current one.
func linkHolder(l store.ClientLink) auth.Principal {
	return auth.Principal{Role: lifecycle.Client, Subject: "link:" + l.ID}
}

func (p clientPages) show(c *gin.Context) {
	if !p.ready(c) {
		return
	}
	link, err := p.ClientLinks.ResolveClientLink(c.Request.Context(), c.Param("token"))
	if err != nil {
		p.linkProblem(c, link, err)
		return
	}
	view, err := orders{p.Deps}.query(c.Request.Context(), link.OrderID, linkHolder(link))
	if err != nil {
		p.orderProblem(c, err)
		return
	}
	if !awaitsClient(view) {
		p.problem(c, http.StatusConflict, "This order no longer waits for your answer",
			fmt.Sprintf("The order is now %s, so it can no longer be confirmed or declined here. If you have questions, please contact the sender.", describeStatus(view)))
		return
	}
	cv := confirmationView(view)
	cv.ConfirmURL, cv.DeclineURL = clientpage.Path(link.Token)+"/confirm", clientpage.Path(link.Token)+"/decline"
	linkPage(c, http.StatusOK, func(w *bytes.Buffer) error { return clientpage.RenderConfirmation(w, cv) })
}

// awaitsClient: the workflow lets the link holder answer now.
func awaitsClient(v workflows.OrderView) bool {
	return slices.Contains(v.AllowedActions, lifecycle.Confirm) || slices.Contains(v.AllowedActions, lifecycle.Decline)
}

func describeStatus(v workflows.OrderView) string {
	if v.StatusLabel != "" {
		return strings.ToLower(v.StatusLabel)
	}
	return strings.ReplaceAll(string(v.Status), "_", " ")
}

func (p clientPages) confirm(c *gin.Context) {
	p.answer(c, store.AnswerConfirm, nil)
}

func (p clientPages) decline(c *gin.Context) {
	// Parsed here because gin's PostForm hides a broken or oversized body as an empty reason.
	if err := c.Request.ParseForm(); err != nil || !utf8.ValidString(c.PostForm("reason")) {
		p.problem(c, http.StatusBadRequest, "Your answer could not be read",
			"Please go back and send it again. Your answer has not been recorded yet.")
		return
	}
	reason := strings.TrimSpace(c.PostForm("reason"))
	if utf8.RuneCountInString(reason) > clientpage.MaxReasonLength {
		p.problem(c, http.StatusUnprocessableEntity, "Your reason is too long",
			fmt.Sprintf("Please go back, shorten your reason to at most %d characters and send it again. Your answer has not been recorded yet.", clientpage.MaxReasonLength))
		return
	}
	payload, _ := json.Marshal(workflows.OptionalReasonPayload{Reason: reason})
	p.answer(c, store.AnswerDecline, payload)
}

// answer uses the link, then sends the answer to the order.
//
// The link is marked used BEFORE the update, as a claim: of two submits (a
// double click, two tabs, confirm in one and decline in the other) exactly
// one wins the row and reaches the workflow; the other gets "already
// answered" at once. Marking it after the update would let both reach the
// workflow and leave the store's single use only a record. When the update
// does not go through (the workflow refuses, or Temporal does not answer) the
// claim is released, so the link never claims an answer the order did not
// take, and a client hit by an outage can simply press again: the update id
// is derived from the link, so an answer that did land is applied once.
func (p clientPages) answer(c *gin.Context, answer store.ClientAnswer, payload []byte) {
	if !p.ready(c) {
		return
	}
	ctx := c.Request.Context()
	link, err := p.ClientLinks.UseClientLink(ctx, c.Param("token"), answer, time.Now())
	if err != nil {
		p.linkProblem(c, link, err)
		return
	}
	_, err = orders{p.Deps}.apply(ctx, link.OrderID, lifecycle.Action(answer), workflows.ActionRequest{
		Actor: linkHolder(link), RequestID: "link:" + link.ID, Payload: payload,
	})
	if err != nil {
		// Even if the client went away: a claim left behind would block the link.
		if relErr := p.ClientLinks.ReleaseClientLink(context.WithoutCancel(ctx), link); relErr != nil {
			_ = c.Error(relErr)
		}
		p.orderProblem(c, err)
		return
	}
	// Post/redirect/get: reloading the thank-you page never posts again.
	c.Redirect(http.StatusSeeOther, clientpage.Path(link.Token)+"/done")
}

// done thanks the client for the answer the link recorded.
func (p clientPages) done(c *gin.Context) {
	if !p.ready(c) {
		return
	}
	link, err := p.ClientLinks.ResolveClientLink(c.Request.Context(), c.Param("token"))
	switch {
	case err == nil: // not answered yet
		c.Redirect(http.StatusSeeOther, clientpage.Path(link.Token))
		return
	case !errors.Is(err, store.ErrLinkUsed) || link.UsedAt == nil:
		p.linkProblem(c, link, err)
		return
	}
	dv := clientpage.DoneView{Confirmed: link.Answer == store.AnswerConfirm, AnsweredAt: clientpage.Instant(*link.UsedAt, p.zone)}
	ctx, cancel := context.WithTimeout(c.Request.Context(), doneQueryTimeout)
	defer cancel()
	if view, err := (orders{p.Deps}).query(ctx, link.OrderID, linkHolder(link)); err == nil {
		cv := confirmationView(view)
		dv.OrderTitle, dv.Member = cv.Title, cv.Member
	}
	linkPage(c, http.StatusOK, func(w *bytes.Buffer) error { return clientpage.RenderDone(w, dv) })
}

// linkProblem explains a link that cannot be used. The link comes with
// ErrLinkUsed, ErrLinkExpired and ErrLinkRevoked, so the page can be precise.
func (p clientPages) linkProblem(c *gin.Context, link store.ClientLink, err error) {
	switch {
	case errors.Is(err, store.ErrLinkUnknown):
		p.problem(c, http.StatusNotFound, "This link is not valid",
			"We could not find an order for this link. Part of it may be missing: open it again from your email, or copy the whole address into your browser. If it still does not work, please ask the sender for a new link.")
	case errors.Is(err, store.ErrLinkUsed):
		p.problem(c, http.StatusGone, "You have already answered", p.answeredMessage(link))
	case errors.Is(err, store.ErrLinkExpired):
		// ExpiresAt is the end of the offer's last day; the instant before it names that day.
		p.problem(c, http.StatusGone, "This offer has expired",
			fmt.Sprintf("The offer was valid until %s, so it can no longer be confirmed. If you still want it, please contact the sender.",
				link.ExpiresAt.Add(-time.Nanosecond).In(p.zone).Format("2 January 2006")))
	case errors.Is(err, store.ErrLinkRevoked) && link.ReplacedBy != "":
		p.problem(c, http.StatusGone, "This link has been replaced",
			"A newer link for this order was sent to you by email. Please use the link in the most recent email.")
	case errors.Is(err, store.ErrLinkRevoked):
		p.problem(c, http.StatusGone, "This link is no longer valid",
			"The order no longer waits for your answer. If you have questions, please contact the sender.")
	default:
		_ = c.Error(err)
		p.problem(c, http.StatusServiceUnavailable, "This page is not available right now",
			"Something went wrong on our side. Please try again in a few minutes; your answer, if you gave one, has not been recorded.")
	}
}

func (p clientPages) answeredMessage(link store.ClientLink) string {
	if link.UsedAt == nil {
		return "Your answer is being recorded. Please open the link again in a minute to see it."
	}
	verb := "confirmed"
	if link.Answer == store.AnswerDecline {
		verb = "declined"
	}
	return fmt.Sprintf("You %s this order on %s. There is nothing more to do; the link in your email cannot change the answer.",
		verb, clientpage.Instant(*link.UsedAt, p.zone))
}

// orderProblem explains what the order's workflow said, never as a 500.
func (p clientPages) orderProblem(c *gin.Context, err error) {
	var appErr *temporal.ApplicationError
	var notFound *serviceerror.NotFound
	switch {
	case errors.As(err, &appErr) && appErr.Type() == workflows.InvalidPayload:
		p.problem(c, http.StatusUnprocessableEntity, "Your answer could not be used",
			upperFirst(appErr.Message())+". Please go back, correct it and send it again.")
	case errors.As(err, &appErr) && appErr.Type() == lifecycle.NotAllowedNow,
		workflowClosed(err):
		p.problem(c, http.StatusConflict, "This order no longer waits for your answer",
			"It may have been answered already, withdrawn, or its offer may have expired. Nothing was changed. If you have questions, please contact the sender.")
	case errors.As(err, &appErr), errors.As(err, &notFound):
		// Not visible to this link: the order moved on to a newer link, or is gone.
		p.problem(c, http.StatusNotFound, "We could not find this order",
			"The order this link belongs to is not available to it any more. If you received a newer email about this order, please use its link; otherwise contact the sender.")
	default:
		_ = c.Error(err)
		p.problem(c, http.StatusServiceUnavailable, "We could not reach the order right now",
			"Your answer has not been recorded. Please try again in a few minutes: the link in your email still works.")
	}
}

// ready: the links are configured; without them every link is unusable.
func (p clientPages) ready(c *gin.Context) bool {
	if p.ClientLinks != nil {
		return true
	}
	_ = c.Error(errors.New("client links are not configured (Deps.ClientLinks is nil)"))
	p.problem(c, http.StatusServiceUnavailable, "This page is not available right now",
		"Order confirmation is not available at the moment. Please try again later.")
	return false
}

func (p clientPages) problem(c *gin.Context, status int, title, message string) {
	linkPage(c, status, func(w *bytes.Buffer) error { return clientpage.RenderLinkProblem(w, title, message) })
}

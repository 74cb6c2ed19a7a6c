package api

import (
	"bytes"
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/orderflow/orderflow/internal/email"
)

// Inbox is the capture sender's store of messages.
type Inbox interface {
	ListCaptured(ctx context.Context, limit int) ([]email.Captured, error)
}

// devMail shows captured messages, newest first, links clickable; with
// ?format=json it lists them as JSON, for scripts such as the starter's demo,
// which reads the client's confirmation link there as the client would.
func devMail(inbox Inbox) gin.HandlerFunc {
	return func(c *gin.Context) {
		limit := 100
		if s := c.Query("limit"); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil || n < 1 || n > 500 {
				abortWith(c, http.StatusBadRequest, "limit must be a whole number from 1 to 500.")
				return
			}
			limit = n
		}
		mails, err := inbox.ListCaptured(c.Request.Context(), limit)
		if err != nil {
			_ = c.Error(err)
			abortWith(c, http.StatusServiceUnavailable, "The captured mail could not be read from Postgres; check /readyz and try again.")
			return
		}
		if c.Query("format") == "json" {
			c.JSON(http.StatusOK, gin.H{"messages": capturedJSON(mails)})
			return
		}
		var page bytes.Buffer
		if err := email.RenderInbox(&page, mails); err != nil {
			_ = c.Error(err)
			abortWith(c, http.StatusInternalServerError, "The inbox page could not be rendered; report request id "+requestID(c)+".")
			return
		}
		c.Data(http.StatusOK, "text/html; charset=utf-8", page.Bytes())
	}
}

// capturedMessage is one captured message as ?format=json lists it.
type capturedMessage struct {
	OrderID   string    `json:"order_id"`
	Purpose   string    `json:"purpose"`
	To        string    `json:"to"`
	Subject   string    `json:"subject"`
	Text      string    `json:"text"`
	CreatedAt time.Time `json:"created_at"`
}

func capturedJSON(mails []email.Captured) []capturedMessage {
	out := make([]capturedMessage, len(mails))
	for i, m := range mails {
		out[i] = capturedMessage{OrderID: m.OrderID, Purpose: m.Purpose, To: m.To, Subject: m.Subject, Text: m.Text, CreatedAt: m.CreatedAt}
	}
	return out
}

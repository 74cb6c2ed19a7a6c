package api

import (
	"bytes"
	"context"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/orderflow/orderflow/internal/email"
)

// Inbox is the capture sender's store of messages.
type Inbox interface {
	ListCaptured(ctx context.Context, limit int) ([]email.Captured, error)
}

// devMail shows captured messages, newest first, links clickable.
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
		var page bytes.Buffer
		if err := email.RenderInbox(&page, mails); err != nil {
			_ = c.Error(err)
			abortWith(c, http.StatusInternalServerError, "The inbox page could not be rendered; report request id "+requestID(c)+".")
			return
		}
		c.Data(http.StatusOK, "text/html; charset=utf-8", page.Bytes())
	}
}

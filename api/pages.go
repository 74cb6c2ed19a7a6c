package api

import (
	"bytes"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/orderflow/orderflow/internal/webpage"
)

// linkPage sends an HTML page whose URL is a bearer link (the client's
// confirmation page, the pay page) with the headers that keep the link to
// itself. A page that cannot be rendered is the server's fault: a 500 that
// names the request id, never half a page.
func linkPage(c *gin.Context, status int, render func(*bytes.Buffer) error) {
	var buf bytes.Buffer
	if err := render(&buf); err != nil {
		_ = c.Error(err)
		abortWith(c, http.StatusInternalServerError, "The page could not be rendered; report request id "+requestID(c)+".")
		return
	}
	webpage.ProtectLink(c.Writer.Header())
	c.Data(status, "text/html; charset=utf-8", buf.Bytes())
}

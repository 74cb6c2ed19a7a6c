package api

import (
	_ "embed"
	"net/http"

	"github.com/gin-gonic/gin"
)

// openAPISpec is the API contract, kept in the repository and served as is.
//
//go:embed openapi.yaml
var openAPISpec []byte

func serveOpenAPI(c *gin.Context) {
	c.Data(http.StatusOK, "application/yaml", openAPISpec)
}

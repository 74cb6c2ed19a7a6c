package api

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

// Problem is an RFC 9457 problem detail. Detail always tells a person what to
// do next; the optional members carry what a client needs to recover.
type Problem struct {
	Type      string `json:"type"`
	Title     string `json:"title"`
	Status    int    `json:"status"`
	Detail    string `json:"detail"`
	Instance  string `json:"instance,omitempty"`
	RequestID string `json:"request_id,omitempty"`
	StatusNow string `json:"status_now,omitempty"`
	// AllowedActions is on every refusal of an action, empty when nothing is allowed.
	AllowedActions []string          `json:"allowed_actions,omitzero"`
	Errors         map[string]string `json:"errors,omitempty"`
}

const problemContentType = "application/problem+json"

// problemTypeBase prefixes the type URIs; they name the kind of problem and
// are documented in openapi.yaml.
const problemTypeBase = "https://orderflow.dev/problems/"

// NewProblem builds a problem whose type is derived from its status.
func NewProblem(status int, detail string) Problem {
	return Problem{
		Type:   problemTypeBase + slug(status),
		Title:  http.StatusText(status),
		Status: status,
		Detail: detail,
	}
}

// abort writes p as the response and stops the handler chain.
func abort(c *gin.Context, p Problem) {
	if p.Instance == "" {
		p.Instance = c.Request.URL.Path
	}
	p.RequestID = requestID(c)
	c.Header("Content-Type", problemContentType)
	c.AbortWithStatusJSON(p.Status, p)
}

func abortWith(c *gin.Context, status int, detail string) {
	abort(c, NewProblem(status, detail))
}

func slug(status int) string {
	switch status {
	case http.StatusBadRequest:
		return "bad-request"
	case http.StatusUnauthorized:
		return "unauthorized"
	case http.StatusForbidden:
		return "forbidden"
	case http.StatusNotFound:
		return "not-found"
	case http.StatusMethodNotAllowed:
		return "method-not-allowed"
	case http.StatusConflict:
		return "conflict"
	case http.StatusRequestEntityTooLarge:
		return "too-large"
	case http.StatusUnsupportedMediaType:
		return "unsupported-media-type"
	case http.StatusUnprocessableEntity:
		return "invalid-payload"
	case http.StatusTooManyRequests:
		return "too-many-requests"
	case http.StatusServiceUnavailable:
		return "unavailable"
	default:
		if status >= 500 {
			return "internal"
		}
		return "error"
	}
}

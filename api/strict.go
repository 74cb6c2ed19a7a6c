package api

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/orderflow/orderflow/internal/money"
	"github.com/orderflow/orderflow/workflows"
)

// Strict reading of what a request carries: its body, its query and the
// ids in its path. A value the API could never have given is refused
// here, with what is wrong, before Postgres or Temporal sees it: Postgres
// refuses NUL and invalid UTF-8 with an error of its own, and Temporal has
// no order under a name of the wrong shape.
//
// Every JSON body is read by readBody (at most maxBodyBytes, withBodyLimit;
// valid UTF-8) and decoded by workflows.DecodeJSON, the decoder the
// workflows use for action payloads and signals: one JSON object, no
// unknown field, nothing after it. bodyProblem words its refusals.

var (
	// orderIDPattern is what newOrderID (and a member order's duplicate)
	// mints: "ord_" and a ULID in Crockford base32, upper case.
	orderIDPattern = regexp.MustCompile(`^ord_[0-7][0-9A-HJKMNP-TV-Z]{25}$`)
	// documentIDPattern covers the documents' ids ("ord_…-purchase-order",
	// "ord_…-invoice-1-ubl").
	documentIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,199}$`)
	// cursorPattern is the alphabet of the lists' cursors (base64url).
	cursorPattern = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)
)

const (
	orderIDShape      = `an order id is "ord_" followed by 26 upper-case letters and digits, as the API gave it`
	maxIdempotencyKey = 128
	maxQueryValue     = 1024
)

// withStrictQuery refuses a query string that does not parse (Go's parser
// would silently drop the broken pair: "cursor=%%%%" would list from the
// start) or that holds NUL, other control characters or invalid UTF-8.
func withStrictQuery(c *gin.Context) {
	raw := c.Request.URL.RawQuery
	if raw == "" {
		c.Next()
		return
	}
	values, err := url.ParseQuery(raw)
	if err != nil {
		abortWith(c, http.StatusBadRequest, "The query string is malformed (a stray '%' or ';'?): percent-encode every value, e.g. with encodeURIComponent.")
		return
	}
	for name, list := range values {
		if problem := badText(name, maxQueryValue); problem != "" {
			abortWith(c, http.StatusBadRequest, "A query parameter's name "+problem+".")
			return
		}
		for _, v := range list {
			if problem := badText(v, maxQueryValue); problem != "" {
				pr := NewProblem(http.StatusBadRequest, "The query parameter "+quoteName(name)+" "+problem+".")
				pr.Errors = map[string]string{name: problem}
				abort(c, pr)
				return
			}
		}
	}
	c.Next()
}

// badText says what is wrong with a value a person could have typed, or "".
func badText(s string, limit int) string {
	switch {
	case !utf8.ValidString(s):
		return "is not valid UTF-8"
	case strings.ContainsFunc(s, isControl):
		return "holds a control character (NUL, a line break, ...)"
	case len(s) > limit:
		return "is too long"
	}
	return ""
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) }

// quoteName names a parameter in a message; its name is checked text by then.
func quoteName(name string) string { return `"` + name + `"` }

// withValidPathIDs answers 404 for an id in the path that the API never
// gives out: an order id not of newOrderID's shape, a document or supplier
// id outside its alphabet, any id with control characters or invalid UTF-8.
func withValidPathIDs(c *gin.Context) {
	route := c.FullPath()
	for _, p := range c.Params {
		if problem := badText(p.Value, 200); problem != "" {
			abortWith(c, http.StatusNotFound, "There is nothing at this path: its "+p.Key+" "+problem+".")
			return
		}
	}
	switch {
	case strings.HasPrefix(route, "/v1/orders/:id"):
		if !orderIDPattern.MatchString(c.Param("id")) {
			abortWith(c, http.StatusNotFound, "There is no such order: "+orderIDShape+".")
			return
		}
		if strings.Contains(route, ":doc") && !documentIDPattern.MatchString(c.Param("doc")) {
			abortWith(c, http.StatusNotFound, "This order has no such document: a document id is letters, digits and '_', '.', '-'; GET the order to see its documents.")
			return
		}
	case strings.HasPrefix(route, "/v1/suppliers/:id"):
		if !supplierIDPattern.MatchString(c.Param("id")) {
			abortWith(c, http.StatusNotFound, "There is no such supplier: a supplier id is 1 to 64 letters, digits, '_', '.' or '-', starting with a letter or digit.")
			return
		}
	}
	c.Next()
}

// idempotencyKey reads the Idempotency-Key header: absent (""), or 1 to 128
// printable ASCII characters, sent once. ok is false when it was refused.
func idempotencyKey(c *gin.Context) (key string, ok bool) {
	values, sent := c.Request.Header[http.CanonicalHeaderKey("Idempotency-Key")]
	if !sent {
		return "", true
	}
	refuse := func(why string) (string, bool) {
		pr := NewProblem(http.StatusBadRequest, "The Idempotency-Key header "+why+"; send one key of 1 to 128 printable ASCII characters (a UUID is a good key), or none.")
		pr.Errors = map[string]string{"Idempotency-Key": why}
		abort(c, pr)
		return "", false
	}
	if len(values) != 1 {
		return refuse("is sent more than once")
	}
	key = values[0]
	switch {
	case key == "":
		return refuse("is empty")
	case len(key) > maxIdempotencyKey:
		return refuse("is longer than 128 characters")
	case strings.ContainsFunc(key, func(r rune) bool { return r < 0x20 || r > 0x7e }):
		return refuse("holds characters other than printable ASCII")
	}
	return key, true
}

// orderExample is the start of a body of POST /v1/orders, for messages.
const orderExample = `{"flow": "marketplace", "customer_email": "...", "items": [...], ...}`

// readBody reads the whole body: at most maxBodyBytes (413 beyond), and
// valid UTF-8, since encoding/json would silently turn invalid UTF-8 into
// U+FFFD and the order would keep text other than what was sent.
func readBody(c *gin.Context) ([]byte, bool) {
	body, err := io.ReadAll(c.Request.Body)
	if err != nil {
		if isBodyTooLarge(err) {
			abortWith(c, http.StatusRequestEntityTooLarge, fmt.Sprintf("The request body is larger than the limit of %s (%d bytes); send a smaller body.", maxBodyText, maxBodyBytes))
		} else {
			abortWith(c, http.StatusBadRequest, "The request body could not be read; send it again.")
		}
		return nil, false
	}
	if !utf8.Valid(body) {
		abortWith(c, http.StatusBadRequest, "The body is not valid UTF-8; send JSON text encoded as UTF-8.")
		return nil, false
	}
	return body, true
}

// peekBody reads the body and puts it back for readBody (false: it could
// not be read, and readBody will answer why).
func peekBody(c *gin.Context) ([]byte, bool) {
	body, err := io.ReadAll(c.Request.Body)
	if err != nil {
		c.Request.Body = io.NopCloser(failedRead{err})
		return nil, false
	}
	c.Request.Body = io.NopCloser(bytes.NewReader(body))
	return body, utf8.Valid(body)
}

// failedRead fails as the body's first read did.
type failedRead struct{ err error }

func (f failedRead) Read([]byte) (int, error) { return 0, f.err }

// readJSON reads the body and decodes it into v. An empty body is refused,
// unless optional: then v is left as it is. example is a body that would
// do, for the message. false: the request was answered.
func readJSON(c *gin.Context, v any, optional bool, example string) bool {
	body, ok := readBody(c)
	if !ok {
		return false
	}
	if optional && len(bytes.Trim(body, " \t\r\n")) == 0 {
		return true
	}
	return decodeBody(c, body, v, example)
}

// decodeBody decodes a body readBody read into v, or answers why not.
func decodeBody(c *gin.Context, body []byte, v any, example string) bool {
	if err := workflows.DecodeJSON(body, v); err != nil {
		abort(c, bodyProblem(err, example))
		return false
	}
	return true
}

// bodyProblem answers a body the strict decoder refused: 400 for a body
// that is not one JSON object of this request's fields, naming the field;
// 422 for a well-formed number its field cannot hold (an amount over the
// limit, VAT over 100%), as for actions.
func bodyProblem(err error, example string) Problem {
	var je *workflows.JSONError
	if !errors.As(err, &je) {
		return NewProblem(http.StatusBadRequest, "The body cannot be used: "+err.Error()+".")
	}
	send := " Send one JSON object, e.g. " + example + "; /openapi.yaml lists the fields."
	field := je.Field
	if field == "" {
		field = "body"
	}
	var p Problem
	switch je.Kind {
	case workflows.JSONEmpty:
		return NewProblem(http.StatusBadRequest, "The request body is empty."+send)
	case workflows.JSONMalformed:
		p = NewProblem(http.StatusBadRequest, "The request body is not valid JSON: "+je.Problem+"."+send)
	case workflows.JSONUnknown:
		p = NewProblem(http.StatusBadRequest, fmt.Sprintf("The request body has an unknown field %q; leave it out (is it misspelt?).", je.Field)+send)
	case workflows.JSONValue:
		var pe *money.ParseError
		if !errors.As(err, &pe) {
			p = NewProblem(http.StatusBadRequest, "The request body holds a value of the wrong form: "+je.Problem+"."+send)
			break
		}
		p = NewProblem(http.StatusUnprocessableEntity, "The body holds a value that cannot be used: "+je.Problem+". Fix the value listed in errors.")
	default:
		p = NewProblem(http.StatusBadRequest, "The request body cannot be read: "+je.Error()+"."+send)
	}
	p.Errors = map[string]string{field: je.Problem}
	return p
}

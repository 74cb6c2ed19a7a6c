package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/orderflow/orderflow/internal/store"
	"github.com/orderflow/orderflow/workflows"
)

// The request bodies of the supplier routes, read field by field.

// Request bodies.

var (
	supplierCreateFields = []string{"id", "name", "email", "categories", "regions", "rating", "active"}
	supplierPatchFields  = []string{"name", "email", "categories", "regions", "rating"}
	// A new supplier needs everything that decides whether and how it is ranked.
	supplierRequiredFields = []string{"name", "email", "categories", "regions", "rating"}
	supplierIDPattern      = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)
)

const (
	maxSupplierName    = 200
	maxTagLength       = 64
	maxTagsPerSupplier = 50
)

// supplierInput holds the members a request sent, each checked; nil means
// not sent.
type supplierInput struct {
	id, name, email     *string
	categories, regions []string
	rating              *int
	active              *bool
}

func (in supplierInput) empty() bool {
	return in.id == nil && in.name == nil && in.email == nil && in.categories == nil &&
		in.regions == nil && in.rating == nil && in.active == nil
}

// applyTo copies the sent fields except id and active onto s.
func (in supplierInput) applyTo(s *store.Supplier) {
	if in.name != nil {
		s.Name = *in.name
	}
	if in.email != nil {
		s.Email = *in.email
	}
	if in.categories != nil {
		s.Categories = in.categories
	}
	if in.regions != nil {
		s.Regions = in.regions
	}
	if in.rating != nil {
		s.Rating = *in.rating
	}
}

// readSupplierInput reads a JSON object holding only the allowed members and
// checks each. It answers 400 for a body that is not such an object (an
// unknown member is named, with the reason from refused when it has one) and
// 422 with field errors for members missing, of the wrong type or value.
func readSupplierInput(c *gin.Context, allowed, required []string, refused map[string]string) (supplierInput, bool) {
	members, ok := readSupplierBody(c)
	if !ok {
		return supplierInput{}, false
	}
	if unknown := unknownSupplierFields(members, allowed); len(unknown) > 0 {
		detail := refused[unknown[0]]
		if detail == "" {
			detail = fmt.Sprintf("Unknown field %q. A supplier request may have only: %s.", unknown[0], strings.Join(allowed, ", "))
		}
		pr := NewProblem(http.StatusBadRequest, detail)
		pr.Errors = map[string]string{unknown[0]: "is not a field of this request; leave it out"}
		abort(c, pr)
		return supplierInput{}, false
	}
	in, fieldErrs := decodeSupplierMembers(members)
	for _, name := range required {
		if _, sent := members[name]; !sent {
			fieldErrs[name] = "is required"
		}
	}
	if len(fieldErrs) > 0 {
		abortInvalidSupplier(c, fieldErrs)
		return supplierInput{}, false
	}
	return in, true
}

// readSupplierBody reads the body as one JSON object, its members kept raw.
func readSupplierBody(c *gin.Context) (map[string]json.RawMessage, bool) {
	const example = `{"name": "Brico", "email": "orders@brico.example", "categories": ["building"], "regions": ["BE-BRU"], "rating": 80}`
	var members map[string]json.RawMessage
	return members, readJSON(c, &members, false, example)
}

// unknownSupplierFields returns the member names not in allowed, sorted.
func unknownSupplierFields(members map[string]json.RawMessage, allowed []string) []string {
	var unknown []string
	for name := range members {
		if !slices.Contains(allowed, name) {
			unknown = append(unknown, name)
		}
	}
	sort.Strings(unknown)
	return unknown
}

func decodeSupplierMembers(members map[string]json.RawMessage) (supplierInput, map[string]string) {
	var in supplierInput
	errs := map[string]string{}
	check := func(name string, decode func(json.RawMessage) error) {
		raw, sent := members[name]
		if !sent {
			return
		}
		if bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
			errs[name] = "must not be null; leave the field out instead"
			return
		}
		if err := decode(raw); err != nil {
			errs[name] = err.Error()
		}
	}
	check("id", func(raw json.RawMessage) (err error) { in.id, err = decodeSupplierID(raw); return err })
	check("name", func(raw json.RawMessage) (err error) { in.name, err = decodeSupplierName(raw); return err })
	check("email", func(raw json.RawMessage) (err error) { in.email, err = decodeSupplierEmail(raw); return err })
	check("categories", func(raw json.RawMessage) (err error) {
		in.categories, err = decodeSupplierTags(raw, "building")
		return err
	})
	check("regions", func(raw json.RawMessage) (err error) { in.regions, err = decodeSupplierTags(raw, "BE-BRU"); return err })
	check("rating", func(raw json.RawMessage) (err error) { in.rating, err = decodeSupplierRating(raw); return err })
	check("active", func(raw json.RawMessage) error {
		var b bool
		if json.Unmarshal(raw, &b) != nil {
			return errors.New("must be true or false")
		}
		in.active = &b
		return nil
	})
	return in, errs
}

func decodeSupplierString(raw json.RawMessage) (string, error) {
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return "", errors.New("must be a string")
	}
	return strings.TrimSpace(s), nil
}

func decodeSupplierID(raw json.RawMessage) (*string, error) {
	s, err := decodeSupplierString(raw)
	if err != nil {
		return nil, err
	}
	if !supplierIDPattern.MatchString(s) {
		return nil, errors.New("must be 1 to 64 letters, digits, '_', '.' or '-', starting with a letter or digit (or leave it out to get a generated id)")
	}
	return &s, nil
}

func decodeSupplierName(raw json.RawMessage) (*string, error) {
	s, err := decodeSupplierString(raw)
	switch {
	case err != nil:
		return nil, err
	case s == "":
		return nil, errors.New("must not be empty")
	case utf8.RuneCountInString(s) > maxSupplierName:
		return nil, fmt.Errorf("must be at most %d characters", maxSupplierName)
	}
	return &s, nil
}

func decodeSupplierEmail(raw json.RawMessage) (*string, error) {
	s, err := decodeSupplierString(raw)
	if err != nil {
		return nil, err
	}
	if !workflows.IsEmail(s) {
		return nil, errors.New("must be a plain email address, e.g. orders@supplier.example")
	}
	return &s, nil
}

// decodeTags reads a list of categories or regions: at least one, each
// non-empty and listed once. They are matched exactly against orders, so
// they are kept as written, only trimmed.
func decodeSupplierTags(raw json.RawMessage, example string) ([]string, error) {
	var list []string
	if json.Unmarshal(raw, &list) != nil {
		return nil, fmt.Errorf("must be a list of strings, e.g. [%q]", example)
	}
	if len(list) == 0 {
		return nil, fmt.Errorf("must name at least one, e.g. [%q]", example)
	}
	if len(list) > maxTagsPerSupplier {
		return nil, fmt.Errorf("must have at most %d entries", maxTagsPerSupplier)
	}
	for i, tag := range list {
		tag = strings.TrimSpace(tag)
		switch {
		case tag == "":
			return nil, fmt.Errorf("entry %d is empty", i+1)
		case utf8.RuneCountInString(tag) > maxTagLength:
			return nil, fmt.Errorf("entry %d is longer than %d characters", i+1, maxTagLength)
		case slices.Contains(list[:i], tag):
			return nil, fmt.Errorf("%q is listed twice", tag)
		}
		list[i] = tag
	}
	return list, nil
}

func decodeSupplierRating(raw json.RawMessage) (*int, error) {
	const want = "must be a whole number from 0 to 100"
	var n int
	if json.Unmarshal(raw, &n) != nil || n < 0 || n > 100 {
		return nil, errors.New(want)
	}
	return &n, nil
}

func abortInvalidSupplier(c *gin.Context, fieldErrs map[string]string) {
	fields := make([]string, 0, len(fieldErrs))
	for f := range fieldErrs {
		fields = append(fields, f)
	}
	sort.Strings(fields)
	parts := make([]string, len(fields))
	for i, f := range fields {
		parts[i] = f + " " + fieldErrs[f]
	}
	p := NewProblem(http.StatusUnprocessableEntity, "The supplier is not valid: "+strings.Join(parts, "; ")+". Correct these fields and send it again.")
	p.Errors = fieldErrs
	abort(c, p)
}

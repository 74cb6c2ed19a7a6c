package api

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/orderflow/orderflow/internal/store"
	"github.com/orderflow/orderflow/lifecycle"
	"github.com/orderflow/orderflow/workflows"
)

// PUT /v1/ops/people/{role}/{subject}: ops bind a member or a customer to
// another address, the one they sign in to the pages with (a person is
// bound by their first order, and no order moves them: docs/security.md).
// Only ops: whoever may rebind a person may act as them on the pages.

type personJSON struct {
	Role    lifecycle.Role `json:"role"`
	Subject string         `json:"subject"`
	Email   string         `json:"email"`
}

func (h opsRoutes) rebindPerson(c *gin.Context) {
	person := store.Person{Role: c.Param("role"), Subject: c.Param("subject")}
	if role := lifecycle.Role(person.Role); role != lifecycle.Member && role != lifecycle.Customer {
		abortWith(c, http.StatusNotFound, fmt.Sprintf("Only members and customers are bound to an address, not %q: the staff side's addresses are configuration (ORDERFLOW_*_EMAIL) and a supplier's is its record (PATCH /v1/suppliers/{id}).", person.Role))
		return
	}
	var in struct {
		Email string `json:"email"`
	}
	if !readJSON(c, &in, false, `{"email": "mia@example.com"}`) {
		return
	}
	if !workflows.IsEmail(in.Email) {
		pr := NewProblem(http.StatusUnprocessableEntity, "email must be one plain email address, like mia@example.com.")
		pr.Errors = map[string]string{"email": "must be an email address like mia@example.com"}
		abort(c, pr)
		return
	}
	_, err := h.Store.RebindPerson(c.Request.Context(), person, in.Email)
	switch {
	case errors.Is(err, store.ErrNotFound):
		abortWith(c, http.StatusNotFound, fmt.Sprintf("No %s %q has an address yet: a person is bound by the address of their first order.", person.Role, person.Subject))
	case err != nil:
		_ = c.Error(err)
		abortWith(c, http.StatusServiceUnavailable, "The address could not be changed in Postgres; check /readyz and try again.")
	default:
		c.JSON(http.StatusOK, personJSON{Role: lifecycle.Role(person.Role), Subject: person.Subject, Email: store.NormalizeEmail(in.Email)})
	}
}

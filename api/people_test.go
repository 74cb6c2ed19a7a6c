package api

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/orderflow/orderflow/internal/pgtest"
	"github.com/orderflow/orderflow/internal/store"
	"github.com/orderflow/orderflow/lifecycle"
)

func TestOnlyOpsRebindAPersonsAddress(t *testing.T) {
	pool := pgtest.New(t)
	ctx := context.Background()
	if _, err := pool.Exec(ctx, `INSERT INTO people (role, subject, email, bound_at) VALUES ('member', 'm-1', 'mia@example.com', now())`); err != nil {
		t.Fatal(err)
	}
	d := testDeps(nil)
	d.Store = store.New(pool)
	h := New(d)
	_, bearer := opsAPI(t, &visibilityFake{})
	put := func(path, body string, header map[string]string) int {
		if header != nil {
			header = map[string]string{"Authorization": header["Authorization"], "Content-Type": "application/json"}
		}
		return do(t, h, "PUT", path, strings.NewReader(body), header).Code
	}
	boundTo := func(email string) []store.Person {
		people, err := d.Store.PeopleByEmail(ctx, email)
		if err != nil {
			t.Fatal(err)
		}
		return people
	}
	mia := []store.Person{{Role: "member", Subject: "m-1"}}
	const body = `{"email": "thief@example.com"}`

	// Whoever may rebind a person may act as them: no role but ops, the
	// member themself included.
	for _, role := range []lifecycle.Role{lifecycle.Member, lifecycle.Staff, lifecycle.Purchasing, lifecycle.Finance, lifecycle.Customer, lifecycle.Supplier} {
		if code := put("/v1/ops/people/member/m-1", body, bearer(role)); code != http.StatusForbidden {
			t.Errorf("%s rebinding a member = %d, want 403", role, code)
		}
	}
	if code := put("/v1/ops/people/member/m-1", body, nil); code != http.StatusUnauthorized {
		t.Errorf("no token = %d, want 401", code)
	}

	ops := bearer(lifecycle.Ops)
	for _, c := range []struct {
		path, body string
		want       int
	}{
		{"/v1/ops/people/staff/s-1", body, http.StatusNotFound},  // the staff side's addresses are configuration
		{"/v1/ops/people/member/m-9", body, http.StatusNotFound}, // nobody bound yet
		{"/v1/ops/people/member/m-1", `{"email": "not an address"}`, http.StatusUnprocessableEntity},
		{"/v1/ops/people/member/m-1", `{"email": "Mia <mia@example.org>"}`, http.StatusUnprocessableEntity},
		{"/v1/ops/people/member/m-1", `{"email": "mia@example.org", "role": "staff"}`, http.StatusBadRequest},
		{"/v1/ops/people/member/m-1", ``, http.StatusBadRequest},
	} {
		if code := put(c.path, c.body, ops); code != c.want {
			t.Errorf("PUT %s %s = %d, want %d", c.path, c.body, code, c.want)
		}
	}
	if !slices.Equal(boundTo("mia@example.com"), mia) || len(boundTo("thief@example.com")) != 0 {
		t.Fatalf("a refused request changed the binding: %v, %v", boundTo("mia@example.com"), boundTo("thief@example.com"))
	}

	if code := put("/v1/ops/people/member/m-1", `{"email": "Mia@Example.org"}`, ops); code != http.StatusOK {
		t.Fatalf("ops rebinding = %d", code)
	}
	if !slices.Equal(boundTo("mia@example.org"), mia) || len(boundTo("mia@example.com")) != 0 {
		t.Errorf("after the rebind: new address %v, old address %v", boundTo("mia@example.org"), boundTo("mia@example.com"))
	}
}

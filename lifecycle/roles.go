package lifecycle

import (
	"fmt"
	"slices"
	"strings"
)

// Role is what a caller may do; the lifecycle tables grant actions to roles.
type Role string

const (
	Member     Role = "member"
	Client     Role = "client"
	Staff      Role = "staff"
	Customer   Role = "customer"
	Purchasing Role = "purchasing"
	Finance    Role = "finance"
	Supplier   Role = "supplier"
	Ops        Role = "ops"
	System     Role = "system"
)

// Roles lists every role, in the order of lifecycles.md.
var Roles = []Role{Member, Client, Staff, Customer, Purchasing, Finance, Supplier, Ops, System}

// PersonRoles are the roles a person may hold, and so the only roles a
// bearer token may name. Client (the holder of a confirmation link) and
// System (the order's own timers, the payment webhook) are principals the
// API builds in-process from a link or a verified signature, never from a
// token: a token naming them would confirm payments that never happened.
var PersonRoles = []Role{Member, Staff, Customer, Purchasing, Finance, Supplier, Ops}

// IsPerson reports whether r is a role a person may hold (PersonRoles).
func (r Role) IsPerson() bool { return slices.Contains(PersonRoles, r) }

// ParseRole accepts a role name as written in lifecycles.md.
func ParseRole(s string) (Role, error) {
	for _, r := range Roles {
		if string(r) == s {
			return r, nil
		}
	}
	return "", fmt.Errorf("unknown role %q (one of %s)", s, JoinRoles(Roles))
}

// ParsePersonRole accepts the name of a role a person may hold; client and
// system are refused with the reason.
func ParsePersonRole(s string) (Role, error) {
	r, err := ParseRole(s)
	if err != nil {
		return "", fmt.Errorf("unknown role %q (one of %s)", s, JoinRoles(PersonRoles))
	}
	if !r.IsPerson() {
		return "", notPersonError(r)
	}
	return r, nil
}

func notPersonError(r Role) error {
	return fmt.Errorf("no token may name the role %q: only orderflow itself acts as %s (a client answers through the link in their email, "+
		"payments arrive through the signed webhook); a token names one of %s", r, r, JoinRoles(PersonRoles))
}

// JoinRoles lists roles by name, for messages.
func JoinRoles(roles []Role) string {
	names := make([]string, len(roles))
	for i, r := range roles {
		names[i] = string(r)
	}
	return strings.Join(names, ", ")
}

package store

import (
	"encoding/json"
	"testing"
)

func TestAPersonKeepsTheAddressOfTheirFirstOrder(t *testing.T) {
	s, ctx := newTestStore(t), testContext(t)
	record := func(id, flow, owner, view string) {
		t.Helper()
		o, e := memberOrder(id, 1, "draft")
		o.Flow, o.OwnerID, o.View = flow, owner, json.RawMessage(view)
		mustNoErr(t, s.RecordTransition(ctx, o, e))
	}
	record("o-1", "member", "m-1", `{"member": {"member_email": " Mia@Example.com"}}`)
	// A later order naming another address for the same member (staff
	// typed it) does not rebind the member.
	record("o-2", "member", "m-1", `{"member": {"member_email": "intruder@example.com"}}`)
	record("o-3", "marketplace", "c-1", `{"marketplace": {"customer_email": "mia@example.com"}}`)
	record("o-4", "marketplace", "c-2", `{"marketplace": {}}`)

	people, err := s.PeopleByEmail(ctx, "MIA@example.com ")
	mustNoErr(t, err)
	want := []Person{{"member", "m-1"}, {"customer", "c-1"}}
	if len(people) != len(want) || people[0] != want[0] || people[1] != want[1] {
		t.Errorf("people of mia@example.com = %+v, want %+v", people, want)
	}
	if people, _ := s.PeopleByEmail(ctx, "intruder@example.com"); len(people) != 0 {
		t.Errorf("the second order's address may sign in as %+v", people)
	}
}

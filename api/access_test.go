package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/converter"

	"github.com/orderflow/orderflow/internal/auth"
	"github.com/orderflow/orderflow/internal/pgtest"
	"github.com/orderflow/orderflow/internal/store"
	"github.com/orderflow/orderflow/lifecycle"
	"github.com/orderflow/orderflow/workflows"
)

// archiveOnly is a Temporal that holds no order any more: every order is
// read back from the read model (orders.archived), so what a caller sees and
// lists comes from Postgres, the projection and the lifecycle's Access alone.
type archiveOnly struct{ *recordingTemporal }

func (archiveOnly) QueryWorkflow(context.Context, string, string, string, ...any) (converter.EncodedValue, error) {
	return nil, serviceerror.NewNotFound("workflow not found")
}

// accessOrder is one recorded order: a flow, a status and who created it.
type accessOrder struct {
	id      string
	flow    lifecycle.Flow
	status  lifecycle.Status
	creator auth.Principal
}

// The people who try: the owner, the supplier offered (and given) the
// order, a staff user who created orders, and a stranger of every role.
const (
	accessOwner    = "own-1"
	accessSupplier = "sup-1"
	accessCreator  = "stf-1"
	accessStranger = "nobody"
)

// Every role, in every status of both flows, reads (GET) and lists (GET
// /v1/orders) exactly the orders the lifecycle's Access gives it: the test
// derives what each may see from the descriptor and asks the real API, on a
// real Postgres.
func TestVisibilityAndListingFollowTheLifecycle(t *testing.T) {
	st := store.New(pgtest.New(t))
	d := testDeps(nil)
	d.Temporal, d.Store = archiveOnly{&recordingTemporal{}}, st
	h := New(d)

	var orders []accessOrder
	n := 0
	for _, fl := range lifecycle.Flows {
		for _, s := range fl.Statuses {
			// Each status twice: created by its owner, and by a staff user
			// (which CreatorOnly statuses tell apart).
			for _, creator := range []auth.Principal{{Role: ownerRole(fl), Subject: accessOwner}, {Role: lifecycle.Staff, Subject: accessCreator}} {
				n++
				o := accessOrder{id: fmt.Sprintf("ord_01M8ACCESS%016d", n), flow: fl, status: s, creator: creator}
				recordAccessOrder(t, st, o, n)
				orders = append(orders, o)
			}
		}
	}

	for _, role := range lifecycle.PersonRoles {
		for _, subject := range []string{accessOwner, accessSupplier, accessCreator, accessStranger} {
			p := auth.Principal{Role: role, Subject: subject}
			listed := listAll(t, h, p)
			for _, o := range orders {
				wantSee, wantList := expectedAccess(o, p)
				rec := send(h, "GET", "/v1/orders/"+o.id, bearer(t, role, subject), nil)
				if got := rec.Code == http.StatusOK; got != wantSee || (!got && rec.Code != http.StatusNotFound) {
					t.Errorf("%s %s reads a %s order in %s (created by %s): %d, want visible=%v", role, subject, o.flow.Name, o.status, o.creator.Role, rec.Code, wantSee)
				}
				if got := slices.Contains(listed, o.id); got != wantList {
					t.Errorf("%s %s lists a %s order in %s (created by %s): %v, want %v", role, subject, o.flow.Name, o.status, o.creator.Role, got, wantList)
				}
			}
		}
	}
}

// ownerRole is who owns orders of the flow: the role that reaches its own.
func ownerRole(fl lifecycle.Flow) lifecycle.Role {
	for _, r := range lifecycle.Roles {
		if fl.Access[r].Reach == lifecycle.OwnOrders {
			return r
		}
	}
	return ""
}

// expectedAccess is what the descriptor says p may see and list of o.
func expectedAccess(o accessOrder, p auth.Principal) (see, list bool) {
	access := o.flow.Access[p.Role]
	if slices.Contains(access.CreatorOnly, o.status) && o.creator != p {
		return false, false
	}
	switch access.Reach {
	case lifecycle.AllOrders:
		see = true
	case lifecycle.OwnOrders:
		see = p.Subject == accessOwner
	case lifecycle.OfferedOrders:
		see = p.Subject == accessSupplier // offered it, and took it
	}
	return see, see && access.List
}

// recordAccessOrder writes o to the read model as the workflow would: its
// system view (owner, the supplier it was offered to and went to, its create
// entry) and its row.
func recordAccessOrder(t *testing.T, st *store.Store, o accessOrder, n int) {
	t.Helper()
	at := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC).Add(time.Duration(n) * time.Minute)
	view := workflows.OrderView{
		ID: o.id, Flow: o.flow.Name, Status: o.status, Owner: accessOwner, Title: "access " + o.id, Currency: "EUR",
		CreatedAt: at, UpdatedAt: at, Deadlines: []workflows.Deadline{}, Documents: nil, Emails: []workflows.SentEmail{},
		AllowedActions: []lifecycle.Action{},
		Timeline: []workflows.TimelineEntry{{Seq: 1, At: at, To: o.status, Action: lifecycle.Create,
			ActorRole: o.creator.Role, ActorID: o.creator.Subject, Outcome: store.OutcomeApplied}},
	}
	row := store.Order{ID: o.id, Flow: o.flow.Name, Status: string(o.status), OwnerID: accessOwner, Title: view.Title,
		Currency: "EUR", Seq: 1, CreatedAt: at, UpdatedAt: at}
	if o.flow.Name == lifecycle.MarketplaceFlow.Name {
		view.Marketplace = &workflows.MarketplaceDetails{Items: []workflows.Item{}}
		view.Marketplace.Offers = append(view.Marketplace.Offers, workflows.Offer{Round: 1})
		view.Marketplace.Offers[0].Supplier.ID = accessSupplier
		row.SupplierID = accessSupplier
	} else {
		view.Member = &workflows.MemberDetails{}
	}
	b, err := json.Marshal(view)
	if err != nil {
		t.Fatal(err)
	}
	row.View = b
	entry := store.TimelineEntry{OrderID: o.id, Seq: 1, At: at, To: string(o.status), Action: string(lifecycle.Create),
		ActorRole: string(o.creator.Role), ActorID: o.creator.Subject, Outcome: store.OutcomeApplied}
	if err := st.RecordTransition(context.Background(), row, entry); err != nil {
		t.Fatal(err)
	}
}

// listAll is every order p lists, page after page (403 lists nothing).
func listAll(t *testing.T, h http.Handler, p auth.Principal) []string {
	t.Helper()
	var ids []string
	cursor := ""
	for {
		rec := send(h, "GET", "/v1/orders?limit=200&cursor="+cursor, bearer(t, p.Role, p.Subject), nil)
		if rec.Code == http.StatusForbidden {
			return nil
		}
		var page struct {
			Orders []struct {
				ID string `json:"id"`
			} `json:"orders"`
			NextCursor string `json:"next_cursor"`
		}
		if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &page) != nil {
			t.Fatalf("%s %s lists: %d %s", p.Role, p.Subject, rec.Code, rec.Body)
		}
		for _, o := range page.Orders {
			ids = append(ids, o.ID)
		}
		if page.NextCursor == "" {
			return ids
		}
		cursor = page.NextCursor
	}
}

package signin

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/orderflow/orderflow/internal/auth"
	"github.com/orderflow/orderflow/internal/pgtest"
	"github.com/orderflow/orderflow/internal/store"
	"github.com/orderflow/orderflow/lifecycle"
)

var member = auth.Principal{Role: lifecycle.Member, Subject: "m-1"}

func newService(t *testing.T) (*Service, *time.Time) {
	s := New(pgtest.New(t))
	now := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	s.now = func() time.Time { return now }
	return s, &now
}

func TestALinkSignsInOnceAsWhoItNames(t *testing.T) {
	ctx := context.Background()
	s, _ := newService(t)
	token, err := s.IssueLink(ctx, " Mia@Example.com ", member)
	if err != nil {
		t.Fatal(err)
	}
	peeked, err := s.PeekLink(ctx, token)
	if err != nil || peeked.Who != member || peeked.Email != "mia@example.com" {
		t.Fatalf("peek = %+v, %v", peeked, err)
	}
	sess, cookie, err := s.UseLink(ctx, token)
	if err != nil {
		t.Fatal(err)
	}
	if sess.Who != member || sess.Email != "mia@example.com" || sess.CSRF == "" || cookie == "" || cookie == token {
		t.Fatalf("session = %+v, cookie %q", sess, cookie)
	}
	got, err := s.Session(ctx, cookie)
	if err != nil || got.Who != member || got.CSRF != sess.CSRF {
		t.Fatalf("session read back = %+v, %v", got, err)
	}
	if _, _, err := s.UseLink(ctx, token); !errors.Is(err, ErrLinkUsed) {
		t.Errorf("second use: %v, want ErrLinkUsed", err)
	}
	if _, err := s.PeekLink(ctx, token); !errors.Is(err, ErrLinkUsed) {
		t.Errorf("peek after use: %v, want ErrLinkUsed", err)
	}
}

func TestTwoRequestsRacingWithOneLinkOpenOneSession(t *testing.T) {
	ctx := context.Background()
	s, _ := newService(t)
	token, err := s.IssueLink(ctx, "mia@example.com", member)
	if err != nil {
		t.Fatal(err)
	}
	const racers = 8
	var wg sync.WaitGroup
	errs := make(chan error, racers)
	for range racers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _, err := s.UseLink(ctx, token)
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	won, used := 0, 0
	for err := range errs {
		switch {
		case err == nil:
			won++
		case errors.Is(err, ErrLinkUsed):
			used++
		default:
			t.Errorf("unexpected: %v", err)
		}
	}
	if won != 1 || used != racers-1 {
		t.Errorf("%d sessions opened and %d refused as used, want 1 and %d", won, used, racers-1)
	}
	var sessions int
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM sessions`).Scan(&sessions); err != nil || sessions != 1 {
		t.Errorf("sessions stored = %d (%v), want 1", sessions, err)
	}
}

func TestLinksAndSessionsEnd(t *testing.T) {
	ctx := context.Background()
	s, now := newService(t)
	token, err := s.IssueLink(ctx, "mia@example.com", member)
	if err != nil {
		t.Fatal(err)
	}
	*now = now.Add(LinkTTL)
	if _, _, err := s.UseLink(ctx, token); !errors.Is(err, ErrLinkExpired) {
		t.Errorf("use after %s: %v, want ErrLinkExpired", LinkTTL, err)
	}
	for _, bad := range []string{"", "nonsense", token + "x", string(make([]byte, 500))} {
		if _, _, err := s.UseLink(ctx, bad); !errors.Is(err, ErrLinkUnknown) {
			t.Errorf("use %.20q: %v, want ErrLinkUnknown", bad, err)
		}
	}

	token, _ = s.IssueLink(ctx, "mia@example.com", member)
	_, cookie, err := s.UseLink(ctx, token)
	if err != nil {
		t.Fatal(err)
	}
	*now = now.Add(SessionTTL)
	if _, err := s.Session(ctx, cookie); !errors.Is(err, ErrNoSession) {
		t.Errorf("session after %s: %v, want ErrNoSession", SessionTTL, err)
	}

	*now = now.Add(-SessionTTL)
	if err := s.EndSession(ctx, cookie); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Session(ctx, cookie); !errors.Is(err, ErrNoSession) {
		t.Errorf("session after sign-out: %v, want ErrNoSession", err)
	}
}

func TestAnAddressIsAskedForAFewTimesAtATime(t *testing.T) {
	ctx := context.Background()
	s, now := newService(t)
	// The limit counts requests, not links: an address that may sign in
	// nowhere is refused exactly as one that may.
	for i := range MaxLinksPerAddress {
		if _, err := s.Request(ctx, "mia@example.com"); err != nil {
			t.Fatalf("request %d: %v", i+1, err)
		}
	}
	if _, err := s.Request(ctx, "MIA@example.com"); !errors.Is(err, ErrTooManyLinks) {
		t.Errorf("request %d: %v, want ErrTooManyLinks", MaxLinksPerAddress+1, err)
	}
	if _, err := s.Request(ctx, "other@example.com"); err != nil {
		t.Errorf("another address: %v", err)
	}
	*now = now.Add(LinkTTL + time.Second)
	id, err := s.Request(ctx, "mia@example.com")
	if err != nil {
		t.Fatalf("after %s: %v", LinkTTL, err)
	}
	if err := s.Handled(ctx, id); err != nil {
		t.Fatal(err)
	}
	var handled, kept int
	if err := s.pool.QueryRow(ctx, `SELECT count(handled_at), count(*) FROM sign_in_requests`).Scan(&handled, &kept); err != nil {
		t.Fatal(err)
	}
	if handled != 1 || kept != 1 {
		t.Errorf("after %s: %d requests kept, %d handled; want only the new one, handled", LinkTTL, kept, handled)
	}
}

func TestRacingRequestsStayWithinTheLimit(t *testing.T) {
	ctx := context.Background()
	s, _ := newService(t)
	const racers = 3 * MaxLinksPerAddress
	errs := make(chan error, racers)
	for range racers {
		go func() { _, err := s.Request(ctx, "mia@example.com"); errs <- err }()
	}
	granted := 0
	for range racers {
		switch err := <-errs; {
		case err == nil:
			granted++
		case !errors.Is(err, ErrTooManyLinks):
			t.Error(err)
		}
	}
	if granted != MaxLinksPerAddress {
		t.Errorf("%d racing requests granted %d, want %d", racers, granted, MaxLinksPerAddress)
	}
}

func TestCSRFMatchesOnlyTheSessionsToken(t *testing.T) {
	sess := Session{CSRF: "abc"}
	for token, want := range map[string]bool{"abc": true, "": false, "abd": false, "ab": false} {
		if got := sess.ValidCSRF(token); got != want {
			t.Errorf("ValidCSRF(%q) = %v, want %v", token, got, want)
		}
	}
	if (Session{}).ValidCSRF("") {
		t.Error("a session without a token accepted an empty one")
	}
}

func TestDirectoryNamesEveryIdentityOfAnAddress(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.New(t)
	st := store.New(pool)
	if _, err := st.CreateSupplier(ctx, store.Supplier{ID: "sup-1", Name: "Brico", Email: "Shared@Example.com", Categories: []string{"building"}, Regions: []string{"BE-BRU"}, Rating: 80, Active: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `INSERT INTO people (role, subject, email, bound_at) VALUES ('customer', 'c-9', 'shared@example.com', now())`); err != nil {
		t.Fatal(err)
	}
	d := Directory{Store: st, Staff: map[string][]lifecycle.Role{"shared@example.com": {lifecycle.Finance}}}
	ids, err := d.Lookup(ctx, " SHARED@example.com")
	if err != nil {
		t.Fatal(err)
	}
	var got []auth.Principal
	for _, id := range ids {
		got = append(got, id.Principal)
	}
	want := []auth.Principal{{Role: lifecycle.Finance, Subject: "shared@example.com"}, {Role: lifecycle.Supplier, Subject: "sup-1"}, {Role: lifecycle.Customer, Subject: "c-9"}}
	if len(got) != len(want) {
		t.Fatalf("identities = %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("identity %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	if err := st.DeactivateSupplier(ctx, "sup-1"); err != nil {
		t.Fatal(err)
	}
	if ids, _ := d.Lookup(ctx, "shared@example.com"); len(ids) != 2 {
		t.Errorf("after the supplier was deactivated: %+v, want finance and customer only", ids)
	}
	if ids, _ := d.Lookup(ctx, "nobody@example.com"); len(ids) != 0 {
		t.Errorf("unknown address: %+v", ids)
	}
}

package store

import (
	"github.com/orderflow/orderflow/internal/linktoken"
	"strings"
	"sync"
	"testing"
	"time"
)

// testTokens signs the tests' links as the web layer would (clientpage.Tokens).
func testTokens(secret string) LinkTokens {
	return linktoken.New([]byte(secret), "test client link tokens", "client-link:", ClientLinkPrefix)
}

func newTestLinks(t *testing.T) *ClientLinks {
	t.Helper()
	links, err := NewClientLinks(newTestStore(t).Pool(), testTokens("client-link-test-secret"))
	mustNoErr(t, err)
	return links
}

func createLink(t *testing.T, links *ClientLinks, key, orderID string, expires time.Time) ClientLink {
	t.Helper()
	l, err := links.CreateClientLink(testContext(t), ClientLinkRequest{Key: key, OrderID: orderID, ExpiresAt: expires})
	mustNoErr(t, err)
	return l
}

func inOneWeek() time.Time { return time.Now().Add(7 * 24 * time.Hour).UTC().Truncate(time.Second) }

func TestNewClientLinksNeedsASigner(t *testing.T) {
	if _, err := NewClientLinks(nil, nil); err == nil {
		t.Fatal("NewClientLinks without a signer succeeded")
	}
}

func TestCreateClientLinkIsIdempotentPerKey(t *testing.T) {
	links := newTestLinks(t)
	expires := inOneWeek()
	first := createLink(t, links, "ord-1/client-link/1", "ord-1", expires)
	if !strings.HasPrefix(first.ID, "cl_") || !strings.HasPrefix(first.Token, first.ID+".") || len(first.Token) < 60 {
		t.Fatalf("link = %+v; want a cl_ id and a long token carrying it", first)
	}
	if !first.ExpiresAt.Equal(expires) || first.UsedAt != nil || first.RevokedAt != nil {
		t.Fatalf("new link = %+v", first)
	}

	again := createLink(t, links, "ord-1/client-link/1", "ord-1", expires)
	if again.ID != first.ID || again.Token != first.Token || !again.CreatedAt.Equal(first.CreatedAt) {
		t.Fatalf("retry made another link: %+v, first %+v", again, first)
	}
	all, err := links.ClientLinksOf(testContext(t), "ord-1")
	mustNoErr(t, err)
	if len(all) != 1 {
		t.Fatalf("%d links after a retry, want 1", len(all))
	}

	var hashes int
	mustNoErr(t, links.pool.QueryRow(testContext(t),
		`SELECT count(*) FROM client_links WHERE token_hash = sha256(convert_to($1, 'UTF8'))`,
		first.Token).Scan(&hashes))
	if hashes != 1 {
		t.Fatal("the stored hash is not sha256 of the token")
	}

	_, err = links.CreateClientLink(testContext(t), ClientLinkRequest{Key: "ord-1/client-link/1", OrderID: "ord-2", ExpiresAt: expires})
	wantErrIs(t, err, ErrConflict)
	_, err = links.CreateClientLink(testContext(t), ClientLinkRequest{Key: "ord-1/client-link/1", OrderID: "ord-1", ExpiresAt: expires.Add(time.Hour)})
	wantErrIs(t, err, ErrConflict)
}

func TestCreateClientLinkRefusesIncompleteRequests(t *testing.T) {
	links := newTestLinks(t)
	for name, r := range map[string]ClientLinkRequest{
		"no key":    {OrderID: "ord-1", ExpiresAt: inOneWeek()},
		"no order":  {Key: "k", ExpiresAt: inOneWeek()},
		"no expiry": {Key: "k", OrderID: "ord-1"},
	} {
		if _, err := links.CreateClientLink(testContext(t), r); err == nil {
			t.Errorf("%s: created", name)
		} else {
			wantErrIs(t, err, ErrInvalid)
		}
	}
}

func TestResolveAndUseALinkOnce(t *testing.T) {
	links := newTestLinks(t)
	l := createLink(t, links, "k1", "ord-1", inOneWeek())

	got, err := links.ResolveClientLink(testContext(t), l.Token)
	mustNoErr(t, err)
	if got.ID != l.ID || got.OrderID != "ord-1" || got.Token != l.Token {
		t.Fatalf("resolved %+v, want %+v", got, l)
	}

	at := time.Date(2026, 5, 4, 10, 30, 0, 123456000, time.UTC)
	used, err := links.UseClientLink(testContext(t), l.Token, AnswerDecline, at)
	mustNoErr(t, err)
	if used.UsedAt == nil || !used.UsedAt.Equal(at) || used.Answer != AnswerDecline {
		t.Fatalf("used link = %+v", used)
	}

	again, err := links.UseClientLink(testContext(t), l.Token, AnswerConfirm, at.Add(time.Minute))
	wantErrIs(t, err, ErrLinkUsed)
	if again.Answer != AnswerDecline || !again.UsedAt.Equal(at) {
		t.Fatalf("a second use changed the first answer: %+v", again)
	}
	resolved, err := links.ResolveClientLink(testContext(t), l.Token)
	wantErrIs(t, err, ErrLinkUsed)
	if resolved.ID != l.ID || resolved.Answer != AnswerDecline {
		t.Fatalf("a used link resolves to %+v; want it with its answer", resolved)
	}
}

func TestUseClientLinkRefusesOtherAnswers(t *testing.T) {
	links := newTestLinks(t)
	l := createLink(t, links, "k1", "ord-1", inOneWeek())
	_, err := links.UseClientLink(testContext(t), l.Token, "maybe", time.Now())
	wantErrIs(t, err, ErrInvalid)
	_, err = links.ResolveClientLink(testContext(t), l.Token)
	mustNoErr(t, err)
}

func TestConcurrentUsesHaveExactlyOneWinner(t *testing.T) {
	links := newTestLinks(t)
	l := createLink(t, links, "k1", "ord-1", inOneWeek())

	const n = 8
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		answer := AnswerConfirm
		if i%2 == 1 {
			answer = AnswerDecline
		}
		wg.Go(func() { _, errs[i] = links.UseClientLink(testContext(t), l.Token, answer, time.Now()) })
	}
	wg.Wait()
	wins := 0
	for _, err := range errs {
		switch {
		case err == nil:
			wins++
		default:
			wantErrIs(t, err, ErrLinkUsed)
		}
	}
	if wins != 1 {
		t.Fatalf("%d uses succeeded, want exactly 1 (errors %v)", wins, errs)
	}
}

func TestExpiredLinkCannotBeUsed(t *testing.T) {
	links := newTestLinks(t)
	expires := time.Date(2026, 12, 1, 23, 0, 0, 0, time.UTC)
	l := createLink(t, links, "k1", "ord-1", expires)

	// The boundary: usable one microsecond before the expiry, not at it.
	_, err := links.UseClientLink(testContext(t), l.Token, AnswerConfirm, expires)
	wantErrIs(t, err, ErrLinkExpired)
	used, err := links.UseClientLink(testContext(t), l.Token, AnswerConfirm, expires.Add(-time.Microsecond))
	mustNoErr(t, err)
	if used.Answer != AnswerConfirm {
		t.Fatalf("used = %+v", used)
	}

	past := createLink(t, links, "k2", "ord-2", time.Now().Add(-time.Minute))
	_, err = links.ResolveClientLink(testContext(t), past.Token)
	wantErrIs(t, err, ErrLinkExpired)
	_, err = links.UseClientLink(testContext(t), past.Token, AnswerConfirm, time.Now())
	wantErrIs(t, err, ErrLinkExpired)
}

func TestNewerLinkRevokesTheOlderOnes(t *testing.T) {
	links := newTestLinks(t)
	first := createLink(t, links, "ord-1/link/1", "ord-1", inOneWeek())
	second := createLink(t, links, "ord-1/link/2", "ord-1", inOneWeek())
	other := createLink(t, links, "ord-2/link/1", "ord-2", inOneWeek())

	old, err := links.ResolveClientLink(testContext(t), first.Token)
	wantErrIs(t, err, ErrLinkRevoked)
	if old.ReplacedBy != second.ID || old.RevokedAt == nil {
		t.Fatalf("revoked link = %+v; want it replaced by %s", old, second.ID)
	}
	_, err = links.UseClientLink(testContext(t), first.Token, AnswerConfirm, time.Now())
	wantErrIs(t, err, ErrLinkRevoked)

	// A late retry of the first key returns its (revoked) link and leaves the newer one alone.
	retried := createLink(t, links, "ord-1/link/1", "ord-1", first.ExpiresAt)
	if retried.ID != first.ID {
		t.Fatalf("retry of the first key made %s", retried.ID)
	}
	_, err = links.ResolveClientLink(testContext(t), second.Token)
	mustNoErr(t, err)
	_, err = links.ResolveClientLink(testContext(t), other.Token)
	mustNoErr(t, err)
	_, err = links.UseClientLink(testContext(t), second.Token, AnswerConfirm, time.Now())
	mustNoErr(t, err)
}

func TestRacingResendsLeaveOneUsableLink(t *testing.T) {
	links := newTestLinks(t)
	const n = 6
	made := make([]ClientLink, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			made[i], errs[i] = links.CreateClientLink(testContext(t),
				ClientLinkRequest{Key: "ord-1/link/" + string(rune('a'+i)), OrderID: "ord-1", ExpiresAt: inOneWeek()})
		})
	}
	wg.Wait()
	usable := 0
	for i := range n {
		mustNoErr(t, errs[i])
		if _, err := links.ResolveClientLink(testContext(t), made[i].Token); err == nil {
			usable++
		} else {
			wantErrIs(t, err, ErrLinkRevoked)
		}
	}
	if usable != 1 {
		t.Fatalf("%d usable links after racing resends, want 1", usable)
	}
}

func TestRevokeClientLinks(t *testing.T) {
	links := newTestLinks(t)
	l := createLink(t, links, "k1", "ord-1", inOneWeek())
	other := createLink(t, links, "k2", "ord-2", inOneWeek())
	n, err := links.RevokeClientLinks(testContext(t), "ord-1")
	mustNoErr(t, err)
	if n != 1 {
		t.Fatalf("revoked %d links, want 1", n)
	}
	revoked, err := links.ResolveClientLink(testContext(t), l.Token)
	wantErrIs(t, err, ErrLinkRevoked)
	if revoked.ReplacedBy != "" {
		t.Fatalf("a withdrawn link names a replacement: %+v", revoked)
	}
	_, err = links.ResolveClientLink(testContext(t), other.Token)
	mustNoErr(t, err)
}

func TestReleaseMakesALinkUsableAgain(t *testing.T) {
	links := newTestLinks(t)
	l := createLink(t, links, "k1", "ord-1", inOneWeek())
	used, err := links.UseClientLink(testContext(t), l.Token, AnswerConfirm, time.Now())
	mustNoErr(t, err)
	mustNoErr(t, links.ReleaseClientLink(testContext(t), used))
	if _, err := links.ResolveClientLink(testContext(t), l.Token); err != nil {
		t.Fatalf("released link: %v", err)
	}
	if err := links.ReleaseClientLink(testContext(t), l); err == nil {
		t.Fatal("released a link that was never used")
	}

	// A stale release (of an earlier use) leaves a later use alone.
	later, err := links.UseClientLink(testContext(t), l.Token, AnswerDecline, time.Now())
	mustNoErr(t, err)
	mustNoErr(t, links.ReleaseClientLink(testContext(t), used))
	got, err := links.ResolveClientLink(testContext(t), l.Token)
	wantErrIs(t, err, ErrLinkUsed)
	if got.Answer != AnswerDecline || !got.UsedAt.Equal(*later.UsedAt) {
		t.Fatalf("after a stale release: %+v", got)
	}
}

func TestReleasedOldLinkStaysRevokedAfterAResend(t *testing.T) {
	links := newTestLinks(t)
	first := createLink(t, links, "k1", "ord-1", inOneWeek())
	used, err := links.UseClientLink(testContext(t), first.Token, AnswerConfirm, time.Now())
	mustNoErr(t, err)
	createLink(t, links, "k2", "ord-1", inOneWeek()) // a resend while the answer was on its way
	_, err = links.ResolveClientLink(testContext(t), first.Token)
	wantErrIs(t, err, ErrLinkUsed) // the answer still shows
	mustNoErr(t, links.ReleaseClientLink(testContext(t), used))
	_, err = links.ResolveClientLink(testContext(t), first.Token)
	wantErrIs(t, err, ErrLinkRevoked)
}

func TestTamperedAndForeignTokensAreUnknown(t *testing.T) {
	links := newTestLinks(t)
	l := createLink(t, links, "k1", "ord-1", inOneWeek())
	foreign, err := NewClientLinks(links.pool, testTokens("another secret"))
	mustNoErr(t, err)
	id, mac, _ := strings.Cut(l.Token, ".")
	flipped := []byte(mac)
	flipped[3] ^= 1
	if flipped[3] == mac[3] {
		t.Fatal("the token was not changed")
	}
	unknownID := "cl_01ARZ3NDEKTSV4RRFFQ69G5FAV"
	for name, token := range map[string]string{
		"empty":             "",
		"no signature":      id,
		"flipped signature": id + "." + string(flipped),
		"other link's id":   unknownID + "." + mac,
		"not base64":        id + ".!!!!",
		"trailing data":     l.Token + "x",
		"too long":          l.Token + strings.Repeat("A", 300),
		"not a link":        "pay_01ARZ3NDEKTSV4RRFFQ69G5FAV." + mac,
		"signed, no row":    links.token(unknownID),
	} {
		_, err := links.ResolveClientLink(testContext(t), token)
		if err == nil {
			t.Errorf("%s: resolved", name)
			continue
		}
		wantErrIs(t, err, ErrLinkUnknown)
		_, err = links.UseClientLink(testContext(t), token, AnswerConfirm, time.Now())
		wantErrIs(t, err, ErrLinkUnknown)
	}
	_, err = foreign.ResolveClientLink(testContext(t), l.Token)
	wantErrIs(t, err, ErrLinkUnknown)
	if _, err := links.ResolveClientLink(testContext(t), l.Token); err != nil {
		t.Fatalf("the genuine token no longer resolves: %v", err)
	}
}

package email

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/orderflow/orderflow/internal/pgtest"
)

func TestCaptureStoresOncePerKey(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.New(t)
	capture := NewCapture(pool)

	first := testMessage()
	id, err := capture.Send(ctx, first)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(id, "capture-") {
		t.Errorf("id %q, want a capture id", id)
	}

	again := testMessage() // a retried activity, re-rendered with other words
	again.Subject = "Something else"
	id2, err := capture.Send(ctx, again)
	if err != nil {
		t.Fatal(err)
	}
	if id2 != id {
		t.Errorf("second capture of the same key returned %q, want the first id %q", id2, id)
	}

	var rows int
	var subject string
	if err := pool.QueryRow(ctx, `SELECT count(*), min(subject) FROM captured_mail`).Scan(&rows, &subject); err != nil {
		t.Fatal(err)
	}
	if rows != 1 || subject != first.Subject {
		t.Errorf("%d rows, subject %q; want 1 row with the first subject", rows, subject)
	}
}

func TestCaptureConcurrentSendsOfOneKey(t *testing.T) {
	capture := NewCapture(pgtest.New(t))
	ids := make([]string, 8)
	var wg sync.WaitGroup
	for i := range ids {
		wg.Go(func() {
			id, err := capture.Send(context.Background(), testMessage())
			if err != nil {
				t.Error(err)
			}
			ids[i] = id
		})
	}
	wg.Wait()
	for _, id := range ids {
		if id == "" || id != ids[0] {
			t.Fatalf("ids %q, want one id for all", ids)
		}
	}
}

func TestListCapturedNewestFirst(t *testing.T) {
	ctx := context.Background()
	capture := NewCapture(pgtest.New(t))
	for i := range 3 {
		m := testMessage()
		m.Key = KeyFor("o-1", fmt.Sprint("purpose_", i), m.To.Email)
		m.Purpose = fmt.Sprint("purpose_", i)
		m.Subject = fmt.Sprint("Subject ", i)
		if _, err := capture.Send(ctx, m); err != nil {
			t.Fatal(err)
		}
	}

	mails, err := capture.ListCaptured(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	var subjects []string
	for _, m := range mails {
		subjects = append(subjects, m.Subject)
	}
	if fmt.Sprint(subjects) != "[Subject 2 Subject 1 Subject 0]" {
		t.Fatalf("subjects %q, want newest first", subjects)
	}

	got := mails[0]
	want := testMessage()
	checks := []struct {
		name      string
		got, want any
	}{
		{"message id", strings.HasPrefix(got.MessageID, "capture-"), true},
		{"key", got.Key, KeyFor("o-1", "purpose_2", want.To.Email)},
		{"order", got.OrderID, "o-1"},
		{"purpose", got.Purpose, "purpose_2"},
		{"from", got.From, "Orders <orders@example.com>"},
		{"to", got.To, "Client <Client@Example.com>"},
		{"cc", fmt.Sprint(got.Cc), "[Member <member@example.com>]"},
		{"text", got.Text, want.Text},
		{"html", got.HTML, want.HTML},
		{"attachments", fmt.Sprint(got.Attachments), fmt.Sprint([]CapturedAttachment{{"invoice.pdf", "application/pdf", len(want.Attachments[0].Content)}})},
		{"created", got.CreatedAt.IsZero(), false},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: got %v, want %v", c.name, c.got, c.want)
		}
	}

	two, err := capture.ListCaptured(ctx, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(two) != 2 || two[0].Subject != "Subject 2" {
		t.Errorf("limit 2: %d mails, want the 2 newest", len(two))
	}
}

func TestCaptureRefusesIncompleteMessage(t *testing.T) {
	capture := NewCapture(pgtest.New(t))
	m := testMessage()
	m.Key = ""
	_, err := capture.Send(context.Background(), m)
	if !errors.As(err, new(*PermanentError)) {
		t.Fatalf("error %v, want *PermanentError", err)
	}
	mails, err := capture.ListCaptured(context.Background(), 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(mails) != 0 {
		t.Errorf("%d mails captured, want none", len(mails))
	}
}

func TestKeyFor(t *testing.T) {
	if got := KeyFor("o-1", "payment_link", " Ann@Example.COM "); got != "o-1/payment_link/ann@example.com" {
		t.Errorf("KeyFor = %q", got)
	}
	if KeyFor("o-1", "payment_link", "ann@example.com") != KeyFor("o-1", "payment_link", "ANN@example.com") {
		t.Error("the case of the address changes the key")
	}
	distinct := map[string]bool{}
	for _, parts := range [][3]string{
		{"a/b", "c", "d@x"}, {"a", "b/c", "d@x"}, {"a", "b", "c/d@x"},
		{"a%2Fb", "c", "d@x"}, {"o-1", "payment_link", "d@x"}, {"o-1", "payment_link", "e@x"},
	} {
		distinct[KeyFor(parts[0], parts[1], parts[2])] = true
	}
	if len(distinct) != 6 {
		t.Errorf("%d distinct keys for 6 distinct triples", len(distinct))
	}
}

func TestParseAddress(t *testing.T) {
	a, err := ParseAddress("orderflow <orders@orderflow.localhost>")
	if err != nil {
		t.Fatal(err)
	}
	if a != (Address{Name: "orderflow", Email: "orders@orderflow.localhost"}) || a.String() != "orderflow <orders@orderflow.localhost>" {
		t.Errorf("parsed %+v (%s)", a, a)
	}
	if _, err := ParseAddress("not an address"); err == nil {
		t.Error("no error for a malformed address")
	}
}

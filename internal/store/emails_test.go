package store

import (
	"fmt"
	"sync"
	"testing"
	"time"
)

func confirmation(key string) Email {
	return Email{Key: key, OrderID: "o-1", Purpose: "confirmation", Recipient: "ada@example.com", Subject: "Your order"}
}

func TestClaimEmailStateMachine(t *testing.T) {
	s, ctx := newTestStore(t), testContext(t)
	e := confirmation("o-1/confirmation/ada")

	first, claimed, err := s.ClaimEmail(ctx, e)
	mustNoErr(t, err)
	if !claimed || first.Status != EmailSending || first.Attempts != 1 || first.Subject != "Your order" || first.CreatedAt.IsZero() {
		t.Fatalf("first claim = %+v claimed=%t, want sending with 1 attempt", first, claimed)
	}

	again, claimed, err := s.ClaimEmail(ctx, e)
	mustNoErr(t, err)
	if claimed || again.Status != EmailSending || again.Attempts != 1 {
		t.Fatalf("claim while sending = %+v claimed=%t, want the sending row unclaimed", again, claimed)
	}

	mustNoErr(t, s.MarkEmailFailed(ctx, e.Key, "503 from provider"))
	mustNoErr(t, s.MarkEmailFailed(ctx, e.Key, "503 from provider")) // a retried mark is a no-op

	retry, claimed, err := s.ClaimEmail(ctx, e)
	mustNoErr(t, err)
	if !claimed || retry.Status != EmailSending || retry.Attempts != 2 || retry.LastError != "503 from provider" {
		t.Fatalf("claim after failure = %+v claimed=%t, want sending with 2 attempts", retry, claimed)
	}

	sentAt := t0.Add(time.Minute)
	mustNoErr(t, s.MarkEmailSent(ctx, e.Key, "msg-42", sentAt))
	mustNoErr(t, s.MarkEmailSent(ctx, e.Key, "msg-42", sentAt)) // a retried mark is a no-op

	done, claimed, err := s.ClaimEmail(ctx, e)
	mustNoErr(t, err)
	if claimed || done.Status != EmailSent || done.ProviderMessageID != "msg-42" || done.SentAt == nil || !done.SentAt.Equal(sentAt) || done.Attempts != 2 {
		t.Fatalf("claim after sent = %+v claimed=%t, want the sent row unclaimed", done, claimed)
	}

	wantErrIs(t, s.MarkEmailFailed(ctx, e.Key, "too late"), ErrConflict)
	wantErrIs(t, s.MarkEmailSent(ctx, e.Key, "msg-other", sentAt), ErrConflict)
	final, err := s.GetEmail(ctx, e.Key)
	mustNoErr(t, err)
	if final.Status != EmailSent || final.ProviderMessageID != "msg-42" {
		t.Fatalf("email after refused marks = %+v", final)
	}
}

func TestMarkEmailNeedsAClaim(t *testing.T) {
	s, ctx := newTestStore(t), testContext(t)
	wantErrIs(t, s.MarkEmailSent(ctx, "missing", "m", t0), ErrNotFound)
	wantErrIs(t, s.MarkEmailFailed(ctx, "missing", "x"), ErrNotFound)

	e := confirmation("k")
	_, _, err := s.ClaimEmail(ctx, e)
	mustNoErr(t, err)
	mustNoErr(t, s.MarkEmailFailed(ctx, e.Key, "bounced"))
	wantErrIs(t, s.MarkEmailSent(ctx, e.Key, "m", t0), ErrConflict) // failed must be claimed again first
}

func TestMarkEmailSentWithoutTimeUsesNow(t *testing.T) {
	s, ctx := newTestStore(t), testContext(t)
	e := confirmation("k")
	_, _, err := s.ClaimEmail(ctx, e)
	mustNoErr(t, err)
	mustNoErr(t, s.MarkEmailSent(ctx, e.Key, "", time.Time{}))
	got, err := s.GetEmail(ctx, e.Key)
	mustNoErr(t, err)
	if got.Status != EmailSent || got.SentAt == nil || got.ProviderMessageID != "" {
		t.Fatalf("email = %+v, want sent with a time and no provider id", got)
	}
}

func TestClaimEmailConcurrently(t *testing.T) {
	s, ctx := newTestStore(t), testContext(t)
	for round, prepare := range []func(Email){
		func(Email) {}, // a new key
		func(e Email) { // a failed key, claimed again by everyone at once
			mustNoErr(t, s.MarkEmailFailed(ctx, e.Key, "timeout"))
		},
	} {
		e := confirmation("race")
		prepare(e)
		const claimers = 20
		var wg sync.WaitGroup
		results := make(chan bool, claimers)
		errs := make(chan error, claimers)
		for range claimers {
			wg.Go(func() {
				_, claimed, err := s.ClaimEmail(ctx, e)
				results <- claimed
				errs <- err
			})
		}
		wg.Wait()
		close(results)
		close(errs)
		for err := range errs {
			mustNoErr(t, err)
		}
		winners := 0
		for claimed := range results {
			if claimed {
				winners++
			}
		}
		if winners != 1 {
			t.Fatalf("round %d: %d of %d concurrent claims won, want exactly 1", round, winners, claimers)
		}
		got, err := s.GetEmail(ctx, e.Key)
		mustNoErr(t, err)
		if got.Status != EmailSending || got.Attempts != round+1 {
			t.Fatalf("round %d: email = %+v, want sending with %d attempts", round, got, round+1)
		}
	}
}

func TestClaimEmailRefusesAKeyOrTripleReused(t *testing.T) {
	s, ctx := newTestStore(t), testContext(t)
	e := confirmation("k1")
	_, _, err := s.ClaimEmail(ctx, e)
	mustNoErr(t, err)

	sameTripleOtherKey := confirmation("k2")
	_, _, err = s.ClaimEmail(ctx, sameTripleOtherKey)
	wantErrIs(t, err, ErrConflict)

	sameKeyOtherRecipient := confirmation("k1")
	sameKeyOtherRecipient.Recipient = "bob@example.com"
	_, claimed, err := s.ClaimEmail(ctx, sameKeyOtherRecipient)
	wantErrIs(t, err, ErrConflict)
	if claimed {
		t.Fatal("a conflicting claim was granted")
	}

	// Even when the row is failed, another identity may not take it over.
	mustNoErr(t, s.MarkEmailFailed(ctx, "k1", "x"))
	_, claimed, err = s.ClaimEmail(ctx, sameKeyOtherRecipient)
	wantErrIs(t, err, ErrConflict)
	got, gerr := s.GetEmail(ctx, "k1")
	mustNoErr(t, gerr)
	if claimed || got.Status != EmailFailed || got.Recipient != "ada@example.com" {
		t.Fatalf("email = %+v claimed=%t after a conflicting claim", got, claimed)
	}

	_, _, err = s.ClaimEmail(ctx, Email{Key: "k3", OrderID: "o-1", Purpose: "x"})
	wantErrIs(t, err, ErrInvalid)
}

func TestListEmailsOfOneOrder(t *testing.T) {
	s, ctx := newTestStore(t), testContext(t)
	for i, order := range []string{"o-1", "o-2", "o-1"} {
		e := Email{Key: fmt.Sprintf("k%d", i), OrderID: order, Purpose: fmt.Sprintf("p%d", i), Recipient: "r@example.com"}
		_, _, err := s.ClaimEmail(ctx, e)
		mustNoErr(t, err)
	}
	list, err := s.ListEmails(ctx, "o-1")
	mustNoErr(t, err)
	if len(list) != 2 || list[0].Key != "k0" || list[1].Key != "k2" {
		t.Fatalf("emails = %+v, want k0 and k2", list)
	}
}

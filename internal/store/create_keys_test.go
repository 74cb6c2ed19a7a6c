package store

import (
	"context"
	"sync"
	"testing"
)

func TestTheFirstBodyOfACreateKeyStays(t *testing.T) {
	s := newTestStore(t)
	ctx := context.Background()
	for _, c := range []struct {
		fingerprint string
		want        bool
	}{{"body-a", true}, {"body-a", true}, {"body-b", false}, {"body-a", true}} {
		same, err := s.ClaimCreateKey(ctx, "ord_1", c.fingerprint)
		if err != nil || same != c.want {
			t.Errorf("claim ord_1 with %s = %v, %v; want %v", c.fingerprint, same, err, c.want)
		}
	}
	if same, err := s.ClaimCreateKey(ctx, "ord_2", "body-b"); err != nil || !same {
		t.Errorf("another order's key = %v, %v", same, err)
	}
}

func TestRacingClaimsOfACreateKeyAgreeOnOneBody(t *testing.T) {
	s := newTestStore(t)
	ctx := context.Background()
	bodies := []string{"body-a", "body-b", "body-c", "body-d", "body-e", "body-f"}
	won := make([]bool, len(bodies))
	var wg sync.WaitGroup
	for i, b := range bodies {
		wg.Go(func() {
			same, err := s.ClaimCreateKey(ctx, "ord_1", b)
			if err != nil {
				t.Error(err)
			}
			won[i] = same
		})
	}
	wg.Wait()
	winners := 0
	for _, w := range won {
		if w {
			winners++
		}
	}
	if winners != 1 {
		t.Errorf("%d racing bodies were each told they are the key's, want exactly 1: %v", winners, won)
	}
}

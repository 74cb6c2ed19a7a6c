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
		k, err := s.ClaimCreateKey(ctx, "ord_1", c.fingerprint)
		if err != nil || k.SameBody != c.want || k.OrderRecorded {
			t.Errorf("claim ord_1 with %s = %+v, %v; want same body %v, no order recorded", c.fingerprint, k, err, c.want)
		}
	}
	if k, err := s.ClaimCreateKey(ctx, "ord_2", "body-b"); err != nil || !k.SameBody {
		t.Errorf("another order's key = %+v, %v", k, err)
	}

	// Once the read model has the order, the claim says so.
	o, e := memberOrder("ord_1", 1, "draft")
	mustNoErr(t, s.RecordTransition(ctx, o, e))
	if k, err := s.ClaimCreateKey(ctx, "ord_1", "body-a"); err != nil || !k.SameBody || !k.OrderRecorded {
		t.Errorf("claim of a recorded order = %+v, %v; want same body, order recorded", k, err)
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
			k, err := s.ClaimCreateKey(ctx, "ord_1", b)
			if err != nil {
				t.Error(err)
			}
			won[i] = k.SameBody
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

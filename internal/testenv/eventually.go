package testenv

import (
	"testing"
	"time"
)

// Eventually polls cond until it holds. The bound only keeps a broken test
// from hanging: a slow, shared machine must never fail a test that works.
func Eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("never happened: %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

package main

import "testing"

// One more cached order costs the difference in heap and stacks over the
// difference in orders cached; one cache size measures nothing.
func TestMemoryPerCachedOrder(t *testing.T) {
	small := scalePhase{Cached: 100, Heap: 40 << 20, Stacks: 2 << 20}
	big := scalePhase{Cached: 1100, Heap: 40<<20 + 100<<20, Stacks: 2<<20 + 20<<20} // 120 MiB for 1000 orders
	got := memoryPerCachedOrder([]scalePhase{big, small})
	if got.Measured != 122.88 || got.OK || got.Verdict() != "miss" {
		t.Errorf("%+v, want 122.88 KiB per order, a miss of the 50 KiB target", got)
	}
	if one := memoryPerCachedOrder([]scalePhase{big}); one.Verdict() != "not measured" {
		t.Errorf("one cache size: %+v", one)
	}
}

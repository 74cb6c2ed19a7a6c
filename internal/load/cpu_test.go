package load

import (
	"os"
	"testing"
	"time"
)

func TestStatCPUReadsUserAndSystemTime(t *testing.T) {
	// A command name with spaces and parentheses; utime 250, stime 50 ticks.
	line := "4242 (temporal (server) x) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 12 0 100 0 0"
	if d, ok := StatCPU(line); !ok || d != 3*time.Second {
		t.Fatalf("StatCPU = %v, %v; want 3s", d, ok)
	}
	if _, ok := StatCPU("garbage"); ok {
		t.Fatal("StatCPU read a line without a command name")
	}
}

// A busy process's CPU time grows (by a tick at least; the loop spins until
// it has or a minute has passed, however slow the machine).
func TestCPUTimeOfThisProcessGrows(t *testing.T) {
	before := CPUTime(os.Getpid())
	if before <= 0 {
		t.Fatalf("CPU time of this process %v", before)
	}
	after := before
	for start := time.Now(); after <= before && time.Since(start) < time.Minute; after = CPUTime(os.Getpid()) {
	}
	if after <= before {
		t.Fatalf("CPU time %v still after a minute's busy loop", after)
	}
}

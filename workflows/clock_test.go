package workflows

import (
	"testing"
	"time"
)

func TestZoneIsLoadedOncePerName(t *testing.T) {
	first, again := zone("Europe/Brussels"), zone("Europe/Brussels")
	if first != again {
		t.Error("the same zone was loaded twice: every cached order would keep its own copy")
	}
	if first.String() != "Europe/Brussels" {
		t.Errorf("zone = %s", first)
	}
	if z := zone("Mars/Olympus"); z != time.UTC {
		t.Errorf("unknown zone = %s, want UTC", z)
	}
}

package workflows

import (
	"sync"
	"time"
	_ "time/tzdata" // order time zones never depend on the host
)

// Time zones of the orders, loaded once per process, and instants as emails
// show them.

// zones holds each time zone loaded once per process: loading parses the
// zone's rules (several KiB), and every time in a zone points at its
// Location, so one per order would be kept by every cached order.
var zones sync.Map // name → *time.Location

// zone is an order's time zone; the settings were validated at start, so an
// unknown name (which cannot happen) falls back to UTC rather than failing.
func zone(name string) *time.Location {
	if loc, ok := zones.Load(name); ok {
		return loc.(*time.Location)
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return time.UTC
	}
	actual, _ := zones.LoadOrStore(name, loc)
	return actual.(*time.Location)
}

// localTime is how emails show an instant: in the order's time zone.
func localTime(t time.Time, loc *time.Location) string {
	return t.In(loc).Format("Mon 2 Jan 2006 15:04 MST")
}

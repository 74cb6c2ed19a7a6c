package workflows

import (
	"time"
	_ "time/tzdata" // order time zones never depend on the host
)

// zone is an order's time zone; the settings were validated at start, so an
// unknown name (which cannot happen) falls back to UTC rather than failing.
func zone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		return time.UTC
	}
	return loc
}

// localTime is how emails show an instant: in the order's time zone.
func localTime(t time.Time, loc *time.Location) string {
	return t.In(loc).Format("Mon 2 Jan 2006 15:04 MST")
}

package main

import "time"

// windowEnd is the end of the window on the driver's clock (now): --until
// (the next HH:MM) or --window from now; zero if neither is set.
func windowEnd(now time.Time, until *clockTime, window time.Duration) time.Time {
	switch {
	case until != nil:
		end := time.Date(now.Year(), now.Month(), now.Day(), until.Hour, until.Minute, 0, 0, now.Location())
		if !end.After(now) {
			end = end.Add(24 * time.Hour)
		}
		return end
	case window > 0:
		return now.Add(window)
	}
	return time.Time{}
}

// windowLeft is what is left of a fleet's --window (0: none) after elapsed
// on the wall clock: a cluster that waited for a slot gets the rest of the
// fleet's window, not a whole window of its own. A window that has passed
// leaves a nanosecond, so that no step fits in it. fleet run passes the time
// since its start in whole minutes (a window is planned in minutes), so that
// a rehearsal on the simulator's virtual clocks that takes less than a
// minute is not moved by the wall clock at all.
func windowLeft(window, elapsed time.Duration) time.Duration {
	if window <= 0 {
		return 0
	}
	return max(window-elapsed, time.Nanosecond)
}

package hostportal

import (
	"time"
)

// DisplayID groups a meeting number's digits as Zoom's lists show them:
// 3-3-3 for 9 digits, 3-3-4 for 10, 3-4-4 for 11; others as they are.
func DisplayID(id string) string {
	switch len(id) {
	case 9:
		return id[:3] + " " + id[3:6] + " " + id[6:]
	case 10:
		return id[:3] + " " + id[3:6] + " " + id[6:]
	case 11:
		return id[:3] + " " + id[3:7] + " " + id[7:]
	}
	return id
}

// When writes a meeting's start in loc as Zoom's meeting lists do: the day
// ("Today", "Tomorrow", "Thu, Jan 15", with the year when it is not this
// year's) and the time ("10:00 AM – 11:00 AM"; "Started 9:58 AM" for a live
// meeting; "Recurring, no fixed time" without a start).
func When(m Meeting, now time.Time, loc *time.Location) (day, clock string) {
	if m.Start.IsZero() {
		if m.Live {
			return "Now", "Live"
		}
		return "Any time", "Recurring, no fixed time"
	}
	start, today := m.Start.In(loc), now.In(loc)
	y, mo, d := today.Date()
	midnight := time.Date(y, mo, d, 0, 0, 0, 0, loc)
	switch {
	case !start.Before(midnight) && start.Before(midnight.AddDate(0, 0, 1)):
		day = "Today"
	case !start.Before(midnight.AddDate(0, 0, 1)) && start.Before(midnight.AddDate(0, 0, 2)):
		day = "Tomorrow"
	case start.Year() == today.Year():
		day = start.Format("Mon, Jan 2")
	default:
		day = start.Format("Mon, Jan 2, 2006")
	}
	const kitchen = "3:04 PM"
	switch {
	case m.Live:
		clock = "Started " + start.Format(kitchen)
	case m.Duration > 0:
		clock = start.Format(kitchen) + " – " + start.Add(m.Duration).Format(kitchen)
	default:
		clock = start.Format(kitchen)
	}
	// The zone too: the page is written in the host's Zoom time zone, which
	// may not be the browser's.
	return day, clock + " " + start.Format("MST")
}

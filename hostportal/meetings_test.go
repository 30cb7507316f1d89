package hostportal_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cohost-dev/cohost/grant"
	"github.com/cohost-dev/cohost/hostportal"
	"github.com/cohost-dev/cohost/store"
	"github.com/cohost-dev/cohost/zoomsim"
)

// recordLive puts a meeting into the ledger as live, as the engine does on
// meeting.started.
func (e *env) recordLive(m zoomsim.Meeting, startedAt time.Time) {
	e.t.Helper()
	ctx := context.Background()
	err := e.st.InTx(ctx, func(tx store.Tx) error {
		lm, err := tx.LockMeeting(ctx, m.AccountID, strconv.FormatInt(m.ID, 10))
		if err != nil {
			return err
		}
		lm.UUID, lm.HostID, lm.Topic, lm.Status, lm.StartedAt = m.UUID, m.HostID, m.Topic, grant.MeetingStarted, startedAt
		return tx.SaveMeeting(ctx, lm)
	})
	if err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) createMeeting(spec zoomsim.MeetingSpec) zoomsim.Meeting {
	e.t.Helper()
	if spec.HostID == "" {
		spec.HostID = e.host.ID
	}
	m, err := e.sim.CreateMeeting(spec)
	if err != nil {
		e.t.Fatal(err)
	}
	return m
}

// The list: live meetings first (the ledger's, instant ones included, which
// Zoom's list never has), then the upcoming by start, those without a fixed
// time last; never another host's; each once, with Zoom's grouping of its ID
// and its time in the host's zone.
func TestMeetings(t *testing.T) {
	e := newEnv(t)
	now := e.clock()
	tomorrow := e.createMeeting(zoomsim.MeetingSpec{Topic: "Planning", StartTime: now.Add(26 * time.Hour).Truncate(time.Minute), Duration: 45})
	soon := e.createMeeting(zoomsim.MeetingSpec{Topic: "Standup", StartTime: now.Add(time.Hour).Truncate(time.Minute), Duration: 15})
	anytime := e.createMeeting(zoomsim.MeetingSpec{Topic: "Office hours", Type: 3})
	instant := e.createMeeting(zoomsim.MeetingSpec{Topic: "Quick call", Type: 1})
	live := e.createMeeting(zoomsim.MeetingSpec{Topic: "All hands", StartTime: now.Add(-10 * time.Minute)})
	colleague, _ := e.sim.CreateUser(e.acct.ID, zoomsim.UserSpec{Email: "colleague@example.com"})
	theirs := e.createMeeting(zoomsim.MeetingSpec{HostID: colleague.ID, Topic: "Not mine", StartTime: now.Add(time.Hour)})
	for _, m := range []zoomsim.Meeting{instant, live, theirs} {
		if _, err := e.sim.StartMeeting(m.ID); err != nil {
			t.Fatal(err)
		}
	}
	e.recordLive(instant, now.Add(-2*time.Minute))
	e.recordLive(live, now.Add(-5*time.Minute))
	e.recordLive(theirs, now)

	s := e.signIn(e.host.Email)
	list, err := e.portal.Meetings(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range list.Meetings {
		got = append(got, fmt.Sprintf("%s live=%v", m.Topic, m.Live))
	}
	want := []string{"Quick call live=true", "All hands live=true", "Standup live=false", "Planning live=false", "Office hours live=false"}
	if strings.Join(got, "; ") != strings.Join(want, "; ") {
		t.Errorf("list %q\nwant %q", got, want)
	}
	if list.Notice != "" {
		t.Errorf("notice %q", list.Notice)
	}
	byTopic := map[string]hostportal.Meeting{}
	for _, m := range list.Meetings {
		byTopic[m.Topic] = m
	}
	st := byTopic["Standup"]
	if st.ID != strconv.FormatInt(soon.ID, 10) || st.DisplayID != hostportal.DisplayID(st.ID) || st.Day == "" ||
		!strings.Contains(st.Time, soon.StartTime.Format("3:04 PM")) || !strings.Contains(st.Time, "–") {
		t.Errorf("standup %+v", st)
	}
	if m := byTopic["Office hours"]; m.ID != strconv.FormatInt(anytime.ID, 10) || m.Time != "Recurring, no fixed time" {
		t.Errorf("office hours %+v", m)
	}
	if m := byTopic["All hands"]; !strings.HasPrefix(m.Time, "Started ") {
		t.Errorf("live meeting %+v", m)
	}
	if m := byTopic["Planning"]; m.ID != strconv.FormatInt(tomorrow.ID, 10) || m.Day != "Tomorrow" && m.Day != "Today" && !strings.Contains(m.Day, ",") {
		t.Errorf("planning %+v", m)
	}
}

// When Zoom does not list the meetings, the live ones are still shown, with
// a notice that says so.
func TestMeetingsWithoutZoom(t *testing.T) {
	e := newEnv(t)
	live := e.createMeeting(zoomsim.MeetingSpec{Topic: "All hands"})
	e.recordLive(live, e.clock())
	s := e.signIn(e.host.Email)
	e.sim.SetFaults(zoomsim.Faults{REST5xxRate: 1})
	list, err := e.portal.Meetings(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Meetings) != 1 || list.Meetings[0].Topic != "All hands" || !strings.Contains(list.Notice, "did not list") {
		t.Errorf("list %+v", list)
	}
}

// Start: the meeting's host gets the host page's path with a fresh link's
// secret in the fragment, which the host client takes; anyone else, an
// unknown meeting and a malformed id are refused without a link.
func TestStart(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	mine := e.createMeeting(zoomsim.MeetingSpec{Topic: "Mine", StartTime: e.clock().Add(time.Hour)})
	colleague, _ := e.sim.CreateUser(e.acct.ID, zoomsim.UserSpec{Email: "colleague@example.com", FirstName: "Col"})
	theirs := e.createMeeting(zoomsim.MeetingSpec{HostID: colleague.ID, Topic: "Theirs"})
	s := e.signIn(e.host.Email)

	id := strconv.FormatInt(mine.ID, 10)
	to, err := e.portal.Start(ctx, s, id)
	if err != nil {
		t.Fatal(err)
	}
	path, secret, ok := strings.Cut(to, "#")
	if !ok || path != "/host/"+id || secret == "" {
		t.Fatalf("Start sends the browser to %q", to)
	}
	link, err := e.hosts.Authenticate(ctx, secret, id)
	if err != nil || link.AccountID != e.acct.ID {
		t.Errorf("the link's secret: %+v, %v", link, err)
	}

	other := e.signIn(colleague.Email)
	for _, tc := range []struct {
		name string
		s    hostportal.Session
		id   string
		want hostportal.Code
	}{
		{"another user's meeting", s, strconv.FormatInt(theirs.ID, 10), hostportal.CodeNotHost},
		{"the colleague starting mine", other, id, hostportal.CodeNotHost},
		{"unknown meeting", s, "81234567890", hostportal.CodeMeetingUnknown},
		{"not digits", s, "12ab", hostportal.CodeInvalidMeeting},
		{"too long", s, strings.Repeat("9", 21), hostportal.CodeInvalidMeeting},
		{"overflow", s, strings.Repeat("9", 20), hostportal.CodeInvalidMeeting},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if to, err := e.portal.Start(ctx, tc.s, tc.id); code(err) != tc.want || to != "" {
				t.Errorf("Start: %q, %v; want %s", to, err, tc.want)
			}
		})
	}
	if to, err := e.portal.Start(ctx, other, strconv.FormatInt(theirs.ID, 10)); err != nil || !strings.HasPrefix(to, "/host/") {
		t.Errorf("the colleague starting theirs: %q, %v", to, err)
	}
}

func TestDisplayID(t *testing.T) {
	for in, want := range map[string]string{
		"123456789":   "123 456 789",
		"1234567890":  "123 456 7890",
		"85746065432": "857 4606 5432",
		"12345":       "12345",
	} {
		if got := hostportal.DisplayID(in); got != want {
			t.Errorf("DisplayID(%s) = %q, want %q", in, got, want)
		}
	}
}

func TestWhen(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Skip("no time zone database")
	}
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, berlin) // a Tuesday
	for _, tc := range []struct {
		m          hostportal.Meeting
		day, clock string
	}{
		{hostportal.Meeting{Start: now.Add(time.Hour), Duration: time.Hour}, "Today", "10:00 AM – 11:00 AM CET"},
		{hostportal.Meeting{Start: now.Add(24 * time.Hour)}, "Tomorrow", "9:00 AM CET"},
		{hostportal.Meeting{Start: now.Add(48 * time.Hour), Duration: 30 * time.Minute}, "Thu, Dec 3", "9:00 AM – 9:30 AM CET"},
		{hostportal.Meeting{Start: now.AddDate(0, 1, 0)}, "Fri, Jan 1, 2027", "9:00 AM CET"},
		{hostportal.Meeting{Start: now.Add(-5 * time.Minute), Live: true}, "Today", "Started 8:55 AM CET"},
		{hostportal.Meeting{}, "Any time", "Recurring, no fixed time"},
	} {
		day, clock := hostportal.When(tc.m, now, berlin)
		if day != tc.day || clock != tc.clock {
			t.Errorf("When(%v) = %q, %q; want %q, %q", tc.m.Start, day, clock, tc.day, tc.clock)
		}
	}
}

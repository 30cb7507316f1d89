package hostportal

import (
	"context"
	"errors"
	"net/url"
	"sort"
	"strconv"
	"time"

	"github.com/cohost-dev/cohost/api"
	"github.com/cohost-dev/cohost/failure"
	"github.com/cohost-dev/cohost/grant"
	"github.com/cohost-dev/cohost/hostclient"
	"github.com/cohost-dev/cohost/zoomclient"
)

// Meeting is one meeting of the host's list.
type Meeting struct {
	// ID is the meeting's number, digits only; DisplayID groups them as Zoom
	// shows them ("857 4606 5432").
	ID        string
	DisplayID string
	Topic     string
	// Start is the scheduled start, or for a live meeting when it started;
	// zero for a recurring meeting without a fixed time.
	Start    time.Time
	Duration time.Duration
	Live     bool
	// Day and Time are Start in the host's time zone, as Zoom's lists write
	// them: "Today" / "Tomorrow" / "Thu, Jan 15", and "10:00 AM – 11:00 AM".
	Day  string
	Time string
}

// MeetingList is what the portal shows a signed-in host.
type MeetingList struct {
	// Meetings are the live ones first, then the upcoming by start, then
	// those without a fixed time.
	Meetings []Meeting
	// Notice, when set, says what the list lacks and why (Zoom did not
	// answer, or holds more than one page).
	Notice string
}

// listPageSize is how many upcoming meetings the portal asks Zoom for: more
// than a person schedules ahead, one request.
const listPageSize = 100

// Meetings lists the host's live and upcoming meetings: Zoom's list of the
// user's upcoming meetings (the account's token), and the live meetings of
// the ledger, which also has instant meetings, which Zoom's list never
// shows. When Zoom does not answer, the ledger's live meetings are still
// shown, with a notice.
func (p *Portal) Meetings(ctx context.Context, s Session) (MeetingList, error) {
	if !p.Enabled() {
		return MeetingList{}, offError
	}
	live, err := p.Store.LiveMeetingsOfHost(ctx, s.AccountID, s.UserID)
	if err != nil {
		return MeetingList{}, unavailable("cohost's database", err)
	}
	var all []Meeting
	for _, m := range live {
		if !meetingID(m.ID) {
			continue
		}
		start := m.StartedAt
		if start.IsZero() {
			start = m.StartTime
		}
		all = append(all, Meeting{ID: m.ID, Topic: api.CleanText(m.Topic, maxTopicLen), Start: start, Live: true})
	}
	var out MeetingList
	list, _, err := p.Zoom.Account(s.AccountID).Meetings.ListByUser(ctx, s.UserID,
		&zoomclient.ListMeetingsOptions{Type: zoomclient.MeetingListUpcoming, PageSize: listPageSize})
	switch {
	case err != nil:
		p.log().WarnContext(ctx, "host portal: Zoom did not list the host's meetings", "account_id", s.AccountID, "user_id", s.UserID, "error", err.Error())
		out.Notice = listNotice(err)
	default:
		for _, zm := range list.Meetings {
			if m, ok := fromZoom(zm); ok {
				all = append(all, m)
			}
		}
		if list.NextPageToken != "" {
			out.Notice = "Zoom has more upcoming meetings than shown here: the " + strconv.Itoa(listPageSize) + " listed first are."
		}
	}
	// One row per meeting: a live meeting of the ledger is also in Zoom's
	// list (which includes live ones); the ledger's row, first, stays.
	index := map[string]int{}
	for _, m := range all {
		if i, ok := index[m.ID]; ok {
			if out.Meetings[i].Topic == "" {
				out.Meetings[i].Topic = m.Topic
			}
			continue
		}
		index[m.ID] = len(out.Meetings)
		out.Meetings = append(out.Meetings, m)
	}
	loc := s.Location()
	now := p.now()
	for i := range out.Meetings {
		out.Meetings[i].DisplayID = DisplayID(out.Meetings[i].ID)
		out.Meetings[i].Day, out.Meetings[i].Time = When(out.Meetings[i], now, loc)
	}
	sort.SliceStable(out.Meetings, func(i, j int) bool { return before(out.Meetings[i], out.Meetings[j]) })
	return out, nil
}

// before orders the list: live first (the latest started first), then by
// start, those without a fixed time last.
func before(a, b Meeting) bool {
	if a.Live != b.Live {
		return a.Live
	}
	if a.Live {
		return a.Start.After(b.Start)
	}
	if a.Start.IsZero() != b.Start.IsZero() {
		return !a.Start.IsZero()
	}
	return a.Start.Before(b.Start)
}

// maxTopicLen bounds a topic as Zoom does (200 characters).
const maxTopicLen = 200

// fromZoom takes a meeting of Zoom's list, or refuses one it cannot show.
func fromZoom(zm zoomclient.Meeting) (Meeting, bool) {
	if zm.ID <= 0 {
		return Meeting{}, false
	}
	m := Meeting{ID: strconv.FormatInt(zm.ID, 10), Topic: api.CleanText(zm.Topic, maxTopicLen)}
	if zm.StartTime != nil && !zm.StartTime.IsZero() && zm.Type != 3 {
		m.Start = zm.StartTime.Time
		if zm.Duration > 0 && zm.Duration <= 24*60*31 {
			m.Duration = time.Duration(zm.Duration) * time.Minute
		}
	}
	return m, true
}

// listNotice says why the list shows only the live meetings.
func listNotice(err error) string {
	var ae *zoomclient.APIError
	if errors.As(err, &ae) && ae.Code == 4711 {
		return "Zoom did not list your upcoming meetings: cohost's Zoom app lacks the scope meeting:read:list_meetings:admin (its operator adds it, docs/zoom-setup.md). Live meetings are shown from cohost's own records."
	}
	return "Zoom did not list your upcoming meetings just now. Live meetings are shown from cohost's own records; reload the page to try again."
}

// refusal reports whether a host-link error code is the host client refusing
// this meeting for good (as the admin API answers it 4xx), not a failure to
// retry.
func refusal(code string) bool {
	switch code {
	case api.AdminErrPublicURLUnset, api.AdminErrMeetingUnknownToZoom, api.AdminErrHostNotInAccount,
		api.AdminErrAccountIDRequired, api.AdminErrInvalidTTL, api.AdminErrInvalidMeetingID:
		return true
	}
	return false
}

// meetingID reports whether s is a Zoom meeting number: 1 to 20 digits.
func meetingID(s string) bool {
	if s == "" || len(s) > 20 {
		return false
	}
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// Start readies the host page for one of the host's meetings: it reads the
// meeting with the account's token, checks that the signed-in user is its
// host, and mints a host link. It returns where to send the browser: the
// link's path with its secret in the fragment, relative, so the browser
// stays on the origin it signed in on.
func (p *Portal) Start(ctx context.Context, s Session, id string) (string, error) {
	if !p.Enabled() {
		return "", offError
	}
	if !meetingID(id) {
		return "", fail(CodeInvalidMeeting, "No such meeting", "A Zoom meeting ID is digits only, like the ones in your list.", nil)
	}
	number, err := strconv.ParseInt(id, 10, 64)
	if err != nil || number <= 0 {
		return "", fail(CodeInvalidMeeting, "No such meeting", "A Zoom meeting ID is digits only, like the ones in your list.", err)
	}
	zm, _, err := p.Zoom.Account(s.AccountID).Meetings.Get(ctx, number)
	if err != nil {
		fe := failure.Zoom("reading meeting "+id+" from Zoom", err)
		if grant.ErrorCode(fe) == grant.ENOTFOUND {
			return "", fail(CodeMeetingUnknown, "Zoom does not know this meeting",
				"Meeting "+DisplayID(id)+" is not a meeting of your Zoom account, or it was deleted. Check the ID in Zoom.", fe)
		}
		return "", unavailable("Zoom", fe)
	}
	if zm.HostID == "" || zm.HostID != s.UserID {
		p.log().InfoContext(ctx, "host portal: start refused, not the meeting's host", "account_id", s.AccountID, "user_id", s.UserID, "meeting_id", id)
		return "", fail(CodeNotHost, "Only the meeting's host can start it here",
			"Meeting "+DisplayID(id)+" is hosted by another Zoom user. cohost's host page starts a meeting as its host, so only they can start it from here; ask them, or join it as usual from Zoom.", nil)
	}
	link, err := p.Links.MintLink(ctx, hostclient.MintRequest{MeetingID: id, AccountID: s.AccountID})
	if err != nil {
		// The host client's refusals (its host-link codes, api.AdminErr*) say why in words;
		// anything else (Zoom or the database failing, a rate limit) passes.
		if ge, ok := errors.AsType[*grant.Error](err); ok && refusal(ge.Code) {
			return "", fail(CodeStartFailed, "The host page cannot run this meeting", ge.Message+".", err)
		}
		return "", unavailable("The host client", err)
	}
	u, err := url.Parse(link.URL)
	if err != nil || u.Fragment == "" {
		return "", unavailable("The host client", errors.New("hostportal: the host link has no secret"))
	}
	p.log().InfoContext(ctx, "host page opened from the portal", "account_id", s.AccountID, "user_id", s.UserID, "meeting_id", id)
	return u.EscapedPath() + "#" + u.EscapedFragment(), nil
}

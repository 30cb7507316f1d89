package zoomsim

import (
	"encoding/base64"
	"net/http"
	"sort"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"
)

// GET /v2/users/{userId}/meetings, Zoom's "List meetings"
// (https://developers.zoom.us/docs/api/meetings/#tag/meetings/GET/users/{userId}/meetings): the
// scheduled meetings a user hosts, one page at a time. Zoom says the list "only supports scheduled
// meetings" and returns nothing of instant ones, so instant meetings (type 1) never appear here,
// live or not. The types:
//
//	scheduled  every meeting not deleted (Zoom: valid past, live and upcoming scheduled meetings)
//	live       the meetings under way
//	upcoming   the meetings under way and those whose scheduled end is still ahead, recurring
//	           meetings without a fixed time included (Zoom: "All upcoming meetings, including
//	           live meetings")
//
// page_size is 30 by default and at most 300; next_page_token continues a listing.

const (
	defaultMeetingsPageSize = 30
	maxMeetingsPageSize     = 300
)

// listUserMeetings serves GET /v2/users/{userId}/meetings.
func (s *Sim) listUserMeetings(r *http.Request, _ []byte, tok *accessToken) restResponse {
	u, resp, ok := s.userFor(chi.URLParam(r, "userId"), tok)
	if !ok {
		return resp
	}
	q := r.URL.Query()
	kind := q.Get("type")
	if kind == "" {
		kind = MeetingListScheduled
	}
	if kind != MeetingListScheduled && kind != MeetingListLive && kind != MeetingListUpcoming {
		return validationErr("type")
	}
	size := defaultMeetingsPageSize
	if v := q.Get("page_size"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return validationErr("page_size")
		}
		size = min(n, maxMeetingsPageSize)
	}
	offset := 0
	if v := q.Get("next_page_token"); v != "" {
		raw, err := base64.RawURLEncoding.DecodeString(v)
		n, aerr := strconv.Atoi(string(raw))
		if err != nil || aerr != nil || n < 0 {
			return validationErr("next_page_token")
		}
		offset = n
	}

	now := s.clock.Now()
	var list []*meeting
	for _, id := range s.meetingOrder {
		m := s.meetings[id]
		if m.deleted || m.HostID != u.ID || m.Type == 1 {
			continue
		}
		live := m.Status == MeetingStarted
		ahead := m.Type == 3 || m.StartTime.Add(time.Duration(m.Duration)*time.Minute).After(now)
		switch {
		case kind == MeetingListLive && !live:
			continue
		case kind == MeetingListUpcoming && !live && !ahead:
			continue
		}
		list = append(list, m)
	}
	// By start, meetings without a fixed time first.
	start := func(m *meeting) time.Time {
		if m.Type == 3 {
			return time.Time{}
		}
		return m.StartTime
	}
	sort.SliceStable(list, func(i, j int) bool { return start(list[i]).Before(start(list[j])) })

	page := []map[string]any{}
	for i := offset; i < len(list) && i < offset+size; i++ {
		m := list[i]
		item := map[string]any{
			"uuid": m.UUID, "id": m.ID, "host_id": m.HostID, "topic": m.Topic, "type": m.Type,
			"duration": m.Duration, "timezone": m.Timezone, "created_at": zoomTime(m.CreatedAt), "join_url": m.JoinURL,
		}
		if m.Type != 3 {
			item["start_time"] = zoomTime(m.StartTime)
		}
		page = append(page, item)
	}
	next := ""
	if offset+size < len(list) {
		next = base64.RawURLEncoding.EncodeToString([]byte(strconv.Itoa(offset + size)))
	}
	return restResponse{status: http.StatusOK, body: map[string]any{
		"page_size": size, "total_records": len(list), "next_page_token": next, "meetings": page,
	}}
}

// Values of the type parameter of GET /v2/users/{userId}/meetings.
const (
	MeetingListScheduled = "scheduled"
	MeetingListLive      = "live"
	MeetingListUpcoming  = "upcoming"
)

package zoomclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// MeetingsService is Zoom's Meetings API: https://developers.zoom.us/docs/api/meetings/
type MeetingsService service

const (
	routeMeeting      = "/meetings/{meetingId}"
	routeUserMeetings = "/users/{userId}/meetings"
)

// Meeting is the part of Zoom's meeting object cohost uses. Deliberately
// absent: start_url (it lets anyone start the meeting as host), the
// encrypted/H.323/PSTN passcodes and dynamic_host_key.
type Meeting struct {
	// ID is the meeting number (Zoom sends a JSON number).
	ID        int64      `json:"id"`
	UUID      string     `json:"uuid,omitempty"`
	HostID    string     `json:"host_id,omitempty"`
	HostEmail string     `json:"host_email,omitempty"`
	Topic     string     `json:"topic,omitempty"`
	Type      int        `json:"type,omitempty"` // 1 instant, 2 scheduled, 3 recurring without fixed time, 8 recurring with fixed time, 10 screen share only
	Status    string     `json:"status,omitempty"`
	StartTime *Timestamp `json:"start_time,omitempty"`
	Duration  int        `json:"duration,omitempty"` // minutes
	Timezone  string     `json:"timezone,omitempty"`
	// Password is the meeting passcode the agent needs to join.
	Password string           `json:"password,omitempty"`
	JoinURL  string           `json:"join_url,omitempty"`
	Settings *MeetingSettings `json:"settings,omitempty"`
}

// MeetingStatusStarted is Meeting.Status while an instance of the meeting is
// live; Zoom reports "waiting" otherwise.
const MeetingStatusStarted = "started"

// MeetingSettings are meeting-level settings. Every field is optional so that
// an update sends only what is set, and a snapshot can be restored field by field.
type MeetingSettings struct {
	// AlternativeHosts is a semicolon-separated list of emails or user ids of
	// licensed users of the same account.
	AlternativeHosts                    *string `json:"alternative_hosts,omitempty"`
	AlternativeHostsEmailNotification   *bool   `json:"alternative_hosts_email_notification,omitempty"`
	AlternativeHostUpdatePolls          *bool   `json:"alternative_host_update_polls,omitempty"`
	AlternativeHostManageMeetingSummary *bool   `json:"alternative_host_manage_meeting_summary,omitempty"`
	AlternativeHostManageCloudRecording *bool   `json:"alternative_host_manage_cloud_recording,omitempty"`
	JoinBeforeHost                      *bool   `json:"join_before_host,omitempty"`
	// JBHTime is how many minutes before the start participants may join: 0 (any time), 5, 10 or 15.
	JBHTime       *int  `json:"jbh_time,omitempty"`
	WaitingRoom   *bool `json:"waiting_room,omitempty"`
	MuteUponEntry *bool `json:"mute_upon_entry,omitempty"`
	// RequestPermissionToUnmuteParticipants and
	// AllowHostControlParticipantMuteState are mutually exclusive in Zoom.
	RequestPermissionToUnmuteParticipants *bool                  `json:"request_permission_to_unmute_participants,omitempty"`
	AllowHostControlParticipantMuteState  *bool                  `json:"allow_host_control_participant_mute_state,omitempty"`
	AllowMultipleDevices                  *bool                  `json:"allow_multiple_devices,omitempty"`
	HostVideo                             *bool                  `json:"host_video,omitempty"`
	ParticipantVideo                      *bool                  `json:"participant_video,omitempty"`
	ParticipantFocusedMeeting             *bool                  `json:"participant_focused_meeting,omitempty"`
	FocusMode                             *bool                  `json:"focus_mode,omitempty"`
	ContinuousMeetingChat                 *ContinuousMeetingChat `json:"continuous_meeting_chat,omitempty"`
	// MeetingAuthentication: only signed-in users may join (read it before
	// relying on alternative hosts).
	MeetingAuthentication *bool `json:"meeting_authentication,omitempty"`
}

// ContinuousMeetingChat is settings.continuous_meeting_chat.
type ContinuousMeetingChat struct {
	Enable                      *bool `json:"enable,omitempty"`
	AutoAddInvitedExternalUsers *bool `json:"auto_add_invited_external_users,omitempty"`
	AutoAddMeetingParticipants  *bool `json:"auto_add_meeting_participants,omitempty"`
}

// MeetingUpdate is the body of PATCH /meetings/{meetingId}; only set fields are sent.
type MeetingUpdate struct {
	Topic    *string          `json:"topic,omitempty"`
	Settings *MeetingSettings `json:"settings,omitempty"`
}

// Get returns a meeting.
//
// Zoom API docs: https://developers.zoom.us/docs/api/meetings/#tag/meetings/GET/meetings/{meetingId}
// Scopes: meeting:read:meeting:admin (granular) or meeting:read:admin (classic). Rate label: Light.
func (s *MeetingsService) Get(ctx context.Context, meetingID int64) (*Meeting, *Response, error) {
	req, err := s.client.NewRequest(http.MethodGet, routeMeeting, nil, strconv.FormatInt(meetingID, 10))
	if err != nil {
		return nil, nil, err
	}
	m := new(Meeting)
	resp, err := s.client.Do(ctx, req, m)
	if err != nil {
		return nil, resp, err
	}
	return m, resp, nil
}

// Update changes the set fields of a meeting; Zoom answers 204. Zoom allows
// 100 updates of one meeting per 24 hours, so batch alternative hosts.
//
// Zoom API docs: https://developers.zoom.us/docs/api/meetings/#tag/meetings/PATCH/meetings/{meetingId}
// Scopes: meeting:update:meeting:admin (granular) or meeting:write:admin (classic). Rate label: Light.
func (s *MeetingsService) Update(ctx context.Context, meetingID int64, update *MeetingUpdate) (*Response, error) {
	if update == nil {
		return nil, errors.New("zoomclient: nil meeting update")
	}
	req, err := s.client.NewRequest(http.MethodPatch, routeMeeting, update, strconv.FormatInt(meetingID, 10))
	if err != nil {
		return nil, err
	}
	return s.client.Do(ctx, req, nil)
}

// Values of ListMeetingsOptions.Type.
const (
	// MeetingListScheduled: every valid past (unexpired), live and upcoming
	// scheduled meeting.
	MeetingListScheduled = "scheduled"
	// MeetingListLive: the meetings under way.
	MeetingListLive = "live"
	// MeetingListUpcoming: upcoming meetings, live ones included.
	MeetingListUpcoming = "upcoming"
)

// MaxMeetingsPageSize is the largest page_size Zoom takes for a list of meetings.
const MaxMeetingsPageSize = 300

// ListMeetingsOptions are the query of GET /users/{userId}/meetings.
type ListMeetingsOptions struct {
	// Type is MeetingListScheduled, MeetingListLive or MeetingListUpcoming;
	// empty leaves Zoom's default (scheduled).
	Type string
	// PageSize is how many meetings a page holds: 1 to MaxMeetingsPageSize;
	// 0 leaves Zoom's default (30).
	PageSize int
	// NextPageToken continues a listing where the last page ended (Zoom keeps
	// it 15 minutes).
	NextPageToken string
}

// MeetingList is one page of a user's meetings.
type MeetingList struct {
	PageSize     int `json:"page_size"`
	TotalRecords int `json:"total_records"`
	// NextPageToken is empty on the last page.
	NextPageToken string `json:"next_page_token"`
	// Meetings carry what Zoom's list gives of each meeting: id, uuid,
	// host_id, topic, type, start_time, duration, timezone, join_url, and
	// neither status nor settings.
	Meetings []Meeting `json:"meetings"`
}

// ListByUser returns one page of the meetings a user hosts. Zoom lists
// scheduled meetings only: an instant meeting never appears, live or not.
//
// Zoom API docs: https://developers.zoom.us/docs/api/meetings/#tag/meetings/GET/users/{userId}/meetings
// Scopes: meeting:read:list_meetings:admin (granular) or meeting:read:admin (classic). Rate label: Medium.
func (s *MeetingsService) ListByUser(ctx context.Context, userID string, opts *ListMeetingsOptions) (*MeetingList, *Response, error) {
	req, err := s.client.NewRequest(http.MethodGet, routeUserMeetings, nil, userID)
	if err != nil {
		return nil, nil, err
	}
	if opts != nil {
		if opts.PageSize < 0 || opts.PageSize > MaxMeetingsPageSize {
			return nil, nil, fmt.Errorf("zoomclient: page size %d is not between 1 and %d", opts.PageSize, MaxMeetingsPageSize)
		}
		q := url.Values{}
		if opts.Type != "" {
			q.Set("type", opts.Type)
		}
		if opts.PageSize > 0 {
			q.Set("page_size", strconv.Itoa(opts.PageSize))
		}
		if opts.NextPageToken != "" {
			q.Set("next_page_token", opts.NextPageToken)
		}
		req.URL.RawQuery = q.Encode()
	}
	list := new(MeetingList)
	resp, err := s.client.Do(ctx, req, list)
	if err != nil {
		return nil, resp, err
	}
	return list, resp, nil
}

// Timestamp is a Zoom date-time ("2026-03-01T10:00:00Z"). An empty string
// decodes to the zero time, as Zoom sends for meetings without a fixed start.
type Timestamp struct {
	time.Time
}

// UnmarshalJSON implements json.Unmarshaler.
func (t *Timestamp) UnmarshalJSON(b []byte) error {
	if bytes.Equal(b, []byte("null")) || bytes.Equal(b, []byte(`""`)) {
		t.Time = time.Time{}
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		// Zoom writes local times without an offset when a timezone is given.
		if v2, err2 := time.Parse("2006-01-02T15:04:05", s); err2 == nil {
			t.Time = v2
			return nil
		}
		return err
	}
	t.Time = v
	return nil
}

// MarshalJSON implements json.Marshaler.
func (t Timestamp) MarshalJSON() ([]byte, error) {
	if t.IsZero() {
		return []byte(`""`), nil
	}
	return json.Marshal(t.UTC().Format(time.RFC3339))
}

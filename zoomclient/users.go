package zoomclient

import (
	"context"
	"errors"
	"net/http"
)

// UsersService is Zoom's Users API: https://developers.zoom.us/docs/api/users/
type UsersService service

const (
	routeUser         = "/users/{userId}"
	routeUsersMe      = "/users/me"
	routeUserSettings = "/users/{userId}/settings"
	routeUserToken    = "/users/{userId}/token"
)

// User types (User.Type).
const (
	UserTypeBasic      = 1
	UserTypeLicensed   = 2
	UserTypeUnassigned = 4 // "Unassigned without Meetings Basic"
	UserTypeNone       = 99
)

// User is the part of Zoom's user object cohost uses.
type User struct {
	ID          string `json:"id"`
	Email       string `json:"email,omitempty"`
	FirstName   string `json:"first_name,omitempty"`
	LastName    string `json:"last_name,omitempty"`
	DisplayName string `json:"display_name,omitempty"`
	// Type is 1 basic, 2 licensed, 4 unassigned without Meetings Basic, 99 none.
	// Alternative hosts must be licensed users of the same account.
	Type      int    `json:"type"`
	AccountID string `json:"account_id,omitempty"`
	// Status is "active", "inactive" or "pending".
	Status   string `json:"status,omitempty"`
	Timezone string `json:"timezone,omitempty"`
	RoleName string `json:"role_name,omitempty"`
}

// Licensed reports whether u is a licensed user.
func (u *User) Licensed() bool { return u.Type == UserTypeLicensed }

// UserSettings is the part of a user's settings that cohost reads, changes
// and restores. Every field is a pointer with omitempty: a GET fills what Zoom
// returned, a PATCH sends only what is set, so the settings a granter changes
// can be snapshotted and restored exactly. Field names follow Zoom's spec
// (zoom/rivet-javascript users.d.ts, UsersUpdateUserSettingsRequestBody).
type UserSettings struct {
	InMeeting       *InMeetingSettings       `json:"in_meeting,omitempty"`
	Recording       *RecordingSettings       `json:"recording,omitempty"`
	ScheduleMeeting *ScheduleMeetingSettings `json:"schedule_meeting,omitempty"`
}

// Values of the "who can share" settings.
const (
	ShareHost = "host"
	ShareAll  = "all"
)

// InMeetingSettings is settings.in_meeting.
type InMeetingSettings struct {
	ScreenSharing *bool `json:"screen_sharing,omitempty"`
	// WhoCanShareScreen and WhoCanShareScreenWhenSomeoneIsSharing are "host" or "all".
	WhoCanShareScreen                     *string `json:"who_can_share_screen,omitempty"`
	WhoCanShareScreenWhenSomeoneIsSharing *string `json:"who_can_share_screen_when_someone_is_sharing,omitempty"`
	// ParticipantsShareSimultaneously is "one" or "multiple".
	ParticipantsShareSimultaneously *string `json:"participants_share_simultaneously,omitempty"`
	Annotation                      *bool   `json:"annotation,omitempty"`
	Whiteboard                      *bool   `json:"whiteboard,omitempty"`
	Chat                            *bool   `json:"chat,omitempty"`
	PrivateChat                     *bool   `json:"private_chat,omitempty"`
	// AllowParticipantsChatWith: 1 no one, 2 host and co-hosts, 3 everyone
	// publicly, 4 everyone publicly and privately.
	AllowParticipantsChatWith *int `json:"allow_participants_chat_with,omitempty"`
	// AllowUsersSaveChats: 1 no one, 2 host and co-hosts, 3 everyone.
	AllowUsersSaveChats                   *int  `json:"allow_users_save_chats,omitempty"`
	CoHost                                *bool `json:"co_host,omitempty"`
	WaitingRoom                           *bool `json:"waiting_room,omitempty"`
	RequestPermissionToUnmuteParticipants *bool `json:"request_permission_to_unmute_participants,omitempty"`
	BreakoutRoom                          *bool `json:"breakout_room,omitempty"`
	NonVerbalFeedback                     *bool `json:"non_verbal_feedback,omitempty"`
	Polling                               *bool `json:"polling,omitempty"`
	RemoteControl                         *bool `json:"remote_control,omitempty"`
	FileTransfer                          *bool `json:"file_transfer,omitempty"`
}

// RecordingSettings is settings.recording.
type RecordingSettings struct {
	LocalRecording *bool `json:"local_recording,omitempty"`
}

// ScheduleMeetingSettings is settings.schedule_meeting.
type ScheduleMeetingSettings struct {
	JoinBeforeHost *bool `json:"join_before_host,omitempty"`
	MuteUponEntry  *bool `json:"mute_upon_entry,omitempty"`
}

// Get returns a user; userID is an id, an email, or "me".
//
// Zoom API docs: https://developers.zoom.us/docs/api/users/#tag/users/GET/users/{userId}
// Scopes: user:read:user:admin (granular) or user:read:admin (classic). Rate label: Light.
func (s *UsersService) Get(ctx context.Context, userID string) (*User, *Response, error) {
	req, err := s.client.NewRequest(http.MethodGet, routeUser, nil, userID)
	if err != nil {
		return nil, nil, err
	}
	u := new(User)
	resp, err := s.client.Do(ctx, req, u)
	if err != nil {
		return nil, resp, err
	}
	return u, resp, nil
}

// GetSettings returns the settings of a user that UserSettings models.
//
// Zoom API docs: https://developers.zoom.us/docs/api/users/#tag/users/GET/users/{userId}/settings
// Scopes: user:read:settings:admin (granular) or user:read:admin (classic). Rate label: Medium.
func (s *UsersService) GetSettings(ctx context.Context, userID string) (*UserSettings, *Response, error) {
	req, err := s.client.NewRequest(http.MethodGet, routeUserSettings, nil, userID)
	if err != nil {
		return nil, nil, err
	}
	st := new(UserSettings)
	resp, err := s.client.Do(ctx, req, st)
	if err != nil {
		return nil, resp, err
	}
	return st, resp, nil
}

// UpdateSettings changes the set fields of a user's settings; Zoom answers 204.
// Settings locked at the account or group level cannot be changed here.
//
// Zoom API docs: https://developers.zoom.us/docs/api/users/#tag/users/PATCH/users/{userId}/settings
// Scopes: user:update:settings:admin (granular) or user:write:admin (classic). Rate label: Medium.
func (s *UsersService) UpdateSettings(ctx context.Context, userID string, settings *UserSettings) (*Response, error) {
	if settings == nil {
		return nil, errors.New("zoomclient: nil settings")
	}
	req, err := s.client.NewRequest(http.MethodPatch, routeUserSettings, settings, userID)
	if err != nil {
		return nil, err
	}
	return s.client.Do(ctx, req, nil)
}

// ZAK returns the user's Zoom Access Key (ZAK), with which the co-host agent
// starts the user's meetings as host. Treat it as a credential: it is never
// logged, and it expires (2 h by default).
//
// Zoom API docs: https://developers.zoom.us/docs/api/users/#tag/users/GET/users/{userId}/token
// Scopes: user:read:zak:admin (granular) or user:read:admin (classic). Rate label: Light.
func (s *UsersService) ZAK(ctx context.Context, userID string) (string, *Response, error) {
	req, err := s.client.NewRequest(http.MethodGet, routeUserToken, nil, userID)
	if err != nil {
		return "", nil, err
	}
	req.URL.RawQuery = "type=zak"
	var body struct {
		Token string `json:"token"`
	}
	resp, err := s.client.Do(ctx, req, &body)
	if err != nil {
		return "", resp, err
	}
	if body.Token == "" {
		return "", resp, &DecodeError{Endpoint: "GET " + routeUserToken, Status: resp.StatusCode, msg: "response without token"}
	}
	return body.Token, resp, nil
}

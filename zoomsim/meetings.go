package zoomsim

import (
	"fmt"
	"maps"
	"strconv"
	"strings"
	"time"
)

// Meeting states of the Go API (the REST API shows "waiting" for both waiting and ended, as Zoom
// does for a scheduled meeting that can start again).
const (
	MeetingWaiting = "waiting"
	MeetingStarted = "started"
	MeetingEnded   = "ended"
)

// Participant roles, as in meeting.participant_role_changed. "attendee" and "host" are the values
// of a 2025 payload on Zoom's developer forum (devforum 125559: "old_role": "attendee",
// "new_role": "host"); Zoom's Rivet types declare the fields as plain strings and no source lists
// the co-host value, so "co-host" follows the product's spelling and is an assumption.
const (
	RoleHost     = "host"
	RoleCoHost   = "co-host"
	RoleAttendee = "attendee"
)

// Meeting is a Zoom meeting in the simulator.
type Meeting struct {
	ID           int64          `json:"id"`
	UUID         string         `json:"uuid"`
	AccountID    string         `json:"account_id"`
	HostID       string         `json:"host_id"`
	HostEmail    string         `json:"host_email"`
	Topic        string         `json:"topic"`
	Type         int            `json:"type"`
	Status       string         `json:"status"`
	StartTime    time.Time      `json:"start_time"`
	Duration     int            `json:"duration"`
	Timezone     string         `json:"timezone"`
	Password     string         `json:"password"`
	Agenda       string         `json:"agenda"`
	CreatedAt    time.Time      `json:"created_at"`
	StartedAt    time.Time      `json:"started_at,omitzero"`
	EndedAt      time.Time      `json:"ended_at,omitzero"`
	Settings     map[string]any `json:"settings"`
	JoinURL      string         `json:"join_url"`
	Participants []Participant  `json:"participants"`
}

// Participant is one join of a meeting (a re-join is a new Participant).
type Participant struct {
	ParticipantUUID string `json:"participant_uuid"`
	// UserID is the per-meeting participant id of Zoom's webhooks ("16778240").
	UserID string `json:"user_id"`
	// ZoomUserID is the Zoom user id of a signed-in participant, "" for guests and phones.
	ZoomUserID  string    `json:"id"`
	Name        string    `json:"user_name"`
	Email       string    `json:"email"`
	PhoneNumber string    `json:"phone_number,omitempty"`
	Role        string    `json:"role"`
	JoinTime    time.Time `json:"join_time"`
	LeaveTime   time.Time `json:"leave_time,omitzero"`
	Present     bool      `json:"present"`
	// Agent marks the co-host agent's own participant.
	Agent bool `json:"agent,omitempty"`
	// SDK marks a participant that joined through the simulated Web Meeting SDK (a host page).
	SDK bool `json:"sdk,omitempty"`
	// OnHold is true while the participant waits in the waiting room (WebSDKConfig.WaitingRoom or
	// the meeting's settings.waiting_room); Admit lets them in.
	OnHold bool `json:"on_hold,omitempty"`
	// RejoinOf is the key of the participant this one re-joined as.
	RejoinOf string `json:"rejoin_of,omitempty"`
}

// Key is the participant key of the agent contract: participant_uuid, or user_id without one.
func (p Participant) Key() string {
	if p.ParticipantUUID != "" {
		return p.ParticipantUUID
	}
	return p.UserID
}

// PhoneOnly reports whether the participant dialled in by phone.
func (p Participant) PhoneOnly() bool {
	return p.PhoneNumber != "" && p.ZoomUserID == "" && p.Email == ""
}

// MeetingSpec describes a meeting to create. HostID (a user id or email) is required.
type MeetingSpec struct {
	ID     int64  `json:"id"`
	HostID string `json:"host_id"`
	Topic  string `json:"topic"`
	// Type is Zoom's meeting type; default 2 (scheduled).
	Type int `json:"type"`
	// Password defaults to six random digits unless NoPassword.
	Password   string `json:"password"`
	NoPassword bool   `json:"no_password"`
	// StartTime defaults to five minutes from now.
	StartTime time.Time `json:"start_time"`
	// Duration in minutes; default 60.
	Duration int            `json:"duration"`
	Timezone string         `json:"timezone"`
	Agenda   string         `json:"agenda"`
	Settings map[string]any `json:"settings"`
}

// JoinSpec describes one participant joining.
type JoinSpec struct {
	// Name is the display name; defaults to the user's name, the phone number, or "Guest N".
	Name string `json:"name"`
	// Email of a guest (Zoom reports what the guest typed, often nothing).
	Email string `json:"email"`
	// ZoomUserID (a user id or email of a sim user) makes the participant signed in.
	ZoomUserID string `json:"zoom_user_id"`
	// PhoneNumber makes a phone-only participant (without ZoomUserID and Email).
	PhoneNumber string `json:"phone_number"`
	// WaitingRoom holds this joiner in the waiting room until Admit, whatever the meeting's
	// settings say.
	WaitingRoom bool `json:"waiting_room,omitempty"`
}

type meeting struct {
	Meeting
	deleted      bool
	nextUserID   int64
	participants []*participant
	updates      []time.Time
}

type participant struct {
	Participant
	leaveReason string
}

const firstParticipantUserID = 16778240 // the order of magnitude of Zoom's per-meeting ids

// CreateMeeting schedules a meeting and sends meeting.created.
func (s *Sim) CreateMeeting(spec MeetingSpec) (Meeting, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	host := s.lookupUser(spec.HostID)
	if host == nil {
		return Meeting{}, fmt.Errorf("%w: host %q", ErrNotFound, spec.HostID)
	}
	id := spec.ID
	if id == 0 {
		for id == 0 || s.meetings[id] != nil {
			id = 81000000000 + s.rng.Int64N(8999999999)
		}
	} else if s.meetings[id] != nil {
		return Meeting{}, fmt.Errorf("%w: meeting %d exists", ErrInvalid, id)
	}
	if id < 0 {
		return Meeting{}, fmt.Errorf("%w: meeting id %d", ErrInvalid, id)
	}
	now := s.clock.Now().UTC()
	m := &meeting{Meeting: Meeting{
		ID: id, UUID: s.meetingUUID(), AccountID: host.AccountID, HostID: host.ID, HostEmail: host.Email,
		Topic: spec.Topic, Type: spec.Type, Status: MeetingWaiting, StartTime: spec.StartTime.UTC(),
		Duration: spec.Duration, Timezone: spec.Timezone, Password: spec.Password, Agenda: spec.Agenda,
		CreatedAt: now, Settings: defaultMeetingSettings(),
	}, nextUserID: firstParticipantUserID}
	if m.Topic == "" {
		m.Topic = host.DisplayName() + "'s Zoom Meeting"
	}
	if m.Type == 0 {
		m.Type = 2
	}
	if spec.StartTime.IsZero() {
		m.StartTime = now.Add(5 * time.Minute).Truncate(time.Second)
	}
	if m.Duration == 0 {
		m.Duration = 60
	}
	if m.Timezone == "" {
		m.Timezone = "UTC"
	}
	if m.Password == "" && !spec.NoPassword {
		m.Password = fmt.Sprintf("%06d", s.rng.IntN(1000000))
	}
	for k, v := range spec.Settings {
		m.Settings[k] = normalizeJSON(v)
	}
	m.JoinURL = fmt.Sprintf("https://zoom.us/j/%d?pwd=%s", m.ID, m.Password)
	s.meetings[id] = m
	s.meetingOrder = append(s.meetingOrder, id)
	obj := m.eventObject(s.cfg.MeetingIDAsString)
	obj["join_url"] = m.JoinURL
	obj["password"] = m.Password
	obj["settings"] = map[string]any{"use_pmi": false, "alternative_hosts": m.Settings["alternative_hosts"]}
	s.emit("meeting.created", m.AccountID, eventRef{meetingID: m.ID, meetingUUID: m.UUID}, map[string]any{
		"operator": host.Email, "operator_id": host.ID, "operation": "single", "object": obj,
	})
	s.notify()
	return m.view(), nil
}

func defaultMeetingSettings() map[string]any {
	return map[string]any{
		"host_video":                           false,
		"participant_video":                    false,
		"join_before_host":                     false,
		"jbh_time":                             float64(0),
		"mute_upon_entry":                      false,
		"waiting_room":                         false,
		"alternative_hosts":                    "",
		"alternative_hosts_email_notification": true,
		"allow_host_control_participant_mute_state": false,
		"request_permission_to_unmute_participants": false,
		"continuous_meeting_chat":                   map[string]any{"enable": false},
		"auto_recording":                            "none",
		"approval_type":                             float64(2),
		"audio":                                     "both",
	}
}

// normalizeJSON turns Go ints into the float64 of decoded JSON so values compare alike.
func normalizeJSON(v any) any {
	switch x := v.(type) {
	case int:
		return float64(x)
	case int64:
		return float64(x)
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = normalizeJSON(e)
		}
		return out
	}
	return v
}

func (m *meeting) view() Meeting {
	v := m.Meeting
	v.Settings = cloneJSONMap(m.Settings)
	v.Participants = make([]Participant, 0, len(m.participants))
	for _, p := range m.participants {
		v.Participants = append(v.Participants, p.Participant)
	}
	return v
}

func cloneJSONMap(m map[string]any) map[string]any {
	out := maps.Clone(m)
	for k, v := range out {
		if sub, ok := v.(map[string]any); ok {
			out[k] = cloneJSONMap(sub)
		}
	}
	return out
}

// eventObject is the meeting part of payload.object shared by the meeting events.
func (m *meeting) eventObject(idAsString bool) map[string]any {
	var id any = m.ID
	if idAsString {
		id = strconv.FormatInt(m.ID, 10)
	}
	start := m.StartTime
	if !m.StartedAt.IsZero() {
		start = m.StartedAt
	}
	return map[string]any{
		"id":         id,
		"uuid":       m.UUID,
		"host_id":    m.HostID,
		"topic":      m.Topic,
		"type":       m.Type,
		"start_time": zoomTime(start),
		"timezone":   m.Timezone,
		"duration":   m.Duration,
	}
}

// zoomTime formats times as Zoom's payloads do ("2025-01-29T20:23:00Z").
func zoomTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }

// Meeting returns a meeting with its participants.
func (s *Sim) Meeting(id int64) (Meeting, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.meetings[id]
	if m == nil || m.deleted {
		return Meeting{}, fmt.Errorf("%w: meeting %d", ErrNotFound, id)
	}
	return m.view(), nil
}

// Meetings returns the meetings in creation order.
func (s *Sim) Meetings() []Meeting {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Meeting
	for _, id := range s.meetingOrder {
		if m := s.meetings[id]; !m.deleted {
			out = append(out, m.view())
		}
	}
	return out
}

// liveMeeting; callers hold s.mu.
func (s *Sim) liveMeeting(id int64) (*meeting, error) {
	m := s.meetings[id]
	if m == nil || m.deleted {
		return nil, fmt.Errorf("%w: meeting %d", ErrNotFound, id)
	}
	return m, nil
}

// StartMeeting starts the meeting (as its host starting it from the Zoom client) and sends
// meeting.started. A meeting that had ended starts a new instance with a new uuid. Starting a
// started meeting is a no-op.
func (s *Sim) StartMeeting(id int64) (Meeting, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, err := s.liveMeeting(id)
	if err != nil {
		return Meeting{}, err
	}
	s.startLocked(m)
	return m.view(), nil
}

// startLocked; callers hold s.mu.
func (s *Sim) startLocked(m *meeting) {
	if m.Status == MeetingStarted {
		return
	}
	if m.Status == MeetingEnded {
		m.UUID = s.meetingUUID()
		m.participants = nil
		m.nextUserID = firstParticipantUserID
		m.EndedAt = time.Time{}
	}
	m.Status = MeetingStarted
	m.StartedAt = s.clock.Now().UTC()
	obj := m.eventObject(s.cfg.MeetingIDAsString)
	obj["host_email"] = m.HostEmail // added to meeting.started/ended on 2026-04-20 (devforum 143100)
	s.emit("meeting.started", m.AccountID, eventRef{meetingID: m.ID, meetingUUID: m.UUID}, map[string]any{"object": obj})
	s.notify()
}

// EndMeeting ends the meeting: every participant still in it leaves (participant_left), the
// agent's session closes, and meeting.ended is sent.
func (s *Sim) EndMeeting(id int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, err := s.liveMeeting(id)
	if err != nil {
		return err
	}
	if m.Status != MeetingStarted {
		return fmt.Errorf("%w: meeting %d is not started", ErrInvalid, id)
	}
	s.endLocked(m)
	return nil
}

func (s *Sim) endLocked(m *meeting) {
	s.sdkMeetingEndingLocked(m)
	for _, p := range m.participants {
		if p.Present {
			s.leaveLocked(m, p, "left the meeting. Reason : Host ended the meeting")
		}
	}
	s.closeSessionLocked(m.ID, "meeting_ended", false)
	m.Status = MeetingEnded
	m.EndedAt = s.clock.Now().UTC()
	obj := m.eventObject(s.cfg.MeetingIDAsString)
	obj["host_email"] = m.HostEmail
	obj["end_time"] = zoomTime(m.EndedAt)
	s.emit("meeting.ended", m.AccountID, eventRef{meetingID: m.ID, meetingUUID: m.UUID}, map[string]any{"object": obj})
	s.notify()
}

// DeleteMeeting deletes the meeting (ending it first if it runs) and sends meeting.deleted.
func (s *Sim) DeleteMeeting(id int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, err := s.liveMeeting(id)
	if err != nil {
		return err
	}
	if m.Status == MeetingStarted {
		s.endLocked(m)
	}
	m.deleted = true
	host := s.users[m.HostID]
	payload := map[string]any{"operation": "single", "object": m.eventObject(s.cfg.MeetingIDAsString)}
	if host != nil {
		payload["operator"], payload["operator_id"] = host.Email, host.ID
	}
	s.emit("meeting.deleted", m.AccountID, eventRef{meetingID: m.ID, meetingUUID: m.UUID}, payload)
	s.notify()
	return nil
}

// Join adds a participant to a started meeting (or to a waiting one whose settings allow join
// before host, which starts it) and sends meeting.participant_joined. The meeting's host joins with
// role host; a signed-in alternative host joins as co-host (see Config.AltHostsJoinAsAttendee).
func (s *Sim) Join(meetingID int64, spec JoinSpec) (Participant, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, err := s.liveMeeting(meetingID)
	if err != nil {
		return Participant{}, err
	}
	p, err := s.joinLocked(m, spec, "")
	if err != nil {
		return Participant{}, err
	}
	return p.Participant, nil
}

// JoinMany joins several participants in order.
func (s *Sim) JoinMany(meetingID int64, specs []JoinSpec) ([]Participant, error) {
	out := make([]Participant, 0, len(specs))
	for _, sp := range specs {
		p, err := s.Join(meetingID, sp)
		if err != nil {
			return out, err
		}
		out = append(out, p)
	}
	return out, nil
}

// JoinGuests joins n guests named "Guest 1", "Guest 2", … (numbered across the meeting).
func (s *Sim) JoinGuests(meetingID int64, n int) ([]Participant, error) {
	specs := make([]JoinSpec, n)
	return s.JoinMany(meetingID, specs)
}

func (s *Sim) joinLocked(m *meeting, spec JoinSpec, rejoinOf string) (*participant, error) {
	if m.Status != MeetingStarted {
		jbh, _ := m.Settings["join_before_host"].(bool)
		if !jbh {
			return nil, fmt.Errorf("%w: meeting %d has not started and does not allow join before host", ErrInvalid, m.ID)
		}
		s.startLocked(m)
	}
	now := s.clock.Now().UTC()
	p := &participant{Participant: Participant{
		ParticipantUUID: s.participantUUID(),
		UserID:          strconv.FormatInt(m.nextUserID, 10),
		Role:            RoleAttendee,
		JoinTime:        now,
		Present:         true,
		RejoinOf:        rejoinOf,
	}}
	m.nextUserID += 1024
	switch {
	case spec.ZoomUserID != "":
		u := s.lookupUser(spec.ZoomUserID)
		if u == nil {
			return nil, fmt.Errorf("%w: user %q", ErrNotFound, spec.ZoomUserID)
		}
		p.ZoomUserID, p.Email, p.Name = u.ID, u.Email, spec.Name
		if p.Name == "" {
			p.Name = u.DisplayName()
		}
		if p.Name == "" {
			p.Name = u.Email
		}
	case spec.PhoneNumber != "":
		if spec.Email != "" {
			return nil, fmt.Errorf("%w: a phone-only participant has no email", ErrInvalid)
		}
		p.PhoneNumber, p.Name = spec.PhoneNumber, spec.Name
		if p.Name == "" {
			p.Name = maskPhone(spec.PhoneNumber)
		}
	default:
		p.Email, p.Name = strings.ToLower(spec.Email), spec.Name
		if p.Name == "" {
			p.Name = "Guest " + strconv.Itoa(len(m.participants)+1)
		}
	}
	if p.ZoomUserID != "" && p.ZoomUserID == m.HostID {
		p.Role = RoleHost
	}
	m.participants = append(m.participants, p)
	if p.Role != RoleHost && (s.holdsJoiners(m) || spec.WaitingRoom) {
		// The waiting room: Zoom announces the wait, and the join itself only on admission.
		p.OnHold = true
		s.emitWaitingRoom(m, p, "meeting.participant_joined_waiting_room")
		s.sdkParticipantJoinedLocked(m, p)
		s.notify()
		return p, nil
	}
	s.admittedLocked(m, p)
	s.notify()
	return p, nil
}

// admittedLocked announces a participant in the meeting (joined, or admitted from the waiting
// room): meeting.participant_joined, the SDK rosters, and the co-host role of an alternative host.
// Callers hold s.mu.
func (s *Sim) admittedLocked(m *meeting, p *participant) {
	s.emitParticipantHeld(m, p, "meeting.participant_joined", s.joinWebhookHold(m))
	s.sdkParticipantJoinedLocked(m, p)
	if p.Role == RoleAttendee && !s.cfg.AltHostsJoinAsAttendee && s.isAltHost(m, p) {
		p.Role = RoleCoHost
		s.emitRoleChanged(m, p, RoleAttendee, RoleCoHost)
		s.sdkRoleChangedLocked(m, p)
	}
}

func maskPhone(n string) string {
	digits := strings.TrimLeft(n, "+")
	if len(digits) <= 4 {
		return n
	}
	return strings.Repeat("*", len(digits)-4) + digits[len(digits)-4:]
}

// isAltHost: a licensed user of the meeting's account, signed in, listed in alternative_hosts by
// email or id ("Both users need to be Licensed and on the same account", KB0067027); callers hold
// s.mu.
func (s *Sim) isAltHost(m *meeting, p *participant) bool {
	if p.ZoomUserID == "" {
		return false
	}
	u := s.users[p.ZoomUserID]
	if u == nil || u.AccountID != m.AccountID || u.Type != UserLicensed {
		return false
	}
	list, _ := m.Settings["alternative_hosts"].(string)
	for _, e := range strings.Split(list, ";") {
		e = strings.TrimSpace(e)
		if e != "" && (strings.EqualFold(e, u.Email) || e == u.ID) {
			return true
		}
	}
	return false
}

// participantPayload is payload.object.participant of the join and leave events (Zoom's
// webhook reference, https://developers.zoom.us/docs/api/meetings/events/; Rivet MeetingParticipantJoinedEvent): id and participant_user_id are the Zoom user id when
// signed in, "" otherwise; phone_number only for phone participants.
func (p *participant) payload() map[string]any {
	out := map[string]any{
		"user_id":             p.UserID,
		"user_name":           p.Name,
		"id":                  p.ZoomUserID,
		"participant_user_id": p.ZoomUserID,
		"participant_uuid":    p.ParticipantUUID,
		"email":               p.Email,
	}
	if p.PhoneNumber != "" {
		out["phone_number"] = p.PhoneNumber
	}
	return out
}

func (s *Sim) emitParticipant(m *meeting, p *participant, name string) {
	s.emitParticipantHeld(m, p, name, 0)
}

// emitParticipantHeld is emitParticipant with the first delivery attempt held back by hold.
func (s *Sim) emitParticipantHeld(m *meeting, p *participant, name string, hold time.Duration) {
	obj := m.eventObject(s.cfg.MeetingIDAsString)
	pp := p.payload()
	if name == "meeting.participant_left" {
		pp["leave_time"] = zoomTime(p.LeaveTime)
		pp["leave_reason"] = p.leaveReason
	} else {
		pp["join_time"] = zoomTime(p.JoinTime)
	}
	obj["participant"] = pp
	s.emitHeld(name, m.AccountID, eventRef{meetingID: m.ID, meetingUUID: m.UUID, participantKey: p.Key()}, map[string]any{"object": obj}, hold)
}

// emitRoleChanged sends meeting.participant_role_changed; callers hold s.mu. The participant part
// follows a real payload (devforum 125559): user_id, user_name, email, participant_uuid,
// participant_user_id, date_time, old_role, new_role.
func (s *Sim) emitRoleChanged(m *meeting, p *participant, oldRole, newRole string) string {
	obj := m.eventObject(s.cfg.MeetingIDAsString)
	obj["participant"] = map[string]any{
		"user_id":             p.UserID,
		"user_name":           p.Name,
		"email":               p.Email,
		"participant_uuid":    p.ParticipantUUID,
		"participant_user_id": p.ZoomUserID,
		"date_time":           zoomTime(s.clock.Now()),
		"old_role":            oldRole,
		"new_role":            newRole,
	}
	return s.emit("meeting.participant_role_changed", m.AccountID,
		eventRef{meetingID: m.ID, meetingUUID: m.UUID, participantKey: p.Key()}, map[string]any{"object": obj})
}

// findParticipant by participant_uuid or user_id, most recent join first; callers hold s.mu.
func (m *meeting) findParticipant(key string) *participant {
	for i := len(m.participants) - 1; i >= 0; i-- {
		p := m.participants[i]
		if p.ParticipantUUID == key || p.UserID == key {
			return p
		}
	}
	return nil
}

// Leave makes a participant leave and sends meeting.participant_left.
func (s *Sim) Leave(meetingID int64, participantKey string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, err := s.liveMeeting(meetingID)
	if err != nil {
		return err
	}
	p := m.findParticipant(participantKey)
	if p == nil || !p.Present {
		return fmt.Errorf("%w: participant %s in meeting %d", ErrNotFound, participantKey, meetingID)
	}
	if p.Agent {
		s.closeSessionLocked(m.ID, "agent_left", true)
		return nil
	}
	s.leaveLocked(m, p, "")
	s.notify()
	return nil
}

// leaveLocked; reason "" is an ordinary leave. Zoom's leave_reason reads like "left the meeting.
// Reason : left the meeting" (elastic/integrations zoom docs quote such values).
func (s *Sim) leaveLocked(m *meeting, p *participant, reason string) {
	if reason == "" {
		reason = "left the meeting. Reason : left the meeting"
	}
	p.leaveReason = reason
	p.Present = false
	p.LeaveTime = s.clock.Now().UTC()
	s.sdkParticipantLeftLocked(m, p)
	if p.OnHold {
		// Never admitted: Zoom reports leaving the waiting room, not the meeting.
		p.OnHold = false
		s.emitWaitingRoom(m, p, "meeting.participant_left_waiting_room")
		return
	}
	s.emitParticipant(m, p, "meeting.participant_left")
}

// Rejoin makes a participant who left join again. The re-join is a new participant with a new
// user_id and a new participant_uuid: "participant_uuid and user_id change if a user leaves and
// rejoins the meeting" (devforum 125559). Its role starts over.
func (s *Sim) Rejoin(meetingID int64, participantKey string) (Participant, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, err := s.liveMeeting(meetingID)
	if err != nil {
		return Participant{}, err
	}
	old := m.findParticipant(participantKey)
	if old == nil {
		return Participant{}, fmt.Errorf("%w: participant %s in meeting %d", ErrNotFound, participantKey, meetingID)
	}
	if old.Present {
		s.leaveLocked(m, old, "")
	}
	spec := JoinSpec{Name: old.Name, Email: old.Email, ZoomUserID: old.ZoomUserID, PhoneNumber: old.PhoneNumber}
	if old.ZoomUserID != "" {
		spec.Email = ""
	}
	p, err := s.joinLocked(m, spec, old.Key())
	if err != nil {
		return Participant{}, err
	}
	return p.Participant, nil
}

// Participants returns everyone who joined the meeting (present or not), in join order.
func (s *Sim) Participants(meetingID int64) ([]Participant, error) {
	m, err := s.Meeting(meetingID)
	if err != nil {
		return nil, err
	}
	return m.Participants, nil
}

// Participant returns one participant by participant_uuid or user_id.
func (s *Sim) Participant(meetingID int64, key string) (Participant, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, err := s.liveMeeting(meetingID)
	if err != nil {
		return Participant{}, err
	}
	p := m.findParticipant(key)
	if p == nil {
		return Participant{}, fmt.Errorf("%w: participant %s in meeting %d", ErrNotFound, key, meetingID)
	}
	return p.Participant, nil
}

// Deauthorize uninstalls the app from an account: its OAuth access and refresh tokens stop working
// and app_deauthorized is sent (payload as in Zoom's data-compliance guide: account_id, user_id,
// client_id, deauthorization_time, signature, user_data_retention).
func (s *Sim) Deauthorize(accountID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.accounts[accountID]
	if !ok {
		return fmt.Errorf("%w: account %s", ErrNotFound, accountID)
	}
	a.tokensRevoked = true
	for _, t := range s.tokens {
		if t.accountID == accountID {
			t.revoked = true
		}
	}
	for _, t := range s.refreshTokens {
		if t.accountID == accountID {
			t.revoked = true
		}
	}
	s.emit("app_deauthorized", accountID, eventRef{}, map[string]any{
		"user_id":              a.OwnerID,
		"client_id":            a.ClientID,
		"deauthorization_time": s.clock.Now().UTC().Format(time.RFC3339),
		"signature":            secretToken(""),
		"user_data_retention":  "false",
	})
	s.notify()
	return nil
}

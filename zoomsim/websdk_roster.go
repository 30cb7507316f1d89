package zoomsim

// The simulated SDK's rosters: what each page sees of a meeting's participants, the events it
// gets as they join, leave, wait or change role, and how a page's session ends.

import (
	"fmt"
	"strconv"
	"time"
)

// holdsJoiners reports whether joiners wait in the waiting room; callers hold s.mu.
func (s *Sim) holdsJoiners(m *meeting) bool {
	wr, _ := m.Settings["waiting_room"].(bool)
	return wr || s.cfg.WebSDK.WaitingRoom
}

// joinWebhookHold is how long meeting.participant_joined waits when the SDK rosters see joiners
// first; callers hold s.mu.
func (s *Sim) joinWebhookHold(m *meeting) time.Duration {
	if d := s.cfg.WebSDK.RosterDelay; d < 0 && s.sdkSessionsOf(m) != nil {
		return -d
	}
	return 0
}

// emitWaitingRoom sends one of the waiting-room events, whose participant carries date_time rather
// than join_time (Rivet types of meeting.participant_joined_waiting_room); callers hold s.mu.
func (s *Sim) emitWaitingRoom(m *meeting, p *participant, name string) {
	obj := m.eventObject(s.cfg.MeetingIDAsString)
	pp := p.payload()
	pp["date_time"] = zoomTime(s.clock.Now())
	obj["participant"] = pp
	s.emit(name, m.AccountID, eventRef{meetingID: m.ID, meetingUUID: m.UUID, participantKey: p.Key()}, map[string]any{"object": obj})
}

// sdkSessionsOf lists the live sessions of a meeting; callers hold s.mu.
func (s *Sim) sdkSessionsOf(m *meeting) []*sdkSession {
	var out []*sdkSession
	for _, ss := range s.sdk.sessions {
		if ss.meeting == m && !ss.closed {
			out = append(out, ss)
		}
	}
	return out
}

// rawAttributes are a participant's attributes as the bundle receives them from Zoom and hands
// to user-added/user-updated/user-removed listeners (ParticipantPropertiesPayload in
// embedded.d.ts; userGUID is the raw name of participantUUID, see SURFACE.md).
func (s *Sim) rawAttributes(m *meeting, p *participant) map[string]any {
	uid, _ := strconv.ParseInt(p.UserID, 10, 64)
	userType := 9 // a client
	if p.PhoneOnly() {
		userType = 5 // a phone
	}
	guest := p.ZoomUserID == ""
	if u := s.users[p.ZoomUserID]; u != nil && u.AccountID != m.AccountID {
		guest = true
	}
	a := map[string]any{
		"userId":                uid,
		"displayName":           p.Name,
		"userGUID":              p.ParticipantUUID,
		"isHost":                p.Role == RoleHost,
		"bCoHost":               p.Role == RoleCoHost,
		"bHold":                 p.OnHold,
		"bGuest":                guest,
		"userType":              userType,
		"bOriginalHost":         p.ZoomUserID != "" && p.ZoomUserID == m.HostID,
		"audio":                 "",
		"muted":                 false,
		"bVideoOn":              false,
		"bRaiseHand":            false,
		"sharerOn":              false,
		"sharerPause":           false,
		"feedback":              0,
		"avatar":                "",
		"bLocalRecord":          false,
		"isSpeakerOnly":         false,
		"bBotUser":              false,
		"userIdentity":          "",
		"strPronoun":            "",
		"bVideoConnect":         false,
		"audioConnectionStatus": 0,
	}
	if userType == 5 {
		a["phoneNumber"] = maskPhone(p.PhoneNumber)
		a["callInVendor"] = 0
	}
	return a
}

func cloneAttrs(a map[string]any) map[string]any {
	out := make(map[string]any, len(a))
	for k, v := range a {
		out[k] = v
	}
	return out
}

// push queues an event for the session's page; callers hold s.mu.
func (ss *sdkSession) push(name string, data any) {
	ss.events = append(ss.events, sdkEvent{seq: len(ss.events) + 1, name: name, data: data})
	close(ss.wake)
	ss.wake = make(chan struct{})
}

// showLocked applies attributes to a session's view and tells the page; callers hold s.mu.
func (s *Sim) showLocked(ss *sdkSession, p *participant, event string, extra map[string]any) {
	if ss.closed {
		return
	}
	uid, _ := strconv.ParseInt(p.UserID, 10, 64)
	switch event {
	case "user-added":
		a := s.rawAttributes(ss.meeting, p)
		ss.view[uid] = a
		out := cloneAttrs(a)
		for k, v := range extra {
			out[k] = v
		}
		ss.push(event, []any{out})
	case "user-removed":
		a, ok := ss.view[uid]
		if !ok {
			return
		}
		delete(ss.view, uid)
		out := cloneAttrs(a)
		for k, v := range extra {
			out[k] = v
		}
		ss.push(event, []any{out})
	case "user-updated":
		a, ok := ss.view[uid]
		if !ok {
			return
		}
		now := s.rawAttributes(ss.meeting, p)
		delta := map[string]any{"userId": uid}
		for _, k := range []string{"isHost", "bCoHost", "bHold", "displayName"} {
			if fmt.Sprint(a[k]) != fmt.Sprint(now[k]) {
				delta[k] = now[k]
				a[k] = now[k]
			}
		}
		if len(delta) == 1 {
			return
		}
		ss.push(event, []any{delta})
		for _, w := range ss.waiters[uid] {
			close(w)
		}
		delete(ss.waiters, uid)
	}
}

// sdkParticipantJoinedLocked shows a joiner (or a participant put on hold) to every session of the
// meeting after RosterDelay; callers hold s.mu.
func (s *Sim) sdkParticipantJoinedLocked(m *meeting, p *participant) {
	for _, ss := range s.sdkSessionsOf(m) {
		if ss.self == p {
			continue
		}
		uid, _ := strconv.ParseInt(p.UserID, 10, 64)
		show := func() {
			if !p.Present || ss.closed {
				return
			}
			extra := map[string]any(nil)
			if _, held := ss.view[uid]; held && !p.OnHold {
				// Admitted from the waiting room: the bundle removes the held user ("on hold")
				// and adds them again with source "on hold" (SURFACE.md).
				s.showLocked(ss, p, "user-removed", map[string]any{"reason": "on hold"})
				extra = map[string]any{"source": "on hold"}
			} else if held {
				return
			}
			s.showLocked(ss, p, "user-added", extra)
		}
		if d := s.cfg.WebSDK.RosterDelay; d > 0 {
			s.after(d, func() {
				s.mu.Lock()
				defer s.mu.Unlock()
				show()
				s.notify()
			})
			continue
		}
		show()
	}
}

// sdkParticipantLeftLocked removes a participant from every roster; a session whose own
// participant left is closed. Callers hold s.mu.
func (s *Sim) sdkParticipantLeftLocked(m *meeting, p *participant) {
	for _, ss := range s.sdkSessionsOf(m) {
		if ss.self == p {
			s.closeSDKSessionLocked(ss, SDKClosedLeftSim, map[string]any{"state": "Closed", "reason": "kicked by host"}, false)
			continue
		}
		s.showLocked(ss, p, "user-removed", nil)
	}
}

// sdkRoleChangedLocked shows a participant's new role to every roster after RoleChangeDelay;
// callers hold s.mu.
func (s *Sim) sdkRoleChangedLocked(m *meeting, p *participant) {
	for _, ss := range s.sdkSessionsOf(m) {
		if d := s.cfg.WebSDK.RoleChangeDelay; d > 0 {
			s.after(d, func() {
				s.mu.Lock()
				defer s.mu.Unlock()
				s.showLocked(ss, p, "user-updated", nil)
				s.notify()
			})
			continue
		}
		s.showLocked(ss, p, "user-updated", nil)
	}
}

// sdkMeetingEndingLocked closes every session of a meeting that ends; callers hold s.mu.
func (s *Sim) sdkMeetingEndingLocked(m *meeting) {
	for _, ss := range s.sdkSessionsOf(m) {
		s.closeSDKSessionLocked(ss, SDKClosedEnded, map[string]any{"state": "Closed", "reason": "ended by host"}, false)
	}
}

// closeSDKSessionLocked ends a session: the page gets connection-change (state), the streams end,
// and its participant leaves when leave is set. Callers hold s.mu.
func (s *Sim) closeSDKSessionLocked(ss *sdkSession, reason string, state map[string]any, leave bool) {
	if ss.closed {
		return
	}
	ss.push("connection-change", state)
	ss.closed = true
	rec := &s.ledger.SDKSessions[ss.record]
	rec.ClosedAt, rec.CloseReason = s.clock.Now().UTC(), reason
	for uid, ws := range ss.waiters {
		for _, w := range ws {
			close(w)
		}
		delete(ss.waiters, uid)
	}
	if leave && ss.self.Present {
		s.leaveLocked(ss.meeting, ss.self, "")
	}
	s.notify()
}

// stopStreams ends every event stream (the server is shutting down).
func (s *Sim) stopStreams() {
	s.mu.Lock()
	defer s.mu.Unlock()
	select {
	case <-s.sdk.stopped:
	default:
		close(s.sdk.stopped)
	}
}

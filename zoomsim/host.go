package zoomsim

import "fmt"

// AssignCoHost makes a participant co-host as the meeting's host does by hand in Zoom's own
// participant panel: nobody but the host asks, no API call is made. The rosters show the role and
// meeting.participant_role_changed follows, as for any promotion; the ledger records it with
// Via PromotedByHost.
func (s *Sim) AssignCoHost(meetingID int64, participantKey string) (Participant, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, p, err := s.presentLocked(meetingID, participantKey)
	if err != nil {
		return Participant{}, err
	}
	if p.Role != RoleAttendee || p.OnHold {
		return Participant{}, fmt.Errorf("%w: participant %s is %s, not an attendee in the meeting", ErrInvalid, participantKey, p.Role)
	}
	p.Role = RoleCoHost
	now := s.clock.Now().UTC()
	s.ledger.Promotions = append(s.ledger.Promotions, Promotion{
		MeetingID: m.ID, MeetingUUID: m.UUID, ParticipantUUID: p.ParticipantUUID, UserID: p.UserID,
		UserName: p.Name, Key: p.Key(), JoinedAt: p.JoinTime, PromotedAt: now, Via: PromotedByHost,
	})
	s.roleChangedUUIDLocked(p)
	idx := len(s.ledger.Promotions) - 1
	reqID := s.emitRoleChanged(m, p, RoleAttendee, RoleCoHost)
	s.ledger.Promotions[idx].RoleChangedSentAt, s.ledger.Promotions[idx].RoleChangedRequestID = s.clock.Now().UTC(), reqID
	s.sdkRoleChangedLocked(m, p)
	s.notify()
	return p.Participant, nil
}

// roleChangedUUIDLocked gives a participant who just became co-host a new participant_uuid when
// WebSDKConfig.UUIDChangesWithRole is set; callers hold s.mu.
func (s *Sim) roleChangedUUIDLocked(p *participant) {
	if !s.cfg.WebSDK.UUIDChangesWithRole || p.ParticipantUUID == "" {
		return
	}
	p.ParticipantUUID = s.participantUUID()
}

// presentLocked finds a participant who is in a running meeting (or in its
// waiting room); callers hold s.mu.
func (s *Sim) presentLocked(meetingID int64, participantKey string) (*meeting, *participant, error) {
	m, err := s.liveMeeting(meetingID)
	if err != nil {
		return nil, nil, err
	}
	p := m.findParticipant(participantKey)
	if p == nil || !p.Present {
		return nil, nil, fmt.Errorf("%w: participant %s in meeting %d", ErrNotFound, participantKey, meetingID)
	}
	return m, p, nil
}

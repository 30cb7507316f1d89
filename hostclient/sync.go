package hostclient

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/cohost-dev/cohost/api"
	"github.com/cohost-dev/cohost/grant"
	"github.com/cohost-dev/cohost/store"
)

// Sync answers one report of the page: it records the result of the last
// makeCoHost, confirms whoever the roster shows as co-host, picks the next
// participant to promote (one call in flight per meeting, at the configured
// pace) and returns what the panel shows. It runs in one transaction under
// the meeting's host_pages row lock.
func (s *Service) Sync(ctx context.Context, l store.HostLink, req api.HostSyncRequest) (api.HostSyncResponse, error) {
	req, err := cleanSync(req)
	if err != nil {
		return api.HostSyncResponse{}, err
	}
	now := s.now()
	m, err := s.Store.GetMeeting(ctx, l.AccountID, l.MeetingID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		m = grant.Meeting{AccountID: l.AccountID, ID: l.MeetingID}
	case err != nil:
		return api.HostSyncResponse{}, unavailable(err)
	}
	var (
		resp      api.HostSyncResponse
		confirmed []grant.Participant
		called    string // metric label of the call whose result arrived
	)
	err = s.Store.InTx(ctx, func(tx store.Tx) error {
		resp, confirmed, called = api.HostSyncResponse{SyncMS: 1000}, nil, ""
		page, err := tx.LockHostPage(ctx, l.AccountID, l.MeetingID)
		if err != nil {
			return err
		}
		if page.SessionID == "" || page.SessionID != req.SessionID {
			resp.Action = api.HostAction{Kind: api.HostActionStop, Why: api.HostStopSuperseded}
			return nil
		}
		if ended(m, page) {
			resp.Action = api.HostAction{Kind: api.HostActionStop, Why: api.HostStopEnded}
			resp.Panel.Notice = "the meeting has ended"
			page.SeenAt, page.Connection = now, req.Connection
			// The last makeCoHost can resolve just before the end reaches
			// the page: its result still says who made that participant
			// co-host, so it is recorded before the page is stopped.
			if confirmed, called, err = s.lateResult(ctx, tx, &page, m, req, now); err != nil {
				return err
			}
			return tx.SaveHostPage(ctx, page)
		}
		page.SeenAt, page.Connection = now, req.Connection
		out := req.Connection == api.HostConnClosed || req.Connection == api.HostConnFail ||
			req.Connection == api.HostConnLeft || req.Connection == api.HostConnEnded
		if req.Me != nil {
			page.HostUserID = req.Me.UserID
		}
		if m.Live() {
			page.MeetingUUID = m.UUID
		}
		uuid := page.MeetingUUID

		var ledger []grant.Participant
		promos := map[string]store.HostPromotion{}
		if uuid != "" {
			if ledger, err = tx.InstanceParticipants(ctx, uuid); err != nil {
				return err
			}
			list, err := tx.HostPromotions(ctx, uuid)
			if err != nil {
				return err
			}
			for _, p := range list {
				promos[p.MatchKey] = p
			}
		}
		m.UUID = uuid

		// The call in flight: its result, or its loss.
		var callDone store.HostPromotion
		switch {
		case page.InflightCall == "":
		case req.Result != nil && req.Result.CallID == page.InflightCall:
			v := judgeCall(*req.Result)
			p := settleCall(promotionFor(promos, page, m), v, now)
			promos[p.MatchKey], callDone, called = p, p, v.label
			page.InflightCall, page.InflightKey, page.InflightUntil = "", "", time.Time{}
		case now.After(page.InflightUntil):
			v := callVerdict{reason: grant.ReasonSDKTimeout, label: callLost,
				detail: "the host page did not report the call's result (reloaded or closed while it ran?)"}
			p := settleCall(promotionFor(promos, page, m), v, now)
			promos[p.MatchKey], callDone, called = p, p, v.label
			page.InflightCall, page.InflightKey, page.InflightUntil = "", "", time.Time{}
		}

		planned := plan(planInput{Now: now, Meeting: m, Policy: s.Policy, Ledger: ledger, Promos: promos, Roster: req.Roster,
			Me: req.Me, Page: page, Interval: s.interval(),
			CanPromote: req.Connection == api.HostConnConnected && req.Me != nil && req.Me.IsHost && uuid != ""})
		if callDone.MatchKey != "" {
			planned.Save = appendUnique(planned.Save, callDone)
			if callDone.Done {
				if p, ok := ledgerByKey(ledger, callDone.MatchKey); ok {
					planned.Confirm = append(planned.Confirm, confirmation{Key: p.Key})
				}
			}
		}
		if out {
			planned.Action = api.HostAction{Kind: api.HostActionWait} // nothing is issued to a page that left
		}
		for _, p := range planned.Save {
			if err := tx.SaveHostPromotion(ctx, p); err != nil {
				return err
			}
		}
		seen := map[string]bool{}
		for _, c := range planned.Confirm {
			if seen[c.Key] {
				continue
			}
			seen[c.Key] = true
			p, first, err := credit(ctx, tx, m.AccountID, m.ID, uuid, c.Key, now)
			if err != nil {
				return err
			}
			if first {
				confirmed = append(confirmed, p)
			}
		}
		if planned.Action.Kind == api.HostActionPromote {
			planned.Action.CallID = grant.NewID()
			page.InflightCall, page.InflightKey, page.InflightUntil = planned.Action.CallID, planned.Promote, now.Add(CallLease)
			page.LastCallAt = now
		}
		s.log().DebugContext(ctx, "host page synced", "meeting_id", l.MeetingID, "connection", req.Connection,
			"me_is_host", req.Me != nil && req.Me.IsHost, "instance_known", uuid != "", "roster", len(req.Roster),
			"ledger", len(ledger), "action", planned.Action.Kind, "notice", planned.Panel.Notice, "pending", planned.Panel.Counts.Pending,
			"cohosts", planned.Panel.Counts.CoHost, "skipped", planned.Panel.Counts.Skipped)
		resp.Action, resp.Panel, resp.SyncMS = planned.Action, planned.Panel, planned.NextMS
		if out {
			// The page is out of the meeting: its last result is in; it stops.
			resp.Action = api.HostAction{Kind: api.HostActionStop, Why: api.HostStopClosed}
		}
		return tx.SaveHostPage(ctx, page)
	})
	if err != nil {
		return api.HostSyncResponse{}, unavailable(err)
	}
	if called != "" {
		s.Metrics.CountHostClientCall(called)
	}
	for _, p := range confirmed {
		s.Metrics.CountGrant(GranterName, string(grant.StateConfirmed), "")
		if !p.JoinSeenAt.IsZero() {
			s.Metrics.ObserveTimeToCoHost(GranterName, "confirmed", p.ConfirmedAt.Sub(p.JoinSeenAt))
		}
		s.log().InfoContext(ctx, "co-host confirmed by the host page", "meeting_id", l.MeetingID, "meeting_uuid", p.MeetingUUID,
			"participant_key", p.Key, "granter", GranterName, "time_to_cohost_ms", p.ConfirmedAt.Sub(p.JoinSeenAt).Milliseconds())
	}
	if resp.Action.Kind == api.HostActionPromote {
		s.log().DebugContext(ctx, "host page asked to promote", "meeting_id", l.MeetingID, "sdk_user_id", resp.Action.UserID)
	}
	return resp, nil
}

// credit records that the host page made the participant key co-host. It
// reports whether this confirmed them (rather than naming who did it for a
// confirmation Zoom's webhook brought first).
func credit(ctx context.Context, tx store.Tx, accountID, meetingID, uuid, key string, now time.Time) (grant.Participant, bool, error) {
	p, err := tx.LockParticipant(ctx, accountID, meetingID, uuid, key)
	if err != nil {
		return p, false, err
	}
	switch {
	case p.State == grant.StateConfirmed && p.Granter != GranterName:
		// Zoom's role-change webhook came first and could not know who made
		// them co-host: the page did (also of someone an earlier granter had
		// given co-host abilities). That holds after they left, too.
		p.Granter = GranterName
		return p, false, tx.SaveParticipant(ctx, p)
	case p.State == grant.StateConfirmed, !p.Present():
		return p, false, nil
	}
	p = grant.ApplyOutcome(p, GranterName, grant.Outcome{State: grant.StateConfirmed}, now)
	return p, true, tx.SaveParticipant(ctx, p)
}

// lateResult records the result of the call in flight that a page sends
// once the meeting has ended, and clears the call. The ended instance's
// promotions were dropped with it (EndHostPage), so only the ledger learns
// of it.
func (s *Service) lateResult(ctx context.Context, tx store.Tx, page *store.HostPage, m grant.Meeting, req api.HostSyncRequest,
	now time.Time) ([]grant.Participant, string, error) {
	if page.InflightCall == "" || page.MeetingUUID == "" || req.Result == nil || req.Result.CallID != page.InflightCall {
		return nil, "", nil
	}
	key := page.InflightKey
	page.InflightCall, page.InflightKey, page.InflightUntil = "", "", time.Time{}
	v := judgeCall(*req.Result)
	if !v.done {
		return nil, v.label, nil
	}
	ledger, err := tx.InstanceParticipants(ctx, page.MeetingUUID)
	if err != nil {
		return nil, "", err
	}
	lp, ok := ledgerByKey(ledger, key)
	if !ok {
		return nil, v.label, nil
	}
	p, first, err := credit(ctx, tx, m.AccountID, m.ID, page.MeetingUUID, lp.Key, now)
	if err != nil || !first {
		return nil, v.label, err
	}
	return []grant.Participant{p}, v.label, nil
}

// ended reports whether the meeting the page runs is over: Zoom said so
// (meeting.ended, processed by finish_meeting) after this page load started.
func ended(m grant.Meeting, p store.HostPage) bool {
	if !p.EndedAt.IsZero() && !p.EndedAt.Before(p.ClaimedAt) {
		return true
	}
	return (m.Status == grant.MeetingEnded || m.Status == grant.MeetingDeleted) && m.EndedAt.After(p.ClaimedAt)
}

// promotionFor is the promotion of the call in flight.
func promotionFor(promos map[string]store.HostPromotion, page store.HostPage, m grant.Meeting) store.HostPromotion {
	if p, ok := promos[page.InflightKey]; ok {
		return p
	}
	return store.HostPromotion{MeetingUUID: m.UUID, MatchKey: page.InflightKey, AccountID: m.AccountID, MeetingID: m.ID}
}

func ledgerByKey(ledger []grant.Participant, matchKey string) (grant.Participant, bool) {
	for _, p := range ledger {
		if LedgerMatchKey(p) == matchKey {
			return p, true
		}
	}
	return grant.Participant{}, false
}

func appendUnique(list []store.HostPromotion, p store.HostPromotion) []store.HostPromotion {
	for i := range list {
		if list[i].MatchKey == p.MatchKey {
			list[i] = p
			return list
		}
	}
	return append(list, p)
}

// cleanSync bounds and validates what the page sent: every value comes from
// a browser.
func cleanSync(req api.HostSyncRequest) (api.HostSyncRequest, error) {
	bad := func(detail string) error {
		return &Error{Status: http.StatusBadRequest, Code: api.HostErrBadRequest, Detail: detail}
	}
	if len(req.SessionID) > 64 || cleanWord(req.SessionID, 64) != req.SessionID {
		return req, bad("session_id is malformed")
	}
	switch req.Connection {
	case api.HostConnJoining, api.HostConnConnected, api.HostConnReconnecting, api.HostConnClosed, api.HostConnFail,
		api.HostConnLeft, api.HostConnEnded:
	default:
		return req, bad("connection must be one of joining, Connected, Reconnecting, Closed, Fail, left, ended")
	}
	if len(req.Roster) > maxRoster {
		return req, bad("the roster has more than 1000 participants")
	}
	clean := func(e api.HostRosterEntry) api.HostRosterEntry {
		e.UserName = cleanText(e.UserName, 200)
		e.ParticipantUUID = cleanText(e.ParticipantUUID, 64)
		return e
	}
	for i := range req.Roster {
		req.Roster[i] = clean(req.Roster[i])
	}
	if req.Me != nil {
		me := clean(*req.Me)
		req.Me = &me
	}
	if req.Result != nil {
		if req.Result.CallID != cleanWord(req.Result.CallID, 64) {
			return req, bad("result.call_id is malformed")
		}
	}
	return req, nil
}

package granters

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/cohost-dev/cohost/failure"
	"github.com/cohost-dev/cohost/grant"
	"github.com/cohost-dev/cohost/store"
	"github.com/cohost-dev/cohost/zoomclient"
)

// Permissions is the "permissions" granter: it gives every joiner the
// abilities of a co-host that Zoom lets a host hand to all participants,
// through the host's user settings and the meeting's settings (the profile:
// PermissionProfile). Nobody's role changes.
//
// Before it changes the host's user settings it stores their current values
// (the fields it changes, nothing else) in host_settings; meetings of the
// host that overlap share that one snapshot, which is written back when the
// last of them ends. A setting that does not take (locked by the account
// admin) is reported per setting in PrepareDetail and a log line.
type Permissions struct {
	Zoom   *zoomclient.Client
	Store  *store.Store
	Logger *slog.Logger
	// Lease is how long one worker's claim to snapshot or restore a host's
	// settings holds before another worker presumes it dead and takes over.
	// It must outlast a Zoom call with its retries. Default 2 min.
	Lease time.Duration
	// Now is the clock; default time.Now.
	Now func() time.Time

	mu      sync.Mutex
	details map[string]string // account/meeting → PrepareDetail
}

// NewPermissions returns the permissions granter.
func NewPermissions(zc *zoomclient.Client, st *store.Store, logger *slog.Logger) *Permissions {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Permissions{Zoom: zc, Store: st, Logger: logger}
}

var _ grant.Granter = (*Permissions)(nil)

// Name implements grant.Granter.
func (g *Permissions) Name() string { return "permissions" }

func (g *Permissions) now() time.Time {
	if g.Now != nil {
		return g.Now()
	}
	return time.Now()
}

func (g *Permissions) lease() time.Duration {
	if g.Lease > 0 {
		return g.Lease
	}
	return 2 * time.Minute
}

func (g *Permissions) log() *slog.Logger {
	if g.Logger != nil {
		return g.Logger
	}
	return slog.New(slog.DiscardHandler)
}

// maxPrepareDetails bounds the details kept in memory for PrepareDetail.
const maxPrepareDetails = 10000

func (g *Permissions) setDetail(m grant.Meeting, d string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.details == nil || len(g.details) >= maxPrepareDetails {
		g.details = map[string]string{}
	}
	g.details[m.AccountID+"/"+m.ID] = d
}

func (g *Permissions) dropDetail(m grant.Meeting) {
	g.mu.Lock()
	defer g.mu.Unlock()
	delete(g.details, m.AccountID+"/"+m.ID)
}

// PrepareDetail is what the last Prepare of the meeting did, e.g. "applied 12
// of 14; locked by the account admin: in_meeting.annotation,
// recording.local_recording". The engine stores it as the meeting's granter
// detail.
func (g *Permissions) PrepareDetail(m grant.Meeting) string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.details[m.AccountID+"/"+m.ID]
}

// Prepare applies the profile for the meeting: snapshot the host's user
// settings if no meeting of the host holds them yet, PATCH the host's user
// settings and the meeting's settings, read both back and record what did
// not take. It does nothing more for a meeting already prepared.
func (g *Permissions) Prepare(ctx context.Context, m grant.Meeting) error {
	zc := zoomFor(g.Zoom, m.AccountID)
	number, err := meetingNumber(m.ID)
	if err != nil {
		return err
	}
	hostID := m.HostID
	var zm *zoomclient.Meeting
	if hostID == "" {
		if zm, _, err = zc.Meetings.Get(ctx, number); err != nil {
			return failure.Zoom("reading meeting "+m.ID, err)
		}
		hostID = zm.HostID
		if hostID == "" {
			return &grant.Error{Code: grant.EREJECTED, Reason: grant.ReasonZoomRejected, Message: "Zoom did not name the host of meeting " + m.ID}
		}
	}

	var (
		snapshot string
		current  map[string]any // the host's user settings read for the snapshot
	)
	for attempt := 0; snapshot == ""; attempt++ {
		if attempt == 3 {
			return &grant.Error{Code: grant.EUNAVAILABLE, Reason: grant.ReasonTimeout, Message: "host settings of " + hostID + " keep changing hands", RetryAfter: time.Second}
		}
		claim, err := g.Store.ClaimHostSettings(ctx, m.AccountID, hostID, m.ID, g.now(), g.lease())
		if err != nil {
			return failure.Store(err)
		}
		switch claim.Step {
		case store.HostSettingsWait:
			// A snapshot or restore takes a few Zoom calls; the lease end
			// (RetryAt) only matters if its worker died.
			wait := min(max(claim.RetryAt.Sub(g.now()), 100*time.Millisecond), time.Second)
			return &grant.Error{Code: grant.EUNAVAILABLE, Reason: grant.ReasonTimeout, RetryAfter: wait,
				Message: "another worker is snapshotting or restoring the settings of host " + hostID}
		case store.HostSettingsApply:
			if claim.Applied {
				g.setDetail(m, claim.Detail)
				return nil
			}
			snapshot = claim.Snapshot
		case store.HostSettingsTakeSnapshot:
			cur, err := readUserSettings(ctx, zc, hostID)
			if err != nil {
				_ = g.Store.AbandonHostSnapshot(context.WithoutCancel(ctx), m.AccountID, hostID, claim.Token)
				return failure.Zoom("reading the settings of host "+hostID, err)
			}
			snap := snapshotOf(cur)
			ok, err := g.Store.SaveHostSnapshot(ctx, m.AccountID, hostID, claim.Token, snap, g.now())
			if err != nil {
				return failure.Store(err)
			}
			if ok {
				snapshot, current = snap, cur
				g.log().InfoContext(ctx, "host settings snapshotted", "account_id", m.AccountID, "host_id", hostID, "meeting_id", m.ID)
			}
		}
	}

	rep, err := g.apply(ctx, zc, m, hostID, number, snapshot, current, zm)
	if err != nil {
		return err
	}
	detail := rep.String()
	ok, err := g.Store.MarkHostMeetingApplied(ctx, m.AccountID, hostID, m.ID, detail)
	if err != nil {
		return failure.Store(err)
	}
	if !ok {
		// Finish ran while we applied (a late Prepare of an ended meeting),
		// and its restore may have landed before our PATCH. Unless another
		// live meeting of the host holds the settings, write the snapshot
		// back again.
		g.log().WarnContext(ctx, "meeting finished while its permissions were applied", "account_id", m.AccountID,
			"host_id", hostID, "meeting_id", m.ID)
		h, err := g.Store.GetHostSettings(ctx, m.AccountID, hostID)
		if errors.Is(err, store.ErrNotFound) || err == nil && h.Restoring {
			want, _ := decodeSnapshot(snapshot)
			if _, _, err := applyValues(ctx, userTarget(zc, hostID), nil, want); err != nil {
				return err
			}
		}
		return nil
	}
	g.setDetail(m, detail)
	attrs := []any{"account_id", m.AccountID, "host_id", hostID, "meeting_id", m.ID, "applied", rep.held, "of", rep.total}
	if len(rep.locked)+len(rep.refused)+len(rep.unknown) > 0 {
		g.log().WarnContext(ctx, "permission settings did not all take", append(attrs,
			"locked_by_admin", strings.Join(rep.locked, ","), "refused", strings.Join(rep.refused, "; "),
			"not_reported", strings.Join(rep.unknown, ","))...)
	} else {
		g.log().InfoContext(ctx, "permissions applied", attrs...)
	}
	return nil
}

// Grant gives nothing per participant: the meeting's settings already give
// everyone the profile's abilities. It prepares the meeting first when the
// joiner came before the preparation.
func (g *Permissions) Grant(ctx context.Context, m grant.Meeting, p grant.Participant) (grant.Outcome, error) {
	hm, err := g.Store.FindHostMeeting(ctx, m.AccountID, m.ID)
	switch {
	case err == nil && hm.Applied && !hm.Released:
	case err != nil && !errors.Is(err, store.ErrNotFound):
		return grant.Outcome{}, failure.Store(err)
	default:
		if err := g.Prepare(ctx, m); err != nil {
			return grant.Outcome{}, err
		}
	}
	return grant.Outcome{State: grant.StateGranted}, nil
}

// Finish takes the meeting off its host's settings row; when it was the
// host's last live meeting, it writes the snapshot back and deletes the row.
func (g *Permissions) Finish(ctx context.Context, m grant.Meeting) error {
	defer g.dropDetail(m)
	hostID := m.HostID
	if hostID == "" {
		hm, err := g.Store.FindHostMeeting(ctx, m.AccountID, m.ID)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil {
			return failure.Store(err)
		}
		hostID = hm.HostID
	}
	rel, err := g.Store.ReleaseHostMeeting(ctx, m.AccountID, hostID, m.ID, g.now())
	if err != nil {
		return failure.Store(err)
	}
	if !rel.Restore {
		return nil
	}
	want, err := decodeSnapshot(rel.Snapshot)
	if err != nil {
		return &grant.Error{Code: grant.EINVALID, Reason: grant.ReasonStoredDataInvalid, Message: "host settings snapshot of " + hostID + " is unreadable", Err: err}
	}
	zc := zoomFor(g.Zoom, m.AccountID)
	target := userTarget(zc, hostID)
	// Write every snapshotted field back (current = nil), whatever it is now.
	refused, _, err := applyValues(ctx, target, nil, want)
	if err != nil {
		return err
	}
	after, err := target.read(ctx)
	if err != nil {
		return failure.Zoom("reading the settings of host "+hostID, err)
	}
	var differ []string
	for _, w := range want {
		if v, ok := lookupPath(after, w.Path); !ok || !sameJSONValue(v, w.Value) {
			differ = append(differ, w.Path)
		}
	}
	if _, err := g.Store.CompleteHostRestore(ctx, m.AccountID, hostID, rel.Token); err != nil {
		return failure.Store(err)
	}
	attrs := []any{"account_id", m.AccountID, "host_id", hostID, "meeting_id", m.ID, "settings", len(want)}
	if len(differ) > 0 || len(refused) > 0 {
		g.log().WarnContext(ctx, "host settings restored, some not to their earlier value", append(attrs,
			"not_restored", strings.Join(differ, ","), "refused", joinRefused(refused))...)
	} else {
		g.log().InfoContext(ctx, "host settings restored", attrs...)
	}
	return nil
}

// apply PATCHes the profile's user settings (those the snapshot can restore)
// and meeting settings where they differ, then reads both back.
func (g *Permissions) apply(ctx context.Context, zc *zoomclient.Client, m grant.Meeting, hostID string, number int64,
	snapshot string, current map[string]any, zm *zoomclient.Meeting) (profileReport, error) {
	restorable, err := decodeSnapshot(snapshot)
	if err != nil {
		return profileReport{}, &grant.Error{Code: grant.EINVALID, Reason: grant.ReasonStoredDataInvalid, Message: "host settings snapshot of " + hostID + " is unreadable", Err: err}
	}
	inSnapshot := map[string]bool{}
	for _, v := range restorable {
		inSnapshot[v.Path] = true
	}
	var userWant, meetingWant []pathValue
	skipped := map[string]bool{}
	for _, s := range permissionProfile {
		switch {
		case s.Scope == ScopeMeeting:
			meetingWant = append(meetingWant, pathValue{s.Path, s.Value})
		case inSnapshot[s.Path]:
			userWant = append(userWant, pathValue{s.Path, s.Value})
		default:
			// Zoom did not report the field when the snapshot was taken: it
			// could not be restored, so it is not changed.
			skipped[s.Path] = true
		}
	}

	ut := userTarget(zc, hostID)
	if current == nil {
		if current, err = ut.read(ctx); err != nil {
			return profileReport{}, failure.Zoom("reading the settings of host "+hostID, err)
		}
	}
	refused, patched, err := applyValues(ctx, ut, current, userWant)
	if err != nil {
		return profileReport{}, err
	}
	userAfter := current
	if patched || len(refused) > 0 {
		if userAfter, err = ut.read(ctx); err != nil {
			return profileReport{}, failure.Zoom("reading the settings of host "+hostID, err)
		}
	}

	mt := meetingTarget(zc, number, func(ctx context.Context) {
		if err := g.Store.RecordMeetingUpdate(ctx, m.AccountID, m.ID, g.now()); err != nil {
			g.log().WarnContext(ctx, "counting a meeting update failed", "meeting_id", m.ID, "error", err.Error())
		}
	})
	var meetingNow map[string]any
	if zm != nil {
		meetingNow, err = toJSONObject(zm)
	} else {
		meetingNow, err = mt.read(ctx)
	}
	if err != nil {
		return profileReport{}, failure.Zoom("reading meeting "+m.ID, err)
	}
	mRefused, mPatched, err := applyValues(ctx, mt, meetingNow, meetingWant)
	if err != nil {
		return profileReport{}, err
	}
	for k, v := range mRefused {
		refused[k] = v
	}
	meetingAfter := meetingNow
	if mPatched || len(mRefused) > 0 {
		if meetingAfter, err = mt.read(ctx); err != nil {
			return profileReport{}, failure.Zoom("reading meeting "+m.ID, err)
		}
	}

	rep := profileReport{total: len(permissionProfile)}
	for _, s := range permissionProfile {
		after := userAfter
		if s.Scope == ScopeMeeting {
			after = meetingAfter
		}
		v, reported := lookupPath(after, s.Path)
		switch msg, wasRefused := refused[s.Path]; {
		case reported && sameJSONValue(v, s.Value):
			rep.held++
		case skipped[s.Path] || !reported:
			rep.unknown = append(rep.unknown, s.Path)
		case wasRefused && !isLockMessage(msg):
			rep.refused = append(rep.refused, s.Path+" ("+msg+")")
		default:
			// Accepted and not applied, or refused as locked: the account
			// (or group) admin locked it.
			rep.locked = append(rep.locked, s.Path)
		}
	}
	return rep, nil
}

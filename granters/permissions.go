package granters

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cohost-dev/cohost/grant"
	"github.com/cohost-dev/cohost/store"
	"github.com/cohost-dev/cohost/zoomclient"
)

// SettingScope says which Zoom object a profile setting belongs to.
type SettingScope string

const (
	// ScopeUser settings are the host's user settings (PATCH
	// /users/{userId}/settings). They reach every meeting the host runs, so
	// cohost snapshots them before and restores them after.
	ScopeUser SettingScope = "user"
	// ScopeMeeting settings belong to the one meeting (PATCH
	// /meetings/{meetingId}, settings.*).
	ScopeMeeting SettingScope = "meeting"
)

// ProfileSetting is one Zoom setting of the permission profile.
type ProfileSetting struct {
	Scope SettingScope
	// Path is the field in the body of the scope's PATCH: "in_meeting.annotation"
	// for PATCH /users/{userId}/settings, "settings.waiting_room" for PATCH
	// /meetings/{meetingId}. Every path is a field of zoomclient's types, which
	// follow Zoom's documented request bodies (a test decodes each one strictly).
	Path string
	// Value is what cohost sets, in its JSON type.
	Value any
	// Gives is what the setting gives the people who join.
	Gives string
}

// permissionProfile is the data behind PermissionProfile and
// docs/permissions.md. Zoom has no REST field that lets participants unmute
// themselves (that is an in-meeting host control, on by default); the
// meeting fields allow_host_control_participant_mute_state and
// request_permission_to_unmute_participants are about the host unmuting
// others, so the profile leaves them alone.
var permissionProfile = []ProfileSetting{
	{ScopeUser, "in_meeting.screen_sharing", true, "screen sharing is available in the meeting"},
	{ScopeUser, "in_meeting.who_can_share_screen", zoomclient.ShareAll, "every participant can share their screen, not only the host"},
	{ScopeUser, "in_meeting.who_can_share_screen_when_someone_is_sharing", zoomclient.ShareAll, "every participant can start sharing while someone else shares"},
	{ScopeUser, "in_meeting.participants_share_simultaneously", "multiple", "several participants can share at the same time"},
	{ScopeUser, "in_meeting.annotation", true, "participants can annotate shared screens"},
	{ScopeUser, "in_meeting.whiteboard", true, "participants can share a whiteboard"},
	{ScopeUser, "in_meeting.chat", true, "participants can send chat messages to everyone"},
	{ScopeUser, "in_meeting.allow_participants_chat_with", 4, "participants can chat with everyone, publicly and privately (Zoom clients 5.7.3 and later)"},
	{ScopeUser, "in_meeting.private_chat", true, "participants can send private 1:1 messages"},
	{ScopeUser, "recording.local_recording", true, "local recording is available; the host still gives each participant permission to record, in the meeting"},
	{ScopeMeeting, "settings.waiting_room", false, "joiners go straight into the meeting, no waiting room"},
	{ScopeMeeting, "settings.join_before_host", true, "joiners can enter before the host"},
	{ScopeMeeting, "settings.jbh_time", 0, "with join before host, joiners can enter at any time before the start"},
	{ScopeMeeting, "settings.mute_upon_entry", false, "joiners enter unmuted"},
}

// PermissionProfile returns the settings the permissions granter sets, in
// the order it reports them. The slice is a copy.
func PermissionProfile() []ProfileSetting {
	return append([]ProfileSetting(nil), permissionProfile...)
}

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
			return zoomFailure("reading meeting "+m.ID, err)
		}
		hostID = zm.HostID
		if hostID == "" {
			return grant.Errorf(grant.EREJECTED, "Zoom did not name the host of meeting %s", m.ID)
		}
	}

	var (
		snapshot string
		current  map[string]any // the host's user settings read for the snapshot
	)
	for attempt := 0; snapshot == ""; attempt++ {
		if attempt == 3 {
			return &grant.Error{Code: grant.EUNAVAILABLE, Message: "host settings of " + hostID + " keep changing hands", RetryAfter: time.Second}
		}
		claim, err := g.Store.ClaimHostSettings(ctx, m.AccountID, hostID, m.ID, g.now(), g.lease())
		if err != nil {
			return storeFailure(err)
		}
		switch claim.Step {
		case store.HostSettingsWait:
			// A snapshot or restore takes a few Zoom calls; the lease end
			// (RetryAt) only matters if its worker died.
			wait := min(max(claim.RetryAt.Sub(g.now()), 100*time.Millisecond), time.Second)
			return &grant.Error{Code: grant.EUNAVAILABLE, RetryAfter: wait,
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
				return zoomFailure("reading the settings of host "+hostID, err)
			}
			snap := snapshotOf(cur)
			ok, err := g.Store.SaveHostSnapshot(ctx, m.AccountID, hostID, claim.Token, snap, g.now())
			if err != nil {
				return storeFailure(err)
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
		return storeFailure(err)
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
		return grant.Outcome{}, storeFailure(err)
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
			return storeFailure(err)
		}
		hostID = hm.HostID
	}
	rel, err := g.Store.ReleaseHostMeeting(ctx, m.AccountID, hostID, m.ID, g.now())
	if err != nil {
		return storeFailure(err)
	}
	if !rel.Restore {
		return nil
	}
	want, err := decodeSnapshot(rel.Snapshot)
	if err != nil {
		return &grant.Error{Code: grant.EINTERNAL, Message: "host settings snapshot of " + hostID + " is unreadable", Err: err}
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
		return zoomFailure("reading the settings of host "+hostID, err)
	}
	var differ []string
	for _, w := range want {
		if v, ok := lookupPath(after, w.Path); !ok || !sameJSONValue(v, w.Value) {
			differ = append(differ, w.Path)
		}
	}
	if _, err := g.Store.CompleteHostRestore(ctx, m.AccountID, hostID, rel.Token); err != nil {
		return storeFailure(err)
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
		return profileReport{}, &grant.Error{Code: grant.EINTERNAL, Message: "host settings snapshot of " + hostID + " is unreadable", Err: err}
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
			return profileReport{}, zoomFailure("reading the settings of host "+hostID, err)
		}
	}
	refused, patched, err := applyValues(ctx, ut, current, userWant)
	if err != nil {
		return profileReport{}, err
	}
	userAfter := current
	if patched || len(refused) > 0 {
		if userAfter, err = ut.read(ctx); err != nil {
			return profileReport{}, zoomFailure("reading the settings of host "+hostID, err)
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
		return profileReport{}, zoomFailure("reading meeting "+m.ID, err)
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
			return profileReport{}, zoomFailure("reading meeting "+m.ID, err)
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

// profileReport is what a Prepare achieved, per setting.
type profileReport struct {
	total, held int
	locked      []string // did not take: locked by the account admin
	refused     []string // Zoom refused the PATCH of it for another reason
	unknown     []string // Zoom did not report the setting
}

// String is the granter detail: "applied 12 of 14; locked by the account
// admin: in_meeting.annotation, recording.local_recording".
func (r profileReport) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "applied %d of %d", r.held, r.total)
	if len(r.locked) > 0 {
		b.WriteString("; locked by the account admin: " + strings.Join(r.locked, ", "))
	}
	if len(r.refused) > 0 {
		b.WriteString("; refused by Zoom: " + strings.Join(r.refused, ", "))
	}
	if len(r.unknown) > 0 {
		b.WriteString("; not reported by Zoom, left alone: " + strings.Join(r.unknown, ", "))
	}
	return b.String()
}

// isLockMessage recognises Zoom's refusal of a setting locked by the admin.
// Zoom documents no error for it; the simulator's reject mode, and the wording
// of Zoom's lock settings pages, say "locked".
func isLockMessage(msg string) bool { return strings.Contains(strings.ToLower(msg), "lock") }

// pathValue is one setting to write: a dotted path and its value.
type pathValue struct {
	Path  string
	Value any
}

// settingsTarget is a Zoom object whose settings are PATCHed and read back.
type settingsTarget struct {
	what  string // "changing the settings of host X", for error messages
	read  func(ctx context.Context) (map[string]any, error)
	patch func(ctx context.Context, values []pathValue) error
}

func userTarget(zc *zoomclient.Client, hostID string) settingsTarget {
	return settingsTarget{
		what: "changing the settings of host " + hostID,
		read: func(ctx context.Context) (map[string]any, error) { return readUserSettings(ctx, zc, hostID) },
		patch: func(ctx context.Context, values []pathValue) error {
			body := new(zoomclient.UserSettings)
			if err := decodeValues(values, body); err != nil {
				return err
			}
			_, err := zc.Users.UpdateSettings(ctx, hostID, body)
			return err
		},
	}
}

func meetingTarget(zc *zoomclient.Client, number int64, counted func(context.Context)) settingsTarget {
	id := strconv.FormatInt(number, 10)
	return settingsTarget{
		what: "changing the settings of meeting " + id,
		read: func(ctx context.Context) (map[string]any, error) {
			zm, _, err := zc.Meetings.Get(ctx, number)
			if err != nil {
				return nil, err
			}
			return toJSONObject(zm)
		},
		patch: func(ctx context.Context, values []pathValue) error {
			body := new(zoomclient.MeetingUpdate)
			if err := decodeValues(values, body); err != nil {
				return err
			}
			_, err := zc.Meetings.Update(ctx, number, body)
			var rl *zoomclient.RateLimitError
			if errors.As(err, &rl) && rl.Type == "Daily-limit" {
				// Waiting until tomorrow helps nobody in today's meeting:
				// report the settings as refused instead.
				return settingRefusal("Zoom's daily limit of updates of this meeting is reached")
			}
			if err == nil {
				counted(ctx)
			}
			return err
		},
	}
}

func readUserSettings(ctx context.Context, zc *zoomclient.Client, hostID string) (map[string]any, error) {
	st, _, err := zc.Users.GetSettings(ctx, hostID)
	if err != nil {
		return nil, err
	}
	return toJSONObject(st)
}

// settingRefusal is a refusal of a whole PATCH that trying field by field
// would not change.
type settingRefusal string

func (r settingRefusal) Error() string { return string(r) }

// applyValues PATCHes the values that differ from current (all of them when
// current is nil) in one request. When Zoom refuses a request of several
// fields with 400 — what it answers when an admin-locked field is in it, if
// it does not ignore it — each field is sent alone, to apply the others and
// learn which are refused. refused maps a path to Zoom's message; err is a
// failure that retrying may cure (rate limit, 5xx, network) or a refusal of
// the whole object (404, 401, 403).
func applyValues(ctx context.Context, t settingsTarget, current map[string]any, want []pathValue) (refused map[string]string, patched bool, err error) {
	refused = map[string]string{}
	var diff []pathValue
	for _, w := range want {
		if current != nil {
			if v, ok := lookupPath(current, w.Path); ok && sameJSONValue(v, w.Value) {
				continue
			}
		}
		diff = append(diff, w)
	}
	if len(diff) == 0 {
		return refused, false, nil
	}
	err = t.patch(ctx, diff)
	if err == nil {
		return refused, true, nil
	}
	if r, ok := errors.AsType[settingRefusal](err); ok {
		for _, d := range diff {
			refused[d.Path] = string(r)
		}
		return refused, false, nil
	}
	if msg, ok := fieldRefusal(err); !ok {
		return refused, false, zoomFailure(t.what, err)
	} else if len(diff) == 1 {
		refused[diff[0].Path] = msg
		return refused, false, nil
	}
	for _, d := range diff {
		err := t.patch(ctx, []pathValue{d})
		if err == nil {
			patched = true
			continue
		}
		if r, ok := errors.AsType[settingRefusal](err); ok {
			refused[d.Path] = string(r)
			continue
		}
		msg, ok := fieldRefusal(err)
		if !ok {
			return refused, patched, zoomFailure(t.what, err)
		}
		refused[d.Path] = msg
	}
	return refused, patched, nil
}

// fieldRefusal reports whether err is Zoom refusing the request's content
// (400), with Zoom's message.
func fieldRefusal(err error) (string, bool) {
	var api *zoomclient.APIError
	if !errors.As(err, &api) || api.Status != http.StatusBadRequest {
		return "", false
	}
	msg := api.Message
	if msg == "" {
		msg = fmt.Sprintf("400, code %d", api.Code)
	}
	return msg, true
}

func joinRefused(m map[string]string) string {
	var out []string
	for k, v := range m {
		out = append(out, k+" ("+v+")")
	}
	sort.Strings(out)
	return strings.Join(out, "; ")
}

// snapshotOf keeps, of the host's current user settings, the fields the
// profile changes, as a JSON object path → value.
func snapshotOf(current map[string]any) string {
	snap := map[string]any{}
	for _, s := range permissionProfile {
		if s.Scope != ScopeUser {
			continue
		}
		if v, ok := lookupPath(current, s.Path); ok {
			snap[s.Path] = v
		}
	}
	b, _ := json.Marshal(snap)
	return string(b)
}

// decodeSnapshot returns a snapshot's fields in the profile's order.
func decodeSnapshot(s string) ([]pathValue, error) {
	var snap map[string]any
	if err := json.Unmarshal([]byte(s), &snap); err != nil {
		return nil, err
	}
	var out []pathValue
	seen := map[string]bool{}
	for _, p := range permissionProfile {
		if v, ok := snap[p.Path]; ok {
			out = append(out, pathValue{p.Path, v})
			seen[p.Path] = true
		}
	}
	var rest []string
	for k := range snap {
		if !seen[k] {
			rest = append(rest, k)
		}
	}
	sort.Strings(rest)
	for _, k := range rest {
		out = append(out, pathValue{k, snap[k]})
	}
	return out, nil
}

// decodeValues builds a request body from dotted paths and decodes it into
// dst strictly, so that a path zoomclient does not model (and so Zoom does
// not document) is an error, never a silently dropped field.
func decodeValues(values []pathValue, dst any) error {
	body := map[string]any{}
	for _, v := range values {
		node := body
		parts := strings.Split(v.Path, ".")
		for _, p := range parts[:len(parts)-1] {
			next, ok := node[p].(map[string]any)
			if !ok {
				next = map[string]any{}
				node[p] = next
			}
			node = next
		}
		node[parts[len(parts)-1]] = v.Value
	}
	raw, err := json.Marshal(body)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return &grant.Error{Code: grant.EINTERNAL, Message: "a setting is not a documented Zoom field", Err: err}
	}
	return nil
}

// jsonMap turns a zoomclient value into its JSON object.
func toJSONObject(v any) (map[string]any, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	out := map[string]any{}
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// lookupPath finds a dotted path in a JSON object.
func lookupPath(m map[string]any, path string) (any, bool) {
	var cur any = m
	for _, p := range strings.Split(path, ".") {
		obj, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = obj[p]; !ok || cur == nil {
			return nil, false
		}
	}
	return cur, true
}

// sameJSON compares two values as JSON (4 equals 4.0).
func sameJSONValue(a, b any) bool {
	ja, err1 := json.Marshal(a)
	jb, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && bytes.Equal(ja, jb)
}

// zoomFor returns the client acting for the meeting's account.
func zoomFor(zc *zoomclient.Client, accountID string) *zoomclient.Client {
	if accountID == "" || accountID == zc.AccountID() {
		return zc
	}
	return zc.Account(accountID)
}

func meetingNumber(id string) (int64, error) {
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil || n <= 0 {
		return 0, grant.Errorf(grant.EINVALID, "meeting id %q is not a Zoom meeting number", id)
	}
	return n, nil
}

func storeFailure(err error) error {
	return &grant.Error{Code: grant.EUNAVAILABLE, Message: "database", Err: err}
}

package granters

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

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

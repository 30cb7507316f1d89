package granters

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/cohost-dev/cohost/failure"
	"github.com/cohost-dev/cohost/zoomclient"
)

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
		return refused, false, failure.Zoom(t.what, err)
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
			return refused, patched, failure.Zoom(t.what, err)
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

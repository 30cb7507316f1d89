package hostclient_test

import (
	"context"
	"encoding/json"
	"strconv"
	"testing"
	"time"

	"github.com/cohost-dev/cohost/api"
	"github.com/cohost-dev/cohost/grant"
	"github.com/cohost-dev/cohost/store"
)

// BenchmarkSyncCrowd is one sync of a page that runs a meeting of 300
// joiners, as a storm drains: the ledger and the roster of 300, one call's
// result, the next call, the panel. The yardstick is the JSON round trip of
// the same bodies alone (what any handler of this protocol pays), run in the
// same process: read the sync as a ratio to it.
func BenchmarkSyncCrowd(b *testing.B) {
	for _, engine := range []string{"sqlite"} {
		b.Run(engine, func(b *testing.B) {
			e := newEnv(&testing.T{}, engine)
			ctx := context.Background()
			link, start := e.liveMeeting(&testing.T{}, 0)
			const n = 300
			roster := make([]api.HostRosterEntry, 0, n)
			err := e.st.InTx(ctx, func(tx store.Tx) error {
				for i := range n {
					k := "P-" + strconv.Itoa(i)
					p, err := tx.LockParticipant(ctx, link.AccountID, link.MeetingID, "inst-1", k)
					if err != nil {
						return err
					}
					p, _ = grant.ApplyJoin(p, grant.Join{At: e.clock().Add(time.Duration(i) * time.Millisecond), SeenAt: e.clock(),
						UserID: strconv.Itoa(1000 + i), Name: "Joiner " + strconv.Itoa(i)})
					if err := tx.SaveParticipant(ctx, p); err != nil {
						return err
					}
					roster = append(roster, api.HostRosterEntry{UserID: int64(1000 + i), ParticipantUUID: k, UserName: "Joiner " + strconv.Itoa(i)})
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
			var result *api.HostCallResult
			req := func() api.HostSyncRequest {
				return api.HostSyncRequest{SessionID: start.SessionID, Connection: api.HostConnConnected, Me: &hostMe,
					Roster: append([]api.HostRosterEntry{hostMe}, roster...), Result: result}
			}
			b.Run("sync", func(b *testing.B) {
				for b.Loop() {
					e.advance(time.Second)
					resp, err := e.svc.Sync(ctx, link, req())
					if err != nil {
						b.Fatal(err)
					}
					result = nil
					if resp.Action.Kind == api.HostActionPromote {
						result = &api.HostCallResult{CallID: resp.Action.CallID, OK: true}
						for i := range roster {
							if roster[i].UserID == resp.Action.UserID {
								roster[i].IsCoHost = true
							}
						}
					}
				}
			})
			b.Run("yardstick-json", func(b *testing.B) {
				resp, _ := e.svc.Sync(ctx, link, req())
				for b.Loop() {
					raw, _ := json.Marshal(req())
					var back api.HostSyncRequest
					_ = json.Unmarshal(raw, &back)
					out, _ := json.Marshal(resp)
					var r api.HostSyncResponse
					_ = json.Unmarshal(out, &r)
				}
			})
		})
	}
}

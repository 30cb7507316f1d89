package harness_test

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cohost-dev/cohost/api"
	"github.com/cohost-dev/cohost/handlers"
	"github.com/cohost-dev/cohost/harness"
	"github.com/cohost-dev/cohost/hostclient"
	"github.com/cohost-dev/cohost/internal/testdb"
	"github.com/cohost-dev/cohost/store"
	"github.com/cohost-dev/cohost/zoomsim"
)

const meetingIDAdminSecret = "meeting-id-e2e-admin-secret-0123456789abcdef"

type e2eReply struct {
	status int
	body   []byte
}

func (r e2eReply) code(t *testing.T) string {
	t.Helper()
	var e api.ErrorResponse
	_ = json.Unmarshal(r.body, &e)
	return e.Error
}

func e2eDo(t *testing.T, method, url, bearer string) e2eReply {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return e2eReply{res.StatusCode, b}
}

// One meeting, one id, end to end (cohostd and the Zoom simulator over real
// HTTP, on both engines). Zoom reads "00" + the meeting's number as the same
// meeting; a link minted or used under that form would escape the
// revocation of the number (issue: a link for 0087991488412 survived
// DELETE /v1/meetings/87991488412/host-link, still started the meeting with
// the host's ZAK, and made a phantom ledger meeting). Now:
//   - the zero-padded id cannot be minted (admin API), nor start a page,
//     nor reach the ledger through a webhook;
//   - a link stored under it by an older build cannot be used, under either
//     form of the id;
//   - revoking the number ends every link of the meeting.
func TestZeroPaddedMeetingIDCannotEscapeRevocation(t *testing.T) {
	for _, engine := range testdb.Engines {
		t.Run(engine, func(t *testing.T) {
			h := start(t, engine, harness.Options{Granters: "host-client,permissions",
				Env: map[string]string{"COHOST_ADMIN_SECRET": meetingIDAdminSecret}})
			ctx := context.Background()
			sim := h.Sim.Sim
			m, err := sim.CreateMeeting(zoomsim.MeetingSpec{HostID: h.Host.ID, Topic: "Board"})
			if err != nil {
				t.Fatal(err)
			}
			id := strconv.FormatInt(m.ID, 10)
			padded := "00" + id
			admin, err := handlers.MintAdminToken([]byte(meetingIDAdminSecret), time.Hour, "e2e")
			if err != nil {
				t.Fatal(err)
			}
			base := h.PublicURL

			// 1. Minting under the zero-padded id is refused, and nothing is recorded.
			if r := e2eDo(t, "POST", base+"/v1/meetings/"+padded+"/host-link", admin); r.status != 400 || r.code(t) != api.AdminErrInvalidMeetingID {
				t.Fatalf("minting for %s: %d %s, want 400 %s", padded, r.status, r.body, api.AdminErrInvalidMeetingID)
			}
			// A webhook naming the meeting so is refused as malformed (Zoom sends none).
			secret := h.Sim.EnvMap(h.AccountID)["ZOOM_WEBHOOK_SECRET_TOKEN"]
			body := fmt.Sprintf(`{"event":"meeting.started","event_ts":%d,"payload":{"account_id":%q,"object":{"id":%q,"uuid":%q,"host_id":%q}}}`,
				time.Now().UnixMilli(), h.AccountID, padded, m.UUID, h.Host.ID)
			if st := webhookRequest(t, h.WebhookURL(), body, secret); st != 400 {
				t.Fatalf("a webhook for meeting %s answered %d, want 400", padded, st)
			}

			// 2. A link an older build stored under the zero-padded id.
			var raw [32]byte
			_, _ = rand.Read(raw[:])
			oldSecret := base64.RawURLEncoding.EncodeToString(raw[:])
			sum := sha256.Sum256([]byte(oldSecret))
			if err := h.Cohost.Store.CreateHostLink(ctx, hostclient.LinkRecord{TokenHash: hex.EncodeToString(sum[:]), AccountID: h.AccountID,
				MeetingID: padded, CreatedAt: time.Now(), ExpiresAt: time.Now().Add(time.Hour)}); err != nil {
				t.Fatal(err)
			}
			for _, tt := range []struct {
				name, method, path string
				status             int
			}{
				{"its page", "GET", "/host/" + padded, 400},
				{"start under its own id", "POST", api.HostAPIPrefix + "/meetings/" + padded + "/start", 400},
				{"sync under its own id", "POST", api.HostAPIPrefix + "/meetings/" + padded + "/sync", 400},
				{"start under the number", "POST", api.HostAPIPrefix + "/meetings/" + id + "/start", 403},
			} {
				if r := e2eDo(t, tt.method, base+tt.path, oldSecret); r.status != tt.status {
					t.Errorf("the old link, %s: %d %s, want %d", tt.name, r.status, r.body, tt.status)
				}
			}

			// 3. A link minted for the number works until the number is revoked.
			r := e2eDo(t, "POST", base+"/v1/meetings/"+id+"/host-link", admin)
			var l api.AdminHostLink
			if r.status != 201 || json.Unmarshal(r.body, &l) != nil {
				t.Fatalf("minting for %s: %d %s", id, r.status, r.body)
			}
			_, linkSecret, _ := strings.Cut(l.URL, "#")
			if r := e2eDo(t, "POST", base+api.HostAPIPrefix+"/meetings/"+id+"/start", linkSecret); r.status != 200 ||
				!strings.Contains(string(r.body), `"zak"`) {
				t.Fatalf("start with a good link: %d %.200s", r.status, r.body)
			}
			if r := e2eDo(t, "DELETE", base+"/v1/meetings/"+id+"/host-link", admin); r.status != 200 {
				t.Fatalf("revoking %s: %d %s", id, r.status, r.body)
			}
			if r := e2eDo(t, "POST", base+api.HostAPIPrefix+"/meetings/"+id+"/start", linkSecret); r.status != 401 || r.code(t) != api.HostErrLinkRevoked {
				t.Fatalf("start after the revocation: %d %s, want 401 %s", r.status, r.body, api.HostErrLinkRevoked)
			}
			// Under the zero-padded form the revoked link is refused too.
			if r := e2eDo(t, "POST", base+api.HostAPIPrefix+"/meetings/"+padded+"/start", linkSecret); r.status != 400 {
				t.Fatalf("start under %s after the revocation: %d %s", padded, r.status, r.body)
			}

			// No phantom meeting in the ledger.
			if _, err := h.Cohost.Store.FindMeeting(ctx, padded); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("the ledger has a meeting %s: %v", padded, err)
			}
			if r := e2eDo(t, "GET", base+"/v1/meetings/"+padded, admin); r.status != 400 {
				t.Fatalf("GET /v1/meetings/%s: %d", padded, r.status)
			}
		})
	}
}

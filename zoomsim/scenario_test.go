package zoomsim

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cohost-dev/cohost/api"
)

// miniCohost is a deliberately small stand-in for cohostd, written in this test only to drive
// the simulator end to end: it verifies each webhook, and for every joiner who is not the host it
// opens the agent session (host ZAK + SDK signature from the REST API) and asks for co-host,
// retrying 404/409/5xx.
type miniCohost struct {
	t      *testing.T
	srv    *Server
	secret string
	acct   string
	client *http.Client
	wg     sync.WaitGroup
	ctx    context.Context
}

func (c *miniCohost) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	if err := verifyZoomWebhook(c.secret, r.Header, body, time.Now()); err != nil {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	w.WriteHeader(http.StatusOK)
	var ev struct {
		Event   string `json:"event"`
		Payload struct {
			Object struct {
				ID          int64  `json:"id"`
				HostID      string `json:"host_id"`
				Participant struct {
					ParticipantUUID string `json:"participant_uuid"`
					UserID          string `json:"user_id"`
					ID              string `json:"id"`
					PhoneNumber     string `json:"phone_number"`
				} `json:"participant"`
			} `json:"object"`
		} `json:"payload"`
	}
	if json.Unmarshal(body, &ev) != nil || ev.Event != "meeting.participant_joined" {
		return
	}
	o := ev.Payload.Object
	if o.Participant.ID == o.HostID || o.Participant.PhoneNumber != "" {
		return // the host (and the agent, who joins as the host) and phones are not granted
	}
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		c.grant(o.ID, o.HostID, o.Participant.ParticipantUUID)
	}()
}

func (c *miniCohost) call(method, url, bearer string, body any) (int, []byte) {
	raw, _ := json.Marshal(body)
	req, _ := http.NewRequestWithContext(c.ctx, method, url, bytes.NewReader(raw))
	req.Header.Set("Authorization", "Bearer "+bearer)
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.client.Do(req)
	if err != nil {
		return 0, nil
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out
}

func (c *miniCohost) grant(meetingID int64, hostID, key string) {
	cfg := c.srv.Config()
	// S2S token, meeting, ZAK.
	form := url.Values{"grant_type": {"account_credentials"}, "account_id": {c.acct}}
	req, _ := http.NewRequestWithContext(c.ctx, "POST", c.srv.OAuthURL()+"/oauth/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(cfg.ClientID, cfg.ClientSecret)
	resp, err := c.client.Do(req)
	if err != nil {
		c.t.Errorf("token: %v", err)
		return
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()
	st, raw := c.call("GET", fmt.Sprintf("%s/meetings/%d", c.srv.APIURL(), meetingID), tok.AccessToken, nil)
	var m struct {
		Password string `json:"password"`
	}
	_ = json.Unmarshal(raw, &m)
	st2, raw2 := c.call("GET", c.srv.APIURL()+"/users/"+hostID+"/token?type=zak", tok.AccessToken, nil)
	if st != 200 || st2 != 200 {
		c.t.Errorf("meeting %d, zak %d", st, st2)
		return
	}
	var zak struct {
		Token string `json:"token"`
	}
	_ = json.Unmarshal(raw2, &zak)
	for attempt := 0; attempt < 200 && c.ctx.Err() == nil; attempt++ {
		st, _ := c.call("PUT", c.srv.AgentURL()+api.AgentCoHostPath(meetingID, key),
			agentJWT(c.t, cfg.AgentSecret, time.Now(), nil), api.AgentCoHostRequest{ParticipantUUID: key})
		switch st {
		case 200:
			return
		case 404: // no_session: open it, then retry
			c.call("PUT", c.srv.AgentURL()+api.AgentSessionPath(meetingID), agentJWT(c.t, cfg.AgentSecret, time.Now(), nil),
				api.AgentSessionRequest{
					MeetingNumber: fmt.Sprint(meetingID), Password: m.Password, ZAK: zak.Token, DisplayName: "cohost",
					Signature: sdkSignature(c.t, cfg.SDKKey, cfg.SDKSecret, meetingID, time.Now(), nil),
				})
		}
		time.Sleep(10 * time.Millisecond)
	}
	c.t.Errorf("participant %s never became co-host", key)
}

// TestScenarioEndToEnd drives the simulator through its Go API as a demo would: a host, a
// meeting, 20 joiners of every kind arriving concurrently, and waits until every eligible joiner is
// confirmed co-host.
func TestScenarioEndToEnd(t *testing.T) {
	ctx := waitCtx(t)
	srv, err := Start(Config{
		WebhookSecret: "e2e-secret", Seed: 7,
		// The stand-in makes two Light calls per joiner without client-side limiting.
		RateLimits: &RateLimits{Light: Limit{PerSecond: 1000}, Medium: Limit{PerSecond: 1000}},
		Agent:      AgentConfig{JoinDelay: 30 * time.Millisecond, VisibilityDelay: 20 * time.Millisecond, PromotionsPerSecond: 50},
	}, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Close(cctx); err != nil {
			t.Errorf("close: %v", err)
		}
	}()
	acct, host, err := srv.AddDefaultAccount("")
	if err != nil {
		t.Fatal(err)
	}
	env := srv.EnvMap(acct.ID)
	if env["ZOOM_API_URL"] != srv.URL+"/v2" || env["COHOST_AGENT_URL"] != srv.URL+"/agent" || env["ZOOM_WEBHOOK_SECRET_TOKEN"] != "e2e-secret" {
		t.Errorf("env %v", env)
	}
	mc := &miniCohost{t: t, srv: srv, secret: "e2e-secret", acct: acct.ID, client: &http.Client{Timeout: 5 * time.Second}, ctx: ctx}
	recv := httptest.NewServer(mc)
	defer recv.Close()
	srv.SetWebhook(recv.URL, "")

	member, _ := srv.CreateUser(acct.ID, UserSpec{Email: "member@example.com", FirstName: "Mo"})
	m, err := srv.CreateMeeting(MeetingSpec{HostID: host.ID, Topic: "All hands"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := srv.StartMeeting(m.ID); err != nil {
		t.Fatal(err)
	}
	specs := []JoinSpec{{ZoomUserID: host.ID}, {ZoomUserID: member.ID}, {PhoneNumber: "+15550100"}}
	for i := range 17 {
		specs = append(specs, JoinSpec{Name: fmt.Sprintf("Guest %d", i+1)})
	}
	var wg sync.WaitGroup
	for _, sp := range specs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := srv.Join(m.ID, sp); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	// 18 eligible: everyone but the host and the phone.
	l, err := srv.WaitFor(ctx, func(l Ledger) bool { return l.Counters().RoleChangedSent == 18 })
	if err != nil {
		t.Fatalf("co-hosts confirmed: %d of 18: %v", l.Counters().RoleChangedSent, err)
	}
	mc.wg.Wait()
	for _, p := range l.PromotionsIn(m.ID) {
		if p.TimeToCoHost() < 20*time.Millisecond {
			t.Errorf("%s promoted before the visibility delay: %v", p.UserName, p.TimeToCoHost())
		}
	}
	ps, _ := srv.Participants(m.ID)
	for _, p := range ps {
		want := RoleCoHost
		switch {
		case p.Agent || p.ZoomUserID == host.ID:
			want = RoleHost
		case p.PhoneOnly():
			want = RoleAttendee
		}
		if p.Role != want {
			t.Errorf("%s: role %s, want %s", p.Name, p.Role, want)
		}
	}
	if c := l.Counters(); c.Sessions != 1 || c.WebhooksFailed != 0 {
		t.Errorf("counters %+v", c)
	}
}

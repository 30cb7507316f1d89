package granters_test

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/cohost-dev/cohost/agentclient"
	"github.com/cohost-dev/cohost/grant"
	"github.com/cohost-dev/cohost/granters"
	"github.com/cohost-dev/cohost/zoomsim"
)

// agent is the agent granter against the simulator's co-host agent.
func (e *restEnv) agent(cfg zoomsim.Config) *granters.Agent {
	e.t.Helper()
	ac, err := agentclient.New(agentclient.Config{BaseURL: e.sim.AgentURL(e.simURL), Secret: []byte(cfg.AgentSecret)})
	if err != nil {
		e.t.Fatal(err)
	}
	return &granters.Agent{Client: ac, SDKKey: cfg.SDKKey, SDKSecret: cfg.SDKSecret, DisplayName: "cohost",
		Zoom: e.zc, Logger: e.log}
}

// liveMeeting creates and starts a meeting in the simulator and returns it,
// its running instance, and cohostd's copy of it.
func (e *restEnv) liveMeeting(t *testing.T) (zoomsim.Meeting, zoomsim.Meeting, grant.Meeting) {
	t.Helper()
	zm, err := e.sim.CreateMeeting(zoomsim.MeetingSpec{HostID: e.host.ID})
	if err != nil {
		t.Fatal(err)
	}
	started, err := e.sim.StartMeeting(zm.ID)
	if err != nil {
		t.Fatal(err)
	}
	return zm, started, grant.Meeting{AccountID: e.acct.ID, ID: strconv.FormatInt(zm.ID, 10), UUID: started.UUID,
		HostID: e.host.ID, Status: grant.MeetingStarted}
}

// TestAgentDoesNotRestartAnEndedMeeting: the host ends the meeting while
// cohostd's copy still says started (its meeting.ended is queued behind the
// preparation or the grant). The agent must not join: joining as host would
// start the meeting again. The call is retried instead, and then finds the
// meeting ended.
func TestAgentDoesNotRestartAnEndedMeeting(t *testing.T) {
	cfg := zoomsim.Config{AgentSecret: "agent-secret-for-the-test", SDKKey: "sdk-key", SDKSecret: "sdk-secret"}
	e := newRESTEnv(t, "sqlite", cfg)
	a := e.agent(cfg)
	ctx := context.Background()
	for _, step := range []string{"prepare", "grant"} {
		t.Run(step, func(t *testing.T) {
			zm, started, m := e.liveMeeting(t)
			p := grant.Participant{AccountID: m.AccountID, MeetingID: m.ID, MeetingUUID: m.UUID, Key: "guest-1", Name: "Guest"}
			if err := e.sim.EndMeeting(zm.ID); err != nil {
				t.Fatal(err)
			}
			var err error
			if step == "prepare" {
				err = a.Prepare(ctx, m)
			} else {
				_, err = a.Grant(ctx, m, p)
			}
			ge, ok := errors.AsType[*grant.Error](err)
			if !ok || ge.Code != grant.EUNAVAILABLE || ge.Reason != grant.ReasonMeetingEnded {
				t.Fatalf("%s of an ended meeting: %v, want a retryable %s", step, err, grant.ReasonMeetingEnded)
			}
			if e.sim.AgentSessions()[zm.ID] {
				t.Fatal("the agent joined the ended meeting")
			}
			after, err := e.sim.Meeting(zm.ID)
			if err != nil {
				t.Fatal(err)
			}
			if after.Status != zoomsim.MeetingEnded || after.UUID != started.UUID {
				t.Fatalf("meeting is %s (uuid %s), want it still ended (uuid %s)", after.Status, after.UUID, started.UUID)
			}
		})
	}
	// The host ends the meeting while the agent granter is getting the
	// host's ZAK: the check of Zoom's status comes after it, so the agent
	// does not join (and start) the ended meeting.
	t.Run("ended while getting the ZAK", func(t *testing.T) {
		zm, started, m := e.liveMeeting(t)
		var ended atomic.Bool
		endOnZAK := func(r *http.Request) {
			if r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/users/"+e.host.ID+"/token") && ended.CompareAndSwap(false, true) {
				if err := e.sim.EndMeeting(zm.ID); err != nil {
					t.Error(err)
				}
			}
		}
		e.beforeZoom.Store(&endOnZAK)
		defer e.beforeZoom.Store(nil)
		err := a.Prepare(ctx, m)
		if !ended.Load() {
			t.Fatal("the agent granter did not ask for the host's ZAK")
		}
		if ge, ok := errors.AsType[*grant.Error](err); !ok || ge.Reason != grant.ReasonMeetingEnded {
			t.Fatalf("prepare of a meeting ended during it: %v, want %s", err, grant.ReasonMeetingEnded)
		}
		after, err := e.sim.Meeting(zm.ID)
		if err != nil {
			t.Fatal(err)
		}
		if after.Status != zoomsim.MeetingEnded || after.UUID != started.UUID || e.sim.AgentSessions()[zm.ID] {
			t.Fatalf("meeting is %s (uuid %s, agent in it: %v), want it still ended (uuid %s)",
				after.Status, after.UUID, e.sim.AgentSessions()[zm.ID], started.UUID)
		}
	})
	t.Run("live", func(t *testing.T) {
		zm, _, m := e.liveMeeting(t)
		if err := a.Prepare(ctx, m); err != nil {
			t.Fatalf("prepare of a live meeting: %v", err)
		}
		if !e.sim.AgentSessions()[zm.ID] {
			t.Fatal("the agent did not join the live meeting")
		}
	})
}

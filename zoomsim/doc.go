// Package zoomsim simulates the parts of Zoom that cohost talks to, with Zoom's documented behaviour,
// so that cohost can be demonstrated, tested end to end and benchmarked on a machine that cannot
// reach Zoom:
//
//   - OAuth (POST /oauth/token for account_credentials, authorization_code and rotating
//     refresh_token grants; GET /oauth/authorize that approves at once);
//   - the REST endpoints cohost calls (docs/zoom-setup.md lists them) under /v2, with Zoom's shapes, error codes
//     (124, 300, 1001, 3001, 429), per-account rate limits by label and fault knobs;
//   - meetings whose lifecycle (create, start, join, leave, end) sends signed webhooks with
//     Zoom's retry rules (only on >=500 or time-out; +5, +20, +60 min, scaled by Config.TimeScale);
//   - the co-host agent of api/agent.openapi.yaml, which promotes participants and then sends
//     meeting.participant_role_changed as Zoom would;
//   - a simulated Web Meeting SDK (Component View): a script that defines window.ZoomMtgEmbedded
//     with the surface and shapes of @zoom/meetingsdk 6.2.0 (meetingsdk/SURFACE.md), backed by
//     the sim's meetings, so a real host page runs in a real browser against the sim: its
//     roster is the meeting's participants, makeCoHost promotes them (Promotion.Via "sdk") and
//     meeting.participant_role_changed follows; delays, a waiting room, injected rejections and
//     time-outs are knobs (WebSDKConfig, Sim.RejectMakeCoHost, Sim.Admit);
//   - a ledger of every request and effect, a Go API to script scenarios and wait for outcomes,
//     and a JSON control API under /_sim/ for cmd/zoomsim.
//
// Everything is served by one http.Handler (Sim.Handler):
//
//	/oauth/token, /oauth/authorize     Zoom OAuth             (ZOOM_OAUTH_URL = base)
//	/v2/...                            Zoom REST              (ZOOM_API_URL   = base + "/v2")
//	/agent/v1/...                      co-host agent contract (COHOST_AGENT_URL = base + "/agent")
//	/sdk/zoom-meeting-embedded-sim.js  simulated Web Meeting SDK (COHOST_MEETING_SDK_URL), /sdk/v1/... its backend
//	/_sim/...                          control API
//
// The agent prefix is Config.AgentPrefix; Sim.AgentHandler serves the agent alone, rooted at "/",
// for a separate listener.
//
// The package is independent of cohost's own code: it builds Zoom's JSON and signs webhooks itself,
// from Zoom's documentation (sources are cited next to each behaviour).
package zoomsim

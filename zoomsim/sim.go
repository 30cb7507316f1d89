package zoomsim

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	mrand "math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/go-chi/chi/v5"
)

// LockedSettingsMode says how PATCH /v2/users/{userId}/settings treats a setting that the account
// admin has locked (Sim.LockSetting).
//
// Zoom's documentation does not say what the user-settings endpoint answers for a locked setting
// (searched: Zoom API reference copies, the developer forum, issue trackers; no answer found). The
// lock pages only say that members "cannot modify it individually"
// (https://developers.zoom.us/docs/api/users/#tag/groups/PATCH/groups/{groupId}/lock_settings).
// Both plausible behaviours are simulated; the default is the harder one for a client.
type LockedSettingsMode string

const (
	// LockedSettingsIgnore answers 204 and leaves the locked value in place, so only a read-back
	// shows that nothing changed. The default.
	LockedSettingsIgnore LockedSettingsMode = "ignore"
	// LockedSettingsReject answers 400 {"code":300,...} naming the locked field.
	LockedSettingsReject LockedSettingsMode = "reject"
)

// Config configures a Sim. The zero value works: secrets default to fixed test values, the clock
// to the wall clock, and the limits to those of a Zoom Pro account.
type Config struct {
	// WebhookURL receives the event notifications; empty records deliveries without sending them.
	WebhookURL string
	// WebhookSecret is the app's webhook secret token (signs x-zm-signature).
	WebhookSecret string
	// ClientID and ClientSecret are the OAuth app's credentials (HTTP Basic on /oauth/token). An
	// account created with its own credentials (AccountSpec) uses those instead.
	ClientID     string
	ClientSecret string
	// SignInClientID and SignInClientSecret are the credentials of the user-managed app people
	// sign in with (signin.go): its /oauth/authorize shows a page to pick a user.
	SignInClientID     string
	SignInClientSecret string
	// SDKKey and SDKSecret are the Meeting SDK credentials the agent checks signatures with.
	SDKKey    string
	SDKSecret string
	// AgentSecret keys the HS256 bearer JWTs of the agent contract.
	AgentSecret string
	// AgentPrefix is where Handler mounts the agent; default "/agent".
	AgentPrefix string

	// Clock is the source of time; default RealClock.
	Clock Clock
	// TimeScale multiplies Zoom's webhook retry delays (+5, +20, +60 min); 0.001 makes them
	// 300 ms, 1.2 s and 3.6 s. Default 1.
	TimeScale float64
	// Seed seeds the random choices (ids, fault draws); 0 picks one from the time.
	Seed uint64

	// TokenTTL is the lifetime of access tokens; default 1 h (Zoom: expires_in 3600).
	TokenTTL time.Duration
	// AuthCodeTTL is the lifetime of an authorization code; default 5 min.
	AuthCodeTTL time.Duration
	// ZAKTTL is the default lifetime of a ZAK; default 2 h.
	ZAKTTL time.Duration
	// S2SNewTokenRevokesOld makes a new account_credentials token invalidate the account's
	// earlier ones, as Zoom staff described in 2022 (devforum 72070); the current docs say tokens
	// coexist, which is the default.
	S2SNewTokenRevokesOld bool

	// RateLimits are the per-account limits by label; the zero value means Pro limits.
	RateLimits *RateLimits
	// MeetingUpdatesPerDay caps PATCH /v2/meetings/{id} per meeting per rolling 24 h; default 100,
	// negative disables. Zoom: "a meeting can only be updated for a maximum of 100 times within a
	// 24-hour period".
	MeetingUpdatesPerDay int
	// UserMeetingWritesPerDay caps meeting create/update requests per host user per UTC day;
	// default 100, negative disables.
	UserMeetingWritesPerDay int
	// LockedSettings: see LockedSettingsMode; default LockedSettingsIgnore.
	LockedSettings LockedSettingsMode
	// MeetingIDAsString encodes payload.object.id of meeting webhooks as a JSON string instead of
	// a number. Zoom is not consistent here: the Rivet SDK types (zoom/rivet-javascript,
	// MeetingParticipantJoinedEvent, MeetingParticipantRoleChangedEvent) declare id as a string and a
	// 2025 role_changed payload on the developer forum (devforum 125559) carries "id": "84712639219",
	// while other events are typed as numbers. A client must accept both.
	MeetingIDAsString bool
	// AltHostsJoinAsAttendee makes alternative hosts join as plain attendees. By default a licensed
	// same-account user listed in settings.alternative_hosts who joins signed in becomes co-host
	// (and meeting.participant_role_changed is sent), as several university help pages describe;
	// Zoom's KB0067027 is not explicit.
	AltHostsJoinAsAttendee bool

	// WebhookTimeout is how long a delivery may take; default 3 s (Zoom's limit).
	WebhookTimeout time.Duration
	// HTTPClient sends webhooks; default a client with WebhookTimeout that follows no redirect.
	HTTPClient *http.Client

	// Agent configures the simulated co-host agent.
	Agent AgentConfig
	// WebSDK configures the simulated Web Meeting SDK (websdk.go); SetWebSDK changes it later.
	WebSDK WebSDKConfig
	// Faults are the initial fault knobs (SetFaults changes them later).
	Faults Faults

	// Logger receives a line per notable event; default discards.
	Logger *slog.Logger
}

// AgentConfig configures the simulated co-host agent.
type AgentConfig struct {
	// JoinDelay is how long a new session answers 202 before the agent is in the meeting.
	JoinDelay time.Duration
	// VisibilityDelay is how long after joining a participant stays invisible to the agent (409).
	VisibilityDelay time.Duration
	// PromotionsPerSecond limits co-host calls per meeting session (the Web SDK documents
	// makeCoHost as "@RateLimit 2s"); 0 means unlimited.
	PromotionsPerSecond int
	// RoleChangedDelay is how long after a promotion Zoom sends meeting.participant_role_changed.
	RoleChangedDelay time.Duration
	// ClockSkew is the leeway allowed on the bearer JWT's iat and exp; default 5 s.
	ClockSkew time.Duration
}

// Faults are the knobs that make the simulated Zoom misbehave.
type Faults struct {
	// REST5xxRate is the probability that a REST call (or token request) fails with 5xx.
	REST5xxRate float64
	// RESTLatency is wall time added to every REST and OAuth call.
	RESTLatency time.Duration
	// Burst429 makes the next N REST calls fail with a per-second 429.
	Burst429 int
	// Agent5xxRate is the probability that an agent call fails with 500.
	Agent5xxRate float64
	// AgentDown makes the agent drop every connection without an answer.
	AgentDown bool
	// WebhookDuplicateRate is the probability that an event is delivered twice (the copy has its
	// own x-zm-request-id, as duplicates seen in the field came from other Zoom hosts).
	WebhookDuplicateRate float64
	// WebhookReorderWindow delays each event's first attempt by a random time below it, so events
	// arrive out of order.
	WebhookReorderWindow time.Duration
}

// Sim is a simulated Zoom: OAuth, REST, webhooks and the co-host agent. Create it with New, serve
// Handler, script it with its methods and Close it at the end.
type Sim struct {
	cfg    Config
	clock  Clock
	log    *slog.Logger
	client *http.Client
	router http.Handler
	agentH http.Handler

	mu            sync.Mutex
	rng           *mrand.Rand
	faults        Faults
	webhookURL    string
	webhookSecret string
	limits        RateLimits

	accounts      map[string]*account
	accountOrder  []string
	users         map[string]*user
	meetings      map[int64]*meeting
	meetingOrder  []int64
	tokens        map[string]*accessToken
	refreshTokens map[string]*refreshToken
	authCodes     map[string]*authCode
	zaks          map[string]*zak
	rateWindows   map[rateKey]*rateWindow
	userWrites    map[string]*dayCount

	agent agentState
	sdk   sdkState

	ledger  Ledger
	changed chan struct{}

	wg     sync.WaitGroup
	timers map[int]Timer
	timerN int
	closed bool
}

// New returns a Sim for cfg. It seeds nothing: create accounts and users with CreateAccount and
// CreateUser, or use Default for a ready-made account.
func New(cfg Config) *Sim {
	if cfg.WebhookSecret == "" {
		cfg.WebhookSecret = "zoomsim-webhook-secret"
	}
	if cfg.ClientID == "" {
		cfg.ClientID = "zoomsim-client-id"
	}
	if cfg.ClientSecret == "" {
		cfg.ClientSecret = "zoomsim-client-secret"
	}
	if cfg.SignInClientID == "" {
		cfg.SignInClientID = "zoomsim-signin-client-id"
	}
	if cfg.SignInClientSecret == "" {
		cfg.SignInClientSecret = "zoomsim-signin-client-secret"
	}
	if cfg.SDKKey == "" {
		cfg.SDKKey = "zoomsim-sdk-key"
	}
	if cfg.SDKSecret == "" {
		cfg.SDKSecret = "zoomsim-sdk-secret"
	}
	if cfg.AgentSecret == "" {
		cfg.AgentSecret = "zoomsim-agent-secret"
	}
	if cfg.AgentPrefix == "" {
		cfg.AgentPrefix = "/agent"
	}
	cfg.AgentPrefix = "/" + strings.Trim(cfg.AgentPrefix, "/")
	if cfg.Clock == nil {
		cfg.Clock = RealClock{}
	}
	if cfg.TimeScale <= 0 {
		cfg.TimeScale = 1
	}
	if cfg.Seed == 0 {
		cfg.Seed = uint64(time.Now().UnixNano())
	}
	if cfg.TokenTTL <= 0 {
		cfg.TokenTTL = time.Hour
	}
	if cfg.AuthCodeTTL <= 0 {
		cfg.AuthCodeTTL = 5 * time.Minute
	}
	if cfg.ZAKTTL <= 0 {
		cfg.ZAKTTL = 2 * time.Hour
	}
	if cfg.MeetingUpdatesPerDay == 0 {
		cfg.MeetingUpdatesPerDay = 100
	}
	if cfg.UserMeetingWritesPerDay == 0 {
		cfg.UserMeetingWritesPerDay = 100
	}
	if cfg.LockedSettings == "" {
		cfg.LockedSettings = LockedSettingsIgnore
	}
	if cfg.WebhookTimeout <= 0 {
		cfg.WebhookTimeout = 3 * time.Second
	}
	if cfg.Agent.ClockSkew <= 0 {
		cfg.Agent.ClockSkew = 5 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	limits := ProLimits()
	if cfg.RateLimits != nil {
		limits = *cfg.RateLimits
	}
	client := cfg.HTTPClient
	if client == nil {
		client = &http.Client{
			Timeout: cfg.WebhookTimeout,
			// Zoom counts a 3xx as a failed delivery and does not follow it.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
			Transport: &http.Transport{
				Proxy:               nil,
				MaxIdleConns:        256,
				MaxIdleConnsPerHost: 64,
				IdleConnTimeout:     30 * time.Second,
			},
		}
	}
	s := &Sim{
		cfg:           cfg,
		clock:         cfg.Clock,
		log:           cfg.Logger,
		client:        client,
		rng:           mrand.New(mrand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15)),
		faults:        cfg.Faults,
		webhookURL:    cfg.WebhookURL,
		webhookSecret: cfg.WebhookSecret,
		limits:        limits,
		accounts:      map[string]*account{},
		users:         map[string]*user{},
		meetings:      map[int64]*meeting{},
		tokens:        map[string]*accessToken{},
		refreshTokens: map[string]*refreshToken{},
		authCodes:     map[string]*authCode{},
		zaks:          map[string]*zak{},
		rateWindows:   map[rateKey]*rateWindow{},
		userWrites:    map[string]*dayCount{},
		changed:       make(chan struct{}),
		timers:        map[int]Timer{},
	}
	s.agent.init()
	s.initSDK()
	s.agentH = s.agentRoutes()
	r := chi.NewRouter()
	r.Post("/oauth/token", s.handleToken)
	r.Get("/oauth/authorize", s.handleAuthorize)
	r.Post(signInChooserPath, s.handleSignInChoice)
	r.Route("/v2", s.restRoutes)
	r.Mount(cfg.AgentPrefix, s.agentH)
	r.Route("/_sim", s.controlRoutes)
	r.Route(SDKPrefix, s.sdkRoutes)
	r.NotFound(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusNotFound, map[string]any{"code": 404, "message": "Not Found"})
	})
	s.router = r
	return s
}

// Handler serves OAuth, REST, the agent (under Config.AgentPrefix) and the control API.
func (s *Sim) Handler() http.Handler { return s.router }

// AgentHandler serves the co-host agent alone, its routes rooted at "/" (so "/v1/meetings/…").
func (s *Sim) AgentHandler() http.Handler { return s.agentH }

// Config returns the configuration in effect (defaults filled in).
func (s *Sim) Config() Config { return s.cfg }

// Close stops pending webhook retries and timers and waits, until ctx is done, for deliveries
// under way to finish.
func (s *Sim) Close(ctx context.Context) error {
	s.stopStreams()
	s.mu.Lock()
	s.closed = true
	for id, t := range s.timers {
		if t.Stop() {
			s.wg.Done()
		}
		delete(s.timers, id)
	}
	s.mu.Unlock()
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// SetWebhook changes where events go and the secret that signs them; an empty secret keeps the
// current one.
func (s *Sim) SetWebhook(url, secret string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.webhookURL = url
	if secret != "" {
		s.webhookSecret = secret
	}
}

// Faults returns the fault knobs in effect.
func (s *Sim) Faults() Faults {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.faults
}

// SetFaults replaces the fault knobs.
func (s *Sim) SetFaults(f Faults) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = f
}

// SetRateLimits replaces the per-account limits by label.
func (s *Sim) SetRateLimits(l RateLimits) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.limits = l
}

// after runs f once d has passed on the sim's clock, unless the sim is closed first. Callers hold
// s.mu.
func (s *Sim) after(d time.Duration, f func()) {
	if s.closed {
		return
	}
	s.timerN++
	id := s.timerN
	s.wg.Add(1)
	s.timers[id] = s.clock.AfterFunc(d, func() {
		// Close calls wg.Done for the timers it stops before they fire; a timer that fired
		// anyway (Stop returned false) finds itself gone from the map and only says done.
		defer s.wg.Done()
		s.mu.Lock()
		_, live := s.timers[id]
		delete(s.timers, id)
		s.mu.Unlock()
		if live {
			f()
		}
	})
}

// notify wakes WaitFor callers; callers hold s.mu.
func (s *Sim) notify() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// chance draws a fault with probability p; callers hold s.mu.
func (s *Sim) chance(p float64) bool {
	return p > 0 && s.rng.Float64() < p
}

// zoomID returns an id in the style of Zoom's user and account ids (22 base64url characters);
// callers hold s.mu.
func (s *Sim) zoomID() string {
	var b [16]byte
	for i := range b {
		b[i] = byte(s.rng.UintN(256))
	}
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// meetingUUID returns a meeting instance uuid in Zoom's style ("gsqg0HKxTQ2TxSVAxE9+0w==");
// callers hold s.mu.
func (s *Sim) meetingUUID() string {
	var b [16]byte
	for i := range b {
		b[i] = byte(s.rng.UintN(256))
	}
	return base64.StdEncoding.EncodeToString(b[:])
}

// participantUUID returns a participant_uuid in the style seen in Zoom's payloads
// ("67C1A429-1476-BE1C-7324-EDCA76B69406"); callers hold s.mu.
func (s *Sim) participantUUID() string {
	var b [16]byte
	for i := range b {
		b[i] = byte(s.rng.UintN(256))
	}
	h := strings.ToUpper(hex.EncodeToString(b[:]))
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// secretToken returns an unguessable token for credentials (access, refresh, code, ZAK).
func secretToken(prefix string) string {
	var b [24]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(fmt.Sprintf("zoomsim: crypto/rand: %v", err))
	}
	return prefix + base64.RawURLEncoding.EncodeToString(b[:])
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(status)
	if v == nil {
		return
	}
	_ = json.NewEncoder(w).Encode(v)
}

// zoomError writes Zoom's REST error body {"code":…,"message":…}.
func zoomError(w http.ResponseWriter, status, code int, message string) {
	writeJSON(w, status, map[string]any{"code": code, "message": message})
}

// ErrNotFound is returned (wrapped) by the Go API for unknown accounts, users, meetings and
// participants.
var ErrNotFound = errors.New("zoomsim: not found")

// ErrInvalid is returned (wrapped) by the Go API for arguments it cannot use.
var ErrInvalid = errors.New("zoomsim: invalid argument")

// ErrClosed is returned by operations on a closed Sim.
var ErrClosed = errors.New("zoomsim: closed")

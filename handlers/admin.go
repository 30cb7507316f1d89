package handlers

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/golang-jwt/jwt/v5"

	"github.com/cohost-dev/cohost/api"
	"github.com/cohost-dev/cohost/grant"
	"github.com/cohost-dev/cohost/hostclient"
	"github.com/cohost-dev/cohost/store"
)

// AdminStore is the part of the store the admin API reads. Lookups of a
// missing meeting return an error wrapping store.ErrNotFound; errors wrapping
// store.ErrUnavailable answer 503.
type AdminStore interface {
	ListMeetings(ctx context.Context, limit int) ([]grant.Meeting, error)
	FindMeeting(ctx context.Context, meetingID string) (grant.Meeting, error)
	ListParticipants(ctx context.Context, accountID, meetingID string) ([]grant.Participant, error)
	GranterStates(ctx context.Context, accountID, meetingID string) ([]grant.GranterState, error)
	GrantOutcomesSince(ctx context.Context, since time.Time) (store.GrantOutcomes, error)
	GrantCountsByMeeting(ctx context.Context, meetings []store.MeetingKey) (map[store.MeetingKey]map[grant.State]int, error)
}

// maxBearerTokenLen bounds the work spent on a token: real admin tokens are a
// few hundred bytes.
const maxBearerTokenLen = 4096

// minAdminSecretLen is the shortest key NewAdmin and MintAdminToken accept:
// HS256 keys shorter than the hash output (32 bytes) can be brute-forced
// offline from any one token.
const minAdminSecretLen = 32

const shortSecretDetail = "COHOST_ADMIN_SECRET is shorter than 32 bytes, so the admin API is off; set it to a long random value (openssl rand -base64 48)"

// Admin serves the admin API: the grant ledger, read-only, behind a bearer
// JWT (HS256, COHOST_ADMIN_SECRET).
//
//	GET    /v1/meetings?limit=N                  recent meetings with grant counts
//	GET    /v1/meetings/{meetingId}              a meeting, its granters and every participant's grant
//	GET    /v1/summary?window=1h                 the grant outcomes of the last window, meetings live
//	POST   /v1/meetings/{meetingId}/host-link    a host link for the meeting (host-client granter)
//	DELETE /v1/meetings/{meetingId}/host-link    revoke every host link of the meeting
//
// With no secret the API is off and every /v1 route answers 404
// admin_api_disabled.
type Admin struct {
	store  AdminStore
	links  HostLinks
	pages  HostPages
	secret []byte
	// offDetail says why the API is off.
	offDetail string
	logger    *slog.Logger
	parser    *jwt.Parser
	// secureCookies marks River UI's session cookie Secure: browsers reach
	// cohostd over https (WithPublicURL).
	secureCookies bool
}

// HostLinks mints and revokes host links (hostclient.Service).
type HostLinks interface {
	MintLink(ctx context.Context, r hostclient.MintRequest) (hostclient.Link, error)
	RevokeLinks(ctx context.Context, meetingID string) (int64, error)
}

// WithPublicURL says where browsers reach cohostd (COHOST_PUBLIC_URL): River
// UI's session cookie is Secure unless that is a plain-http (loopback) URL.
// The scheme comes from configuration only, never from a request's
// X-Forwarded-Proto, which any client can send. Unset, the cookie is Secure.
func (a *Admin) WithPublicURL(publicURL string) *Admin {
	a.secureCookies = !strings.HasPrefix(strings.ToLower(publicURL), "http://")
	return a
}

// WithHostLinks turns on POST and DELETE /v1/meetings/{meetingId}/host-link.
func (a *Admin) WithHostLinks(l HostLinks) *Admin {
	a.links = l
	return a
}

// HostPages says whether a host page runs a meeting and where the host
// client stands with each participant (hostclient.Service).
type HostPages interface {
	DescribeMeeting(ctx context.Context, m grant.Meeting, ps []grant.Participant) (hostclient.MeetingView, error)
}

// WithHostPages makes GET /v1/meetings/{meetingId} say whether a host page
// runs the meeting, and give the host client's words for each participant.
func (a *Admin) WithHostPages(p HostPages) *Admin {
	a.pages = p
	return a
}

// NewAdmin returns the admin API over st. An empty secret turns the API off;
// so does one shorter than 32 bytes, which fails closed (config.Load already
// refuses to start cohostd with one).
func NewAdmin(st AdminStore, secret []byte, logger *slog.Logger) *Admin {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	a := &Admin{
		secureCookies: true,
		store:         st,
		secret:        append([]byte(nil), secret...),
		logger:        logger,
		parser: jwt.NewParser(
			jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
			jwt.WithAudience(api.AdminJWTAudience),
			jwt.WithExpirationRequired(),
			jwt.WithIssuedAt(),
			jwt.WithLeeway(api.AdminJWTLeeway),
		),
	}
	a.offDetail = "set COHOST_ADMIN_SECRET to enable the admin API"
	if len(secret) > 0 && len(secret) < minAdminSecretLen {
		logger.Error(shortSecretDetail)
		a.secret, a.offDetail = nil, shortSecretDetail
	}
	return a
}

// Enabled reports whether the admin API answers (a secret is configured).
func (a *Admin) Enabled() bool { return len(a.secret) > 0 }

// Mount adds the /v1 routes to r (handlers.Deps.Mount).
func (a *Admin) Mount(r chi.Router) {
	r.Route("/v1", func(r chi.Router) {
		r.Use(noStore)
		if !a.Enabled() {
			r.HandleFunc("/*", func(w http.ResponseWriter, r *http.Request) {
				writeError(w, http.StatusNotFound, api.AdminErrDisabled, a.offDetail)
			})
			return
		}
		r.Use(a.authenticate)
		r.NotFound(func(w http.ResponseWriter, r *http.Request) {
			writeError(w, http.StatusNotFound, api.AdminErrNotFound,
				"no such admin route; the admin API serves GET /v1/meetings, GET /v1/meetings/{meetingId}, GET /v1/summary and POST|DELETE /v1/meetings/{meetingId}/host-link")
		})
		r.MethodNotAllowed(func(w http.ResponseWriter, r *http.Request) {
			allow := "GET"
			if strings.HasSuffix(r.URL.Path, "/host-link") {
				allow = "POST, DELETE"
			}
			w.Header().Set("Allow", allow)
			writeError(w, http.StatusMethodNotAllowed, api.AdminErrMethodNotAllowed, "this route answers "+allow)
		})
		r.Get("/meetings", a.listMeetings)
		r.Get("/meetings/{meetingId}", a.getMeeting)
		r.Get("/summary", a.summary)
		r.Post("/meetings/{meetingId}/host-link", a.mintHostLink)
		r.Delete("/meetings/{meetingId}/host-link", a.revokeHostLinks)
	})
}

// noStore keeps the ledger (names, emails) out of shared caches.
func noStore(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r)
	})
}

// authenticate lets a request through only with a valid admin JWT. A
// rejection says what is wrong with the token but never repeats it.
func (a *Admin) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		claims, problem := a.verifyBearer(r.Header.Values("Authorization"))
		if problem != "" {
			challenge := `Bearer realm="cohost-admin"`
			if len(r.Header.Values("Authorization")) > 0 {
				// RFC 6750 section 3: no error code when the request carried no credentials.
				challenge += `, error="invalid_token"`
			}
			w.Header().Set("WWW-Authenticate", challenge)
			writeError(w, http.StatusUnauthorized, api.AdminErrUnauthorized, problem)
			return
		}
		// Reads are logged at debug: the console polls them every few seconds. Changes (host
		// links) stay at info, with who made them.
		level := slog.LevelInfo
		if r.Method == http.MethodGet || r.Method == http.MethodHead {
			level = slog.LevelDebug
		}
		a.logger.Log(r.Context(), level, "admin request", "subject", claims.Subject, "method", r.Method, "path", r.URL.Path)
		next.ServeHTTP(w, r)
	})
}

// verifyBearer checks the Authorization header values and returns the
// token's claims, or a description of the problem for the 401's detail.
func (a *Admin) verifyBearer(values []string) (*jwt.RegisteredClaims, string) {
	switch len(values) {
	case 0:
		return nil, "missing Authorization header; send Authorization: Bearer <JWT> (mint one with cohostd admin-token)"
	case 1:
	default:
		return nil, "send exactly one Authorization header"
	}
	scheme, raw, _ := strings.Cut(strings.TrimSpace(values[0]), " ")
	if !strings.EqualFold(scheme, "Bearer") {
		return nil, "the Authorization header must use the Bearer scheme: Authorization: Bearer <JWT>"
	}
	raw = strings.TrimSpace(raw)
	switch {
	case raw == "":
		return nil, "the Bearer token is empty"
	case len(raw) > maxBearerTokenLen:
		return nil, fmt.Sprintf("the Bearer token is longer than %d bytes", maxBearerTokenLen)
	}
	claims := &jwt.RegisteredClaims{}
	tok, err := a.parser.ParseWithClaims(raw, claims, func(*jwt.Token) (any, error) { return a.secret, nil })
	if err != nil {
		return nil, tokenProblem(tok, claims, err)
	}
	if claims.IssuedAt == nil {
		return nil, "the token has no iat claim; it is needed to bound the token's lifetime"
	}
	if claims.ExpiresAt.Sub(claims.IssuedAt.Time) > api.AdminJWTMaxLifetime {
		return nil, "the token lives longer than 24h (exp - iat); mint one with a shorter lifetime"
	}
	return claims, ""
}

// tokenProblem turns a golang-jwt error into a detail for the operator. The
// order matters where jwt reports several problems at once: a token that is
// both expired and for another audience is reported as expired.
func tokenProblem(tok *jwt.Token, claims *jwt.RegisteredClaims, err error) string {
	switch {
	case errors.Is(err, jwt.ErrTokenMalformed):
		return "the token is not a well-formed JWT (three base64url parts separated by dots, JSON header and claims)"
	case tok != nil && (tok.Method == nil || tok.Method.Alg() != jwt.SigningMethodHS256.Alg()),
		errors.Is(err, jwt.ErrTokenUnverifiable):
		return "the token must be signed with HS256"
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		return "the token's signature does not verify with COHOST_ADMIN_SECRET"
	case errors.Is(err, jwt.ErrTokenExpired):
		return "the token has expired; mint a new one"
	case claims.ExpiresAt == nil:
		return "the token has no exp claim; admin tokens must expire"
	case errors.Is(err, jwt.ErrTokenInvalidAudience), len(claims.Audience) == 0:
		return `the token's audience (aud) must include "` + api.AdminJWTAudience + `"`
	case errors.Is(err, jwt.ErrTokenNotValidYet), errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		return "the token is not valid yet (nbf or iat is in the future); check the clocks"
	}
	return "the token is invalid"
}

// MintAdminToken returns an admin API token (HS256 with secret, aud
// cohost-admin, iat now, exp now+ttl, sub subject, a random jti). ttl must be
// positive and at most 24h, the longest lifetime the admin API accepts.
func MintAdminToken(secret []byte, ttl time.Duration, subject string) (string, error) {
	if len(secret) == 0 {
		return "", errors.New("admin token: COHOST_ADMIN_SECRET is empty")
	}
	if len(secret) < minAdminSecretLen {
		return "", fmt.Errorf("admin token: COHOST_ADMIN_SECRET is %d bytes; use at least %d random bytes (openssl rand -base64 48)", len(secret), minAdminSecretLen)
	}
	if ttl <= 0 || ttl > api.AdminJWTMaxLifetime {
		return "", fmt.Errorf("admin token: lifetime %s must be above 0 and at most %s", ttl, api.AdminJWTMaxLifetime)
	}
	now := time.Now()
	claims := jwt.RegisteredClaims{
		Issuer:    "cohostd",
		Subject:   subject,
		Audience:  jwt.ClaimStrings{api.AdminJWTAudience},
		IssuedAt:  jwt.NewNumericDate(now),
		ExpiresAt: jwt.NewNumericDate(now.Add(ttl)),
		ID:        grant.NewID(),
	}
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(secret)
	if err != nil {
		return "", fmt.Errorf("admin token: %w", err)
	}
	return s, nil
}

func (a *Admin) listMeetings(w http.ResponseWriter, r *http.Request) {
	limit := api.AdminDefaultLimit
	if q := r.URL.Query(); q.Has("limit") {
		n, err := strconv.Atoi(q.Get("limit"))
		if err != nil || n < 1 || n > api.AdminMaxLimit {
			writeError(w, http.StatusBadRequest, api.AdminErrInvalidLimit,
				fmt.Sprintf("limit must be an integer from 1 to %d (default %d)", api.AdminMaxLimit, api.AdminDefaultLimit))
			return
		}
		limit = n
	}
	ctx := r.Context()
	meetings, err := a.store.ListMeetings(ctx, limit)
	if err != nil {
		a.storeError(w, r, err)
		return
	}
	keys := make([]store.MeetingKey, 0, len(meetings))
	for _, m := range meetings {
		keys = append(keys, store.MeetingKey{AccountID: m.AccountID, MeetingID: m.ID})
	}
	// One statement for every listed meeting's counts: the console polls this list.
	counts, err := a.store.GrantCountsByMeeting(ctx, keys)
	if err != nil {
		a.storeError(w, r, err)
		return
	}
	out := api.AdminMeetingList{Meetings: make([]api.AdminMeeting, 0, len(meetings)), Limit: limit}
	for _, m := range meetings {
		out.Meetings = append(out.Meetings, adminMeeting(m, counts[store.MeetingKey{AccountID: m.AccountID, MeetingID: m.ID}]))
	}
	writeJSONTagged(w, r, out)
}

func (a *Admin) getMeeting(w http.ResponseWriter, r *http.Request) {
	id := chi.URLParam(r, "meetingId")
	if !api.CanonicalMeetingID(id) {
		writeError(w, http.StatusBadRequest, api.AdminErrInvalidMeetingID, invalidMeetingIDDetail)
		return
	}
	ctx := r.Context()
	m, err := a.store.FindMeeting(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		writeError(w, http.StatusNotFound, api.AdminErrMeetingNotFound, "the ledger has no meeting "+id+
			"; cohost records a meeting when a webhook about it arrives (meeting.created, meeting.started or a participant event)"+
			" - check the id and that the Zoom app's event subscription covers the meeting's account")
		return
	}
	if err != nil {
		a.storeError(w, r, err)
		return
	}
	ps, err := a.store.ListParticipants(ctx, m.AccountID, m.ID)
	if err != nil {
		a.storeError(w, r, err)
		return
	}
	gs, err := a.store.GranterStates(ctx, m.AccountID, m.ID)
	if err != nil {
		a.storeError(w, r, err)
		return
	}
	byState := map[grant.State]int{}
	for _, p := range ps {
		byState[p.State]++
	}
	out := api.AdminMeetingDetail{
		Meeting:      adminMeeting(m, byState),
		Granters:     make([]api.AdminGranterState, 0, len(gs)),
		Participants: make([]api.AdminParticipant, 0, len(ps)),
	}
	for _, g := range gs {
		out.Granters = append(out.Granters, api.AdminGranterState{Granter: g.Granter, State: string(g.Phase), Detail: g.Detail, At: timePtr(g.At)})
	}
	var sentences map[string]string
	if a.pages != nil {
		v, err := a.pages.DescribeMeeting(ctx, m, ps)
		if err != nil {
			a.storeError(w, r, err)
			return
		}
		sentences = v.Sentences
		out.Meeting.HostPage = &api.AdminHostPage{State: v.Page, Since: timePtr(v.PageSince), Connection: v.Connection,
			FallbackAt: timePtr(v.FallbackAt), Summary: v.Summary()}
		if !v.FallbackAt.IsZero() {
			out.Meeting.HostPage.FallbackTo = v.FallbackTo
		}
	}
	for _, p := range ps {
		ap := adminParticipant(p)
		if s, ok := sentences[p.Key]; ok {
			ap.Summary = s
		}
		out.Participants = append(out.Participants, ap)
	}
	writeJSONTagged(w, r, out)
}

func (a *Admin) summary(w http.ResponseWriter, r *http.Request) {
	window := api.AdminDefaultWindow
	if q := r.URL.Query(); q.Has("window") {
		d, err := time.ParseDuration(q.Get("window"))
		if err != nil || d < api.AdminMinWindow || d > api.AdminMaxWindow || d%time.Second != 0 {
			writeError(w, http.StatusBadRequest, api.AdminErrInvalidWindow,
				"window must be a duration of whole seconds from 1m to 24h, like 15m or 1h (default 1h)")
			return
		}
		window = d
	}
	o, err := a.store.GrantOutcomesSince(r.Context(), time.Now().Add(-window))
	if err != nil {
		a.storeError(w, r, err)
		return
	}
	out := api.AdminSummary{
		WindowSeconds: int64(window / time.Second),
		MeetingsLive:  int(o.MeetingsLive),
		Grants:        grantCounts(o.ByState),
		Reasons:       make([]api.AdminReasonCount, 0, len(o.ByReason)),
		TimeToGrant:   durationStats(o.TimeToGrant),
		TimeToConfirm: durationStats(o.TimeToConfirm),
	}
	for _, rc := range o.ByReason {
		out.Reasons = append(out.Reasons, api.AdminReasonCount{State: string(rc.State), Reason: string(rc.Reason),
			ReasonText: rc.Reason.Text(), Count: rc.Count})
	}
	writeJSONTagged(w, r, out)
}

// durationStats summarises sorted durations with nearest-rank percentiles: each is a duration
// that was measured, never an interpolation between two.
func durationStats(sorted []time.Duration) api.AdminDurationStats {
	out := api.AdminDurationStats{Count: len(sorted)}
	if len(sorted) == 0 {
		return out
	}
	rank := func(p int) *int64 {
		i := (p*len(sorted)+99)/100 - 1 // ceil(p/100 · n), 1-based, as an index
		ms := sorted[max(i, 0)].Milliseconds()
		return &ms
	}
	out.P50MS, out.P90MS, out.MaxMS = rank(50), rank(90), rank(100)
	return out
}

// storeError answers a failed ledger read: 503 when the database is out of
// reach (retry), else 500. The cause goes to the log only.
func (a *Admin) storeError(w http.ResponseWriter, r *http.Request, err error) {
	a.logger.ErrorContext(r.Context(), "admin API: ledger read failed", "path", r.URL.Path, "error", err.Error())
	if errors.Is(err, store.ErrUnavailable) {
		writeError(w, http.StatusServiceUnavailable, api.AdminErrUnavailable, "the database cannot be reached; retry shortly")
		return
	}
	writeError(w, http.StatusInternalServerError, api.AdminErrInternal, "the grant ledger could not be read; cohostd's log has the cause")
}

// invalidMeetingIDDetail answers a {meetingId} that is not canonical
// (api.CanonicalMeetingID): refused, never rewritten, so that one meeting
// has one key for its ledger rows and its host links.
const invalidMeetingIDDetail = "meetingId is not a Zoom meeting id in its one form: " + api.MeetingIDForm +
	"; not the meeting uuid, not zero-padded"

// adminMeeting is a meeting of the ledger with its participants counted by state (byState).
func adminMeeting(m grant.Meeting, byState map[grant.State]int) api.AdminMeeting {
	out := api.AdminMeeting{
		AccountID: m.AccountID,
		MeetingID: m.ID,
		UUID:      m.UUID,
		Topic:     m.Topic,
		HostID:    m.HostID,
		HostEmail: m.HostEmail,
		Status:    string(m.Status),
		StartTime: timePtr(m.StartTime),
		StartedAt: timePtr(m.StartedAt),
		EndedAt:   timePtr(m.EndedAt),
	}
	if len(m.TrackingFields) > 0 {
		out.TrackingFields = m.TrackingFields
	}
	out.Grants = grantCounts(byState)
	return out
}

// grantCounts is the API's counts of participants by state; total counts every row, in a known
// state or not.
func grantCounts(byState map[grant.State]int) api.AdminGrantCounts {
	c := api.AdminGrantCounts{
		Pending:   byState[grant.StatePending],
		Granted:   byState[grant.StateGranted],
		Confirmed: byState[grant.StateConfirmed],
		Skipped:   byState[grant.StateSkipped],
		Failed:    byState[grant.StateFailed],
	}
	for _, n := range byState {
		c.Total += n
	}
	return c
}

func adminParticipant(p grant.Participant) api.AdminParticipant {
	return api.AdminParticipant{
		MeetingUUID:     p.MeetingUUID,
		Key:             p.Key,
		UserID:          p.UserID,
		Name:            p.Name,
		Email:           p.Email,
		SignedIn:        p.SignedIn(),
		JoinedAt:        timePtr(p.JoinedAt),
		LeftAt:          timePtr(p.LeftAt),
		Present:         p.Present(),
		State:           string(p.State),
		Granter:         p.Granter,
		Reason:          string(p.Reason),
		ReasonText:      reasonText(p.Reason),
		Detail:          p.Detail,
		Summary:         grant.Describe(p, grant.Progress{}),
		JoinSeenAt:      timePtr(p.JoinSeenAt),
		GrantedAt:       timePtr(p.GrantedAt),
		ConfirmedAt:     timePtr(p.ConfirmedAt),
		TimeToGrantMS:   sinceJoinMS(p.JoinSeenAt, p.GrantedAt),
		TimeToConfirmMS: sinceJoinMS(p.JoinSeenAt, p.ConfirmedAt),
		Attempts:        p.Attempts,
	}
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

// sinceJoinMS is t - seen in milliseconds, nil when either is unknown.
func sinceJoinMS(seen, t time.Time) *int64 {
	if seen.IsZero() || t.IsZero() {
		return nil
	}
	ms := t.Sub(seen).Milliseconds()
	return &ms
}

// reasonText is the reason's sentence from the registry, "" when there is no reason.
func reasonText(r grant.Reason) string {
	if r == "" {
		return ""
	}
	return r.Text()
}

// maxHostLinkBody bounds the optional body of POST .../host-link.
const maxHostLinkBody = 4 << 10

func (a *Admin) mintHostLink(w http.ResponseWriter, r *http.Request) {
	id := chi.URLParam(r, "meetingId")
	if !a.hostLinksOn(w, id) {
		return
	}
	var req api.AdminHostLinkRequest
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxHostLinkBody))
	if err != nil {
		writeError(w, http.StatusRequestEntityTooLarge, api.AdminErrInvalidBody, "the body is larger than 4 KiB")
		return
	}
	if len(bytes.TrimSpace(body)) > 0 {
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&req); err != nil || api.CheckUniqueKeys(body) != nil {
			writeError(w, http.StatusBadRequest, api.AdminErrInvalidBody, `the body must be {"account_id": "...", "ttl": "2h"} (both optional)`)
			return
		}
	}
	mint := hostclient.MintRequest{MeetingID: id, AccountID: req.AccountID}
	if req.TTL != "" {
		if mint.TTL, err = time.ParseDuration(req.TTL); err != nil || mint.TTL <= 0 {
			writeError(w, http.StatusBadRequest, api.AdminErrInvalidTTL, "ttl must be a duration like 90m or 4h, at most 24h")
			return
		}
	}
	l, err := a.links.MintLink(r.Context(), mint)
	if err != nil {
		a.hostLinkError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, api.AdminHostLink{URL: l.URL, ExpiresAt: l.ExpiresAt.UTC(), MeetingID: l.MeetingID, AccountID: l.AccountID})
}

func (a *Admin) revokeHostLinks(w http.ResponseWriter, r *http.Request) {
	id := chi.URLParam(r, "meetingId")
	if !a.hostLinksOn(w, id) {
		return
	}
	n, err := a.links.RevokeLinks(r.Context(), id)
	if err != nil {
		a.hostLinkError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, api.AdminHostLinkRevoked{MeetingID: id, Revoked: n})
}

func (a *Admin) hostLinksOn(w http.ResponseWriter, id string) bool {
	if !api.CanonicalMeetingID(id) {
		writeError(w, http.StatusBadRequest, api.AdminErrInvalidMeetingID, invalidMeetingIDDetail)
		return false
	}
	if a.links == nil {
		writeError(w, http.StatusNotFound, api.AdminErrHostClientOff,
			"the host-client granter is off: add host-client to COHOST_GRANTERS (it needs COHOST_PUBLIC_URL, ZOOM_SDK_KEY and ZOOM_SDK_SECRET)")
		return false
	}
	return true
}

func (a *Admin) hostLinkError(w http.ResponseWriter, r *http.Request, err error) {
	writeDomainError(w, r, a.logger, "admin API: host link", err)
}

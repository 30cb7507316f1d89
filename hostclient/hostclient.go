// Package hostclient is cohostd's side of the host client, the route to the
// real co-host role: the meeting's host runs the meeting from cohost's host
// page, which embeds Zoom's Web Meeting SDK and calls makeCoHost for the
// joiners cohostd picks. It mints and checks host links, hands the page what
// starting the meeting as host needs (the host's ZAK and a role-1 Meeting SDK
// signature), and answers the page's syncs: who is promoted next, at what
// pace, and what the host's panel shows. docs/host-client.md explains it;
// api/hostpage.go holds the protocol's bodies.
//
// Every decision reads and writes the database under the meeting's host_pages
// row lock, so the page may reach any replica, a reload carries on where the
// last page load stopped, and one makeCoHost at most is in flight per
// meeting. The page never decides who is promoted.
package hostclient

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/cohost-dev/cohost/api"
	"github.com/cohost-dev/cohost/grant"
	"github.com/cohost-dev/cohost/meetingsdk"
	"github.com/cohost-dev/cohost/metrics"
	"github.com/cohost-dev/cohost/store"
	"github.com/cohost-dev/cohost/zoomclient"
)

// GranterName is the host client's name in COHOST_GRANTERS.
const GranterName = "host-client"

// Defaults and bounds.
const (
	// DefaultInterval is the least time between two makeCoHost calls of one
	// meeting. Zoom documents "@RateLimit 2s" for the Client View's
	// makeCoHost and no figure for Component View, whose call resolves only
	// once the role shows; one second keeps a storm moving without hammering.
	DefaultInterval = time.Second
	// MaxLinkTTL bounds a host link's life: it is a host credential.
	MaxLinkTTL = 24 * time.Hour
	// linkAfterEnd is how long a link stays good after the meeting's
	// scheduled end by default.
	linkAfterEnd = 3 * time.Hour
	// StaleAfter is how long after its last sync a page counts as gone (a
	// closed tab, a lost network).
	StaleAfter = 10 * time.Second
	// maxRoster bounds a sync's roster; Zoom meetings hold at most 1,000
	// participants.
	maxRoster = 1000
)

// Service is the host client.
type Service struct {
	Store *store.Store
	Zoom  *zoomclient.Client
	// Policy decides who is in scope; nil grants every joiner.
	Policy *grant.Policy
	// PublicURL is COHOST_PUBLIC_URL, the base of host links.
	PublicURL string
	// SDKKey and SDKSecret sign the Meeting SDK signature (role 1).
	SDKKey, SDKSecret string
	// Interval is the least time between two makeCoHost calls of a meeting
	// (COHOST_HOST_CLIENT_INTERVAL); default DefaultInterval.
	Interval time.Duration
	Metrics  *metrics.Metrics
	Logger   *slog.Logger
	// Now is the clock; default time.Now.
	Now func() time.Time
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Service) log() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.New(slog.DiscardHandler)
}

func (s *Service) interval() time.Duration {
	if s.Interval > 0 {
		return s.Interval
	}
	return DefaultInterval
}

// Error is a host-client failure a caller answers with: an HTTP status, a
// stable code (api.HostErr* or an admin API code) and a detail saying what to
// do. It never carries a secret.
type Error struct {
	Status int
	Code   string
	Detail string
	Err    error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Code + ": " + e.Detail + ": " + e.Err.Error()
	}
	return e.Code + ": " + e.Detail
}

func (e *Error) Unwrap() error { return e.Err }

// Error codes of MintLink that the admin API answers with (api/admin.go).
const (
	ErrCodeNoPublicURL      = api.AdminErrPublicURLUnset
	ErrCodeMeetingUnknown   = api.AdminErrMeetingUnknownToZoom
	ErrCodeHostNotInAccount = api.AdminErrHostNotInAccount
	ErrCodeAccountNeeded    = api.AdminErrAccountIDRequired
	ErrCodeInvalidTTL       = api.AdminErrInvalidTTL
	ErrCodeInvalidMeeting   = api.AdminErrInvalidMeetingID
)

// Link is a minted host link.
type Link struct {
	URL       string
	MeetingID string
	AccountID string
	ExpiresAt time.Time
}

// MintRequest asks for a host link.
type MintRequest struct {
	MeetingID string
	// AccountID is the meeting's Zoom account; needed only in oauth mode for
	// a meeting cohostd has not heard of yet.
	AccountID string
	// TTL overrides the default lifetime (until a few hours after the
	// meeting's scheduled end); at most MaxLinkTTL.
	TTL time.Duration
}

// MintLink mints a host link for one meeting: it reads the meeting from Zoom
// (so it works for a meeting cohostd has not heard of), checks that its host
// is a user of the account (cohostd can fetch their ZAK), records the
// meeting, and stores the hash of a new random secret. The secret goes into
// the URL's fragment, which browsers send to no server.
func (s *Service) MintLink(ctx context.Context, r MintRequest) (Link, error) {
	if s.PublicURL == "" {
		return Link{}, &Error{Status: http.StatusConflict, Code: ErrCodeNoPublicURL,
			Detail: "COHOST_PUBLIC_URL is not set: host links are URLs under it; set it to the https address where browsers reach cohostd"}
	}
	number, err := meetingNumber(r.MeetingID)
	if err != nil {
		return Link{}, err
	}
	if r.TTL < 0 || r.TTL > MaxLinkTTL {
		return Link{}, &Error{Status: http.StatusBadRequest, Code: ErrCodeInvalidTTL,
			Detail: fmt.Sprintf("the link's lifetime must be above 0 and at most %s", MaxLinkTTL)}
	}
	acct, err := s.accountFor(ctx, r)
	if err != nil {
		return Link{}, err
	}
	zc := s.zoom(acct)
	zm, _, err := zc.Meetings.Get(ctx, number)
	if err != nil {
		return Link{}, zoomError("reading meeting "+r.MeetingID+" from Zoom", err, &Error{Status: http.StatusNotFound, Code: ErrCodeMeetingUnknown,
			Detail: "Zoom does not know meeting " + r.MeetingID + " in account " + acct + ": check the id (the digits of the join URL) and the account"})
	}
	if zm.HostID == "" {
		return Link{}, &Error{Status: http.StatusBadGateway, Code: api.HostErrZoom, Detail: "Zoom did not name the host of meeting " + r.MeetingID}
	}
	if _, _, err := zc.Users.ZAK(ctx, zm.HostID); err != nil {
		return Link{}, zoomError("getting the host's ZAK", err, &Error{Status: http.StatusUnprocessableEntity, Code: ErrCodeHostNotInAccount,
			Detail: "the meeting's host (" + zm.HostID + ") is not a user of Zoom account " + acct +
				"; the host page can start only meetings hosted by users of the account cohost's app is installed for"})
	}
	if err := s.recordMeeting(ctx, acct, r.MeetingID, zm); err != nil {
		return Link{}, unavailable(err)
	}
	now := s.now()
	expires := linkExpiry(zm, now, r.TTL)
	secret, hash, err := newSecret()
	if err != nil {
		return Link{}, err
	}
	if err := s.Store.CreateHostLink(ctx, store.HostLink{TokenHash: hash, AccountID: acct, MeetingID: r.MeetingID,
		CreatedAt: now, ExpiresAt: expires}); err != nil {
		return Link{}, unavailable(err)
	}
	s.log().InfoContext(ctx, "host link minted", "account_id", acct, "meeting_id", r.MeetingID, "expires_at", expires.UTC().Format(time.RFC3339))
	return Link{URL: strings.TrimRight(s.PublicURL, "/") + api.HostPagePath(r.MeetingID) + "#" + secret,
		MeetingID: r.MeetingID, AccountID: acct, ExpiresAt: expires}, nil
}

// RevokeLinks revokes every host link of the meeting; the page running it
// stops at its next request. It reports how many links it revoked.
func (s *Service) RevokeLinks(ctx context.Context, meetingID string) (int64, error) {
	if _, err := meetingNumber(meetingID); err != nil {
		return 0, err
	}
	m, err := s.Store.FindMeeting(ctx, meetingID)
	if errors.Is(err, store.ErrNotFound) {
		return 0, nil // never minted: nothing to revoke
	}
	if err != nil {
		return 0, unavailable(err)
	}
	n, err := s.Store.RevokeHostLinks(ctx, m.AccountID, meetingID, s.now())
	if err != nil {
		return 0, unavailable(err)
	}
	s.log().InfoContext(ctx, "host links revoked", "account_id", m.AccountID, "meeting_id", meetingID, "links", n)
	return n, nil
}

// linkExpiry is the default end of a link: a few hours after the meeting's
// scheduled end, within [now + 1 h, now + MaxLinkTTL]; ttl overrides it.
func linkExpiry(zm *zoomclient.Meeting, now time.Time, ttl time.Duration) time.Time {
	if ttl > 0 {
		return now.Add(ttl)
	}
	end := now.Add(12 * time.Hour) // no scheduled time (instant or recurring without one)
	if zm.StartTime != nil && !zm.StartTime.IsZero() {
		d := time.Duration(zm.Duration) * time.Minute
		if d <= 0 {
			d = time.Hour
		}
		end = zm.StartTime.Time.Add(d).Add(linkAfterEnd)
	}
	if lo := now.Add(time.Hour); end.Before(lo) {
		end = lo
	}
	if hi := now.Add(MaxLinkTTL); end.After(hi) {
		end = hi
	}
	return end
}

// accountFor finds the meeting's account: the request's, the ledger's, or
// the one account of an s2s install.
func (s *Service) accountFor(ctx context.Context, r MintRequest) (string, error) {
	if r.AccountID != "" {
		return r.AccountID, nil
	}
	m, err := s.Store.FindMeeting(ctx, r.MeetingID)
	switch {
	case err == nil && m.AccountID != "":
		return m.AccountID, nil
	case err != nil && !errors.Is(err, store.ErrNotFound):
		return "", unavailable(err)
	}
	if acct := s.Zoom.AccountID(); acct != "" {
		return acct, nil
	}
	return "", &Error{Status: http.StatusBadRequest, Code: ErrCodeAccountNeeded,
		Detail: "cohost has not heard of meeting " + r.MeetingID + " and serves several Zoom accounts: name the meeting's account (account_id)"}
}

func (s *Service) zoom(accountID string) *zoomclient.Client {
	if accountID == "" || accountID == s.Zoom.AccountID() {
		return s.Zoom
	}
	return s.Zoom.Account(accountID)
}

// recordMeeting makes sure the ledger knows the meeting, so the admin API
// and the panel can show it before any webhook about it arrives.
func (s *Service) recordMeeting(ctx context.Context, acct, meetingID string, zm *zoomclient.Meeting) error {
	return s.Store.InTx(ctx, func(tx store.Tx) error {
		m, err := tx.LockMeeting(ctx, acct, meetingID)
		if err != nil {
			return err
		}
		if m.Status != "" && m.HostID != "" {
			return nil // webhooks keep it current
		}
		m.AccountID, m.ID = acct, meetingID
		if m.Status == "" {
			m.Status = grant.MeetingScheduled
		}
		if m.HostID == "" {
			m.HostID = zm.HostID
		}
		if m.HostEmail == "" {
			m.HostEmail = zm.HostEmail
		}
		if m.Topic == "" {
			m.Topic = zm.Topic
		}
		if m.StartTime.IsZero() && zm.StartTime != nil {
			m.StartTime = zm.StartTime.Time
		}
		return tx.SaveMeeting(ctx, m)
	})
}

// newSecret returns a link secret (256 random bits, base64url) and the hex
// SHA-256 that the store keeps.
func newSecret() (secret, hash string, err error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", "", fmt.Errorf("hostclient: random: %w", err)
	}
	secret = base64.RawURLEncoding.EncodeToString(b[:])
	return secret, hashSecret(secret), nil
}

func hashSecret(secret string) string {
	h := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(h[:])
}

// Authenticate checks a page request's bearer secret for the meeting in its
// URL. The secret is looked up by its hash: a guess costs a database read,
// and the comparison leaks nothing about a stored secret.
func (s *Service) Authenticate(ctx context.Context, secret, meetingID string) (store.HostLink, error) {
	if secret == "" {
		return store.HostLink{}, &Error{Status: http.StatusUnauthorized, Code: api.HostErrLinkMissing,
			Detail: "this request carries no host link; open the host link you were given"}
	}
	if len(secret) != 43 || strings.Trim(secret, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") != "" {
		return store.HostLink{}, &Error{Status: http.StatusUnauthorized, Code: api.HostErrLinkInvalid, Detail: "this is not a host link cohost issued"}
	}
	l, err := s.Store.HostLinkByHash(ctx, hashSecret(secret))
	switch {
	case errors.Is(err, store.ErrNotFound):
		return l, &Error{Status: http.StatusUnauthorized, Code: api.HostErrLinkInvalid, Detail: "this is not a host link cohost issued (or it was altered)"}
	case err != nil:
		return l, unavailable(err)
	case l.MeetingID != meetingID:
		return l, &Error{Status: http.StatusForbidden, Code: api.HostErrLinkOtherMeeting, Detail: "this host link is for another meeting"}
	case !l.RevokedAt.IsZero():
		return l, &Error{Status: http.StatusUnauthorized, Code: api.HostErrLinkRevoked, Detail: "this host link was revoked; ask for a new one"}
	case !s.now().Before(l.ExpiresAt):
		return l, &Error{Status: http.StatusUnauthorized, Code: api.HostErrLinkExpired, Detail: "this host link has expired; ask for a new one"}
	}
	return l, nil
}

// Start hands the page what it needs to start the meeting as its host and
// makes this page load the one that runs it (a reload, or a second tab,
// takes over; the other stops at its next sync).
func (s *Service) Start(ctx context.Context, l store.HostLink) (api.HostStartResponse, error) {
	number, err := meetingNumber(l.MeetingID)
	if err != nil {
		return api.HostStartResponse{}, err
	}
	zc := s.zoom(l.AccountID)
	zm, _, err := zc.Meetings.Get(ctx, number)
	if err != nil {
		return api.HostStartResponse{}, zoomError("reading the meeting from Zoom", err, &Error{Status: http.StatusGone, Code: api.HostErrMeetingOver,
			Detail: "Zoom no longer knows this meeting (it was deleted, or it ended and cannot start again)"})
	}
	zak, _, err := zc.Users.ZAK(ctx, zm.HostID)
	if err != nil {
		return api.HostStartResponse{}, zoomError("getting the host's ZAK", err, nil)
	}
	now := s.now()
	sig, err := meetingsdk.Signature(s.SDKKey, s.SDKSecret, number, api.SDKRoleHost, now)
	if err != nil {
		return api.HostStartResponse{}, &Error{Status: http.StatusInternalServerError, Code: "internal", Detail: "the Meeting SDK signature could not be made; cohostd's log has the cause", Err: err}
	}
	name := s.hostName(ctx, zc, zm)
	session := grant.NewID()
	m, err := s.Store.GetMeeting(ctx, l.AccountID, l.MeetingID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return api.HostStartResponse{}, unavailable(err)
	}
	err = s.Store.InTx(ctx, func(tx store.Tx) error {
		p, err := tx.LockHostPage(ctx, l.AccountID, l.MeetingID)
		if err != nil {
			return err
		}
		p.SessionID, p.ClaimedAt, p.SeenAt, p.Connection = session, now, now, api.HostConnJoining
		if !p.EndedAt.IsZero() {
			// A call left from a meeting that ended is not this one's.
			p.InflightCall, p.InflightKey, p.InflightUntil = "", "", time.Time{}
		}
		p.EndedAt = time.Time{}
		if m.Live() {
			p.MeetingUUID = m.UUID
		}
		return tx.SaveHostPage(ctx, p)
	})
	if err != nil {
		return api.HostStartResponse{}, unavailable(err)
	}
	s.log().InfoContext(ctx, "host page started", "account_id", l.AccountID, "meeting_id", l.MeetingID, "session", session)
	return api.HostStartResponse{
		MeetingID: l.MeetingID, MeetingNumber: number, Password: zm.Password, Topic: zm.Topic,
		UserName: name, UserEmail: zm.HostEmail, ZAK: zak, Signature: sig, SessionID: session,
		ExpiresAt: l.ExpiresAt.UTC().Format(time.RFC3339), SyncMS: 1000,
	}, nil
}

// hostName is the name the host joins with: their Zoom display name, or
// their email's local part when cohost may not read users (the scope
// user:read:user:admin is optional for the host client).
func (s *Service) hostName(ctx context.Context, zc *zoomclient.Client, zm *zoomclient.Meeting) string {
	if u, _, err := zc.Users.Get(ctx, zm.HostID); err == nil {
		if n := strings.TrimSpace(u.FirstName + " " + u.LastName); n != "" {
			return n
		}
	} else {
		s.log().InfoContext(ctx, "host page: the host's name could not be read; joining with their email's name", "host_id", zm.HostID, "error", err.Error())
	}
	if local, _, ok := strings.Cut(zm.HostEmail, "@"); ok && local != "" {
		return local
	}
	return "Host"
}

func meetingNumber(id string) (int64, error) {
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil || n <= 0 || len(id) > 20 {
		return 0, &Error{Status: http.StatusBadRequest, Code: ErrCodeInvalidMeeting,
			Detail: "the meeting id must be the numeric Zoom meeting id (the digits of the join URL)"}
	}
	return n, nil
}

func unavailable(err error) error {
	return &Error{Status: http.StatusServiceUnavailable, Code: api.HostErrUnavailable, Detail: "cohost's database cannot be reached; retry shortly", Err: err}
}

// zoomError turns a Zoom failure into an *Error; notFound, when set, is the
// answer to Zoom's 404.
func zoomError(what string, err error, notFound *Error) error {
	if api404, ok := errors.AsType[*zoomclient.APIError](err); ok {
		switch {
		case api404.Status == http.StatusNotFound && notFound != nil:
			notFound.Err = err
			return notFound
		case api404.Status == http.StatusUnauthorized || api404.Status == http.StatusForbidden:
			return &Error{Status: http.StatusBadGateway, Code: api.HostErrZoom,
				Detail: fmt.Sprintf("%s: Zoom refused the app's access (%d, code %d): check the app's scopes (docs/zoom-setup.md)", what, api404.Status, api404.Code), Err: err}
		}
		return &Error{Status: http.StatusBadGateway, Code: api.HostErrZoom,
			Detail: fmt.Sprintf("%s: Zoom answered %d (code %d: %s)", what, api404.Status, api404.Code, api404.Message), Err: err}
	}
	if _, ok := errors.AsType[*zoomclient.RateLimitError](err); ok {
		return &Error{Status: http.StatusServiceUnavailable, Code: api.HostErrZoom, Detail: what + ": Zoom's rate limit is reached; retry in a minute", Err: err}
	}
	return &Error{Status: http.StatusBadGateway, Code: api.HostErrZoom, Detail: what + ": Zoom could not be reached; retry shortly", Err: err}
}

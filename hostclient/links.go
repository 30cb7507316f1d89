package hostclient

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/cohost-dev/cohost/api"
	"github.com/cohost-dev/cohost/failure"
	"github.com/cohost-dev/cohost/grant"
	"github.com/cohost-dev/cohost/zoomclient"
)

// LinkRecord is one minted host link as the store keeps it: only the hash
// of its secret.
type LinkRecord struct {
	TokenHash string
	AccountID string
	MeetingID string
	CreatedAt time.Time
	ExpiresAt time.Time
	// RevokedAt is zero while the link is good.
	RevokedAt time.Time
}

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
		return Link{}, &grant.Error{Code: api.AdminErrPublicURLUnset,
			Message: "COHOST_PUBLIC_URL is not set: host links are URLs under it; set it to the https address where browsers reach cohostd"}
	}
	number, err := MeetingNumber(r.MeetingID)
	if err != nil {
		return Link{}, err
	}
	if r.TTL < 0 || r.TTL > MaxLinkTTL {
		return Link{}, &grant.Error{Code: api.AdminErrInvalidTTL,
			Message: fmt.Sprintf("the link's lifetime must be above 0 and at most %s", MaxLinkTTL)}
	}
	acct, err := s.accountFor(ctx, r)
	if err != nil {
		return Link{}, err
	}
	zm, err := s.meeting(ctx, acct, number, true)
	if err != nil {
		return Link{}, zoomFailed("reading meeting "+r.MeetingID+" from Zoom", err, &grant.Error{Code: api.AdminErrMeetingUnknownToZoom,
			Message: "Zoom does not know meeting " + r.MeetingID + " in account " + acct + ": check the id (the digits of the join URL) and the account"})
	}
	if _, _, err := s.zoom(acct).Users.ZAK(ctx, zm.HostID); err != nil {
		return Link{}, zoomFailed("getting the host's ZAK", err, &grant.Error{Code: api.AdminErrHostNotInAccount,
			Message: "the meeting's host (" + zm.HostID + ") is not a user of Zoom account " + acct +
				"; the host page can start only meetings hosted by users of the account cohost's app is installed for"})
	}
	if err := s.recordMeeting(ctx, acct, r.MeetingID, zm); err != nil {
		return Link{}, failure.Store(err)
	}
	now := s.now()
	expires := linkExpiry(zm, now, r.TTL)
	secret, hash, err := newSecret()
	if err != nil {
		return Link{}, err
	}
	if err := s.Store.CreateHostLink(ctx, LinkRecord{TokenHash: hash, AccountID: acct, MeetingID: r.MeetingID,
		CreatedAt: now, ExpiresAt: expires}); err != nil {
		return Link{}, failure.Store(err)
	}
	s.log().InfoContext(ctx, "host link minted", "account_id", acct, "meeting_id", r.MeetingID, "expires_at", expires.UTC().Format(time.RFC3339))
	return Link{URL: strings.TrimRight(s.PublicURL, "/") + api.HostPagePath(r.MeetingID) + "#" + secret,
		MeetingID: r.MeetingID, AccountID: acct, ExpiresAt: expires}, nil
}

// RevokeLinks revokes every host link of the meeting; the page running it
// stops at its next request. It reports how many links it revoked. A
// makeCoHost in flight stays in flight until its result or its lease: a new
// page does not call for anyone before.
func (s *Service) RevokeLinks(ctx context.Context, meetingID string) (int64, error) {
	if _, err := MeetingNumber(meetingID); err != nil {
		return 0, err
	}
	m, err := s.Store.FindMeeting(ctx, meetingID)
	if errors.Is(err, grant.ErrNotFound) {
		return 0, nil // never minted: nothing to revoke
	}
	if err != nil {
		return 0, failure.Store(err)
	}
	n, err := s.Store.RevokeHostLinks(ctx, m.AccountID, meetingID, s.now())
	if err != nil {
		return 0, failure.Store(err)
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
	case err != nil && !errors.Is(err, grant.ErrNotFound):
		return "", failure.Store(err)
	}
	if acct := s.Zoom.AccountID(); acct != "" {
		return acct, nil
	}
	return "", &grant.Error{Code: api.AdminErrAccountIDRequired,
		Message: "cohost has not heard of meeting " + r.MeetingID + " and serves several Zoom accounts: name the meeting's account (account_id)"}
}

// recordMeeting makes sure the ledger knows the meeting, so the admin API
// and the panel can show it before any webhook about it arrives; webhooks
// keep a known one current.
func (s *Service) recordMeeting(ctx context.Context, acct, meetingID string, zm *zoomclient.Meeting) error {
	return s.Store.RecordMeeting(ctx, acct, meetingID, func(m *grant.Meeting) {
		if m.Status != "" && m.HostID != "" {
			return
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
			m.Topic = api.CleanText(zm.Topic, 300)
		}
		if m.StartTime.IsZero() && zm.StartTime != nil {
			m.StartTime = zm.StartTime.Time
		}
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
func (s *Service) Authenticate(ctx context.Context, secret, meetingID string) (LinkRecord, error) {
	if _, err := MeetingNumber(meetingID); err != nil {
		return LinkRecord{}, err
	}
	if secret == "" {
		return LinkRecord{}, &grant.Error{Code: api.HostErrLinkMissing,
			Message: "this request carries no host link; open the host link you were given"}
	}
	if len(secret) != 43 || strings.Trim(secret, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") != "" {
		return LinkRecord{}, &grant.Error{Code: api.HostErrLinkInvalid, Message: "this is not a host link cohost issued"}
	}
	l, err := s.Store.HostLinkByHash(ctx, hashSecret(secret))
	switch {
	case errors.Is(err, grant.ErrNotFound):
		return l, &grant.Error{Code: api.HostErrLinkInvalid, Message: "this is not a host link cohost issued (or it was altered)"}
	case err != nil:
		return l, failure.Store(err)
	case l.MeetingID != meetingID:
		return l, &grant.Error{Code: api.HostErrLinkOtherMeeting, Message: "this host link is for another meeting"}
	case !l.RevokedAt.IsZero():
		return l, &grant.Error{Code: api.HostErrLinkRevoked, Message: "this host link was revoked; ask for a new one"}
	case !s.now().Before(l.ExpiresAt):
		return l, &grant.Error{Code: api.HostErrLinkExpired, Message: "this host link has expired; ask for a new one"}
	}
	return l, nil
}

// MeetingNumber is the number of a meeting id in its one canonical form,
// Zoom's: digits without a leading zero. Any other spelling of the same
// number is refused rather than read, so that a link, its revocation and
// the ledger can never name one meeting in two ways.
func MeetingNumber(id string) (int64, error) {
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil || n <= 0 || strconv.FormatInt(n, 10) != id {
		return 0, &grant.Error{Code: api.AdminErrInvalidMeetingID,
			Message: "the meeting id must be the numeric Zoom meeting id as Zoom writes it: the digits of the join URL, without spaces or leading zeros"}
	}
	return n, nil
}

// zoomFailed is a Zoom failure met while doing what, as the host client
// answers it: Zoom's own words (the one mapping, package failure) under code
// zoom_failed; notFound, when set, when Zoom does not know the thing; a rate
// limit as such, with its wait.
func zoomFailed(what string, err error, notFound *grant.Error) error {
	ge, _ := errors.AsType[*grant.Error](failure.Zoom(what, err))
	switch {
	case ge.Code == grant.ENOTFOUND && notFound != nil:
		notFound.Reason, notFound.Err = ge.Reason, err
		if ae, ok := errors.AsType[*zoomclient.APIError](err); ok {
			notFound.Message += " (Zoom answered " + failure.ZoomSaid(ae) + ")"
		}
		return notFound
	case ge.Code == grant.ERATELIMITED:
		return ge
	}
	return &grant.Error{Code: api.HostErrZoom, Reason: ge.Reason, Message: ge.Message, Err: err}
}

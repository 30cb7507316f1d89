// Package hostclient is the host client, cohost's route to the real co-host
// role: the meeting's host runs the meeting from cohost's host page, which
// embeds Zoom's Web Meeting SDK and calls makeCoHost for the joiners cohostd
// picks. The package owns the whole feature: host links (links.go), starting
// the page as host (start.go), the page's syncs and the decision of who is
// promoted next (sync.go, in steps: match.go, classify.go, pace.go,
// describe.go), the host-client granter the grant jobs run (granter.go), and
// its records (page.go). It declares the store it needs (Store); package
// store implements it. docs/host-client.md explains the feature;
// api/hostpage.go holds the protocol's bodies.
//
// Every decision of a sync is made under the meeting's page row lock, in one
// transaction, so the page may reach any replica, a reload carries on where
// the last page load stopped, and one makeCoHost at most is in flight per
// meeting. The page never decides who is promoted: what it reports is
// evidence of what the SDK shows, nothing more.
package hostclient

import (
	"context"
	"log/slog"
	"time"

	"github.com/cohost-dev/cohost/grant"
	"github.com/cohost-dev/cohost/metrics"
	"github.com/cohost-dev/cohost/zoomclient"
)

// GranterName is the host client's name in COHOST_GRANTERS and in the
// ledger.
const GranterName = "host-client"

// Defaults and bounds.
const (
	// DefaultInterval is the least time between two makeCoHost calls of one
	// meeting. Zoom documents "@RateLimit 2s" for the Client View's
	// makeCoHost and no figure for Component View, whose call resolves only
	// once the role shows; one second keeps a storm moving without hammering.
	DefaultInterval = time.Second
	// DefaultWait is how long a grant waits for a host page to run the
	// meeting (from the join, or from the page's last report, whichever is
	// later) before the next granter serves the joiner.
	DefaultWait = 30 * time.Second
	// DefaultGiveUpAfter bounds how long the page keeps trying one joiner.
	DefaultGiveUpAfter = 2 * time.Minute
	// MaxLinkTTL bounds a host link's life: it is a host credential.
	MaxLinkTTL = 24 * time.Hour
	// linkAfterEnd is how long a link stays good after the meeting's
	// scheduled end by default.
	linkAfterEnd = 3 * time.Hour
	// StaleAfter is how long after its last report a page counts as gone (a
	// closed tab, a lost network). The page reports at least every second
	// while it runs.
	StaleAfter = 10 * time.Second
	// CallLease is how long a makeCoHost call counts as in flight. The SDK
	// gives up on its own after 10 s (OPERATION_TIMEOUT); a call whose page
	// vanished (a reload, a closed tab) is presumed lost after this, and
	// only then is another call issued.
	CallLease = 15 * time.Second
	// maxRoster bounds a sync's roster; Zoom meetings hold at most 1,000
	// participants.
	maxRoster = 1000
	// maxRosterOnly bounds the promotion rows kept for roster entries
	// Zoom's join event has not named yet, per meeting instance: a page
	// that reports made-up entries cannot grow the table.
	maxRosterOnly = 100
	// StartWindow and maxStarts limit how often a meeting's page may start
	// (each start asks Zoom for the host's ZAK): a reload loop or a leaked
	// link cannot spend the account's rate limits.
	StartWindow = time.Minute
	maxStarts   = 10
	// meetingCacheTTL is how long a start reuses what Zoom said of the
	// meeting and its host's name.
	meetingCacheTTL = 10 * time.Minute
)

// Backoff bounds of a participant whose last call failed.
const (
	minBackoff = time.Second
	maxBackoff = 30 * time.Second
)

// Service is the host client.
type Service struct {
	Store Store
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
	// Wait is how long a grant waits for a host page (COHOST_HOST_PAGE_WAIT);
	// default DefaultWait.
	Wait time.Duration
	// GiveUpAfter is COHOST_GRANT_GIVE_UP_AFTER; default DefaultGiveUpAfter.
	GiveUpAfter time.Duration
	// Next is the granter after host-client in COHOST_GRANTERS, which serves
	// a joiner when no page runs the meeting ("" when none: the grant fails).
	Next    string
	Metrics *metrics.Metrics
	Logger  *slog.Logger
	// Now is the clock; default time.Now.
	Now func() time.Time

	meetings meetingCache
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

func (s *Service) wait() time.Duration {
	if s.Wait > 0 {
		return s.Wait
	}
	return DefaultWait
}

func (s *Service) giveUpAfter() time.Duration {
	if s.GiveUpAfter > 0 {
		return s.GiveUpAfter
	}
	return DefaultGiveUpAfter
}

func (s *Service) zoom(accountID string) *zoomclient.Client {
	if accountID == "" || accountID == s.Zoom.AccountID() {
		return s.Zoom
	}
	return s.Zoom.Account(accountID)
}

// Store is what the host client needs of cohost's database. Lookups of a
// missing row return an error wrapping grant.ErrNotFound; a database out of
// reach, one wrapping grant.ErrUnavailable.
type Store interface {
	CreateHostLink(ctx context.Context, l LinkRecord) error
	HostLinkByHash(ctx context.Context, hash string) (LinkRecord, error)
	// RevokeHostLinks revokes every link of the meeting and releases its
	// page (the page load that holds it stops at its next report). The call
	// in flight stays in flight until its result or its lease.
	RevokeHostLinks(ctx context.Context, accountID, meetingID string, at time.Time) (int64, error)

	GetMeeting(ctx context.Context, accountID, meetingID string) (grant.Meeting, error)
	FindMeeting(ctx context.Context, meetingID string) (grant.Meeting, error)
	// RecordMeeting creates or updates the meeting's ledger record under
	// its lock: fn changes it, and the store saves it.
	RecordMeeting(ctx context.Context, accountID, meetingID string, fn func(*grant.Meeting)) error

	// HostPage reads the meeting's page; a meeting no page ever ran reads
	// as an empty Page with the ids asked for.
	HostPage(ctx context.Context, accountID, meetingID string) (Page, error)
	// UpdateHostPage changes the meeting's page under its lock: fn changes
	// it (an error keeps it as it was), and the store saves it.
	UpdateHostPage(ctx context.Context, accountID, meetingID string, fn func(*Page) error) error
	// UpdateHostMeeting runs one decision under the page's lock, in one
	// transaction: it loads the meeting, the page, the ledger of the
	// instance the page works on (Page.InstanceFor) and its promotions,
	// calls fn, then saves the page, the promotions fn saved and the
	// ledger participants fn credited. It returns the participants whose
	// credit changed the ledger.
	UpdateHostMeeting(ctx context.Context, accountID, meetingID string, fn func(*MeetingState) error) ([]Credited, error)
	// EndHostPage marks the meeting's page ended (the page stops at its
	// next report) and drops the promotions of the instance that ended.
	// The call in flight is kept: its result, if the page still sends it,
	// says who made that participant co-host.
	EndHostPage(ctx context.Context, accountID, meetingID, meetingUUID string, at time.Time) error
	// HostPromotions lists a meeting instance's promotions.
	HostPromotions(ctx context.Context, meetingUUID string) ([]Promotion, error)
}

// MeetingState is what one decision of the host client reads and writes
// (Store.UpdateHostMeeting).
type MeetingState struct {
	Meeting grant.Meeting
	Page    Page
	// Ledger is the instance's participants, in join order (empty while
	// the instance is not known).
	Ledger []grant.Participant
	// Promotions are the instance's, by match key.
	Promotions map[string]Promotion

	saves   map[string]Promotion
	credits []Credit
}

// Save asks the store to write p (insert or replace).
func (st *MeetingState) Save(p Promotion) {
	if st.Promotions == nil {
		st.Promotions = map[string]Promotion{}
	}
	if st.saves == nil {
		st.saves = map[string]Promotion{}
	}
	st.Promotions[p.MatchKey] = p
	st.saves[p.MatchKey] = p
}

// Saves are the promotions to write, in match key order.
func (st *MeetingState) Saves() []Promotion {
	out := make([]Promotion, 0, len(st.saves))
	for _, p := range st.saves {
		out = append(out, p)
	}
	sortPromotions(out)
	return out
}

// Credit asks the store to apply c to a ledger participant under its lock.
func (st *MeetingState) Credit(c Credit) { st.credits = append(st.credits, c) }

// Credits are the ledger changes asked for, in order.
func (st *MeetingState) Credits() []Credit { return st.credits }

// Credit is a change of a ledger participant the host client asks for: the
// participant's key and the rule to apply to the row as it is under its
// lock.
type Credit struct {
	Key   string
	Apply func(grant.Participant) (grant.Participant, bool)
}

// Credited is a ledger participant a Credit changed: as it was and as it is.
type Credited struct {
	Before, After grant.Participant
}

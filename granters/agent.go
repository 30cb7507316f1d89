package granters

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/cohost-dev/cohost/api"
	"github.com/cohost-dev/cohost/grant"
	"github.com/cohost-dev/cohost/zoomclient"
)

// Agent grants the real co-host role through the co-host agent (design
// section 5): a Meeting SDK app that sits in the meeting as its host and
// calls AssignCoHost. cohostd gives it the host's ZAK and a Meeting SDK
// signature so it can join as host.
type Agent struct {
	// BaseURL is COHOST_AGENT_URL.
	BaseURL string
	// Secret signs the bearer JWT of every request (COHOST_AGENT_SECRET).
	Secret []byte
	// SDKKey and SDKSecret sign the Meeting SDK signature.
	SDKKey, SDKSecret string
	// DisplayName is the name the agent joins with.
	DisplayName string
	Zoom        *zoomclient.Client
	HTTP        *http.Client
	Logger      *slog.Logger
	// PerMeeting bounds concurrent co-host calls per meeting in this process,
	// so a storm of joins does not flood the agent. Default 8.
	PerMeeting int
	// RetryDelay, when set, is how soon a participant the agent cannot see
	// yet, or a session still joining, is retried. By default the delay grows
	// with the time since the join: a quarter of it, between 100 ms and 5 s,
	// so the common case (visible within a second) is fast and a participant
	// who never shows up costs few calls.
	RetryDelay time.Duration

	mu    sync.Mutex
	slots map[string]chan struct{}
}

// Name implements grant.Granter.
func (a *Agent) Name() string { return "agent" }

func (a *Agent) retryDelay(p grant.Participant) time.Duration {
	if a.RetryDelay > 0 {
		return a.RetryDelay
	}
	if p.JoinSeenAt.IsZero() {
		return 250 * time.Millisecond
	}
	return min(max(time.Since(p.JoinSeenAt)/4, 100*time.Millisecond), 5*time.Second)
}

// Prepare opens (or keeps) the agent's session in the meeting.
func (a *Agent) Prepare(ctx context.Context, m grant.Meeting) error {
	_, err := a.openSession(ctx, m)
	return err
}

// Grant asks the agent to make the participant co-host.
func (a *Agent) Grant(ctx context.Context, m grant.Meeting, p grant.Participant) (grant.Outcome, error) {
	release, err := a.acquire(ctx, m.ID)
	if err != nil {
		return grant.Outcome{}, &grant.Error{Code: grant.EUNAVAILABLE, Message: "waiting for a slot", Err: err}
	}
	defer release()
	meetingID, err := strconv.ParseInt(m.ID, 10, 64)
	if err != nil {
		return grant.Outcome{}, grant.Errorf(grant.EINVALID, "meeting id %q is not numeric", m.ID)
	}
	body := api.AgentCoHostRequest{ParticipantUUID: p.Key, UserID: p.UserID, UserName: p.Name, Email: p.Email}
	if p.Key == p.UserID {
		body.ParticipantUUID = ""
	}
	for try := 0; ; try++ {
		status, code, retryAfter, err := a.call(ctx, http.MethodPut, api.AgentCoHostPath(meetingID, p.Key), body)
		if err != nil {
			return grant.Outcome{}, &grant.Error{Code: grant.EUNAVAILABLE, Message: "agent unreachable", Err: err}
		}
		switch {
		case status == http.StatusOK:
			return grant.Outcome{State: grant.StateGranted, AwaitConfirmation: true}, nil
		case status == http.StatusNotFound && code == api.AgentErrNoSession && try == 0:
			// The agent is not in the meeting (restarted, or the joiner came
			// before the lead time): open the session, then retry once.
			joined, err := a.openSession(ctx, m)
			if err != nil {
				return grant.Outcome{}, err
			}
			if !joined {
				return grant.Outcome{}, &grant.Error{Code: grant.EUNAVAILABLE, Message: "agent joining the meeting", RetryAfter: a.retryDelay(p)}
			}
			continue
		case status == http.StatusNotFound && code == api.AgentErrNoSession:
			return grant.Outcome{}, &grant.Error{Code: grant.EUNAVAILABLE, Message: "agent joining the meeting", RetryAfter: a.retryDelay(p)}
		case status == http.StatusConflict:
			return grant.Outcome{}, &grant.Error{Code: grant.EUNAVAILABLE, Message: grant.ReasonNotVisible, RetryAfter: a.retryDelay(p)}
		case status == http.StatusTooManyRequests:
			return grant.Outcome{}, &grant.Error{Code: grant.ERATELIMITED, Message: "agent rate limit", RetryAfter: retryAfter}
		case status >= 500:
			return grant.Outcome{}, &grant.Error{Code: grant.EUNAVAILABLE, Message: fmt.Sprintf("agent answered %d", status)}
		default:
			return grant.Outcome{}, &grant.Error{Code: grant.EREJECTED, Message: fmt.Sprintf("%s: agent answered %d %s", grant.ReasonAgentRejected, status, code)}
		}
	}
}

// Finish makes the agent leave the meeting.
func (a *Agent) Finish(ctx context.Context, m grant.Meeting) error {
	meetingID, err := strconv.ParseInt(m.ID, 10, 64)
	if err != nil {
		return nil
	}
	status, _, retryAfter, err := a.call(ctx, http.MethodDelete, api.AgentSessionPath(meetingID), nil)
	switch {
	case err != nil:
		return &grant.Error{Code: grant.EUNAVAILABLE, Message: "agent unreachable", Err: err}
	case status == http.StatusNoContent || status == http.StatusOK || status == http.StatusNotFound:
		return nil
	case status == http.StatusTooManyRequests:
		return &grant.Error{Code: grant.ERATELIMITED, Message: "agent rate limit", RetryAfter: retryAfter}
	case status >= 500:
		return &grant.Error{Code: grant.EUNAVAILABLE, Message: fmt.Sprintf("agent answered %d", status)}
	}
	return grant.Errorf(grant.EREJECTED, "agent answered %d to leaving the meeting", status)
}

// openSession asks the agent to join the meeting as its host. It reports
// whether the agent is in the meeting (200/201) rather than still joining (202).
func (a *Agent) openSession(ctx context.Context, m grant.Meeting) (bool, error) {
	meetingID, err := strconv.ParseInt(m.ID, 10, 64)
	if err != nil {
		return false, grant.Errorf(grant.EINVALID, "meeting id %q is not numeric", m.ID)
	}
	zc := a.Zoom.Account(m.AccountID)
	zm, _, err := zc.Meetings.Get(ctx, meetingID)
	if err != nil {
		return false, zoomFailure("get meeting", err)
	}
	hostID := zm.HostID
	if hostID == "" {
		hostID = m.HostID
	}
	zak, _, err := zc.Users.ZAK(ctx, hostID)
	if err != nil {
		return false, zoomFailure("get the host's ZAK", err)
	}
	sig, err := MeetingSDKSignature(a.SDKKey, a.SDKSecret, meetingID, time.Now())
	if err != nil {
		return false, grant.Errorf(grant.EINTERNAL, "sign the Meeting SDK signature: %v", err)
	}
	uuid := m.UUID
	if uuid == "" {
		uuid = zm.UUID
	}
	status, code, retryAfter, err := a.call(ctx, http.MethodPut, api.AgentSessionPath(meetingID), api.AgentSessionRequest{
		MeetingNumber: strconv.FormatInt(meetingID, 10), MeetingUUID: uuid, Password: zm.Password,
		ZAK: zak, Signature: sig, DisplayName: a.DisplayName,
	})
	switch {
	case err != nil:
		return false, &grant.Error{Code: grant.EUNAVAILABLE, Message: "agent unreachable", Err: err}
	case status == http.StatusOK || status == http.StatusCreated:
		return true, nil
	case status == http.StatusAccepted:
		return false, nil
	case status == http.StatusTooManyRequests:
		return false, &grant.Error{Code: grant.ERATELIMITED, Message: "agent rate limit", RetryAfter: retryAfter}
	case status >= 500:
		return false, &grant.Error{Code: grant.EUNAVAILABLE, Message: fmt.Sprintf("agent answered %d to opening the session", status)}
	}
	return false, grant.Errorf(grant.EREJECTED, "%s: agent refused the session: %d %s", grant.ReasonAgentRejected, status, code)
}

// call sends one request to the agent with a fresh bearer JWT.
func (a *Agent) call(ctx context.Context, method, path string, body any) (status int, code api.AgentErrorCode, retryAfter time.Duration, err error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, "", 0, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, a.BaseURL+path, rd)
	if err != nil {
		return 0, "", 0, err
	}
	token, err := AgentToken(a.Secret, time.Now())
	if err != nil {
		return 0, "", 0, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	client := a.HTTP
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, "", 0, fmt.Errorf("%s %s: %w", method, path, scrubURLError(err))
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode >= 300 {
		var e api.AgentError
		_ = json.Unmarshal(b, &e)
		code = e.Error
	}
	if resp.StatusCode == http.StatusTooManyRequests {
		retryAfter = time.Second
		if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && s >= 0 {
			retryAfter = min(time.Duration(s)*time.Second, 5*time.Minute)
		}
	}
	return resp.StatusCode, code, retryAfter, nil
}

// acquire takes one of the meeting's concurrency slots.
func (a *Agent) acquire(ctx context.Context, meetingID string) (func(), error) {
	a.mu.Lock()
	if a.slots == nil {
		a.slots = map[string]chan struct{}{}
	}
	ch, ok := a.slots[meetingID]
	if !ok {
		n := a.PerMeeting
		if n <= 0 {
			n = 8
		}
		ch = make(chan struct{}, n)
		a.slots[meetingID] = ch
	}
	a.mu.Unlock()
	select {
	case ch <- struct{}{}:
		return func() { <-ch }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// AgentToken mints the bearer JWT of the agent contract: HS256, iss cohostd,
// aud cohost-agent, a fresh jti, valid for less than 60 s.
func AgentToken(secret []byte, now time.Time) (string, error) {
	claims := jwt.RegisteredClaims{
		Issuer:    api.AgentJWTIssuer,
		Audience:  jwt.ClaimStrings{api.AgentJWTAudience},
		IssuedAt:  jwt.NewNumericDate(now),
		ExpiresAt: jwt.NewNumericDate(now.Add(55 * time.Second)),
		ID:        grant.NewID(),
	}
	return jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(secret)
}

// MeetingSDKSignature mints the Meeting SDK JWT that lets the agent start the
// meeting as host (role 1, with the host's ZAK): HS256 with the SDK secret,
// appKey and sdkKey, mn, role, iat, exp and tokenExp two hours after iat
// (Zoom accepts 30 min to 48 h).
func MeetingSDKSignature(sdkKey, sdkSecret string, meetingNumber int64, now time.Time) (string, error) {
	iat := now.Add(-30 * time.Second).Unix() // tolerate clock skew, as Zoom's sample does
	exp := iat + 2*60*60
	claims := jwt.MapClaims{
		"appKey":   sdkKey,
		"sdkKey":   sdkKey,
		"mn":       meetingNumber,
		"role":     api.SDKRoleHost,
		"iat":      iat,
		"exp":      exp,
		"tokenExp": exp,
	}
	return jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString([]byte(sdkSecret))
}

// scrubURLError drops the URL from a transport error: the agent URL may carry
// credentials in its userinfo.
func scrubURLError(err error) error {
	type unwrapper interface{ Unwrap() error }
	if u, ok := err.(unwrapper); ok && u.Unwrap() != nil {
		return u.Unwrap()
	}
	return err
}

var _ grant.Granter = (*Agent)(nil)

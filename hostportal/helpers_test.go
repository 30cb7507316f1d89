package hostportal_test

import (
	"context"
	"errors"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cohost-dev/cohost/hostclient"
	"github.com/cohost-dev/cohost/hostportal"
	"github.com/cohost-dev/cohost/internal/testdb"
	"github.com/cohost-dev/cohost/store"
	"github.com/cohost-dev/cohost/zoomclient"
	"github.com/cohost-dev/cohost/zoomsim"
)

const callbackURL = "https://cohost.example.com/host/signin/callback"

// env is the portal over a real store, the real host client and the real
// Zoom client, talking to the simulator over HTTP.
type env struct {
	t      *testing.T
	sim    *zoomsim.Sim
	srv    *httptest.Server
	st     *store.Store
	portal *hostportal.Portal
	hosts  *hostclient.Service
	acct   zoomsim.Account
	host   zoomsim.User

	mu  sync.Mutex
	now time.Time
}

func (e *env) clock() time.Time {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.now
}

func (e *env) advance(d time.Duration) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.now = e.now.Add(d)
}

func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{t: t, now: time.Now().UTC()}
	e.sim = zoomsim.New(zoomsim.Config{Seed: 5, Clock: simClock{e}})
	e.srv = httptest.NewServer(e.sim.Handler())
	t.Cleanup(func() {
		e.srv.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = e.sim.Close(ctx)
	})
	var err error
	if e.acct, e.host, err = e.sim.AddDefaultAccount("acct-portal"); err != nil {
		t.Fatal(err)
	}
	zc, err := zoomclient.New(zoomclient.Config{AccountID: e.acct.ID, ClientID: e.acct.ClientID, ClientSecret: e.acct.ClientSecret,
		APIURL: e.srv.URL + "/v2", OAuthURL: e.srv.URL, RateLimits: zoomclient.RateLimits{Light: -1, Medium: -1, Heavy: -1}})
	if err != nil {
		t.Fatal(err)
	}
	cfg := e.sim.Config()
	signIn, err := zc.SignIn(zoomclient.SignInConfig{ClientID: cfg.SignInClientID, ClientSecret: cfg.SignInClientSecret, RedirectURL: callbackURL})
	if err != nil {
		t.Fatal(err)
	}
	if e.st, err = store.Open(context.Background(), testdb.URL(t, "sqlite"), store.Options{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.st.Close)
	e.hosts = &hostclient.Service{Store: e.st, Zoom: zc, PublicURL: "https://cohost.example.com", SDKKey: cfg.SDKKey,
		SDKSecret: cfg.SDKSecret, Now: e.clock}
	e.portal = &hostportal.Portal{SignIn: signIn, StateKey: hostportal.StateKeyFrom(cfg.SignInClientSecret), Store: e.st, Zoom: zc,
		Accounts: hostportal.OneAccount(e.acct.ID), Links: e.hosts, Now: e.clock}
	return e
}

// simClock is the simulator's clock, the env's: codes expire with it.
type simClock struct{ e *env }

func (c simClock) Now() time.Time { return c.e.clock() }
func (c simClock) AfterFunc(d time.Duration, f func()) zoomsim.Timer {
	return zoomsim.RealClock{}.AfterFunc(d, f)
}

var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// authorize is the browser at Zoom: it opens the sign-in page and picks the
// user with email; it returns what Zoom's redirect to the callback carries.
func (e *env) authorize(authorizeURL, email string) hostportal.Callback {
	e.t.Helper()
	resp, err := noRedirect.Get(authorizeURL)
	if err != nil {
		e.t.Fatal(err)
	}
	var page strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := resp.Body.Read(buf)
		page.WriteString(string(buf[:n]))
		if err != nil {
			break
		}
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		e.t.Fatalf("Zoom's sign-in page: %d %s", resp.StatusCode, page.String())
	}
	forms := regexp.MustCompile(`(?s)<form method="post" action="([^"]+)">(.*?)</form>`).FindAllStringSubmatch(page.String(), -1)
	field := regexp.MustCompile(`name="([a-z_]+)" value="([^"]*)"`)
	for _, f := range forms {
		if !strings.Contains(f[2], `data-email="`+email+`"`) {
			continue
		}
		form := url.Values{}
		for _, m := range field.FindAllStringSubmatch(f[2], -1) {
			form.Set(m[1], html.UnescapeString(m[2]))
		}
		resp, err := noRedirect.PostForm(e.srv.URL+html.UnescapeString(f[1]), form)
		if err != nil {
			e.t.Fatal(err)
		}
		resp.Body.Close()
		loc, err := url.Parse(resp.Header.Get("Location"))
		if err != nil || !strings.HasPrefix(loc.String(), callbackURL+"?") {
			e.t.Fatalf("Zoom's redirect %d %q", resp.StatusCode, resp.Header.Get("Location"))
		}
		q := loc.Query()
		return hostportal.Callback{State: q.Get("state"), Code: q.Get("code"), Error: q.Get("error")}
	}
	e.t.Fatalf("Zoom's sign-in page offers no %s", email)
	return hostportal.Callback{}
}

// signIn signs the user with email in, start to finish.
func (e *env) signIn(email string) hostportal.Session {
	e.t.Helper()
	start, err := e.portal.BeginSignIn(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	s, err := e.portal.FinishSignIn(context.Background(), e.authorize(start.AuthorizeURL, email), start.Browser)
	if err != nil {
		e.t.Fatalf("FinishSignIn: %v", err)
	}
	return s
}

// code returns err's portal code, or "" when it is not an *Error.
func code(err error) hostportal.Code {
	var pe *hostportal.Error
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

// zoomclientTokenRecord is a stored token of an installed account.
func zoomclientTokenRecord(acct string) zoomclient.TokenRecord {
	return zoomclient.TokenRecord{AccountID: acct, AccessToken: []byte("sealed"), RefreshToken: []byte("sealed"), TokenType: "bearer",
		Expiry: time.Now().Add(time.Hour)}
}

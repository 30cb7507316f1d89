package zoomsim

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

const signInRedirect = "https://cohost.example/host/signin/callback"

// testVerifier is an RFC 7636 verifier (43 characters of the unreserved set).
func testVerifier(n int) string { return fmt.Sprintf("verifier-%034d", n) }

func s256(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// signInAs walks the sign-in app's authorization as a browser would: the chooser page, then the
// form of the user with email; it returns the code and the state the redirect carried.
func (h *harness) signInAs(email, state, challenge, method string) (code, gotState string) {
	h.t.Helper()
	q := url.Values{"response_type": {"code"}, "client_id": {h.sim.Config().SignInClientID}, "redirect_uri": {signInRedirect},
		"state": {state}, "code_challenge": {challenge}}
	if method != "" {
		q.Set("code_challenge_method", method)
	}
	st, hdr, page := h.do("GET", "/oauth/authorize?"+q.Encode(), "", nil)
	if st != http.StatusOK || !strings.HasPrefix(hdr.Get("Content-Type"), "text/html") {
		h.t.Fatalf("chooser: %d %s %s", st, hdr.Get("Content-Type"), page)
	}
	// The user's form: its hidden fields carry the request on.
	forms := regexp.MustCompile(`(?s)<form method="post" action="([^"]+)">(.*?)</form>`).FindAllStringSubmatch(string(page), -1)
	field := regexp.MustCompile(`name="([a-z_]+)" value="([^"]*)"`)
	for _, f := range forms {
		if !strings.Contains(f[2], `data-email="`+email+`"`) {
			continue
		}
		form := url.Values{}
		for _, m := range field.FindAllStringSubmatch(f[2], -1) {
			form.Set(m[1], html.UnescapeString(m[2]))
		}
		req, _ := http.NewRequest(http.MethodPost, h.srv.URL+html.UnescapeString(f[1]), strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := noRedirect.Do(req)
		if err != nil {
			h.t.Fatal(err)
		}
		resp.Body.Close()
		loc, err := url.Parse(resp.Header.Get("Location"))
		if resp.StatusCode != http.StatusFound || err != nil || loc.Scheme+"://"+loc.Host+loc.Path != signInRedirect {
			h.t.Fatalf("choice: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
		}
		return loc.Query().Get("code"), loc.Query().Get("state")
	}
	h.t.Fatalf("the chooser offers no %s:\n%s", email, page)
	return "", ""
}

func (h *harness) exchangeSignIn(code, verifier string) (int, map[string]any) {
	h.t.Helper()
	form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {signInRedirect}}
	if verifier != "" {
		form.Set("code_verifier", verifier)
	}
	cfg := h.sim.Config()
	return h.tokenRequest(cfg.SignInClientID, cfg.SignInClientSecret, form)
}

// The whole sign-in: the chooser offers the users of every account, the code comes back with the
// state, gives up a token only with the right verifier, and the token reads its own user and
// nothing else.
func TestSignInWithPKCE(t *testing.T) {
	h := newHarness(t, Config{}, true)
	other, err := h.sim.CreateAccount(AccountSpec{ID: "acct-2"})
	if err != nil {
		t.Fatal(err)
	}
	guest, err := h.sim.CreateUser(other.ID, UserSpec{Email: "ann@other.example", FirstName: "Ann", LastName: "Other"})
	if err != nil {
		t.Fatal(err)
	}
	m := h.startedMeeting()

	verifier := testVerifier(1)
	code, state := h.signInAs(guest.Email, "state-xyz", s256(verifier), PKCES256)
	if state != "state-xyz" || code == "" {
		t.Fatalf("code %q state %q", code, state)
	}
	st, body := h.exchangeSignIn(code, verifier)
	if st != http.StatusOK || body["scope"] != SignInScope || body["access_token"] == nil {
		t.Fatalf("exchange: %d %v", st, body)
	}
	tok := body["access_token"].(string)
	_, _, raw := h.do("GET", "/v2/users/me", tok, nil)
	if me := decodeJSON(t, raw); me["id"] != guest.ID || me["account_id"] != other.ID || me["email"] != guest.Email {
		t.Errorf("/users/me = %v, want %s of %s", me, guest.ID, other.ID)
	}
	if st, _, _ := h.do("GET", "/v2/users/"+guest.ID, tok, nil); st != http.StatusOK {
		t.Errorf("GET its own user by id: %d", st)
	}
	// user:read:user reaches nothing else: not another user, not a meeting, not a ZAK.
	for _, path := range []string{"/v2/users/" + h.host.ID, fmt.Sprintf("/v2/meetings/%d", m.ID), "/v2/users/me/token?type=zak", "/v2/users/me/meetings"} {
		st, _, raw := h.do("GET", path, tok, nil)
		if b := decodeJSON(t, raw); st != http.StatusBadRequest || b["code"] != float64(CodeScopeMissing) {
			t.Errorf("GET %s with a sign-in token: %d %s, want 400 code %d", path, st, raw, CodeScopeMissing)
		}
	}
	// The code worked once.
	if st, body := h.exchangeSignIn(code, verifier); st != http.StatusBadRequest || body["error"] != "invalid_grant" {
		t.Errorf("replayed code: %d %v", st, body)
	}
}

// A code gives up no token without its verifier: a missing or wrong verifier is Zoom's
// invalid_grant, and spends the code; so does time.
func TestSignInRefusesBadVerifiersAndOldCodes(t *testing.T) {
	h := newHarness(t, Config{}, true)
	right := testVerifier(7)
	for _, tc := range []struct {
		name, method, challenge, verifier string
		wait                              time.Duration
	}{
		{"missing verifier", PKCES256, s256(right), "", 0},
		{"wrong verifier", PKCES256, s256(right), testVerifier(8), 0},
		{"the challenge itself as verifier", PKCES256, s256(right), s256(right), 0},
		{"plain method, wrong verifier", PKCEPlain, right, testVerifier(8), 0},
		{"verifier too short", PKCEPlain, right, right[:42], 0},
		{"expired code", PKCES256, s256(right), right, 5*time.Minute + time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _ := h.signInAs(h.host.Email, "s", tc.challenge, tc.method)
			h.clock.Advance(tc.wait)
			if st, body := h.exchangeSignIn(code, tc.verifier); st != http.StatusBadRequest || body["error"] != "invalid_grant" {
				t.Fatalf("exchange: %d %v, want 400 invalid_grant", st, body)
			}
			if st, _ := h.exchangeSignIn(code, right); st != http.StatusBadRequest {
				t.Errorf("the code still worked after a refused exchange: %d", st)
			}
		})
	}
	// The plain method (Zoom's default without code_challenge_method) works with its verifier.
	code, _ := h.signInAs(h.host.Email, "s", right, "")
	if st, body := h.exchangeSignIn(code, right); st != http.StatusOK {
		t.Errorf("plain challenge: %d %v", st, body)
	}
}

func TestSignInAuthorizeRefusesBadRequests(t *testing.T) {
	h := newHarness(t, Config{}, false)
	id := h.sim.Config().SignInClientID
	for _, tc := range []struct {
		name string
		q    url.Values
	}{
		{"no response_type", url.Values{"client_id": {id}, "redirect_uri": {signInRedirect}}},
		{"bad redirect", url.Values{"response_type": {"code"}, "client_id": {id}, "redirect_uri": {"javascript:alert(1)"}}},
		{"unknown method", url.Values{"response_type": {"code"}, "client_id": {id}, "redirect_uri": {signInRedirect},
			"code_challenge": {s256(testVerifier(1))}, "code_challenge_method": {"S512"}}},
		{"short challenge", url.Values{"response_type": {"code"}, "client_id": {id}, "redirect_uri": {signInRedirect},
			"code_challenge": {"abc"}, "code_challenge_method": {"S256"}}},
		{"challenge with a quote", url.Values{"response_type": {"code"}, "client_id": {id}, "redirect_uri": {signInRedirect},
			"code_challenge": {strings.Repeat("a", 42) + `"`}, "code_challenge_method": {"plain"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if st, _, raw := h.do("GET", "/oauth/authorize?"+tc.q.Encode(), "", nil); st != http.StatusBadRequest {
				t.Errorf("status %d %s, want 400", st, raw)
			}
		})
	}
	// The chooser's form refuses what the page would not have offered.
	for _, form := range []url.Values{
		{"client_id": {id}, "redirect_uri": {signInRedirect}, "user_id": {"nobody"}},
		{"client_id": {"someone-else"}, "redirect_uri": {signInRedirect}, "user_id": {h.host.ID}},
		{"client_id": {id}, "redirect_uri": {"ftp://x"}, "user_id": {h.host.ID}},
	} {
		req, _ := http.NewRequest(http.MethodPost, h.srv.URL+signInChooserPath, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := noRedirect.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("choice %v: %d, want 400", form, resp.StatusCode)
		}
	}
}

func TestVerifyPKCE(t *testing.T) {
	v := testVerifier(3)
	for _, tc := range []struct {
		method, challenge, verifier string
		want                        bool
	}{
		{PKCES256, s256(v), v, true},
		{PKCEPlain, v, v, true},
		{PKCES256, s256(v), testVerifier(4), false},
		{PKCES256, s256(v), "", false},
		{PKCES256, "", v, false},
		{"s256", s256(v), v, false},
		{PKCEPlain, v + "x", v, false},
		{PKCEPlain, strings.Repeat("a", 129), strings.Repeat("a", 129), false},
		{PKCEPlain, strings.Repeat("a", 42) + "!", strings.Repeat("a", 42) + "!", false},
	} {
		if got := VerifyPKCE(tc.method, tc.challenge, tc.verifier); got != tc.want {
			t.Errorf("VerifyPKCE(%q, %q, %q) = %v, want %v", tc.method, tc.challenge, tc.verifier, got, tc.want)
		}
	}
}

// FuzzVerifyPKCE: whatever the token endpoint is sent, a verifier matches only a challenge made
// from it, and nothing panics.
func FuzzVerifyPKCE(f *testing.F) {
	f.Add("S256", s256(testVerifier(1)), testVerifier(1))
	f.Add("plain", testVerifier(2), testVerifier(2))
	f.Add("S256", "", "")
	f.Add("", "\x00", strings.Repeat("~", 200))
	f.Fuzz(func(t *testing.T, method, challenge, verifier string) {
		ok := VerifyPKCE(method, challenge, verifier)
		if !ok {
			return
		}
		if !pkceToken(verifier) {
			t.Fatalf("a verifier outside RFC 7636 matched: %q", verifier)
		}
		if method == PKCES256 && challenge != s256(verifier) || method == PKCEPlain && challenge != verifier {
			t.Fatalf("%s %q matched %q", method, challenge, verifier)
		}
	})
}

// The install app's authorize still approves at once (TestAuthorizationCodeAndRotatingRefresh),
// and its tokens keep every scope: only sign-in tokens are narrowed.
func TestSignInLeavesTheInstallAlone(t *testing.T) {
	h := newHarness(t, Config{}, true)
	tok := h.s2sToken()
	m := h.startedMeeting()
	if st, _, raw := h.do("GET", fmt.Sprintf("/v2/meetings/%d", m.ID), tok, nil); st != http.StatusOK {
		t.Errorf("an account token: %d %s", st, raw)
	}
}

func TestListUserMeetings(t *testing.T) {
	h := newHarness(t, Config{}, true)
	tok := h.s2sToken()
	mk := func(spec MeetingSpec) Meeting {
		t.Helper()
		if spec.HostID == "" {
			spec.HostID = h.host.ID
		}
		m, err := h.sim.CreateMeeting(spec)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	soon := mk(MeetingSpec{Topic: "Soon", StartTime: t0.Add(time.Hour)})
	later := mk(MeetingSpec{Topic: "Later", StartTime: t0.Add(48 * time.Hour)})
	past := mk(MeetingSpec{Topic: "Past", StartTime: t0.Add(-3 * time.Hour), Duration: 60})
	anytime := mk(MeetingSpec{Topic: "Any time", Type: 3})
	instant := mk(MeetingSpec{Topic: "Instant", Type: 1})
	live := mk(MeetingSpec{Topic: "Live", StartTime: t0.Add(-2 * time.Hour), Duration: 30})
	if _, err := h.sim.StartMeeting(live.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := h.sim.StartMeeting(instant.ID); err != nil {
		t.Fatal(err)
	}
	colleague, err := h.sim.CreateUser(h.acct.ID, UserSpec{Email: "colleague@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	mk(MeetingSpec{HostID: colleague.ID, Topic: "Not mine", StartTime: t0.Add(time.Hour)})

	list := func(query string) (ids []int64, body map[string]any) {
		t.Helper()
		st, _, raw := h.do("GET", "/v2/users/"+h.host.ID+"/meetings?"+query, tok, nil)
		if st != http.StatusOK {
			t.Fatalf("list %s: %d %s", query, st, raw)
		}
		body = decodeJSON(t, raw)
		for _, m := range body["meetings"].([]any) {
			ids = append(ids, int64(m.(map[string]any)["id"].(float64)))
		}
		return ids, body
	}
	for _, tc := range []struct {
		query string
		want  []int64
	}{
		{"type=upcoming", []int64{anytime.ID, live.ID, soon.ID, later.ID}},
		{"type=live", []int64{live.ID}},
		{"", []int64{anytime.ID, past.ID, live.ID, soon.ID, later.ID}},
	} {
		if got, _ := list(tc.query); fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("%q: %v, want %v (ordered by start, instant meetings never)", tc.query, got, tc.want)
		}
	}
	// Pages of two.
	first, body := list("type=upcoming&page_size=2")
	next, _ := body["next_page_token"].(string)
	if len(first) != 2 || next == "" || body["total_records"] != float64(4) {
		t.Fatalf("first page %v %v", first, body)
	}
	second, body := list("type=upcoming&page_size=2&next_page_token=" + url.QueryEscape(next))
	if fmt.Sprint(append(first, second...)) != fmt.Sprint([]int64{anytime.ID, live.ID, soon.ID, later.ID}) || body["next_page_token"] != "" {
		t.Errorf("pages %v + %v, next %v", first, second, body["next_page_token"])
	}
	// Zoom's shape of one item: no start_time for a meeting without a fixed time.
	_, body = list("type=upcoming&page_size=1")
	item := body["meetings"].([]any)[0].(map[string]any)
	if _, has := item["start_time"]; has || item["topic"] != "Any time" || item["host_id"] != h.host.ID || item["uuid"] == "" {
		t.Errorf("item %v", item)
	}
	for _, bad := range []string{"type=past", "page_size=0", "page_size=x", "next_page_token=%21"} {
		if st, _, raw := h.do("GET", "/v2/users/"+h.host.ID+"/meetings?"+bad, tok, nil); st != http.StatusBadRequest {
			t.Errorf("%s: %d %s, want 400", bad, st, raw)
		}
	}
	// Another account's user is not found with this account's token.
	other, _ := h.sim.CreateAccount(AccountSpec{ID: "acct-2"})
	stranger, _ := h.sim.CreateUser(other.ID, UserSpec{Email: "s@other.example"})
	if st, _, _ := h.do("GET", "/v2/users/"+stranger.ID+"/meetings", tok, nil); st != http.StatusNotFound {
		t.Errorf("another account's user: %d, want 404", st)
	}
}

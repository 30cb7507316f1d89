package zoomsim

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"html/template"
	"net/http"
	"net/url"
	"sort"
	"strings"
)

// "Sign in with Zoom": the simulator plays Zoom's side of a user-managed General app that people
// sign in with (cohost's host portal). GET /oauth/authorize for that app's client id shows a page
// where you pick which of the simulator's users you are, instead of Zoom's login; the rest is
// Zoom's authorization code flow with PKCE (RFC 7636): the code is bound to the user, the redirect
// URI and the code_challenge, works once, expires after Config.AuthCodeTTL, and POST /oauth/token
// gives it up only with the code_verifier whose challenge it carries. The token acts for that one
// user, with the app's one scope, user:read:user: GET /v2/users/me and nothing else.
//
// Zoom's PKCE page (the Postman collection of Zoom's API and devforum 63830): code_challenge and an
// optional code_challenge_method ("plain" by default, or "S256") at authorize, code_verifier at the
// token endpoint; "If they do not match, you will receive an invalid_grant error".

// SignInScope is the one scope of the sign-in app's tokens.
const SignInScope = "user:read:user"

// PKCE code challenge methods.
const (
	PKCEPlain = "plain"
	PKCES256  = "S256"
)

// SignInEnv returns the sign-in app's credentials as cohostd reads them (ZOOM_SIGNIN_CLIENT_ID,
// ZOOM_SIGNIN_CLIENT_SECRET), as NAME=value lines: add them to Env to turn cohost's host portal on.
func (s *Server) SignInEnv() []string {
	cfg := s.Config()
	return []string{
		"ZOOM_SIGNIN_CLIENT_ID=" + cfg.SignInClientID,
		"ZOOM_SIGNIN_CLIENT_SECRET=" + cfg.SignInClientSecret,
	}
}

// isSignInClient reports whether id is the sign-in app's client id.
func (s *Sim) isSignInClient(id string) bool {
	return id != "" && subtle.ConstantTimeCompare([]byte(id), []byte(s.cfg.SignInClientID)) == 1
}

// signInClientMatches reports whether id/secret are the sign-in app's credentials.
func (s *Sim) signInClientMatches(id, secret string) bool {
	return s.isSignInClient(id) && subtle.ConstantTimeCompare([]byte(secret), []byte(s.cfg.SignInClientSecret)) == 1
}

// signInRequest is what GET /oauth/authorize carried for the sign-in app, passed on through the
// chooser's form.
type signInRequest struct {
	ClientID, RedirectURI, State, Challenge, Method string
}

// parseSignInRequest checks the parameters of an authorization request of the sign-in app; the
// zero errCode means they are good.
func parseSignInRequest(v url.Values) (req signInRequest, errCode int, msg string) {
	req = signInRequest{
		ClientID: v.Get("client_id"), RedirectURI: v.Get("redirect_uri"), State: v.Get("state"),
		Challenge: v.Get("code_challenge"), Method: v.Get("code_challenge_method"),
	}
	if v.Get("response_type") != "code" {
		return req, 4700, "Invalid response_type, want code."
	}
	redirect, err := url.Parse(req.RedirectURI)
	if err != nil || (redirect.Scheme != "http" && redirect.Scheme != "https") || redirect.Host == "" {
		return req, 4709, "Redirect URI mismatch."
	}
	if req.Method == "" && req.Challenge != "" {
		req.Method = PKCEPlain
	}
	// RFC 7636 4.2: a challenge is 43 to 128 characters of the unreserved set.
	if req.Challenge != "" && (req.Method != PKCEPlain && req.Method != PKCES256 || !pkceToken(req.Challenge)) {
		return req, 4700, "Invalid code_challenge or code_challenge_method."
	}
	return req, 0, ""
}

// pkceToken reports whether s is a PKCE verifier or challenge as RFC 7636 allows: 43 to 128
// characters of ALPHA / DIGIT / "-" / "." / "_" / "~".
func pkceToken(s string) bool {
	if len(s) < 43 || len(s) > 128 {
		return false
	}
	for _, c := range []byte(s) {
		switch {
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '-', c == '.', c == '_', c == '~':
		default:
			return false
		}
	}
	return true
}

// VerifyPKCE reports whether verifier answers the challenge made with method, as the token
// endpoint checks it: S256 is BASE64URL(SHA256(verifier)) without padding, plain is the verifier
// itself. A verifier outside RFC 7636's form never matches.
func VerifyPKCE(method, challenge, verifier string) bool {
	if !pkceToken(verifier) {
		return false
	}
	want := verifier
	switch method {
	case PKCES256:
		sum := sha256.Sum256([]byte(verifier))
		want = base64.RawURLEncoding.EncodeToString(sum[:])
	case PKCEPlain:
	default:
		return false
	}
	return subtle.ConstantTimeCompare([]byte(want), []byte(challenge)) == 1
}

// signInChooserPath is where the chooser's forms post the user's choice.
const signInChooserPath = "/oauth/authorize/signin"

// chooserUser is one user the chooser offers.
type chooserUser struct {
	ID, Name, Email, AccountID string
}

var chooserPage = template.Must(template.New("chooser").Parse(`<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><link rel="icon" href="data:,">
<title>Sign in · Zoom simulator</title></head>
<body>
<main>
<h1>Sign in with Zoom</h1>
<p>This is the Zoom simulator: pick the user you are. Zoom would ask for your password here.</p>
<ul id="users">
{{range .Users}}<li><form method="post" action="{{$.Action}}">
<input type="hidden" name="client_id" value="{{$.Req.ClientID}}">
<input type="hidden" name="redirect_uri" value="{{$.Req.RedirectURI}}">
<input type="hidden" name="state" value="{{$.Req.State}}">
<input type="hidden" name="code_challenge" value="{{$.Req.Challenge}}">
<input type="hidden" name="code_challenge_method" value="{{$.Req.Method}}">
<input type="hidden" name="user_id" value="{{.ID}}">
<button type="submit" data-email="{{.Email}}">{{.Name}} ({{.Email}}), account {{.AccountID}}</button>
</form></li>
{{end}}</ul>
</main>
</body>
</html>
`))

// handleSignInAuthorize serves GET /oauth/authorize for the sign-in app: the page where the person
// picks which user they are.
func (s *Sim) handleSignInAuthorize(w http.ResponseWriter, r *http.Request) {
	req, code, msg := parseSignInRequest(r.URL.Query())
	if code != 0 {
		zoomError(w, http.StatusBadRequest, code, msg)
		return
	}
	s.mu.Lock()
	var users []chooserUser
	for _, u := range s.users {
		users = append(users, chooserUser{ID: u.ID, Name: u.DisplayName(), Email: u.Email, AccountID: u.AccountID})
	}
	s.mu.Unlock()
	sort.Slice(users, func(i, j int) bool { return users[i].Email < users[j].Email })
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_ = chooserPage.Execute(w, struct {
		Action string
		Req    signInRequest
		Users  []chooserUser
	}{signInChooserPath, req, users})
}

// handleSignInChoice serves POST /oauth/authorize/signin: the person picked a user, so the
// simulator issues a code bound to that user, the redirect URI and the challenge, and sends the
// browser back with it and the state.
func (s *Sim) handleSignInChoice(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		zoomError(w, http.StatusBadRequest, 4700, "Malformed request body.")
		return
	}
	form := r.PostForm
	form.Set("response_type", "code")
	req, code, msg := parseSignInRequest(form)
	if code != 0 {
		zoomError(w, http.StatusBadRequest, code, msg)
		return
	}
	if !s.isSignInClient(req.ClientID) {
		zoomError(w, http.StatusBadRequest, 4702, "Invalid client.")
		return
	}
	s.mu.Lock()
	u := s.users[form.Get("user_id")]
	if u == nil {
		s.mu.Unlock()
		zoomError(w, http.StatusBadRequest, CodeUserNotFound, "User does not exist.")
		return
	}
	c := &authCode{
		code: secretToken("zsac_"), accountID: u.AccountID, userID: u.ID, clientID: req.ClientID,
		redirectURI: req.RedirectURI, expires: s.clock.Now().Add(s.cfg.AuthCodeTTL),
		challenge: req.Challenge, challengeMethod: req.Method,
	}
	s.authCodes[c.code] = c
	s.notify()
	s.mu.Unlock()
	redirect, _ := url.Parse(req.RedirectURI) // parseSignInRequest checked it
	v := redirect.Query()
	v.Set("code", c.code)
	if req.State != "" {
		v.Set("state", req.State)
	}
	redirect.RawQuery = v.Encode()
	http.Redirect(w, r, redirect.String(), http.StatusFound)
}

// signInTokenAllows reports whether a sign-in token may make the REST request: its scope,
// user:read:user, reaches its own user (GET /v2/users/me or /v2/users/{its user id}) and nothing
// else. Callers hold s.mu.
func signInTokenAllows(r *http.Request, tok *accessToken) bool {
	if !tok.signIn {
		return true
	}
	if r.Method != http.MethodGet {
		return false
	}
	rest, ok := strings.CutPrefix(r.URL.Path, "/v2/users/")
	return ok && (rest == "me" || rest == tok.userID)
}

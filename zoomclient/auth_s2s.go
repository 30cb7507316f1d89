package zoomclient

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"strings"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// Grant types sent to Zoom's token endpoint.
const (
	grantAccountCredentials = "account_credentials"
	grantAuthorizationCode  = "authorization_code"
	grantRefreshToken       = "refresh_token"
)

func (co *core) tokenURL() string { return co.oauthURL.JoinPath("oauth", "token").String() }

// fetchS2S mints a Server-to-Server OAuth token
// (https://developers.zoom.us/docs/internal-apps/s2s-oauth/): POST
// {OAuthURL}/oauth/token with grant_type=account_credentials&account_id=…
// and HTTP Basic client credentials. x/oauth2's clientcredentials lets
// grant_type be overridden for exactly this kind of server.
func (co *core) fetchS2S(ctx context.Context, acct string) (*oauth2.Token, error) {
	cfg := clientcredentials.Config{
		ClientID:     co.clientID,
		ClientSecret: co.clientSecret,
		TokenURL:     co.tokenURL(),
		EndpointParams: url.Values{
			"grant_type": {grantAccountCredentials},
			"account_id": {acct},
		},
		AuthStyle: oauth2.AuthStyleInHeader,
	}
	tok, err := cfg.Token(context.WithValue(ctx, oauth2.HTTPClient, co.http))
	if err != nil {
		te := co.tokenError(grantAccountCredentials, err)
		co.metrics.token(ModeS2S, grantAccountCredentials, tokenResult(te))
		co.log.Warn("zoom token request failed", "account_id", acct, "grant", grantAccountCredentials, "error", te.Error())
		return nil, te
	}
	if tok.AccessToken == "" {
		co.metrics.token(ModeS2S, grantAccountCredentials, "error")
		return nil, &TokenError{Grant: grantAccountCredentials, msg: "response without access_token"}
	}
	co.metrics.token(ModeS2S, grantAccountCredentials, "success")
	return tok, nil
}

// tokenError converts an x/oauth2 error into a *TokenError without secrets:
// the client secret (and its Basic-auth forms) and any of the extra secrets
// (refresh token, authorization code) are redacted from Zoom's reason, and
// the raw body is never kept.
func (co *core) tokenError(grant string, err error, secrets ...string) *TokenError {
	return redactedTokenError(co.red.with(secrets...), grant, err)
}

// redactedTokenError is tokenError with the secrets of red removed.
func redactedTokenError(red redactor, grant string, err error) *TokenError {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		te := &TokenError{Grant: grant}
		if re.Response != nil {
			te.Status = re.Response.StatusCode
		}
		code, reason := ParseTokenErrorBody(re.Body)
		if code == "" {
			code = re.ErrorCode
		}
		if reason == "" {
			reason = re.ErrorDescription
		}
		te.Code = oauthErrorCode(red.clean(code))
		te.Reason = red.clean(reason)
		return te
	}
	return &TokenError{Grant: grant, msg: red.clean(err.Error()), err: err}
}

func tokenResult(te *TokenError) string {
	if te.Rejected() {
		return "rejected"
	}
	return "error"
}

// ParseTokenErrorBody reads the error body of Zoom's token endpoint, e.g.
// {"reason":"Invalid Token!","error":"invalid_request"}; standard OAuth
// servers use "error_description" instead of "reason".
func ParseTokenErrorBody(body []byte) (code, reason string) {
	var raw struct {
		Error       json.RawMessage `json:"error"`
		Reason      json.RawMessage `json:"reason"`
		Description json.RawMessage `json:"error_description"`
	}
	if err := json.Unmarshal(body, &raw); err != nil {
		return "", ""
	}
	str := func(m json.RawMessage) string {
		var s string
		if len(m) == 0 || json.Unmarshal(m, &s) != nil {
			return ""
		}
		return s
	}
	code = str(raw.Error)
	reason = str(raw.Reason)
	if reason == "" {
		reason = str(raw.Description)
	}
	return code, reason
}

// oauthErrorCode keeps an OAuth error code if it looks like one
// (RFC 6749 codes are short lowercase words with underscores).
func oauthErrorCode(s string) string {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > 64 {
		return ""
	}
	for _, c := range s {
		if (c < 'a' || c > 'z') && (c < 'A' || c > 'Z') && (c < '0' || c > '9') && c != '_' && c != '.' && c != '-' {
			return ""
		}
	}
	return s
}

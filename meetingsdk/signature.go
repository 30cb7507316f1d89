package meetingsdk

import (
	"errors"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/cohost-dev/cohost/api"
)

// SignatureLifetime is how long a signature cohostd mints is valid. Zoom
// accepts 30 min to 48 h after iat (its sample auth endpoint,
// zoom/meetingsdk-auth-endpoint-sample, checks that range); two hours covers
// starting a meeting and a reconnect or two.
const SignatureLifetime = 2 * time.Hour

// Signature mints the Meeting SDK signature that lets a Meeting SDK client
// start or join meetingNumber: an HS256 JWT keyed with the SDK secret, with
// appKey and sdkKey = the SDK key, mn, role, iat, exp and tokenExp
// (https://developers.zoom.us/docs/meeting-sdk/auth/). Role 1 (api.SDKRoleHost)
// together with the host's ZAK starts the meeting as that host. The secret
// never leaves cohostd; only the signature reaches a client.
func Signature(sdkKey, sdkSecret string, meetingNumber int64, role int, now time.Time) (string, error) {
	if sdkKey == "" || sdkSecret == "" {
		return "", errors.New("meetingsdk: ZOOM_SDK_KEY and ZOOM_SDK_SECRET are needed to sign")
	}
	if meetingNumber <= 0 || (role != 0 && role != api.SDKRoleHost) {
		return "", errors.New("meetingsdk: a signature needs a meeting number and role 0 or 1")
	}
	iat := now.Add(-30 * time.Second).Unix() // tolerate clock skew, as Zoom's sample does
	exp := iat + int64(SignatureLifetime/time.Second)
	claims := jwt.MapClaims{
		"appKey":   sdkKey,
		"sdkKey":   sdkKey,
		"mn":       meetingNumber,
		"role":     role,
		"iat":      iat,
		"exp":      exp,
		"tokenExp": exp,
	}
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString([]byte(sdkSecret))
	if err != nil {
		return "", errors.New("meetingsdk: sign the Meeting SDK signature")
	}
	return s, nil
}

package meetingsdk_test

import (
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/cohost-dev/cohost/api"
	"github.com/cohost-dev/cohost/meetingsdk"
)

func TestSignatureClaims(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	s, err := meetingsdk.Signature("key", "secret", 81234567890, api.SDKRoleHost, now)
	if err != nil {
		t.Fatal(err)
	}
	claims := jwt.MapClaims{}
	_, err = jwt.NewParser(jwt.WithValidMethods([]string{"HS256"}), jwt.WithTimeFunc(func() time.Time { return now })).
		ParseWithClaims(s, claims, func(*jwt.Token) (any, error) { return []byte("secret"), nil })
	if err != nil {
		t.Fatal(err)
	}
	if claims["appKey"] != "key" || claims["sdkKey"] != "key" || claims["mn"] != float64(81234567890) || claims["role"] != float64(1) {
		t.Fatalf("claims = %v", claims)
	}
	iat, exp, tokenExp := claims["iat"].(float64), claims["exp"].(float64), claims["tokenExp"].(float64)
	if life := time.Duration(exp-iat) * time.Second; life < api.SDKSignatureMinLifetime || life > api.SDKSignatureMaxLifetime || tokenExp != exp {
		t.Fatalf("lifetime %s, tokenExp %v, exp %v", life, tokenExp, exp)
	}
}

func TestSignatureRefusesBadInput(t *testing.T) {
	now := time.Now()
	for _, tt := range []struct {
		key, secret string
		mn          int64
		role        int
	}{{"", "s", 1, 1}, {"k", "", 1, 1}, {"k", "s", 0, 1}, {"k", "s", -5, 1}, {"k", "s", 1, 2}} {
		if _, err := meetingsdk.Signature(tt.key, tt.secret, tt.mn, tt.role, now); err == nil {
			t.Errorf("Signature(%+v) accepted", tt)
		}
	}
}

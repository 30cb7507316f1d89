package zoomclient

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// An access token printed or logged by accident shows no secret.
func TestAccessTokenRedactsItself(t *testing.T) {
	tok := &accessToken{AccessToken: "at-SECRET-print", Expiry: testEpoch, Version: 3}
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("x", "token", tok)
	for _, s := range []string{fmt.Sprint(tok), fmt.Sprintf("%v %+v %s", tok, tok, tok), buf.String()} {
		if strings.Contains(s, "SECRET") {
			t.Errorf("token printed: %s", s)
		}
	}
	if !strings.Contains(buf.String(), `"version":3`) {
		t.Errorf("log lacks the token's version: %s", buf.String())
	}
}

func TestExpiresIn(t *testing.T) {
	for _, tc := range []struct {
		in   any
		want int64
		ok   bool
	}{
		{float64(3599), 3599, true},
		{json.Number("60"), 60, true},
		{"120", 120, true},
		{int64(5), 5, true},
		{7, 7, true},
		{"soon", 0, false},
		{nil, 0, false},
	} {
		got, ok := expiresIn(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("expiresIn(%#v) = %d, %v; want %d, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

// The expiry comes from expires_in on the client's clock, not the wall clock.
func TestTokenExpiryUsesClientClock(t *testing.T) {
	client, _, env := setup(t)
	tok, err := client.tokensFor(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if want := env.clock.Now().Add(time.Hour); !tok.Expiry.Equal(want) {
		t.Errorf("expiry = %v, want %v", tok.Expiry, want)
	}
	if client.AccountID() != testAccountID || client.Mode() != ModeS2S || client.Account("x").AccountID() != "x" {
		t.Error("Client accessors")
	}
}

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func noEnv(string) string { return "" }

func TestMainServesAndPrintsEnv(t *testing.T) {
	var out bytes.Buffer
	m := NewMain(&out)
	env := map[string]string{"ZOOMSIM_CLIENT_SECRET": "from-env", "ZOOMSIM_TIME_SCALE": "0.001"}
	if err := m.ParseFlags([]string{"-addr", "127.0.0.1:0", "-account-id", "acct-x", "-client-id", "cid"},
		func(k string) string { return env[k] }); err != nil {
		t.Fatal(err)
	}
	if m.Config.TimeScale != 0.001 || m.Config.ClientSecret != "from-env" || m.Config.ClientID != "cid" {
		t.Errorf("config %+v", m.Config)
	}
	if err := m.Open(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := m.Close(ctx); err != nil {
			t.Errorf("close: %v", err)
		}
	}()
	vars := map[string]string{}
	for _, line := range strings.Split(out.String(), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok && strings.ToUpper(k) == k && !strings.Contains(k, " ") {
			vars[k] = v
		}
	}
	want := map[string]string{
		"ZOOM_API_URL": m.URL() + "/v2", "ZOOM_OAUTH_URL": m.URL(), "COHOST_AGENT_URL": m.URL() + "/agent",
		"ZOOM_ACCOUNT_ID": "acct-x", "ZOOM_CLIENT_ID": "cid", "ZOOM_CLIENT_SECRET": "from-env", "ZOOM_AUTH_MODE": "s2s",
	}
	if !strings.Contains(out.String(), m.URL()+"/sdk/zoom-meeting-embedded-sim.js") {
		t.Errorf("the report does not name the web SDK script:\n%s", out.String())
	}
	for k, v := range want {
		if vars[k] != v {
			t.Errorf("%s=%q, want %q\n%s", k, vars[k], v, out.String())
		}
	}
	for _, k := range []string{"ZOOM_WEBHOOK_SECRET_TOKEN", "ZOOM_SDK_KEY", "ZOOM_SDK_SECRET", "COHOST_AGENT_SECRET"} {
		if len(vars[k]) < 16 {
			t.Errorf("%s=%q: want a generated secret", k, vars[k])
		}
	}
	// The printed credentials work.
	form := url.Values{"grant_type": {"account_credentials"}, "account_id": {vars["ZOOM_ACCOUNT_ID"]}}
	req, _ := http.NewRequest("POST", vars["ZOOM_OAUTH_URL"]+"/oauth/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(vars["ZOOM_CLIENT_ID"], vars["ZOOM_CLIENT_SECRET"])
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var tok map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("token with printed credentials: %d %v", resp.StatusCode, tok)
	}
	req, _ = http.NewRequest("GET", vars["ZOOM_API_URL"]+"/users/me", nil)
	req.Header.Set("Authorization", "Bearer "+tok["access_token"].(string))
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var me map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&me)
	resp.Body.Close()
	if me["email"] != "host@example.com" || me["type"] != float64(2) {
		t.Errorf("/users/me %v", me)
	}
	resp, err = http.Get(m.URL() + "/_sim/")
	if err != nil || resp.StatusCode != 200 {
		t.Errorf("control API: %v", err)
	} else {
		resp.Body.Close()
	}
}

func TestMainFlagErrors(t *testing.T) {
	tests := [][]string{
		{"-time-scale", "0"},
		{"-time-scale", "fast"},
		{"-rest-5xx-rate", "2"},
		{"-agent-join-delay", "soon"},
		{"-agent-visibility-delay", "-1s"},
		{"-agent-rate", "-3"},
		{"-locked-settings", "maybe"},
		{"-rate-limits", "gold"},
		{"-token-ttl", "0s"},
		{"-seed", "-1"},
		{"-log-level", "loud"},
		{"-meeting-id-as-string", "perhaps"},
		{"-account-id", ""},
		{"extra"},
		{"-no-such-flag"},
	}
	for _, args := range tests {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			var out bytes.Buffer
			if err := NewMain(&out).ParseFlags(args, noEnv); err == nil {
				t.Errorf("ParseFlags(%q) accepted", args)
			}
		})
	}
	var out bytes.Buffer
	m := NewMain(&out)
	if err := m.ParseFlags([]string{"-addr", "256.0.0.1:1"}, noEnv); err != nil {
		t.Fatal(err)
	}
	if err := m.Open(); err == nil {
		_ = m.Close(context.Background())
		t.Error("Open on a bad address succeeded")
	}
}

package zoomsim

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Server is a Sim listening on a TCP address: what cmd/zoomsim runs, and what a demo or an
// end-to-end test starts beside cohostd.
type Server struct {
	*Sim
	// URL is the base URL, e.g. "http://127.0.0.1:9901".
	URL  string
	srv  *http.Server
	done chan error
}

// Start creates a Sim for cfg and serves it on addr ("127.0.0.1:0" picks a free port).
func Start(cfg Config, addr string) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	return Serve(New(cfg), ln), nil
}

// Serve serves an existing Sim on ln.
func Serve(sim *Sim, ln net.Listener) *Server {
	host := ln.Addr().String()
	if tcp, ok := ln.Addr().(*net.TCPAddr); ok && tcp.IP.IsUnspecified() {
		host = net.JoinHostPort("127.0.0.1", strconv.Itoa(tcp.Port))
	}
	s := &Server{
		Sim:  sim,
		URL:  "http://" + host,
		srv:  &http.Server{Handler: sim.Handler(), ReadHeaderTimeout: 10 * time.Second},
		done: make(chan error, 1),
	}
	// The SDK's event streams never go idle by themselves; end them so Shutdown can finish.
	s.srv.RegisterOnShutdown(sim.stopStreams)
	go func() {
		err := s.srv.Serve(ln)
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		s.done <- err
	}()
	return s
}

// OAuthURL is ZOOM_OAUTH_URL: the base of /oauth/token and /oauth/authorize.
func (s *Server) OAuthURL() string { return s.URL }

// APIURL is ZOOM_API_URL: the base of the REST API, ".../v2".
func (s *Server) APIURL() string { return s.URL + "/v2" }

// AgentURL is COHOST_AGENT_URL.
func (s *Server) AgentURL() string { return s.Sim.AgentURL(s.URL) }

// SDKScriptURL is the simulated Web Meeting SDK's script: COHOST_MEETING_SDK_URL for a host page
// run against this simulator.
func (s *Server) SDKScriptURL() string { return s.Sim.SDKScriptURL(s.URL) }

// ControlURL is the base of the control API.
func (s *Server) ControlURL() string { return s.URL + "/_sim" }

// Env returns the environment that points cohostd at this simulator for one account, in a stable
// order, as NAME=value lines (the names of the README's configuration table).
func (s *Server) Env(accountID string) []string {
	cfg := s.Config()
	clientID, clientSecret := cfg.ClientID, cfg.ClientSecret
	if a, err := s.Account(accountID); err == nil {
		clientID, clientSecret = a.ClientID, a.ClientSecret
	}
	s.mu.Lock()
	secret := s.webhookSecret
	s.mu.Unlock()
	return []string{
		"ZOOM_API_URL=" + s.APIURL(),
		"ZOOM_OAUTH_URL=" + s.OAuthURL(),
		"ZOOM_AUTH_MODE=s2s",
		"ZOOM_ACCOUNT_ID=" + accountID,
		"ZOOM_CLIENT_ID=" + clientID,
		"ZOOM_CLIENT_SECRET=" + clientSecret,
		"ZOOM_WEBHOOK_SECRET_TOKEN=" + secret,
		"ZOOM_SDK_KEY=" + cfg.SDKKey,
		"ZOOM_SDK_SECRET=" + cfg.SDKSecret,
		"COHOST_AGENT_URL=" + s.AgentURL(),
		"COHOST_AGENT_SECRET=" + cfg.AgentSecret,
		"COHOST_MEETING_SDK_URL=" + s.SDKScriptURL(),
	}
}

// EnvMap is Env as a map.
func (s *Server) EnvMap(accountID string) map[string]string {
	out := map[string]string{}
	for _, kv := range s.Env(accountID) {
		k, v, _ := strings.Cut(kv, "=")
		out[k] = v
	}
	return out
}

// Close stops serving (waiting until ctx is done for requests under way) and closes the Sim.
func (s *Server) Close(ctx context.Context) error {
	err := s.srv.Shutdown(ctx)
	if cerr := s.Sim.Close(ctx); err == nil {
		err = cerr
	}
	if serr := <-s.done; err == nil {
		err = serr
	}
	return err
}

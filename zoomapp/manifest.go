package zoomapp

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strings"

	"github.com/cohost-dev/cohost/config"
)

// The paths cohostd serves under its public URL that the Zoom app points at.
const (
	OAuthCallbackPath = "/oauth/callback"
	WebhookPath       = "/webhooks/zoom"
)

// Options are what a manifest is made from.
type Options struct {
	// PublicURL is where Zoom and browsers reach cohostd (COHOST_PUBLIC_URL).
	PublicURL string
	// Granters are the granters the app must serve (COHOST_GRANTERS).
	Granters []string
	// Mode is the auth mode; only config.AuthOAuth ("" means it) has an app
	// that takes a manifest.
	Mode string
}

// ErrNoManifestForS2S is why s2s mode has no manifest: its Server-to-Server
// OAuth app is created by hand.
var ErrNoManifestForS2S = errors.New("s2s mode uses a Server-to-Server OAuth app, and Zoom takes manifests only for General apps (oauth mode): create it by hand as docs/zoom-setup.md describes")

// Manifest renders the manifest of a Zoom General app for cohost: its name,
// the OAuth redirect, the scopes of Scopes, one event subscription with every
// event of Events pointed at cohostd's webhook, and the Meeting SDK embed
// feature when host-client is among the granters.
//
// Field names and JSON types are those of Zoom's manifest template. Fields
// cohost has no use for are left out rather than set to a guess, and so are
// scope_description, which Zoom's field tables do not explain, and
// icon_share_link, whose type no example of Zoom's shows. The event
// subscription carries no custom header: cohost verifies deliveries with the
// secret token Zoom generates for the subscription.
func Manifest(opts Options) ([]byte, error) {
	base, err := CheckPublicURL(opts.PublicURL)
	if err != nil {
		return nil, err
	}
	if err := checkGranters(opts.Granters); err != nil {
		return nil, err
	}
	mode, err := CheckMode(opts.Mode)
	if err != nil {
		return nil, err
	}
	redirect := base + OAuthCallbackPath
	webhook := base + WebhookPath

	m := manifest{
		DisplayInformation: displayInformation{
			DisplayName: "cohost",
			Description: "Makes every person who joins your Zoom meetings a co-host.",
		},
		OAuthInformation: oauthInformation{
			// Admin-managed: one install covers the whole account, and only
			// account-level (:admin) scopes reach other users' meetings.
			Usage:                  "ADMIN_MANAGEMENT",
			DevelopmentRedirectURI: redirect,
			ProductionRedirectURI:  redirect,
			OAuthAllowList:         []string{redirect},
			// cohostd serves exactly one redirect, so nothing else should match.
			StrictMode: true,
		},
		Features: features{
			// Zoom requires the field; its values are the Zoom clients an app
			// opens inside, and cohost opens inside none.
			Products: []string{},
			EventSubscription: &eventSubscription{
				Enable: true,
				Events: []eventSubscriptionEntry{{
					SubscriptionName:      "cohost",
					EventTypes:            Events(mode),
					DevelopmentWebhookURL: webhook,
					ProductionWebhookURL:  webhook,
				}},
			},
		},
	}
	for _, s := range Scopes(opts.Granters, mode) {
		// Every scope is required: a granter missing one fails its grants.
		m.OAuthInformation.Scopes = append(m.OAuthInformation.Scopes, scope{Scope: s, Optional: false})
	}
	if slices.Contains(opts.Granters, config.GranterHostClient) {
		// The host page embeds the Meeting SDK for Web. Only "enable" is set:
		// devices, the anonymous-join exception and programmatic_join_bot
		// are for other uses, the last for bots, which cohost is not.
		m.Features.Embed = &embed{MeetingSDK: meetingSDK{Enable: true}}
	}
	out, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(out, '\n'), nil
}

// CheckPublicURL returns url without a trailing slash, or why cohost cannot be
// reached there: Zoom needs an absolute https URL (http only for a loopback
// host, for development), to which cohost appends its own paths.
func CheckPublicURL(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() || u.Host == "" {
		return "", fmt.Errorf("%q is not an absolute URL like https://cohost.example.com", raw)
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !isLoopback(u.Hostname()) {
			return "", fmt.Errorf("%q must use https: Zoom redirects to and delivers webhooks over https (http only for localhost)", raw)
		}
	default:
		return "", fmt.Errorf("%q must use https (http only for localhost)", raw)
	}
	if u.User != nil || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" {
		return "", fmt.Errorf("%q must have no user, query or fragment: cohost appends %s and %s to it", raw, OAuthCallbackPath, WebhookPath)
	}
	return strings.TrimRight(raw, "/"), nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// ParseGranters reads a comma list of granter names (COHOST_GRANTERS' form),
// each once, in the order given.
func ParseGranters(list string) ([]string, error) {
	var out []string
	for _, g := range strings.Split(list, ",") {
		if g = strings.TrimSpace(g); g != "" && !slices.Contains(out, g) {
			out = append(out, g)
		}
	}
	return out, checkGranters(out)
}

func checkGranters(granters []string) error {
	valid := strings.Join(Granters(), ", ")
	if len(granters) == 0 {
		return fmt.Errorf("no granter named: use a comma list of %s", valid)
	}
	for _, g := range granters {
		if !slices.Contains(Granters(), g) {
			return fmt.Errorf("unknown granter %q: use a comma list of %s", g, valid)
		}
	}
	return nil
}

// CheckMode returns the auth mode a manifest is made for: oauth, also when
// mode is empty. s2s is ErrNoManifestForS2S.
func CheckMode(mode string) (string, error) {
	switch mode {
	case "", config.AuthOAuth:
		return config.AuthOAuth, nil
	case config.AuthS2S:
		return "", ErrNoManifestForS2S
	}
	return "", fmt.Errorf("unknown mode %q: a manifest is for oauth mode", mode)
}

// The manifest's JSON, with the field names of Zoom's manifest template.
type manifest struct {
	DisplayInformation displayInformation `json:"display_information"`
	OAuthInformation   oauthInformation   `json:"oauth_information"`
	Features           features           `json:"features"`
}

type displayInformation struct {
	DisplayName string `json:"display_name"`
	Description string `json:"description"`
}

type oauthInformation struct {
	Usage                  string   `json:"usage"`
	DevelopmentRedirectURI string   `json:"development_redirect_uri"`
	ProductionRedirectURI  string   `json:"production_redirect_uri"`
	OAuthAllowList         []string `json:"oauth_allow_list"`
	StrictMode             bool     `json:"strict_mode"`
	Scopes                 []scope  `json:"scopes"`
}

type scope struct {
	Scope    string `json:"scope"`
	Optional bool   `json:"optional"`
}

type features struct {
	Products          []string           `json:"products"`
	Embed             *embed             `json:"embed,omitempty"`
	EventSubscription *eventSubscription `json:"event_subscription,omitempty"`
}

type embed struct {
	MeetingSDK meetingSDK `json:"meeting_sdk"`
}

type meetingSDK struct {
	Enable bool `json:"enable"`
}

type eventSubscription struct {
	Enable bool                     `json:"enable"`
	Events []eventSubscriptionEntry `json:"events"`
}

type eventSubscriptionEntry struct {
	SubscriptionName      string   `json:"subscription_name"`
	EventTypes            []string `json:"event_types"`
	DevelopmentWebhookURL string   `json:"development_webhook_url"`
	ProductionWebhookURL  string   `json:"production_webhook_url"`
}

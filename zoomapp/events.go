package zoomapp

import (
	"slices"

	"github.com/cohost-dev/cohost/api"
	"github.com/cohost-dev/cohost/config"
)

// Events returns the webhook events a Zoom app for cohost subscribes to in
// the given auth mode: every event cohost acts on (api.HandledEvents), in
// that order. app_deauthorized only in oauth mode: Zoom requires an app that
// others install to receive their deauthorizations
// (https://marketplace.zoom.us/docs/guides/auth/deauthorization/), while a
// Server-to-Server OAuth app is never installed by another account, so the
// event has nothing to tell it.
func Events(mode string) []string {
	events := api.HandledEvents()
	if mode != config.AuthOAuth {
		events = slices.DeleteFunc(events, func(e string) bool { return e == api.EventAppDeauthorized })
	}
	return events
}

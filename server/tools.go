package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/cohost-dev/cohost/config"
	"github.com/cohost-dev/cohost/hostclient"
	"github.com/cohost-dev/cohost/store"
)

// OpenHostLinks opens what `cohostd host-link` needs, with the same
// configuration as the service: the store (migrated) and the Zoom client.
// It serves no traffic and works no jobs. close releases the store.
func OpenHostLinks(ctx context.Context, cfg *config.Config, logger *slog.Logger) (_ *hostclient.Service, close func(), _ error) {
	if !slices.Contains(cfg.Granters, config.GranterHostClient) {
		return nil, nil, errors.New("COHOST_GRANTERS: the host-client granter is off; add host-client (it needs COHOST_PUBLIC_URL, ZOOM_SDK_KEY and ZOOM_SDK_SECRET)")
	}
	// The server's database, never a new one: a link minted into a database
	// the server does not read would not work.
	st, err := store.Open(ctx, string(cfg.DatabaseURL), store.Options{Logger: riverLogger(logger), MustExist: true})
	if errors.Is(err, store.ErrNoDatabase) {
		return nil, nil, fmt.Errorf("COHOST_DATABASE_URL: %w; only the server (cohostd with no command) creates its database: "+
			"set COHOST_DATABASE_URL to the server's, with an absolute path (sqlite:///data/cohost.db), "+
			"or run the command where the server runs (kubectl exec deploy/cohost -- cohostd host-link MEETING_ID)", err)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("COHOST_DATABASE_URL: %w", err)
	}
	s := &Server{Config: cfg, Logger: logger, Registry: prometheus.NewRegistry()}
	zc, err := s.zoomClient(st)
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	return &hostclient.Service{Store: st, Zoom: zc, PublicURL: cfg.PublicURL, SDKKey: cfg.SDKKey, SDKSecret: string(cfg.SDKSecret),
		Logger: logger}, st.Close, nil
}

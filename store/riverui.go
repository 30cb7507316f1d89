package store

import (
	"log/slog"

	"riverqueue.com/riverui"
)

// RiverUI returns River's web UI and its JSON API over this store's queue,
// served under prefix (e.g. "/riverui"). It reads and changes river_job
// directly: jobs by state with their errors, and cancel, retry and delete.
// The handler has no authentication of its own; the caller puts it behind
// one. Start it before it serves (its background counts stop with the
// context given to Start).
func (s *Store) RiverUI(prefix string, logger *slog.Logger) (*riverui.Handler, error) {
	if logger == nil {
		logger = s.logger
	}
	return riverui.NewHandler(&riverui.HandlerOpts{
		Endpoints: s.eng.riverUIEndpoints(),
		Logger:    logger,
		Prefix:    prefix,
	})
}

package zoomclient_test

import (
	"sync"
	"testing"
	"time"

	"github.com/cohost-dev/cohost/zoomclient"
	"github.com/cohost-dev/cohost/zoomclient/zoomclienttest"
)

func TestMemoryTokenStore(t *testing.T) {
	zoomclienttest.RunTokenStoreTests(t, func(t *testing.T) (zoomclient.TokenStore, func(time.Duration)) {
		var mu sync.Mutex
		now := time.Date(2026, 11, 27, 1, 0, 0, 0, time.UTC)
		s := zoomclient.NewMemoryTokenStore()
		s.Now = func() time.Time {
			mu.Lock()
			defer mu.Unlock()
			return now
		}
		return s, func(d time.Duration) {
			mu.Lock()
			defer mu.Unlock()
			now = now.Add(d)
		}
	})
}

// The suite also runs against a store on the real clock, as SQL stores will.
func TestMemoryTokenStoreRealClock(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for a lease to expire")
	}
	zoomclienttest.RunTokenStoreTests(t, func(t *testing.T) (zoomclient.TokenStore, func(time.Duration)) {
		return zoomclient.NewMemoryTokenStore(), nil
	})
}

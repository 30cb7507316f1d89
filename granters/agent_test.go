package granters

import (
	"context"
	"sync"
	"testing"
	"time"
)

// The per-meeting slots bound concurrent agent calls, and a meeting's entry
// is gone once its calls are: a long-running cohostd keeps none per meeting
// it ever served.
func TestMeetingSlotsBoundAndForget(t *testing.T) {
	var s meetingSlots
	ctx := context.Background()
	const n = 3
	var (
		mu            sync.Mutex
		inFlight, top int
		wg            sync.WaitGroup
	)
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			key := "acct/81234567890"
			if i%2 == 1 {
				key = "acct/81234567891"
			}
			release, err := s.acquire(ctx, key, n)
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			inFlight++
			top = max(top, inFlight)
			mu.Unlock()
			time.Sleep(time.Millisecond)
			mu.Lock()
			inFlight--
			mu.Unlock()
			release()
		}()
	}
	wg.Wait()
	if top > 2*n {
		t.Fatalf("%d calls in flight over two meetings, want at most %d", top, 2*n)
	}
	if s.len() != 0 {
		t.Fatalf("%d meeting entries left after every call ended", s.len())
	}

	// A waiter that gives up leaves no entry behind either.
	release, _ := s.acquire(ctx, "m", 1)
	cctx, cancel := context.WithTimeout(ctx, 10*time.Millisecond)
	defer cancel()
	if _, err := s.acquire(cctx, "m", 1); err == nil {
		t.Fatal("a second call got the only slot")
	}
	release()
	if s.len() != 0 {
		t.Fatalf("%d entries left after a waiter gave up", s.len())
	}
}

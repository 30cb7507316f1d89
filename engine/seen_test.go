package engine

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cohost-dev/cohost/grant"
)

// seenSample is what a join writes for its grant: the ledger's own
// precision (milliseconds), as a read of the ledger would give.
func seenSample() (GrantSeen, GrantParticipantArgs) {
	at := func(ms int64) time.Time { return time.UnixMilli(ms).UTC() }
	m := grant.Meeting{AccountID: "acct", ID: "85746065432", UUID: "uuid==", HostID: "host", HostEmail: "host@example.com",
		Topic: "Weekly", StartTime: at(1_800_000_000_000), TrackingFields: map[string]string{"team": "blue"},
		Status: grant.MeetingStarted, StatusAt: at(1_800_000_001_000), StartedAt: at(1_800_000_001_000)}
	p := grant.Participant{AccountID: "acct", MeetingID: "85746065432", MeetingUUID: "uuid==", Key: "pkey", UserID: "16778240",
		ZoomUserID: "zu", Name: "Ada", Email: "ada@example.com", JoinedAt: at(1_800_000_002_123), State: grant.StatePending,
		JoinSeenAt: at(1_800_000_002_130), Attempts: 0}
	a := GrantParticipantArgs{AccountID: p.AccountID, MeetingID: p.MeetingID, MeetingUUID: p.MeetingUUID, Key: p.Key,
		JoinedAtMS: p.JoinedAt.UnixMilli()}
	return GrantSeen{Meeting: m, Participant: p, Version: 3}, a
}

func TestSeenRoundTrip(t *testing.T) {
	s, a := seenSample()
	var err error
	if a.Seen, err = encodeSeen(s); err != nil {
		t.Fatal(err)
	}
	got, ok := decodeSeen(a)
	if !ok {
		t.Fatal("the compact form does not decode")
	}
	if diff := cmp.Diff(s, got); diff != "" {
		t.Fatalf("round trip (-want +got):\n%s", diff)
	}
	old, _ := json.Marshal(s)
	if len(a.Seen)*2 > len(old) {
		t.Errorf("compact form %d bytes, GrantSeen's JSON %d: expected under half", len(a.Seen), len(old))
	}
}

// A job enqueued by an earlier version carries GrantSeen's own JSON.
func TestSeenEarlierForm(t *testing.T) {
	s, a := seenSample()
	a.Seen, _ = json.Marshal(s)
	got, ok := decodeSeen(a)
	if !ok {
		t.Fatal("GrantSeen's JSON does not decode")
	}
	if diff := cmp.Diff(s, got); diff != "" {
		t.Fatalf("(-want +got):\n%s", diff)
	}
	for _, bad := range [][]byte{nil, []byte(`{`), []byte(`"x"`)} {
		if _, ok := decodeSeen(GrantParticipantArgs{Seen: bad}); ok {
			t.Errorf("decodeSeen(%q) ok", bad)
		}
	}
}

// BenchmarkSeen writes and reads the grant's Seen both ways in the same
// process: GrantSeen's JSON (the yardstick, what the grant job carried
// before) and the compact form.
func BenchmarkSeen(b *testing.B) {
	s, a := seenSample()
	b.Run("GrantSeen JSON (before)", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			raw, _ := json.Marshal(s)
			var back GrantSeen
			_ = json.Unmarshal(raw, &back)
		}
	})
	b.Run("compact", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			a.Seen, _ = encodeSeen(s)
			_, _ = decodeSeen(a)
		}
	})
}

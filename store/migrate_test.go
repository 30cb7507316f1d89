package store

import (
	"context"
	"strings"
	"testing"

	"github.com/cohost-dev/cohost/internal/testdb"
)

// host_settings.meetings (JSON) moves into host_setting_meetings when the
// store is opened by this version; a row whose JSON does not parse stops the
// migration instead of reading as "no live meetings".
func TestMigrateHostSettingMeetings(t *testing.T) {
	for _, engine := range testdb.Engines {
		t.Run(engine, func(t *testing.T) {
			ctx := context.Background()
			url := testdb.URL(t, engine)
			old, err := Open(ctx, url, Options{migrateUpTo: 4})
			if err != nil {
				t.Fatal(err)
			}
			_, err = old.eng.db().exec(ctx, `INSERT INTO host_settings (account_id, host_id, snapshot, meetings, taken_at) VALUES
				('a', 'h1', '{"in_meeting.chat":false}', '{"111":{"applied":true,"detail":"applied 14 of 14"},"222":{"released":true}}', 5),
				('a', 'h2', '', '', 6)`)
			old.Close()
			if err != nil {
				t.Fatal(err)
			}
			st, err := Open(ctx, url, Options{})
			if err != nil {
				t.Fatalf("migrate: %v", err)
			}
			defer st.Close()
			h, err := st.GetHostSettings(ctx, "a", "h1")
			if err != nil || strings.Join(h.Meetings, ",") != "111" || h.Restoring {
				t.Fatalf("h1 = %+v, %v; want live meeting 111", h, err)
			}
			hm, err := st.FindHostMeeting(ctx, "a", "111")
			if err != nil || !hm.Applied || hm.Detail != "applied 14 of 14" || hm.HostID != "h1" {
				t.Fatalf("meeting 111 = %+v, %v", hm, err)
			}
			if hm, err := st.FindHostMeeting(ctx, "a", "222"); err != nil || !hm.Released {
				t.Fatalf("meeting 222 = %+v, %v; want released", hm, err)
			}
			if h, err := st.GetHostSettings(ctx, "a", "h2"); err != nil || len(h.Meetings) != 0 {
				t.Fatalf("h2 = %+v, %v", h, err)
			}
		})
	}
}

func TestMigrateRefusesCorruptHostMeetings(t *testing.T) {
	for _, engine := range testdb.Engines {
		t.Run(engine, func(t *testing.T) {
			ctx := context.Background()
			url := testdb.URL(t, engine)
			old, err := Open(ctx, url, Options{migrateUpTo: 4})
			if err != nil {
				t.Fatal(err)
			}
			_, err = old.eng.db().exec(ctx, `INSERT INTO host_settings (account_id, host_id, snapshot, meetings, taken_at)
				VALUES ('a', 'h1', '{}', '{"111":', 5)`)
			old.Close()
			if err != nil {
				t.Fatal(err)
			}
			st, err := Open(ctx, url, Options{})
			if err == nil {
				st.Close()
				t.Fatal("a corrupt meetings column migrated silently")
			}
			if !strings.Contains(err.Error(), "0005") {
				t.Fatalf("error %q does not name the migration", err)
			}
		})
	}
}

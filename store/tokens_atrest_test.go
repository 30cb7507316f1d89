package store_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cohost-dev/cohost/hostclient"
	"github.com/cohost-dev/cohost/internal/testdb"
	"github.com/cohost-dev/cohost/store"
	"github.com/cohost-dev/cohost/zoomclient"
)

// databaseBytes returns what the database keeps on disk for zoom_tokens:
// for SQLite every file of the database (the file, its write-ahead log and
// its shared memory); for PostgreSQL the table's heap file, read by the
// server after a checkpoint (pg_read_binary_file: the tests connect as a
// superuser), and the row as the table returns it.
func databaseBytes(t *testing.T, engine, url string) []byte {
	t.Helper()
	ctx := context.Background()
	var out []byte
	switch engine {
	case "sqlite":
		path := strings.TrimPrefix(url, "sqlite://")
		files, err := filepath.Glob(path + "*")
		if err != nil || len(files) == 0 {
			t.Fatalf("no database files at %s: %v", path, err)
		}
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, b...)
		}
	case "postgres":
		conn, err := pgx.Connect(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, `CHECKPOINT`); err != nil {
			t.Fatal(err)
		}
		var heap []byte
		if err := conn.QueryRow(ctx, `SELECT pg_read_binary_file(pg_relation_filepath('zoom_tokens'))`).Scan(&heap); err != nil {
			t.Fatalf("reading zoom_tokens' file: %v", err)
		}
		out = append(out, heap...)
		rows, err := conn.Query(ctx, `SELECT access_token, refresh_token FROM zoom_tokens`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var at, rt []byte
			if err := rows.Scan(&at, &rt); err != nil {
				t.Fatal(err)
			}
			out = append(out, at...)
			out = append(out, rt...)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// No bearer token, access or refresh, can be read from the database without
// a key held outside it: in s2s mode without COHOST_ENCRYPTION_KEY (the
// default; the key is derived from the client secret), in s2s mode with it,
// and in oauth mode, on both engines. The test reads the database's bytes
// as they are on disk and finds none of the tokens Zoom issued, while the
// stored ones open with the key.
func TestTokensAtRestAreSealed(t *testing.T) {
	ctx := context.Background()
	key := bytes.Repeat([]byte{0x42}, zoomclient.SealerKeySize)
	for _, engine := range testdb.Engines {
		for _, mode := range []string{"s2s without a key", "s2s with a key", "oauth"} {
			t.Run(engine+"/"+mode, func(t *testing.T) {
				url := testdb.URL(t, engine)
				st := openTokenStore(t, url)
				zoom, srv := newTokFakeZoom(t)
				cfg := tokClientConfig(srv, st)
				var sealer *zoomclient.Sealer
				var err error
				switch mode {
				case "s2s without a key":
					sealer, err = zoomclient.SealerFromClientSecret(tokTestClientID, tokTestClientSecret)
				default:
					sealer, err = zoomclient.NewSealer(key)
					cfg.Sealer = sealer
				}
				if err != nil {
					t.Fatal(err)
				}
				client, err := zoomclient.New(cfg)
				if err != nil {
					t.Fatal(err)
				}
				if mode == "oauth" {
					cfg.Mode, cfg.AccountID = zoomclient.ModeOAuth, ""
					if client, err = zoomclient.New(cfg); err != nil {
						t.Fatal(err)
					}
					client = client.Account(tokTestAccount)
					// Installed (as /oauth/callback stores it) with an expired access
					// token, so the call below refreshes and rotates both.
					zoom.set(func(f *tokFakeZoom) { f.validRefresh["rt-install-1"] = true })
					if _, err := st.SaveToken(ctx, zoomclient.TokenRecord{AccountID: tokTestAccount,
						AccessToken:  sealer.Seal([]byte("at-install-1"), tokTestAccount, "access_token"),
						RefreshToken: sealer.Seal([]byte("rt-install-1"), tokTestAccount, "refresh_token"),
						Expiry:       time.Now().Add(-time.Minute)}, 0); err != nil {
						t.Fatal(err)
					}
				}
				if _, _, err := client.Meetings.Get(ctx, tokTestMeetingID); err != nil {
					t.Fatal(err)
				}
				issued := zoom.takeAPITokens()
				if len(issued) != 1 {
					t.Fatalf("the API saw %v", issued)
				}
				rec, err := st.LoadToken(ctx, tokTestAccount)
				if err != nil {
					t.Fatal(err)
				}
				for at := range issued {
					if got, err := sealer.Open(rec.AccessToken, tokTestAccount, "access_token"); err != nil || string(got) != at {
						t.Fatalf("the stored access token opens to %q, %v; want %q", got, err, at)
					}
				}
				if mode == "oauth" {
					if rt, err := sealer.Open(rec.RefreshToken, tokTestAccount, "refresh_token"); err != nil || !strings.HasPrefix(string(rt), "rt-oauth-") {
						t.Fatalf("the stored refresh token opens to %q, %v", rt, err)
					}
				}
				onDisk := databaseBytes(t, engine, url)
				// Every token the fake Zoom issues starts with at- or rt-.
				for _, clear := range []string{"at-s2s-", "at-oauth-", "rt-oauth-", "at-install-", "rt-install-"} {
					if i := bytes.Index(onDisk, []byte(clear)); i >= 0 {
						t.Fatalf("the database holds a token in clear: %q", onDisk[i:min(len(onDisk), i+20)])
					}
				}
			})
		}
	}
}

// A database written by an older build holds s2s access tokens in clear:
// opening it with this build drops them (migration 0011), so the row is gone
// (and on SQLite its bytes too: secure_delete and a checkpoint; PostgreSQL
// keeps the dead row version in the table's file until VACUUM reclaims it,
// docs/operations.md), and the client fetches a new token and stores it
// sealed.
func TestClearTokensOfAnOlderBuildAreDropped(t *testing.T) {
	ctx := context.Background()
	for _, engine := range testdb.Engines {
		t.Run(engine, func(t *testing.T) {
			url := testdb.URL(t, engine)
			old := store.OpenForTest(t, url, 8) // the schema as the older build left it
			if _, err := old.SaveToken(ctx, zoomclient.TokenRecord{AccountID: tokTestAccount, AccessToken: []byte("at-s2s-clear-old"),
				TokenType: "bearer", Expiry: time.Now().Add(time.Hour)}, 0); err != nil {
				t.Fatal(err)
			}
			old.Close()
			if engine == "sqlite" && !bytes.Contains(databaseBytes(t, engine, url), []byte("at-s2s-clear-old")) {
				t.Fatal("the test did not write the token in clear")
			}

			st := openTokenStore(t, url)
			if _, err := st.LoadToken(ctx, tokTestAccount); err == nil {
				t.Fatal("the clear token is still stored")
			}
			if engine == "sqlite" {
				if i := bytes.Index(databaseBytes(t, engine, url), []byte("at-s2s-clear-old")); i >= 0 {
					t.Fatal("the clear token is still in the database's files")
				}
			}
			zoom, srv := newTokFakeZoom(t)
			client, err := zoomclient.New(tokClientConfig(srv, st))
			if err != nil {
				t.Fatal(err)
			}
			if _, _, err := client.Meetings.Get(ctx, tokTestMeetingID); err != nil {
				t.Fatal(err)
			}
			if zoom.grantCount("account_credentials") != 1 {
				t.Fatal("no new token was fetched")
			}
			if i := bytes.Index(databaseBytes(t, engine, url), []byte("at-s2s-1")); i >= 0 {
				t.Fatal("the new token is stored in clear")
			}
		})
	}
}

// Host links an older build minted for a meeting id not in Zoom's one form
// are revoked when this build opens the database (migration 0011): they
// escaped the revocation of the meeting's canonical id. Links of canonical
// ids are left as they are.
func TestNonCanonicalHostLinksOfAnOlderBuildAreRevoked(t *testing.T) {
	ctx := context.Background()
	for _, engine := range testdb.Engines {
		t.Run(engine, func(t *testing.T) {
			url := testdb.URL(t, engine)
			old := store.OpenForTest(t, url, 8)
			now := time.Now()
			ids := map[string]bool{ // meeting id -> revoked by the migration
				"0087991488412": true, "087991488412": true, "0": true, "-5": true, "abc": true, "": true,
				"87991488412": false, "85746065432": false,
			}
			for id := range ids {
				if err := old.CreateHostLink(ctx, hostclient.LinkRecord{TokenHash: "hash-" + id, AccountID: "acct", MeetingID: id,
					CreatedAt: now, ExpiresAt: now.Add(time.Hour)}); err != nil {
					t.Fatal(err)
				}
			}
			old.Close()
			st := openTokenStore(t, url)
			for id, wantRevoked := range ids {
				l, err := st.HostLinkByHash(ctx, "hash-"+id)
				if err != nil {
					t.Fatal(err)
				}
				if revoked := !l.RevokedAt.IsZero(); revoked != wantRevoked {
					t.Errorf("the link of meeting %q: revoked %v, want %v", id, revoked, wantRevoked)
				}
			}
		})
	}
}

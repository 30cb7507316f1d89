package store

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
	"time"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

type dialect struct {
	name string
	// bytes is the column type for raw bytes.
	bytes string
	// forUpdate locks selected rows until the transaction ends. SQLite has
	// no row locks; its BEGIN IMMEDIATE already serialises writers.
	forUpdate string
}

var (
	dialectSQLite   = dialect{name: "sqlite", bytes: "BLOB"}
	dialectPostgres = dialect{name: "postgres", bytes: "BYTEA", forUpdate: " FOR UPDATE"}
)

// jsonText is the SQL expression for the text of key in the JSON column col
// (River's job arguments: JSONB on both engines).
func (d dialect) jsonText(col, key string) string {
	if d.name == "sqlite" {
		return "json_extract(" + col + ", '$." + key + "')"
	}
	return col + "->>'" + key + "'"
}

// migrate applies the embedded migrations not yet recorded, each in its own
// transaction. Files are named NNNN_what.sql and may use {{bytes}} for the
// engine's byte-column type.
func migrate(ctx context.Context, db querier, d dialect, inTx func(context.Context, func(querier) error) error) error {
	if _, err := db.exec(ctx, `CREATE TABLE IF NOT EXISTS cohost_migrations (
		version INTEGER PRIMARY KEY,
		name TEXT NOT NULL,
		applied_at BIGINT NOT NULL)`); err != nil {
		return fmt.Errorf("store: migrations table: %w", err)
	}
	entries, err := fs.ReadDir(migrationFiles, "migrations")
	if err != nil {
		return err
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].Name() < entries[j].Name() })
	seen := map[int]string{}
	for _, e := range entries {
		version, err := strconv.Atoi(strings.SplitN(e.Name(), "_", 2)[0])
		if err != nil {
			return fmt.Errorf("store: migration %s: name must start with a number", e.Name())
		}
		// Versions are recorded by number: a second file with the same
		// number would be skipped silently wherever the first had run.
		if other, dup := seen[version]; dup {
			return fmt.Errorf("store: migrations %s and %s have the same version %d; renumber one", other, e.Name(), version)
		}
		seen[version] = e.Name()
		var n int
		if err := db.queryRow(ctx, `SELECT count(*) FROM cohost_migrations WHERE version = $1`, version).Scan(&n); err != nil {
			return fmt.Errorf("store: migrations: %w", err)
		}
		if n > 0 {
			continue
		}
		body, err := migrationFiles.ReadFile("migrations/" + e.Name())
		if err != nil {
			return err
		}
		script := strings.ReplaceAll(string(body), "{{bytes}}", d.bytes)
		err = inTx(ctx, func(q querier) error {
			for _, stmt := range splitStatements(script) {
				if _, err := q.exec(ctx, stmt); err != nil {
					return fmt.Errorf("%w in: %.80s", err, stmt)
				}
			}
			_, err := q.exec(ctx, `INSERT INTO cohost_migrations (version, name, applied_at) VALUES ($1, $2, $3)`,
				version, e.Name(), time.Now().UnixMilli())
			return err
		})
		if err != nil {
			return fmt.Errorf("store: migration %s: %w", e.Name(), err)
		}
	}
	return nil
}

// splitStatements splits a script on semicolons at line ends; migrations keep
// one statement per semicolon-terminated block and no semicolons in literals.
func splitStatements(script string) []string {
	var out []string
	for _, part := range strings.Split(script, ";\n") {
		var lines []string
		for _, l := range strings.Split(part, "\n") {
			if t := strings.TrimSpace(l); t != "" && !strings.HasPrefix(t, "--") {
				lines = append(lines, l)
			}
		}
		if s := strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(strings.Join(lines, "\n")), ";")); s != "" {
			out = append(out, s)
		}
	}
	return out
}

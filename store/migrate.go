package store

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"path/filepath"
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

// migrate applies the embedded migrations not yet recorded, up to version
// upTo (0: all), each in its own transaction. Files are named
// NNNN_what.sql, for both engines, or NNNN_what.postgres.sql and
// NNNN_what.sqlite.sql, for one; a version's files run common first. They may
// use {{bytes}} for the engine's byte-column type.
func migrate(ctx context.Context, db querier, d dialect, upTo int, inTx func(context.Context, func(querier) error) error) error {
	if _, err := db.exec(ctx, `CREATE TABLE IF NOT EXISTS cohost_migrations (
		version INTEGER PRIMARY KEY,
		name TEXT NOT NULL,
		applied_at BIGINT NOT NULL)`); err != nil {
		return fmt.Errorf("store: migrations table: %w", err)
	}
	versions, err := migrationScripts(d)
	if err != nil {
		return err
	}
	for _, v := range versions {
		if upTo > 0 && v.version > upTo {
			break
		}
		var n int
		if err := db.queryRow(ctx, `SELECT count(*) FROM cohost_migrations WHERE version = $1`, v.version).Scan(&n); err != nil {
			return fmt.Errorf("store: migrations: %w", err)
		}
		if n > 0 {
			continue
		}
		err = inTx(ctx, func(q querier) error {
			for _, stmt := range splitStatements(v.script) {
				if _, err := q.exec(ctx, stmt); err != nil {
					return fmt.Errorf("%w in: %.80s", err, stmt)
				}
			}
			_, err := q.exec(ctx, `INSERT INTO cohost_migrations (version, name, applied_at) VALUES ($1, $2, $3)`,
				v.version, v.name, time.Now().UnixMilli())
			return err
		})
		if err != nil {
			return fmt.Errorf("store: migration %s: %w", v.name, err)
		}
	}
	return nil
}

type migrationVersion struct {
	version int
	name    string // the common file's name, or the engine's
	script  string
}

// migrationScripts returns the engine's migrations in version order.
func migrationScripts(d dialect) ([]migrationVersion, error) {
	entries, err := fs.ReadDir(migrationFiles, "migrations")
	if err != nil {
		return nil, err
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].Name() < entries[j].Name() })
	byVersion := map[int]*migrationVersion{}
	// Versions are recorded by number: a second migration with the same
	// number would be skipped silently wherever the first had run. One
	// version is one name, in a common file and per-engine files.
	baseOf := map[int]string{}
	var out []*migrationVersion
	for _, e := range entries {
		name := e.Name()
		version, err := strconv.Atoi(strings.SplitN(name, "_", 2)[0])
		if err != nil {
			return nil, fmt.Errorf("store: migration %s: name must start with a number", name)
		}
		base := strings.TrimSuffix(name, ".sql")
		engine := strings.TrimPrefix(filepath.Ext(base), ".")
		if engine != "" && engine != dialectSQLite.name && engine != dialectPostgres.name {
			return nil, fmt.Errorf("store: migration %s: %q is not an engine (sqlite, postgres)", name, engine)
		}
		stem := strings.TrimSuffix(base, filepath.Ext(base))
		if other, ok := baseOf[version]; ok && other != stem {
			return nil, fmt.Errorf("store: migrations %s and %s have the same version %d; renumber one", other, stem, version)
		}
		baseOf[version] = stem
		if engine != "" && engine != d.name {
			continue // the other engine's
		}
		body, err := migrationFiles.ReadFile("migrations/" + name)
		if err != nil {
			return nil, err
		}
		script := strings.ReplaceAll(string(body), "{{bytes}}", d.bytes)
		v := byVersion[version]
		if v == nil {
			v = &migrationVersion{version: version, name: name}
			byVersion[version] = v
			out = append(out, v)
		}
		if engine == "" {
			v.name, v.script = name, script+"\n"+v.script // the common file runs first
		} else {
			v.script += "\n" + script
		}
	}
	res := make([]migrationVersion, len(out))
	for i, v := range out {
		res[i] = *v
	}
	return res, nil
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

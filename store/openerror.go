package store

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"syscall"

	"github.com/jackc/pgx/v5/pgconn"
	sqlite3 "modernc.org/sqlite/lib"
)

// openError says why the database named by COHOST_DATABASE_URL could not be
// opened, in the operator's words and with what to do; the driver's error
// stays reachable (errors.Is, errors.As) but is not printed in full: it is
// long, and says more of the URL than the operator needs. Nothing in it
// comes from the URL's password.
type openError struct {
	msg string
	err error
}

func (e *openError) Error() string { return e.msg }
func (e *openError) Unwrap() error { return e.err }

// maxCauseBytes bounds the driver's own words kept in a message.
const maxCauseBytes = 200

// pgOpenProblem translates the common reasons PostgreSQL cannot be reached
// or used at start. addr is host:port; user and database are the URL's.
func pgOpenProblem(addr, user, database string, err error) error {
	if err == nil {
		return nil
	}
	words := func(format string, args ...any) error {
		return &openError{msg: fmt.Sprintf(format, args...), err: err}
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		server := bounded(pgErr.Message)
		switch pgErr.Code {
		case "28P01", "28000":
			return words("PostgreSQL at %s refused user %q (%s): check the user and password in COHOST_DATABASE_URL, and that pg_hba.conf lets this user in from cohostd's address",
				addr, user, server)
		case "3D000":
			return words("the database %q does not exist on PostgreSQL at %s: create it (createdb %s, or CREATE DATABASE) or fix the database name in COHOST_DATABASE_URL",
				database, addr, database)
		case "42501":
			return words("user %q may not create cohost's tables in database %q at %s (%s): make it the database's owner, or GRANT CREATE ON SCHEMA public to it",
				user, database, addr, server)
		case "53300":
			return words("PostgreSQL at %s has no free connection (%s): raise its max_connections, or lower pool_max_conns in COHOST_DATABASE_URL", addr, server)
		case "57P03":
			return words("PostgreSQL at %s is starting up or shutting down (%s); cohostd tries again when it restarts", addr, server)
		case "25006":
			return words("PostgreSQL at %s is read-only (a standby?): point COHOST_DATABASE_URL at the primary", addr)
		}
		return words("PostgreSQL at %s refused cohostd: %s (SQLSTATE %s)", addr, server, pgErr.Code)
	}
	var dnsErr *net.DNSError
	switch {
	case errors.As(err, &dnsErr):
		return words("cannot find the host of %s (%s): check the host in COHOST_DATABASE_URL", addr, bounded(dnsErr.Err))
	case errors.Is(err, syscall.ECONNREFUSED):
		return words("nothing accepts connections at %s (connection refused): is PostgreSQL running there, and are the host and port in COHOST_DATABASE_URL right?", addr)
	case errors.Is(err, context.DeadlineExceeded), isTimeout(err):
		return words("PostgreSQL at %s did not answer in time: check the host and port in COHOST_DATABASE_URL, and that no firewall or NetworkPolicy drops cohostd's connections", addr)
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return words("no route to %s: check the host in COHOST_DATABASE_URL and the network between cohostd and PostgreSQL", addr)
	}
	return words("cannot connect to PostgreSQL at %s: %s", addr, bounded(err.Error()))
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// sqliteCoder is modernc.org/sqlite's *Error: the SQLite result code.
type sqliteCoder interface{ Code() int }

// sqliteOpenProblem translates the reasons a SQLite file cannot be opened
// or written at start. It returns err unchanged when it is not one of them.
func sqliteOpenProblem(path string, err error) error {
	if err == nil {
		return nil
	}
	var ce sqliteCoder
	if !errors.As(err, &ce) {
		return err
	}
	abs, aerr := filepath.Abs(path)
	if aerr != nil {
		abs = path
	}
	words := func(format string, args ...any) error {
		return &openError{msg: fmt.Sprintf(format, args...), err: err}
	}
	switch ce.Code() & 0xff { // the primary code; extended codes carry it in the low byte
	case sqlite3.SQLITE_CANTOPEN:
		dir := filepath.Dir(abs)
		if fi, serr := os.Stat(abs); serr == nil && fi.IsDir() {
			return words("%s is a folder; COHOST_DATABASE_URL must name a file in it, like sqlite://%s", abs, filepath.Join(abs, "cohost.db"))
		}
		if _, serr := os.Stat(dir); errors.Is(serr, os.ErrNotExist) {
			return words("the folder %s does not exist: create it, or fix the path in COHOST_DATABASE_URL (sqlite:///data/cohost.db is an absolute path)", dir)
		}
		return words("cohostd cannot create or open %s: it must be able to write the file and its folder %s (SQLite keeps a -wal and a -shm file beside it); check their owner and permissions",
			abs, dir)
	case sqlite3.SQLITE_READONLY, sqlite3.SQLITE_PERM, sqlite3.SQLITE_AUTH:
		return words("%s is not writable by cohostd: it must be able to write the file and its folder %s (SQLite keeps a -wal and a -shm file beside it); check their owner and permissions, and that the volume is not mounted read-only",
			abs, filepath.Dir(abs))
	case sqlite3.SQLITE_NOTADB:
		return words("%s is not a SQLite database (or it is encrypted or damaged): point COHOST_DATABASE_URL at cohost's database file", abs)
	case sqlite3.SQLITE_CORRUPT:
		return words("%s is damaged (SQLite reports it corrupt): restore it from a backup, or move it aside to start empty", abs)
	case sqlite3.SQLITE_FULL:
		return words("the disk holding %s is full: free space or grow the volume", abs)
	case sqlite3.SQLITE_IOERR:
		return words("SQLite cannot read or write %s (an I/O error): check the disk and the volume", abs)
	}
	return err
}

// bounded keeps at most maxCauseBytes of a driver's words.
func bounded(s string) string {
	if len(s) > maxCauseBytes {
		return s[:maxCauseBytes] + "…"
	}
	return s
}

// pgAddr is host:port as the operator wrote it.
func pgAddr(host string, port uint16) string {
	return net.JoinHostPort(host, strconv.Itoa(int(port)))
}

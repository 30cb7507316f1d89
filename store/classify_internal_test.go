package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
)

// A value the database refuses for good must not be answered 503 (Zoom
// would retry it three times, then drop it): it is ErrInvalidData, and the
// error keeps only the code, since the database's message can quote the
// value. A lost connection is ErrUnavailable: the workers retry it.
func TestClassify(t *testing.T) {
	for _, tt := range []struct {
		err                  error
		invalid, unavailable bool
	}{
		{&pgconn.PgError{Code: "22021", Message: `invalid byte sequence for encoding "UTF8": 0x00`}, true, false},
		{&pgconn.PgError{Code: "22P02", Message: `invalid input syntax for type bigint: "SECRET-VALUE"`}, true, false},
		{&pgconn.PgError{Code: "54000", Message: "index row size 8216 exceeds btree version 4 maximum 2704"}, true, false},
		{fmt.Errorf("record events: %w", &pgconn.PgError{Code: "22001"}), true, false},
		{&pgconn.PgError{Code: "57P01", Message: "terminating connection due to administrator command"}, false, true},
		{&pgconn.PgError{Code: "08006", Message: "connection failure"}, false, true},
		{&pgconn.PgError{Code: "53300", Message: "too many connections"}, false, true},
		{&net.OpError{Op: "read", Net: "tcp", Err: errors.New("connection reset by peer")}, false, true},
		{fmt.Errorf("save: %w", io.ErrUnexpectedEOF), false, true},
		{&pgconn.PgError{Code: "40001"}, false, false},
		{&pgconn.PgError{Code: "23505", Message: "duplicate key"}, false, false},
		{errors.New("connection refused"), false, false},
		{context.DeadlineExceeded, false, false},
		{ErrNotFound, false, false},
	} {
		got := classify(tt.err)
		if errors.Is(got, ErrInvalidData) != tt.invalid || errors.Is(got, ErrUnavailable) != tt.unavailable {
			t.Errorf("classify(%v) = %v, want invalid=%v unavailable=%v", tt.err, got, tt.invalid, tt.unavailable)
		}
		if tt.invalid && strings.Contains(got.Error(), "SECRET-VALUE") {
			t.Errorf("the refused value leaks into the error: %v", got)
		}
	}
}

// cohost_expect's SQLSTATEs (migration 0012) are the held write's outcome:
// the event was processed already, the row changed since it was read.
func TestClassifyExpectations(t *testing.T) {
	for code, want := range map[string]error{sqlstateEventProcessed: ErrEventProcessed, sqlstateConflict: ErrConflict} {
		err := fmt.Errorf("commit: %w", &pgconn.PgError{Code: code})
		if got := classify(err); !errors.Is(got, want) || errors.Is(got, ErrUnavailable) || errors.Is(got, ErrInvalidData) {
			t.Errorf("classify(SQLSTATE %s) = %v, want %v", code, got, want)
		}
	}
}

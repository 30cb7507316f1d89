package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
)

// A value the database refuses for good must not be answered 503 (Zoom
// would retry it three times, then drop it): it is ErrInvalidData, and the
// error keeps only the code, since the database's message can quote the
// value.
func TestClassify(t *testing.T) {
	for _, tt := range []struct {
		err     error
		invalid bool
	}{
		{&pgconn.PgError{Code: "22021", Message: `invalid byte sequence for encoding "UTF8": 0x00`}, true},
		{&pgconn.PgError{Code: "22P02", Message: `invalid input syntax for type bigint: "SECRET-VALUE"`}, true},
		{&pgconn.PgError{Code: "54000", Message: "index row size 8216 exceeds btree version 4 maximum 2704"}, true},
		{fmt.Errorf("record events: %w", &pgconn.PgError{Code: "22001"}), true},
		{&pgconn.PgError{Code: "57P01", Message: "terminating connection due to administrator command"}, false},
		{&pgconn.PgError{Code: "40001"}, false},
		{errors.New("connection refused"), false},
		{context.DeadlineExceeded, false},
	} {
		got := classify(tt.err)
		if errors.Is(got, ErrInvalidData) != tt.invalid {
			t.Errorf("classify(%v) = %v, want invalid=%v", tt.err, got, tt.invalid)
		}
		if tt.invalid && strings.Contains(got.Error(), "SECRET-VALUE") {
			t.Errorf("the refused value leaks into the error: %v", got)
		}
	}
}

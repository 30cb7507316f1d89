package handlers

import (
	"testing"
	"time"
)

func TestDurationStatsNearestRank(t *testing.T) {
	ms := func(ns ...int64) []time.Duration {
		var out []time.Duration
		for _, n := range ns {
			out = append(out, time.Duration(n)*time.Millisecond)
		}
		return out
	}
	for _, tt := range []struct {
		name          string
		in            []time.Duration
		p50, p90, max int64
	}{
		{"one", ms(700), 700, 700, 700},
		{"two", ms(100, 900), 100, 900, 900},
		{"ten", ms(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), 5, 9, 10},
		{"eleven", ms(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11), 6, 10, 11},
		{"sub-millisecond", []time.Duration{400 * time.Microsecond}, 0, 0, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := durationStats(tt.in)
			if got.Count != len(tt.in) || *got.P50MS != tt.p50 || *got.P90MS != tt.p90 || *got.MaxMS != tt.max {
				t.Errorf("durationStats = count %d p50 %d p90 %d max %d, want %d %d %d %d",
					got.Count, *got.P50MS, *got.P90MS, *got.MaxMS, len(tt.in), tt.p50, tt.p90, tt.max)
			}
		})
	}
	if got := durationStats(nil); got.Count != 0 || got.P50MS != nil || got.P90MS != nil || got.MaxMS != nil {
		t.Errorf("durationStats(nil) = %+v, want a zero count and no figures", got)
	}
}

func TestETagMatches(t *testing.T) {
	const tag = `"abc"`
	for _, tt := range []struct {
		values []string
		want   bool
	}{
		{nil, false},
		{[]string{""}, false},
		{[]string{`"abc"`}, true},
		{[]string{`W/"abc"`}, true},
		{[]string{` "x" , "abc" `}, true},
		{[]string{`"x"`, `"abc"`}, true},
		{[]string{"*"}, true},
		{[]string{`abc`}, false},
		{[]string{`"abcd"`}, false},
		{[]string{`"ab"`, `"c"`}, false},
	} {
		if got := etagMatches(tt.values, tag); got != tt.want {
			t.Errorf("etagMatches(%q) = %v, want %v", tt.values, got, tt.want)
		}
	}
}

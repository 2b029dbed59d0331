package main

import (
	"runtime/debug"
	"testing"
)

// TestApplyMemoryLimit: --memory-limit sets the runtime's soft limit and
// relaxes the collector, unless GOMEMLIMIT/GOGC say otherwise; 0 changes
// nothing.
func TestApplyMemoryLimit(t *testing.T) {
	limit, percent := debug.SetMemoryLimit(-1), debug.SetGCPercent(100)
	debug.SetGCPercent(percent)
	t.Cleanup(func() { debug.SetMemoryLimit(limit); debug.SetGCPercent(percent) })
	current := func() (int64, int) {
		p := debug.SetGCPercent(100)
		debug.SetGCPercent(p)
		return debug.SetMemoryLimit(-1), p
	}
	reset := func() { debug.SetMemoryLimit(limit); debug.SetGCPercent(100) }

	for _, tc := range []struct {
		name          string
		mib           int
		gomemlimit    string
		gogc          string
		wantLimit     int64
		wantGCPercent int
	}{
		{"default", 40, "", "", 40 << 20, gcPercentUnderLimit},
		{"off", 0, "", "", limit, 100},
		{"GOMEMLIMIT wins", 40, "100MiB", "", limit, gcPercentUnderLimit},
		{"GOGC wins", 40, "", "150", 40 << 20, 100},
	} {
		t.Run(tc.name, func(t *testing.T) {
			reset()
			t.Setenv("GOMEMLIMIT", tc.gomemlimit)
			t.Setenv("GOGC", tc.gogc)
			applyMemoryLimit(tc.mib)
			if l, p := current(); l != tc.wantLimit || p != tc.wantGCPercent {
				t.Errorf("limit %d, GC percent %d; want %d, %d", l, p, tc.wantLimit, tc.wantGCPercent)
			}
		})
	}
}

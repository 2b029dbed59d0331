package main

import (
	"os"
	"runtime/debug"
)

// defaultMemoryLimitMiB keeps the server process within issue 9's budget
// (RSS ≤ 60 MB) with room for the binary and the runtime's own mappings.
const defaultMemoryLimitMiB = 40

// gcPercentUnderLimit is the garbage collector's target while a memory
// limit bounds the heap. pgdav's live heap is a few MB — answers stream,
// nothing is cached — but a request allocates as it writes (a 2 MB
// PROPFIND answer allocates ~13 MB), so with Go's default of 100 the
// collector runs several times per request and takes a large share of
// the CPU of calendar-query, expand and PROPFIND. Letting the heap grow
// to five times the live data spares most of that (docs/benchmarks.md);
// the soft limit keeps the total bounded all the same.
const gcPercentUnderLimit = 400

// applyMemoryLimit sets the runtime's soft memory limit to mib MiB and
// relaxes the collector under it; 0 leaves Go's defaults. GOMEMLIMIT and
// GOGC in the environment are the operator's explicit choice and win.
func applyMemoryLimit(mib int) {
	if mib <= 0 {
		return
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(int64(mib) << 20)
	}
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercentUnderLimit)
	}
}

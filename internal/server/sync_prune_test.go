package server

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakePruner records the calls of RunSyncPruner.
type fakePruner struct {
	mu    sync.Mutex
	calls []time.Duration
	err   error
	ran   chan struct{} // when set, receives one value per call
}

func (f *fakePruner) PruneTombstones(ctx context.Context, olderThan time.Duration) (int64, error) {
	f.mu.Lock()
	f.calls = append(f.calls, olderThan)
	f.mu.Unlock()
	if f.ran != nil {
		select {
		case f.ran <- struct{}{}:
		case <-ctx.Done():
		}
	}
	return 3, f.err
}

func (f *fakePruner) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.calls)
}

// The job prunes at once and then every interval with the retention as
// the age, logs failures and goes on, stops with its context, and does
// nothing with a retention of 0.
func TestRunSyncPruner(t *testing.T) {
	t.Parallel()
	idle := &fakePruner{}
	RunSyncPruner(t.Context(), idle, 0, time.Millisecond, nil) // returns at once
	if idle.count() != 0 {
		t.Fatal("retention 0 pruned")
	}

	var logs syncBuffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	p := &fakePruner{err: errors.New("database gone"), ran: make(chan struct{})}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() {
		RunSyncPruner(ctx, p, 90*24*time.Hour, 5*time.Millisecond, logger)
		close(done)
	}()
	// Three runs, the first at once, the others an interval apart; the
	// timer only bounds a broken test.
	for i := range 3 {
		select {
		case <-p.ran:
		case <-time.After(30 * time.Second):
			t.Fatalf("%d runs, want 3", i)
		}
	}
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("the job did not stop with its context")
	}
	p.mu.Lock()
	for _, d := range p.calls {
		if d != 90*24*time.Hour {
			t.Errorf("pruned with age %v", d)
		}
	}
	p.mu.Unlock()
	if !strings.Contains(logs.String(), "database gone") {
		t.Errorf("the failure was not logged:\n%s", logs.String())
	}
}

// The job on a real store: a deletion older than the retention is pruned,
// and a client whose token is from before it is told to sync again from
// scratch instead of missing the deletion.
func TestSyncPruningInvalidatesOldTokens(t *testing.T) {
	t.Parallel()
	e := newDAVEnv(t, envConfig{}, "alice")
	e.put(t, "alice", syncCal+"a.ics", event("prune-a", "A"), ctCal)
	e.put(t, "alice", syncCal+"b.ics", event("prune-b", "B"), ctCal)
	old := e.sync(t, "alice", syncCal, syncXML("", "1", "", etagProps))
	e.do(t, "alice", "DELETE", syncCal+"a.ics", "").want(t, http.StatusNoContent)
	recent := e.sync(t, "alice", syncCal, syncXML("", "1", "", etagProps))

	// The deletion is made an hour old in the database rather than by
	// waiting; the job runs at once, and ran tells when it has.
	e.ageTombstones(t)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	ran := make(chan struct{})
	go RunSyncPruner(ctx, pruneSignal{e.store, ran}, 30*time.Minute, time.Hour, nil)
	select {
	case <-ran:
	case <-time.After(30 * time.Second): // bounds a broken test only
		t.Fatal("the job did not run")
	}
	e.do(t, "alice", "REPORT", syncCal, syncXML(old.token, "1", "", etagProps)).condition(t, http.StatusForbidden, dName("valid-sync-token"))
	// The token from after the deletion still works, and a full sync is right.
	if a := e.sync(t, "alice", syncCal, syncXML(recent.token, "1", "", etagProps)); len(a.Responses) != 0 {
		t.Fatalf("recent token: %s", a.raw)
	}
	v := syncView{}
	e.pull(t, "alice", syncCal, "", v, 0)
	if len(v) != 1 || v[e.href(syncCal+"b.ics")] == "" {
		t.Fatalf("full sync after pruning: %v", v)
	}
}

// pruneSignal is a TombstonePruner that tells when each run is done.
type pruneSignal struct {
	TombstonePruner
	ran chan<- struct{}
}

func (p pruneSignal) PruneTombstones(ctx context.Context, olderThan time.Duration) (int64, error) {
	n, err := p.TombstonePruner.PruneTombstones(ctx, olderThan)
	select {
	case p.ran <- struct{}{}:
	case <-ctx.Done():
	}
	return n, err
}

package server

import (
	"context"
	"strings"
	"sync"
	"time"
)

// Failure throttling: after failureFree failed logins from one address or
// for one user name within failureWindow, each further attempt from that
// address or for that name waits before its password is checked, doubling
// from failureBaseDelay up to failureMaxDelay. This slows password guessing
// by orders of magnitude while a user who mistyped once is not delayed.
const (
	failureFree      = 5
	failureWindow    = 15 * time.Minute
	failureBaseDelay = 250 * time.Millisecond
	failureMaxDelay  = 10 * time.Second
	failureMaxKeys   = 100000
)

type failureTracker struct {
	mu      sync.Mutex
	entries map[string]*failureEntry
	now     func() time.Time
	sleep   func(ctx context.Context, d time.Duration) error
}

type failureEntry struct {
	count int
	last  time.Time
}

func newFailureTracker() *failureTracker {
	return &failureTracker{entries: map[string]*failureEntry{}, now: time.Now, sleep: sleepCtx}
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func ipKey(ip string) string     { return "ip:" + ip }
func userKey(name string) string { return "user:" + strings.ToLower(name) }

// delay is how long an attempt from ip for name must wait.
func (f *failureTracker) delay(ip, name string) time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := max(f.countLocked(ipKey(ip)), f.countLocked(userKey(name)))
	if n < failureFree {
		return 0
	}
	d := failureBaseDelay << min(n-failureFree, 10)
	return min(d, failureMaxDelay)
}

func (f *failureTracker) wait(ctx context.Context, ip, name string) error {
	if d := f.delay(ip, name); d > 0 {
		return f.sleep(ctx, d)
	}
	return nil
}

func (f *failureTracker) countLocked(key string) int {
	e, ok := f.entries[key]
	if !ok {
		return 0
	}
	if f.now().Sub(e.last) > failureWindow {
		delete(f.entries, key)
		return 0
	}
	return e.count
}

// add records a failure and returns the larger of the two recent counts.
func (f *failureTracker) add(ip, name string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	now := f.now()
	if len(f.entries) >= failureMaxKeys {
		for k, e := range f.entries {
			if now.Sub(e.last) > failureWindow {
				delete(f.entries, k)
			}
		}
		if len(f.entries) >= failureMaxKeys {
			clear(f.entries)
		}
	}
	n := 0
	for _, k := range []string{ipKey(ip), userKey(name)} {
		c := f.countLocked(k) + 1
		f.entries[k] = &failureEntry{count: c, last: now}
		n = max(n, c)
	}
	return n
}

// reset forgets the failures for name after a successful login. The
// address's count is left to expire, so one valid account cannot be used
// to clear an address that is guessing other users' passwords.
func (f *failureTracker) reset(name string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.entries, userKey(name))
}

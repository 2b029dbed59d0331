package server

import (
	"context"
	"hash/maphash"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Login throttling.
//
// Failures are counted per user name (from every address) and per user
// name and address: what a guesser controls. An address is never
// throttled as such, so behind a proxy whose address every client shares,
// one person's typos cannot slow anyone else.
//
// Credentials are verified before anything waits: a correct password is
// answered at once, and so is a credential found in the cache (a correct
// one) however many failures were counted. Only a failed attempt waits,
// and only once its user and address are "throttled":
//
//   - after failureFreeAddress failures for the name from that address, or
//   - after failureFreeUser failures for the name from all addresses, for
//     an address that has failed for the name at least once.
//
// A throttled attempt holds its user's lane (one throttled verification at
// a time per user name) from its verification until its failure's delay is
// over, and the delay runs to its end even when the client hangs up. So a
// guesser who stops waiting after the hash time still tries at most one
// password per delay per user, whatever its concurrency, while a correct
// password in the lane is answered as soon as it is verified. A guesser
// with many addresses gets one unthrottled try per fresh address per
// failureWindow; that is the cost it pays.
//
// The counters live in this process: several nodes let a guesser try as
// many times faster (README, "Login throttling").
const (
	failureFreeAddress = 5
	failureFreeUser    = 10
	failureWindow      = 15 * time.Minute
	failureBaseDelay   = 250 * time.Millisecond
	failureMaxDelay    = 10 * time.Second
	failureMaxKeys     = 100000
	throttleLanes      = 256
)

type failureTracker struct {
	mu      sync.Mutex
	entries map[string]*failureEntry
	now     func() time.Time
	// sleep waits out a failure's delay; tests replace it.
	sleep func(ctx context.Context, d time.Duration) error

	seed  maphash.Seed
	lanes [throttleLanes]chan struct{}

	throttled atomic.Int64 // throttled attempts since start
}

type failureEntry struct {
	count int
	last  time.Time
}

// failureCounts are the recent failures an attempt is judged by.
type failureCounts struct {
	user int // for the name, from every address
	addr int // for the name, from this address
}

func newFailureTracker() *failureTracker {
	f := &failureTracker{entries: map[string]*failureEntry{}, now: time.Now, sleep: sleepCtx, seed: maphash.MakeSeed()}
	for i := range f.lanes {
		f.lanes[i] = make(chan struct{}, 1)
	}
	return f
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

func userKey(name string) string         { return "u\x00" + strings.ToLower(name) }
func userAddrKey(ip, name string) string { return "a\x00" + strings.ToLower(name) + "\x00" + ip }

// delay is what a failed attempt for name from ip costs: 0 while the pair
// is not throttled, then doubling from failureBaseDelay up to
// failureMaxDelay.
func (f *failureTracker) delay(ip, name string) time.Duration {
	f.mu.Lock()
	c := failureCounts{user: f.countLocked(userKey(name)), addr: f.countLocked(userAddrKey(ip, name))}
	f.mu.Unlock()
	return throttleDelay(c)
}

func throttleDelay(c failureCounts) time.Duration {
	over := 0
	if c.addr >= failureFreeAddress {
		over = c.addr - failureFreeAddress + 1
	}
	if c.addr > 0 && c.user >= failureFreeUser {
		over = max(over, c.user-failureFreeUser+1)
	}
	if over == 0 {
		return 0
	}
	return min(failureBaseDelay<<min(over-1, 10), failureMaxDelay)
}

// enter is called before an uncached verification. When the attempt is
// throttled it waits for the name's lane and returns the delay a failure
// must then wait; release must be called once the attempt is answered
// (after that delay).
func (f *failureTracker) enter(ctx context.Context, ip, name string) (release func(), delay time.Duration, err error) {
	if f.delay(ip, name) == 0 {
		return func() {}, 0, nil
	}
	lane := f.lanes[maphash.String(f.seed, strings.ToLower(name))%throttleLanes]
	select {
	case lane <- struct{}{}:
	case <-ctx.Done():
		return nil, 0, ctx.Err()
	}
	f.throttled.Add(1)
	// Failures counted while this attempt waited for the lane count too.
	return func() { <-lane }, max(f.delay(ip, name), failureBaseDelay), nil
}

// wait sleeps out a failure's delay. It does not end when the client
// hangs up: the lane must stay taken for the whole delay.
func (f *failureTracker) wait(ctx context.Context, d time.Duration) {
	if d > 0 {
		_ = f.sleep(context.WithoutCancel(ctx), d)
	}
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

// add records a failure for name from ip and returns the counts with it.
func (f *failureTracker) add(ip, name string) failureCounts {
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
	var c failureCounts
	for _, p := range []struct {
		key string
		n   *int
	}{{userKey(name), &c.user}, {userAddrKey(ip, name), &c.addr}} {
		*p.n = f.countLocked(p.key) + 1
		f.entries[p.key] = &failureEntry{count: *p.n, last: now}
	}
	return c
}

// succeeded forgets the failures for name from ip after its password was
// verified there: the typos of the user at that address. The name's count
// from all addresses is left to expire, or the real user's logins would
// clear a distributed guesser's record.
func (f *failureTracker) succeeded(ip, name string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.entries, userAddrKey(ip, name))
}

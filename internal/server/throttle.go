package server

import (
	"context"
	"hash/maphash"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	"github.com/pgdav/pgdav/backend"
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
// a time per user name; names share 256 lanes, so two names throttled at
// once may take turns) from its verification until its failure's delay is
// over, and the delay runs to its end even when the client hangs up. So a
// guesser who stops waiting after the hash time still tries at most one
// password per delay per user, whatever its concurrency, while a correct
// password in the lane is answered as soon as it is verified. A guesser
// with many addresses gets one unthrottled try per fresh address per
// failureWindow; that is the cost it pays.
//
// The counters are kept in PostgreSQL (backend/loginfailure.go), so every
// node judges a guesser by all its failures; the lanes are per node, so n
// nodes verify at most n throttled guesses per user at a time.
const (
	failureFreeAddress = 5
	failureFreeUser    = 10
	failureWindow      = 15 * time.Minute
	failureBaseDelay   = 250 * time.Millisecond
	failureMaxDelay    = 10 * time.Second
	throttleLanes      = 256
)

// failureStore keeps the failed-login counts where every node sees them.
type failureStore interface {
	LoginFailures(ctx context.Context, name, addr string, since time.Time) (backend.LoginFailures, error)
	AddLoginFailure(ctx context.Context, name, addr string, at, since time.Time) (backend.LoginFailures, error)
	ClearLoginFailures(ctx context.Context, name, addr string) error
	PruneLoginFailures(ctx context.Context, before time.Time) (int64, error)
}

type failureTracker struct {
	store  failureStore
	logger *slog.Logger
	now    func() time.Time
	// sleep waits out a failure's delay; tests replace it.
	sleep func(ctx context.Context, d time.Duration) error

	seed  maphash.Seed
	lanes [throttleLanes]chan struct{}

	throttled atomic.Int64 // throttled attempts since start
	pruned    atomic.Int64 // when counts out of the window were last deleted (Unix ns)
}

func newFailureTracker(store failureStore, logger *slog.Logger) *failureTracker {
	f := &failureTracker{store: store, logger: logger, now: time.Now, sleep: sleepCtx, seed: maphash.MakeSeed()}
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

// counts are the recent failures an attempt for name from ip is judged by.
func (f *failureTracker) counts(ctx context.Context, ip, name string) (backend.LoginFailures, error) {
	return f.store.LoginFailures(ctx, name, ip, f.now().Add(-failureWindow))
}

// delay is what a failed attempt for name from ip costs: 0 while the pair
// is not throttled, then doubling from failureBaseDelay up to
// failureMaxDelay.
func (f *failureTracker) delay(ctx context.Context, ip, name string) (time.Duration, error) {
	c, err := f.counts(ctx, ip, name)
	return throttleDelay(c), err
}

func throttleDelay(c backend.LoginFailures) time.Duration {
	over := 0
	if c.Address >= failureFreeAddress {
		over = c.Address - failureFreeAddress + 1
	}
	if c.Address > 0 && c.User >= failureFreeUser {
		over = max(over, c.User-failureFreeUser+1)
	}
	if over == 0 {
		return 0
	}
	return min(failureBaseDelay<<min(over-1, 10), failureMaxDelay)
}

// enter is called before an uncached verification. When the attempt is
// throttled it waits for the name's lane and returns the delay a failure
// must then wait; release must be called once the attempt is answered
// (after that delay). failed reports whether ip has failures for name,
// which a success there clears.
func (f *failureTracker) enter(ctx context.Context, ip, name string) (release func(), delay time.Duration, failed bool, err error) {
	c, err := f.counts(ctx, ip, name)
	if err != nil {
		return nil, 0, false, err
	}
	if throttleDelay(c) == 0 {
		return func() {}, 0, c.Address > 0, nil
	}
	lane := f.lanes[maphash.String(f.seed, strings.ToLower(name))%throttleLanes]
	select {
	case lane <- struct{}{}:
	case <-ctx.Done():
		return nil, 0, false, ctx.Err()
	}
	f.throttled.Add(1)
	// Failures counted while this attempt waited for the lane count too.
	d, err := f.delay(ctx, ip, name)
	if err != nil {
		<-lane
		return nil, 0, false, err
	}
	return func() { <-lane }, max(d, failureBaseDelay), true, nil
}

// wait sleeps out a failure's delay. It does not end when the client
// hangs up: the lane must stay taken for the whole delay.
func (f *failureTracker) wait(ctx context.Context, d time.Duration) {
	if d > 0 {
		_ = f.sleep(context.WithoutCancel(ctx), d)
	}
}

// add records a failure for name from ip and returns the counts with it.
// Now and then it deletes the counts that are out of the window.
func (f *failureTracker) add(ctx context.Context, ip, name string) (backend.LoginFailures, error) {
	now := f.now()
	if last := f.pruned.Load(); now.UnixNano()-last > int64(failureWindow) && f.pruned.CompareAndSwap(last, now.UnixNano()) {
		if _, err := f.store.PruneLoginFailures(ctx, now.Add(-failureWindow)); err != nil {
			f.logger.Warn("pruning old login failures failed; retrying later", "err", err)
		}
	}
	return f.store.AddLoginFailure(ctx, name, ip, now, now.Add(-failureWindow))
}

// succeeded forgets the failures for name from ip after its password was
// verified there: the typos of the user at that address. The name's count
// from all addresses is left to expire, or the real user's logins would
// clear a distributed guesser's record.
func (f *failureTracker) succeeded(ctx context.Context, ip, name string) error {
	return f.store.ClearLoginFailures(ctx, name, ip)
}

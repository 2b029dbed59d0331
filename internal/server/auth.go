package server

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pgdav/pgdav/backend"
)

// credentialStore is what authentication needs from the store.
type credentialStore interface {
	GetPrincipalCredentials(ctx context.Context, name string, coll *backend.CollectionKey) (backend.Credentials, error)
	failureStore
}

// authenticator checks HTTP Basic credentials (RFC 7617).
//
// A password hash costs tens of milliseconds by design, and a client's sync
// sends hundreds of requests, so a verified credential is remembered for
// ttl. The cache key is an HMAC of name and password under a key that lives
// only in this process: the plain password is never kept. A hit still reads
// the principal (one indexed row), and counts only while the stored hash is
// the one that was verified and the account is enabled, so `pgdav user
// passwd` and `user disable` take effect at once, on every node.
type authenticator struct {
	store    credentialStore
	ttl      time.Duration
	logger   *slog.Logger
	key      []byte
	hashSlot chan struct{} // bounds concurrent password hashing (memory-hard)

	mu    sync.Mutex
	cache map[[32]byte]cachedCredential

	failures *failureTracker

	// checks counts password hash verifications (the expensive part).
	checks atomic.Int64
}

type cachedCredential struct {
	hash    string
	expires time.Time
}

// dummyHash is verified against when the user does not exist, so that an
// unknown name costs as much time as a wrong password; it has the
// parameters new hashes get.
var dummyHash = backend.DummyHash()

func newAuthenticator(store credentialStore, ttl time.Duration, logger *slog.Logger) *authenticator {
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	return &authenticator{
		store:    store,
		ttl:      ttl,
		logger:   logger,
		key:      key,
		hashSlot: make(chan struct{}, max(2, runtime.NumCPU())),
		cache:    map[[32]byte]cachedCredential{},
		failures: newFailureTracker(store, logger),
	}
}

var errBadCredentials = errors.New("invalid user name or password")

// collectionRef names the collection a request's URL is about: its
// owner's name and its key.
type collectionRef struct {
	user string
	key  backend.CollectionKey
}

// authenticate returns the principal whose credentials r carries and,
// when coll is not nil and the principal owns it, that collection (nil if
// it does not exist), read in the same statement.
//
// Every attempt that is not a cache hit runs one password verification,
// against the account's hash or, for an unknown name, a dummy one, so that
// unknown, disabled and wrong-password logins cost the same time. Only
// failures are delayed (throttle.go).
func (a *authenticator) authenticate(r *http.Request, coll *collectionRef) (backend.Principal, *backend.Collection, error) {
	name, password, ok := r.BasicAuth()
	if !ok || name == "" {
		return backend.Principal{}, nil, errBadCredentials
	}
	ctx := r.Context()
	ip := remoteIP(r)
	var key *backend.CollectionKey
	if coll != nil && strings.EqualFold(coll.user, name) {
		key = &coll.key
	}
	cr, err := a.store.GetPrincipalCredentials(ctx, name, key)
	hash, reason := cr.PasswordHash, ""
	switch {
	case errors.Is(err, backend.ErrNotFound):
		hash, reason = dummyHash, "unknown user"
	case err != nil:
		return backend.Principal{}, nil, err
	case cr.Principal.Disabled:
		reason = "account disabled"
	}
	cacheKey := a.cacheKey(name, password)
	if reason == "" && a.cached(cacheKey, hash) {
		return cr.Principal, cr.Collection, nil
	}
	release, delay, failed, err := a.failures.enter(ctx, ip, name)
	if err != nil {
		return backend.Principal{}, nil, err
	}
	defer release()
	ok, err = a.check(ctx, hash, password)
	if err != nil {
		return backend.Principal{}, nil, err
	}
	if ok && reason == "" {
		a.remember(cacheKey, hash)
		if failed {
			if err := a.failures.succeeded(ctx, ip, name); err != nil {
				a.logger.Warn("clearing login failures failed", "user", name, "remote", ip, "err", err)
			}
		}
		return cr.Principal, cr.Collection, nil
	}
	if reason == "" {
		reason = "wrong password"
	}
	a.fail(ctx, ip, name, reason, delay)
	a.failures.wait(ctx, delay)
	return backend.Principal{}, nil, errBadCredentials
}

// check verifies password against hash, waiting for a hashing slot.
func (a *authenticator) check(ctx context.Context, hash, password string) (bool, error) {
	select {
	case a.hashSlot <- struct{}{}:
	case <-ctx.Done():
		return false, ctx.Err()
	}
	defer func() { <-a.hashSlot }()
	a.checks.Add(1)
	return backend.CheckPassword(hash, password)
}

// fail records and logs a failed attempt; delay is what it waits when it
// was throttled, and the log line then counts the throttled attempts.
func (a *authenticator) fail(ctx context.Context, ip, name, reason string, delay time.Duration) {
	attrs := []any{"user", name, "remote", ip, "reason", reason}
	// Counted even when the client has gone: its guess was verified.
	c, err := a.failures.add(context.WithoutCancel(ctx), ip, name)
	if err != nil {
		attrs = append(attrs, "count_err", err)
	} else {
		attrs = append(attrs, "recent_failures_user", c.User, "recent_failures_user_remote", c.Address)
	}
	if delay > 0 {
		attrs = append(attrs, "throttled", true, "delay", delay, "throttled_attempts", a.failures.throttled.Load())
	}
	a.logger.Warn("authentication failed", attrs...)
}

func (a *authenticator) cacheKey(name, password string) [32]byte {
	m := hmac.New(sha256.New, a.key)
	m.Write([]byte(strings.ToLower(name)))
	m.Write([]byte{0})
	m.Write([]byte(password))
	var k [32]byte
	copy(k[:], m.Sum(nil))
	return k
}

func (a *authenticator) cached(key [32]byte, hash string) bool {
	if a.ttl <= 0 {
		return false
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	c, ok := a.cache[key]
	if !ok {
		return false
	}
	if c.hash != hash || time.Now().After(c.expires) {
		delete(a.cache, key)
		return false
	}
	return true
}

func (a *authenticator) remember(key [32]byte, hash string) {
	if a.ttl <= 0 {
		return
	}
	now := time.Now()
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.cache) >= 10000 { // bound memory: drop expired entries, or all
		for k, c := range a.cache {
			if now.After(c.expires) {
				delete(a.cache, k)
			}
		}
		if len(a.cache) >= 10000 {
			clear(a.cache)
		}
	}
	a.cache[key] = cachedCredential{hash: hash, expires: now.Add(a.ttl)}
}

// remoteIP is the client address of r (the proxy's, until trusted proxy
// headers are configured).
func remoteIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

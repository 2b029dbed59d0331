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
// unknown name costs as much time as a wrong password.
var dummyHash, _ = backend.HashPassword("pgdav-dummy-password")

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
		failures: newFailureTracker(),
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
func (a *authenticator) authenticate(r *http.Request, coll *collectionRef) (backend.Principal, *backend.Collection, error) {
	name, password, ok := r.BasicAuth()
	if !ok || name == "" {
		return backend.Principal{}, nil, errBadCredentials
	}
	ctx := r.Context()
	ip := remoteIP(r)
	if err := a.failures.wait(ctx, ip, name); err != nil {
		return backend.Principal{}, nil, err
	}
	var key *backend.CollectionKey
	if coll != nil && strings.EqualFold(coll.user, name) {
		key = &coll.key
	}
	cr, err := a.store.GetPrincipalCredentials(ctx, name, key)
	switch {
	case errors.Is(err, backend.ErrNotFound):
		a.check(ctx, dummyHash, password)
		a.fail(ip, name, "unknown user")
		return backend.Principal{}, nil, errBadCredentials
	case err != nil:
		return backend.Principal{}, nil, err
	}
	p := cr.Principal
	if p.Disabled {
		a.fail(ip, name, "account disabled")
		return backend.Principal{}, nil, errBadCredentials
	}
	cacheKey := a.cacheKey(p.Name, password)
	if a.cached(cacheKey, cr.PasswordHash) {
		return p, cr.Collection, nil
	}
	ok, err = a.check(ctx, cr.PasswordHash, password)
	if err != nil {
		return backend.Principal{}, nil, err
	}
	if !ok {
		a.fail(ip, name, "wrong password")
		return backend.Principal{}, nil, errBadCredentials
	}
	a.remember(cacheKey, cr.PasswordHash)
	a.failures.reset(name)
	return p, cr.Collection, nil
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

func (a *authenticator) fail(ip, name, reason string) {
	n := a.failures.add(ip, name)
	a.logger.Warn("authentication failed", "user", name, "remote", ip, "reason", reason, "recent_failures", n)
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

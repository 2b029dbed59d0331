package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/pgdav/pgdav/backend"
	"github.com/pgdav/pgdav/caldav"
	"github.com/pgdav/pgdav/carddav"
	"github.com/pgdav/pgdav/internal/dav"
)

// Config is what the HTTP side needs to know.
type Config struct {
	// AuthCacheTTL is how long a verified password is remembered; 0
	// disables the cache.
	AuthCacheTTL time.Duration
	// BasePath is the URL prefix of every DAV path ("" or "/dav").
	BasePath string
	// MaxResourceSize bounds one calendar object or vCard, in bytes.
	MaxResourceSize int64
	// TrustedProxies are the peers whose X-Forwarded-*/Forwarded headers
	// are believed (proxy.go); empty trusts none.
	TrustedProxies TrustedProxies
	// SyncMaxResults caps the members of one sync-collection answer; a
	// longer delta is paged (RFC 6578 3.6). 0 means no cap.
	SyncMaxResults int
	// Limits bound slow and hostile clients (limits.go); the zero value
	// means DefaultLimits.
	Limits Limits
	Logger *slog.Logger
}

// DefaultMaxResourceSize is the largest calendar object or vCard accepted
// when no limit is configured: generous for events with long descriptions
// and cards with photos.
const DefaultMaxResourceSize = 10 << 20

// Store is what the server needs from the backend: every interface its
// parts consume, so that a store missing a method fails to compile here
// rather than answering 501 at run time.
type Store interface {
	credentialStore
	dav.Store
	caldav.Store
	carddav.Store
	TombstonePruner
	Ping(ctx context.Context) error
}

var _ Store = (*backend.Store)(nil)

// Server is pgdav's HTTP handler.
type Server struct {
	cfg    Config
	store  Store
	logger *slog.Logger
	auth   *authenticator
	dav    *dav.Handler
	ready  atomic.Bool
	mux    *http.ServeMux
	// davAuth serves every path the mux does not own: authenticated DAV.
	davAuth http.Handler

	warnedUntrusted atomic.Bool // forwarded headers from an untrusted peer were logged

	clients *clientLimiter // requests in progress per client (limits.go)
}

// New returns the handler for every pgdav URL. It answers DAV requests with
// 503 until SetReady is called (after migrations have run).
func New(cfg Config, store Store) *Server {
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{
		cfg:    cfg,
		store:  store,
		logger: logger,
		auth:   newAuthenticator(store, cfg.AuthCacheTTL, logger),
		mux:    http.NewServeMux(),
	}
	if cfg.MaxResourceSize <= 0 {
		cfg.MaxResourceSize = DefaultMaxResourceSize
	}
	if cfg.Limits == (Limits{}) {
		cfg.Limits = DefaultLimits()
	}
	s.cfg = cfg
	s.clients = newClientLimiter(cfg.Limits.MaxRequestsPerClient)
	s.dav = dav.NewHandler(dav.Config{BasePath: cfg.BasePath, MaxResourceSize: cfg.MaxResourceSize, SyncMaxResults: cfg.SyncMaxResults}, store,
		caldav.NewType(cfg.MaxResourceSize, store), carddav.NewType(cfg.MaxResourceSize, carddav.DefaultMaxResults, store))
	s.mux.HandleFunc("GET /healthz", s.healthz)
	s.mux.HandleFunc("GET /readyz", s.readyz)
	// RFC 6764 5: the well-known URIs redirect without authentication
	// (Apple probes them before it has credentials), at the root and,
	// for proxies that pass them through, under the base path.
	// Users type them with a trailing slash too ({$}: that path only).
	for _, prefix := range uniq("", s.dav.BasePath()) {
		for _, p := range []string{"/.well-known/caldav", "/.well-known/carddav"} {
			s.mux.HandleFunc(prefix+p, s.wellKnown)
			s.mux.HandleFunc(prefix+p+"/{$}", s.wellKnown)
		}
	}
	// Every other path is DAV. It bypasses the ServeMux, which would
	// clean paths and redirect "//" or "/../" away before pgdav's own
	// href decoding answers them.
	s.davAuth = s.requireAuth(s.dav)
	return s
}

func uniq(a, b string) []string {
	if a == b {
		return []string{a}
	}
	return []string{a, b}
}

// wellKnown redirects to the context path, the base path's root, where an
// authenticated PROPFIND finds current-user-principal (RFC 6764 6). 301
// keeps the method and body for PROPFIND in every client studied.
func (s *Server) wellKnown(w http.ResponseWriter, r *http.Request) {
	http.Redirect(w, r, s.dav.Href(true), http.StatusMovedPermanently)
}

// SetReady marks the server ready: the database is migrated.
func (s *Server) SetReady() { s.ready.Store(true) }

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.forwarded(s.logRequests(s.limitRequests(s.recoverPanics(http.HandlerFunc(s.route))))).ServeHTTP(w, r)
}

// healthz answers 200 while the process is up: a liveness probe that
// never depends on the database, so a slow migration is not killed.
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintln(w, "ok")
}

// readyz answers 200 when the database answers and is migrated.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if !s.ready.Load() {
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintln(w, "starting: database not migrated yet")
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.store.Ping(ctx); err != nil {
		s.logger.Warn("readiness check failed", "err", err)
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintln(w, "database unreachable")
		return
	}
	fmt.Fprintln(w, "ok")
}

// requireAuth answers 401 with a Basic challenge unless the request carries
// valid credentials, and puts the principal into the request's context.
func (s *Server) requireAuth(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.ready.Load() {
			w.Header().Set("Retry-After", "5")
			http.Error(w, "pgdav is starting", http.StatusServiceUnavailable)
			return
		}
		var coll *collectionRef
		if user, key, ok := s.dav.CollectionOf(r); ok {
			coll = &collectionRef{user: user, key: key}
		}
		p, c, err := s.auth.authenticate(r, coll)
		if err != nil {
			if errors.Is(backend.Classify(err), backend.ErrUnavailable) {
				dav.WriteError(w, r, err) // 503 and Retry-After, not a 401 or 500
				return
			}
			if !errors.Is(err, errBadCredentials) && r.Context().Err() == nil {
				s.logger.Error("authentication error", "err", err)
				http.Error(w, "internal server error", http.StatusInternalServerError)
				return
			}
			w.Header().Set("WWW-Authenticate", `Basic realm="pgdav", charset="UTF-8"`)
			http.Error(w, "authentication required", http.StatusUnauthorized)
			return
		}
		setLogUser(r.Context(), p.Name)
		ctx := dav.WithPrincipal(r.Context(), p)
		if c != nil {
			ctx = dav.WithCollection(ctx, c)
		}
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// Run serves h on ln until ctx is cancelled, then stops accepting
// connections and lets in-flight requests finish for up to shutdownTimeout.
// When h is a *Server, its Config.Limits and trusted proxies bound the
// connections (limits_conn.go); otherwise DefaultLimits do.
func Run(ctx context.Context, ln net.Listener, h http.Handler, shutdownTimeout time.Duration, logger *slog.Logger) error {
	lim, trusted := DefaultLimits(), TrustedProxies(nil)
	if s, ok := h.(*Server); ok {
		lim, trusted = s.cfg.Limits, s.cfg.TrustedProxies
	}
	ln = newConnLimiter(ln, lim.MaxConnsPerClient, trusted, logger)
	srv := httpServer(h, lim)
	srv.ErrorLog = slog.NewLogLogger(logger.Handler(), slog.LevelWarn)
	srv.BaseContext = func(net.Listener) context.Context { return context.WithoutCancel(ctx) }
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("http server: %w", err)
	case <-ctx.Done():
	}
	logger.Info("shutting down: finishing in-flight requests", "timeout", shutdownTimeout)
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		_ = srv.Close()
		return fmt.Errorf("http server: shutdown: %w", err)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("http server: %w", err)
	}
	return nil
}

// route sends the probes and well-known URIs to the mux and everything
// else to the DAV handler.
func (s *Server) route(w http.ResponseWriter, r *http.Request) {
	if _, pattern := s.mux.Handler(r); pattern != "" {
		s.mux.ServeHTTP(w, r)
		return
	}
	s.davAuth.ServeHTTP(w, r)
}

// DefaultSyncMaxResults is serve's default for Config.SyncMaxResults.
const DefaultSyncMaxResults = dav.DefaultSyncMaxResults

// TombstonePruner removes old sync-collection tombstones;
// *backend.Store has it (PruneTombstones).
type TombstonePruner interface {
	PruneTombstones(ctx context.Context, olderThan time.Duration) (int64, error)
}

// SyncPruneInterval is how often RunSyncPruner prunes.
const SyncPruneInterval = time.Hour

// RunSyncPruner removes the change-log tombstones older than retention
// now and then every interval, until ctx ends; a retention of 0 keeps
// them forever and returns at once. Tokens from before a pruned point
// are then answered with DAV:valid-sync-token and their clients sync
// again from scratch, rather than miss a deletion. Every node may run
// it: the store's pruning is safe to run concurrently. Failures are
// logged and retried at the next interval.
func RunSyncPruner(ctx context.Context, store TombstonePruner, retention, interval time.Duration, logger *slog.Logger) {
	if retention <= 0 {
		return
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		n, err := store.PruneTombstones(ctx, retention)
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			logger.Warn("pruning sync tombstones failed; retrying later", "err", err, "retry_in", interval)
		case n > 0:
			logger.Info("pruned sync tombstones", "removed", n, "older_than", retention)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

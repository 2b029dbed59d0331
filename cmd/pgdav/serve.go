package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"path"
	"strings"
	"time"

	"github.com/pgdav/pgdav/backend"
	"github.com/pgdav/pgdav/internal/server"
)

type serveConfig struct {
	common          commonConfig
	listen          string
	basePath        string
	trustedProxies  string
	maxResourceSize int64
	demo            bool
	authCacheTTL    time.Duration
	shutdownTimeout time.Duration
	syncMaxResults  int
	syncRetention   time.Duration
	pprofListen     string
	memoryLimitMiB  int
	limits          server.Limits
}

func serveCmd(ctx context.Context, e env, args []string, stopSignals func()) error {
	var c serveConfig
	fs := newFlagSet(e, "serve", "serve [flags]")
	addCommon(fs, &c.common, "info")
	fs.StringVar(&c.listen, "listen", "127.0.0.1:8080", "address to listen on for HTTP")
	fs.fromEnv("listen", "PGDAV_LISTEN")
	fs.StringVar(&c.basePath, "base-path", "/", "URL path prefix of every DAV URL, e.g. /dav when a proxy serves pgdav under https://host/dav/")
	fs.fromEnv("base-path", "PGDAV_BASE_PATH")
	fs.StringVar(&c.trustedProxies, "trusted-proxies", "", "comma-separated IP addresses and CIDR prefixes of reverse proxies whose X-Forwarded-For/-Proto/-Host and Forwarded headers are believed, e.g. 127.0.0.1,::1 (default: none)")
	fs.fromEnv("trusted-proxies", "PGDAV_TRUSTED_PROXIES")
	fs.Int64Var(&c.maxResourceSize, "max-resource-size", server.DefaultMaxResourceSize, "largest calendar object or vCard accepted, in bytes")
	fs.fromEnv("max-resource-size", "PGDAV_MAX_RESOURCE_SIZE")
	fs.BoolVar(&c.demo, "demo", false, `when the database has no user yet, create user "demo" with a random password and print it once`)
	fs.fromEnv("demo", "PGDAV_DEMO")
	fs.DurationVar(&c.authCacheTTL, "auth-cache-ttl", 5*time.Minute, "how long a verified password is remembered (0 disables)")
	fs.fromEnv("auth-cache-ttl", "PGDAV_AUTH_CACHE_TTL")
	fs.DurationVar(&c.shutdownTimeout, "shutdown-timeout", 20*time.Second, "on SIGTERM/SIGINT, how long in-flight requests may take to finish")
	fs.fromEnv("shutdown-timeout", "PGDAV_SHUTDOWN_TIMEOUT")
	fs.IntVar(&c.syncMaxResults, "sync-max-results", server.DefaultSyncMaxResults, "most members in one sync-collection answer; a longer one is paged (0: no cap)")
	fs.fromEnv("sync-max-results", "PGDAV_SYNC_MAX_RESULTS")
	fs.DurationVar(&c.syncRetention, "sync-retention", 2160*time.Hour, "how long deletions are kept for sync-collection; older sync tokens get a full resync (0 keeps them forever)")
	fs.fromEnv("sync-retention", "PGDAV_SYNC_RETENTION")
	fs.StringVar(&c.pprofListen, "pprof-listen", "", "loopback address for Go's /debug/pprof/ profiler, e.g. 127.0.0.1:6060 (default: off)")
	fs.fromEnv("pprof-listen", "PGDAV_PPROF_LISTEN")
	fs.IntVar(&c.memoryLimitMiB, "memory-limit", defaultMemoryLimitMiB, "soft limit of the Go runtime's memory in MiB: garbage is collected rarely below it and eagerly near it (0: Go's own defaults; GOMEMLIMIT and GOGC, when set, win)")
	fs.fromEnv("memory-limit", "PGDAV_MEMORY_LIMIT")
	addLimits(fs, &c.limits)
	rest, err := fs.parse(e, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usagef("serve: unexpected argument %q", rest[0])
	}
	if err := c.common.validate(); err != nil {
		return err
	}
	if err := durationPositive("auth-cache-ttl", c.authCacheTTL); err != nil {
		return err
	}
	if err := durationPositive("shutdown-timeout", c.shutdownTimeout); err != nil {
		return err
	}
	if err := durationPositive("sync-retention", c.syncRetention); err != nil {
		return err
	}
	if c.syncMaxResults < 0 {
		return usagef("--sync-max-results must not be negative")
	}
	if err := validateLimits(c.limits); err != nil {
		return err
	}
	if c.memoryLimitMiB < 0 {
		return usagef("--memory-limit must not be negative")
	}
	applyMemoryLimit(c.memoryLimitMiB)
	if _, _, err := net.SplitHostPort(c.listen); err != nil {
		return usagef("--listen %q: %v", c.listen, err)
	}
	if c.pprofListen != "" {
		if err := server.CheckPprofAddr(c.pprofListen); err != nil {
			return usagef("--pprof-listen %q: %v", c.pprofListen, err)
		}
	}
	base, err := cleanBasePath(c.basePath)
	if err != nil {
		return err
	}
	proxies, err := server.ParseTrustedProxies(c.trustedProxies)
	if err != nil {
		return usagef("--trusted-proxies: %v", err)
	}
	if c.maxResourceSize < 1024 {
		return usagef("--max-resource-size %d: want at least 1024 bytes", c.maxResourceSize)
	}
	logger := c.common.newLogger(e)

	db, err := openDatabase(ctx, &c.common, logger, true)
	if err != nil {
		return err
	}
	defer db.Close(ctx)
	db.supervise(ctx)

	ln, err := net.Listen("tcp", c.listen)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	if c.pprofListen != "" {
		pln, err := net.Listen("tcp", c.pprofListen)
		if err != nil {
			ln.Close()
			return fmt.Errorf("--pprof-listen: %w", err)
		}
		go server.RunPprof(ctx, pln, logger)
	}
	srv := server.New(server.Config{
		AuthCacheTTL: c.authCacheTTL, BasePath: base, MaxResourceSize: c.maxResourceSize,
		TrustedProxies: proxies, SyncMaxResults: c.syncMaxResults, Limits: c.limits, Logger: logger,
	}, db.store)
	logger.Info("pgdav listening", "addr", ln.Addr().String(), "base_path", base+"/", "trusted_proxies", proxies.String())
	for _, p := range proxies {
		if p.Bits() == 0 {
			logger.Warn("--trusted-proxies includes every address: any client can set the address pgdav logs and throttles by", "prefix", p.String())
		}
	}

	// Listen first, migrate second: /healthz answers during a long
	// migration and /readyz turns green when it is done.
	go func() {
		<-ctx.Done()
		stopSignals()
	}()
	errc := make(chan error, 1)
	go func() { errc <- server.Run(ctx, ln, srv, c.shutdownTimeout, logger) }()

	if err := prepareWhenAvailable(ctx, e, db.store, c.demo, logger); err != nil {
		ln.Close()
		<-errc
		return err
	}
	srv.SetReady()
	logger.Info("pgdav ready")
	go server.RunSyncPruner(ctx, db.store, c.syncRetention, server.SyncPruneInterval, logger)
	if err := <-errc; err != nil {
		return err
	}
	logger.Info("pgdav stopped")
	return nil
}

// cleanBasePath checks --base-path and returns it without a trailing
// slash ("" for the root).
func cleanBasePath(p string) (string, error) {
	if !strings.HasPrefix(p, "/") {
		return "", usagef("--base-path %q must start with /", p)
	}
	clean := path.Clean(p)
	if clean != strings.TrimSuffix(p, "/") && clean+"/" != p && p != "/" {
		return "", usagef("--base-path %q is not a clean path (try %q)", p, clean)
	}
	if strings.ContainsAny(clean, "?#%\\ ") {
		return "", usagef("--base-path %q: use letters, digits and - _ . / only", p)
	}
	return strings.TrimSuffix(clean, "/"), nil
}

// prepare migrates the database and creates the demo account if asked.
func prepare(ctx context.Context, e env, store *backend.Store, demo bool) error {
	if _, err := store.Migrate(ctx); err != nil {
		return err
	}
	if !demo {
		return nil
	}
	n, err := store.CountPrincipals(ctx)
	if err != nil || n > 0 {
		return err
	}
	password := rand.Text()
	hash, err := backend.HashPassword(password)
	if err != nil {
		return err
	}
	_, err = store.CreatePrincipal(ctx, backend.Principal{Name: "demo", DisplayName: "Demo User", Email: "demo@example.org"},
		hash, defaultCollections())
	if errors.Is(err, backend.ErrExists) { // another node made it first
		return nil
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "\nCreated the demo account (shown once; change it with `pgdav user passwd demo`):\n"+
		"  user:     demo\n  password: %s\n\n", password)
	return nil
}

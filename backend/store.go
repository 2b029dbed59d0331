package backend

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// PoolOptions tune the connection pool. Zero values take the defaults
// documented on each field.
type PoolOptions struct {
	MaxConns        int32         // default 10
	MinConns        int32         // default 1
	MaxConnLifetime time.Duration // default 1h
	MaxConnIdleTime time.Duration // default 15m
}

// DefaultPoolOptions are the pool settings used when none are given.
var DefaultPoolOptions = PoolOptions{
	MaxConns:        10,
	MinConns:        1,
	MaxConnLifetime: time.Hour,
	MaxConnIdleTime: 15 * time.Minute,
}

// Store is pgdav's PostgreSQL store. It is safe for concurrent use and holds
// no state that another pgdav node would need: everything lives in the
// database.
type Store struct {
	pool   *pgxpool.Pool
	logger *slog.Logger
}

// Open connects to the database described by connString (a postgres:// URL
// or a libpq keyword/value string) and checks that it answers.
func Open(ctx context.Context, connString string, opts PoolOptions, logger *slog.Logger) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(connString)
	if err != nil {
		return nil, fmt.Errorf("backend: parse database URL: %w", err)
	}
	def := DefaultPoolOptions
	cfg.MaxConns = pick(opts.MaxConns, def.MaxConns)
	cfg.MinConns = min(pick(opts.MinConns, def.MinConns), cfg.MaxConns)
	cfg.MaxConnLifetime = pick(opts.MaxConnLifetime, def.MaxConnLifetime)
	cfg.MaxConnIdleTime = pick(opts.MaxConnIdleTime, def.MaxConnIdleTime)
	configureOutages(cfg, connString)
	if cfg.ConnConfig.RuntimeParams == nil {
		cfg.ConnConfig.RuntimeParams = map[string]string{}
	}
	if _, ok := cfg.ConnConfig.RuntimeParams["application_name"]; !ok {
		cfg.ConnConfig.RuntimeParams["application_name"] = "pgdav"
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("backend: connect: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("backend: connect to %s: %w", describe(cfg), err)
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Store{pool: pool, logger: logger}, nil
}

// describe names the server a pool talks to, without the password.
func describe(cfg *pgxpool.Config) string {
	c := cfg.ConnConfig
	return fmt.Sprintf("database %q on %s:%d as %q", c.Database, c.Host, c.Port, c.User)
}

func pick[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// Close closes every connection of the pool.
func (s *Store) Close() { s.pool.Close() }

// Ping checks that the database answers a query.
func (s *Store) Ping(ctx context.Context) error {
	if _, err := s.pool.Exec(ctx, "SELECT 1"); err != nil {
		return fmt.Errorf("backend: ping: %w", err)
	}
	return nil
}

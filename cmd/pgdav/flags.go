package main

import (
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/pgdav/pgdav/backend"
)

// commonConfig holds the flags every command shares: where the database is
// and how to log.
type commonConfig struct {
	dataDir     string
	databaseURL string
	pgBinDir    string
	logLevel    string
	logFormat   string
	pool        backend.PoolOptions
}

// flagSet is a flag.FlagSet whose flags may also come from PGDAV_*
// environment variables; a flag given on the command line wins.
type flagSet struct {
	*flag.FlagSet
	env map[string]string // flag name -> environment variable
}

func newFlagSet(e env, name, synopsis string) *flagSet {
	fs := &flagSet{FlagSet: flag.NewFlagSet(name, flag.ContinueOnError), env: map[string]string{}}
	fs.SetOutput(e.stderr)
	fs.Usage = func() {
		fmt.Fprintf(e.stderr, "Usage: pgdav %s\n\nFlags:\n", synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// fromEnv makes flag name default to environment variable v, and says so
// in its help text.
func (fs *flagSet) fromEnv(name, v string) {
	fs.env[name] = v
	f := fs.Lookup(name)
	f.Usage += " (env " + v + ")"
}

// parse parses args, then fills unset flags from the environment. It
// returns the positional arguments, accepting flags before and after them
// ("user add bob --email b@x" and "user add --email b@x bob").
func (fs *flagSet) parse(e env, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, usageError{err.Error()}
		}
		args = fs.Args()
		if len(args) == 0 {
			break
		}
		positional = append(positional, args[0])
		args = args[1:]
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	for name, v := range fs.env {
		if set[name] {
			continue
		}
		if val := e.getenv(v); val != "" {
			if err := fs.Set(name, val); err != nil {
				return nil, usagef("%s=%q: %v", v, val, err)
			}
		}
	}
	return positional, nil
}

// addCommon registers the database and logging flags on fs.
func addCommon(fs *flagSet, c *commonConfig, defaultLevel string) {
	fs.StringVar(&c.dataDir, "data", "./data", "data directory; holds the embedded PostgreSQL cluster when --database is not set")
	fs.fromEnv("data", "PGDAV_DATA")
	fs.StringVar(&c.databaseURL, "database", "", "PostgreSQL connection URL (postgres://user:pass@host/db); empty runs an embedded cluster in --data")
	fs.fromEnv("database", "PGDAV_DATABASE_URL")
	fs.StringVar(&c.pgBinDir, "pg-bindir", "", "directory of the PostgreSQL server binaries for the embedded cluster (default: found on PATH or in /usr/lib/postgresql/*/bin)")
	fs.fromEnv("pg-bindir", "PGDAV_PG_BINDIR")
	fs.StringVar(&c.logLevel, "log-level", defaultLevel, "log level: debug, info, warn or error")
	fs.fromEnv("log-level", "PGDAV_LOG_LEVEL")
	fs.StringVar(&c.logFormat, "log-format", "auto", "log format: text, json, or auto (text on a terminal, JSON otherwise)")
	fs.fromEnv("log-format", "PGDAV_LOG_FORMAT")
	def := backend.DefaultPoolOptions
	fs.Func("db-max-conns", fmt.Sprintf("maximum database connections (default %d)", def.MaxConns), int32Setter(&c.pool.MaxConns))
	fs.fromEnv("db-max-conns", "PGDAV_DB_MAX_CONNS")
	fs.Func("db-min-conns", fmt.Sprintf("database connections kept open when idle (default %d)", def.MinConns), int32Setter(&c.pool.MinConns))
	fs.fromEnv("db-min-conns", "PGDAV_DB_MIN_CONNS")
	fs.DurationVar(&c.pool.MaxConnLifetime, "db-max-conn-lifetime", def.MaxConnLifetime, "close database connections older than this")
	fs.fromEnv("db-max-conn-lifetime", "PGDAV_DB_MAX_CONN_LIFETIME")
	fs.DurationVar(&c.pool.MaxConnIdleTime, "db-max-conn-idle-time", def.MaxConnIdleTime, "close database connections idle for longer than this")
	fs.fromEnv("db-max-conn-idle-time", "PGDAV_DB_MAX_CONN_IDLE_TIME")
}

func int32Setter(p *int32) func(string) error {
	return func(s string) error {
		var v int32
		if _, err := fmt.Sscan(s, &v); err != nil || v < 1 {
			return fmt.Errorf("want a positive whole number, got %q", s)
		}
		*p = v
		return nil
	}
}

func (c *commonConfig) validate() error {
	if c.databaseURL == "" && c.dataDir == "" {
		return usagef("--data must not be empty when --database is not set")
	}
	if _, err := parseLevel(c.logLevel); err != nil {
		return err
	}
	switch c.logFormat {
	case "auto", "text", "json":
	default:
		return usagef("--log-format %q: want text, json or auto", c.logFormat)
	}
	if c.pool.MinConns > 0 && c.pool.MaxConns > 0 && c.pool.MinConns > c.pool.MaxConns {
		return usagef("--db-min-conns (%d) is larger than --db-max-conns (%d)", c.pool.MinConns, c.pool.MaxConns)
	}
	if c.pool.MaxConnLifetime < 0 || c.pool.MaxConnIdleTime < 0 {
		return usagef("database connection durations must not be negative")
	}
	return nil
}

func parseLevel(s string) (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return 0, usagef("--log-level %q: want debug, info, warn or error", s)
	}
	return l, nil
}

// newLogger builds the process's logger on stderr: text on a terminal,
// JSON otherwise (journald, containers, log shippers).
func (c *commonConfig) newLogger(e env) *slog.Logger {
	level, _ := parseLevel(c.logLevel)
	format := c.logFormat
	if format == "auto" {
		format = "json"
		if f, ok := e.stderr.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
			format = "text"
		}
	}
	opts := &slog.HandlerOptions{Level: level}
	if format == "text" {
		return slog.New(slog.NewTextHandler(e.stderr, opts))
	}
	return slog.New(slog.NewJSONHandler(e.stderr, opts))
}

// durationPositive checks a duration flag's value.
func durationPositive(name string, d time.Duration) error {
	if d < 0 {
		return usagef("--%s must not be negative", name)
	}
	return nil
}

// oneLine flattens a multi-line error message for the one-line CLI report.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

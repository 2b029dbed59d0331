package backend

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// outageStates are the SQLSTATEs (PostgreSQL appendix A) that say the
// server cannot serve now rather than that the statement is wrong.
var outageStates = map[string]error{
	"53000": ErrUnavailable, // insufficient_resources
	"53100": ErrStorageFull, // disk_full
	"53200": ErrUnavailable, // out_of_memory
	"53300": ErrUnavailable, // too_many_connections
	"57P01": ErrUnavailable, // admin_shutdown, also "unexpected postmaster exit"
	"57P02": ErrUnavailable, // crash_shutdown
	"57P03": ErrUnavailable, // cannot_connect_now: starting up, in recovery
	"57P05": ErrUnavailable, // idle_session_timeout
	"25006": ErrUnavailable, // read_only_sql_transaction: a standby, or recovery
}

// Classify returns err wrapped with ErrUnavailable (ErrStorageFull for a
// full disk) when it says the database is away or cannot serve now, and
// err unchanged otherwise. Callers that answer a client use it to tell "try
// again later" from a bug. A context ended by the caller is not an outage,
// unless it ended a connection attempt: a connect timeout is one.
func Classify(err error) error {
	if err == nil || errors.Is(err, ErrUnavailable) {
		return err
	}
	if kind := outageKind(err); kind != nil {
		return fmt.Errorf("%w: %w", kind, err)
	}
	return err
}

func outageKind(err error) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		if kind, ok := outageStates[pgErr.Code]; ok {
			return kind
		}
		if strings.HasPrefix(pgErr.Code, "08") { // connection_exception
			return ErrUnavailable
		}
	}
	// Refused, timed out, too many connections, "the database system is
	// starting up": no session, whatever the reason.
	var connErr *pgconn.ConnectError
	if errors.As(err, &connErr) {
		return ErrUnavailable
	}
	if pgErr != nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return nil
	}
	// A session that broke: the server closed it or the socket failed.
	if errors.Is(err, pgconn.ErrConnClosed) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) {
		return ErrUnavailable
	}
	var netErr *net.OpError
	if errors.As(err, &netErr) {
		return ErrUnavailable
	}
	return nil
}

// Connection settings that keep an outage short and bounded.
const (
	// defaultConnectTimeout bounds one connection attempt unless the
	// database URL sets connect_timeout: a server that accepts but never
	// answers (stopped, swapping) must not hold a request for ever.
	defaultConnectTimeout = 5 * time.Second
	// outageHealthCheckPeriod: idle connections that died with the server
	// are dropped, and MinConns re-established, this soon after it returns
	// (pgxpool's default is a minute). A connection idle for more than a
	// second is also pinged before it is handed out.
	outageHealthCheckPeriod = 10 * time.Second
)

// configureOutages applies those settings where connString leaves them
// unset. Nothing else needs resetting after an outage: pgxpool replaces
// broken connections one by one, and each new connection starts with an
// empty prepared-statement cache.
func configureOutages(cfg *pgxpool.Config, connString string) {
	if cfg.ConnConfig.ConnectTimeout == 0 {
		cfg.ConnConfig.ConnectTimeout = defaultConnectTimeout
	}
	if !strings.Contains(connString, "pool_health_check_period") {
		cfg.HealthCheckPeriod = outageHealthCheckPeriod
	}
}

package backend

import (
	"context"
	"fmt"
	"time"
)

// LoginFailures are the recent failed logins counted for one user name.
type LoginFailures struct {
	User    int // from every address
	Address int // from the address asked about
}

// A name's count from every address is the row whose address is '' (no
// client address is empty): kept apart rather than summed, so that
// clearing one address's count after a good login there leaves the
// name's total alone. Each row's count starts again once its last failure
// is out of the window.

// userRow is the address of a name's total.
const userRow = ""

// clientAddr keeps a client address apart from userRow.
func clientAddr(addr string) string {
	if addr == userRow {
		return "unknown"
	}
	return addr
}

// LoginFailures returns the failed logins for name (case-insensitively)
// whose last failure is not before since. A name no user can have has
// none: it is never counted (see AddLoginFailure).
func (s *Store) LoginFailures(ctx context.Context, name, addr string, since time.Time) (LoginFailures, error) {
	var lf LoginFailures
	if !principalName.MatchString(name) {
		return lf, nil
	}
	err := s.pool.QueryRow(ctx, `
		SELECT coalesce(max(failures) FILTER (WHERE address = $2), 0),
		       coalesce(max(failures) FILTER (WHERE address = $3), 0)
		FROM login_failures
		WHERE name = lower($1) AND address IN ($2, $3) AND last_failure >= $4`,
		name, userRow, clientAddr(addr), since).Scan(&lf.User, &lf.Address)
	if err != nil {
		return lf, fmt.Errorf("backend: read login failures of %q: %w", name, err)
	}
	return lf, nil
}

// AddLoginFailure counts a failed login for name from addr at at, and
// returns the counts with it; a count whose last failure is before since
// starts again. A name no user can have (invalid UTF-8, a NUL byte, too
// long) is not counted: it can never log in, and PostgreSQL would refuse
// to store it.
func (s *Store) AddLoginFailure(ctx context.Context, name, addr string, at, since time.Time) (LoginFailures, error) {
	var lf LoginFailures
	if !principalName.MatchString(name) {
		return lf, nil
	}
	err := s.pool.QueryRow(ctx, `
		WITH up AS (
			INSERT INTO login_failures AS f (name, address, failures, last_failure)
			VALUES (lower($1), $2, 1, $4), (lower($1), $3, 1, $4)
			ON CONFLICT (name, address) DO UPDATE
			SET failures = CASE WHEN f.last_failure < $5 THEN 1 ELSE f.failures + 1 END,
			    last_failure = greatest(f.last_failure, excluded.last_failure)
			RETURNING address, failures)
		SELECT max(failures) FILTER (WHERE address = $2), max(failures) FILTER (WHERE address = $3)
		FROM up`, name, userRow, clientAddr(addr), at, since).Scan(&lf.User, &lf.Address)
	if err != nil {
		return lf, fmt.Errorf("backend: count a login failure of %q: %w", name, err)
	}
	return lf, nil
}

// ClearLoginFailures forgets the failed logins for name from addr; the
// name's total stays until it is out of the window.
func (s *Store) ClearLoginFailures(ctx context.Context, name, addr string) error {
	if !principalName.MatchString(name) {
		return nil
	}
	if _, err := s.pool.Exec(ctx, `DELETE FROM login_failures WHERE name = lower($1) AND address = $2`, name, clientAddr(addr)); err != nil {
		return fmt.Errorf("backend: clear login failures of %q: %w", name, err)
	}
	return nil
}

// PruneLoginFailures deletes the counts whose last failure is before
// before; they count nothing any more. Safe on several nodes at once.
func (s *Store) PruneLoginFailures(ctx context.Context, before time.Time) (int64, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM login_failures WHERE last_failure < $1`, before)
	if err != nil {
		return 0, fmt.Errorf("backend: prune login failures: %w", err)
	}
	return tag.RowsAffected(), nil
}

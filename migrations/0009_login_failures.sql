-- Failed logins, counted per user name and client address, for the login
-- throttle (internal/server/throttle.go). They live here rather than in
-- one process so that every node behind a load balancer judges a guesser
-- by all its failures: with per-node counters, n nodes let it guess n
-- times as fast.
--
-- name is the user name as typed, lower-cased; it need not be a user's
-- (guesses at unknown names are counted too, so that they cost what
-- guesses at real ones cost). A row whose last failure is older than the
-- throttle's window counts nothing and is pruned.
CREATE TABLE login_failures (
    name         text        NOT NULL,
    address      text        NOT NULL,
    failures     integer     NOT NULL,
    last_failure timestamptz NOT NULL,
    PRIMARY KEY (name, address)
);

CREATE INDEX login_failures_last_failure ON login_failures (last_failure);

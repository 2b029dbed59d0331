// Package pgcluster owns a private PostgreSQL cluster kept in one data
// directory: it creates the cluster with the system's initdb, runs the
// system's postgres binary on a Unix socket inside that directory (no TCP
// listener), recovers from a previous unclean exit, and stops the server in
// order. It imports only the standard library: it drives the PostgreSQL
// binaries as processes and needs no database driver.
//
// pgdav serve uses it when no database URL is given; the test helpers use it
// to run one throwaway cluster per test binary.
//
// Layout: the data directory (PGDATA) is also the socket directory. Nothing
// else is written into it: postgres's log goes to the caller's slog.Logger,
// not to a file, so the directory holds only what PostgreSQL itself keeps
// there.
//
// Ownership: initdb and postgres refuse to run as root. When the caller is
// root, both run as the "postgres" system user and the data directory is
// handed to that user; otherwise they run as the caller.
//
// Supervision: a postmaster that exits without Stop (killed, or its crash
// recovery failed, e.g. on a full disk) is restarted by Supervise, with a
// back-off of 1 s doubling to 30 s, for as long as it takes.
//
// Exclusion: while a Cluster is running, this package holds an flock(2) on
// the data directory. A second Start on the same directory, from this or
// another process, fails instead of mistaking the running server for an
// orphan. The kernel drops the lock when the holder dies, even by SIGKILL,
// which is exactly when the next Start should take over.
package pgcluster

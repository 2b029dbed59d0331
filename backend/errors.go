package backend

import (
	"errors"
	"fmt"
)

// Sentinel errors. Callers test them with errors.Is; methods wrap them with
// context, never return them bare when more is known.
var (
	// ErrNotFound: the principal, collection or object does not exist.
	ErrNotFound = errors.New("not found")
	// ErrExists: the name, slug or UID is already taken.
	ErrExists = errors.New("already exists")
	// ErrInvalid: the input breaks a rule of the store (name syntax, lengths).
	ErrInvalid = errors.New("invalid")
	// ErrPreconditionFailed: an If-Match / If-None-Match condition, or an
	// Overwrite: F on an existing destination, did not hold (HTTP 412). The
	// store checks it inside the write's transaction, so no concurrent write
	// can slip in between the check and the write.
	ErrPreconditionFailed = errors.New("precondition failed")
	// ErrUnavailable: the database cannot serve the request now (it is
	// down, restarting, recovering, out of connections or memory, or read
	// only): a try later may succeed. Store methods return the driver's
	// error; Classify tells such outages apart and wraps them with it.
	ErrUnavailable = errors.New("database unavailable")
	// ErrStorageFull: the database has no disk space left for the write
	// (SQLSTATE 53100). errors.Is(err, ErrUnavailable) holds for it too.
	ErrStorageFull = fmt.Errorf("database storage full: %w", ErrUnavailable)
)

// UIDConflictError reports that another object of the same collection
// already has the UID of the object being written (RFC 4791 5.3.2.1
// CALDAV:no-uid-conflict, RFC 6352 6.3.2.1 CARDDAV:no-uid-conflict). The
// caller needs Name to put the other resource's href in the error body.
// errors.Is(err, ErrExists) holds for it.
//
// It also reports a write that would replace an object with data of a
// different UID (RFC 4791 5.3.2.1, RFC 6352 6.3.2.1: a PUT, COPY or MOVE
// onto an existing resource keeps its UID): Name is then the replaced
// object's own name and Replaced its UID.
type UIDConflictError struct {
	UID      string
	Name     string // the other object's name (its URL segment), or the target's
	Replaced string // the UID of the object the write would replace, if that is the conflict
}

// Error describes the conflict.
func (e *UIDConflictError) Error() string {
	if e.Replaced != "" {
		return fmt.Sprintf("%q has UID %q and may not be replaced by UID %q: %v", e.Name, e.Replaced, e.UID, ErrExists)
	}
	return fmt.Sprintf("UID %q is already used by %q: %v", e.UID, e.Name, ErrExists)
}

// Unwrap makes errors.Is(err, ErrExists) true.
func (e *UIDConflictError) Unwrap() error { return ErrExists }

// invalidf returns an error wrapping ErrInvalid with a message for the user.
func invalidf(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalid}, args...)...)
}

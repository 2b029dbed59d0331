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
)

// invalidf returns an error wrapping ErrInvalid with a message for the user.
func invalidf(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalid}, args...)...)
}

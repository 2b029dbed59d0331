package backend

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
)

// Conditions are the HTTP preconditions of a write (RFC 9110 13.1.1,
// 13.1.2, and RFC 4918 10.4's If header), already parsed by the caller.
// The store evaluates them on the state its write then requires: under the
// collection lock, or (PUT, DELETE) on a read whose id and ETag the write
// statement checks again, starting over if they changed, so "check the
// ETag, then write" cannot race with another write. Nil fields mean
// "header absent". ETags are compared strongly, without quotes.
type Conditions struct {
	// IfMatch: the target must exist and (Any or its ETag is in Tags);
	// otherwise ErrPreconditionFailed.
	IfMatch *ETagSet
	// IfNoneMatch: with Any the target must not exist; with Tags its ETag
	// must not be one of them; otherwise ErrPreconditionFailed.
	IfNoneMatch *ETagSet
	// If, when not nil, is a further condition on the state of the target
	// and, for MoveObject and CopyObject, of the destination (a zero
	// State for other writes); false is ErrPreconditionFailed. The store
	// calls it while it holds its locks, so it must not do I/O.
	If func(target, dest State) bool
}

// State is what a condition sees of one resource: whether it exists and
// its entity tag, unquoted; collections, homes and principals have none
// (""), so a list of tags never matches them and only "*" does.
type State struct {
	Exists bool
	ETag   string
}

// ETagSet is the value of an If-Match or If-None-Match header: "*" (Any) or
// a list of entity tags without their quotes.
type ETagSet struct {
	Any  bool
	Tags []string
}

// matches reports whether an existing resource with etag ("" for none)
// matches the set.
func (s *ETagSet) matches(etag string) bool {
	return s.Any || (etag != "" && slices.Contains(s.Tags, etag))
}

// Check evaluates c against the current state of the target and, for a
// MOVE or COPY, the destination. If-Match is evaluated first (RFC 9110
// 13.2.2). Every failure wraps ErrPreconditionFailed.
func (c Conditions) Check(target, dest State) error {
	if c.IfMatch != nil && (!target.Exists || !c.IfMatch.matches(target.ETag)) {
		return fmt.Errorf("If-Match: %w", ErrPreconditionFailed)
	}
	if c.IfNoneMatch != nil && target.Exists && c.IfNoneMatch.matches(target.ETag) {
		return fmt.Errorf("If-None-Match: %w", ErrPreconditionFailed)
	}
	if c.If != nil && !c.If(target, dest) {
		return fmt.Errorf("If: %w", ErrPreconditionFailed)
	}
	return nil
}

// IsZero reports whether c holds no condition at all.
func (c Conditions) IsZero() bool {
	return c.IfMatch == nil && c.IfNoneMatch == nil && c.If == nil
}

// ETagOf returns the strong entity tag of an object's bytes, unquoted: the
// hex of the first 16 bytes of their SHA-256 (32 characters). Identical bytes
// always give the identical tag, on every node and after every restart, so
// the tag needs no counter and a client's cached tag stays valid as long as
// the bytes do.
func ETagOf(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:16])
}

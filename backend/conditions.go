package backend

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
)

// Conditions are the HTTP preconditions of a write (RFC 9110 13.1.1,
// 13.1.2), already parsed by the caller. The store evaluates them on the
// state its write then requires: under the collection lock, or (PUT,
// DELETE) on a read whose id and ETag the write statement checks again,
// starting over if they changed, so "check the ETag, then write" cannot
// race with another write. Nil fields mean "header absent". ETags are
// compared strongly, without quotes.
type Conditions struct {
	// IfMatch: the object must exist and (Any or its ETag is in Tags);
	// otherwise ErrPreconditionFailed.
	IfMatch *ETagSet
	// IfNoneMatch: with Any the object must not exist; with Tags its ETag
	// must not be one of them; otherwise ErrPreconditionFailed.
	IfNoneMatch *ETagSet
}

// ETagSet is the value of an If-Match or If-None-Match header: "*" (Any) or
// a list of entity tags without their quotes.
type ETagSet struct {
	Any  bool
	Tags []string
}

// matches reports whether an existing resource with etag matches the set.
func (s *ETagSet) matches(etag string) bool {
	return s.Any || slices.Contains(s.Tags, etag)
}

// check evaluates c against the current state of the target: exists and,
// when it does, its ETag. If-Match is evaluated first (RFC 9110 13.2.2).
func (c Conditions) check(exists bool, etag string) error {
	if c.IfMatch != nil && (!exists || !c.IfMatch.matches(etag)) {
		return fmt.Errorf("If-Match: %w", ErrPreconditionFailed)
	}
	if c.IfNoneMatch != nil && exists && c.IfNoneMatch.matches(etag) {
		return fmt.Errorf("If-None-Match: %w", ErrPreconditionFailed)
	}
	return nil
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

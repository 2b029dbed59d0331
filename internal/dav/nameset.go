package dav

import "encoding/xml"

// NameSet remembers the property names of one request body, so that
// finding duplicates costs one lookup per name: a body may name tens of
// thousands of properties, and comparing each with all before it made a
// PROPFIND of 80 000 names take half a minute. The zero value is empty.
type NameSet struct {
	m map[xml.Name]struct{}
}

// Add adds n and reports whether it was new.
func (s *NameSet) Add(n xml.Name) bool {
	countLookup()
	if s.m == nil {
		s.m = make(map[xml.Name]struct{})
	}
	if _, ok := s.m[n]; ok {
		return false
	}
	s.m[n] = struct{}{}
	return true
}

// lookupHook, set only by tests, counts the name lookups of a request
// (NameSet.Add, dead property lookups): their number must grow linearly
// with the names a body holds.
var lookupHook func()

func countLookup() {
	if lookupHook != nil {
		lookupHook()
	}
}

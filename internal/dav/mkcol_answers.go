package dav

import (
	"net/http"
)

// existsError refuses to make a collection where a resource exists: 405
// for MKCOL (RFC 4918 9.3.1), 403 with DAV:resource-must-be-null for
// MKCALENDAR (RFC 4791 5.3.1.1).
func existsError(method, format string, args ...any) *Error {
	if method == "MKCALENDAR" {
		return NewError(http.StatusForbidden, DAVName("resource-must-be-null"), format, args...)
	}
	return Errorf(http.StatusMethodNotAllowed, format, args...)
}

// writeMkcalendarFailure answers a MKCALENDAR whose properties could not
// all be set. RFC 4791 5.3.1 processes its set as RFC 2518 12.13.2
// processes PROPPATCH's, all or nothing, so the answer is PROPPATCH's: 207
// with one response for the Request-URI whose propstats give each
// property's status (403, 409… for the failing ones, 424 for the
// others); nothing was created. A resourcetype that is not a calendar is
// no property to set but the request's own precondition (RFC 5689 3,
// DAV:valid-resourcetype), refused with 403 like an extended MKCOL's
// (writeMkcolFailure): macOS Calendar's subscription MKCALENDAR expects
// 201 or 403, and takes any 2xx for a created collection.
func (h *Handler) writeMkcalendarFailure(w http.ResponseWriter, r *http.Request, results []Prop) error {
	path, slash, err := DecodeHref(r.URL.EscapedPath())
	if err != nil {
		return err
	}
	href := EncodePath(path)
	if slash && href[len(href)-1] != '/' {
		href += "/"
	}
	ms := NewMultistatus(w, MultistatusOptions{})
	err = ms.Response(href, results)
	if err == nil {
		err = ms.Close()
	}
	return finish(r.Context(), ms, err)
}

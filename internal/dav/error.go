package dav

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"

	"github.com/pgdav/pgdav/backend"
)

// Error is the one error type of the DAV layer: an HTTP status, optionally
// a pre- or postcondition element (RFC 4918 16; RFC 4791 5.3.2, 9; RFC 6352
// 6.3.2; RFC 6578 3.2), a message safe to show the client, and the internal
// cause, which is logged and never sent.
type Error struct {
	Status int
	// Condition names the precondition element written inside <D:error>;
	// zero for a plain error.
	Condition xml.Name
	// ConditionBody is XML written inside the condition element, e.g.
	// <D:href>…</D:href> for no-uid-conflict. It must use only the fixed
	// prefixes D, C, CR, CS, ICAL.
	ConditionBody string
	Message       string
	Err           error
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d %s", e.Status, http.StatusText(e.Status))
	if e.Condition.Local != "" {
		fmt.Fprintf(&b, " (%s)", e.Condition.Local)
	}
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	if e.Err != nil {
		b.WriteString(": " + e.Err.Error())
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// NewError returns an Error with a status, an optional condition (zero
// xml.Name for none) and a client-safe message.
func NewError(status int, condition xml.Name, format string, args ...any) *Error {
	return &Error{Status: status, Condition: condition, Message: fmt.Sprintf(format, args...)}
}

// Errorf is NewError without a condition.
func Errorf(status int, format string, args ...any) *Error {
	return NewError(status, xml.Name{}, format, args...)
}

// invalidMessage answers what the store refuses as malformed: what a
// client can send that the store cannot keep.
const invalidMessage = "the server cannot store this request: a name or value in it is empty, too long, or not UTF-8 text"

// RetryAfter is the Retry-After of a 503: seconds until the database may
// be back (the embedded cluster restarts within a second or two).
const RetryAfter = "5"

// AsError maps any error to an *Error: a DAV error as it is, backend
// sentinels to their statuses, and everything else to a 500 whose cause is
// kept for the log only.
func AsError(err error) *Error {
	var de *Error
	if errors.As(err, &de) {
		return de
	}
	switch err := backend.Classify(err); {
	case errors.Is(err, backend.ErrStorageFull):
		// RFC 4918 11.5: the change cannot be stored for lack of space.
		return &Error{Status: http.StatusInsufficientStorage, Message: "no space left to store this change", Err: err}
	case errors.Is(err, backend.ErrUnavailable):
		return &Error{Status: http.StatusServiceUnavailable, Message: "the database is unavailable; try again later", Err: err}
	case errors.Is(err, backend.ErrPreconditionFailed):
		return &Error{Status: http.StatusPreconditionFailed, Message: "precondition failed", Err: err}
	case errors.Is(err, backend.ErrNotFound):
		return &Error{Status: http.StatusNotFound, Message: "not found", Err: err}
	case errors.Is(err, backend.ErrExists):
		return &Error{Status: http.StatusConflict, Message: "already exists", Err: err}
	case errors.Is(err, backend.ErrInvalid):
		// The store's text describes its own rules and names; the client
		// gets a message written for it, the cause goes to the log.
		return &Error{Status: http.StatusBadRequest, Message: invalidMessage, Err: err}
	}
	return &Error{Status: http.StatusInternalServerError, Message: "internal server error", Err: err}
}

// WriteError answers a request with err: the status, and for errors with a
// condition an application/xml <D:error> body (RFC 4918 8.7), otherwise a
// short text. It logs client errors at info level and server errors at
// error level, with the request's logger (and so its request ID).
func WriteError(w http.ResponseWriter, r *http.Request, err error) {
	de := AsError(err)
	logger := Logger(r.Context())
	attrs := []any{"method", r.Method, "path", r.URL.Path, "status", de.Status}
	if de.Condition.Local != "" {
		attrs = append(attrs, "condition", de.Condition.Local)
	}
	if de.Status >= 500 {
		logger.Error("request failed", append(attrs, "err", err)...)
	} else {
		logger.Info("request refused", append(attrs, "reason", de.Error())...)
	}
	h := w.Header()
	if de.Status == http.StatusServiceUnavailable && h.Get("Retry-After") == "" {
		h.Set("Retry-After", RetryAfter) // RFC 9110 10.2.3
	}
	if de.Status == http.StatusUnauthorized && h.Get("WWW-Authenticate") == "" {
		h.Set("WWW-Authenticate", `Basic realm="pgdav", charset="UTF-8"`)
	}
	if de.Condition.Local == "" {
		msg := de.Message
		if msg == "" {
			msg = http.StatusText(de.Status)
		}
		h.Set("Content-Type", "text/plain; charset=utf-8")
		h.Set("X-Content-Type-Options", "nosniff")
		w.WriteHeader(de.Status)
		fmt.Fprintln(w, msg)
		return
	}
	h.Set("Content-Type", "application/xml; charset=utf-8")
	w.WriteHeader(de.Status)
	var b strings.Builder
	b.WriteString(xml.Header)
	b.WriteString(`<D:error`)
	for _, p := range fixedPrefixes {
		fmt.Fprintf(&b, ` xmlns:%s="%s"`, p.Prefix, p.Space)
	}
	b.WriteString(`>`)
	writeStartName(&b, de.Condition)
	if de.ConditionBody == "" {
		b.WriteString("/>")
	} else {
		b.WriteString(">" + de.ConditionBody)
		writeEndName(&b, de.Condition)
	}
	if de.Message != "" {
		// RFC 4918 16: DAV:error may hold elements of other namespaces
		// (clients ignore them), and responsedescription belongs in a
		// multistatus; the message for whoever reads the client's log
		// is pgdav's own element.
		b.WriteString(`<P:message xmlns:P="` + NSPgdav + `">` + EscapeText(de.Message) + `</P:message>`)
	}
	b.WriteString("</D:error>\n")
	_, _ = w.Write([]byte(b.String()))
}

// writeStartName writes "<P:local" for a fixed prefix, or "<local
// xmlns=\"space\"" for any other namespace (xmlns="" for none, so the
// element never inherits a default namespace from its context); the
// caller closes the tag. Write errors are left to the caller: a
// strings.Builder has none, and a bufio.Writer keeps its first.
func writeStartName(w io.StringWriter, n xml.Name) {
	if p := prefixOf(n.Space); p != "" {
		w.WriteString("<")
		w.WriteString(p)
		w.WriteString(":")
		w.WriteString(n.Local)
		return
	}
	w.WriteString("<")
	w.WriteString(n.Local)
	w.WriteString(` xmlns="`)
	_ = writeEscaped(w, n.Space, true)
	w.WriteString(`"`)
}

// writeEndName writes the end tag matching writeStartName.
func writeEndName(w io.StringWriter, n xml.Name) {
	w.WriteString("</")
	if p := prefixOf(n.Space); p != "" {
		w.WriteString(p)
		w.WriteString(":")
	}
	w.WriteString(n.Local)
	w.WriteString(">")
}

var discard = slog.New(slog.DiscardHandler)

package dav

import (
	"bufio"
	"errors"
	"net/http"
	"sync"
	"time"
)

// MultistatusOptions shape a multistatus answer.
type MultistatusOptions struct {
	// Minimal drops 404 propstats, for RFC 8144 "Prefer: return=minimal"
	// and "Brief: t". A response left without any propstat gets an empty
	// 200 one, since RFC 4918 §14.24 requires propstat or status in every
	// response and Thunderbird reads the first status it finds.
	Minimal bool
	// WriteTimeout, when positive, moves the connection's write deadline
	// this far ahead at every flush, so a long answer that keeps moving is
	// not cut by the server's overall WriteTimeout.
	WriteTimeout time.Duration
}

const (
	// multistatusBuffer is how much is collected before it goes to the
	// client: large enough for one typical response with calendar-data,
	// small enough that a 100 000-member answer costs no memory.
	multistatusBuffer = 32 << 10
	// flushEvery bounds how long a client waits for the first responses
	// of an answer whose members are produced slowly. Each flush costs a
	// few system calls, so listings of small responses (~250 bytes of
	// href and getetag) go out in pieces of up to the whole buffer rather
	// than a flush every few KiB, whose system calls would be a sizeable
	// part of a large PROPFIND's CPU.
	flushEvery = 256
)

// errMultistatusClosed is returned by calls after Close.
var errMultistatusClosed = errors.New("dav: multistatus already closed")

// Multistatus streams a 207 Multi-Status answer (RFC 4918 §13, §14.16):
// one <D:response> at a time, flushed to the client as it goes, never
// holding more than the response being written. It is not safe for
// concurrent use.
type Multistatus struct {
	opts    MultistatusOptions
	w       http.ResponseWriter
	fw      *flushWriter
	bw      *bufio.Writer
	started bool
	closed  bool
	pending int // responses written since the last flush
	ps      propstats
}

// flushWriter is what the bufio.Writer writes to: every time the buffer
// fills or is flushed, the bytes are pushed on to the client rather than
// left in net/http's own buffers. It keeps the first error, so a client
// that has gone away stops the answer.
type flushWriter struct {
	w       http.ResponseWriter
	rc      *http.ResponseController
	timeout time.Duration
	err     error
	// last: the answer is complete, so its final bytes are handed to
	// net/http without a flush. The handler returns right after, and
	// net/http then sends them with the end of the response (the last
	// chunk, or a Content-Length for a small answer) in one write: a
	// small REPORT leaves in one packet, not two.
	last bool
}

func (f *flushWriter) Write(p []byte) (int, error) {
	if f.err != nil {
		return 0, f.err
	}
	if f.timeout > 0 {
		if err := f.rc.SetWriteDeadline(time.Now().Add(f.timeout)); err != nil && !errors.Is(err, http.ErrNotSupported) {
			f.err = err
			return 0, err
		}
	}
	n, err := f.w.Write(p)
	if err == nil && !f.last {
		err = f.rc.Flush()
		if errors.Is(err, http.ErrNotSupported) {
			err = nil
		}
	}
	f.err = err
	return n, err
}

// NewMultistatus prepares a 207 answer on w. Nothing is written until the
// first Response, StatusResponse or Close, so the caller can still answer
// with an error until then.
func NewMultistatus(w http.ResponseWriter, opts MultistatusOptions) *Multistatus {
	fw := &flushWriter{w: w, rc: http.NewResponseController(w), timeout: opts.WriteTimeout}
	bw := multistatusBuffers.Get().(*bufio.Writer)
	bw.Reset(fw)
	return &Multistatus{
		opts: opts,
		w:    w,
		fw:   fw,
		bw:   bw,
		ps:   propstats{keys: make([]propstatKey, 0, 4)},
	}
}

// multistatusBuffers keeps the buffers of closed answers for the next
// ones: a 32 KiB allocation per request would be a large part of a
// small REPORT's allocated bytes. An answer that ends in an error is not closed, and its
// buffer is left to the garbage collector.
var multistatusBuffers = sync.Pool{New: func() any { return bufio.NewWriterSize(nil, multistatusBuffer) }}

// Written reports whether anything has been sent: after that the status
// can no longer change.
func (m *Multistatus) Written() bool { return m.started }

// start sends the headers, the 207 status and the root element with the
// fixed prefixes (docs/clients.md "Fixed prefixes on answers"), once.
func (m *Multistatus) start() error {
	if m.closed {
		return errMultistatusClosed
	}
	if m.started {
		return m.fw.err
	}
	m.started = true
	m.w.Header().Set("Content-Type", "application/xml; charset=utf-8")
	m.w.WriteHeader(http.StatusMultiStatus)
	m.bw.WriteString(`<?xml version="1.0" encoding="utf-8"?>` + "\n" + `<D:multistatus`)
	for _, p := range fixedPrefixes {
		m.bw.WriteString(` xmlns:`)
		m.bw.WriteString(p.Prefix)
		m.bw.WriteString(`="`)
		m.bw.WriteString(p.Space)
		m.bw.WriteString(`"`)
	}
	m.bw.WriteString(">\n")
	return m.fw.err
}

// Response writes one <D:response>: the href, then one <D:propstat> per
// distinct status (and Error) — 200 first, the others in ascending order —
// each listing its properties in the order given; with Minimal, 404s are
// left out. href must already be
// percent-encoded (EncodePath); it is XML-escaped here. The first call
// writes the headers (Content-Type: application/xml; charset=utf-8), the
// 207 status, the XML declaration and <D:multistatus>.
func (m *Multistatus) Response(href string, props []Prop) error {
	if err := m.start(); err != nil {
		return err
	}
	m.bw.WriteString("<D:response>")
	m.writeHref(href)
	m.ps.write(m.bw, props, m.opts.Minimal)
	m.bw.WriteString("</D:response>\n")
	return m.endResponse()
}

// StatusResponse writes a response that carries a status for the whole
// resource and no propstat (RFC 4918 §13, §14.24): a missing or deleted
// member in multiget and sync-collection (RFC 6578 §3.5.2), or the 507
// marker of a truncated answer (RFC 6578 §3.6).
func (m *Multistatus) StatusResponse(href string, status int) error {
	if err := m.start(); err != nil {
		return err
	}
	m.bw.WriteString("<D:response>")
	m.writeHref(href)
	writeStatus(m.bw, status)
	m.bw.WriteString("</D:response>\n")
	return m.endResponse()
}

// Close writes the elements in extra (complete XML elements that become
// direct children of <D:multistatus> after the responses, such as
// <D:sync-token>, RFC 6578 §3.2), ends the document and flushes it to the
// client. With no response written it still sends a valid, empty
// multistatus. Calling Close again does nothing.
func (m *Multistatus) Close(extra ...string) error {
	if m.closed {
		return m.fw.err
	}
	if err := m.start(); err != nil {
		return err
	}
	m.closed = true
	for _, e := range extra {
		m.bw.WriteString(e)
	}
	m.bw.WriteString("</D:multistatus>\n")
	m.fw.last = true
	err := m.bw.Flush()
	// Every method checks closed before it touches bw, so it can serve
	// another answer now.
	m.bw.Reset(nil)
	multistatusBuffers.Put(m.bw)
	m.bw = nil
	if err != nil {
		return err
	}
	return m.fw.err
}

// endResponse flushes every flushEvery responses and reports a failed
// write: a client that has gone away ends the answer.
func (m *Multistatus) endResponse() error {
	m.pending++
	if m.pending >= flushEvery {
		m.pending = 0
		if err := m.bw.Flush(); err != nil {
			return err
		}
	}
	return m.fw.err
}

func (m *Multistatus) writeHref(href string) {
	m.bw.WriteString("<D:href>")
	_ = WriteEscaped(m.bw, href)
	m.bw.WriteString("</D:href>")
}

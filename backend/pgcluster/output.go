package pgcluster

import (
	"bytes"
	"log/slog"
	"strings"
	"sync"
)

const (
	tailLines   = 50       // lines of postgres output kept for error messages
	maxLineSize = 64 << 10 // a longer unterminated line is emitted in pieces
)

// outputLog receives postgres's stdout and stderr. PGDATA must hold only
// what PostgreSQL keeps there, so instead of a log file each line goes to
// the logger at debug level, and the last lines are kept to explain a
// failed start.
type outputLog struct {
	log     *slog.Logger
	source  string // "initdb" or "postgres"
	mu      sync.Mutex
	partial []byte
	tail    []string
}

func newOutputLog(log *slog.Logger, source string) *outputLog {
	return &outputLog{log: log, source: source}
}

// Write implements io.Writer; it never fails, so the copying from postgres
// never stops.
func (o *outputLog) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.partial = append(o.partial, p...)
	for {
		i := bytes.IndexByte(o.partial, '\n')
		if i < 0 {
			break
		}
		o.line(string(o.partial[:i]))
		o.partial = append(o.partial[:0], o.partial[i+1:]...)
	}
	if len(o.partial) > maxLineSize {
		o.line(string(o.partial))
		o.partial = o.partial[:0]
	}
	return len(p), nil
}

// flush emits an unterminated last line, once the writer is done.
func (o *outputLog) flush() {
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.partial) > 0 {
		o.line(string(o.partial))
		o.partial = nil
	}
}

func (o *outputLog) line(s string) {
	s = strings.TrimRight(s, "\r")
	o.log.Debug(o.source, "line", s)
	if len(o.tail) == tailLines {
		copy(o.tail, o.tail[1:])
		o.tail = o.tail[:tailLines-1]
	}
	o.tail = append(o.tail, s)
}

// Tail returns the kept lines, indented, one per line, for an error
// message; or a note that there were none.
func (o *outputLog) Tail() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.tail) == 0 {
		return "(no output from " + o.source + ")"
	}
	return "\t" + strings.Join(o.tail, "\n\t")
}

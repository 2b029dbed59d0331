package server

import (
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"sync"
	"time"
)

// connLimiter is a listener that bounds the open connections per peer
// address. A connection over the limit is answered 503 with Retry-After
// and closed before any of it is read, so a client holding many
// connections open (slowloris) cannot use up the server's: the header
// timeout frees them, and the limit bounds how many one address holds
// meanwhile. Trusted proxies are exempt: their connections carry every
// client, which are limited per request (limitRequests).
type connLimiter struct {
	net.Listener
	max     int
	trusted TrustedProxies
	logger  *slog.Logger

	mu     sync.Mutex
	open   map[netip.Addr]int
	warned time.Time // last refusal logged
}

func newConnLimiter(ln net.Listener, max int, trusted TrustedProxies, logger *slog.Logger) net.Listener {
	if max <= 0 {
		return ln
	}
	return &connLimiter{Listener: ln, max: max, trusted: trusted, logger: logger, open: map[netip.Addr]int{}}
}

func (l *connLimiter) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		ta, ok := c.RemoteAddr().(*net.TCPAddr)
		if !ok {
			return c, nil
		}
		addr := ta.AddrPort().Addr().Unmap()
		if l.trusted.contains(addr) {
			return c, nil
		}
		if l.acquire(addr) {
			return &limitedConn{Conn: c, release: func() { l.release(addr) }}, nil
		}
		go refuseConn(c)
	}
}

func (l *connLimiter) acquire(a netip.Addr) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.open[a] >= l.max {
		if now := time.Now(); now.Sub(l.warned) > time.Minute {
			l.warned = now
			l.logger.Warn("too many connections from one address; refusing more (logged once a minute)", "remote", a.String(), "limit", l.max)
		}
		return false
	}
	l.open[a]++
	return true
}

func (l *connLimiter) release(a netip.Addr) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.open[a]--; l.open[a] <= 0 {
		delete(l.open, a)
	}
}

// openConns is how many connections a holds, for tests.
func (l *connLimiter) openConns(a netip.Addr) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.open[a]
}

const refusalBody = "too many connections from your address\n"

var refusal = []byte("HTTP/1.1 503 Service Unavailable\r\n" +
	"Retry-After: " + strconv.Itoa(retryAfterBusy) + "\r\n" +
	"Content-Type: text/plain; charset=utf-8\r\nConnection: close\r\n" +
	"Content-Length: " + strconv.Itoa(len(refusalBody)) + "\r\n\r\n" + refusalBody)

// refuseConn answers a connection over the limit without reading it.
func refuseConn(c net.Conn) {
	_ = c.SetWriteDeadline(time.Now().Add(time.Second))
	_, _ = c.Write(refusal)
	_ = c.Close()
}

// limitedConn gives its slot back when closed (once: net/http may close
// a connection twice).
type limitedConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *limitedConn) Close() error {
	c.once.Do(c.release)
	return c.Conn.Close()
}

// httpServer is the http.Server for h with lim's timeouts and header cap.
// The body deadline is per request (limitRequests), not ReadTimeout,
// which would stay armed while a long answer streams and cancel it.
func httpServer(h http.Handler, lim Limits) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: lim.ReadHeaderTimeout,
		IdleTimeout:       lim.IdleTimeout,
		MaxHeaderBytes:    lim.MaxHeaderBytes,
	}
}

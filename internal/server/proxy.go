package server

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
)

// Reverse proxies.
//
// In production pgdav speaks plain HTTP behind a proxy that terminates TLS
// (deploy/nginx, deploy/caddy). The proxy says who the client is and which
// URL it used, in X-Forwarded-For, X-Forwarded-Proto and X-Forwarded-Host,
// or in the RFC 7239 Forwarded header. Anyone can send those headers, so
// they are believed only on connections from an address listed in
// --trusted-proxies; on any other connection they are dropped unread.
//
// forwarded runs before everything else (the access log included) and
// leaves the request so that downstream code needs to know nothing about
// proxies. Downstream reads:
//
//   - r.RemoteAddr: the client's address — the access log's "remote" and
//     the key of the failed-login throttle (remoteIP). From a trusted
//     proxy it is "IP:0" (the client's port is not known).
//   - r.Host: the host (and port, if not the default) the client put in
//     its URL — internal/dav compares a MOVE/COPY Destination URL's host
//     with it. Through nginx or Caddy it is the public host even without
//     trust, as both pass the client's Host header on.
//   - r.URL.Scheme: "https" or "http", the scheme the client used
//     (r.URL.Host is set to r.Host). r.TLS is left alone: it describes the
//     connection from the proxy, so nothing may infer the public scheme
//     from it.
//
// The four forwarding headers are deleted, so no handler can read a value
// that was not checked here. pgdav writes no absolute URLs (hrefs,
// redirects and Location headers are paths below --base-path), so the
// public scheme and host matter only for comparing Destination URLs; they
// are still set for any future code that must build an absolute URL.

// forwardingHeaders are the request headers a proxy uses to describe the
// original request.
var forwardingHeaders = []string{"X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host", "Forwarded"}

// TrustedProxies is the set of addresses whose forwarding headers are
// believed. The zero value trusts no one.
type TrustedProxies []netip.Prefix

// ParseTrustedProxies parses a comma-separated list of IP addresses and
// CIDR prefixes, e.g. "127.0.0.1, ::1, 10.0.0.0/8". An empty list trusts
// no one. IPv4-mapped IPv6 addresses match their IPv4 form.
func ParseTrustedProxies(s string) (TrustedProxies, error) {
	var tp TrustedProxies
	for item := range strings.SplitSeq(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		if strings.Contains(item, "/") {
			p, err := netip.ParsePrefix(item)
			if err != nil {
				return nil, fmt.Errorf("%q is not an IP address or CIDR prefix", item)
			}
			if p.Addr().Is4In6() && p.Bits() >= 96 {
				p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
			}
			tp = append(tp, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(item)
		if err != nil {
			return nil, fmt.Errorf("%q is not an IP address or CIDR prefix", item)
		}
		a = a.Unmap().WithZone("")
		tp = append(tp, netip.PrefixFrom(a, a.BitLen()))
	}
	return tp, nil
}

// String lists the prefixes as ParseTrustedProxies accepts them.
func (tp TrustedProxies) String() string {
	s := make([]string, len(tp))
	for i, p := range tp {
		if p.IsSingleIP() {
			s[i] = p.Addr().String()
		} else {
			s[i] = p.String()
		}
	}
	return strings.Join(s, ",")
}

// contains reports whether a is a trusted proxy's address.
func (tp TrustedProxies) contains(a netip.Addr) bool {
	if !a.IsValid() {
		return false
	}
	a = a.Unmap().WithZone("")
	for _, p := range tp {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// origin is what a trusted proxy says about the original request. Empty
// fields are not known.
type origin struct {
	client netip.Addr
	proto  string // "http" or "https"
	host   string
}

// origin reads the forwarding headers of a request whose peer is trusted.
//
// X-Forwarded-For is read from the right: each entry was appended by the
// hop to its right, so entries are believed while the hop that wrote them
// is trusted, and the client is the first untrusted address (or, if every
// hop is trusted, the leftmost). Entries left of it are the client's own
// claims and are ignored. An entry that is no IP address ("unknown", an
// obfuscated name) ends the walk at the hop that wrote it. Of
// X-Forwarded-Proto and X-Forwarded-Host the last value counts: the
// nearest proxy sets them (nginx's proxy_set_header replaces any the
// client sent).
//
// Forwarded (RFC 7239) is read only when no X-Forwarded-* header is
// present, because common proxies (nginx, Caddy) pass a client's
// Forwarded header on unchanged while they rewrite X-Forwarded-*. Its
// elements are walked from the right like X-Forwarded-For, and proto and
// host come from the element written by the outermost trusted proxy.
func (tp TrustedProxies) origin(peer netip.Addr, h http.Header) origin {
	xff, xfp, xfh := h.Values("X-Forwarded-For"), h.Values("X-Forwarded-Proto"), h.Values("X-Forwarded-Host")
	if len(xff)+len(xfp)+len(xfh) > 0 {
		o := origin{client: peer, proto: last(xfp), host: last(xfh)}
		hops := splitList(xff)
		for i := len(hops) - 1; i >= 0 && tp.contains(o.client); i-- {
			a, ok := parseNode(hops[i])
			if !ok {
				break
			}
			o.client = a
		}
		return o
	}
	elems, ok := parseForwarded(h.Values("Forwarded"))
	if !ok {
		return origin{client: peer}
	}
	o := origin{client: peer}
	for i := len(elems) - 1; i >= 0 && tp.contains(o.client); i-- {
		o.proto, o.host = elems[i]["proto"], elems[i]["host"]
		a, ok := parseNode(elems[i]["for"])
		if !ok {
			break
		}
		o.client = a
	}
	return o
}

// forwarded applies what trusted proxies say to the request and removes
// the forwarding headers from every request (see the comment at the top).
func (s *Server) forwarded(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		has := false
		for _, k := range forwardingHeaders {
			if _, ok := r.Header[k]; ok {
				has = true
				break
			}
		}
		scheme := "http"
		if r.TLS != nil {
			scheme = "https"
		}
		// A shallow copy: the URL is copied before it is changed, the
		// header map only when headers are removed.
		r = r.WithContext(r.Context())
		u := *r.URL
		r.URL = &u
		if has {
			r.Header = r.Header.Clone()
			peer, _ := parseNode(r.RemoteAddr)
			if s.cfg.TrustedProxies.contains(peer) {
				o := s.cfg.TrustedProxies.origin(peer, r.Header)
				if o.client != peer {
					r.RemoteAddr = net.JoinHostPort(o.client.String(), "0")
				}
				if p := strings.ToLower(o.proto); p == "http" || p == "https" {
					scheme = p
				}
				if validHost(o.host) {
					r.Host = o.host
				}
			} else if s.warnedUntrusted.CompareAndSwap(false, true) {
				s.logger.Warn("ignoring X-Forwarded-*/Forwarded headers from a peer not in --trusted-proxies (logged once)",
					"peer", r.RemoteAddr, "trusted_proxies", s.cfg.TrustedProxies.String())
			}
			for _, k := range forwardingHeaders {
				r.Header.Del(k)
			}
		}
		r.URL.Scheme, r.URL.Host = scheme, r.Host
		next.ServeHTTP(w, r)
	})
}

// parseNode reads an address as proxies write it: "192.0.2.1",
// "2001:db8::1", "192.0.2.1:4711", "[2001:db8::1]:4711", "[2001:db8::1]",
// optionally in double quotes (RFC 7239 quotes IPv6 and ports).
func parseNode(s string) (netip.Addr, bool) {
	s = strings.Trim(strings.TrimSpace(s), `"`)
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Unmap().WithZone(""), true
	}
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap().WithZone(""), true
	}
	if inner, ok := strings.CutPrefix(s, "["); ok {
		if inner, ok := strings.CutSuffix(inner, "]"); ok {
			if a, err := netip.ParseAddr(inner); err == nil {
				return a.Unmap().WithZone(""), true
			}
		}
	}
	return netip.Addr{}, false
}

// validHost accepts "host" and "host:port" as they appear in a URL, and
// nothing that could smuggle a path, user info or spaces.
func validHost(h string) bool {
	if h == "" || len(h) > 255 || strings.ContainsAny(h, "/\\@?# \t\"'<>") {
		return false
	}
	u, err := url.Parse("http://" + h)
	return err == nil && u.Host == h && u.Path == "" && u.User == nil
}

// splitList splits comma-separated header values into trimmed, non-empty
// items, across all header lines in order.
func splitList(values []string) []string {
	var out []string
	for _, v := range values {
		for item := range strings.SplitSeq(v, ",") {
			if item = strings.TrimSpace(item); item != "" {
				out = append(out, item)
			}
		}
	}
	return out
}

// last is the last item of comma-separated header values, or "".
func last(values []string) string {
	items := splitList(values)
	if len(items) == 0 {
		return ""
	}
	return items[len(items)-1]
}

// parseForwarded parses Forwarded header lines (RFC 7239 4) into their
// elements, each a map of lower-cased parameter names to unquoted values.
// A malformed header gives ok false: it is then ignored as a whole.
func parseForwarded(values []string) (elems []map[string]string, ok bool) {
	list, ok := splitQuoted(strings.Join(values, ","), ',')
	if !ok {
		return nil, false
	}
	for _, e := range list {
		pairs, _ := splitQuoted(e, ';')
		m := map[string]string{}
		for _, pair := range pairs {
			if pair = strings.TrimSpace(pair); pair == "" {
				continue
			}
			name, val, found := strings.Cut(pair, "=")
			name = strings.ToLower(strings.TrimSpace(name))
			if !found || name == "" || strings.IndexFunc(name, func(c rune) bool { return c > 0x7f || !isToken(byte(c)) }) >= 0 {
				return nil, false
			}
			if _, dup := m[name]; dup { // RFC 7239 4: each parameter once per element
				return nil, false
			}
			val = strings.TrimSpace(val)
			if q, isQuoted := strings.CutPrefix(val, `"`); isQuoted {
				q, closed := strings.CutSuffix(q, `"`)
				if !closed {
					return nil, false
				}
				var b strings.Builder
				for i := 0; i < len(q); i++ {
					if q[i] == '\\' && i+1 < len(q) {
						i++
					}
					b.WriteByte(q[i])
				}
				val = b.String()
			}
			m[name] = val
		}
		if len(m) > 0 {
			elems = append(elems, m)
		}
	}
	return elems, len(elems) > 0
}

// splitQuoted splits s at sep outside double-quoted strings (with
// backslash escapes). An unterminated quoted string gives ok false.
func splitQuoted(s string, sep byte) (parts []string, ok bool) {
	quoted, start := false, 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case quoted && c == '\\':
			i++
		case c == '"':
			quoted = !quoted
		case !quoted && c == sep:
			parts = append(parts, s[start:i])
			start = i + 1
		}
	}
	if quoted {
		return nil, false
	}
	return append(parts, s[start:]), true
}

// isToken reports whether c may appear in an RFC 9110 token.
func isToken(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}

package integration

import (
	"bytes"
	"cmp"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestClientReplay replays the recorded request sequences of real clients
// (testdata/clients, format in testdata/clients/README.md) against a real
// `pgdav serve`, one user per client so that the sequences run in
// parallel, and checks every machine-checkable expect line of every step.
//
// Expect lines that are prose about what the client does with the answer
// (not about the answer itself) are logged as "not machine-checked"; the
// checker below recognises the forms that describe the response.
func TestClientReplay(t *testing.T) {
	t.Parallel()
	for _, base := range []string{"", "/dav"} {
		t.Run("base="+cmp.Or(base, "/"), func(t *testing.T) {
			t.Parallel()
			replayAll(t, base)
		})
	}
}

func replayAll(t *testing.T, base string) {
	dirs := []string{"apple-macos-calendar", "apple-ios-calendar", "apple-contacts", "thunderbird-calendar", "thunderbird-carddav", "davx5", "vdirsyncer"}
	data := newDataDir(t)
	users := map[string]string{}
	for i, d := range dirs {
		u := fmt.Sprintf("client%d", i+1)
		users[d] = u
		mustCLI(t, data, u+"-pw\n", "user", "add", u, "--email", u+"@pgdav.test", "--password-stdin")
	}
	var s *server
	if base == "" {
		s = startServer(t, data)
	} else {
		s = startServer(t, data, "--base-path", base)
	}
	for _, d := range dirs {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			r := newReplayer(t, s, users[d], base)
			r.seed()
			r.runDir(filepath.Join("testdata", "clients", d))
		})
	}
}

// fixture is one parsed .http file.
type fixture struct {
	name    string
	when    string
	auth    string
	expects []string
	binds   []string
	prefix  string
	method  string
	target  string
	headers [][2]string
	body    string
}

func parseFixture(t *testing.T, path string) *fixture {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{name: filepath.Base(path)}
	text := string(raw)
	lines := strings.SplitAfter(text, "\n")
	i := 0
	for ; i < len(lines) && strings.HasPrefix(lines[i], "#"); i++ {
		l := strings.TrimRight(lines[i], "\r\n")
		key, val, ok := strings.Cut(strings.TrimPrefix(l, "#"), ":")
		if !ok {
			continue
		}
		key, val = strings.TrimSpace(key), strings.TrimSpace(val)
		switch key {
		case "when":
			f.when = val
		case "auth":
			f.auth = val
		case "expect":
			if rest, ok := strings.CutPrefix(val, "OR "); ok && len(f.expects) > 0 {
				// An alternative to the line before.
				f.expects[len(f.expects)-1] += " || " + rest
				continue
			}
			f.expects = append(f.expects, val)
		case "bind":
			f.binds = append(f.binds, val)
		case "body-prefix":
			if err := json.Unmarshal([]byte(val), &f.prefix); err != nil {
				t.Fatalf("%s: body-prefix: %v", path, err)
			}
		}
	}
	if i >= len(lines) {
		t.Fatalf("%s: no request line", path)
	}
	parts := strings.Fields(lines[i])
	if len(parts) < 2 {
		t.Fatalf("%s: bad request line %q", path, lines[i])
	}
	f.method, f.target = parts[0], parts[1]
	i++
	for ; i < len(lines); i++ {
		l := strings.TrimRight(lines[i], "\r\n")
		if l == "" {
			i++
			break
		}
		k, v, _ := strings.Cut(l, ":")
		f.headers = append(f.headers, [2]string{strings.TrimSpace(k), strings.TrimSpace(v)})
	}
	f.body = strings.Join(lines[i:], "")
	return f
}

// replayer runs one client's sequence, keeping its variables.
type replayer struct {
	t    *testing.T
	s    *server
	user string
	pass string
	vars map[string]string
	list []string // card_hrefs
	uuid map[string]string
}

func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return strings.ToUpper(fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16]))
}

func newReplayer(t *testing.T, s *server, user, base string) *replayer {
	u, _ := url.Parse(s.URL)
	pass := user + "-pw"
	v := map[string]string{
		"host":                 u.Host,
		"base":                 base,
		"basic_auth":           "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass)),
		"user":                 user,
		"user_email":           user + "@pgdav.test",
		"user_url":             base + "/",
		"configured_url":       base + "/calendars/" + user + "/",
		"context_path":         base + "/",
		"principal":            base + "/principals/" + user + "/",
		"principal_collection": base + "/principals/",
		"calendar_home":        base + "/calendars/" + user + "/",
		"calendar":             base + "/calendars/" + user + "/default/",
		"tasks":                base + "/calendars/" + user + "/default/",
		"addressbook_home":     base + "/addressbooks/" + user + "/",
		"addressbook":          base + "/addressbooks/" + user + "/default/",
		"owner":                base + "/principals/" + user + "/",
		"home_sync_token":      "", // optional bind: an empty token asks for a full home sync
		"apple_uid":            newUUID(),
		"apple_card_uid":       newUUID(),
		"apple_group_uid":      newUUID(),
		"tb_uid":               "a1b2c3d4-0000-4000-8000-00000000000a@pgdav.test",
		"tb_uid_sanitized":     "a1b2c3d4-0000-4000-8000-00000000000a_pgdav.test",
		"tb_card_uid":          strings.ToLower(newUUID()),
		"davx5_uid":            "davx5-test@pgdav.test",
		"davx5_card_uid":       "davx5-card+1@pgdav.test",
		"vds_uid":              "conf+2025.vdirsyncer-test",
		"vds_name":             "conf+2025.vdirsyncer-test",
		"evo_uid":              "20250301T110000Z-4242-1000-1000-0@pgdav.test",
	}
	return &replayer{t: t, s: s, user: user, pass: pass, vars: v}
}

// seed creates the objects the fixtures' setup lines ask for: two events
// (one a weekly series begun in 2024), a task, an object named like
// DAVx5's, and three cards.
func (r *replayer) seed() {
	cal := r.vars["calendar"]
	put := func(path, ctype, body string) {
		req, _ := http.NewRequest("PUT", r.s.URL+path, strings.NewReader(strings.ReplaceAll(body, "\n", "\r\n")))
		req.SetBasicAuth(r.user, r.pass)
		req.Header.Set("Content-Type", ctype)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			r.t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 201 && resp.StatusCode != 204 {
			r.t.Fatalf("seed PUT %s: %s", path, resp.Status)
		}
	}
	ev := func(uid, extra string) string {
		return "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//pgdav//seed//EN\nBEGIN:VEVENT\nUID:" + uid +
			"\nDTSTAMP:20240101T000000Z\n" + extra + "SUMMARY:seed " + uid + "\nEND:VEVENT\nEND:VCALENDAR\n"
	}
	put(cal+"seed-1.ics", "text/calendar", ev("seed-1", "DTSTART:20240105T090000Z\nDURATION:PT1H\nRRULE:FREQ=WEEKLY\n"))
	put(cal+"seed-2.ics", "text/calendar", ev("seed-2", "DTSTART:"+time.Now().UTC().Add(48*time.Hour).Format("20060102T150405Z")+"\nDURATION:PT1H\n"))
	if strings.Contains(r.t.Name(), "thunderbird-calendar") {
		// thunderbird-calendar/08's setup: an object named like DAVx5's.
		put(cal+"davx5-test@pgdav.test.ics", "text/calendar", ev("seed-davx5-name", "DTSTART:20250105T090000Z\n"))
	}
	put(cal+"seed-task.ics", "text/calendar", "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//pgdav//seed//EN\nBEGIN:VTODO\nUID:seed-task\nDTSTAMP:20240101T000000Z\nSUMMARY:task\nEND:VTODO\nEND:VCALENDAR\n")
	r.vars["item1_href"] = cal + "seed-1.ics"
	r.vars["item2_href"] = cal + "seed-2.ics"
	book := r.vars["addressbook"]
	for i := 1; i <= 3; i++ {
		uid := fmt.Sprintf("seed-card-%d", i)
		put(book+uid+".vcf", "text/vcard", "BEGIN:VCARD\nVERSION:3.0\nUID:"+uid+"\nFN:Seed "+strconv.Itoa(i)+"\nN:"+strconv.Itoa(i)+";Seed;;;\nEND:VCARD\n")
		r.list = append(r.list, book+uid+".vcf")
	}
	r.vars["card1_href"] = book + "seed-card-1.vcf"
}

// runWhen lists the conditional steps the replay runs: those whose
// condition holds for a pgdav account (the others describe fallbacks for
// servers that lack what pgdav offers).
var runWhen = []string{
	"always",
	"old clients",                 // legacy sync-collection body, kept as a regression test
	"user subscribes to a webcal", // Apple's subscription MKCALENDAR: must be refused
	"a tasks app is installed",    // DAVx5's VTODO query
}

// runFallback reports whether a conditional step that pgdav's answers do
// not trigger is replayed anyway: the fallbacks (a PROPFIND listing, a
// ctag poll, a discovery retry) must work too. Scheduling steps (inbox,
// outbox, calendar-auto-schedule) are not, since pgdav advertises none.
func runFallback(f *fixture) bool {
	w := strings.ToLower(f.when)
	return !strings.Contains(w, "inbox") && !strings.Contains(w, "outbox") && !strings.Contains(w, "schedule")
}

func (r *replayer) runDir(dir string) {
	files, err := filepath.Glob(filepath.Join(dir, "*.http"))
	if err != nil || len(files) == 0 {
		r.t.Fatalf("no fixtures in %s", dir)
	}
	slices.Sort(files)
	for _, p := range files {
		f := parseFixture(r.t, p)
		if !slices.ContainsFunc(runWhen, func(w string) bool { return strings.HasPrefix(f.when, w) }) && !runFallback(f) {
			r.t.Logf("%s: skipped (when: %s)", f.name, f.when)
			continue
		}
		r.uuid = map[string]string{}
		r.step(f)
	}
}

var tmplRe = regexp.MustCompile(`\{\{([^}]*)\}\}`)

func (r *replayer) subst(s string) string {
	return tmplRe.ReplaceAllStringFunc(s, func(m string) string {
		name := m[2 : len(m)-2]
		if strings.HasPrefix(name, "…") {
			var b strings.Builder
			for i, h := range r.list {
				if i >= 2 {
					fmt.Fprintf(&b, "<d:href>%s</d:href>\n      ", h)
				}
			}
			return b.String()
		}
		name, filter, _ := strings.Cut(name, "|")
		var v string
		switch {
		case strings.HasPrefix(name, "new_uuid"):
			if r.uuid[name] == "" {
				r.uuid[name] = newUUID()
			}
			v = r.uuid[name]
		case strings.HasPrefix(name, "utc:"):
			n, _ := strconv.Atoi(strings.TrimSuffix(name[4:], "d"))
			v = time.Now().UTC().AddDate(0, 0, n).Format("20060102T150405Z")
		case strings.HasPrefix(name, "utcdate:"):
			n, _ := strconv.Atoi(strings.TrimSuffix(name[8:], "M"))
			v = time.Now().UTC().AddDate(0, n, 0).Format("20060102")
		case strings.HasPrefix(name, "card_href_"):
			n, _ := strconv.Atoi(name[len("card_href_"):])
			if n >= 1 && n <= len(r.list) {
				v = r.list[n-1]
			}
		case name == "item_etag_unquoted":
			v = strings.Trim(strings.TrimPrefix(r.vars["item_etag"], "W/"), `"`)
		case name == "calendar_parent":
			c := strings.TrimSuffix(r.vars["calendar"], "/")
			v = c[:strings.LastIndex(c, "/")+1]
		case name == "calendar_path_encoded":
			v = encodePerSegment(r.vars["calendar"])
		default:
			var ok bool
			v, ok = r.vars[name]
			if !ok {
				r.t.Fatalf("template {{%s}} has no value", name)
			}
		}
		switch filter {
		case "xml-escaped":
			var b bytes.Buffer
			_ = xml.EscapeText(&b, []byte(v))
			v = b.String()
		case "encodeURIComponent-per-segment":
			u, err := url.PathUnescape(v)
			if err == nil {
				v = u
			}
			v = encodePerSegment(v)
		}
		return v
	})
}

// encodePerSegment encodes each segment like JavaScript's encodeURIComponent.
func encodePerSegment(p string) string {
	segs := strings.Split(p, "/")
	for i, s := range segs {
		var b strings.Builder
		for _, c := range []byte(s) {
			if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("-_.!~*'()", c) >= 0 {
				b.WriteByte(c)
			} else {
				fmt.Fprintf(&b, "%%%02X", c)
			}
		}
		segs[i] = b.String()
	}
	return strings.Join(segs, "/")
}

// exchange is one request and its answer.
type exchange struct {
	reqPath string
	resp    *http.Response
	body    []byte
	doc     *xnode
}

func (r *replayer) send(f *fixture, target string, withAuth bool, edit ...func(http.Header)) *exchange {
	body := f.prefix + r.subst(f.body)
	ctype := ""
	for _, h := range f.headers {
		if strings.EqualFold(h[0], "Content-Type") {
			ctype = strings.ToLower(h[1])
		}
	}
	if strings.HasPrefix(ctype, "text/calendar") || strings.HasPrefix(ctype, "text/vcard") {
		body = strings.ReplaceAll(strings.ReplaceAll(body, "\r\n", "\n"), "\n", "\r\n")
	}
	req, err := http.NewRequest(f.method, r.s.URL+target, strings.NewReader(body))
	if err != nil {
		r.t.Fatalf("%s: %v", f.name, err)
	}
	req.URL.RawPath = ""
	req.URL.Opaque = "//" + req.URL.Host + target // send the path exactly as written
	if body == "" {
		req.Body, req.ContentLength = nil, 0
	}
	for _, h := range f.headers {
		switch strings.ToLower(h[0]) {
		case "host", "content-length", "accept-encoding", "connection":
			// Set by the transport (Host is the test server's; a body
			// compressed on request would have to be decoded here).
			continue
		case "authorization":
			if !withAuth {
				continue
			}
		}
		req.Header.Add(h[0], r.subst(h[1]))
	}
	if withAuth && req.Header.Get("Authorization") == "" {
		req.Header.Set("Authorization", r.vars["basic_auth"])
	}
	for _, e := range edit {
		e(req.Header)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }, Timeout: 60 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		r.t.Fatalf("%s: %v", f.name, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	x := &exchange{reqPath: target, resp: resp, body: b}
	if resp.StatusCode == 207 || bytes.Contains(b[:min(len(b), 200)], []byte("<?xml")) {
		x.doc, _ = parseXML(b)
	}
	return x
}

func (r *replayer) step(f *fixture) {
	t := r.t
	target := r.subst(f.target)
	var x *exchange
	switch f.auth {
	case "none":
		x = r.send(f, target, false)
	case "challenge-first":
		// Without credentials, following redirects, the client must meet a
		// 401 with a challenge; then it sends the request again with them.
		x = r.send(f, target, false)
		for i := 0; i < 5 && x.resp.StatusCode/100 == 3; i++ {
			loc, err := x.resp.Location()
			if err != nil {
				t.Fatalf("%s: %s without Location", f.name, x.resp.Status)
			}
			x = r.send(f, loc.EscapedPath(), false)
		}
		if x.resp.StatusCode != 401 || x.resp.Header.Get("WWW-Authenticate") == "" {
			t.Errorf("%s: challenge-first: unauthenticated %s %s answered %s (WWW-Authenticate %q), want 401 with a challenge", f.name, f.method, target, x.resp.Status, x.resp.Header.Get("WWW-Authenticate"))
		}
		x = r.send(f, target, true)
	default:
		x = r.send(f, target, true)
	}
	// Clients that follow redirects (Thunderbird, DAVx5, vdirsyncer) keep
	// method, body and Depth; follow when the step expects the final answer.
	for i := 0; i < 5 && x.resp.StatusCode >= 300 && x.resp.StatusCode < 400 && !statusAllowed(f, x.resp.StatusCode); i++ {
		loc, err := x.resp.Location()
		if err != nil {
			t.Fatalf("%s: %s without Location", f.name, x.resp.Status)
		}
		x = r.send(f, loc.EscapedPath(), f.auth != "none")
	}
	failed := false
	for _, e := range f.expects {
		ok, checked, why := r.check(f, x, e)
		if !checked {
			t.Logf("%s: not machine-checked: %s", f.name, e)
			continue
		}
		if !ok {
			failed = true
			t.Errorf("%s: %s %s: expect %q failed: %s", f.name, f.method, target, e, why)
		}
	}
	if failed {
		t.Logf("%s: response %s\n%s\n%s", f.name, x.resp.Status, fmtHeader(x.resp.Header), truncate(string(x.body), 4000))
	}
	for _, b := range f.binds {
		r.bind(f, x, b)
	}
}

func fmtHeader(h http.Header) string {
	var b strings.Builder
	_ = h.Write(&b)
	return b.String()
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

var (
	statusEqRe = regexp.MustCompile(`^status ==\s*(\d{3})`)
	statusInRe = regexp.MustCompile(`^status in \(([\d, ]+)\)`)
	orRe       = regexp.MustCompile(`\(or (\d{3})\)`)
	numRe      = regexp.MustCompile(`\d{3}`)
)

// allowedStatuses returns the statuses an expect line allows, or nil.
func allowedStatuses(e string) []int {
	if alts := strings.Split(e, " || "); len(alts) > 1 {
		var out []int
		for _, a := range alts {
			out = append(out, allowedStatuses(a)...)
		}
		return out
	}
	var out []int
	if m := statusEqRe.FindStringSubmatch(e); m != nil {
		n, _ := strconv.Atoi(m[1])
		out = append(out, n)
		for _, o := range orRe.FindAllStringSubmatch(e, -1) {
			n, _ := strconv.Atoi(o[1])
			out = append(out, n)
		}
		if strings.Contains(e, "or 404") {
			out = append(out, 404)
		}
		if strings.Contains(e, "OR 403 with a precondition") {
			out = append(out, 403)
		}

		return out
	}
	if m := statusInRe.FindStringSubmatch(e); m != nil {
		for _, s := range numRe.FindAllString(m[1], -1) {
			n, _ := strconv.Atoi(s)
			out = append(out, n)
		}
		return out
	}
	return nil
}

func statusAllowed(f *fixture, code int) bool {
	for _, e := range f.expects {
		if slices.Contains(allowedStatuses(e), code) {
			return true
		}
	}
	return false
}

// Namespaces by the fixture prefixes.
var nsPrefix = map[string]string{
	"D":    "DAV:",
	"C":    "urn:ietf:params:xml:ns:caldav",
	"CAL":  "urn:ietf:params:xml:ns:caldav",
	"CARD": "urn:ietf:params:xml:ns:carddav",
	"CS":   "http://calendarserver.org/ns/",
	"ICAL": "http://apple.com/ns/ical/",
}

// check evaluates one expect line. checked is false for prose the checker
// does not recognise.
func (r *replayer) check(f *fixture, x *exchange, e string) (ok, checked bool, why string) {
	if alts := strings.Split(e, " || "); len(alts) > 1 {
		var whys []string
		for _, a := range alts {
			ok, checked, why := r.check(f, x, a)
			if !checked {
				return false, false, ""
			}
			if ok {
				return true, true, ""
			}
			whys = append(whys, why)
		}
		return false, true, strings.Join(whys, "; ")
	}
	// "status == 403 with <D:error><D:x/></D:error>": the precondition too.
	if m := regexp.MustCompile(`^status == (\d{3}) with <D:error><D:([a-z-]+)/></D:error>`).FindStringSubmatch(e); m != nil {
		if strconv.Itoa(x.resp.StatusCode) != m[1] || x.doc.find("DAV:", m[2]) == nil {
			return false, true, fmt.Sprintf("status %d, want %s with DAV:%s", x.resp.StatusCode, m[1], m[2])
		}
		return true, true, ""
	}
	code := x.resp.StatusCode
	low := strings.ToLower(e)
	fail := func(format string, a ...any) (bool, bool, string) { return false, true, fmt.Sprintf(format, a...) }
	pass := func() (bool, bool, string) { return true, true, "" }
	// Status lines.
	if st := allowedStatuses(e); st != nil {
		if !slices.Contains(st, code) {
			return fail("status %d, want one of %v", code, st)
		}
		if strings.Contains(low, "with 200") && code == 207 && x.doc != nil {
			for _, s := range x.doc.all("DAV:", "status") {
				if !strings.Contains(s.text(), " 200 ") {
					return fail("207 carries %q", s.text())
				}
			}
		}
		if strings.Contains(e, "href ends with '/'") {
			for _, h := range x.doc.all("DAV:", "href") {
				if strings.HasPrefix(h.text(), "/") && !strings.HasSuffix(h.text(), "/") {
					return fail("href %q has no trailing slash", h.text())
				}
			}
		}
		if strings.Contains(e, "current-user-principal") && x.doc.find("DAV:", "current-user-principal") == nil {
			return fail("no current-user-principal")
		}
		if strings.Contains(low, "multistatus root") && (x.doc == nil || x.doc.Local != "multistatus") {
			return fail("no multistatus root")
		}
		if code == 403 && strings.Contains(e, "OR 403 with a precondition") && (x.doc == nil || x.doc.find("DAV:", "error") == nil) {
			return fail("403 without a precondition element")
		}
		if strings.Contains(e, "CS:getctag") && x.doc.find(nsPrefix["CS"], "getctag") == nil {
			return fail("no getctag")
		}
		if strings.Contains(e, "valid-sync-token") && strings.Contains(e, "with <D:error>") && x.doc.find("DAV:", "valid-sync-token") == nil {
			return fail("no DAV:valid-sync-token")
		}
		return pass()
	}
	dav := strings.Join(x.resp.Header.Values("DAV"), ",")
	hasResp := func(name string) *xnode {
		for _, resp := range x.doc.children("DAV:", "response") {
			if h := resp.child("DAV:", "href").text(); samePath(h, name) || strings.HasSuffix(unescape(h), "/"+name) {
				return resp
			}
		}
		return nil
	}
	propOK := func(resp *xnode, ns, local string) bool {
		for _, ps := range resp.children("DAV:", "propstat") {
			if ps.child("DAV:", "status").text() == "HTTP/1.1 200 OK" && ps.find(ns, local) != nil {
				return true
			}
		}
		return false
	}
	switch {
	case strings.HasPrefix(e, "DAV header") && (strings.Contains(e, "'addressbook'") || strings.Contains(e, "calendar-access") || strings.Contains(e, "first token")):
		if !strings.HasPrefix(strings.TrimSpace(dav), "1") {
			return fail("DAV %q does not start with 1", dav)
		}
		for _, w := range []string{"addressbook", "calendar-access"} {
			if strings.Contains(e, w) && !strings.Contains(dav, w) {
				return fail("DAV %q lacks %s", dav, w)
			}
		}
		return pass()
	case strings.HasPrefix(e, "Allow header present"):
		if x.resp.Header.Get("Allow") == "" {
			return fail("no Allow header")
		}
		return pass()
	case strings.HasPrefix(e, "current-user-principal and/or") || strings.HasPrefix(e, "D:current-user-principal/D:href present") ||
		strings.HasPrefix(e, "authenticated: 207 with D:current-user-principal/D:href") || strings.HasPrefix(e, "current-user-principal (or calendar-home-set) present") ||
		strings.HasPrefix(e, "401 + WWW-Authenticate without credentials; 207 with current-user-principal"):
		if code != 207 || x.doc.find("DAV:", "current-user-principal").find("DAV:", "href") == nil {
			return fail("no current-user-principal href (status %d)", code)
		}
		return pass()
	case strings.Contains(e, "MUST contain D:resourcetype") || strings.HasPrefix(e, "EVERY <response> (home and children) has D:resourcetype"):
		if !r.membersHave(x, true, "resourcetype") {
			return fail("a response lacks resourcetype")
		}
		return pass()
	case strings.HasPrefix(e, "body <D:error") || strings.HasPrefix(e, "body: <D:error"):
		if x.doc == nil || x.doc.Local != "error" || x.doc.find("DAV:", "valid-sync-token") == nil {
			return fail("body is not DAV:error with valid-sync-token")
		}
		return pass()
	case strings.HasPrefix(e, "server must not crash or 500"):
		if code >= 500 {
			return fail("status %d", code)
		}
		return pass()
	case strings.HasPrefix(e, "pgdav policy: 403 on calendars"):
		if code != 403 {
			return fail("status %d, want 403", code)
		}
		return pass()
	case strings.HasPrefix(e, "NOT 429 and NOT a 403 whose body"):
		if code == 429 || code == 403 && x.doc != nil && x.doc.Local == "error" && len(x.doc.Kids) == 0 {
			return fail("status %d with an empty error", code)
		}
		return pass()
	case strings.HasPrefix(e, "403/409/507 here"):
		if code == 403 || code == 409 || code == 507 {
			return fail("status %d", code)
		}
		return pass()
	case strings.HasPrefix(e, "D:sync-token as a direct child of D:multistatus"):
		if x.doc.child("DAV:", "sync-token") == nil {
			return fail("no multistatus-level sync-token")
		}
		return pass()
	case strings.HasPrefix(e, "CS:getctag and D:sync-token present"):
		tok := x.doc.find("DAV:", "sync-token")
		if x.doc.find(nsPrefix["CS"], "getctag") == nil || tok == nil || !strings.Contains(tok.text(), ":") {
			return fail("getctag or sync-token (a URI) missing")
		}
		return pass()
	case strings.HasPrefix(e, "sync-token in the 200 propstat"):
		if resp := x.doc.child("DAV:", "response"); resp == nil || !propOK(resp, "DAV:", "sync-token") {
			return fail("no sync-token in a 200 propstat")
		}
		return pass()
	case strings.Contains(e, "calendar-user-address-set with mailto:") || strings.Contains(e, "calendar-user-address-set contains a mailto: href"):
		set := x.doc.find(nsPrefix["C"], "calendar-user-address-set")
		if set == nil || !slices.ContainsFunc(set.all("DAV:", "href"), func(h *xnode) bool { return strings.HasPrefix(h.text(), "mailto:") }) {
			return fail("no mailto: href")
		}
		return pass()
	case strings.HasPrefix(e, "C:calendar-home-set with one href") || strings.HasPrefix(e, "calendar-home-set/href (first one used)") ||
		strings.HasPrefix(e, "addressbook-home-set/href — only the FIRST"):
		ns, local := nsPrefix["C"], "calendar-home-set"
		if strings.HasPrefix(e, "addressbook") {
			ns, local = nsPrefix["CARD"], "addressbook-home-set"
		}
		if hs := x.doc.find(ns, local); hs == nil || len(hs.all("DAV:", "href")) != 1 {
			return fail("not exactly one %s href", local)
		}
		return pass()
	case strings.HasPrefix(e, "getcontenttype contains 'vcard'") || strings.HasPrefix(e, "getcontenttype, if present, contains 'calendar'"):
		want := "calendar"
		if strings.HasPrefix(e, "getcontenttype contains 'vcard'") {
			want = "vcard"
		}
		for _, ct := range memberContentTypes(x) {
			if ct.text() != "" && !strings.Contains(ct.text(), want) {
				return fail("getcontenttype %q", ct.text())
			}
		}
		if !r.membersHave(x, false, "getcontenttype") {
			return fail("a member lacks getcontenttype")
		}
		return pass()
	case strings.HasPrefix(e, "each card: 200 propstat") || strings.HasPrefix(e, "getetag + calendar-data of the stored object") ||
		strings.HasPrefix(e, "getetag + address-data") || strings.HasPrefix(e, "the stored card (same UID) and its etag") ||
		strings.HasPrefix(e, "for each existing href: getetag + calendar-data") || strings.HasPrefix(e, "all VTODOs with getetag") ||
		strings.HasPrefix(e, "every requested href comes back once"):
		data := "calendar-data"
		if strings.Contains(e, "address-data") || strings.Contains(e, "card") {
			data = "address-data"
		}
		if strings.HasPrefix(e, "all VTODOs") {
			data = "getetag"
		}
		seen := map[string]bool{}
		n := 0
		for _, resp := range x.doc.children("DAV:", "response") {
			h := unescape(resp.child("DAV:", "href").text())
			if seen[h] {
				return fail("href %s twice", h)
			}
			seen[h] = true
			if resp.child("DAV:", "status") != nil {
				continue
			}
			n++
			if !propOK(resp, "DAV:", "getetag") || !propOK(resp, "", data) {
				return fail("%s lacks getetag or %s in an 'HTTP/1.1 200 OK' propstat", h, data)
			}
		}
		if n == 0 {
			return fail("no member returned")
		}
		if strings.HasPrefix(e, "all VTODOs") && hasResp("seed-task.ics") == nil {
			return fail("the seeded task is missing")
		}
		return pass()
	case strings.HasPrefix(e, "%40 in the request decodes to @"):
		resp := hasResp("davx5-test@pgdav.test.ics")
		if resp == nil || !propOK(resp, nsPrefix["C"], "calendar-data") {
			return fail("davx5-test@pgdav.test.ics not found")
		}
		return pass()
	case strings.Contains(e, "the weekly series from 2024") || strings.Contains(e, "incl. recurring masters that began earlier"):
		if hasResp("seed-1.ics") == nil {
			return fail("the weekly series begun in 2024 is missing")
		}
		return pass()
	case strings.HasPrefix(e, "changed member {{item_href}}") || strings.HasPrefix(e, "contains {{item_href}} with its current getetag"):
		resp := hasResp(r.vars["item_href"])
		if resp == nil || !propOK(resp, "DAV:", "getetag") {
			return fail("%s missing or without getetag", r.vars["item_href"])
		}
		return pass()
	case strings.HasPrefix(e, "no precondition required"):
		if code/100 != 2 {
			return fail("status %d", code)
		}
		return pass()
	case strings.HasPrefix(e, "repeating the same request → 412") || strings.Contains(e, "stale If-Match → 412") ||
		strings.HasPrefix(e, "stale → 412") || strings.HasPrefix(e, "stale etag → 409 or 412"):
		again := r.send(f, x.reqPath, f.auth != "none", func(h http.Header) {
			if h.Get("If-Match") != "" {
				h.Set("If-Match", `"pgdav-stale-etag"`)
			}
		})
		if again.resp.StatusCode != 412 {
			return fail("the repeated/stale request answered %d, want 412", again.resp.StatusCode)
		}
		return pass()
	case strings.HasPrefix(e, "each calendar:") || strings.HasPrefix(e, "calendars: resourcetype") || strings.HasPrefix(e, "address books: resourcetype") ||
		strings.HasPrefix(e, "privilege set with read"):
		n := 0
		for _, resp := range x.doc.children("DAV:", "response") {
			rt := resp.find("DAV:", "resourcetype")
			if rt == nil || rt.find(nsPrefix["C"], "calendar") == nil && rt.find(nsPrefix["CARD"], "addressbook") == nil {
				continue
			}
			n++
			href := resp.child("DAV:", "href").text()
			want := []string{}
			for _, p := range []string{"displayname", "getctag", "sync-token", "supported-calendar-component-set"} {
				if strings.Contains(e, p) && (p != "supported-calendar-component-set" || rt.find(nsPrefix["C"], "calendar") != nil) {
					want = append(want, p)
				}
			}
			for _, p := range want {
				if !propOK(resp, "", p) {
					return fail("%s lacks %s in a 200 propstat", href, p)
				}
			}
			if strings.Contains(e, "privilege set") || strings.Contains(e, "privilege") {
				ps := resp.find("DAV:", "current-user-privilege-set")
				if ps == nil || ps.find("DAV:", "write") == nil && ps.find("DAV:", "all") == nil && ps.find("DAV:", "write-content") == nil {
					return fail("%s: no write privilege", href)
				}
			}
		}
		if n == 0 {
			return fail("no calendar or address book listed")
		}
		return pass()
	case strings.HasPrefix(e, "CS:getctag present; supported-calendar-component-set"):
		set := x.doc.find(nsPrefix["C"], "supported-calendar-component-set")
		if x.doc.find(nsPrefix["CS"], "getctag").text() == "" || set == nil || len(set.all(nsPrefix["C"], "comp")) == 0 {
			return fail("getctag or component set missing")
		}
		return pass()
	case strings.HasPrefix(e, "current-user-privilege-set with write rights"):
		if ps := x.doc.find("DAV:", "current-user-privilege-set"); ps == nil || ps.find("DAV:", "write") == nil && ps.find("DAV:", "all") == nil {
			return fail("no write privilege")
		}
		return pass()
	case strings.HasPrefix(e, "no redirect"):
		if code/100 == 3 {
			return fail("status %d", code)
		}
		return pass()
	case strings.HasPrefix(e, "calendar-data = stored bytes") || strings.HasPrefix(e, "address-data = stored vCard bytes") ||
		strings.HasPrefix(e, "stored verbatim"):
		if code/100 != 2 {
			return fail("status %d", code)
		}
		if x.doc == nil { // the PUT itself: read the object back
			got := r.get(x.reqPath)
			sent := r.subst(f.body)
			if normItem(got) != normItem(sent) {
				return fail("GET returns other bytes than were PUT:\n%s", got)
			}
			return pass()
		}
		n := 0
		for _, resp := range x.doc.children("DAV:", "response") {
			data := resp.find(nsPrefix["C"], "calendar-data")
			if data == nil {
				data = resp.find(nsPrefix["CARD"], "address-data")
			}
			if data == nil || data.text() == "" {
				continue
			}
			n++
			if stored := r.get(hrefPath(resp.child("DAV:", "href").text())); normItem(stored) != normItem(data.Text) {
				return fail("%s: data differs from the stored object", resp.child("DAV:", "href").text())
			}
		}
		if n == 0 {
			return fail("no data returned")
		}
		return pass()
	case strings.Contains(e, "PROPFIND afterwards returns") || strings.Contains(e, "readable afterwards") ||
		strings.HasPrefix(e, "a later PROPFIND returns the same text") || strings.HasPrefix(e, "PROPFIND returns #") ||
		strings.HasPrefix(e, "PROPFIND of CS:me-card on the home returns the href"):
		return r.readBack(f, x)
	case strings.HasPrefix(e, "changed hrefs only + new token"):
		// The seeded objects were there before the initial sync and have
		// not changed since.
		for _, resp := range x.doc.children("DAV:", "response") {
			if h := resp.child("DAV:", "href").text(); strings.Contains(h, "/seed-") {
				return fail("unchanged member %s reported", h)
			}
		}
		if x.doc.child("DAV:", "sync-token") == nil {
			return fail("no new token")
		}
		return pass()
	case strings.HasPrefix(e, "calendar-data contains exactly one UID"):
		for _, d := range x.doc.all(nsPrefix["C"], "calendar-data") {
			uids := map[string]bool{}
			for _, m := range uidRe.FindAllStringSubmatch(d.Text, -1) {
				uids[m[1]] = true
			}
			if d.text() != "" && len(uids) != 1 {
				return fail("calendar-data with UIDs %v", uids)
			}
		}
		return pass()
	case strings.HasPrefix(e, "one response per matching object"):
		seen := map[string]bool{}
		for _, resp := range x.doc.children("DAV:", "response") {
			h := unescape(resp.child("DAV:", "href").text())
			if seen[h] {
				return fail("%s listed twice", h)
			}
			seen[h] = true
		}
		if !r.membersHave(x, false, "getetag") || !r.membersHave(x, false, "getcontenttype") {
			return fail("a match lacks getetag or getcontenttype")
		}
		if !seen[unescape(r.vars["calendar"])+"seed-1.ics"] {
			return fail("the weekly series begun in 2024 does not match")
		}
		return pass()
	case strings.HasPrefix(e, "note the capitalised Content-Type attribute"):
		if code != 207 {
			return fail("status %d", code)
		}
		return pass()
	case strings.HasPrefix(e, "CARD:supported-address-data listing"):
		if !slices.ContainsFunc(x.doc.all(nsPrefix["CARD"], "address-data-type"), func(n *xnode) bool { return n.attr("version") == "4.0" }) {
			return fail("no vCard 4.0 in supported-address-data")
		}
		return pass()
	case strings.HasPrefix(e, "schedule-tag 404/omitted"):
		for _, ps := range x.doc.all("DAV:", "propstat") {
			if ps.child("DAV:", "status").text() == "HTTP/1.1 200 OK" && ps.find(nsPrefix["C"], "schedule-tag") != nil {
				return fail("schedule-tag on a non-scheduling object")
			}
		}
		return pass()
	case strings.HasPrefix(e, "the name keeps '@' raw"):
		if code != 201 || !strings.Contains(r.get(r.vars["calendar"]+"davx5-test@pgdav.test.ics"), "UID:"+r.vars["davx5_uid"]) {
			return fail("the object is not at its raw '@' name")
		}
		return pass()
	case strings.HasPrefix(e, "each href a MEMBER of"):
		cal := r.vars["calendar"]
		for _, resp := range x.doc.children("DAV:", "response") {
			h := hrefPath(resp.child("DAV:", "href").text())
			if !strings.HasPrefix(h, cal) {
				return fail("%s is not written below %s", h, cal)
			}
			if !propOK(resp, "DAV:", "getetag") || !propOK(resp, nsPrefix["C"], "calendar-data") {
				return fail("%s without getetag and calendar-data", h)
			}
		}
		return pass()
	case strings.HasPrefix(e, "member hrefs start with the home path in the SAME raw encoding"):
		for _, resp := range x.doc.children("DAV:", "response") {
			if h := hrefPath(resp.child("DAV:", "href").text()); !strings.HasPrefix(h, x.reqPath) {
				return fail("%s does not start with %s", h, x.reqPath)
			}
		}
		return pass()
	case strings.Contains(e, "200 body = D:principal-search-property-set"):
		if code == 200 && (x.doc == nil || x.doc.Local != "principal-search-property-set") {
			return fail("200 without a principal-search-property-set body")
		}
		return pass()
	case strings.HasPrefix(e, "same UID PUT under another name"):
		dup := strings.TrimSuffix(x.reqPath, ".ics") + "-dup.ics"
		y := r.send(f, dup, true)
		if (y.resp.StatusCode != 403 && y.resp.StatusCode != 409) || y.doc == nil || y.doc.find(nsPrefix["C"], "no-uid-conflict") == nil {
			return fail("PUT of the same UID as %s: %s, want 403/409 with C:no-uid-conflict", dup, y.resp.Status)
		}
		return pass()
	case strings.HasPrefix(e, "new ETag (if data stored verbatim)"):
		if et := x.resp.Header.Get("ETag"); et == "" || et == r.vars["item_etag"] {
			return fail("ETag %q, previous %q", et, r.vars["item_etag"])
		}
		return pass()
	case strings.HasPrefix(e, "calendar-color #RRGGBB") || strings.HasPrefix(e, "ICAL:calendar-color (#RRGGBBAA ok)"):
		for _, c := range x.doc.all(nsPrefix["ICAL"], "calendar-color") {
			if c.text() != "" && !regexp.MustCompile(`^#[0-9A-Fa-f]{6}([0-9A-Fa-f]{2})?$`).MatchString(c.text()) {
				return fail("calendar-color %q", c.text())
			}
		}
		for _, o := range x.doc.all(nsPrefix["ICAL"], "calendar-order") {
			if _, err := strconv.Atoi(o.text()); o.text() != "" && err != nil {
				return fail("calendar-order %q", o.text())
			}
		}
		return pass()
	case strings.HasPrefix(e, "unknown CS:/C: props omitted or 404") || strings.HasPrefix(e, "CARD:max-image-size/max-resource-size/me-card may be 404/omitted"):
		for _, st := range x.doc.all("DAV:", "status") {
			if t := st.text(); t != "HTTP/1.1 200 OK" && t != "HTTP/1.1 404 Not Found" {
				return fail("status %q in the answer", t)
			}
		}
		return pass()
	case strings.HasPrefix(e, "at least one writable VEVENT calendar") || strings.HasPrefix(e, "C:supported-calendar-component-set; D:current-user-privilege-set with D:write"):
		comps := map[string]bool{}
		for _, resp := range x.doc.children("DAV:", "response") {
			rt := resp.find("DAV:", "resourcetype")
			if rt == nil || rt.find(nsPrefix["C"], "calendar") == nil {
				continue
			}
			ps := resp.find("DAV:", "current-user-privilege-set")
			set := resp.find(nsPrefix["C"], "supported-calendar-component-set")
			if ps == nil || ps.find("DAV:", "write") == nil && ps.find("DAV:", "all") == nil || set == nil {
				return fail("%s: no write privilege or component set", resp.child("DAV:", "href").text())
			}
			for _, c := range set.all(nsPrefix["C"], "comp") {
				comps[c.attr("name")] = true
			}
		}
		if !comps["VEVENT"] || strings.Contains(e, "VTODO") && !comps["VTODO"] {
			return fail("components %v", comps)
		}
		return pass()
	case strings.HasPrefix(e, "changed cards with getetag AND address-data"):
		if !r.membersHave(x, false, "getetag") || !r.membersHave(x, false, "address-data") {
			return fail("a changed card lacks getetag or address-data")
		}
		return pass()
	case strings.HasPrefix(e, "sync-token (preferred) or getctag"):
		if x.doc.find("DAV:", "sync-token").text() == "" && x.doc.find(nsPrefix["CS"], "getctag").text() == "" {
			return fail("neither sync-token nor getctag")
		}
		return pass()
	case strings.HasPrefix(e, "value text (or 404)"):
		if code != 207 {
			return fail("status %d", code)
		}
		return pass()
	case strings.HasPrefix(e, "2xx (200)"):
		if code != 200 {
			return fail("status %d", code)
		}
		return pass()
	case strings.HasPrefix(e, "home Depth-1 listing no longer contains it"):
		home := r.vars["calendar_home"]
		req := &fixture{name: f.name, method: "PROPFIND", headers: [][2]string{{"Depth", "1"}, {"Content-Type", "text/xml"}},
			body: `<propfind xmlns="DAV:"><prop><resourcetype/><sync-token/></prop></propfind>`}
		y := r.send(req, home, true)
		for _, resp := range y.doc.children("DAV:", "response") {
			if samePath(resp.child("DAV:", "href").text(), x.reqPath) {
				return fail("%s still listed", x.reqPath)
			}
		}
		return pass()
	case low == "2xx" || strings.HasPrefix(low, "status 2xx"):
		if code/100 != 2 {
			return fail("status %d", code)
		}
		return pass()
	case strings.HasPrefix(e, "ETag header") || e == "ETag":
		if strings.Contains(e, "may be absent") {
			return pass()
		}
		if x.resp.Header.Get("ETag") == "" {
			return fail("no ETag header")
		}
		return pass()
	case strings.HasPrefix(e, "WWW-Authenticate") || strings.HasPrefix(low, "unauthenticated: 401"):
		return pass() // checked by the challenge-first exchange
	case strings.HasPrefix(e, "never 207 with DAV:unauthenticated"):
		if code == 404 || code == 405 || code >= 500 || (code == 207 && x.doc.find("DAV:", "unauthenticated") != nil) {
			return fail("status %d", code)
		}
		return pass()
	case strings.HasPrefix(e, "if 3xx: Location"):
		if code/100 == 3 {
			loc, err := x.resp.Location()
			if err != nil || !strings.HasPrefix(loc.String(), r.s.URL+"/") && !strings.HasPrefix(loc.String(), "/") {
				return fail("Location %q", x.resp.Header.Get("Location"))
			}
		}
		return pass()
	case strings.HasPrefix(e, "response includes DAV: header") || strings.HasPrefix(e, "DAV contains"):
		dav := strings.Join(x.resp.Header.Values("DAV"), ",")
		if dav == "" {
			return fail("no DAV header")
		}
		if w, ok := strings.CutPrefix(e, "DAV contains "); ok {
			for _, item := range strings.Split(strings.Fields(w)[0], ",") {
				if item = strings.Trim(item, "'\"`"); !strings.Contains(dav, item) {
					return fail("DAV %q lacks %s", dav, item)
				}
			}
		}
		return pass()
	case strings.HasPrefix(e, "resourcetype contains "):
		ns, local := qname(strings.Fields(strings.TrimPrefix(e, "resourcetype contains "))[0])
		if !slices.ContainsFunc(x.doc.all("DAV:", "resourcetype"), func(rt *xnode) bool { return rt.find(ns, local) != nil }) {
			return fail("resourcetype lacks %s %s", ns, local)
		}
		return pass()
	case strings.HasPrefix(low, "exactly one"):
		var ns, local string
		switch {
		case strings.Contains(e, "calendar-home-set"):
			ns, local = nsPrefix["C"], "calendar-home-set"
		case strings.Contains(e, "addressbook-home-set"):
			ns, local = nsPrefix["CARD"], "addressbook-home-set"
		default:
			return false, false, ""
		}
		hs := x.doc.find(ns, local)
		if hs == nil {
			return fail("no %s", local)
		}
		hrefs := hs.all("DAV:", "href")
		if len(hrefs) != 1 {
			return fail("%d hrefs in %s", len(hrefs), local)
		}
		if strings.Contains(e, "trailing slash") && !strings.HasSuffix(hrefs[0].text(), "/") {
			return fail("href %q", hrefs[0].text())
		}
		return pass()
	case strings.Contains(low, "multistatus-level") && strings.Contains(low, "sync-token") ||
		strings.HasPrefix(e, "new D:sync-token at multistatus level") || e == "new token" || e == "new sync-token":
		if x.doc == nil || x.doc.child("DAV:", "sync-token") == nil || x.doc.child("DAV:", "sync-token").text() == "" {
			return fail("no multistatus-level sync-token")
		}
		if strings.Contains(e, "first sync-token element") && x.doc.find("DAV:", "sync-token") != x.doc.child("DAV:", "sync-token") {
			return fail("a sync-token precedes the multistatus-level one")
		}
		if strings.Contains(e, "getetag") && !r.membersHave(x, false, "getetag") {
			return fail("a member lacks getetag")
		}
		if strings.Contains(e, "getcontenttype") && !r.membersHave(x, false, "getcontenttype") {
			return fail("a member lacks getcontenttype")
		}
		if v := r.vars["sync_token"]; v != "" && (e == "new token" || e == "new sync-token") && x.doc.child("DAV:", "sync-token").text() == v {
			return fail("sync-token unchanged")
		}
		return pass()
	case strings.Contains(e, "response-level") && strings.Contains(e, "404") || strings.Contains(e, "(response-level!)") || strings.Contains(e, "(no propstat)"):
		var want string
		switch {
		case strings.HasPrefix(e, "{{item_href}}"):
			want = r.vars["item_href"]
		case strings.HasPrefix(e, "{{card_href}}"):
			want = r.vars["card_href"]
		}
		found := false
		for _, resp := range x.doc.children("DAV:", "response") {
			st := resp.child("DAV:", "status")
			if st == nil || !strings.Contains(st.text(), "404") {
				continue
			}
			if resp.child("DAV:", "propstat") != nil {
				return fail("404 response with a propstat")
			}
			if want == "" || samePath(resp.child("DAV:", "href").text(), want) {
				found = true
			}
		}
		if !found && want != "" {
			return fail("no response-level 404 for %q", want)
		}
		return pass()
	case strings.HasPrefix(e, "no body"):
		if len(x.body) != 0 {
			return fail("body %q", truncate(string(x.body), 200))
		}
		return pass()
	case strings.Contains(e, "the FIRST <status> element must be exactly 'HTTP/1.1 200 OK'") || strings.Contains(e, "status exactly 'HTTP/1.1 200 OK'"):
		for _, resp := range x.doc.children("DAV:", "response") {
			st := resp.find("DAV:", "status")
			if st == nil || st.text() != "HTTP/1.1 200 OK" {
				return fail("response %s: first status %q", resp.child("DAV:", "href").text(), st.text())
			}
		}
		if strings.Contains(e, "containing getetag") && !r.membersHave(x, false, "getetag") {
			return fail("a card lacks getetag")
		}
		return pass()
	case strings.Contains(e, "principal-collection-set present"):
		if x.doc.find("DAV:", "principal-collection-set") == nil {
			return fail("missing")
		}
		return pass()
	case strings.Contains(e, "supported-report-set") && strings.Contains(e, "sync-collection"):
		srs := x.doc.find("DAV:", "supported-report-set")
		if strings.HasPrefix(e, "home:") {
			for _, resp := range x.doc.children("DAV:", "response") {
				if samePath(resp.child("DAV:", "href").text(), x.reqPath) {
					srs = resp.find("DAV:", "supported-report-set")
					if strings.Contains(e, "D:sync-token present") && resp.find("DAV:", "sync-token") == nil {
						return fail("the home has no sync-token")
					}
				}
			}
		}
		if srs == nil || srs.find("DAV:", "sync-collection") == nil {
			return fail("no sync-collection in supported-report-set")
		}
		if strings.Contains(e, "D:sync-token present") && x.doc.find("DAV:", "sync-token") == nil {
			return fail("no sync-token")
		}
		return pass()
	case strings.Contains(e, "getctag AND sync-token present") || strings.Contains(e, "getctag + sync-token present"):
		if x.doc.find(nsPrefix["CS"], "getctag") == nil || x.doc.find("DAV:", "sync-token") == nil {
			return fail("getctag or sync-token missing")
		}
		return pass()
	case strings.Contains(e, "hrefs with scheme mailto:"):
		set := x.doc.find(nsPrefix["C"], "calendar-user-address-set")
		if set == nil || !slices.ContainsFunc(set.all("DAV:", "href"), func(h *xnode) bool { return strings.HasPrefix(h.text(), "mailto:") }) {
			return fail("no mailto: href in calendar-user-address-set")
		}
		return pass()
	case strings.Contains(e, "main address book is the FIRST"):
		first := r.firstChild(x, nsPrefix["CARD"], "addressbook", "")
		if !strings.HasSuffix(first, "/default/") {
			return fail("first address book is %q", first)
		}
		return pass()
	case strings.Contains(low, "every member") || strings.HasPrefix(low, "each member") || strings.HasPrefix(low, "each response") ||
		strings.HasPrefix(low, "every item with getetag") || strings.HasPrefix(low, "every card with getetag") ||
		strings.HasPrefix(low, "one response per member") || strings.HasPrefix(low, "each found href") || strings.HasPrefix(low, "every vtodo object"):
		for _, prop := range []string{"getetag", "getcontenttype", "resourcetype"} {
			if strings.Contains(e, prop) && !r.membersHave(x, false, prop) {
				return fail("a member lacks %s", prop)
			}
		}
		if strings.Contains(e, "text/calendar") {
			for _, ct := range memberContentTypes(x) {
				if ct.text() != "" && !strings.HasPrefix(ct.text(), "text/calendar") {
					return fail("getcontenttype %q", ct.text())
				}
			}
		}
		if strings.Contains(e, "no response for the calendar itself") && slices.ContainsFunc(x.doc.children("DAV:", "response"), func(n *xnode) bool { return samePath(n.child("DAV:", "href").text(), x.reqPath) }) {
			return fail("the calendar itself is listed")
		}
		if strings.Contains(e, "calendar-data") && !r.membersHave(x, false, "calendar-data") {
			return fail("a member lacks calendar-data")
		}
		return pass()
	case strings.HasPrefix(e, "no response for the collection itself"):
		if slices.ContainsFunc(x.doc.children("DAV:", "response"), func(n *xnode) bool { return samePath(n.child("DAV:", "href").text(), x.reqPath) }) {
			return fail("the collection itself is listed")
		}
		return pass()
	case strings.HasPrefix(e, "must NOT create an ordinary calendar"):
		if code/100 == 2 {
			return fail("status %d created a collection", code)
		}
		return pass()
	case strings.HasPrefix(e, "no response without a propstat"):
		for _, resp := range x.doc.children("DAV:", "response") {
			if resp.child("DAV:", "propstat") == nil && resp.child("DAV:", "status") == nil {
				return fail("response %s without propstat", resp.child("DAV:", "href").text())
			}
		}
		return pass()
	case strings.HasPrefix(e, "schedule-inbox-URL/schedule-outbox-URL as D:href children"):
		for _, n := range []string{"schedule-inbox-URL", "schedule-outbox-URL"} {
			if p := x.doc.find(nsPrefix["C"], n); p != nil && p.child("DAV:", "href") == nil {
				return fail("%s without href", n)
			}
		}
		return pass()
	}
	return false, false, ""
}

// get returns the body of GET path.
func (r *replayer) get(path string) string {
	req, _ := http.NewRequest("GET", r.s.URL+path, nil)
	req.URL.Opaque = "//" + req.URL.Host + path
	req.SetBasicAuth(r.user, r.pass)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		r.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// readBack checks that the properties a PROPPATCH or MKCALENDAR/MKCOL set
// come back from a PROPFIND with the same text.
func (r *replayer) readBack(f *fixture, x *exchange) (bool, bool, string) {
	if x.resp.StatusCode/100 != 2 {
		return false, true, fmt.Sprintf("status %d", x.resp.StatusCode)
	}
	reqDoc, err := parseXML([]byte(r.subst(f.body)))
	if err != nil || reqDoc == nil {
		return false, true, "request body does not parse"
	}
	var set []*xnode
	for _, s := range reqDoc.all("DAV:", "set") {
		for _, p := range s.children("DAV:", "prop") {
			set = append(set, p.Kids...)
		}
	}
	if len(set) == 0 {
		return false, true, "no property set"
	}
	var b strings.Builder
	b.WriteString(`<D:propfind xmlns:D="DAV:"><D:prop>`)
	for i, p := range set {
		fmt.Fprintf(&b, `<p%d:%s xmlns:p%d="%s"/>`, i, p.Local, i, p.Space)
	}
	b.WriteString(`</D:prop></D:propfind>`)
	req := &fixture{name: f.name, method: "PROPFIND", headers: [][2]string{{"Depth", "0"}, {"Content-Type", "text/xml"}}, body: b.String()}
	y := r.send(req, x.reqPath, true)
	if y.doc == nil {
		return false, true, fmt.Sprintf("PROPFIND afterwards: %s", y.resp.Status)
	}
	for _, p := range set {
		if p.Space == "DAV:" && p.Local == "resourcetype" {
			continue
		}
		var got *xnode
		for _, ps := range y.doc.all("DAV:", "propstat") {
			if ps.child("DAV:", "status").text() == "HTTP/1.1 200 OK" {
				if g := ps.find(p.Space, p.Local); g != nil {
					got = g
				}
			}
		}
		if got == nil {
			return false, true, fmt.Sprintf("%s %s not readable afterwards", p.Space, p.Local)
		}
		if want := strings.ReplaceAll(strings.TrimSpace(p.Text), "\r", ""); want != "" && strings.ReplaceAll(got.text(), "\r", "") != want &&
			!(p.Local == "calendar-color" && strings.HasPrefix(got.text(), want[:min(7, len(want))])) {
			return false, true, fmt.Sprintf("%s reads back %q, set %q", p.Local, got.text(), want)
		}
	}
	return true, true, ""
}

// membersHave reports whether every non-collection response (every
// response when all is set) has prop in a 200 propstat.
func (r *replayer) membersHave(x *exchange, all bool, prop string) bool {
	if x.doc == nil {
		return false
	}
	for _, resp := range x.doc.children("DAV:", "response") {
		if resp.child("DAV:", "status") != nil { // response-level status: deleted or missing
			continue
		}
		rt := resp.find("DAV:", "resourcetype")
		if !all && (rt != nil && rt.find("DAV:", "collection") != nil || strings.HasSuffix(resp.child("DAV:", "href").text(), "/")) {
			continue
		}
		ok := false
		for _, ps := range resp.children("DAV:", "propstat") {
			if st := ps.child("DAV:", "status"); st != nil && strings.Contains(st.text(), " 200 ") && ps.find("", prop) != nil {
				ok = true
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

// memberContentTypes are the getcontenttype elements of the members in
// a listing: the collection's own (text/html, its GET listing) is not
// one, as Thunderbird (!isCollection) and vdirsyncer skip collections.
func memberContentTypes(x *exchange) []*xnode {
	var out []*xnode
	for _, resp := range x.doc.children("DAV:", "response") {
		if rt := resp.find("DAV:", "resourcetype"); rt != nil && rt.find("DAV:", "collection") != nil {
			continue
		}
		out = append(out, resp.all("DAV:", "getcontenttype")...)
	}
	return out
}

// firstChild is the href of the first response other than the request URI
// whose resourcetype contains ns:local (and, with comp, whose
// supported-calendar-component-set, if given, includes comp).
func (r *replayer) firstChild(x *exchange, ns, local, comp string) string {
	if x.doc == nil {
		return ""
	}
	for _, resp := range x.doc.children("DAV:", "response") {
		href := resp.child("DAV:", "href").text()
		if samePath(href, x.reqPath) {
			continue
		}
		rt := resp.find("DAV:", "resourcetype")
		if rt == nil || rt.find(ns, local) == nil {
			continue
		}
		if comp != "" {
			if set := resp.find(nsPrefix["C"], "supported-calendar-component-set"); set != nil &&
				!slices.ContainsFunc(set.all(nsPrefix["C"], "comp"), func(c *xnode) bool { return c.attr("name") == comp }) {
				continue
			}
		}
		return href
	}
	return ""
}

func samePath(a, b string) bool {
	if u, err := url.Parse(a); err == nil {
		a = u.Path
	}
	if u, err := url.Parse(b); err == nil {
		b = u.Path
	}
	return strings.TrimSuffix(a, "/") == strings.TrimSuffix(b, "/")
}

// hrefPath is the path of an href as the server wrote it (still encoded).
func hrefPath(h string) string {
	if u, err := url.Parse(h); err == nil && u.Host != "" {
		return u.EscapedPath()
	}
	return h
}

func unescape(h string) string {
	h = hrefPath(h)
	if u, err := url.PathUnescape(h); err == nil {
		return u
	}
	return h
}

func qname(s string) (ns, local string) {
	p, l, ok := strings.Cut(s, ":")
	if !ok {
		return "DAV:", s
	}
	return nsPrefix[p], l
}

var pathRe = regexp.MustCompile(`^(/?/[A-Za-z]+:[A-Za-z-]+(?:/[A-Za-z]+:[A-Za-z-]+)*)`)

func (r *replayer) bind(f *fixture, x *exchange, b string) {
	names, expr, ok := strings.Cut(b, "=")
	if !ok {
		return
	}
	expr = strings.TrimSpace(expr)
	var vars []string
	for _, n := range strings.Split(names, ",") {
		vars = append(vars, strings.TrimSpace(n))
	}
	set := func(v string) {
		if v != "" {
			r.vars[vars[0]] = v
		}
	}
	switch {
	case strings.HasPrefix(expr, "{{"):
		set(r.subst(expr))
	case strings.HasPrefix(expr, "Location header"):
		if loc, err := x.resp.Location(); err == nil && x.resp.StatusCode/100 == 3 {
			set(loc.EscapedPath())
		}
	case strings.HasPrefix(expr, "ETag"):
		set(x.resp.Header.Get("ETag"))
	case strings.HasPrefix(expr, "D:sync-token of the home response"):
		for _, resp := range x.doc.children("DAV:", "response") {
			if samePath(resp.child("DAV:", "href").text(), x.reqPath) {
				if st := resp.find("DAV:", "sync-token"); st != nil {
					set(st.text())
				}
			}
		}
	case pathRe.MatchString(expr):
		p := pathRe.FindString(expr)
		set(r.xpath(x, p))
		if m := regexp.MustCompile(`fallback (//\S+)\)`).FindStringSubmatch(expr); m != nil && r.xpath(x, p) == "" {
			set(r.xpath(x, m[1]))
		}
	case strings.Contains(expr, "member href") || strings.Contains(expr, "hrefs of non-collection"):
		var hrefs []string
		for _, resp := range x.doc.children("DAV:", "response") {
			h := resp.child("DAV:", "href").text()
			rt := resp.find("DAV:", "resourcetype")
			if samePath(h, x.reqPath) || strings.HasSuffix(h, "/") || rt != nil && rt.find("DAV:", "collection") != nil || resp.child("DAV:", "status") != nil {
				continue
			}
			hrefs = append(hrefs, hrefPath(h))
		}
		if vars[0] == "card_hrefs" {
			if len(hrefs) > 0 {
				r.list = hrefs
			}
			return
		}
		for i, v := range vars {
			if i < len(hrefs) {
				r.vars[v] = hrefs[i]
			}
		}
	case strings.Contains(expr, "calendar") && strings.Contains(expr, "first") || strings.Contains(expr, "first child with C:calendar"):
		comp := ""
		if strings.Contains(expr, "VTODO") {
			comp = "VTODO"
		} else if strings.Contains(expr, "VEVENT") {
			comp = "VEVENT"
		}
		set(hrefPath(r.firstChild(x, nsPrefix["C"], "calendar", comp)))
	case strings.Contains(expr, "address book") || strings.Contains(expr, "CARD:addressbook"):
		set(hrefPath(r.firstChild(x, nsPrefix["CARD"], "addressbook", "")))
	default:
		r.t.Logf("%s: bind %q not understood", f.name, b)
	}
}

// xpath evaluates //A:x/B:y (descendant, then children) or /A:x/B:y (from
// the root) and returns the first match's text (hrefs as paths).
func (r *replayer) xpath(x *exchange, p string) string {
	if x.doc == nil {
		return ""
	}
	steps := strings.Split(strings.TrimLeft(p, "/"), "/")
	var cur []*xnode
	ns, local := qname(steps[0])
	if strings.HasPrefix(p, "//") {
		cur = x.doc.all(ns, local)
	} else if x.doc.Space == ns && x.doc.Local == local {
		cur = []*xnode{x.doc}
	}
	for _, s := range steps[1:] {
		ns, local := qname(s)
		var next []*xnode
		for _, c := range cur {
			next = append(next, c.children(ns, local)...)
		}
		cur = next
	}
	if len(cur) == 0 {
		return ""
	}
	v := strings.TrimSpace(cur[0].text())
	if cur[0].Local == "href" {
		v = hrefPath(v)
	}
	return v
}

// xnode is a parsed XML element with resolved namespaces.
type xnode struct {
	xml.Name
	Attr []xml.Attr
	Kids []*xnode
	Text string
}

func parseXML(b []byte) (*xnode, error) {
	d := xml.NewDecoder(bytes.NewReader(b))
	var stack []*xnode
	var root *xnode
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return root, nil
		}
		if err != nil {
			return root, err
		}
		switch v := tok.(type) {
		case xml.StartElement:
			n := &xnode{Name: v.Name, Attr: v.Attr}
			if len(stack) > 0 {
				p := stack[len(stack)-1]
				p.Kids = append(p.Kids, n)
			} else {
				root = n
			}
			stack = append(stack, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 {
				stack[len(stack)-1].Text += string(v)
			}
		}
	}
}

func (n *xnode) text() string {
	if n == nil {
		return ""
	}
	return strings.TrimSpace(n.Text)
}

func (n *xnode) attr(name string) string {
	for _, a := range n.Attr {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

func (n *xnode) children(ns, local string) []*xnode {
	if n == nil {
		return nil
	}
	var out []*xnode
	for _, k := range n.Kids {
		if k.Local == local && (ns == "" || k.Space == ns) {
			out = append(out, k)
		}
	}
	return out
}

func (n *xnode) child(ns, local string) *xnode {
	c := n.children(ns, local)
	if len(c) == 0 {
		return nil
	}
	return c[0]
}

// all returns every descendant ns:local in document order.
func (n *xnode) all(ns, local string) []*xnode {
	if n == nil {
		return nil
	}
	var out []*xnode
	for _, k := range n.Kids {
		if k.Local == local && (ns == "" || k.Space == ns) {
			out = append(out, k)
		}
		out = append(out, k.all(ns, local)...)
	}
	return out
}

func (n *xnode) find(ns, local string) *xnode {
	a := n.all(ns, local)
	if len(a) == 0 {
		return nil
	}
	return a[0]
}

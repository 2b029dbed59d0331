package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// A scenario op sends one request (or one paged sequence) and checks its
// answer. It returns the latency, the response bytes, a description of a
// wrong answer ("" when right) and a transport or status error.
type opFunc func(ctx context.Context, i int) (time.Duration, int, string, error)

// scenarioList is the run order: PUT last, so every earlier scenario sees
// exactly the uploaded data set (sync-delta's edits keep every time range).
var scenarioList = []struct{ name, about string }{
	{"propfind", "PROPFIND Depth 1 getetag on the calendar"},
	{"query-etag", "calendar-query, one month, getetag"},
	{"query-data", "calendar-query, one month, getetag + calendar-data"},
	{"query-expand", "calendar-query, one month, calendar-data with expand"},
	{"multiget", "calendar-multiget, 100 hrefs, calendar-data"},
	{"sync-initial", "sync-collection, empty token (all pages)"},
	{"sync-delta", "sync-collection after 10 changes"},
	{"card-query", "addressbook-query, FN or EMAIL contains"},
	{"card-multiget", "addressbook-multiget, 100 hrefs, address-data"},
	{"freebusy", "free-busy-query, one month"},
	{"put", "PUT a new event (If-None-Match: *)"},
}

func scenarioNames() []string {
	var s []string
	for _, sc := range scenarioList {
		s = append(s, sc.name)
	}
	return s
}

func pickScenarios(list string) ([]string, error) {
	known := map[string]bool{}
	for _, n := range scenarioNames() {
		known[n] = true
	}
	var out []string
	for _, f := range strings.Split(list, ",") {
		f = strings.TrimSpace(f)
		if !known[f] {
			return nil, fmt.Errorf("unknown scenario %q (known: %s)", f, strings.Join(scenarioNames(), ","))
		}
		out = append(out, f)
	}
	return out, nil
}

// scenarios holds the data set, its ground truth and shared state.
type scenarios struct {
	cl   *client
	ds   *dataset
	seed uint64

	kind      map[string]string
	allEvents map[string]bool

	mu     sync.Mutex
	truths map[string]*truth

	syncOnce  sync.Once
	syncToken string
	changed   map[string]bool
	syncErr   error

	putSeq atomic.Int64
}

func newScenarios(cl *client, ds *dataset, seed uint64) *scenarios {
	s := &scenarios{cl: cl, ds: ds, seed: seed, kind: map[string]string{}, allEvents: map[string]bool{}, truths: map[string]*truth{}}
	for _, e := range ds.events {
		s.kind[e.name] = e.kind
		s.allEvents[e.name] = true
	}
	for _, c := range ds.cards {
		s.kind[c.name] = "vcard"
	}
	return s
}

func (s *scenarios) kindOf(n string) string {
	if k, ok := s.kind[n]; ok {
		return k
	}
	return "unknown"
}

// window is the month of 2026 (the middle of the data set's three years)
// op i queries; comp alternates VEVENT/VTODO one time in four.
func window(i int) (ws, we time.Time, label string) {
	ws, we = month(2026, 1+i%12)
	return ws, we, ws.Format("2006-01")
}

func (s *scenarios) truth(i int, comp string) *truth {
	ws, we, label := window(i)
	key := label + comp
	s.mu.Lock()
	defer s.mu.Unlock()
	if t, ok := s.truths[key]; ok {
		return t
	}
	sub := &dataset{}
	for _, e := range s.ds.events {
		if e.todo == (comp == "VTODO") {
			sub.events = append(sub.events, e)
		}
	}
	t := queryTruth(sub, ws, we)
	s.truths[key] = t
	return t
}

func (s *scenarios) op(name string) opFunc {
	switch name {
	case "propfind":
		return s.propfind
	case "query-etag":
		return func(ctx context.Context, i int) (time.Duration, int, string, error) { return s.query(ctx, i, "") }
	case "query-data":
		return func(ctx context.Context, i int) (time.Duration, int, string, error) {
			return s.query(ctx, i, "<c:calendar-data/>")
		}
	case "query-expand":
		return s.expand
	case "multiget":
		return s.multiget
	case "sync-initial":
		return s.syncInitial
	case "sync-delta":
		return s.syncDelta
	case "card-query":
		return s.cardQuery
	case "card-multiget":
		return s.cardMultiget
	case "freebusy":
		return s.freebusy
	case "put":
		return s.put
	}
	panic("unknown scenario " + name)
}

// report sends an XML request and wants wantStatus.
func (s *scenarios) report(ctx context.Context, method string, u *url.URL, depth, body string, want int) (*reply, error) {
	r, err := s.cl.do(ctx, method, u, xmlHdr(depth), `<?xml version="1.0" encoding="utf-8"?>`+body)
	if err != nil {
		return r, err
	}
	if r.status != want {
		return r, fmt.Errorf("%s: status %d, want %d: %.160s", method, r.status, want, strings.TrimSpace(string(r.body)))
	}
	return r, nil
}

func names(ms []member) (out []string) {
	for _, m := range ms {
		if m.name != "" {
			out = append(out, m.name)
		}
	}
	return out
}

func (s *scenarios) propfind(ctx context.Context, _ int) (time.Duration, int, string, error) {
	r, err := s.report(ctx, "PROPFIND", s.cl.cal, "1", `<d:propfind xmlns:d="DAV:"><d:prop><d:getetag/></d:prop></d:propfind>`, http.StatusMultiStatus)
	if err != nil {
		return 0, 0, "", err
	}
	ms, err := parseMultistatus(r.body)
	if err != nil {
		return r.dur, len(r.body), err.Error(), nil
	}
	mem, foreign := members(ms, s.cl.cal)
	prob := compareSets(names(mem), s.allEvents, s.allEvents, s.kindOf)
	for _, m := range mem {
		if m.name != "" && (!m.ok || m.etag == "") && prob == "" {
			prob = "member without getetag: " + m.name
		}
	}
	if len(foreign) > 0 && prob == "" {
		prob = fmt.Sprintf("%d hrefs outside the calendar, e.g. %s", len(foreign), foreign[0])
	}
	return r.dur, len(r.body), prob, nil
}

const calQueryHead = `<c:calendar-query xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav"><d:prop><d:getetag/>`

func calQuery(prop, comp string, ws, we time.Time) string {
	return calQueryHead + prop + `</d:prop><c:filter><c:comp-filter name="VCALENDAR"><c:comp-filter name="` + comp +
		`"><c:time-range start="` + fmtUTC(ws) + `" end="` + fmtUTC(we) + `"/></c:comp-filter></c:comp-filter></c:filter></c:calendar-query>`
}

func setOf(m map[string]*event) map[string]bool {
	out := make(map[string]bool, len(m))
	for k := range m {
		out[k] = true
	}
	return out
}

func (s *scenarios) query(ctx context.Context, i int, prop string) (time.Duration, int, string, error) {
	comp := "VEVENT"
	if i%4 == 3 {
		comp = "VTODO"
	}
	ws, we, label := window(i)
	t := s.truth(i, comp)
	r, err := s.report(ctx, "REPORT", s.cl.cal, "1", calQuery(prop, comp, ws, we), http.StatusMultiStatus)
	if err != nil {
		return 0, 0, "", err
	}
	ms, err := parseMultistatus(r.body)
	if err != nil {
		return r.dur, len(r.body), err.Error(), nil
	}
	mem, _ := members(ms, s.cl.cal)
	prob := compareSets(names(mem), setOf(t.must), setOf(t.may), s.kindOf)
	if prob == "" && prop != "" {
		for _, m := range mem {
			if m.name != "" && !strings.Contains(m.data, "BEGIN:VCALENDAR") {
				prob = "no calendar-data for " + m.name
				break
			}
		}
	}
	if prob != "" {
		prob = label + " " + comp + ": " + prob
	}
	return r.dur, len(r.body), prob, nil
}

func (s *scenarios) expand(ctx context.Context, i int) (time.Duration, int, string, error) {
	ws, we, label := window(i)
	t := s.truth(i, "VEVENT")
	prop := `<c:calendar-data><c:expand start="` + fmtUTC(ws) + `" end="` + fmtUTC(we) + `"/></c:calendar-data>`
	r, err := s.report(ctx, "REPORT", s.cl.cal, "1", calQuery(prop, "VEVENT", ws, we), http.StatusMultiStatus)
	if err != nil {
		return 0, 0, "", err
	}
	ms, err := parseMultistatus(r.body)
	if err != nil {
		return r.dur, len(r.body), err.Error(), nil
	}
	mem, _ := members(ms, s.cl.cal)
	prob := compareSets(names(mem), setOf(t.must), setOf(t.may), s.kindOf)
	n, rrules := 0, 0
	for _, m := range mem {
		n += strings.Count(m.data, "BEGIN:VEVENT")
		rrules += strings.Count(m.data, "\nRRULE:")
	}
	if n < t.minInst || n > t.maxInst || rrules > 0 {
		prob += fmt.Sprintf(" expanded instances %d, expected %d..%d; %d RRULEs left in the answer", n, t.minInst, t.maxInst, rrules)
	}
	if prob != "" {
		prob = label + ": " + strings.TrimSpace(prob)
	}
	return r.dur, len(r.body), prob, nil
}

// pick returns k distinct names chosen by op i.
func (s *scenarios) pick(i int, all []string, k int) []string {
	rng := rand.New(rand.NewPCG(s.seed, uint64(i)+1))
	perm := rng.Perm(len(all))
	out := make([]string, 0, k)
	for _, j := range perm[:min(k, len(all))] {
		out = append(out, all[j])
	}
	return out
}

func (s *scenarios) multigetOp(ctx context.Context, coll *url.URL, root, ns, dataProp string, want []string) (time.Duration, int, string, error) {
	var b strings.Builder
	b.WriteString(`<x:` + root + ` xmlns:d="DAV:" xmlns:x="` + ns + `"><d:prop><d:getetag/><x:` + dataProp + `/></d:prop>`)
	for _, n := range want {
		u, _ := coll.Parse(n)
		b.WriteString("<d:href>" + u.EscapedPath() + "</d:href>")
	}
	b.WriteString("</x:" + root + ">")
	r, err := s.report(ctx, "REPORT", coll, "1", b.String(), http.StatusMultiStatus)
	if err != nil {
		return 0, 0, "", err
	}
	ms, err := parseMultistatus(r.body)
	if err != nil {
		return r.dur, len(r.body), err.Error(), nil
	}
	mem, _ := members(ms, coll)
	set := map[string]bool{}
	for _, n := range want {
		set[n] = true
	}
	prob := compareSets(names(mem), set, set, s.kindOf)
	withData := 0
	for _, m := range mem {
		if m.ok && (strings.Contains(m.data, "BEGIN:VCALENDAR") || strings.Contains(m.data, "BEGIN:VCARD")) {
			withData++
		}
	}
	if prob == "" && withData != len(want) {
		prob = fmt.Sprintf("%d of %d members with data", withData, len(want))
	}
	return r.dur, len(r.body), prob, nil
}

func (s *scenarios) eventNames() []string {
	out := make([]string, len(s.ds.events))
	for i, e := range s.ds.events {
		out[i] = e.name
	}
	return out
}

func (s *scenarios) multiget(ctx context.Context, i int) (time.Duration, int, string, error) {
	return s.multigetOp(ctx, s.cl.cal, "calendar-multiget", nsCal, "calendar-data", s.pick(i, s.eventNames(), 100))
}

func (s *scenarios) cardMultiget(ctx context.Context, i int) (time.Duration, int, string, error) {
	all := make([]string, len(s.ds.cards))
	for j, c := range s.ds.cards {
		all[j] = c.name
	}
	return s.multigetOp(ctx, s.cl.book, "addressbook-multiget", nsCard, "address-data", s.pick(i, all, 100))
}

// sync runs sync-collection from token, following 507-truncated pages,
// and returns the members seen, the final token and the total time.
func (s *scenarios) sync(ctx context.Context, token string) ([]member, string, time.Duration, int, error) {
	var all []member
	var total time.Duration
	size := 0
	for page := 0; page < 1000; page++ {
		body := `<d:sync-collection xmlns:d="DAV:"><d:sync-token>` + token + `</d:sync-token><d:sync-level>1</d:sync-level><d:prop><d:getetag/></d:prop></d:sync-collection>`
		r, err := s.report(ctx, "REPORT", s.cl.cal, "0", body, http.StatusMultiStatus)
		if err != nil {
			return nil, "", 0, 0, err
		}
		total += r.dur
		size += len(r.body)
		ms, err := parseMultistatus(r.body)
		if err != nil {
			return nil, "", 0, 0, err
		}
		mem, _ := members(ms, s.cl.cal)
		truncated := false
		for _, m := range mem {
			if m.name == "" && strings.Contains(m.status, " 507 ") {
				truncated = true
			} else if m.name != "" {
				all = append(all, m)
			}
		}
		token = strings.TrimSpace(ms.SyncToken)
		if !truncated {
			return all, token, total, size, nil
		}
	}
	return nil, "", 0, 0, fmt.Errorf("sync-collection: more than 1000 pages")
}

func (s *scenarios) syncInitial(ctx context.Context, _ int) (time.Duration, int, string, error) {
	mem, token, d, size, err := s.sync(ctx, "")
	if err != nil {
		return 0, 0, "", err
	}
	prob := compareSets(names(mem), s.allEvents, s.allEvents, s.kindOf)
	if token == "" && prob == "" {
		prob = "no sync-token"
	}
	return d, size, prob, nil
}

// prepareDelta takes a token, then changes the SUMMARY of 10 events.
func (s *scenarios) prepareDelta(ctx context.Context) {
	_, token, _, _, err := s.sync(ctx, "")
	if err != nil {
		s.syncErr = err
		return
	}
	s.syncToken = token
	s.changed = map[string]bool{}
	for _, n := range s.pick(-7, s.eventNames(), 10) {
		var e *event
		for _, x := range s.ds.events {
			if x.name == n {
				e = x
			}
		}
		changed := *e
		changed.summary += " (edited)"
		if _, err := s.cl.put(ctx, s.cl.cal, n, "text/calendar; charset=utf-8", render(&changed), false); err != nil {
			s.syncErr = err
			return
		}
		s.changed[n] = true
	}
}

func (s *scenarios) syncDelta(ctx context.Context, _ int) (time.Duration, int, string, error) {
	s.syncOnce.Do(func() { s.prepareDelta(ctx) })
	if s.syncErr != nil {
		return 0, 0, "", s.syncErr
	}
	mem, _, d, size, err := s.sync(ctx, s.syncToken)
	if err != nil {
		return 0, 0, "", err
	}
	prob := compareSets(names(mem), s.changed, s.changed, s.kindOf)
	return d, size, prob, nil
}

func (s *scenarios) cardQuery(ctx context.Context, i int) (time.Duration, int, string, error) {
	term := strings.ToLower(lastNames[i%len(lastNames)])
	must := map[string]bool{}
	for _, c := range s.ds.cards {
		hit := strings.Contains(strings.ToLower(c.fn), term)
		for _, e := range c.emails {
			hit = hit || strings.Contains(strings.ToLower(e), term)
		}
		if hit {
			must[c.name] = true
		}
	}
	tm := `<a:text-match collation="i;unicode-casemap" match-type="contains">` + term + `</a:text-match>`
	body := `<a:addressbook-query xmlns:d="DAV:" xmlns:a="urn:ietf:params:xml:ns:carddav"><d:prop><d:getetag/></d:prop>` +
		`<a:filter test="anyof"><a:prop-filter name="FN">` + tm + `</a:prop-filter><a:prop-filter name="EMAIL">` + tm +
		`</a:prop-filter></a:filter></a:addressbook-query>`
	r, err := s.report(ctx, "REPORT", s.cl.book, "1", body, http.StatusMultiStatus)
	if err != nil {
		return 0, 0, "", err
	}
	ms, err := parseMultistatus(r.body)
	if err != nil {
		return r.dur, len(r.body), err.Error(), nil
	}
	mem, _ := members(ms, s.cl.book)
	prob := compareSets(names(mem), must, must, s.kindOf)
	if prob != "" {
		prob = term + ": " + prob
	}
	return r.dur, len(r.body), prob, nil
}

func (s *scenarios) freebusy(ctx context.Context, i int) (time.Duration, int, string, error) {
	ws, we, label := window(i)
	body := `<c:free-busy-query xmlns:c="urn:ietf:params:xml:ns:caldav"><c:time-range start="` + fmtUTC(ws) + `" end="` + fmtUTC(we) + `"/></c:free-busy-query>`
	r, err := s.report(ctx, "REPORT", s.cl.cal, "1", body, http.StatusOK)
	if err != nil {
		return 0, 0, "", err
	}
	got, err := busyPeriods(string(r.body))
	if err != nil {
		return r.dur, len(r.body), label + ": " + err.Error(), nil
	}
	if !strings.Contains(string(r.body), "BEGIN:VFREEBUSY") {
		return r.dur, len(r.body), label + ": no VFREEBUSY in the answer", nil
	}
	certain, widest := busyTruth(s.ds, ws, we)
	prob := checkBusy(got, certain, widest)
	if prob != "" {
		prob = label + ": " + prob
	}
	return r.dur, len(r.body), prob, nil
}

func (s *scenarios) put(ctx context.Context, _ int) (time.Duration, int, string, error) {
	k := s.putSeq.Add(1)
	e := newEvent(rand.New(rand.NewPCG(s.seed, uint64(k))), fmt.Sprintf("%d-%d-%d", s.seed, time.Now().UnixNano()%1e6, k))
	r, err := s.cl.put(ctx, s.cl.cal, e.name, "text/calendar; charset=utf-8", e.data, true)
	if err != nil {
		return 0, 0, "", err
	}
	return r.dur, len(r.body), "", nil
}

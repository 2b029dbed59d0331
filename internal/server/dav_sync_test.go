package server

import (
	"testing"

	"github.com/pgdav/pgdav/backend"
)

// Every object write and delete and every collection property change
// gives the collection a new sync-token and getctag (RFC 6578 3.2; the
// CalendarServer ctag clients poll); a PUT of unchanged bytes and every
// refused request leave them as they were.
func TestDAVChangeTracking(t *testing.T) {
	t.Parallel()
	e := newDAVEnv(t, envConfig{}, "alice")
	if _, err := e.store.CreateCollection(t.Context(), e.users["alice"].ID,
		backend.Collection{Kind: backend.KindCalendar, Slug: "second"}, nil); err != nil {
		t.Fatal(err)
	}
	const (
		cal    = "/calendars/alice/default/"
		second = "/calendars/alice/second/"
		ab     = "/addressbooks/alice/default/"
	)
	colls := []string{cal, second, ab}
	seen := map[string]bool{}
	read := func() map[string][2]string {
		out := map[string][2]string{}
		for _, c := range colls {
			ctag, token := e.syncState(t, "alice", c)
			out[c] = [2]string{ctag, token}
		}
		return out
	}
	state := read()
	for _, s := range state {
		seen[s[0]], seen[s[1]] = true, true
	}
	v1, v2 := event("track-1", "one"), event("track-1", "two")
	var tag string
	for _, step := range []struct {
		name    string
		do      func(t *testing.T)
		changes []string // the collections whose tokens must change
	}{
		{"PUT new", func(t *testing.T) { tag = e.put(t, "alice", cal+"a.ics", v1, ctCal) }, []string{cal}},
		{"PUT same bytes", func(t *testing.T) { e.put(t, "alice", cal+"a.ics", v1, ctCal) }, nil},
		{"PUT same bytes, If-Match", func(t *testing.T) { e.put(t, "alice", cal+"a.ics", v1, ctCal, "If-Match: "+tag) }, nil},
		{"PUT changed", func(t *testing.T) { tag = e.put(t, "alice", cal+"a.ics", v2, ctCal) }, []string{cal}},
		{"PUT refused by If-None-Match", func(t *testing.T) {
			e.do(t, "alice", "PUT", cal+"a.ics", v1, ctCal, "If-None-Match: *").want(t, 412)
		}, nil},
		{"PUT refused by If-Match", func(t *testing.T) {
			e.do(t, "alice", "PUT", cal+"a.ics", v1, ctCal, `If-Match: "stale"`).want(t, 412)
		}, nil},
		{"PUT invalid", func(t *testing.T) { e.do(t, "alice", "PUT", cal+"a.ics", "nonsense", ctCal).want(t, 403) }, nil},
		{"PUT UID conflict", func(t *testing.T) { e.do(t, "alice", "PUT", cal+"b.ics", v1, ctCal).want(t, 403) }, nil},
		{"PROPPATCH displayname", func(t *testing.T) {
			e.do(t, "alice", "PROPPATCH", cal, proppatchSet(`<D:displayname>Renamed</D:displayname>`)).want(t, 207)
		}, []string{cal}},
		{"PROPPATCH color", func(t *testing.T) {
			e.do(t, "alice", "PROPPATCH", cal, proppatchSet(`<I:calendar-color xmlns:I="http://apple.com/ns/ical/">#123456</I:calendar-color>`)).want(t, 207)
		}, []string{cal}},
		{"PROPPATCH dead property", func(t *testing.T) {
			e.do(t, "alice", "PROPPATCH", cal, proppatchSet(`<X:y xmlns:X="urn:example:t">1</X:y>`)).want(t, 207)
		}, []string{cal}},
		{"PROPPATCH remove", func(t *testing.T) {
			e.do(t, "alice", "PROPPATCH", cal, proppatchOps(remove(`<X:y xmlns:X="urn:example:t"/>`))).want(t, 207)
		}, []string{cal}},
		{"PROPPATCH refused", func(t *testing.T) {
			e.do(t, "alice", "PROPPATCH", cal, proppatchSet(`<D:displayname>No</D:displayname>`, `<D:getetag>x</D:getetag>`)).want(t, 207)
		}, nil},
		{"PROPPATCH of an object", func(t *testing.T) {
			e.do(t, "alice", "PROPPATCH", cal+"a.ics", proppatchSet(`<X:y xmlns:X="urn:example:t">1</X:y>`)).want(t, 207)
		}, []string{cal}},
		{"PROPPATCH of the home", func(t *testing.T) {
			e.do(t, "alice", "PROPPATCH", "/calendars/alice/", proppatchSet(`<X:y xmlns:X="urn:example:t">1</X:y>`)).want(t, 207)
		}, nil},
		{"MOVE", func(t *testing.T) {
			e.do(t, "alice", "MOVE", cal+"a.ics", "", "Destination: "+second+"a.ics").want(t, 201)
		}, []string{cal, second}},
		{"COPY", func(t *testing.T) {
			e.do(t, "alice", "COPY", second+"a.ics", "", "Destination: "+cal+"a.ics").want(t, 201)
		}, []string{cal}},
		{"MOVE refused", func(t *testing.T) {
			e.do(t, "alice", "MOVE", cal+"a.ics", "", "Destination: "+second+"a.ics", "Overwrite: F").want(t, 412)
		}, nil},
		{"DELETE", func(t *testing.T) { e.do(t, "alice", "DELETE", cal+"a.ics", "").want(t, 204) }, []string{cal}},
		{"DELETE refused", func(t *testing.T) {
			e.do(t, "alice", "DELETE", second+"a.ics", "", `If-Match: "stale"`).want(t, 412)
		}, nil},
		{"DELETE missing", func(t *testing.T) { e.do(t, "alice", "DELETE", cal+"a.ics", "").want(t, 404) }, nil},
		{"PUT card", func(t *testing.T) { e.put(t, "alice", ab+"c.vcf", card("track-c", "C"), ctCard) }, []string{ab}},
		{"PUT card, same bytes", func(t *testing.T) { e.put(t, "alice", ab+"c.vcf", card("track-c", "C"), ctCard) }, nil},
		{"PUT card, changed", func(t *testing.T) { e.put(t, "alice", ab+"c.vcf", card("track-c", "C2"), ctCard) }, []string{ab}},
		{"PROPPATCH address book", func(t *testing.T) {
			e.do(t, "alice", "PROPPATCH", ab, proppatchSet(`<CR:addressbook-description xmlns:CR="urn:ietf:params:xml:ns:carddav">d</CR:addressbook-description>`)).want(t, 207)
		}, []string{ab}},
		{"DELETE card", func(t *testing.T) { e.do(t, "alice", "DELETE", ab+"c.vcf", "").want(t, 204) }, []string{ab}},
	} {
		step.do(t)
		now := read()
		for _, c := range colls {
			changed := now[c] != state[c]
			want := false
			for _, w := range step.changes {
				want = want || w == c
			}
			switch {
			case want && (now[c][0] == state[c][0] || now[c][1] == state[c][1]):
				t.Errorf("%s: %s kept getctag %s→%s / sync-token %s→%s, both must change", step.name, c, state[c][0], now[c][0], state[c][1], now[c][1])
			case want && (seen[now[c][0]] || seen[now[c][1]]):
				t.Errorf("%s: %s went back to an earlier getctag or sync-token (%s, %s)", step.name, c, now[c][0], now[c][1])
			case !want && changed:
				t.Errorf("%s: %s changed getctag %s→%s / sync-token %s→%s", step.name, c, state[c][0], now[c][0], state[c][1], now[c][1])
			}
			seen[now[c][0]], seen[now[c][1]] = true, true
		}
		state = now
	}
}

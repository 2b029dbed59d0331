package dav

import (
	"fmt"
	"io"
	"net/http"
	"runtime"
	"strings"
	"testing"

	"github.com/pgdav/pgdav/backend"
)

// repeatReader yields head, then n copies of unit, then tail, without
// holding the whole body: pathological bodies of many megabytes cost the
// test nothing but the parser's work.
func repeatReader(head, unit string, n int, tail string) io.Reader {
	units := make([]io.Reader, 0, 3)
	units = append(units, strings.NewReader(head), &repeater{unit: unit, n: n}, strings.NewReader(tail))
	return io.MultiReader(units...)
}

type repeater struct {
	unit string
	n    int
	off  int
}

func (r *repeater) Read(p []byte) (int, error) {
	w := 0
	for w < len(p) && r.n > 0 {
		c := copy(p[w:], r.unit[r.off:])
		w += c
		r.off += c
		if r.off == len(r.unit) {
			r.off = 0
			r.n--
		}
	}
	if w == 0 {
		return 0, io.EOF
	}
	return w, nil
}

// allocated returns the bytes fn allocates.
func allocated(fn func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// Every parser reads through NewDecoder, so each refuses a body that
// nests too deep, holds too many elements or too many attributes, with
// its *Error, before it has done (or allocated) more than a fixed amount
// of work. On 803505d a megabyte of unclosed elements was parsed to the
// end, allocating tens of MiB per request.
func TestDecoderBoundsShape(t *testing.T) {
	parsers := []struct {
		name  string
		head  string
		parse func(io.Reader) error
	}{
		{"PROPFIND", `<D:propfind xmlns:D="DAV:"><D:prop>`, func(r io.Reader) error { _, err := ParsePropfind(r); return err }},
		{"PROPPATCH", `<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop>`, func(r io.Reader) error { _, err := ParseProppatch(r); return err }},
		{"MKCALENDAR", `<C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:set><D:prop>`, func(r io.Reader) error { _, _, err := ParseMkcol(r); return err }},
		{"REPORT", `<C:calendar-multiget xmlns:C="urn:ietf:params:xml:ns:caldav">`, func(r io.Reader) error {
			d := NewDecoder(r)
			_, _, err := ReadRoot(d)
			if err == nil {
				_, err = ReadNames(d)
			}
			return err
		}},
		{"expand-property", `<D:expand-property xmlns:D="DAV:">`, func(r io.Reader) error {
			b, err := io.ReadAll(r)
			if err == nil {
				_, err = parseExpandProperty(b)
			}
			return err
		}},
	}
	bodies := []struct {
		name   string
		unit   string
		n      int
		status int
	}{
		{"300 000 unclosed elements", `<a>`, 300_000, http.StatusBadRequest},
		{"nesting one past the bound", `<a>`, MaxXMLDepth, http.StatusBadRequest},
		{"a million empty elements", `<a/>`, 1_000_000, http.StatusRequestEntityTooLarge},
		{"an element with 100 000 attributes", ``, 0, http.StatusBadRequest},
	}
	for _, p := range parsers {
		for _, b := range bodies {
			t.Run(p.name+"/"+b.name, func(t *testing.T) {
				var err error
				var r io.Reader
				if b.unit == "" {
					var s strings.Builder
					s.WriteString(p.head + "<x")
					for i := range 100_000 {
						fmt.Fprintf(&s, " a%d=''", i)
					}
					s.WriteString("/>")
					r = strings.NewReader(s.String())
				} else {
					r = repeatReader(p.head, b.unit, b.n, "")
				}
				used := allocated(func() { err = p.parse(r) })
				wantStatus(t, err, b.status)
				// Up to the element bound a parse allocates a few
				// hundred bytes per element, most of it garbage.
				if limit := uint64(32 << 20); used > limit {
					t.Errorf("parsing allocated %d MiB, want below %d MiB", used>>20, limit>>20)
				}
			})
		}
	}
}

// Bodies within the bounds parse as before: the deepest nesting allowed,
// and as many elements as allowed.
func TestDecoderWithinBounds(t *testing.T) {
	deep := strings.Repeat("<a>", MaxXMLDepth-3) + strings.Repeat("</a>", MaxXMLDepth-3)
	ops, err := ParseProppatch(strings.NewReader(`<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop>` + deep + `</D:prop></D:set></D:propertyupdate>`))
	if err != nil || len(ops) != 1 {
		t.Fatalf("%d levels: %v, %d ops", MaxXMLDepth, err, len(ops))
	}
	pf, err := ParsePropfind(repeatReader(`<D:propfind xmlns:D="DAV:"><D:prop>`, `<D:getetag/>`, maxPropertyElements-2, `</D:prop></D:propfind>`))
	if err != nil || len(pf.Props) != 1 {
		t.Fatalf("%d elements: %v, %v", maxPropertyElements, err, pf)
	}
	d := NewDecoder(repeatReader(`<C:calendar-multiget xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">`, `<D:href>/c/x.ics</D:href>`, MaxXMLElements-1, `</C:calendar-multiget>`))
	if _, _, err := ReadRoot(d); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadNames(d); err != nil {
		t.Fatalf("%d elements: %v", MaxXMLElements, err)
	}
}

// countLookups counts the name lookups fn makes.
func countLookups(t *testing.T, fn func()) int {
	t.Helper()
	n := 0
	lookupHook = func() { n++ }
	defer func() { lookupHook = nil }()
	fn()
	return n
}

// manyNames is a PROPFIND body naming n distinct properties, and the dead
// properties of a resource holding each of them.
func manyNames(n int) (string, []backend.DeadProperty) {
	var b strings.Builder
	b.WriteString(`<D:propfind xmlns:D="DAV:" xmlns:X="urn:x"><D:prop>`)
	dead := make([]backend.DeadProperty, n)
	for i := range n {
		fmt.Fprintf(&b, "<X:p%d/>", i)
		dead[i] = backend.DeadProperty{Namespace: "urn:x", Name: fmt.Sprintf("p%d", i), Value: fmt.Sprintf(`<p%d xmlns="urn:x">v</p%d>`, i, i)}
	}
	b.WriteString(`</D:prop></D:propfind>`)
	return b.String(), dead
}

// The work of a PROPFIND grows linearly with the names it asks and the
// dead properties it finds: counted in name lookups (parsing, duplicate
// detection, dead property search) and in allocations, at 1 000 and
// 10 000 names. On 803505d every name was compared with every name before
// it, and with every stored property: 80 000 names took 24 s.
func TestPropfindWorkIsLinear(t *testing.T) {
	h := NewHandler(Config{}, nil)
	work := func(n int) (lookups int, allocs float64) {
		body, dead := manyNames(n)
		run := func() {
			pf, err := ParsePropfind(strings.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			res := &Resource{Kind: KindPrincipal, Principal: backend.Principal{Name: "alice"}, h: h, dead: dead, deadLoaded: true}
			props, err := h.Props(t.Context(), res, pf)
			if err != nil {
				t.Fatal(err)
			}
			if len(props) != n || props[n-1].Status != http.StatusOK || props[n-1].Raw != dead[n-1].Value {
				t.Fatalf("%d names: %d props, last %+v", n, len(props), props[len(props)-1])
			}
		}
		lookups = countLookups(t, run)
		allocs = testing.AllocsPerRun(2, run)
		return lookups, allocs
	}
	l1, a1 := work(1_000)
	l10, a10 := work(10_000)
	// Linear work is 10 times as much; allow for constant terms.
	if l10 > 12*l1 {
		t.Errorf("lookups: %d for 1 000 names, %d for 10 000: not linear", l1, l10)
	}
	if a10 > 12*a1 {
		t.Errorf("allocations: %.0f for 1 000 names, %.0f for 10 000: not linear", a1, a10)
	}
}

// A PROPPATCH's instructions are collapsed (the last on a property wins)
// with work linear in their number; on 803505d each searched the patch
// built so far.
func TestProppatchWorkIsLinear(t *testing.T) {
	body := func(n int) string {
		var b strings.Builder
		b.WriteString(`<D:propertyupdate xmlns:D="DAV:" xmlns:X="urn:x"><D:set><D:prop>`)
		for i := range n {
			fmt.Fprintf(&b, "<X:p%d>v</X:p%d>", i, i)
		}
		b.WriteString(`</D:prop></D:set><D:remove><D:prop><X:p0/></D:prop></D:remove></D:propertyupdate>`)
		return b.String()
	}
	work := func(n int) int {
		ops, err := ParseProppatch(strings.NewReader(body(n)))
		if err != nil {
			t.Fatal(err)
		}
		return countLookups(t, func() {
			set, remove := collapseDead(ops)
			if len(set) != n-1 || len(remove) != 1 || remove[0].Name != "p0" || set[0].Name != "p1" {
				t.Fatalf("%d instructions: %d set (first %v), %d removed", n, len(set), set[0], len(remove))
			}
		})
	}
	if l1, l10 := work(1_000), work(10_000); l10 > 12*l1 {
		t.Errorf("lookups: %d for 1 000 properties, %d for 10 000: not linear", l1, l10)
	}
}

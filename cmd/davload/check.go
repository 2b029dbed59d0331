package main

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"net/url"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"
)

const (
	nsCal  = "urn:ietf:params:xml:ns:caldav"
	nsCard = "urn:ietf:params:xml:ns:carddav"
)

// msResponse is one DAV:response of a multistatus.
type msResponse struct {
	Hrefs    []string `xml:"DAV: href"`
	Status   string   `xml:"DAV: status"`
	Propstat []struct {
		Status string `xml:"DAV: status"`
		Prop   struct {
			ETag     string `xml:"DAV: getetag"`
			CalData  string `xml:"urn:ietf:params:xml:ns:caldav calendar-data"`
			CardData string `xml:"urn:ietf:params:xml:ns:carddav address-data"`
		} `xml:"DAV: prop"`
	} `xml:"DAV: propstat"`
}

type multistatus struct {
	Responses []msResponse `xml:"DAV: response"`
	SyncToken string       `xml:"DAV: sync-token"`
}

func parseMultistatus(b []byte) (*multistatus, error) {
	var ms multistatus
	if err := xml.Unmarshal(b, &ms); err != nil {
		return nil, fmt.Errorf("bad multistatus: %v", err)
	}
	return &ms, nil
}

// findHrefIn returns the first DAV:href inside element ns:local.
func findHrefIn(b []byte, ns, local string) (string, bool) {
	d := xml.NewDecoder(bytes.NewReader(b))
	inside := 0
	for {
		tok, err := d.Token()
		if err != nil {
			return "", false
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if t.Name.Space == ns && t.Name.Local == local {
				inside++
			} else if inside > 0 && t.Name.Space == "DAV:" && t.Name.Local == "href" {
				var s string
				if d.DecodeElement(&s, &t) == nil {
					return strings.TrimSpace(s), true
				}
			}
		case xml.EndElement:
			if t.Name.Space == ns && t.Name.Local == local {
				inside--
			}
		}
	}
}

// member is one response of a multistatus, reduced to what checks need.
type member struct {
	name   string // last path segment; "" for the collection itself
	ok     bool   // a 200 propstat
	status string // the response's own status, if any
	etag   string
	data   string
}

// members resolves every response's href against coll and keeps those
// inside it.
func members(ms *multistatus, coll *url.URL) (out []member, foreign []string) {
	for _, r := range ms.Responses {
		for _, h := range r.Hrefs {
			u, err := coll.Parse(strings.TrimSpace(h))
			if err != nil {
				foreign = append(foreign, h)
				continue
			}
			p := u.Path
			if p == coll.Path || p+"/" == coll.Path {
				out = append(out, member{name: "", status: r.Status})
				continue
			}
			if !strings.HasPrefix(p, coll.Path) {
				foreign = append(foreign, h)
				continue
			}
			m := member{name: path.Base(p), status: r.Status}
			for _, ps := range r.Propstat {
				if strings.Contains(ps.Status, " 200 ") {
					m.ok = true
					m.etag = strings.TrimSpace(ps.Prop.ETag)
					m.data = ps.Prop.CalData + ps.Prop.CardData
				}
			}
			out = append(out, m)
		}
	}
	return out, foreign
}

// compareSets checks that got holds every name of must, nothing outside
// may, and each name once. kindOf names a missing or extra name's kind.
func compareSets(got []string, must, may map[string]bool, kindOf func(string) string) string {
	seen := map[string]bool{}
	var dup, extra, missing []string
	for _, n := range got {
		if seen[n] {
			dup = append(dup, n)
		}
		seen[n] = true
		if !may[n] {
			extra = append(extra, n)
		}
	}
	for n := range must {
		if !seen[n] {
			missing = append(missing, n)
		}
	}
	if len(dup)+len(extra)+len(missing) == 0 {
		return ""
	}
	sort.Strings(missing)
	sort.Strings(extra)
	return fmt.Sprintf("expected %d (+%d optional), got %d: missing %d %s; extra %d %s; duplicated %d",
		len(must), len(may)-len(must), len(got), len(missing), sample(missing, kindOf), len(extra), sample(extra, kindOf), len(dup))
}

func sample(names []string, kindOf func(string) string) string {
	if len(names) == 0 {
		return ""
	}
	byKind := map[string]int{}
	for _, n := range names {
		byKind[kindOf(n)]++
	}
	keys := make([]string, 0, len(byKind))
	for k := range byKind {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s:%d", k, byKind[k]))
	}
	ex := names
	if len(ex) > 3 {
		ex = ex[:3]
	}
	return "{" + strings.Join(parts, " ") + "} e.g. " + strings.Join(ex, " ")
}

// unfold undoes iCalendar line folding.
func unfold(s string) string {
	s = strings.ReplaceAll(s, "\r\n ", "")
	s = strings.ReplaceAll(s, "\r\n\t", "")
	s = strings.ReplaceAll(s, "\n ", "")
	return strings.ReplaceAll(s, "\n\t", "")
}

// busyPeriods reads the FREEBUSY periods of a VFREEBUSY answer. FBTYPE
// FREE periods are skipped.
func busyPeriods(body string) ([]interval, error) {
	var out []interval
	for _, line := range strings.Split(unfold(body), "\n") {
		line = strings.TrimRight(line, "\r")
		if !strings.HasPrefix(strings.ToUpper(line), "FREEBUSY") {
			continue
		}
		i := strings.IndexByte(line, ':')
		if i < 0 {
			return nil, fmt.Errorf("bad FREEBUSY line %q", line)
		}
		if strings.Contains(strings.ToUpper(line[:i]), "FBTYPE=FREE") {
			continue
		}
		for _, p := range strings.Split(line[i+1:], ",") {
			a, b, ok := strings.Cut(p, "/")
			if !ok {
				return nil, fmt.Errorf("bad period %q", p)
			}
			s, err := time.Parse("20060102T150405Z", a)
			if err != nil {
				return nil, fmt.Errorf("bad period %q", p)
			}
			var e time.Time
			if strings.HasPrefix(b, "P") || strings.HasPrefix(b, "+P") {
				d, err := parseDuration(strings.TrimPrefix(b, "+"))
				if err != nil {
					return nil, err
				}
				e = s.Add(d)
			} else if e, err = time.Parse("20060102T150405Z", b); err != nil {
				return nil, fmt.Errorf("bad period %q", p)
			}
			out = append(out, interval{s, e})
		}
	}
	return out, nil
}

// parseDuration reads an RFC 5545 dur-value without sign: P1W, P1DT2H, PT30M.
func parseDuration(s string) (time.Duration, error) {
	if !strings.HasPrefix(s, "P") {
		return 0, fmt.Errorf("bad duration %q", s)
	}
	var d time.Duration
	num := ""
	for _, r := range s[1:] {
		switch {
		case r >= '0' && r <= '9':
			num += string(r)
		case r == 'T':
		default:
			n, err := strconv.Atoi(num)
			if err != nil {
				return 0, fmt.Errorf("bad duration %q", s)
			}
			unit := map[rune]time.Duration{'W': 7 * 24 * time.Hour, 'D': 24 * time.Hour, 'H': time.Hour, 'M': time.Minute, 'S': time.Second}[r]
			if unit == 0 {
				return 0, fmt.Errorf("bad duration %q", s)
			}
			d += time.Duration(n) * unit
			num = ""
		}
	}
	return d, nil
}

// checkBusy compares reported busy time with the ground truth: all of
// certain must be covered, nothing outside widest reported.
func checkBusy(got, certain, widest []interval) string {
	g := merge(got)
	covered := measure(intersect(certain, g))
	inside := measure(intersect(g, widest))
	if covered == measure(certain) && inside == measure(g) {
		return ""
	}
	return fmt.Sprintf("busy %.1fh in %d merged periods; expected %.1fh..%.1fh: %.1fh of required busy time missing, %.1fh reported outside any event",
		measure(g).Hours(), len(g), measure(certain).Hours(), measure(widest).Hours(),
		(measure(certain) - covered).Hours(), (measure(g) - inside).Hours())
}

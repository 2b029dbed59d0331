package davtest

import (
	"encoding/xml"
	"fmt"
	"mime"
	"net/http"
	"testing"
)

// Multistatus is a parsed 207 answer.
type Multistatus struct {
	Responses []*Response
	Root      *Node
	Raw       []byte
}

// Response is one DAV:response of a Multistatus.
type Response struct {
	Href      string
	Status    int // response-level status; 0 when the response has none
	Propstats []*Propstat
}

// Propstat is one DAV:propstat of a Response.
type Propstat struct {
	Status int
	Props  []*Node
	Error  *Node // the propstat's D:error, or nil
}

// ParseStatus reads a D:status; it must be exactly "HTTP/1.1 NNN Reason"
// (Thunderbird compares the literal string).
func ParseStatus(t *testing.T, s string) int {
	t.Helper()
	var code int
	if _, err := fmt.Sscanf(s, "HTTP/1.1 %d", &code); err != nil {
		t.Errorf("status line %q", s)
		return 0
	}
	if want := fmt.Sprintf("HTTP/1.1 %d %s", code, http.StatusText(code)); s != want {
		t.Errorf("status line %q, want exactly %q", s, want)
	}
	return code
}

// Multistatus parses a 207 answer and checks the invariants every one
// must keep: application/xml, one href per response, a status or a
// propstat in each, 200 propstats before the others.
func (r *Resp) Multistatus(t *testing.T) *Multistatus {
	t.Helper()
	if r.Status != http.StatusMultiStatus {
		t.Fatalf("%s: status %d, want 207\n%s", r.Req, r.Status, r.Body)
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/xml" && mt != "text/xml" {
		t.Errorf("%s: Content-Type %q", r.Req, r.Header.Get("Content-Type"))
	}
	root := MustParseXML(t, r.Body)
	if root.Name != DName("multistatus") {
		t.Fatalf("%s: root %s, want DAV:multistatus", r.Req, NameStr(root.Name))
	}
	ms := &Multistatus{Root: root, Raw: r.Body}
	for _, rn := range root.All(DName("response")) {
		hrefs := rn.Hrefs()
		if len(hrefs) != 1 {
			t.Fatalf("%s: response with hrefs %q\n%s", r.Req, hrefs, r.Body)
		}
		resp := &Response{Href: hrefs[0]}
		if s := rn.Child(DName("status")); s != nil {
			resp.Status = ParseStatus(t, s.Text)
		}
		for _, psn := range rn.All(DName("propstat")) {
			ps := &Propstat{Error: psn.Child(DName("error"))}
			st := psn.Child(DName("status"))
			prop := psn.Child(DName("prop"))
			if st == nil || prop == nil {
				t.Fatalf("%s: propstat without status or prop\n%s", r.Req, r.Body)
			}
			ps.Status = ParseStatus(t, st.Text)
			ps.Props = prop.Children
			resp.Propstats = append(resp.Propstats, ps)
		}
		if resp.Status == 0 && len(resp.Propstats) == 0 {
			t.Errorf("%s: response %s has neither status nor propstat", r.Req, resp.Href)
		}
		for i, ps := range resp.Propstats {
			if ps.Status == http.StatusOK && i != 0 {
				t.Errorf("%s: response %s: the 200 propstat is number %d, must be first", r.Req, resp.Href, i+1)
			}
		}
		ms.Responses = append(ms.Responses, resp)
	}
	return ms
}

// Hrefs lists the responses' hrefs in the order sent.
func (ms *Multistatus) Hrefs() []string {
	var out []string
	for _, r := range ms.Responses {
		out = append(out, r.Href)
	}
	return out
}

// Response returns the one response for href.
func (ms *Multistatus) Response(t *testing.T, href string) *Response {
	t.Helper()
	var found *Response
	for _, r := range ms.Responses {
		if r.Href == href {
			if found != nil {
				t.Fatalf("two responses for %s", href)
			}
			found = r
		}
	}
	if found == nil {
		t.Fatalf("no response for %s among %q\n%s", href, ms.Hrefs(), ms.Raw)
	}
	return found
}

// Prop returns a property of the response and its propstat's status
// (0, nil when it is not there at all).
func (r *Response) Prop(n xml.Name) (*Node, int) {
	for _, ps := range r.Propstats {
		for _, p := range ps.Props {
			if p.Name == n {
				return p, ps.Status
			}
		}
	}
	return nil, 0
}

// PropStatus is the status of a property's propstat, 0 if absent.
func (r *Response) PropStatus(n xml.Name) int {
	_, s := r.Prop(n)
	return s
}

// Found returns a property that must be in the 200 propstat.
func (r *Response) Found(t *testing.T, n xml.Name) *Node {
	t.Helper()
	p, s := r.Prop(n)
	if s != http.StatusOK {
		t.Fatalf("%s: %s has status %d, want 200", r.Href, NameStr(n), s)
	}
	return p
}

// PropstatOf returns the propstat holding property n.
func (r *Response) PropstatOf(n xml.Name) *Propstat {
	for _, ps := range r.Propstats {
		for _, p := range ps.Props {
			if p.Name == n {
				return ps
			}
		}
	}
	return nil
}

// Condition checks a refusal: the status, and a DAV:error body (RFC 4918
// 16) holding the precondition element cond, which it returns.
func (r *Resp) Condition(t *testing.T, status int, cond xml.Name) *Node {
	t.Helper()
	if r.Status != status {
		t.Fatalf("%s: status %d, want %d with %s\n%s", r.Req, r.Status, status, NameStr(cond), r.Body)
	}
	root := MustParseXML(t, r.Body)
	if root.Name != DName("error") {
		t.Fatalf("%s: body root %s, want DAV:error\n%s", r.Req, NameStr(root.Name), r.Body)
	}
	c := root.Child(cond)
	if c == nil {
		t.Fatalf("%s: error body lacks %s: has %v\n%s", r.Req, NameStr(cond), root.ChildNames(), r.Body)
	}
	return c
}

// WantTruncated checks the marker of a truncated answer, a 507 response
// for href with DAV:number-of-matches-within-limits (RFC 6352 8.6.1,
// RFC 6578 3.6): there
// when truncated, else absent.
func WantTruncated(t *testing.T, ms *Multistatus, href string, truncated bool) {
	t.Helper()
	var marker *Response
	for _, r := range ms.Responses {
		if r.Href == href {
			marker = r
		}
	}
	if !truncated {
		if marker != nil {
			t.Errorf("a complete answer has a response for %s", href)
		}
		return
	}
	if marker == nil || marker.Status != http.StatusInsufficientStorage {
		t.Fatalf("no 507 response for %s:\n%s", href, ms.Raw)
	}
	for _, rn := range ms.Root.All(DName("response")) {
		if rn.Hrefs()[0] == href {
			if errEl := rn.Child(DName("error")); errEl == nil || errEl.Child(DName("number-of-matches-within-limits")) == nil {
				t.Errorf("the 507 response lacks DAV:number-of-matches-within-limits:\n%s", ms.Raw)
			}
		}
	}
}

package dav

import (
	"net/http"
	"strings"

	"github.com/pgdav/pgdav/backend"
)

// IfHeader is a parsed If request header (RFC 4918 10.4): a disjunction of
// lists, each a conjunction of conditions on one resource. The header
// holds when any list holds (10.4.3).
type IfHeader struct {
	Lists []IfList
}

// IfList is one List of the header with the resource it applies to.
type IfList struct {
	// Resource is the Resource-Tag as sent, without its angle brackets;
	// "" for a No-tag-list, which applies to the Request-URI.
	Resource   string
	Conditions []IfCondition
}

// IfCondition is one Condition: a state token or an entity tag, possibly
// negated with Not.
type IfCondition struct {
	Not bool
	// StateToken is the Coded-URL of a state token, without its angle
	// brackets (a lock token, or DAV:no-lock); "" for an entity tag.
	StateToken string
	// ETag is the entity tag's opaque part, unquoted and without W/.
	ETag string
}

// maxIfConditions bounds the conditions of one If header. Real clients
// send one list of one or two; the bound keeps a hostile header from
// costing more than its bytes.
const maxIfConditions = 1024

// ParseIf parses the value of an If header (RFC 4918 10.4.2). It returns
// nil for a blank value, and a 400 *Error for anything else that is not a
// list of lists. Liberal where no meaning is lost: "Not" in any case,
// untagged lists before the first Resource-Tag beside tagged ones, and
// entity tags without quotes.
func ParseIf(v string) (*IfHeader, error) {
	p := ifParser{s: v}
	var ih IfHeader
	tag, pending, n := "", false, 0 // pending: a Resource-Tag still without its list
	for {
		p.space()
		if p.done() {
			break
		}
		switch p.s[p.i] {
		case '<':
			if pending {
				return nil, p.errorf("the Resource-Tag <%s> has no list", tag)
			}
			t, err := p.angle()
			if err != nil {
				return nil, err
			}
			if t == "" {
				return nil, p.errorf("an empty Resource-Tag")
			}
			tag, pending = t, true
		case '(':
			l, err := p.list()
			if err != nil {
				return nil, err
			}
			if n += len(l.Conditions); n > maxIfConditions {
				return nil, p.errorf("more than %d conditions", maxIfConditions)
			}
			l.Resource, pending = tag, false
			ih.Lists = append(ih.Lists, l)
		default:
			return nil, p.errorf("expected '(' or '<' at %q", p.rest())
		}
	}
	if pending {
		return nil, p.errorf("the Resource-Tag <%s> has no list", tag)
	}
	if len(ih.Lists) == 0 {
		if strings.TrimSpace(v) == "" {
			return nil, nil
		}
		return nil, p.errorf("no list")
	}
	return &ih, nil
}

// Holds evaluates the list on the state of its resource (RFC 4918 10.4.3,
// 10.4.4): every condition must hold. pgdav has no locks, so a state token
// (a lock token, and DAV:no-lock, which never matches, 10.4.8) is never
// the resource's state; Not turns that into true. A resource that does not
// exist has neither tokens nor an entity tag (10.4.4, unmapped URLs), and
// neither has a collection (see backend.State).
func (l IfList) Holds(s backend.State) bool {
	for _, c := range l.Conditions {
		match := c.StateToken == "" && s.Exists && s.ETag != "" && c.ETag == s.ETag
		if match == c.Not {
			return false
		}
	}
	return true
}

type ifParser struct {
	s string
	i int
}

func (p *ifParser) done() bool   { return p.i >= len(p.s) }
func (p *ifParser) rest() string { return p.s[p.i:min(len(p.s), p.i+20)] }

func (p *ifParser) errorf(format string, args ...any) error {
	return Errorf(http.StatusBadRequest, "malformed If header: "+format, args...)
}

// space skips linear white space (RFC 4918 10.4.2 allows it between any
// two tokens).
func (p *ifParser) space() {
	for !p.done() && (p.s[p.i] == ' ' || p.s[p.i] == '\t' || p.s[p.i] == '\r' || p.s[p.i] == '\n') {
		p.i++
	}
}

// angle reads "<...>" and returns what is inside.
func (p *ifParser) angle() (string, error) {
	end := strings.IndexByte(p.s[p.i:], '>')
	if end < 0 {
		return "", p.errorf("'<' without '>'")
	}
	inner := strings.TrimSpace(p.s[p.i+1 : p.i+end])
	p.i += end + 1
	return inner, nil
}

// list reads "(" 1*Condition ")".
func (p *ifParser) list() (IfList, error) {
	p.i++ // '('
	var l IfList
	for {
		p.space()
		if p.done() {
			return l, p.errorf("'(' without ')'")
		}
		if p.s[p.i] == ')' {
			p.i++
			if len(l.Conditions) == 0 {
				return l, p.errorf("an empty list")
			}
			return l, nil
		}
		c, err := p.condition()
		if err != nil {
			return l, err
		}
		if len(l.Conditions) >= maxIfConditions {
			return l, p.errorf("more than %d conditions", maxIfConditions)
		}
		l.Conditions = append(l.Conditions, c)
	}
}

// condition reads ["Not"] (State-token | "[" entity-tag "]").
func (p *ifParser) condition() (IfCondition, error) {
	var c IfCondition
	if len(p.s)-p.i >= 3 && strings.EqualFold(p.s[p.i:p.i+3], "not") {
		c.Not = true
		p.i += 3
		p.space()
		if p.done() {
			return c, p.errorf("Not without a condition")
		}
	}
	switch p.s[p.i] {
	case '<':
		tok, err := p.angle()
		if err != nil {
			return c, err
		}
		if tok == "" {
			return c, p.errorf("an empty state token")
		}
		c.StateToken = tok
		return c, nil
	case '[':
		p.i++
		p.space()
		if len(p.s)-p.i >= 2 && (p.s[p.i] == 'W' || p.s[p.i] == 'w') && p.s[p.i+1] == '/' {
			p.i += 2 // weak: If compares weakly (10.4.4), so the opaque part counts
		}
		if !p.done() && p.s[p.i] == '"' {
			end := strings.IndexByte(p.s[p.i+1:], '"')
			if end < 0 {
				return c, p.errorf("an entity tag without its closing quote")
			}
			c.ETag = p.s[p.i+1 : p.i+1+end]
			p.i += end + 2
			p.space()
			if p.done() || p.s[p.i] != ']' {
				return c, p.errorf("expected ']' after an entity tag")
			}
			p.i++
			return c, nil
		}
		// Unquoted, as some clients store and send tags.
		end := strings.IndexByte(p.s[p.i:], ']')
		if end < 0 {
			return c, p.errorf("'[' without ']'")
		}
		c.ETag = strings.TrimSpace(p.s[p.i : p.i+end])
		if c.ETag == "" || strings.ContainsAny(c.ETag, `"()<>[ `) {
			return c, p.errorf("a malformed entity tag")
		}
		p.i += end + 1
		return c, nil
	}
	return c, p.errorf("expected a state token or an entity tag at %q", p.rest())
}

// String writes the header back in its canonical form (for logs; ParseIf
// reads it as the same header).
func (ih *IfHeader) String() string {
	var b strings.Builder
	tag := ""
	for i, l := range ih.Lists {
		if i > 0 {
			b.WriteByte(' ')
		}
		if l.Resource != tag {
			b.WriteString("<" + l.Resource + "> ")
			tag = l.Resource
		}
		b.WriteByte('(')
		for j, c := range l.Conditions {
			if j > 0 {
				b.WriteByte(' ')
			}
			if c.Not {
				b.WriteString("Not ")
			}
			if c.StateToken != "" {
				b.WriteString("<" + c.StateToken + ">")
			} else {
				b.WriteString(`["` + c.ETag + `"]`)
			}
		}
		b.WriteByte(')')
	}
	return b.String()
}

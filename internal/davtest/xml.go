package davtest

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"testing"
)

// Node is one element of a parsed document: its expanded name, its
// attributes (namespace declarations left out), its children, its own
// character data and its inner XML as sent.
type Node struct {
	Name     xml.Name
	Attrs    []xml.Attr
	Children []*Node
	Text     string
	Inner    string
}

// ParseXML reads a whole document into a tree of Nodes.
func ParseXML(data []byte) (*Node, error) {
	d := xml.NewDecoder(bytes.NewReader(data))
	var root *Node
	var stack []*Node
	var starts []int64
	for {
		before := d.InputOffset()
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			n := &Node{Name: tok.Name}
			for _, a := range tok.Attr {
				if a.Name.Space == "xmlns" || (a.Name.Space == "" && a.Name.Local == "xmlns") {
					continue
				}
				n.Attrs = append(n.Attrs, a)
			}
			switch {
			case len(stack) > 0:
				p := stack[len(stack)-1]
				p.Children = append(p.Children, n)
			case root == nil:
				root = n
			default:
				return nil, fmt.Errorf("second root element %s", NameStr(tok.Name))
			}
			stack = append(stack, n)
			starts = append(starts, d.InputOffset())
		case xml.EndElement:
			n := stack[len(stack)-1]
			n.Inner = string(data[starts[len(starts)-1]:before])
			stack, starts = stack[:len(stack)-1], starts[:len(starts)-1]
		case xml.CharData:
			if len(stack) > 0 {
				stack[len(stack)-1].Text += string(tok)
			}
		}
	}
	if root == nil {
		return nil, fmt.Errorf("no root element")
	}
	return root, nil
}

// MustParseXML is ParseXML failing the test on malformed XML.
func MustParseXML(t *testing.T, data []byte) *Node {
	t.Helper()
	n, err := ParseXML(data)
	if err != nil {
		t.Fatalf("malformed XML: %v\n%s", err, data)
	}
	return n
}

// Child returns the first child named n, or nil.
func (x *Node) Child(n xml.Name) *Node {
	for _, c := range x.Children {
		if c.Name == n {
			return c
		}
	}
	return nil
}

// All returns every child named n.
func (x *Node) All(n xml.Name) []*Node {
	var out []*Node
	for _, c := range x.Children {
		if c.Name == n {
			out = append(out, c)
		}
	}
	return out
}

// ChildNames lists the names of the children.
func (x *Node) ChildNames() []xml.Name {
	var out []xml.Name
	for _, c := range x.Children {
		out = append(out, c.Name)
	}
	return out
}

// Hrefs returns the text of the D:href children.
func (x *Node) Hrefs() []string {
	var out []string
	for _, c := range x.All(DName("href")) {
		out = append(out, c.Text)
	}
	return out
}

// Attr returns the value of the attribute named n.
func (x *Node) Attr(n xml.Name) (string, bool) {
	for _, a := range x.Attrs {
		if a.Name == n {
			return a.Value, true
		}
	}
	return "", false
}

// Find returns the first element named n in x's subtree (x included).
func (x *Node) Find(n xml.Name) *Node {
	if x.Name == n {
		return x
	}
	for _, c := range x.Children {
		if f := c.Find(n); f != nil {
			return f
		}
	}
	return nil
}

// DiffXML compares two elements as XML: names, attributes (in any order),
// character data exactly, children in order. It returns "" when they are
// equivalent, else where they differ.
func DiffXML(got, want *Node) string {
	if got.Name != want.Name {
		return fmt.Sprintf("element %s, want %s", NameStr(got.Name), NameStr(want.Name))
	}
	if len(got.Attrs) != len(want.Attrs) {
		return fmt.Sprintf("%s: attributes %v, want %v", NameStr(got.Name), got.Attrs, want.Attrs)
	}
	for _, a := range want.Attrs {
		if v, ok := got.Attr(a.Name); !ok || v != a.Value {
			return fmt.Sprintf("%s: attribute %s = %q (present %v), want %q", NameStr(got.Name), NameStr(a.Name), v, ok, a.Value)
		}
	}
	if got.Text != want.Text {
		return fmt.Sprintf("%s: text %q, want %q", NameStr(got.Name), got.Text, want.Text)
	}
	if len(got.Children) != len(want.Children) {
		return fmt.Sprintf("%s: children %v, want %v", NameStr(got.Name), got.ChildNames(), want.ChildNames())
	}
	for i := range want.Children {
		if d := DiffXML(got.Children[i], want.Children[i]); d != "" {
			return d
		}
	}
	return ""
}

package dav

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"strings"
	"unicode/utf8"
)

// NewDecoder returns an XML decoder for a request body. Elements are
// matched by namespace, never by prefix (docs/clients.md "Namespaces,
// not prefixes"): Apple declares
// namespaces per element, DAVx5 and vdirsyncer use a default namespace,
// vdirsyncer's ElementTree writes ns0:. Besides UTF-8 it reads bodies
// declared as US-ASCII or ISO-8859-1. Every body's shape is bounded
// (decode_limits.go): a body that nests too deep or holds too many
// elements fails with an *Error as soon as the bound is passed.
func NewDecoder(r io.Reader) *xml.Decoder { return newLimitedDecoder(r, MaxXMLElements) }

func charsetReader(label string, r io.Reader) (io.Reader, error) {
	switch strings.ToLower(label) {
	case "utf8", "us-ascii", "ascii":
		return r, nil
	case "iso-8859-1", "iso8859-1", "latin1", "latin-1":
		return &latin1Reader{r: r}, nil
	}
	// encoding/xml wraps this with %w, so XMLError passes it on as it is.
	return nil, Errorf(http.StatusBadRequest, "malformed XML: the body declares the encoding %q; pgdav reads UTF-8, US-ASCII and ISO-8859-1", label)
}

// latin1Reader turns ISO-8859-1 bytes into UTF-8: each byte is the code
// point of the same value and takes at most two bytes in UTF-8.
type latin1Reader struct {
	r   io.Reader
	buf [512]byte
}

func (l *latin1Reader) Read(p []byte) (int, error) {
	if len(p) < 2 {
		return 0, io.ErrShortBuffer
	}
	n, err := l.r.Read(l.buf[:min(len(p)/2, len(l.buf))])
	out := 0
	for _, c := range l.buf[:n] {
		out += utf8.EncodeRune(p[out:], rune(c))
	}
	return out, err
}

// ReadRoot returns the root element of a request body, skipping what may
// come before it: the XML declaration, comments, a DOCTYPE, a byte order
// mark and whitespace — vdirsyncer sends a newline and indentation first,
// Thunderbird CardDAV no declaration (docs/clients.md "Bodies before the
// root"). ok is false for
// an empty body, which many methods treat as a default (RFC 4918 §9.1).
// Errors are *Error: 400 for malformed XML, 413 for a body over the
// reader's limit (http.MaxBytesReader).
func ReadRoot(d *xml.Decoder) (root xml.StartElement, ok bool, err error) {
	for {
		t, err := d.Token()
		if err == io.EOF {
			return xml.StartElement{}, false, nil
		}
		if err != nil {
			return xml.StartElement{}, false, XMLError(err)
		}
		switch t := t.(type) {
		case xml.StartElement:
			if err := checkName(t.Name); err != nil {
				return xml.StartElement{}, false, err
			}
			return t, true, nil
		case xml.CharData:
			if !isBlank(t) {
				return xml.StartElement{}, false, Errorf(http.StatusBadRequest, "text before the root element")
			}
		case xml.EndElement:
			return xml.StartElement{}, false, Errorf(http.StatusBadRequest, "malformed XML: unexpected end tag")
		}
	}
}

// EndDocument reads what follows the root element's end tag; only
// whitespace, comments and processing instructions may (XML 1.0 §2.1).
func EndDocument(d *xml.Decoder) error {
	for {
		t, err := d.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return XMLError(err)
		}
		switch t := t.(type) {
		case xml.CharData:
			if !isBlank(t) {
				return Errorf(http.StatusBadRequest, "text after the root element")
			}
		case xml.Comment, xml.ProcInst:
		default:
			return Errorf(http.StatusBadRequest, "more than one root element")
		}
	}
}

func containsName(names []xml.Name, n xml.Name) bool {
	for _, x := range names {
		if x == n {
			return true
		}
	}
	return false
}

// isBlank reports whether text before or after the root is only XML
// whitespace or a UTF-8 byte order mark, which encoding/xml hands over as
// character data.
func isBlank(b []byte) bool {
	b = bytes.TrimPrefix(b, []byte("\uFEFF"))
	return len(bytes.Trim(b, " \t\r\n")) == 0
}

// The reserved prefix xmlns, which encoding/xml leaves untranslated, and
// the namespace bound to the prefix xml (Namespaces in XML 1.0 §3).
const (
	xmlnsPrefix = "xmlns"
	xmlURI      = "http://www.w3.org/XML/1998/namespace"
)

// checkName rejects names that cannot be written back namespace-well-formed
// (Namespaces in XML 1.0 §3, §7): encoding/xml validates a qualified name
// as a whole, so after splitting at the first colon the local part may
// hold another colon ("a:b:c", ":a") or start with a character a name
// cannot start with ("p:0"); and elements may not use the reserved xmlns
// prefix.
func checkName(n xml.Name) error {
	if n.Local == "" || strings.Contains(n.Local, ":") || n.Space == xmlnsPrefix || !isNameStart(n.Local) {
		return Errorf(http.StatusBadRequest, "malformed XML: invalid qualified name %q", n.Space+":"+n.Local)
	}
	return nil
}

// checkNamespaceDecls rejects xmlns:p="" on an element: Namespaces in
// XML 1.0 §2.2 forbids an empty name for a prefix (only the default
// namespace may be undeclared), and encoding/xml lets it through
// (litmus props 3, propfind_invalid2).
func checkNamespaceDecls(attrs []xml.Attr) error {
	for _, a := range attrs {
		if a.Name.Space == xmlnsPrefix && a.Value == "" {
			return Errorf(http.StatusBadRequest, "malformed XML: the prefix %q is bound to an empty namespace name", a.Name.Local)
		}
	}
	return nil
}

// isNameStart reports whether local, known to consist of name characters,
// may stand alone as an XML name. Other characters than ASCII letters and
// "_" at the start are rare, so encoding/xml itself decides those.
func isNameStart(local string) bool {
	c := local[0]
	if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '_' {
		return true
	}
	_, err := xml.NewDecoder(strings.NewReader("<" + local + "/>")).RawToken()
	return err == nil
}

// XMLError turns an error from reading a request body into an *Error:
// 413 when the body is over the limit set with http.MaxBytesReader, 400
// otherwise (malformed XML, or a body that ends early). Only
// encoding/xml's syntax errors are quoted: they say where and how the
// client's own body is malformed. Any other error (a read failing on the
// connection) may name the server's addresses or Go's packages, so the
// client gets a message written for it and the cause goes to the log.
func XMLError(err error) error {
	if err == nil {
		return nil
	}
	var de *Error
	if errors.As(err, &de) {
		return de
	}
	var mb *http.MaxBytesError
	if errors.As(err, &mb) {
		return &Error{Status: http.StatusRequestEntityTooLarge, Message: "request body too large", Err: err}
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return &Error{Status: http.StatusBadRequest, Message: "malformed XML: unexpected end of body", Err: err}
	}
	var se *xml.SyntaxError
	if errors.As(err, &se) {
		return &Error{Status: http.StatusBadRequest, Message: "malformed XML: " + se.Error(), Err: err}
	}
	return &Error{Status: http.StatusBadRequest, Message: "the request body could not be read as XML", Err: err}
}

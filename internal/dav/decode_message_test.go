package dav

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
)

// failingReader gives its bytes, then an error of the kind a broken
// connection gives, with the server's address in it.
type failingReader struct {
	r   io.Reader
	err error
}

func (f *failingReader) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if err == io.EOF {
		return n, f.err
	}
	return n, err
}

// TestXMLErrorMessages: what a client reads of a body that cannot be
// decoded says what is wrong with its own body and nothing of the
// server: encoding/xml's syntax errors are quoted, a failed read is not
// (its text names the server's address), and the cause stays in Err.
func TestXMLErrorMessages(t *testing.T) {
	t.Parallel()
	readErr := errors.New("read tcp 10.1.2.3:8008->192.0.2.7:51234: read: connection reset by peer")
	for _, tc := range []struct {
		name    string
		body    io.Reader
		status  int
		want    string // in the message
		notWant string // not in the message
	}{
		{"syntax", strings.NewReader("<D:propfind xmlns:D=\"DAV:\">\n<D:prop></D:propfind>"), http.StatusBadRequest, "malformed XML: XML syntax error on line 1: element <prop> closed by </propfind>", ""},
		{"end early", strings.NewReader(`<D:propfind xmlns:D="DAV:"><D:prop>`), http.StatusBadRequest, "malformed XML", ""},
		{"charset", strings.NewReader(`<?xml version="1.0" encoding="EBCDIC-US"?><D:propfind xmlns:D="DAV:"/>`), http.StatusBadRequest, `the encoding "EBCDIC-US"`, "xml: opening charset"},
		{"read fails", &failingReader{r: strings.NewReader(`<D:propfind xmlns:D="DAV:"><D:pr`), err: readErr}, http.StatusBadRequest, "could not be read as XML", "10.1.2.3"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d := newPropertyDecoder(tc.body)
			_, _, err := ReadRoot(d)
			if err == nil {
				err = Skip(d)
			}
			var de *Error
			if !errors.As(err, &de) {
				t.Fatalf("error %v is not an *Error", err)
			}
			if de.Status != tc.status || !strings.Contains(de.Message, tc.want) || tc.notWant != "" && strings.Contains(de.Message, tc.notWant) {
				t.Errorf("%d %q, want %d with %q and without %q", de.Status, de.Message, tc.status, tc.want, tc.notWant)
			}
			if tc.name == "read fails" && !errors.Is(err, readErr) {
				t.Errorf("the cause %v is not kept in Err", err)
			}
		})
	}
}

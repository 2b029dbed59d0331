package carddav

import (
	"bytes"
	"encoding/xml"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pgdav/pgdav/internal/dav"
)

// sample reads a testdata file; they are stored with LF line endings.
func sample(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// crlf turns LF line endings into the CRLF that clients send.
func crlf(b []byte) []byte { return bytes.ReplaceAll(b, []byte("\n"), []byte("\r\n")) }

// variants are the same body as clients and tools deliver it.
var variants = []struct {
	name string
	of   func([]byte) []byte
}{
	{"crlf", crlf},
	{"lf", func(b []byte) []byte { return b }},
	{"bom", func(b []byte) []byte { return append([]byte("\uFEFF"), crlf(b)...) }},
	{"no-final-newline", func(b []byte) []byte { return bytes.TrimRight(crlf(b), "\r\n") }},
	{"blank-lines-around", func(b []byte) []byte { return append([]byte("\r\n\r\n"), append(crlf(b), "\r\n \r\n"...)...) }},
}

func TestValidateCardClients(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		file, contentType string
		want              CardInfo
	}{
		{"apple-card.vcf", "text/vcard", CardInfo{"6E1F0B77-3C1A-4F2E-9B0D-8A7C5E4D3B21", "3.0", "individual"}},
		{"apple-group.vcf", "text/vcard", CardInfo{"A4C2E1F0-7B3D-4E5A-8F9B-1C2D3E4F5A6B", "3.0", "group"}},
		{"davx5-card.vcf", "text/vcard; version=4.0", CardInfo{"urn:uuid:0b2d4f6a-8c1e-4a3b-9d5f-7e6a5b4c3d2e", "4.0", "individual"}},
		{"thunderbird-card.vcf", "text/vcard", CardInfo{"e7c1b0a2-5d4f-4e3a-9b8c-7d6e5f4a3b2c", "4.0", "individual"}},
		{"vcard4-group.vcf", "text/vcard;charset=utf-8", CardInfo{"urn:uuid:9a2f4b6c-1d3e-4f5a-8b7c-6d5e4f3a2b1c", "4.0", "group"}},
		{"evolution-card.vcf", `text/vcard; charset="utf-8"`, CardInfo{"pas-id-67C2F0A1000000A1", "3.0", "individual"}},
		{"rfc6352-example.vcf", "text/vcard", CardInfo{"1234-5678-9000-1", "3.0", "individual"}},
		{"vdirsyncer-card.vcf", "text/vcard", CardInfo{"anna.mueller+vdirsyncer-test", "3.0", "individual"}},
		{"org-no-fn.vcf", "", CardInfo{"C0FFEE00-0000-4000-8000-000000000001", "3.0", "individual"}},
	} {
		body := sample(t, tc.file)
		for _, v := range variants {
			t.Run(tc.file+"/"+v.name, func(t *testing.T) {
				data := v.of(body)
				orig := bytes.Clone(data)
				got, err := ValidateCard(data, tc.contentType)
				if err != nil {
					t.Fatalf("ValidateCard: %v", err)
				}
				if got != tc.want {
					t.Errorf("got %+v, want %+v", got, tc.want)
				}
				if !bytes.Equal(data, orig) {
					t.Error("ValidateCard changed its input")
				}
			})
		}
	}
}

// vcf joins lines with CRLF, as clients send them.
func vcf(lines ...string) []byte { return []byte(strings.Join(lines, "\r\n") + "\r\n") }

// card3 is a vCard 3.0 around the given lines.
func card3(lines ...string) []byte {
	return vcf(append(append([]string{"BEGIN:VCARD", "VERSION:3.0"}, lines...), "END:VCARD")...)
}

// TestValidateCardLiberal covers what clients send that the RFCs frown
// upon, and pgdav accepts (docs/compatibility.md).
func TestValidateCardLiberal(t *testing.T) {
	t.Parallel()
	simple := card3("FN:A", "UID:lib-1")
	for _, tc := range []struct {
		name        string
		data        []byte
		contentType string
		want        CardInfo
	}{
		{"content type absent", simple, "", CardInfo{"lib-1", "3.0", "individual"}},
		{"text/x-vcard", simple, "text/x-vcard", CardInfo{"lib-1", "3.0", "individual"}},
		{"text/directory with 3.0", simple, "text/directory; profile=vCard; charset=utf-8", CardInfo{"lib-1", "3.0", "individual"}},
		{"version parameter differs from the body", simple, "text/vcard; version=4.0", CardInfo{"lib-1", "3.0", "individual"}},
		{"charset us-ascii", simple, "text/vcard; charset=US-ASCII", CardInfo{"lib-1", "3.0", "individual"}},
		{"octet-stream that parses", simple, "application/octet-stream", CardInfo{"lib-1", "3.0", "individual"}},
		{"text/plain that parses", simple, "text/plain", CardInfo{"lib-1", "3.0", "individual"}},
		{"lower-case names", vcf("begin:vcard", "version:4.0", "fn:a", "uid:low", "end:vcard"), "", CardInfo{"low", "4.0", "individual"}},
		{"folded with tab", card3("FN:A", "UID:fol", "\tded"), "", CardInfo{"folded", "3.0", "individual"}},
		{"3.0 with N only", card3("N:Doe;John;;;", "UID:n"), "", CardInfo{"n", "3.0", "individual"}},
		{"empty FN", vcf("BEGIN:VCARD", "VERSION:4.0", "FN:", "EMAIL:x@example.org", "UID:e", "END:VCARD"), "", CardInfo{"e", "4.0", "individual"}},
		{"VERSION not second", vcf("BEGIN:VCARD", "FN:A", "UID:v", "VERSION:4.0", "END:VCARD"), "", CardInfo{"v", "4.0", "individual"}},
		{"grouped UID", card3("FN:A", "item1.UID:g"), "", CardInfo{"g", "3.0", "individual"}},
		{"KIND org", vcf("BEGIN:VCARD", "VERSION:4.0", "KIND:Org", "FN:ACME", "UID:k", "END:VCARD"), "", CardInfo{"k", "4.0", "org"}},
		{"KIND x-name", vcf("BEGIN:VCARD", "VERSION:4.0", "KIND:x-robot", "FN:R2", "UID:k", "END:VCARD"), "", CardInfo{"k", "4.0", "x-robot"}},
		{"KIND wins over Apple's", vcf("BEGIN:VCARD", "VERSION:4.0", "KIND:location", "X-ADDRESSBOOKSERVER-KIND:group", "FN:L", "UID:k", "END:VCARD"), "", CardInfo{"k", "4.0", "location"}},
		{"same UID twice", card3("FN:A", "UID:d", "UID:d"), "", CardInfo{"d", "3.0", "individual"}},
		{"X- properties and parameters", card3("FN:A", "UID:x", "X-FOO;X-BAR=\"a:b;c\":baz", "X-SOCIALPROFILE;type=twitter;x-user=jane:x-apple:jane"), "", CardInfo{"x", "3.0", "individual"}},
		{"unknown IANA properties", card3("FN:A", "UID:i", "GENDER:F", "CLIENTPIDMAP:1;urn:uuid:x"), "", CardInfo{"i", "3.0", "individual"}},
		{"UTF-8 names", card3("FN:Łukasz Żółć 🎉", "N:Żółć;Łukasz;;;", "UID:ü-ß"), "", CardInfo{"ü-ß", "3.0", "individual"}},
		{"big inline photo", card3("FN:A", "UID:p", "PHOTO;ENCODING=b;TYPE=JPEG:"+fold(strings.Repeat("QUJD", 500000))), "", CardInfo{"p", "3.0", "individual"}},
		{"empty lines inside", []byte("BEGIN:VCARD\r\nVERSION:3.0\r\n\r\nFN:A\r\n\r\nUID:e\r\nEND:VCARD\r\n"), "", CardInfo{"e", "3.0", "individual"}},
		{"HTAB in a value, LF and CRLF line ends", []byte("BEGIN:VCARD\nVERSION:3.0\r\nFN:A\tB\nUID:t\r\nEND:VCARD\r"), "", CardInfo{"t", "3.0", "individual"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := ValidateCard(tc.data, tc.contentType)
			if err != nil {
				t.Fatalf("ValidateCard: %v", err)
			}
			if got != tc.want {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

// fold folds s into 75-octet lines (RFC 6350 3.2).
func fold(s string) string {
	var b strings.Builder
	for len(s) > 74 {
		b.WriteString(s[:74] + "\r\n ")
		s = s[74:]
	}
	b.WriteString(s)
	return b.String()
}

func TestValidateCardErrors(t *testing.T) {
	t.Parallel()
	good := card3("FN:A", "UID:good")
	const (
		supportedData = "supported-address-data"
		validData     = "valid-address-data"
	)
	for _, tc := range []struct {
		name        string
		data        []byte
		contentType string
		cond        string
		message     string // a substring of the message, when it matters
	}{
		// supported-address-data (RFC 6352 6.3.2.1)
		{"iCalendar media type", good, "text/calendar", supportedData, `media type "text/calendar" is not supported`},
		{"JSON", good, "application/vcard+json", supportedData, ""},
		{"Latin-1", good, "text/vcard; charset=ISO-8859-1", supportedData, `charset "ISO-8859-1"`},
		{"version parameter 2.1", good, "text/vcard; version=2.1", supportedData, `vCard version "2.1"`},
		{"text/directory with 4.0", vcf("BEGIN:VCARD", "VERSION:4.0", "FN:A", "UID:d", "END:VCARD"), "text/directory", supportedData, "text/directory is the vCard 3.0 media type"},
		{"octet-stream not a vCard", []byte("\x89PNG garbage"), "application/octet-stream", supportedData, "sent as application/octet-stream"},
		{"vCard 2.1", vcf("BEGIN:VCARD", "VERSION:2.1", "N:Doe;John", "TEL;CELL:123", "END:VCARD"), "", supportedData, "vCard 2.1 is not supported"},
		{"vCard 2.1 with a quoted-printable soft break", vcf("BEGIN:VCARD", "VERSION:2.1", "N:Doe;John", "NOTE;ENCODING=QUOTED-PRINTABLE:first=", "second", "END:VCARD"), "", supportedData, "vCard 2.1 is not supported"},
		{"vCard 5", vcf("BEGIN:VCARD", "VERSION:5.0", "FN:A", "UID:x", "END:VCARD"), "", supportedData, `vCard version "5.0" is not supported`},

		// valid-address-data (RFC 6352 6.3.2.1)
		{"empty", nil, "text/vcard", validData, "empty"},
		{"not UTF-8", card3("FN:J\xfcrgen", "UID:x"), "", validData, "not valid UTF-8"},
		{"NUL byte", card3("FN:a\x00b", "UID:x"), "", validData, "NUL"},
		{"plain text", []byte("hello world"), "", validData, "line 1"},
		{"iCalendar", []byte("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n"), "", validData, "expected BEGIN:VCARD, found BEGIN:VCALENDAR"},
		{"content before BEGIN", append([]byte("FN:x\r\n"), good...), "", validData, "line 1: expected BEGIN:VCARD, found FN"},
		{"two vCards", append(bytes.Clone(good), good...), "", validData, "line 6: a second vCard"},
		{"content after END", append(bytes.Clone(good), "NOTE:x\r\n"...), "", validData, "line 6: NOTE after END:VCARD"},
		{"nested vCard", card3("FN:A", "UID:x", "BEGIN:VCARD", "VERSION:3.0", "END:VCARD"), "", validData, "nested vCards are not supported"},
		{"unterminated", vcf("BEGIN:VCARD", "VERSION:3.0", "FN:A", "UID:x"), "", validData, "BEGIN:VCARD on line 1 has no END:VCARD"},
		{"END mismatch", vcf("BEGIN:VCARD", "VERSION:3.0", "FN:A", "UID:x", "END:VCALENDAR"), "", validData, "END:VCALENDAR does not close"},
		{"line without colon", card3("FN:A", "UID:x", "garbage"), "", validData, "line 5"},
		{"empty property name", card3("FN:A", "UID:x", ":value"), "", validData, "empty"},
		{"no VERSION", vcf("BEGIN:VCARD", "FN:A", "UID:x", "END:VCARD"), "", validData, "no VERSION"},
		{"no UID", card3("FN:A"), "", validData, "no UID; CardDAV requires one"},
		{"empty UID", card3("FN:A", "UID:  "), "", validData, "no UID"},
		{"two UIDs", card3("FN:A", "UID:a", "UID:b"), "", validData, "more than one UID"},
		{"UID too long", card3("FN:A", "UID:"+strings.Repeat("u", maxUID+1)), "", validData, "at most"},
		{"4.0 without FN", vcf("BEGIN:VCARD", "VERSION:4.0", "N:Doe;John;;;", "UID:x", "END:VCARD"), "", validData, "vCard 4.0 has no FN"},
		{"3.0 without FN and N", card3("EMAIL:x@example.org", "UID:x"), "", validData, "neither FN nor N"},
		// RFC 6350 3.3: no control character but HTAB; XML 1.0 could not
		// carry it in address-data (issue 15 item 1).
		{"control character in a value", card3("FN:A", "UID:x", "NOTE:a\x01b"), "", validData, "line 5: NOTE holds the control character U+0001"},
		{"control character in a grouped property", card3("FN:A", "UID:x", "item1.EMAIL:a@example.org\x1b"), "", validData, "line 5: item1.EMAIL holds the control character U+001B"},
		{"control character in a parameter", card3("FN:A", "UID:x", "TEL;TYPE=ce\x0bll:123"), "", validData, "line 5: TEL holds the control character U+000B"},
		{"control character in a folded line", card3("FN:A", "UID:x", "NOTE:one", " two\x08"), "", validData, "line 6: NOTE holds the control character U+0008"},
		{"lone CR inside a value", card3("FN:A", "UID:x", "NOTE:one\rtwo"), "", validData, "line 5: NOTE holds the control character U+000D"},
		{"DEL", card3("FN:A\x7f", "UID:x"), "", validData, "line 3: FN holds the control character U+007F"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			info, err := ValidateCard(tc.data, tc.contentType)
			checkError(t, info, err, dav.CardDAVName(tc.cond), tc.message)
		})
	}
}

// checkError asserts that err is a 403 *dav.Error with condition cond
// whose message contains message.
func checkError(t *testing.T, info any, err error, cond xml.Name, message string) {
	t.Helper()
	var de *dav.Error
	if !errors.As(err, &de) {
		t.Fatalf("got %+v, %v; want a *dav.Error with %s", info, err, cond.Local)
	}
	t.Logf("%d %s: %s", de.Status, de.Condition.Local, de.Message)
	if de.Status != http.StatusForbidden || de.Condition != cond {
		t.Errorf("got %d %s (%s), want 403 %s", de.Status, de.Condition.Local, de.Message, cond.Local)
	}
	if !strings.Contains(de.Message, message) {
		t.Errorf("message %q does not contain %q", de.Message, message)
	}
}

package carddav

import (
	"slices"
	"strings"
	"testing"
)

// lines returns the unfolded content lines of a rendered card.
func lines(t *testing.T, s string) []string {
	t.Helper()
	if !strings.HasSuffix(s, "\r\n") {
		t.Errorf("card does not end with CRLF: %q", s)
	}
	for _, l := range strings.Split(s, "\r\n") {
		if len(l) > 75 {
			t.Errorf("line of %d octets: %q", len(l), l)
		}
	}
	var out []string
	for _, l := range parseVCard([]byte(s)).lines {
		out = append(out, l.String())
	}
	return out
}

func render(t *testing.T, version string, data []byte, props ...propSelector) []string {
	t.Helper()
	return lines(t, renderAddressData(&addressDataRequest{version: version, props: props}, data, nil))
}

func TestConvertApple3To4(t *testing.T) {
	t.Parallel()
	got := render(t, "4.0", crlf(sample(t, "apple-card.vcf")))
	want := []string{
		"BEGIN:VCARD",
		"VERSION:4.0",
		"PRODID:-//Apple Inc.//macOS 27.0//EN",
		"N:Doe;Jane;;;",
		"FN:Jane Doe",
		"ORG:Example Corp;",
		"EMAIL;TYPE=work;PREF=1:jane@example.com",
		"TEL;TYPE=cell,voice;PREF=1:+49 170 1234567",
		"item1.ADR;TYPE=home;PREF=1:;;Hauptstr. 1;Berlin;;10115;Germany",
		"item1.X-ABADR:de",
		"item2.URL;PREF=1:https://example.com",
		"item2.X-ABLabel:_$!<HomePage>!$_",
		"item3.X-ABRELATEDNAMES;PREF=1:John Doe",
		"item3.X-ABLabel:_$!<Spouse>!$_",
	}
	if !slices.Equal(got[:len(want)], want) {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got[:len(want)], "\n"), strings.Join(want, "\n"))
	}
	photo := got[len(want)]
	if !strings.HasPrefix(photo, "PHOTO:data:image/jpeg;base64,/9j/4CLffbGMB9hb7Feqzs") || strings.ContainsAny(photo, " \r\n") ||
		!strings.HasSuffix(photo, "P2B5DcdvMhuYH+SO1PW6EsBUKcV6EJZeuw==") {
		t.Errorf("PHOTO = %.80q…", photo)
	}
	if tail := got[len(want)+1:]; !slices.Equal(tail, []string{"NOTE:created", "UID:6E1F0B77-3C1A-4F2E-9B0D-8A7C5E4D3B21",
		"X-ABUID:6E1F0B77-3C1A-4F2E-9B0D-8A7C5E4D3B21:ABPerson", "END:VCARD"}) {
		t.Errorf("tail %q", tail)
	}
	// Back to 3.0: the inline photo as Apple writes it.
	back := render(t, "3.0", []byte(renderAddressData(&addressDataRequest{version: "4.0"}, crlf(sample(t, "apple-card.vcf")), nil)))
	if !slices.Contains(back, "EMAIL;TYPE=INTERNET,WORK,PREF:jane@example.com") ||
		!slices.ContainsFunc(back, func(l string) bool { return strings.HasPrefix(l, "PHOTO;ENCODING=b;TYPE=JPEG:/9j/4CLf") }) {
		t.Errorf("round trip to 3.0:\n%s", strings.Join(back, "\n"))
	}
}

func TestConvertGroups(t *testing.T) {
	t.Parallel()
	v4 := render(t, "4.0", crlf(sample(t, "apple-group.vcf")))
	for _, want := range []string{"KIND:group", "MEMBER:urn:uuid:6E1F0B77-3C1A-4F2E-9B0D-8A7C5E4D3B21", "REV:20250301T120000Z", "FN:Friends"} {
		if !slices.Contains(v4, want) {
			t.Errorf("3.0 group as 4.0 lacks %q:\n%s", want, strings.Join(v4, "\n"))
		}
	}
	if slices.ContainsFunc(v4, func(l string) bool { return strings.HasPrefix(l, "X-ADDRESSBOOKSERVER") }) {
		t.Errorf("Apple's properties left in 4.0:\n%s", strings.Join(v4, "\n"))
	}
	v3 := render(t, "3.0", crlf(sample(t, "vcard4-group.vcf")))
	for _, want := range []string{"VERSION:3.0", "N:The Doe family;;;;", "X-ADDRESSBOOKSERVER-KIND:group",
		"X-ADDRESSBOOKSERVER-MEMBER:urn:uuid:03a0e51f-d1aa-4385-8a53-e29025acd8af", "X-ADDRESSBOOKSERVER-MEMBER:mailto:subscriber1@example.com"} {
		if !slices.Contains(v3, want) {
			t.Errorf("4.0 group as 3.0 lacks %q:\n%s", want, strings.Join(v3, "\n"))
		}
	}
	if v3[1] != "VERSION:3.0" || v3[2] != "N:The Doe family;;;;" {
		t.Errorf("N must follow VERSION: %q", v3[:3])
	}
}

func TestConvert4To3(t *testing.T) {
	t.Parallel()
	got := render(t, "3.0", crlf(sample(t, "thunderbird-card.vcf")))
	for _, want := range []string{"VERSION:3.0", "EMAIL;TYPE=INTERNET,PREF:erika@example.org", "TEL;TYPE=CELL:+49 30 1234567", "N:Mustermann;Erika;;;"} {
		if !slices.Contains(got, want) {
			t.Errorf("lacks %q:\n%s", want, strings.Join(got, "\n"))
		}
	}
	if !slices.ContainsFunc(got, func(l string) bool { return strings.HasPrefix(l, "PHOTO;ENCODING=b;TYPE=JPEG:/9j/4CLf") }) {
		t.Errorf("PHOTO not inline:\n%s", strings.Join(got, "\n"))
	}
	got = render(t, "3.0", crlf(sample(t, "davx5-card.vcf")))
	for _, want := range []string{"PHOTO;VALUE=uri:https://example.net/photos/max.jpg", "REV:2025-03-01T12:00:00Z", "EMAIL;TYPE=INTERNET,HOME:max@example.net",
		`ADR;LABEL="Musterweg 5\n12345 Musterstadt":;;Musterweg 5;Musterstadt;;12345;`} {
		if !slices.Contains(got, want) {
			t.Errorf("lacks %q:\n%s", want, strings.Join(got, "\n"))
		}
	}
	dates := []byte("BEGIN:VCARD\r\nVERSION:4.0\r\nUID:d\r\nFN:D\r\nBDAY:--0412\r\nANNIVERSARY:20000101T102200-0500\r\nKIND:individual\r\nGEO:geo:37.386013,-122.082932\r\nTEL;VALUE=uri;TYPE=home:tel:+1-555-555-5555\r\nCLIENTPIDMAP:1;urn:uuid:x\r\nEND:VCARD\r\n")
	got = render(t, "3.0", dates)
	for _, want := range []string{"BDAY;X-APPLE-OMIT-YEAR=1604:1604-04-12", "X-ANNIVERSARY:2000-01-01T10:22:00-05:00",
		"GEO:37.386013;-122.082932", "TEL;TYPE=HOME:+1-555-555-5555"} {
		if !slices.Contains(got, want) {
			t.Errorf("lacks %q:\n%s", want, strings.Join(got, "\n"))
		}
	}
	for _, gone := range []string{"KIND", "CLIENTPIDMAP"} {
		if slices.ContainsFunc(got, func(l string) bool { return strings.HasPrefix(l, gone) }) {
			t.Errorf("%s kept:\n%s", gone, strings.Join(got, "\n"))
		}
	}
	// And back: Apple's year-less birthday becomes --MMDD.
	back := render(t, "4.0", []byte(renderAddressData(&addressDataRequest{version: "3.0"}, dates, nil)))
	if !slices.Contains(back, "BDAY:--0412") || !slices.Contains(back, "GEO:geo:37.386013,-122.082932") {
		t.Errorf("back to 4.0:\n%s", strings.Join(back, "\n"))
	}
}

func TestConvert3To4MakesFN(t *testing.T) {
	t.Parallel()
	got := render(t, "4.0", crlf(sample(t, "org-no-fn.vcf")))
	if got[2] != "FN:ACME Corp." {
		t.Errorf("FN made from N: %q", got)
	}
	got = render(t, "4.0", crlf(sample(t, "rfc6352-example.vcf")))
	for _, want := range []string{"EMAIL;PREF=1:cyrus@example.com", "TEL;TYPE=work,voice:412 605 0499", "ADR:;2822 Email HQ;Suite 2821;RFCVille;PA;15213;USA"} {
		if !slices.Contains(got, want) {
			t.Errorf("lacks %q:\n%s", want, strings.Join(got, "\n"))
		}
	}
}

func TestAddressDataSelection(t *testing.T) {
	t.Parallel()
	data := crlf(sample(t, "apple-card.vcf"))
	// No selection, same version: the stored bytes.
	if got := renderAddressData(&addressDataRequest{version: "3.0"}, data, nil); got != string(data) {
		t.Error("address-data without selection is not the stored card")
	}
	if got := renderAddressData(&addressDataRequest{}, data, nil); got != string(data) {
		t.Error("address-data without version is not the stored card")
	}
	// A selection keeps the stored lines, folding included, and always
	// BEGIN, VERSION, UID and END.
	got := renderAddressData(&addressDataRequest{props: []propSelector{{name: "EMAIL"}, {name: "ADR", group: "ITEM1"}, {name: "NOTE", noValue: true}}}, data, nil)
	want := "BEGIN:VCARD\r\nVERSION:3.0\r\nEMAIL;type=INTERNET;type=WORK;type=pref:jane@example.com\r\n" +
		"item1.ADR;type=HOME;type=pref:;;Hauptstr. 1;Berlin;;10115;Germany\r\nNOTE:\r\n" +
		"UID:6E1F0B77-3C1A-4F2E-9B0D-8A7C5E4D3B21\r\nEND:VCARD\r\n"
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	got = renderAddressData(&addressDataRequest{props: []propSelector{{name: "PHOTO"}}}, data, nil)
	if !strings.Contains(got, "PHOTO;ENCODING=b;TYPE=JPEG:/9j/4CLffbGMB9hb7FeqzsYMTAVtTLDjVfO53bOJTi6zKAmK\r\n 5NSBXy9vnxo6") {
		t.Errorf("the selected PHOTO lost its folding:\n%.300s", got)
	}
	// With a conversion, the selection applies to the converted card.
	got = renderAddressData(&addressDataRequest{version: "4.0", props: []propSelector{{name: "EMAIL"}}}, data, nil)
	if got != "BEGIN:VCARD\r\nVERSION:4.0\r\nEMAIL;TYPE=work;PREF=1:jane@example.com\r\nUID:6E1F0B77-3C1A-4F2E-9B0D-8A7C5E4D3B21\r\nEND:VCARD\r\n" {
		t.Errorf("converted selection:\n%s", got)
	}
	// LF-only storage: a selected last line without a line end gets one.
	lf := []byte("BEGIN:VCARD\nVERSION:4.0\nUID:x\nFN:X\nEND:VCARD")
	if got := renderAddressData(&addressDataRequest{props: []propSelector{{name: "FN"}}}, lf, nil); got != "BEGIN:VCARD\nVERSION:4.0\nUID:x\nFN:X\nEND:VCARD\r\n" {
		t.Errorf("LF card: %q", got)
	}
}

func TestParseVCard(t *testing.T) {
	t.Parallel()
	data := []byte("\uFEFFBEGIN:VCARD\nVERSION:3.0\n\nitem1.EMAIL;type=\"a,b\";X-Q=\"x:y;z\";CELL:j@x\nFN:Long\n\tname\n  \nEND:VCARD")
	c := parseVCard(data)
	if c.version != "3.0" || len(c.lines) != 5 {
		t.Fatalf("parsed %+v", c)
	}
	e := c.lines[2]
	if e.group != "item1" || e.name != "EMAIL" || e.value != "j@x" || e.raw != "item1.EMAIL;type=\"a,b\";X-Q=\"x:y;z\";CELL:j@x\n" {
		t.Fatalf("EMAIL line %+v", e)
	}
	if types, _ := e.param("TYPE"); !slices.Equal(types, []string{"a", "b", "CELL"}) {
		t.Errorf("TYPE = %q", types)
	}
	if q, _ := e.param("X-Q"); !slices.Equal(q, []string{"x:y;z"}) {
		t.Errorf("X-Q = %q", q)
	}
	// A line of spaces after a content line continues it, as in
	// ValidateCard's unfolding.
	if fn := c.lines[3]; fn.value != "Longname " || fn.raw != "FN:Long\n\tname\n  \n" {
		t.Errorf("FN line %+v", fn)
	}
	if s := (&vcardLine{name: "N", value: `Doe\, Jr.;John,Jack;;;`}).subjects(); !slices.Equal(s, []string{`Doe, Jr.;John,Jack;;;`, "Doe, Jr.", "John", "Jack"}) {
		t.Errorf("subjects = %q", s)
	}
}

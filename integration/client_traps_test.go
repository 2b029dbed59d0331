package integration

import (
	"fmt"
	"net/http"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestClientDiscoveryAndTraps checks discovery the way each client does it
// (docs/clients.md "Discovery") and the traps docs/clients.md lists,
// against a real `pgdav serve`: challenge-first and pre-emptive Basic, the well-known redirects,
// the principal's home sets, the DAV header, exact status lines and
// propstat order, what every member carries, a multiget of thousands of
// hrefs, '+' and '%40' in names, and invalid sync tokens.
func TestClientDiscoveryAndTraps(t *testing.T) {
	t.Parallel()
	data := newDataDir(t)
	mustCLI(t, data, "alice-pw\n", "user", "add", "alice", "--email", "alice@example.org", "--password-stdin")
	s := startServer(t, data)
	c := &trapClient{t: t, s: s, client: &http.Client{Timeout: 60 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}

	const cupBody = `<?xml version="1.0"?><propfind xmlns="DAV:"><prop><current-user-principal/><resourcetype/></prop></propfind>`

	t.Run("challenge-first well-known", func(t *testing.T) {
		for _, kind := range []string{"caldav", "carddav"} {
			// Apple: unauthenticated PROPFIND, 301, then 401 with a challenge on the target.
			resp, _ := c.do("PROPFIND", "/.well-known/"+kind, false, map[string]string{"Depth": "0"}, cupBody)
			if resp.StatusCode != http.StatusMovedPermanently {
				t.Fatalf("well-known %s: %s, want 301", kind, resp.Status)
			}
			loc := resp.Header.Get("Location")
			resp, _ = c.do("PROPFIND", loc, false, map[string]string{"Depth": "0"}, cupBody)
			if resp.StatusCode != 401 || !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Basic realm=") {
				t.Fatalf("%s unauthenticated: %s, WWW-Authenticate %q", loc, resp.Status, resp.Header.Get("WWW-Authenticate"))
			}
			resp, body := c.do("PROPFIND", loc, true, map[string]string{"Depth": "0"}, cupBody)
			if resp.StatusCode != 207 || !regexp.MustCompile(`<D:current-user-principal><D:href>/principals/alice/</D:href>`).MatchString(body) {
				t.Fatalf("%s authenticated: %s\n%s", loc, resp.Status, body)
			}
			// DAVx5/Thunderbird: pre-emptive Basic on the well-known URL too.
			resp, _ = c.do("PROPFIND", "/.well-known/"+kind, true, map[string]string{"Depth": "0"}, cupBody)
			if resp.StatusCode != http.StatusMovedPermanently {
				t.Fatalf("well-known %s with credentials: %s", kind, resp.Status)
			}
		}
	})

	t.Run("root answers current-user-principal", func(t *testing.T) {
		resp, body := c.do("PROPFIND", "/", true, map[string]string{"Depth": "0"}, cupBody)
		if resp.StatusCode != 207 || !strings.Contains(body, "<D:current-user-principal><D:href>/principals/alice/</D:href>") {
			t.Fatalf("PROPFIND /: %s\n%s", resp.Status, body)
		}
		if dav := resp.Header.Get("DAV"); !strings.Contains(dav, "calendar-access") || !strings.Contains(dav, "addressbook") {
			t.Fatalf("PROPFIND answer's DAV header %q", dav)
		}
	})

	t.Run("OPTIONS DAV header", func(t *testing.T) {
		for _, p := range []string{"/", "/principals/alice/", "/calendars/alice/", "/calendars/alice/default/", "/addressbooks/alice/default/"} {
			resp, _ := c.do("OPTIONS", p, true, nil, "")
			dav := strings.Join(resp.Header.Values("DAV"), ",")
			if resp.StatusCode != 200 || !strings.HasPrefix(dav, "1") || !strings.Contains(dav, "calendar-access") || !strings.Contains(dav, "addressbook") {
				t.Errorf("OPTIONS %s: %s, DAV %q", p, resp.Status, dav)
			}
		}
	})

	t.Run("principal home sets", func(t *testing.T) {
		resp, body := c.do("PROPFIND", "/principals/alice/", true, map[string]string{"Depth": "0"},
			`<propfind xmlns="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav" xmlns:A="urn:ietf:params:xml:ns:carddav"><prop><C:calendar-home-set/><A:addressbook-home-set/><C:calendar-user-address-set/><principal-URL/></prop></propfind>`)
		if resp.StatusCode != 207 {
			t.Fatalf("%s", resp.Status)
		}
		doc, _ := parseXML([]byte(body))
		for _, hs := range []*xnode{doc.find(nsPrefix["C"], "calendar-home-set"), doc.find(nsPrefix["CARD"], "addressbook-home-set")} {
			if hs == nil || len(hs.all("DAV:", "href")) != 1 || !strings.HasSuffix(hs.find("DAV:", "href").text(), "/") {
				t.Fatalf("home set not exactly one href with a trailing slash:\n%s", body)
			}
		}
		set := doc.find(nsPrefix["C"], "calendar-user-address-set")
		if set == nil || set.find("DAV:", "href").text() != "mailto:alice@example.org" {
			t.Fatalf("calendar-user-address-set does not start with mailto:\n%s", body)
		}
		if !strings.HasSuffix(doc.find("DAV:", "principal-URL").find("DAV:", "href").text(), "/") {
			t.Fatalf("principal-URL without trailing slash:\n%s", body)
		}
	})

	t.Run("expand-property and principal-search-property-set", func(t *testing.T) {
		// macOS Calendar's delegation lookup (fixture apple-macos-calendar/18)
		// plus an expansion that has something to expand.
		resp, body := c.do("REPORT", "/principals/alice/", true, map[string]string{"Depth": "0", "Content-Type": "text/xml"},
			`<A:expand-property xmlns:A="DAV:">`+
				`<A:property name="calendar-proxy-read-for" namespace="http://calendarserver.org/ns/"><A:property name="displayname"/></A:property>`+
				`<A:property name="calendar-home-set" namespace="urn:ietf:params:xml:ns:caldav"><A:property name="resourcetype"/><A:property name="owner"><A:property name="displayname"/></A:property></A:property>`+
				`<A:property name="displayname"/></A:expand-property>`)
		if resp.StatusCode != 207 {
			t.Fatalf("expand-property: %s\n%s", resp.Status, body)
		}
		doc, err := parseXML([]byte(body))
		if err != nil {
			t.Fatal(err)
		}
		hs := doc.find(nsPrefix["C"], "calendar-home-set")
		inner := hs.find("DAV:", "response")
		if inner == nil || inner.child("DAV:", "href").text() != "/calendars/alice/" || inner.find("DAV:", "resourcetype").find("DAV:", "collection") == nil {
			t.Fatalf("calendar-home-set not expanded to a response with resourcetype:\n%s", body)
		}
		if owner := inner.find("DAV:", "owner"); owner.find("DAV:", "response") == nil || owner.find("DAV:", "displayname").text() != "alice" {
			t.Fatalf("owner not expanded two levels down:\n%s", body)
		}
		if doc.child("DAV:", "response").child("DAV:", "propstat").find("DAV:", "displayname").text() != "alice" {
			t.Fatalf("displayname not returned:\n%s", body)
		}
		for _, p := range []string{"/principals/", "/principals/alice/"} {
			resp, body = c.do("REPORT", p, true, map[string]string{"Depth": "0", "Content-Type": "text/xml"}, `<A:principal-search-property-set xmlns:A="DAV:"/>`)
			doc, _ = parseXML([]byte(body))
			if resp.StatusCode != 200 || doc == nil || doc.Local != "principal-search-property-set" || doc.find("DAV:", "displayname") == nil ||
				doc.find(nsPrefix["C"], "calendar-user-address-set") == nil {
				t.Fatalf("principal-search-property-set on %s: %s\n%s", p, resp.Status, body)
			}
		}
		resp, body = c.do("PROPFIND", "/principals/alice/", true, map[string]string{"Depth": "0"}, `<propfind xmlns="DAV:"><prop><supported-report-set/></prop></propfind>`)
		if !strings.Contains(body, "expand-property") || !strings.Contains(body, "principal-search-property-set") {
			t.Fatalf("principal's supported-report-set:\n%s", body)
		}
	})

	t.Run("main address book first, minimal answers keep a propstat", func(t *testing.T) {
		resp, body := c.do("MKCOL", "/addressbooks/alice/0-aaa/", true, map[string]string{"Content-Type": "text/xml"},
			`<D:mkcol xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:carddav"><D:set><D:prop><D:resourcetype><D:collection/><C:addressbook/></D:resourcetype><D:displayname>AAA</D:displayname></D:prop></D:set></D:mkcol>`)
		if resp.StatusCode != 201 {
			t.Fatalf("MKCOL: %s %s", resp.Status, body)
		}
		for _, prefer := range [][2]string{{"Prefer", "return=minimal"}, {"Prefer", "return-minimal"}, {"Brief", "t"}} {
			resp, body = c.do("PROPFIND", "/addressbooks/alice/", true, map[string]string{"Depth": "1", prefer[0]: prefer[1]},
				`<propfind xmlns="DAV:" xmlns:X="urn:x-none"><prop><X:nothing/><displayname/></prop></propfind>`)
			doc, _ := parseXML([]byte(body))
			if resp.StatusCode != 207 || doc == nil {
				t.Fatalf("PROPFIND: %s", resp.Status)
			}
			var books []string
			for _, r := range doc.children("DAV:", "response") {
				if r.child("DAV:", "propstat") == nil {
					t.Errorf("%s: %s: a response without propstat:\n%s", prefer, r.child("DAV:", "href").text(), body)
				}
				if strings.Contains(r.child("DAV:", "href").text(), "/addressbooks/alice/") && r.child("DAV:", "href").text() != "/addressbooks/alice/" {
					books = append(books, r.child("DAV:", "href").text())
				}
			}
			if len(books) != 2 || books[0] != "/addressbooks/alice/default/" {
				t.Errorf("%s: address books in the order %v, want the main one (default) first", prefer, books)
			}
			if strings.Contains(body, "404") {
				t.Errorf("%s: minimal answer lists 404 properties:\n%s", prefer, body)
			}
		}
	})

	t.Run("subscription MKCALENDAR refused", func(t *testing.T) {
		resp, body := c.do("MKCALENDAR", "/calendars/alice/holidays/", true, map[string]string{"Content-Type": "text/xml"},
			`<B:mkcalendar xmlns:B="urn:ietf:params:xml:ns:caldav"><A:set xmlns:A="DAV:"><A:prop>`+
				`<A:resourcetype><A:collection/><C:subscribed xmlns:C="http://calendarserver.org/ns/"/></A:resourcetype>`+
				`<C:source xmlns:C="http://calendarserver.org/ns/"><A:href>webcal://example.org/holidays.ics</A:href></C:source>`+
				`<A:displayname>Holidays</A:displayname></A:prop></A:set></B:mkcalendar>`)
		if resp.StatusCode != 403 || !strings.Contains(body, "valid-resourcetype") {
			t.Fatalf("subscription MKCALENDAR: %s, want 403 with DAV:valid-resourcetype\n%s", resp.Status, body)
		}
		if resp, _ := c.do("PROPFIND", "/calendars/alice/holidays/", true, map[string]string{"Depth": "0"}, ""); resp.StatusCode != 404 {
			t.Fatalf("a calendar was created anyway: %s", resp.Status)
		}
	})

	t.Run("README client URLs answer", func(t *testing.T) {
		b, err := os.ReadFile("../README.md")
		if err != nil {
			t.Fatal(err)
		}
		readme := string(b)
		i, j := strings.Index(readme, "### Client accounts"), strings.Index(readme, "## Running in production")
		if i < 0 || j < i {
			t.Fatal("README.md has no Client accounts section before Running in production")
		}
		section := readme[i:j]
		urls := regexp.MustCompile("`(?:url = \"|Server Path )?(https://dav\\.example\\.org)?(/[^`\" ]*)\"?`").FindAllStringSubmatch(section, -1)
		if len(urls) < 8 {
			t.Fatalf("only %d URLs in the Client accounts section", len(urls))
		}
		for _, u := range urls {
			if strings.HasPrefix(u[2], "/dav") {
				continue // the sub-path variant; this server runs at the root
			}
			resp, _ := c.do("PROPFIND", u[2], true, map[string]string{"Depth": "0"}, cupBody)
			if resp.StatusCode != 207 {
				t.Errorf("README URL %s%s: PROPFIND answered %s", u[1], u[2], resp.Status)
			}
		}
		for _, client := range []string{"macOS Calendar", "macOS Contacts", "iOS", "Thunderbird, calendars", "Thunderbird, address books", "DAVx5"} {
			if !strings.Contains(section, "**"+client) {
				t.Errorf("README.md has no steps for %s", client)
			}
		}
	})

	// Objects whose names carry '+' and '@'.
	ics := func(uid string) string {
		return strings.ReplaceAll("BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//t//t//EN\nBEGIN:VEVENT\nUID:"+uid+"\nDTSTAMP:20250101T000000Z\nDTSTART:20250101T100000Z\nSUMMARY:x\nEND:VEVENT\nEND:VCALENDAR\n", "\n", "\r\n")
	}
	if resp, body := c.do("PUT", "/calendars/alice/default/conf+2025@example.org.ics", true, map[string]string{"Content-Type": "text/calendar"}, ics("plus-at")); resp.StatusCode != 201 {
		t.Fatalf("PUT: %s %s", resp.Status, body)
	}

	t.Run("plus and %40 in hrefs", func(t *testing.T) {
		resp, body := c.do("PROPFIND", "/calendars/alice/default/", true, map[string]string{"Depth": "1"}, `<propfind xmlns="DAV:"><prop><getetag/></prop></propfind>`)
		if resp.StatusCode != 207 || !strings.Contains(body, "conf+2025") || strings.Contains(body, "conf%2B2025") || strings.Contains(body, "conf 2025") {
			t.Fatalf("'+' not kept as '+' in the listing:\n%s", body)
		}
		if resp, _ := c.do("GET", "/calendars/alice/default/conf+2025%40example.org.ics", true, nil, ""); resp.StatusCode != 200 {
			t.Fatalf("GET with %%40: %s", resp.Status)
		}
		if resp, _ := c.do("GET", "/calendars/alice/default/conf%2B2025%40example.org.ics", true, nil, ""); resp.StatusCode != 200 {
			t.Fatalf("GET with %%2B%%40: %s", resp.Status)
		}
	})

	t.Run("status lines, propstat order and member properties", func(t *testing.T) {
		for _, coll := range []string{"/calendars/alice/default/", "/addressbooks/alice/default/"} {
			resp, body := c.do("PROPFIND", coll, true, map[string]string{"Depth": "1"},
				`<propfind xmlns="DAV:" xmlns:X="urn:x-test"><prop><resourcetype/><getcontenttype/><getetag/><X:nothing/></prop></propfind>`)
			if resp.StatusCode != 207 {
				t.Fatalf("%s: %s", coll, resp.Status)
			}
			doc, err := parseXML([]byte(body))
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range doc.children("DAV:", "response") {
				href := r.child("DAV:", "href").text()
				ps := r.children("DAV:", "propstat")
				if len(ps) == 0 || ps[0].child("DAV:", "status").text() != "HTTP/1.1 200 OK" {
					t.Errorf("%s: the first propstat is not exactly 'HTTP/1.1 200 OK':\n%s", href, body)
				}
				for _, st := range r.all("DAV:", "status") {
					if !regexp.MustCompile(`^HTTP/1\.1 \d{3} [A-Z]`).MatchString(st.text()) || st.Text != st.text() {
						t.Errorf("%s: status line %q", href, st.Text)
					}
				}
				if r.find("DAV:", "resourcetype") == nil {
					t.Errorf("%s: no resourcetype", href)
				}
				if strings.HasSuffix(href, "/") {
					continue
				}
				etag := r.find("DAV:", "getetag").text()
				if !strings.HasPrefix(etag, `"`) || strings.HasPrefix(etag, "W/") {
					t.Errorf("%s: getetag %q is not a strong ETag", href, etag)
				}
				if ct := r.find("DAV:", "getcontenttype").text(); !strings.HasPrefix(ct, "text/calendar") && !strings.HasPrefix(ct, "text/vcard") {
					t.Errorf("%s: getcontenttype %q", href, ct)
				}
			}
		}
	})

	t.Run("invalid sync tokens", func(t *testing.T) {
		body := `<sync-collection xmlns="DAV:"><sync-token>urn:uuid:6A2D8A2C-3C3C-4B5B-9F1E-5E4D3C2B1A00</sync-token><sync-level>1</sync-level><prop><getetag/></prop></sync-collection>`
		for _, tc := range []struct {
			path, ua string
			want     int
		}{
			{"/calendars/alice/default/", "macOS/14.0 CalendarAgent/961", 403},
			{"/calendars/alice/default/", "Mozilla/5.0 Thunderbird/128.5.2", 403},
			{"/addressbooks/alice/default/", "DAVx5/4.5-ose (okhttp)", 403},
			{"/addressbooks/alice/default/", "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Thunderbird/128.5.2", 400},
		} {
			resp, rb := c.do("REPORT", tc.path, true, map[string]string{"Depth": "1", "User-Agent": tc.ua, "Content-Type": "text/xml"}, body)
			if resp.StatusCode != tc.want || !strings.Contains(rb, "valid-sync-token") {
				t.Errorf("%s as %q: %s, want %d with DAV:valid-sync-token\n%s", tc.path, tc.ua, resp.Status, tc.want, rb)
			}
		}
	})

	t.Run("multiget of thousands of hrefs", func(t *testing.T) {
		const have, missing = 300, 2700
		var wg sync.WaitGroup
		errs := make(chan error, have)
		sem := make(chan struct{}, 16)
		for i := range have {
			wg.Add(1)
			go func() {
				defer wg.Done()
				sem <- struct{}{}
				defer func() { <-sem }()
				card := strings.ReplaceAll(fmt.Sprintf("BEGIN:VCARD\nVERSION:3.0\nUID:bulk-%d\nFN:Bulk %d\nN:%d;Bulk;;;\nEND:VCARD\n", i, i, i), "\n", "\r\n")
				resp, _ := c.do("PUT", fmt.Sprintf("/addressbooks/alice/default/bulk-%d.vcf", i), true, map[string]string{"Content-Type": "text/vcard"}, card)
				if resp.StatusCode != 201 {
					errs <- fmt.Errorf("PUT bulk-%d: %s", i, resp.Status)
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		var b strings.Builder
		b.WriteString(`<C:addressbook-multiget xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:carddav"><D:prop><D:getetag/><C:address-data/></D:prop>`)
		for i := range have + missing {
			fmt.Fprintf(&b, "<D:href>/addressbooks/alice/default/bulk-%d.vcf</D:href>", i)
		}
		b.WriteString(`</C:addressbook-multiget>`)
		start := time.Now()
		resp, body := c.do("REPORT", "/addressbooks/alice/default/", true, map[string]string{"Depth": "1", "Content-Type": "text/xml", "User-Agent": "Thunderbird/128.5.2"}, b.String())
		if resp.StatusCode != 207 {
			t.Fatalf("multiget: %s\n%s", resp.Status, truncate(body, 2000))
		}
		if resp.ContentLength >= 0 && len(body) > 1<<16 {
			t.Errorf("multiget answer of %d bytes was buffered (Content-Length set), not streamed", len(body))
		}
		doc, err := parseXML([]byte(body))
		if err != nil {
			t.Fatal(err)
		}
		found, notFound := 0, 0
		for _, r := range doc.children("DAV:", "response") {
			switch {
			case r.child("DAV:", "status") != nil && strings.Contains(r.child("DAV:", "status").text(), "404"):
				notFound++
			case strings.Contains(r.find(nsPrefix["CARD"], "address-data").text(), "BEGIN:VCARD"):
				found++
			}
		}
		if found != have || notFound != missing {
			t.Fatalf("multiget: %d found, %d 404, want %d and %d", found, notFound, have, missing)
		}
		t.Logf("multiget of %d hrefs: %v", have+missing, time.Since(start))
	})
}

type trapClient struct {
	t          *testing.T
	s          *server
	client     *http.Client
	user, pass string // alice's unless set
}

func (c *trapClient) do(method, path string, auth bool, hdr map[string]string, body string) (*http.Response, string) {
	c.t.Helper()
	req, err := http.NewRequest(method, c.s.URL+path, strings.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	if body == "" {
		req.Body, req.ContentLength = nil, 0
	}
	if auth {
		if c.user != "" {
			req.SetBasicAuth(c.user, c.pass)
		} else {
			req.SetBasicAuth("alice", "alice-pw")
		}
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := c.client.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	buf := make([]byte, 32<<10)
	for {
		n, err := resp.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return resp, b.String()
}

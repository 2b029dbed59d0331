package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// client speaks HTTP to the server under test.
type client struct {
	hc             *http.Client
	base           *url.URL
	user, password string
	cal, book      *url.URL // collections, ending in /
	created        []*url.URL
}

func newClient(c *config, conns int) *client {
	tr := &http.Transport{MaxIdleConns: conns * 2, MaxIdleConnsPerHost: conns * 2, IdleConnTimeout: time.Minute,
		DisableCompression: true}
	u, _ := url.Parse(c.url)
	return &client{hc: &http.Client{Transport: tr, Timeout: c.timeout}, base: u, user: c.user, password: c.password}
}

// reply is a read response with the time to its last byte.
type reply struct {
	status int
	header http.Header
	body   []byte
	dur    time.Duration
}

func (cl *client) do(ctx context.Context, method string, u *url.URL, hdr map[string]string, body string) (*reply, error) {
	req, err := http.NewRequestWithContext(ctx, method, u.String(), strings.NewReader(body))
	if err != nil {
		return nil, err
	}
	if cl.user != "" {
		req.SetBasicAuth(cl.user, cl.password)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	t0 := time.Now()
	resp, err := cl.hc.Do(req)
	if err != nil {
		return nil, err
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	r := &reply{status: resp.StatusCode, header: resp.Header, body: b, dur: time.Since(t0)}
	if err != nil {
		return r, err
	}
	return r, nil
}

func xmlHdr(depth string) map[string]string {
	h := map[string]string{"Content-Type": "application/xml; charset=utf-8"}
	if depth != "" {
		h["Depth"] = depth
	}
	return h
}

// propHref PROPFINDs u at Depth 0 for one href-valued property.
func (cl *client) propHref(ctx context.Context, u *url.URL, ns, local string) (*url.URL, error) {
	body := `<?xml version="1.0"?><d:propfind xmlns:d="DAV:" xmlns:x="` + ns + `"><d:prop><x:` + local + `/></d:prop></d:propfind>`
	r, err := cl.do(ctx, "PROPFIND", u, xmlHdr("0"), body)
	if err != nil {
		return nil, err
	}
	if r.status != http.StatusMultiStatus {
		return nil, fmt.Errorf("PROPFIND %s %s: status %d", u, local, r.status)
	}
	href, ok := findHrefIn(r.body, ns, local)
	if !ok {
		return nil, fmt.Errorf("PROPFIND %s: no %s in the answer", u, local)
	}
	return u.Parse(href)
}

// setup finds or creates the calendar and address book.
func (cl *client) setup(ctx context.Context, c *config) error {
	var calHome, bookHome *url.URL
	if c.calURL == "" || c.bookURL == "" {
		p, err := cl.propHref(ctx, cl.base, "DAV:", "current-user-principal")
		if err != nil {
			return fmt.Errorf("discovery: %w", err)
		}
		if calHome, err = cl.propHref(ctx, p, nsCal, "calendar-home-set"); err != nil {
			return fmt.Errorf("discovery: %w", err)
		}
		if bookHome, err = cl.propHref(ctx, p, nsCard, "addressbook-home-set"); err != nil {
			return fmt.Errorf("discovery: %w", err)
		}
	}
	stamp := fmt.Sprintf("davload-%d-%d", c.seed, time.Now().UnixNano()%1e9)
	var err error
	if c.calURL != "" {
		cl.cal, err = cl.base.Parse(dirURL(c.calURL))
	} else {
		cl.cal, err = cl.mkcol(ctx, calHome, stamp+"-cal/", "MKCALENDAR",
			`<?xml version="1.0"?><c:mkcalendar xmlns:d="DAV:" xmlns:c="`+nsCal+`"><d:set><d:prop>`+
				`<d:displayname>davload</d:displayname><c:supported-calendar-component-set>`+
				`<c:comp name="VEVENT"/><c:comp name="VTODO"/></c:supported-calendar-component-set></d:prop></d:set></c:mkcalendar>`)
	}
	if err != nil {
		return err
	}
	if c.bookURL != "" {
		cl.book, err = cl.base.Parse(dirURL(c.bookURL))
	} else {
		cl.book, err = cl.mkcol(ctx, bookHome, stamp+"-book/", "MKCOL",
			`<?xml version="1.0"?><d:mkcol xmlns:d="DAV:" xmlns:a="`+nsCard+`"><d:set><d:prop>`+
				`<d:resourcetype><d:collection/><a:addressbook/></d:resourcetype><d:displayname>davload</d:displayname>`+
				`</d:prop></d:set></d:mkcol>`)
	}
	return err
}

func dirURL(s string) string {
	if !strings.HasSuffix(s, "/") {
		return s + "/"
	}
	return s
}

func (cl *client) mkcol(ctx context.Context, home *url.URL, name, method, body string) (*url.URL, error) {
	u, err := home.Parse(name)
	if err != nil {
		return nil, err
	}
	r, err := cl.do(ctx, method, u, xmlHdr(""), body)
	if err != nil {
		return nil, err
	}
	if r.status != http.StatusCreated {
		return nil, fmt.Errorf("%s %s: status %d: %.200s", method, u, r.status, r.body)
	}
	cl.created = append(cl.created, u)
	return u, nil
}

func (cl *client) teardown() {
	for _, u := range cl.created {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		_, _ = cl.do(ctx, "DELETE", u, nil, "")
		cancel()
	}
}

// put stores one resource; it wants 201 or 204.
func (cl *client) put(ctx context.Context, coll *url.URL, name, ctype, data string, create bool) (*reply, error) {
	u, _ := coll.Parse(name)
	h := map[string]string{"Content-Type": ctype}
	if create {
		h["If-None-Match"] = "*"
	}
	r, err := cl.do(ctx, "PUT", u, h, data)
	if err != nil {
		return r, err
	}
	if r.status != http.StatusCreated && r.status != http.StatusNoContent {
		return r, fmt.Errorf("PUT %s: status %d: %.200s", name, r.status, bytes.TrimSpace(r.body))
	}
	return r, nil
}

// uploadStats reports the upload of one collection.
type uploadStats struct {
	Collection   string  `json:"collection"`
	Items        int     `json:"items"`
	OK           int     `json:"ok"`
	Concurrency  int     `json:"concurrency"`
	Seconds      float64 `json:"seconds"`
	ItemsPerSec  float64 `json:"items_per_sec"`
	P50ms        float64 `json:"p50_ms"`
	P95ms        float64 `json:"p95_ms"`
	CPUmsPerItem float64 `json:"server_cpu_ms_per_item,omitempty"`
	RSSMaxMB     float64 `json:"server_rss_max_mb,omitempty"`
	FirstError   string  `json:"first_error,omitempty"`
}

func upload(ctx context.Context, cl *client, ds *dataset, conc int, proc *procSampler) ([]uploadStats, error) {
	type item struct{ name, data string }
	var out []uploadStats
	for _, part := range []struct {
		coll  *url.URL
		ctype string
		items []item
	}{
		{cl.cal, "text/calendar; charset=utf-8", func() (s []item) {
			for _, e := range ds.events {
				s = append(s, item{e.name, e.data})
			}
			return
		}()},
		{cl.book, "text/vcard; charset=utf-8", func() (s []item) {
			for _, c := range ds.cards {
				s = append(s, item{c.name, c.data})
			}
			return
		}()},
	} {
		st := uploadStats{Collection: part.coll.String(), Items: len(part.items), Concurrency: conc}
		var next, okN atomic.Int64
		var mu sync.Mutex
		durs := make([]time.Duration, 0, len(part.items))
		cpu0 := proc.cpu()
		proc.resetMax()
		t0 := time.Now()
		var wg sync.WaitGroup
		for range conc {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					i := int(next.Add(1)) - 1
					if i >= len(part.items) || ctx.Err() != nil {
						return
					}
					r, err := cl.put(ctx, part.coll, part.items[i].name, part.ctype, part.items[i].data, true)
					mu.Lock()
					if err != nil && st.FirstError == "" {
						st.FirstError = err.Error()
					}
					if r != nil {
						durs = append(durs, r.dur)
					}
					mu.Unlock()
					if err == nil {
						okN.Add(1)
					}
				}
			}()
		}
		wg.Wait()
		st.Seconds = time.Since(t0).Seconds()
		st.OK = int(okN.Load())
		st.ItemsPerSec = float64(st.OK) / st.Seconds
		p := percentiles(durs)
		st.P50ms, st.P95ms = p[0], p[1]
		if cpu := proc.cpu() - cpu0; cpu > 0 && st.OK > 0 {
			st.CPUmsPerItem = cpu / float64(st.OK)
		}
		st.RSSMaxMB = proc.maxRSS()
		out = append(out, st)
		if st.OK != st.Items {
			return out, fmt.Errorf("upload to %s: %d of %d stored; first error: %s", st.Collection, st.OK, st.Items, st.FirstError)
		}
	}
	return out, nil
}

package dav

import (
	"context"
	"encoding/xml"
	"fmt"
	"html"
	"io"
	"net/http"
	"strconv"
)

// listingType is the media type of a collection's GET: a short HTML
// listing of its members, for a person with a browser.
const listingType = "text/html; charset=utf-8"

func (h *Handler) listing(w http.ResponseWriter, r *http.Request, res *Resource) error {
	w.Header().Set("Content-Type", listingType)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if r.Method == http.MethodHead {
		w.WriteHeader(http.StatusOK)
		return nil
	}
	if err := h.writeListing(r.Context(), w, res); err != nil {
		Logger(r.Context()).Error("collection listing aborted", "err", err)
		panic(http.ErrAbortHandler)
	}
	return nil
}

// listingMax bounds the objects a collection's listing names, so that
// the listing, and getcontentlength, which is its length, cost one small
// index probe however large the collection (an allprop PROPFIND of a
// home asks for every calendar's). A browser shows a person the first
// ones; clients list members with PROPFIND.
const listingMax = 100

// writeListing writes the HTML listing of a collection resource.
func (h *Handler) writeListing(ctx context.Context, w io.Writer, res *Resource) error {
	title := html.EscapeString(res.Href)
	fmt.Fprintf(w, "<!doctype html>\n<meta charset=utf-8>\n<title>%s</title>\n<h1>%s</h1>\n<ul>\n", title, title)
	item := func(href, label string) {
		fmt.Fprintf(w, "<li><a href=\"%s\">%s</a></li>\n", html.EscapeString(href), html.EscapeString(label))
	}
	if res.Kind == KindCollection {
		names, err := h.store.ListObjectNames(ctx, res.Collection.ID, listingMax+1)
		if err != nil {
			return err
		}
		for i, name := range names {
			if i == listingMax {
				fmt.Fprintf(w, "</ul>\n<p>Only the first %d members are listed here.</p>\n", listingMax)
				return nil
			}
			href := res.MemberHref(name)
			item(href, href)
		}
		fmt.Fprint(w, "</ul>\n")
		return nil
	}
	err := h.members(ctx, res, &Propfind{Kind: PropfindProp}, func(m *Resource) error {
		label := m.Href
		if m.Collection != nil && m.Kind == KindCollection && m.Collection.DisplayName != "" {
			label = m.Collection.DisplayName + " (" + m.Href + ")"
		}
		item(m.Href, label)
		return nil
	})
	fmt.Fprint(w, "</ul>\n")
	return err
}

// byteCounter counts what is written to it.
type byteCounter struct{ n int }

func (c *byteCounter) Write(p []byte) (int, error) { c.n += len(p); return len(p), nil }

// Names of the properties a collection defines because it answers GET
// with a body (RFC 4918 15.4, 15.5): the listing's type and length.
var (
	propContentLength = DAVName("getcontentlength")
	propContentType   = DAVName("getcontenttype")
)

// listingProps appends getcontenttype and getcontentlength of a
// collection resource (anything but an object) for a PROPFIND that asks
// for them, by name or with allprop. The length is that of the listing
// GET would send now, so it costs a listing of the members, and is worked
// out only when asked.
func (h *Handler) listingProp(ctx context.Context, res *Resource, n xml.Name) (Prop, bool, error) {
	switch {
	case res.Kind == KindObject:
		return Prop{}, false, nil
	case n == propContentType:
		return Prop{Name: n, Status: http.StatusOK, Inner: EscapeText(listingType)}, true, nil
	case n == propContentLength:
		var c byteCounter
		if err := h.writeListing(ctx, &c, res); err != nil {
			return Prop{}, false, err
		}
		return Prop{Name: n, Status: http.StatusOK, Inner: strconv.Itoa(c.n)}, true, nil
	}
	return Prop{}, false, nil
}

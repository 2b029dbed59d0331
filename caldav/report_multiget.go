package caldav

import (
	"net/http"

	"github.com/pgdav/pgdav/backend"
	"github.com/pgdav/pgdav/internal/dav"
)

// calendarMultiget answers CALDAV:calendar-multiget (RFC 4791 7.9): one
// response per distinct resource named, read by one indexed query and
// streamed. A name with no object gets a response-level 404; an href
// outside the request's collection gets 404, and one in another user's
// space 403, for that item alone (RFC 4918 13). The Depth header is
// ignored, as 7.9 says.
func (t *Type) calendarMultiget(w http.ResponseWriter, r *http.Request, res *dav.Resource, body []byte) error {
	mg, err := parseCalendarMultiget(body)
	if err != nil {
		return err
	}
	type refused struct {
		href   string
		status int
	}
	var (
		names   []string
		seen    = map[string]bool{}
		outside []refused
	)
	for _, h := range mg.Hrefs {
		name, status := res.MemberName(h)
		if status != http.StatusOK {
			outside = append(outside, refused{h, status})
			continue
		}
		if !seen[name] {
			seen[name] = true
			names = append(names, name)
		}
	}
	ctx := r.Context()
	floating := floatingZone(res.Collection, nil)
	mp, err := res.NewMemberProps(ctx, mg.Props)
	if err != nil {
		return err
	}
	ms := dav.NewMultistatus(w, dav.MultistatusOptions{Minimal: dav.PreferMinimal(r)})
	found := make(map[string]bool, len(names))
	err = t.store.GetObjectsByName(ctx, res.Collection.ID, names, mg.Data != nil, func(o backend.Object) error {
		found[o.Name] = true
		member, props, err := mp.For(ctx, &o)
		if err != nil {
			return err
		}
		if mg.Data != nil {
			p, err := dataProp(mg.Data, &o, floating)
			if err != nil {
				return err
			}
			props = append(props, p)
		}
		return ms.Response(member.Href, props)
	})
	for _, n := range names {
		if err != nil {
			break
		}
		if !found[n] {
			err = ms.StatusResponse(res.MemberHref(n), http.StatusNotFound)
		}
	}
	for _, o := range outside {
		if err != nil {
			break
		}
		err = ms.StatusResponse(o.href, o.status)
	}
	if err == nil {
		err = ms.Close()
	}
	return dav.Finish(r, ms, err)
}

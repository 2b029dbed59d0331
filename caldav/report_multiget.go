package caldav

import (
	"net/http"

	"github.com/pgdav/pgdav/caldav/internal/ictime"
	"github.com/pgdav/pgdav/internal/dav"
)

// calendarMultiget answers CALDAV:calendar-multiget (RFC 4791 7.9) with
// the engine's multiget (dav.MemberAnswer.Multiget): one response per
// distinct resource named, read by one indexed query and streamed; a
// name with no object gets a response-level 404, an href outside the
// request's collection 404 and one in another user's space 403, for that
// item alone (RFC 4918 13). The Depth header is ignored, as 7.9 says.
func (t *Type) calendarMultiget(w http.ResponseWriter, r *http.Request, res *dav.Resource, body []byte) error {
	mg, err := parseCalendarMultiget(body)
	if err != nil {
		return err
	}
	a, err := res.AnswerMembers(w, r, mg.Props, calendarData(mg.Data, floatingZone(res.Collection, nil), ictime.NewWork()))
	if err != nil {
		return err
	}
	return a.Multiget(r, mg.Hrefs)
}

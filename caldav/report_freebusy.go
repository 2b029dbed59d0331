package caldav

import (
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/emersion/go-ical"

	"github.com/pgdav/pgdav/backend"
	"github.com/pgdav/pgdav/caldav/internal/ictime"
	"github.com/pgdav/pgdav/internal/dav"
)

// freeBusy answers CALDAV:free-busy-query (RFC 4791 7.10) on a calendar,
// or on the calendar home for all the user's calendars: 200 with one
// VFREEBUSY whose FREEBUSY periods are typed by the 7.10 table (TRANSP and
// STATUS of each VEVENT instance; FBTYPE of VFREEBUSY periods), clipped to
// the range, and coalesced per type where they overlap or touch.
func (t *Type) freeBusy(w http.ResponseWriter, r *http.Request, res *dav.Resource, body []byte) error {
	q, err := parseFreeBusyQuery(body)
	if err != nil {
		return err
	}
	ctx := r.Context()
	var cols []backend.Collection
	if res.Kind == dav.KindHome {
		if cols, err = t.store.ListCollections(ctx, res.Principal.ID, backend.KindCalendar); err != nil {
			return err
		}
	} else {
		cols = []backend.Collection{*res.Collection}
	}
	busy := map[string][]period{}
	work := ictime.NewWork() // the engine's budget for every object of the answer
	for i := range cols {
		c := &cols[i]
		floating := floatingZone(c, nil)
		// PostgreSQL merges the periods of the events whose stored times
		// are exact over the range; the others are evaluated here.
		window := backend.Interval{Start: q.Range.Start, End: q.Range.End}
		bt, err := t.store.FreeBusy(ctx, c.ID, []string{ical.CompEvent, ical.CompFreeBusy}, window, zoneKey(floating), func(o backend.Object) error {
			cal, err := decodeCalendar(o.Data)
			if err != nil {
				dav.Logger(ctx).Warn("calendar object left out of free-busy", "object", o.Name, "err", err)
				return nil
			}
			tc := ictime.NewContext(cal, floating)
			tc.Charge(work)
			if err := collectBusy(tc, cal, q.Range, busy); err != nil {
				dav.Logger(ctx).Warn("calendar object left out of free-busy", "object", o.Name, "err", err)
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, iv := range bt.Busy {
			busy["BUSY"] = append(busy["BUSY"], period{iv.Start, iv.End})
		}
		for _, iv := range bt.Tentative {
			busy["BUSY-TENTATIVE"] = append(busy["BUSY-TENTATIVE"], period{iv.Start, iv.End})
		}
	}
	out := freeBusyCalendar(q.Range, busy)
	w.Header().Set("Content-Type", "text/calendar; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(out)
	return nil
}

type period struct{ start, end time.Time }

// collectBusy adds the busy periods of one resource, by FBTYPE.
func collectBusy(tc *ictime.Context, cal *ical.Calendar, tr TimeRange, busy map[string][]period) error {
	done := map[string]bool{} // one recurrence set per UID
	for _, c := range cal.Children {
		switch c.Name {
		case ical.CompEvent:
			uid := ""
			if p := c.Props.Get(ical.PropUID); p != nil {
				uid = p.Value
			}
			if done[uid] {
				continue
			}
			done[uid] = true
			err := tc.Instances(c, tr, func(in ictime.Instance) bool {
				if fb := eventFBType(in.Comp); fb != "" && in.End.After(in.Start) {
					busy[fb] = append(busy[fb], clipPeriod(period{in.Start, in.End}, tr))
				}
				return true
			})
			if err != nil {
				return err
			}
		case ical.CompFreeBusy:
			for _, p := range c.Props.Values(ical.PropFreeBusy) {
				fb := strings.ToUpper(p.Params.Get(ical.ParamFreeBusyType))
				if fb == "" {
					fb = "BUSY" // RFC 5545 3.2.9 default
				}
				if fb == "FREE" {
					continue
				}
				for _, v := range strings.Split(p.Value, ",") {
					per, ok := parsePeriod(v)
					if ok && tr.Overlaps(per.start, per.end) {
						busy[fb] = append(busy[fb], clipPeriod(per, tr))
					}
				}
			}
		}
	}
	return nil
}

// eventFBType is the RFC 4791 7.10 table: transparent or cancelled events
// are free (left out), tentative ones BUSY-TENTATIVE, others BUSY.
func eventFBType(c *ical.Component) string {
	if p := c.Props.Get(ical.PropTransparency); p != nil && strings.EqualFold(strings.TrimSpace(p.Value), "TRANSPARENT") {
		return ""
	}
	status := ""
	if p := c.Props.Get(ical.PropStatus); p != nil {
		status = strings.ToUpper(strings.TrimSpace(p.Value))
	}
	switch status {
	case "CANCELLED":
		return ""
	case "TENTATIVE":
		return "BUSY-TENTATIVE"
	}
	return "BUSY"
}

// parsePeriod parses an RFC 5545 3.3.9 PERIOD in UTC: start/end or
// start/duration.
func parsePeriod(v string) (period, bool) {
	a, b, ok := strings.Cut(strings.TrimSpace(v), "/")
	if !ok {
		return period{}, false
	}
	start, err := time.Parse("20060102T150405Z", a)
	if err != nil {
		return period{}, false
	}
	if end, err := time.Parse("20060102T150405Z", b); err == nil {
		return period{start, end}, end.After(start)
	}
	p := ical.NewProp("DURATION")
	p.Value = b
	d, err := p.Duration()
	if err != nil || d <= 0 {
		return period{}, false
	}
	return period{start, start.Add(d)}, true
}

func clipPeriod(p period, tr TimeRange) period {
	if !tr.Start.IsZero() && p.start.Before(tr.Start) {
		p.start = tr.Start
	}
	if !tr.End.IsZero() && p.end.After(tr.End) {
		p.end = tr.End
	}
	return p
}

// coalesce merges overlapping or touching periods (RFC 4791 7.10).
func coalesce(ps []period) []period {
	slices.SortFunc(ps, func(a, b period) int { return a.start.Compare(b.start) })
	var out []period
	for _, p := range ps {
		if n := len(out); n > 0 && !p.start.After(out[n-1].end) {
			if p.end.After(out[n-1].end) {
				out[n-1].end = p.end
			}
			continue
		}
		out = append(out, p)
	}
	return out
}

// freeBusyCalendar encodes the answer: a VCALENDAR with one VFREEBUSY
// holding DTSTAMP, DTSTART and DTEND of the range and the periods.
func freeBusyCalendar(tr TimeRange, busy map[string][]period) []byte {
	const utc = "20060102T150405Z"
	fb := ical.NewComponent(ical.CompFreeBusy)
	fb.Props.SetDateTime(ical.PropDateTimeStamp, time.Now().UTC())
	fb.Props.SetDateTime(ical.PropDateTimeStart, tr.Start.UTC())
	fb.Props.SetDateTime(ical.PropDateTimeEnd, tr.End.UTC())
	types := make([]string, 0, len(busy))
	for k := range busy {
		types = append(types, k)
	}
	slices.Sort(types)
	for _, typ := range types {
		var vals []string
		for _, p := range coalesce(busy[typ]) {
			vals = append(vals, p.start.UTC().Format(utc)+"/"+p.end.UTC().Format(utc))
		}
		if len(vals) == 0 {
			continue
		}
		prop := ical.NewProp(ical.PropFreeBusy)
		prop.Params.Set(ical.ParamFreeBusyType, typ)
		prop.Value = strings.Join(vals, ",")
		fb.Props.Add(prop)
	}
	cal := ical.NewCalendar()
	cal.Props.SetText(ical.PropVersion, "2.0")
	cal.Props.SetText(ical.PropProductID, "-//pgdav//pgdav//EN")
	cal.Children = append(cal.Children, fb)
	// Our encoder, not go-ical's: that one demands a UID, which RFC 4791
	// 7.10's VFREEBUSY answer does not have.
	return []byte(encodeICalendar(cal.Component))
}

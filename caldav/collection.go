package caldav

import (
	"encoding/xml"

	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-ical"

	"github.com/pgdav/pgdav/backend"
	"github.com/pgdav/pgdav/caldav/internal/ictime"
	"github.com/pgdav/pgdav/internal/dav"
)

// Type is the calendar collection type: what CalDAV (RFC 4791) adds to
// the generic WebDAV handlers.
type Type struct {
	maxResourceSize int64
	store           Store
}

// NewType returns the calendar collection type; maxResourceSize is
// advertised as CALDAV:max-resource-size (RFC 4791 5.2.5). The REPORTs
// read from st.
func NewType(maxResourceSize int64, st Store) *Type {
	return &Type{maxResourceSize: maxResourceSize, store: st}
}

var _ dav.CollectionType = (*Type)(nil)

func (*Type) Kind() backend.CollectionKind { return backend.KindCalendar }
func (*Type) HomeSegment() string          { return "calendars" }
func (*Type) HomeSetProperty() xml.Name    { return dav.CalDAVName("calendar-home-set") }
func (*Type) ResourceType() xml.Name       { return dav.CalDAVName("calendar") }
func (*Type) CreateMethod() string         { return "MKCALENDAR" }

// PreconditionName puts a shared precondition in the CalDAV namespace.
func (*Type) PreconditionName(local string) xml.Name { return dav.CalDAVName(local) }

// allowedComponents is a calendar's component set; an empty set means
// every type (RFC 4791 5.2.3: without the property, any is accepted).
func allowedComponents(c *backend.Collection) []string {
	if len(c.Components) == 0 {
		return Components()
	}
	return c.Components
}

// CollectionProps are the CalDAV properties of a calendar (RFC 4791 5.2)
// and Apple's colour and order, which every Apple client reads.
func (t *Type) CollectionProps() []dav.LiveProp {
	return append([]dav.LiveProp{
		{Name: dav.CalDAVName("calendar-description"), AllProp: true, Value: func(res *dav.Resource) (string, bool) {
			return dav.EscapeText(res.Collection.Description), res.Collection.Description != ""
		}},
		{Name: dav.CalDAVName("calendar-timezone"), Value: func(res *dav.Resource) (string, bool) {
			return dav.EscapeText(res.Collection.Timezone), res.Collection.Timezone != ""
		}},
		// RFC 7809 5.2: the identifier of the zone calendar-timezone holds.
		{Name: dav.CalDAVName("calendar-timezone-id"), Value: func(res *dav.Resource) (string, bool) {
			id := timezoneID(res.Collection.Timezone)
			return dav.EscapeText(id), id != ""
		}},
		{Name: dav.CalDAVName("supported-calendar-component-set"), Protected: true, Value: func(res *dav.Resource) (string, bool) {
			var b strings.Builder
			for _, c := range allowedComponents(res.Collection) {
				b.WriteString(`<C:comp name="` + c + `"/>`)
			}
			return b.String(), true
		}},
		{Name: dav.CalDAVName("supported-calendar-data"), Protected: true, Value: func(*dav.Resource) (string, bool) {
			return `<C:calendar-data content-type="text/calendar" version="2.0"/>`, true
		}},
		// RFC 4791 7.5.1: the collations text-match accepts.
		{Name: dav.CalDAVName("supported-collation-set"), Protected: true, Value: func(*dav.Resource) (string, bool) {
			var b strings.Builder
			for _, c := range supportedCollations {
				b.WriteString("<C:supported-collation>" + dav.EscapeText(c) + "</C:supported-collation>")
			}
			return b.String(), true
		}},
		{Name: dav.CalDAVName("max-resource-size"), Protected: true, Value: func(*dav.Resource) (string, bool) {
			return strconv.FormatInt(t.maxResourceSize, 10), true
		}},
		{Name: dav.ICalName("calendar-color"), AllProp: true, Value: func(res *dav.Resource) (string, bool) {
			return dav.EscapeText(res.Collection.Color), res.Collection.Color != ""
		}},
		{Name: dav.ICalName("calendar-order"), AllProp: true, Value: func(res *dav.Resource) (string, bool) {
			if res.Collection.Order == nil {
				return "", false
			}
			return strconv.Itoa(*res.Collection.Order), true
		}},
	}, limitProps()...) // RFC 4791 5.2.6–5.2.8 (limits.go)
}

// SetCollectionProp applies a calendar live property from PROPPATCH or
// MKCALENDAR.
func (*Type) SetCollectionProp(p dav.PropertyValue, ch *dav.CollectionChange) (bool, error) {
	u := &ch.Update
	switch p.Name {
	case dav.CalDAVName("calendar-description"):
		v := p.Text
		u.Description = &v
	case dav.CalDAVName("calendar-timezone"):
		// RFC 4791 5.2.2: a VCALENDAR with exactly one VTIMEZONE.
		if err := validateTimezone(p.Text); err != nil {
			return true, err
		}
		v := p.Text
		u.Timezone = &v
	case dav.CalDAVName("calendar-timezone-id"):
		v, err := timezoneForID(p.Text, time.Now())
		if err != nil {
			return true, err
		}
		u.Timezone = &v
	case dav.ICalName("calendar-color"):
		v := strings.TrimSpace(p.Text)
		if len(v) > 64 {
			return true, dav.Errorf(http.StatusConflict, "calendar-color is longer than 64 characters")
		}
		u.Color = &v
	case dav.ICalName("calendar-order"):
		n, err := strconv.Atoi(strings.TrimSpace(p.Text))
		if err != nil {
			return true, dav.Errorf(http.StatusConflict, "calendar-order must be a whole number, not %q", p.Text)
		}
		u.Order = &n
		u.ClearOrder = false // a later set undoes an earlier remove (RFC 4918 9.2: document order)
	case dav.CalDAVName("supported-calendar-component-set"):
		if !ch.Creating {
			return false, nil // protected after creation
		}
		comps, err := componentSet(p)
		if err != nil {
			return true, err
		}
		ch.Components = comps
	default:
		return false, nil
	}
	return true, nil
}

// componentSet reads <C:comp name="…"/> children (RFC 4791 5.2.3).
func componentSet(p dav.PropertyValue) ([]string, error) {
	var names []string
	for i, c := range p.Children {
		if c != dav.CalDAVName("comp") {
			continue
		}
		if name, ok := dav.AttrIn(p.ChildAttrs[i], c.Space, "name"); ok {
			names = append(names, name)
		}
	}
	comps, err := ParseComponents(strings.Join(names, ","))
	if err != nil {
		return nil, dav.NewError(http.StatusForbidden, dav.CalDAVName("supported-calendar-component"), "%v", err)
	}
	return comps, nil
}

// RemoveCollectionProp clears a calendar live property.
func (*Type) RemoveCollectionProp(name xml.Name, ch *dav.CollectionChange) (bool, error) {
	empty := ""
	u := &ch.Update
	switch name {
	case dav.CalDAVName("calendar-description"):
		u.Description = &empty
	case dav.CalDAVName("calendar-timezone"), dav.CalDAVName("calendar-timezone-id"):
		u.Timezone = &empty // RFC 7809 5.2: the two describe one zone
	case dav.ICalName("calendar-color"):
		u.Color = &empty
	case dav.ICalName("calendar-order"):
		u.Order = nil // a later remove undoes an earlier set
		u.ClearOrder = true
	default:
		return false, nil
	}
	return true, nil
}

// ObjectProps: calendar-data (RFC 4791 9.6) is returned when asked for,
// never for allprop.
func (*Type) ObjectProps() []dav.LiveProp {
	return []dav.LiveProp{
		{Name: dav.CalDAVName("calendar-data"), NeedsData: true, Value: func(res *dav.Resource) (string, bool) {
			if res.Object.Data == nil {
				return "", false
			}
			return dav.EscapeText(string(res.Object.Data)), true
		}},
	}
}

// ValidateObject checks a calendar object resource for collection c.
func (*Type) ValidateObject(data []byte, contentType string, c *backend.Collection) (dav.ObjectMeta, error) {
	info, cal, err := validateObject(data, contentType, allowedComponents(c))
	if err == nil {
		err = checkLimits(cal) // RFC 4791 5.3.2.1: what the engine can answer for
	}
	if err == nil {
		err = checkAttendees(cal)
	}
	if err != nil {
		return dav.ObjectMeta{}, err
	}
	return dav.ObjectMeta{
		UID:         info.UID,
		Component:   info.Component,
		ContentType: "text/calendar; charset=utf-8; component=" + strings.ToLower(info.Component),
		Span:        indexSpan(cal),
		Times:       storedTimes(cal, time.Now(), floatingZone(c, nil)),
	}, nil
}

// indexSpan is the span stored for the SQL pre-filter (backend/README.md):
// every instance of the resource falls inside it. When it cannot be
// computed the span is unbounded, so the object stays a candidate of
// every time-range query and the exact evaluator decides.
func indexSpan(cal *ical.Calendar) *backend.Span {
	start, end, err := ictime.ObjectSpan(cal)
	if err != nil {
		return &backend.Span{}
	}
	return &backend.Span{Start: start, End: end}
}

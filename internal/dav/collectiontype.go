package dav

import (
	"encoding/xml"
	"net/http"

	"github.com/pgdav/pgdav/backend"
)

// CollectionType is what differs between calendars and address books.
// caldav and carddav each implement it; the generic handlers of this
// package (PROPFIND, PROPPATCH, MKCOL, PUT, GET, DELETE, MOVE, COPY) call
// it wherever the RFCs of the two diverge.
type CollectionType interface {
	// Kind is the backend's name for collections of this type.
	Kind() backend.CollectionKind
	// HomeSegment is the first URL segment of this type's homes:
	// "calendars" or "addressbooks".
	HomeSegment() string
	// HomeSetProperty names the principal property that points at the
	// home (C:calendar-home-set, RFC 4791 6.2.1; CR:addressbook-home-set,
	// RFC 6352 7.1.1).
	HomeSetProperty() xml.Name
	// ResourceType is the resourcetype element of a collection of this
	// type (C:calendar or CR:addressbook), beside D:collection.
	ResourceType() xml.Name
	// CreateMethod is the method that makes such a collection besides
	// extended MKCOL: "MKCALENDAR" for calendars, "" for address books.
	CreateMethod() string

	// CollectionProps are the type's live properties of a collection.
	CollectionProps() []LiveProp
	// SetCollectionProp applies a live property from a PROPPATCH set or a
	// MKCALENDAR/MKCOL body to ch. It returns handled=false when p is not
	// one of the type's live properties (it is then stored as a dead
	// property), and an *Error when the value is not acceptable.
	SetCollectionProp(p PropertyValue, ch *CollectionChange) (handled bool, err error)
	// RemoveCollectionProp applies a PROPPATCH remove of a live property.
	RemoveCollectionProp(name xml.Name, ch *CollectionChange) (handled bool, err error)

	// ObjectProps are the type's live properties of a member object, such
	// as calendar-data (RFC 4791 9.6) or address-data (RFC 6352 10.4).
	// Their Value funcs receive objects read with data when NeedsData.
	ObjectProps() []LiveProp
	// ValidateObject checks the body of a PUT (or the source of a MOVE or
	// COPY) for collection c and returns what the store indexes.
	ValidateObject(data []byte, contentType string, c *backend.Collection) (ObjectMeta, error)
	// PreconditionName returns the type's name for a precondition
	// element shared by both RFCs (no-uid-conflict, max-resource-size).
	PreconditionName(local string) xml.Name

	// Reports lists the REPORTs the type answers on kind, for
	// supported-report-set.
	Reports(kind ResourceKind) []xml.Name
	// Report answers a REPORT whose body (read whole, at most
	// MaxReportBody bytes) has the root element root, one of Reports.
	Report(w http.ResponseWriter, r *http.Request, res *Resource, root xml.Name, body []byte) error
	// DataProp reads a property element of a sync-collection's DAV:prop
	// (RFC 6578 3.2) that is the type's data property, with the
	// selection it carries: C:calendar-data (RFC 4791 9.6) or
	// CR:address-data (RFC 6352 10.4), shaped as the type's own REPORTs
	// shape it. It returns the function that renders the property for a
	// member read with its data, (nil, nil) when pv is some other
	// property, and an *Error when the request cannot be answered (such
	// as 403 supported-calendar-data).
	DataProp(pv PropertyValue) (func(res *Resource) (Prop, error), error)
}

// ObjectMeta is what a collection type extracts from an object's data.
type ObjectMeta struct {
	UID         string
	Component   string
	ContentType string // as GET will return it
	Span        *backend.Span
	Times       *backend.ObjectTimes // a calendar object's exact times, when known (caldav)
	CardValues  []backend.CardValue  // a vCard's searchable values (carddav)
}

// CollectionChange collects the effect of property instructions on a
// collection: the live columns to update and, when creating one, the
// component set (RFC 4791 5.2.3 may be given only at creation).
type CollectionChange struct {
	Creating bool
	Update   backend.CollectionUpdate
	// Components, when creating a calendar, restricts its component types.
	Components []string
}

// LiveProp is one live property of a resource kind.
type LiveProp struct {
	Name xml.Name
	// AllProp: returned for allprop (RFC 4918 9.1; RFC 4791 and 6352 keep
	// their data and expensive properties out of it).
	AllProp bool
	// Protected: PROPPATCH answers 403 cannot-modify-protected-property.
	Protected bool
	// NeedsData: computing it needs the object's data (ObjectProps only).
	NeedsData bool
	// Value computes the property's content as XML with the fixed
	// prefixes; ok=false means the resource has no such property (404).
	Value func(res *Resource) (inner string, ok bool)
}

package carddav

import (
	"encoding/xml"
	"strconv"
	"strings"

	"github.com/pgdav/pgdav/backend"
	"github.com/pgdav/pgdav/internal/dav"
)

// Type is the address book collection type: what CardDAV (RFC 6352)
// adds to the generic WebDAV handlers.
type Type struct {
	maxResourceSize int64
	maxResults      int
	store           Store
}

// DefaultMaxResults is the server's own cap on the cards one
// addressbook-query returns (RFC 6352 8.6.1): more than clients list in
// one answer, small enough to bound a query's work. Clients list address
// books with PROPFIND or sync-collection, which have no cap.
const DefaultMaxResults = 10000

// NewType returns the address book collection type. maxResults caps the
// cards an addressbook-query returns (0 or less: DefaultMaxResults). The
// REPORTs read from store.
func NewType(maxResourceSize int64, maxResults int, store Store) *Type {
	if maxResults <= 0 {
		maxResults = DefaultMaxResults
	}
	return &Type{maxResourceSize: maxResourceSize, maxResults: maxResults, store: store}
}

var _ dav.CollectionType = (*Type)(nil)

func (*Type) Kind() backend.CollectionKind { return backend.KindAddressBook }
func (*Type) HomeSegment() string          { return "addressbooks" }
func (*Type) HomeSetProperty() xml.Name    { return dav.CardDAVName("addressbook-home-set") }
func (*Type) ResourceType() xml.Name       { return dav.CardDAVName("addressbook") }
func (*Type) CreateMethod() string         { return "" }

// PreconditionName puts a shared precondition in the CardDAV namespace.
func (*Type) PreconditionName(local string) xml.Name { return dav.CardDAVName(local) }

// CollectionProps are the CardDAV properties of an address book (RFC 6352
// 6.2).
func (t *Type) CollectionProps() []dav.LiveProp {
	return []dav.LiveProp{
		{Name: dav.CardDAVName("addressbook-description"), AllProp: true, Value: func(res *dav.Resource) (string, bool) {
			return dav.EscapeText(res.Collection.Description), res.Collection.Description != ""
		}},
		// Cards are stored as received, in vCard 3.0 or 4.0.
		{Name: dav.CardDAVName("supported-address-data"), Protected: true, Value: func(*dav.Resource) (string, bool) {
			return `<CR:address-data-type content-type="text/vcard" version="3.0"/>` +
				`<CR:address-data-type content-type="text/vcard" version="4.0"/>`, true
		}},
		{Name: dav.CardDAVName("max-resource-size"), Protected: true, Value: func(*dav.Resource) (string, bool) {
			return strconv.FormatInt(t.maxResourceSize, 10), true
		}},
		// The collations of text-match (RFC 6352 8.3.1).
		{Name: dav.CardDAVName("supported-collation-set"), Protected: true, Value: func(*dav.Resource) (string, bool) {
			var b strings.Builder
			for _, c := range collationNames {
				b.WriteString("<CR:supported-collation>" + c + "</CR:supported-collation>")
			}
			return b.String(), true
		}},
	}
}

// SetCollectionProp applies an address book live property.
func (*Type) SetCollectionProp(p dav.PropertyValue, ch *dav.CollectionChange) (bool, error) {
	if p.Name == dav.CardDAVName("addressbook-description") {
		v := p.Text
		ch.Update.Description = &v
		return true, nil
	}
	return false, nil
}

// RemoveCollectionProp clears an address book live property.
func (*Type) RemoveCollectionProp(name xml.Name, ch *dav.CollectionChange) (bool, error) {
	if name == dav.CardDAVName("addressbook-description") {
		empty := ""
		ch.Update.Description = &empty
		return true, nil
	}
	return false, nil
}

// ObjectProps: address-data (RFC 6352 10.4), when asked for.
func (*Type) ObjectProps() []dav.LiveProp {
	return []dav.LiveProp{
		{Name: dav.CardDAVName("address-data"), NeedsData: true, Value: func(res *dav.Resource) (string, bool) {
			if res.Object.Data == nil {
				return "", false
			}
			return dav.EscapeText(string(res.Object.Data)), true
		}},
	}
}

// ValidateObject checks a vCard for an address book and extracts its
// index (the values addressbook-query searches, stored with the card).
func (*Type) ValidateObject(data []byte, contentType string, _ *backend.Collection) (dav.ObjectMeta, error) {
	info, err := ValidateCard(data, contentType)
	if err != nil {
		return dav.ObjectMeta{}, err
	}
	return dav.ObjectMeta{
		UID: info.UID, Component: "VCARD", ContentType: "text/vcard; charset=utf-8",
		CardValues: cardValues(parseVCard(data)),
	}, nil
}

// Reports lists the REPORTs of address books and cards (RFC 6352 8.6,
// 8.7).
func (*Type) Reports(kind dav.ResourceKind) []xml.Name {
	if kind == dav.KindCollection || kind == dav.KindObject {
		return []xml.Name{dav.CardDAVName("addressbook-query"), dav.CardDAVName("addressbook-multiget")}
	}
	return nil
}

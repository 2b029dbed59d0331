package backend

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
)

// DeadProperty is a property the server stores without understanding it
// (RFC 4918 4.2): Value is the XML of the whole property element, kept as
// the client sent it so namespaces, attributes and nested markup come back
// unchanged. Namespace may be empty (a property in no namespace).
type DeadProperty struct{ Namespace, Name, Value string }

// PropertyName names a property by namespace and local name.
type PropertyName struct{ Namespace, Name string }

// Property scopes: which kind of resource a PropertyTarget names.
const (
	ScopePrincipal       = "principal"
	ScopeCalendarHome    = "calendar-home"
	ScopeAddressBookHome = "addressbook-home"
	ScopeCollection      = "collection"
	ScopeObject          = "object"
)

// PropertyTarget says whose dead properties: Scope "principal",
// "calendar-home" or "addressbook-home" (PrincipalID only), "collection"
// (and CollectionID) or "object" (and ObjectID; CollectionID may also be
// set). PrincipalID is the owner of the resource. For collection and object
// targets the store can find the owner and the collection itself, so they
// may be zero; when set they must match, or the target does not exist.
type PropertyTarget struct {
	PrincipalID  int64
	Scope        string
	CollectionID int64
	ObjectID     int64
}

func (t PropertyTarget) validate() error {
	switch t.Scope {
	case ScopePrincipal, ScopeCalendarHome, ScopeAddressBookHome:
		if t.PrincipalID <= 0 || t.CollectionID != 0 || t.ObjectID != 0 {
			return invalidf("%s property target needs a principal and nothing else", t.Scope)
		}
	case ScopeCollection:
		if t.CollectionID <= 0 || t.ObjectID != 0 {
			return invalidf("collection property target needs a collection and no object")
		}
	case ScopeObject:
		if t.ObjectID <= 0 {
			return invalidf("object property target needs an object")
		}
	default:
		return invalidf("property scope %q", t.Scope)
	}
	return nil
}

// complete reports whether every column of the properties key is known
// without a lookup.
func (t PropertyTarget) complete() bool {
	switch t.Scope {
	case ScopeCollection:
		return t.PrincipalID > 0
	case ScopeObject:
		return t.PrincipalID > 0 && t.CollectionID > 0
	}
	return true
}

// The rows of one target are found through the unique index properties_key
// on (principal_id, scope, coalesce(collection_id, 0), coalesce(object_id,
// 0), namespace, name); object rows carry their collection, so the
// properties of all objects of a collection are one range of that index.
const propertyKeyWhere = `principal_id = $1 AND scope = $2 AND coalesce(collection_id, 0) = $3 AND coalesce(object_id, 0) = $4`

func (t PropertyTarget) keyArgs() []any {
	return []any{t.PrincipalID, t.Scope, t.CollectionID, t.ObjectID}
}

// lookupTarget fills in the owner (and, for objects, the collection) of a
// collection or object target. A mismatch with ids the caller gave is
// ErrNotFound: no such resource for that owner.
func lookupTarget(ctx context.Context, q queryRower, t PropertyTarget) (PropertyTarget, error) {
	var owner, coll int64
	var err error
	switch t.Scope {
	case ScopeCollection:
		coll = t.CollectionID
		err = q.QueryRow(ctx, `SELECT principal_id FROM collections WHERE id = $1`, t.CollectionID).Scan(&owner)
	case ScopeObject:
		err = q.QueryRow(ctx, `SELECT o.collection_id, c.principal_id FROM objects o
			JOIN collections c ON c.id = o.collection_id WHERE o.id = $1`, t.ObjectID).Scan(&coll, &owner)
	default:
		return t, nil
	}
	if err != nil {
		return t, notFound(err, "%s property target", t.Scope)
	}
	if (t.PrincipalID != 0 && t.PrincipalID != owner) || (t.CollectionID != 0 && t.CollectionID != coll) {
		return t, fmt.Errorf("%s property target: %w", t.Scope, ErrNotFound)
	}
	t.PrincipalID, t.CollectionID = owner, coll
	return t, nil
}

// ListProperties returns the dead properties of the target, ordered by
// namespace and name. A target the caller identified fully (as a PROPFIND
// does, having loaded the resource) costs one indexed query.
func (s *Store) ListProperties(ctx context.Context, t PropertyTarget) ([]DeadProperty, error) {
	if err := t.validate(); err != nil {
		return nil, err
	}
	if !t.complete() {
		var err error
		if t, err = lookupTarget(ctx, s.pool, t); err != nil {
			return nil, err
		}
	}
	rows, err := s.pool.Query(ctx, `SELECT namespace, name, value FROM properties
		WHERE `+propertyKeyWhere+` ORDER BY namespace, name`, t.keyArgs()...)
	if err != nil {
		return nil, fmt.Errorf("backend: list %s properties: %w", t.Scope, err)
	}
	props, err := pgx.CollectRows(rows, pgx.RowToStructByPos[DeadProperty])
	if err != nil {
		return nil, fmt.Errorf("backend: list %s properties: %w", t.Scope, err)
	}
	return props, nil
}

// ListObjectProperties returns the dead properties of every object of the
// collection that has any, keyed by object ID, each list ordered by
// namespace and name. It is one query, so a Depth-1 PROPFIND does not run a
// query per object; its cost follows the number of properties, not of
// objects.
func (s *Store) ListObjectProperties(ctx context.Context, collectionID int64) (map[int64][]DeadProperty, error) {
	rows, err := s.pool.Query(ctx, `SELECT object_id, namespace, name, value FROM properties
		WHERE principal_id = (SELECT principal_id FROM collections WHERE id = $1)
			AND scope = 'object' AND coalesce(collection_id, 0) = $1
		ORDER BY object_id, namespace, name`, collectionID)
	if err != nil {
		return nil, fmt.Errorf("backend: list object properties of collection %d: %w", collectionID, err)
	}
	out := map[int64][]DeadProperty{}
	var (
		id int64
		p  DeadProperty
	)
	_, err = pgx.ForEachRow(rows, []any{&id, &p.Namespace, &p.Name, &p.Value}, func() error {
		out[id] = append(out[id], p)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("backend: list object properties of collection %d: %w", collectionID, err)
	}
	return out, nil
}

// validateProperties checks what the text columns need: a name, UTF-8
// without NUL, and a value.
func validateProperties(props []DeadProperty) error {
	for _, d := range props {
		if err := validatePropertyName(d.Namespace, d.Name); err != nil {
			return err
		}
		if d.Value == "" || !utf8.ValidString(d.Value) || strings.ContainsRune(d.Value, 0) {
			return invalidf("property {%s}%s: value is empty or not UTF-8", d.Namespace, d.Name)
		}
	}
	return nil
}

func validatePropertyName(namespace, name string) error {
	for _, s := range []string{namespace, name} {
		if !utf8.ValidString(s) || strings.ContainsRune(s, 0) {
			return invalidf("property name {%q}%q is not UTF-8", namespace, name)
		}
	}
	if name == "" {
		return invalidf("property in namespace %q has an empty name", namespace)
	}
	return nil
}

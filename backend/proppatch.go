package backend

import (
	"context"
	"fmt"
	"math"

	"github.com/jackc/pgx/v5"
)

// CollectionUpdate holds new values for a collection's live properties;
// nil leaves a value as it is. ClearOrder sets the calendar-order to unset
// (it may not be combined with Order).
type CollectionUpdate struct {
	DisplayName *string
	Description *string
	Color       *string
	Timezone    *string
	Order       *int
	ClearOrder  bool
}

// PropertyPatch is one PROPPATCH (RFC 4918 9.2), applied all or nothing.
// The same property may not be in both Set and Remove: the order between
// them is lost here, so the caller collapses its instructions in document
// order first (the last instruction on a property wins).
type PropertyPatch struct {
	Target     PropertyTarget
	Collection *CollectionUpdate // live properties; only for a collection target
	Set        []DeadProperty    // stored, replacing a property of the same name
	Remove     []PropertyName    // deleted if present; removing an absent one is no error
	// Cond is evaluated on the target under its lock (an object's ETag;
	// the other targets have none).
	Cond Conditions
}

func (p PropertyPatch) validate() error {
	if err := p.Target.validate(); err != nil {
		return err
	}
	if c := p.Collection; c != nil {
		switch {
		case p.Target.Scope != ScopeCollection:
			return invalidf("live collection properties on a %s target", p.Target.Scope)
		case c.ClearOrder && c.Order != nil:
			return invalidf("calendar-order both set and cleared")
		case c.Order != nil && (*c.Order < math.MinInt32 || *c.Order > math.MaxInt32):
			return invalidf("calendar-order %d out of range", *c.Order)
		}
	}
	if err := validateProperties(p.Set); err != nil {
		return err
	}
	set := make(map[PropertyName]bool, len(p.Set))
	for _, d := range p.Set {
		set[PropertyName{d.Namespace, d.Name}] = true
	}
	for _, r := range p.Remove {
		if err := validatePropertyName(r.Namespace, r.Name); err != nil {
			return err
		}
		if set[r] {
			return invalidf("property {%s}%s is both set and removed", r.Namespace, r.Name)
		}
	}
	return nil
}

// PatchProperties applies p in one transaction. A collection target gets a
// new sync_seq and updated_at, since its sync-token and getctag must
// change with its properties (RFC 6578 3.2, CalendarServer ctag), but no
// change-log row, since no member changed. An object target bumps its
// collection's sync_seq and records the object in the change log: its
// properties are part of what a sync client fetches. Principal and home
// targets have no counters.
func (s *Store) PatchProperties(ctx context.Context, p PropertyPatch) error {
	if err := p.validate(); err != nil {
		return err
	}
	if p.Collection == nil && len(p.Set) == 0 && len(p.Remove) == 0 && p.Cond.IsZero() {
		return nil
	}
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		t, objectName, etag, err := lockTarget(ctx, tx, p.Target)
		if err != nil {
			return err
		}
		if err := p.Cond.Check(State{Exists: true, ETag: etag}, State{}); err != nil {
			return err
		}
		if err := removeProperties(ctx, tx, t, p.Remove); err != nil {
			return err
		}
		if err := setProperties(ctx, tx, t, p.Set); err != nil {
			return err
		}
		switch t.Scope {
		case ScopeCollection:
			return updateCollection(ctx, tx, t.CollectionID, p.Collection)
		case ScopeObject:
			_, err := recordChange(ctx, tx, t.CollectionID, objectName, false)
			return err
		}
		return nil
	})
}

// lockTarget resolves the target inside tx and takes the locks its write
// needs: the collection row for collection and object targets (it
// serialises their sync_seq, and holds off a concurrent MOVE of the
// object), the principal row against its deletion for the others. For an
// object it returns its name, for the change log, and its ETag, for the
// conditions.
func lockTarget(ctx context.Context, tx pgx.Tx, t PropertyTarget) (_ PropertyTarget, name, etag string, _ error) {
	switch t.Scope {
	case ScopeCollection, ScopeObject:
		coll := t.CollectionID
		if coll == 0 {
			if err := tx.QueryRow(ctx, `SELECT collection_id FROM objects WHERE id = $1`, t.ObjectID).Scan(&coll); err != nil {
				return t, "", "", notFound(err, "object %d", t.ObjectID)
			}
		}
		owner, err := lockCollection(ctx, tx, coll)
		if err != nil {
			return t, "", "", err
		}
		if t.PrincipalID != 0 && t.PrincipalID != owner {
			return t, "", "", fmt.Errorf("collection %d of principal %d: %w", coll, t.PrincipalID, ErrNotFound)
		}
		t.PrincipalID, t.CollectionID = owner, coll
		if t.Scope == ScopeCollection {
			return t, "", "", nil
		}
		// Under the lock the object cannot move; it may have moved away
		// before we took it, and then the resource the caller named is gone.
		err = tx.QueryRow(ctx, `SELECT name, etag FROM objects WHERE id = $1 AND collection_id = $2`, t.ObjectID, coll).Scan(&name, &etag)
		return t, name, etag, notFound(err, "object %d in collection %d", t.ObjectID, coll)
	default:
		var one int
		err := tx.QueryRow(ctx, `SELECT 1 FROM principals WHERE id = $1 FOR KEY SHARE`, t.PrincipalID).Scan(&one)
		return t, "", "", notFound(err, "principal %d", t.PrincipalID)
	}
}

func removeProperties(ctx context.Context, tx pgx.Tx, t PropertyTarget, names []PropertyName) error {
	for _, n := range names {
		args := append(t.keyArgs(), n.Namespace, n.Name)
		if _, err := tx.Exec(ctx, `DELETE FROM properties WHERE `+propertyKeyWhere+` AND namespace = $5 AND name = $6`, args...); err != nil {
			return fmt.Errorf("backend: remove property {%s}%s: %w", n.Namespace, n.Name, err)
		}
	}
	return nil
}

// setProperties upserts props for t, whose ids are all resolved. Zero ids
// are stored as NULL: the key index compares them through coalesce(…, 0).
func setProperties(ctx context.Context, tx pgx.Tx, t PropertyTarget, props []DeadProperty) error {
	for _, d := range props {
		_, err := tx.Exec(ctx, `
			INSERT INTO properties (principal_id, scope, collection_id, object_id, namespace, name, value)
			VALUES ($1, $2, nullif($3, 0::bigint), nullif($4, 0::bigint), $5, $6, $7)
			ON CONFLICT (principal_id, scope, (coalesce(collection_id, 0)), (coalesce(object_id, 0)), namespace, name)
			DO UPDATE SET value = EXCLUDED.value`,
			t.PrincipalID, t.Scope, t.CollectionID, t.ObjectID, d.Namespace, d.Name, d.Value)
		if err != nil {
			return fmt.Errorf("backend: set property {%s}%s: %w", d.Namespace, d.Name, err)
		}
	}
	return nil
}

// updateCollection writes the live properties in u (nil: none) and bumps
// the collection's sync_seq and updated_at in the same statement.
func updateCollection(ctx context.Context, tx pgx.Tx, id int64, u *CollectionUpdate) error {
	if u == nil {
		return bumpCollection(ctx, tx, id)
	}
	tag, err := tx.Exec(ctx, `
		UPDATE collections SET
			display_name = coalesce($2, display_name),
			description  = coalesce($3, description),
			color        = coalesce($4, color),
			timezone     = coalesce($5, timezone),
			sort_order   = CASE WHEN $7 THEN NULL ELSE coalesce($6::integer, sort_order) END,
			sync_seq     = sync_seq + 1,
			updated_at   = now()
		WHERE id = $1`,
		id, u.DisplayName, u.Description, u.Color, u.Timezone, u.Order, u.ClearOrder)
	if err != nil {
		return fmt.Errorf("backend: update collection %d: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("collection %d: %w", id, ErrNotFound)
	}
	return nil
}

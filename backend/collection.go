package backend

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
)

// CollectionKind tells calendars from address books.
type CollectionKind string

// The two kinds of collection.
const (
	KindCalendar    CollectionKind = "calendar"
	KindAddressBook CollectionKind = "addressbook"
)

// Collection is a calendar or an address book in a user's home.
type Collection struct {
	ID          int64
	PrincipalID int64
	Kind        CollectionKind
	Slug        string // URL segment, unique per user and kind
	DisplayName string
	Description string
	Color       string // "#RRGGBB" or "#RRGGBBAA", or empty
	Order       *int   // calendar-order; nil when unset
	Timezone    string // calendar-timezone: a VCALENDAR with one VTIMEZONE, or empty
	Components  []string
	SyncSeq     int64 // revision: changes with every member or property change
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// ValidateSlug reports whether slug may name a collection. Clients choose
// slugs too (MKCALENDAR with a UUID, vdirsyncer with a folder name), so
// the rule is only what a single URL segment needs.
func ValidateSlug(slug string) error {
	switch {
	case slug == "" || slug == "." || slug == "..":
		return invalidf("collection name %q is empty or a dot name", slug)
	case len(slug) > 128:
		return invalidf("collection name is longer than 128 bytes")
	case !utf8.ValidString(slug):
		return invalidf("collection name is not UTF-8")
	case strings.ContainsFunc(slug, func(r rune) bool { return r == '/' || unicode.IsControl(r) }):
		return invalidf("collection name %q contains '/' or a control character", slug)
	}
	return nil
}

const collectionColumns = `id, principal_id, kind, slug, display_name, description, color,
	sort_order, timezone, components, sync_seq, created_at, updated_at`

// collectionColumnsOuter is collectionColumns of the collection c of an
// outer join, as zero values (id 0) where the join found none.
const collectionColumnsOuter = `coalesce(c.id, 0), coalesce(c.principal_id, 0), coalesce(c.kind, ''),
	coalesce(c.slug, ''), coalesce(c.display_name, ''), coalesce(c.description, ''), coalesce(c.color, ''),
	c.sort_order, coalesce(c.timezone, ''), coalesce(c.components, '{}'), coalesce(c.sync_seq, 0),
	coalesce(c.created_at, 'epoch'), coalesce(c.updated_at, 'epoch')`

// collectionDest is where a row of collectionColumns is scanned to.
func collectionDest(c *Collection) []any {
	return []any{&c.ID, &c.PrincipalID, &c.Kind, &c.Slug, &c.DisplayName, &c.Description, &c.Color,
		&c.Order, &c.Timezone, &c.Components, &c.SyncSeq, &c.CreatedAt, &c.UpdatedAt}
}

func scanCollection(row pgx.Row) (Collection, error) {
	var c Collection
	err := row.Scan(collectionDest(&c)...)
	return c, err
}

// CreateCollection creates c in the home of the principal principalID,
// together with the dead properties props (MKCALENDAR and extended MKCOL
// may set arbitrary properties, RFC 4791 5.3.1, RFC 5689), in one
// transaction: if a property cannot be stored, no collection is left
// behind. Its sync_seq starts at 0.
func (s *Store) CreateCollection(ctx context.Context, principalID int64, c Collection, props []DeadProperty) (Collection, error) {
	if err := validateProperties(props); err != nil {
		return Collection{}, err
	}
	var created Collection
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		if created, err = createCollection(ctx, tx, principalID, c); err != nil {
			return err
		}
		t := PropertyTarget{PrincipalID: principalID, Scope: ScopeCollection, CollectionID: created.ID}
		return setProperties(ctx, tx, t, props)
	})
	if err != nil {
		return Collection{}, err
	}
	return created, nil
}

type queryRower interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

func createCollection(ctx context.Context, q queryRower, principalID int64, c Collection) (Collection, error) {
	if err := ValidateSlug(c.Slug); err != nil {
		return Collection{}, err
	}
	if c.Kind != KindCalendar && c.Kind != KindAddressBook {
		return Collection{}, invalidf("collection kind %q", c.Kind)
	}
	if c.Components == nil {
		c.Components = []string{}
	}
	created, err := scanCollection(q.QueryRow(ctx, `
		INSERT INTO collections (principal_id, kind, slug, display_name, description, color, sort_order, timezone, components)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
		RETURNING `+collectionColumns,
		principalID, c.Kind, c.Slug, c.DisplayName, c.Description, c.Color, c.Order, c.Timezone, c.Components))
	if isUniqueViolation(err) {
		return Collection{}, fmt.Errorf("%s %q: %w", c.Kind, c.Slug, ErrExists)
	}
	if isForeignKeyViolation(err) {
		return Collection{}, fmt.Errorf("principal %d: %w", principalID, ErrNotFound)
	}
	if err != nil {
		return Collection{}, fmt.Errorf("backend: create %s %q: %w", c.Kind, c.Slug, err)
	}
	return created, nil
}

// GetCollection returns the collection of kind with slug in the home of
// principalID.
func (s *Store) GetCollection(ctx context.Context, principalID int64, kind CollectionKind, slug string) (Collection, error) {
	c, err := scanCollection(s.pool.QueryRow(ctx, `SELECT `+collectionColumns+` FROM collections
		WHERE principal_id = $1 AND kind = $2 AND slug = $3`, principalID, kind, slug))
	return c, notFound(err, "%s %q", kind, slug)
}

// GetCollectionByID returns the collection with id, of any owner and kind.
func (s *Store) GetCollectionByID(ctx context.Context, id int64) (Collection, error) {
	c, err := scanCollection(s.pool.QueryRow(ctx, `SELECT `+collectionColumns+` FROM collections WHERE id = $1`, id))
	return c, notFound(err, "collection %d", id)
}

// ListCollections returns the collections of kind in the home of
// principalID: by calendar-order where set, then oldest first, so the
// default collection made with the account comes first.
func (s *Store) ListCollections(ctx context.Context, principalID int64, kind CollectionKind) ([]Collection, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+collectionColumns+` FROM collections
		WHERE principal_id = $1 AND kind = $2 ORDER BY sort_order NULLS LAST, id`, principalID, kind)
	if err != nil {
		return nil, fmt.Errorf("backend: list %ss: %w", kind, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Collection, error) { return scanCollection(r) })
	if err != nil {
		return nil, fmt.Errorf("backend: list %ss: %w", kind, err)
	}
	return out, nil
}

// DeleteCollection deletes a collection with all its objects, change log and
// properties.
func (s *Store) DeleteCollection(ctx context.Context, principalID int64, kind CollectionKind, slug string) error {
	return s.DeleteCollectionIf(ctx, principalID, kind, slug, Conditions{})
}

// DeleteCollectionIf is DeleteCollection after evaluating cond on the
// collection (which has no entity tag) under its row lock, in one
// transaction. A missing collection is ErrNotFound, or
// ErrPreconditionFailed when cond fails on it.
func (s *Store) DeleteCollectionIf(ctx context.Context, principalID int64, kind CollectionKind, slug string, cond Conditions) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var id int64
		err := tx.QueryRow(ctx, `SELECT id FROM collections WHERE principal_id = $1 AND kind = $2 AND slug = $3 FOR UPDATE`,
			principalID, kind, slug).Scan(&id)
		if errors.Is(err, pgx.ErrNoRows) {
			if err := cond.Check(State{}, State{}); err != nil {
				return fmt.Errorf("%s %q: %w", kind, slug, err)
			}
			return fmt.Errorf("%s %q: %w", kind, slug, ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("backend: delete %s %q: %w", kind, slug, err)
		}
		if err := cond.Check(State{Exists: true}, State{}); err != nil {
			return fmt.Errorf("%s %q: %w", kind, slug, err)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM collections WHERE id = $1`, id); err != nil {
			return fmt.Errorf("backend: delete %s %q: %w", kind, slug, err)
		}
		return nil
	})
}

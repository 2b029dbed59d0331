package backend

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
)

// ImportObjects adds objects to the collection collectionID in bulk, for
// imports and benchmarks, and returns how many it stored. Everything
// happens in one transaction: the collection's lock (lockCollection), one
// COPY of all rows into objects (ETag from ETagOf, size from len(Data),
// created_at and modified_at now()) and one of their bodies into
// object_bodies, one sync_seq bump and one statement
// that records every imported name in the change log with that number. A
// name or UID already taken in the collection, or given twice in objects,
// fails the whole import with ErrExists and stores nothing; so does an
// invalid write (ErrInvalid) or an unknown collection (ErrNotFound).
//
// Each write's CollectionID must be zero or collectionID. Unlike PutObject
// there are no conditions: an import only creates.
func (s *Store) ImportObjects(ctx context.Context, collectionID int64, objects []ObjectWrite) (int, error) {
	names := make([]string, len(objects))
	for i := range objects {
		w := &objects[i]
		if w.CollectionID != 0 && w.CollectionID != collectionID {
			return 0, invalidf("object %q: belongs to collection %d, not %d", w.Name, w.CollectionID, collectionID)
		}
		if err := w.validate(); err != nil {
			return 0, err
		}
		names[i] = w.Name
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := lockCollection(ctx, tx, collectionID); err != nil {
			return err
		}
		if len(objects) == 0 {
			return nil
		}
		// The rows' ids are drawn first, so that the bodies can be copied
		// next to them: COPY writes given values into the identity column
		// (as INSERT does with OVERRIDING SYSTEM VALUE) and returns nothing.
		rows, _ := tx.Query(ctx, `SELECT nextval(pg_get_serial_sequence('objects', 'id')) FROM generate_series(1, $1)`, len(objects))
		ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
		if err != nil {
			return fmt.Errorf("backend: import into collection %d: draw ids: %w", collectionID, err)
		}
		_, err = tx.CopyFrom(ctx, pgx.Identifier{"objects"},
			[]string{"id", "collection_id", "name", "uid", "etag", "size", "content_type", "component", "span",
				"instances", "instances_within", "busy", "tentative", "instances_zone"},
			pgx.CopyFromSlice(len(objects), func(i int) ([]any, error) {
				w := &objects[i]
				times := timesValues(w.Times)
				return []any{ids[i], collectionID, w.Name, w.UID, ETagOf(w.Data), len(w.Data),
					w.ContentType, w.Component, spanRange(w.Span), times[0], times[1], times[2], times[3], times[5]}, nil
			}))
		if err == nil {
			_, err = tx.CopyFrom(ctx, pgx.Identifier{"object_bodies"}, []string{"object_id", "data", "expansion"},
				pgx.CopyFromSlice(len(objects), func(i int) ([]any, error) {
					w := &objects[i]
					var expansion []byte
					if w.Times != nil {
						expansion = w.Times.Expansion
					}
					return []any{ids[i], w.Data, expansion}, nil
				}))
		}
		if isUniqueViolation(err) {
			var pgErr *pgconn.PgError
			errors.As(err, &pgErr)
			return fmt.Errorf("import into collection %d: %s: %w", collectionID, strings.TrimSuffix(pgErr.Detail, "."), ErrExists)
		}
		if err != nil {
			return fmt.Errorf("backend: import into collection %d: %w", collectionID, err)
		}
		if err := importCardValues(ctx, tx, collectionID, objects); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `
			WITH bump AS (
				UPDATE collections SET sync_seq = sync_seq + 1 WHERE id = $1 RETURNING sync_seq
			)
			INSERT INTO changes (collection_id, name, seq, deleted, changed_at)
			SELECT $1, n.name, bump.sync_seq, false, now() FROM bump, unnest($2::text[]) AS n(name)
			ON CONFLICT (collection_id, name) DO UPDATE
				SET seq = EXCLUDED.seq, deleted = false, changed_at = EXCLUDED.changed_at`,
			collectionID, names)
		if err != nil {
			return fmt.Errorf("backend: import into collection %d: record changes: %w", collectionID, err)
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return len(objects), nil
}

// spanRange is the span column's value for COPY: the range spanSQL builds
// for PutObject (both bounds inclusive, a zero bound unbounded), or nil.
func spanRange(sp *Span) any {
	if sp == nil {
		return nil
	}
	r := pgtype.Range[pgtype.Timestamptz]{LowerType: pgtype.Unbounded, UpperType: pgtype.Unbounded, Valid: true}
	if !sp.Start.IsZero() {
		r.Lower, r.LowerType = pgtype.Timestamptz{Time: sp.Start, Valid: true}, pgtype.Inclusive
	}
	if !sp.End.IsZero() {
		r.Upper, r.UpperType = pgtype.Timestamptz{Time: sp.End, Valid: true}, pgtype.Inclusive
	}
	return r
}

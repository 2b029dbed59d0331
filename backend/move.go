package backend

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// MoveObject moves one object to (dstCollectionID, dstName), keeping its
// bytes, ETag, timestamps and dead properties. Both collections belong to
// the same owner; the caller checks kinds and ownership. srcCond is
// evaluated against the source (its If also sees the destination). With
// overwrite=false an existing destination is ErrPreconditionFailed (RFC
// 4918 10.6, Overwrite: F); with overwrite=true it is replaced and
// replaced=true (the caller answers 204 instead of 201). A UID held by
// another object of the destination, or a replaced destination of another
// UID, is a *UIDConflictError; moving onto itself is ErrInvalid. The
// change log gets a tombstone in the source collection and a change in
// the destination.
func (s *Store) MoveObject(ctx context.Context, srcCollectionID int64, srcName string, dstCollectionID int64, dstName string, overwrite bool, srcCond Conditions) (replaced bool, err error) {
	return s.transfer(ctx, true, srcCollectionID, srcName, dstCollectionID, dstName, overwrite, srcCond)
}

// CopyObject copies one object, with its dead properties, to
// (dstCollectionID, dstName) as a new object; the rules are those of
// MoveObject, and the change log gets a change in the destination only.
// A copy within one collection is always a UID conflict, since the source
// keeps the UID.
func (s *Store) CopyObject(ctx context.Context, srcCollectionID int64, srcName string, dstCollectionID int64, dstName string, overwrite bool, srcCond Conditions) (replaced bool, err error) {
	return s.transfer(ctx, false, srcCollectionID, srcName, dstCollectionID, dstName, overwrite, srcCond)
}

// transfer is MoveObject (move=true) and CopyObject, in one transaction.
func (s *Store) transfer(ctx context.Context, move bool, srcColl int64, srcName string, dstColl int64, dstName string, overwrite bool, cond Conditions) (replaced bool, err error) {
	verb := "copy"
	if move {
		verb = "move"
	}
	if srcColl == dstColl && srcName == dstName {
		return false, invalidf("%s of %q onto itself", verb, srcName)
	}
	if err := ValidateObjectName(dstName); err != nil {
		return false, err
	}
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) (err error) {
		// Lower id first: two transfers in opposite directions then wait
		// for each other instead of deadlocking.
		owners := map[int64]int64{}
		for _, id := range []int64{min(srcColl, dstColl), max(srcColl, dstColl)} {
			if _, locked := owners[id]; !locked {
				if owners[id], err = lockCollection(ctx, tx, id); err != nil {
					return err
				}
			}
		}
		owner := owners[dstColl]

		var (
			srcID     int64
			etag, uid string
		)
		err = tx.QueryRow(ctx, `SELECT id, etag, uid FROM objects WHERE collection_id = $1 AND name = $2`,
			srcColl, srcName).Scan(&srcID, &etag, &uid)
		srcMissing := errors.Is(err, pgx.ErrNoRows)
		if err != nil && !srcMissing {
			return fmt.Errorf("backend: %s object %q: %w", verb, srcName, err)
		}

		var (
			dstID           int64
			dstETag, dstUID string
		)
		err = tx.QueryRow(ctx, `SELECT id, etag, uid FROM objects WHERE collection_id = $1 AND name = $2`,
			dstColl, dstName).Scan(&dstID, &dstETag, &dstUID)
		replaced = err == nil
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("backend: %s object %q: %w", verb, srcName, err)
		}
		dst := State{Exists: replaced, ETag: dstETag}
		if srcMissing {
			if err := cond.Check(State{}, dst); err != nil {
				return fmt.Errorf("object %q: %w", srcName, err)
			}
			return fmt.Errorf("object %q: %w", srcName, ErrNotFound)
		}
		if err := cond.Check(State{Exists: true, ETag: etag}, dst); err != nil {
			return fmt.Errorf("object %q: %w", srcName, err)
		}
		if replaced && !overwrite {
			return fmt.Errorf("destination %q exists and Overwrite is F: %w", dstName, ErrPreconditionFailed)
		}
		// The replaced destination gives up its UID; so does the source of
		// a move within one collection.
		except := []string{dstName}
		if move && srcColl == dstColl {
			except = append(except, srcName)
		}
		if err := checkUID(ctx, tx, dstColl, uid, except...); err != nil {
			return err
		}
		// RFC 4791 5.3.2.1, RFC 6352 6.3.2.1: the replaced destination
		// keeps its UID.
		if replaced && dstUID != uid {
			return &UIDConflictError{UID: uid, Name: dstName, Replaced: dstUID}
		}

		if replaced {
			// Its dead properties go with it (ON DELETE CASCADE).
			if _, err := tx.Exec(ctx, `DELETE FROM objects WHERE id = $1`, dstID); err != nil {
				return fmt.Errorf("backend: %s object %q: replace %q: %w", verb, srcName, dstName, err)
			}
		}
		if move {
			err = moveRow(ctx, tx, srcID, owner, dstColl, dstName)
		} else {
			err = copyRow(ctx, tx, srcID, owner, dstColl, dstName)
		}
		if err != nil {
			return fmt.Errorf("backend: %s object %q to %q: %w", verb, srcName, dstName, err)
		}
		if move {
			if _, err := recordChange(ctx, tx, srcColl, srcName, true); err != nil {
				return err
			}
		}
		_, err = recordChange(ctx, tx, dstColl, dstName, false)
		return err
	})
	if err != nil {
		return false, err
	}
	return replaced, nil
}

// moveRow renames object id into (collectionID, name) and carries its dead
// properties, whose rows name the collection and owner too.
func moveRow(ctx context.Context, tx pgx.Tx, id, owner, collectionID int64, name string) error {
	if _, err := tx.Exec(ctx, `UPDATE objects SET collection_id = $2, name = $3 WHERE id = $1`,
		id, collectionID, name); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, `UPDATE properties SET principal_id = $2, collection_id = $3
		WHERE scope = 'object' AND object_id = $1`, id, owner, collectionID)
	return err
}

// copyRow copies object id to (collectionID, name) as a new object, with
// fresh timestamps, and copies its body and its dead properties to the new
// object.
func copyRow(ctx context.Context, tx pgx.Tx, id, owner, collectionID int64, name string) error {
	var newID int64
	err := tx.QueryRow(ctx, `
		WITH o AS (
			INSERT INTO objects (collection_id, name, uid, etag, size, content_type, component, span,
				instances, instances_within, busy, tentative, instances_zone)
			SELECT $2, $3, uid, etag, size, content_type, component, span,
				instances, instances_within, busy, tentative, instances_zone FROM objects WHERE id = $1
			RETURNING id
		), body AS (
			INSERT INTO object_bodies (object_id, data, expansion)
			SELECT o.id, b.data, b.expansion FROM o, object_bodies b WHERE b.object_id = $1
		)
		SELECT id FROM o`, id, collectionID, name).Scan(&newID)
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `
		INSERT INTO properties (principal_id, scope, collection_id, object_id, namespace, name, value)
		SELECT $2, 'object', $3, $4, namespace, name, value FROM properties
		WHERE scope = 'object' AND object_id = $1`, id, owner, collectionID, newID)
	return err
}

package backend

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
)

// lockCollection takes the row lock of collection id for the rest of tx and
// returns its owner. Every write to a collection's members or properties
// takes it first: it serialises the sync sequence numbers (see README.md)
// and makes each precondition check see the state the write replaces.
// FOR NO KEY UPDATE is the lock the sync_seq bump takes anyway; unlike FOR
// UPDATE it does not block foreign-key checks of unrelated inserts.
//
// PutObject and DeleteObject take it late instead, as the first statement
// of their write's pipeline, after reading and checking without it, and
// write only if what they checked still holds (see PutObject): the lock is
// then held for one statement and the commit, not for every round trip of
// the write. It is still taken before any object row, in every writer, so
// writers never wait for each other in a cycle.
func lockCollection(ctx context.Context, tx pgx.Tx, id int64) (principalID int64, err error) {
	err = tx.QueryRow(ctx, lockCollectionSQL, id).Scan(&principalID)
	return principalID, notFound(err, "collection %d", id)
}

// lockCollectionSQL is lockCollection's statement, for pipelines: $1 is the
// collection, the row its owner.
const lockCollectionSQL = `SELECT principal_id FROM collections WHERE id = $1 FOR NO KEY UPDATE`

// recordChange bumps the collection's sync_seq and upserts the member's row
// in the change log with the new number, in one statement. deleted marks a
// tombstone. The caller holds the collection's lock (lockCollection).
func recordChange(ctx context.Context, tx pgx.Tx, collectionID int64, name string, deleted bool) (seq int64, err error) {
	err = tx.QueryRow(ctx, `
		WITH bump AS (
			UPDATE collections SET sync_seq = sync_seq + 1 WHERE id = $1 RETURNING sync_seq
		)
		INSERT INTO changes (collection_id, name, seq, deleted, changed_at)
		SELECT $1, $2, sync_seq, $3, now() FROM bump
		ON CONFLICT (collection_id, name) DO UPDATE
			SET seq = EXCLUDED.seq, deleted = EXCLUDED.deleted, changed_at = EXCLUDED.changed_at
		RETURNING seq`, collectionID, name, deleted).Scan(&seq)
	if errors.Is(err, pgx.ErrNoRows) { // no collection row to bump
		return 0, fmt.Errorf("collection %d: %w", collectionID, ErrNotFound)
	}
	if err != nil {
		return 0, fmt.Errorf("backend: record change of %q in collection %d: %w", name, collectionID, err)
	}
	return seq, nil
}

// withChange wraps write, one INSERT, UPDATE or DELETE of a member with a
// RETURNING list, into a statement that also does what recordChange does,
// if and only if write returned a row: the change is recorded exactly when
// the member changed, in the same statement. The statement returns write's
// rows. $1 is the collection, $2 the member's name and $3 whether the
// change is a deletion; write's own placeholders start at $4. The caller
// holds the collection's lock.
//
// Each statement of also, a data-modifying statement that may read w's
// rows, runs in the same statement too: the writes of the member's other
// rows (its body in object_bodies), which so happen exactly when write
// does.
func withChange(write string, also ...string) string {
	var more strings.Builder
	for i, a := range also {
		fmt.Fprintf(&more, `
		), also%d AS (%s`, i, a)
	}
	return `
		WITH w AS (` + write + more.String() + `
		), bump AS (
			UPDATE collections SET sync_seq = sync_seq + 1 WHERE id = $1 AND EXISTS (SELECT FROM w) RETURNING sync_seq
		), change AS (
			INSERT INTO changes (collection_id, name, seq, deleted, changed_at)
			SELECT $1, $2, sync_seq, $3, now() FROM bump
			ON CONFLICT (collection_id, name) DO UPDATE
				SET seq = EXCLUDED.seq, deleted = EXCLUDED.deleted, changed_at = EXCLUDED.changed_at
		)
		SELECT * FROM w`
}

// bumpCollection bumps the collection's sync_seq and updated_at without a
// member row: its own properties changed, so its sync-token and getctag
// must change (RFC 6578 3.2), but no member did.
func bumpCollection(ctx context.Context, tx pgx.Tx, collectionID int64) error {
	tag, err := tx.Exec(ctx, `UPDATE collections SET sync_seq = sync_seq + 1, updated_at = now() WHERE id = $1`, collectionID)
	if err != nil {
		return fmt.Errorf("backend: bump collection %d: %w", collectionID, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("collection %d: %w", collectionID, ErrNotFound)
	}
	return nil
}

// CollectionSyncState returns the collection's current sync_seq and
// sync_floor in one read: the number a new sync-token carries, and the
// oldest number a client's token may carry before it must resynchronise
// (DAV:valid-sync-token, RFC 6578 3.2).
func (s *Store) CollectionSyncState(ctx context.Context, collectionID int64) (seq, floor int64, err error) {
	err = s.pool.QueryRow(ctx, `SELECT sync_seq, sync_floor FROM collections WHERE id = $1`, collectionID).Scan(&seq, &floor)
	return seq, floor, notFound(err, "collection %d", collectionID)
}

package backend

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// Errors of Changes: the client's sync token does not name a state of the
// collection the store can compute a delta from. Both are answered with
// DAV:valid-sync-token (RFC 6578 3.2), and the client starts over with an
// empty token.
var (
	// ErrTokenExpired: the token is older than the collection's sync_floor:
	// tombstones it would need were pruned (PruneTombstones).
	ErrTokenExpired = errors.New("sync token expired")
	// ErrTokenUnknown: the token names a revision the collection never had
	// (beyond its counter): it was not issued for this collection.
	ErrTokenUnknown = errors.New("sync token unknown")
)

// ChangeQuery asks Changes for the delta of one collection.
type ChangeQuery struct {
	CollectionID int64
	// Initial asks for every current member and no tombstone: a sync
	// without a token (RFC 6578 3.4). Since is then ignored. Members that
	// fit in one answer come in no particular order; more are paged in
	// revision order.
	Initial bool
	// Since is the revision the client's token names: every member whose
	// latest change has a greater sequence number is returned, deleted
	// members as tombstones (RFC 6578 3.5).
	Since int64
	// After, when set, continues an answer truncated inside revision
	// Since (ChangeSet.After): the changes of that revision up to this
	// member name, in name order, were returned already, the rest are
	// returned now. One import records all its members under one
	// revision, so a page may end inside one.
	After string
	// Limit is the most changes returned, 0 for all of them. When more are
	// pending the answer is truncated (ChangeSet.Truncated) at a sequence
	// number from which the next call continues.
	Limit int
	// WithData reads each member's bytes (Object.Data).
	WithData bool
	// WithProperties reads each member's dead properties, in the same
	// snapshot.
	WithProperties bool
}

// Change is one member in a delta: its latest change, and, unless it is a
// tombstone, the object as it is now.
type Change struct {
	Name string
	// Seq is the revision of the member's latest change; in a first sync
	// that fits in one answer, listed without the change log, it is the
	// collection's counter, the revision as of which it is listed.
	Seq     int64
	Deleted bool
	// Object is the member (Data only when asked); zero for a tombstone.
	Object Object
	// Properties are its dead properties, ordered by namespace and name,
	// when ChangeQuery.WithProperties is set.
	Properties []DeadProperty
}

// ChangeSet says where a delta leaves the client.
type ChangeSet struct {
	// Seq is the revision of the new sync token: the collection's counter,
	// or, when Truncated, the sequence number of the last change returned.
	Seq int64
	// After is set when the answer was truncated inside revision Seq: the
	// name of the last member returned, for ChangeQuery.After.
	After string
	// Truncated: more changes are pending after Seq (and After).
	Truncated bool
}

// Changes calls fn for each member of the collection that changed since
// q.Since (or for every member, when q.Initial; see initialListing for a
// first sync that fits in one answer), ordered by sequence
// number and, within one, by name, each member once with its latest
// state; the *Change passed is reused and valid only during the call. Rows stream from the database as
// fn consumes them: a first sync of 100 000 members holds one at a time.
//
// The counter, the floor and the rows are read by one statement
// (changesSQL), so they come from one snapshot: since every writer bumps
// the counter under the collection's row lock (recordChange), a snapshot
// that sees sequence number n committed sees every change with a smaller
// one, and the delta never misses one that commits while it is read. One
// statement is also one round trip, where a REPEATABLE READ transaction
// around two statements cost four (BEGIN, counter, rows, COMMIT), which
// was most of a small delta's time. The query walks changes_seq_idx from
// q.Since on, so its cost follows the number of changes, not the size of
// the collection.
//
// A q.Since below the collection's sync_floor is ErrTokenExpired, one
// above its counter ErrTokenUnknown, an unknown collection ErrNotFound;
// these are returned before fn is called. An error from fn stops the
// query and is returned as it is.
func (s *Store) Changes(ctx context.Context, q ChangeQuery, fn func(*Change) error) (ChangeSet, error) {
	if q.Limit < 0 || (!q.Initial && q.Since < 0) {
		return ChangeSet{}, invalidf("change query: negative limit or revision")
	}
	if q.Initial {
		q.Since, q.After = 0, ""
	}
	set, err := s.changes(ctx, q, fn)
	if err != nil {
		var cb callbackError
		switch {
		case errors.As(err, &cb):
			return ChangeSet{}, cb.err
		case errors.Is(err, ErrTokenExpired), errors.Is(err, ErrTokenUnknown), errors.Is(err, ErrNotFound):
			return ChangeSet{}, err
		}
		return ChangeSet{}, fmt.Errorf("backend: changes of collection %d: %w", q.CollectionID, err)
	}
	return set, nil
}

func (s *Store) changes(ctx context.Context, q ChangeQuery, fn func(*Change) error) (ChangeSet, error) {
	if q.Initial {
		set, listed, err := s.initialListing(ctx, q, fn)
		if err != nil || listed {
			return set, err
		}
		// More members than one answer holds: the ordered change log
		// pages them.
	}
	var limit *int
	if q.Limit > 0 {
		n := q.Limit + 1 // one more tells whether the answer is truncated
		limit = &n
	}
	// QueryExecModeCacheDescribe runs the statement as the unnamed
	// prepared statement, parsed and planned with its values on every
	// execution, never a cached generic plan. A named statement (pgx's
	// default) may switch to a generic plan after five executions, which
	// does not know $2 and $3: once the pages of a first sync (10 000
	// rows each, the same statement) made the custom plans look
	// expensive, it switched to one that expects a third of the
	// collection and, with another large collection in the table, runs it
	// as a parallel Gather Merge, so that a 10-change delta pays for
	// starting a worker (TestChangesDeltaPlansWithValues). The description
	// is cached, so this is still one round trip.
	args := []any{pgx.QueryExecModeCacheDescribe, q.CollectionID, q.Since, limit}
	if q.After != "" {
		args = append(args, q.After)
	}
	set, _, err := s.runChanges(ctx, q, fn, changesSQL(q), args, nil)
	return set, err
}

// runChanges runs sql, a statement of changesSQL's columns (and, with
// fits not nil, a last boolean column scanned into it), and calls fn for
// each change it returns. It reports false only when fits was read
// false: the statement listed nothing, and the caller asks the change
// log.
func (s *Store) runChanges(ctx context.Context, q ChangeQuery, fn func(*Change) error, sql string, args []any, fits *bool) (ChangeSet, bool, error) {
	rows, err := s.pool.Query(ctx, sql, args...)
	if err != nil {
		return ChangeSet{}, false, err
	}
	defer rows.Close()
	var (
		set        ChangeSet
		c          Change
		seq, floor int64
		gone       bool
		n          int
		last       int64
		lastName   string
		ns, nm     []string
		vals       []string
		dest       = changeDest(&c, &seq, &floor, &gone, q, &ns, &nm, &vals)
		properties []DeadProperty
		first      = true
	)
	if fits != nil {
		dest = append(dest, fits)
	}
	for rows.Next() {
		c.Object, c.Properties = Object{}, properties[:0]
		ns, nm, vals = nil, nil, nil
		if err := rows.Scan(dest...); err != nil {
			return ChangeSet{}, false, err
		}
		if first {
			// Every row carries the counter and the floor; the first
			// decides whether the token is usable. The statement
			// returned no change row if it is not (changesSQL).
			first = false
			if err := checkSince(q, seq, floor); err != nil {
				return ChangeSet{}, false, err
			}
			set.Seq = seq
		}
		if c.Seq == 0 {
			// The one row of a delta without changes: only the
			// collection's columns (sequence numbers start at 1).
			break
		}
		if q.Limit > 0 && n == q.Limit {
			// One row too many: the answer ends at the last one,
			// inside its revision if this row shares it.
			set.Seq, set.Truncated = last, true
			if c.Seq == last {
				set.After = lastName
			}
			return set, true, nil
		}
		c.Deleted = gone
		if !gone {
			c.Object.CollectionID, c.Object.Name = q.CollectionID, c.Name
			for i := range ns {
				c.Properties = append(c.Properties, DeadProperty{Namespace: ns[i], Name: nm[i], Value: vals[i]})
			}
			properties = c.Properties
		}
		n++
		last, lastName = c.Seq, c.Name
		if err := fn(&c); err != nil {
			return ChangeSet{}, false, callbackError{err}
		}
	}
	if err := rows.Err(); err != nil {
		return ChangeSet{}, false, err
	}
	if first {
		return ChangeSet{}, false, fmt.Errorf("collection %d: %w", q.CollectionID, ErrNotFound)
	}
	return set, fits == nil || *fits, nil
}

// checkSince tells whether a delta from q can be computed in a collection
// whose counter is seq and whose floor is floor; changesSQL's usable
// condition is the same rule.
func checkSince(q ChangeQuery, seq, floor int64) error {
	switch {
	case q.Initial:
	case q.Since < floor, q.After != "" && q.Since == floor && floor > 0:
		// A tombstone of revision floor may have been pruned after
		// the name q.After.
		return fmt.Errorf("collection %d: revision %d is below the pruned point %d: %w", q.CollectionID, q.Since, floor, ErrTokenExpired)
	case q.Since > seq:
		return fmt.Errorf("collection %d: revision %d is beyond the counter %d: %w", q.CollectionID, q.Since, seq, ErrTokenUnknown)
	}
	return nil
}

// changesSQL is the statement of Changes, with parameters $1 collection,
// $2 the revision to start after, $3 the row limit (NULL for none) and,
// with q.After, $4 the name to continue after within revision $2.
//
// Its outer row is the collection's (counter and floor), found by its
// primary key; no row means no such collection. The delta is a LATERAL
// subquery joined to it: with one outer row, the nested loop returns the
// subquery's rows in the subquery's order, and the LEFT JOIN still
// returns the collection's row, with NULL change columns, when nothing
// changed. The subquery runs only when the token is usable (the rule of
// checkSince, evaluated once against the outer row), so an expired or
// unknown token reads no change.
//
// The subquery is an ordered range scan of changes_seq_idx,
// (collection_id, seq, name) since migration 0004, starting right after
// the client's position, joined row by row to the member's object
// through the (collection_id, name) key: no sort, and no work for members
// that did not change. A tombstone joins no object; a change row whose
// object is missing in the snapshot (not reached while every writer
// records its change in its own transaction) reads as one too. Dead
// properties come from properties_object_idx in the same snapshot.
func changesSQL(q ChangeQuery) string {
	var b strings.Builder
	b.WriteString(changeColumnsSQL(q) + `
	FROM collections k
	LEFT JOIN LATERAL (
		SELECT c.name, c.seq, ` + memberColumnsSQL(q))
	// The member's object is one probe of the (collection_id, name) key
	// per change row; OFFSET 0 keeps it so whatever the planner believes
	// of the collection's size. Without statistics yet (a calendar
	// imported or uploaded less than a minute ago), the planner makes a
	// plain join filter the whole collection once per change row, a cost
	// that grows with the square of the collection.
	if q.Initial {
		b.WriteString(`
		FROM changes c
		JOIN LATERAL (SELECT * FROM objects
			WHERE collection_id = c.collection_id AND name = c.name OFFSET 0) o ON true`)
	} else {
		b.WriteString(`
		FROM changes c
		LEFT JOIN LATERAL (SELECT * FROM objects
			WHERE collection_id = c.collection_id AND name = c.name AND NOT c.deleted OFFSET 0) o ON true`)
	}
	b.WriteString(memberPropertiesSQL(q))
	if q.After != "" {
		b.WriteString(`
		WHERE c.collection_id = $1 AND (c.seq, c.name) > ($2::bigint, $4::text)
			AND ($2::bigint > k.sync_floor OR k.sync_floor = 0)`)
	} else {
		b.WriteString(`
		WHERE c.collection_id = $1 AND c.seq > $2`)
	}
	if q.Initial {
		b.WriteString(` AND NOT c.deleted`)
	} else {
		b.WriteString(` AND $2::bigint BETWEEN k.sync_floor AND k.sync_seq`)
	}
	b.WriteString(`
		ORDER BY c.seq, c.name
		LIMIT $3
	) d ON true
	WHERE k.id = $1`)
	return b.String()
}

// changeColumnsSQL is the select list of a statement of Changes: the
// collection k's counter and floor, then the columns of the change d
// (NULL in the one row of an answer without changes), read as changeDest
// scans them.
func changeColumnsSQL(q ChangeQuery) string {
	cols := `SELECT k.sync_seq, k.sync_floor, coalesce(d.name, ''), coalesce(d.seq, 0), d.id IS NULL,
		coalesce(d.id, 0), coalesce(d.uid, ''), coalesce(d.etag, ''), coalesce(d.size, 0),
		coalesce(d.content_type, ''), coalesce(d.component, ''),
		coalesce(d.created_at, 'epoch'), coalesce(d.modified_at, 'epoch')`
	if q.WithData {
		cols += `, d.data`
	}
	if q.WithProperties {
		cols += `, d.namespaces, d.names, d.vals`
	}
	return cols
}

// memberColumnsSQL is the columns of a change's member o, its body and
// its dead properties p (memberPropertiesSQL) as q asks for them.
func memberColumnsSQL(q ChangeQuery) string {
	cols := `o.id, o.uid, o.etag, o.size, o.content_type, o.component, o.created_at, o.modified_at`
	if q.WithData {
		// The member's body (migration 0007), looked up by its id as the
		// row is formed, so only for the rows the LIMIT lets through; a
		// tombstone's NULL id finds none.
		cols += `, (SELECT data FROM object_bodies WHERE object_id = o.id) AS data`
	}
	if q.WithProperties {
		cols += `, p.namespaces, p.names, p.vals`
	}
	return cols
}

// memberPropertiesSQL is the FROM item p of memberColumnsSQL: the dead
// properties of o, from properties_object_idx in the same snapshot.
func memberPropertiesSQL(q ChangeQuery) string {
	if !q.WithProperties {
		return ""
	}
	return `
		LEFT JOIN LATERAL (
			SELECT array_agg(namespace ORDER BY namespace, name) AS namespaces,
				array_agg(name ORDER BY namespace, name) AS names,
				array_agg(value ORDER BY namespace, name) AS vals
			FROM properties WHERE object_id = o.id AND scope = 'object'
		) p ON true`
}

// changeDest is the scan destination of changesSQL(q)'s columns.
func changeDest(c *Change, seq, floor *int64, gone *bool, q ChangeQuery, ns, nm, vals *[]string) []any {
	o := &c.Object
	dest := []any{seq, floor, &c.Name, &c.Seq, gone, &o.ID, &o.UID, &o.ETag, &o.Size, &o.ContentType, &o.Component, &o.CreatedAt, &o.ModifiedAt}
	if q.WithData {
		dest = append(dest, &o.Data)
	}
	if q.WithProperties {
		dest = append(dest, ns, nm, vals)
	}
	return dest
}

// pruneBatch is how many collections one pruning transaction locks.
const pruneBatch = 50

// PruneTombstones removes the change-log tombstones (deleted members)
// recorded more than olderThan ago and raises each affected collection's
// sync_floor to the highest sequence number it removed, so a token from
// before that point gets ErrTokenExpired (DAV:valid-sync-token) and its
// client does a full sync instead of missing a deletion. Rows of present
// members are never removed: they are the listing of an initial sync. The
// homes' logs are pruned alike (tombstones of deleted collections, the
// homes' sync_floor; pruneHomeTombstones). It returns how many tombstones
// it removed.
//
// Collections are pruned in batches, one transaction each: it takes the
// collections' row locks in id order (as writers and MOVE do, so no
// deadlock), then one DELETE removes their old tombstones and raises
// their floors in the same statement. Writers to those collections wait
// for a moment; a tombstone revived by a PUT is no longer a tombstone and
// stays. Several nodes may prune at once: the second finds nothing left.
// The age is measured by the database's clock.
func (s *Store) PruneTombstones(ctx context.Context, olderThan time.Duration) (int64, error) {
	if olderThan <= 0 {
		return 0, invalidf("prune tombstones: the age must be positive")
	}
	secs := olderThan.Seconds()
	rows, err := s.pool.Query(ctx, `SELECT DISTINCT collection_id FROM changes
		WHERE deleted AND changed_at < now() - make_interval(secs => $1) ORDER BY collection_id`, secs)
	if err != nil {
		return 0, fmt.Errorf("backend: prune tombstones: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return 0, fmt.Errorf("backend: prune tombstones: %w", err)
	}
	var total int64
	for start := 0; start < len(ids); start += pruneBatch {
		batch := ids[start:min(start+pruneBatch, len(ids))]
		var n int64
		err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, `SELECT id FROM collections WHERE id = ANY($1) ORDER BY id FOR NO KEY UPDATE`, batch); err != nil {
				return err
			}
			return tx.QueryRow(ctx, `
				WITH pruned AS (
					DELETE FROM changes
					WHERE collection_id = ANY($1) AND deleted AND changed_at < now() - make_interval(secs => $2)
					RETURNING collection_id, seq
				), floors AS (
					SELECT collection_id, max(seq) AS seq, count(*) AS n FROM pruned GROUP BY collection_id
				), raised AS (
					UPDATE collections c SET sync_floor = greatest(c.sync_floor, floors.seq)
					FROM floors WHERE c.id = floors.collection_id
					RETURNING c.id
				)
				SELECT coalesce(sum(n), 0)::bigint FROM floors`, batch, secs).Scan(&n)
		})
		if err != nil {
			return total, fmt.Errorf("backend: prune tombstones: %w", err)
		}
		total += n
	}
	n, err := s.pruneHomeTombstones(ctx, secs)
	if err != nil {
		return total, fmt.Errorf("backend: prune home tombstones: %w", err)
	}
	return total + n, nil
}

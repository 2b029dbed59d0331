package backend

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
)

// The change log of a home's collections (migration 0008), for
// sync-collection on a calendar or address book home: the home is the
// synchronised collection, its calendars or address books are the
// members, and a member changed when it was created, deleted, or its own
// sync_seq moved (a member or a property of it changed).
//
// Writers never touch it, so home sync costs a PUT nothing: a home
// counter bumped by every write, in a trigger or in the writer's
// statement, would make every PUT of a home write one more, contended
// row (docs/benchmarks.md has the figures). Instead, whoever
// asks for a home token first brings the log up to date (catchUpHome):
// under the home's row lock it compares each collection's id and sync_seq
// with what the log recorded of it and records every difference with a
// new sequence number of the home, and every collection gone as a
// tombstone. Catch-ups of one home take turns on that lock, so the
// home's numbers are handed out in commit order, as the collections'
// are; and since each compares with the last recorded state rather than
// with a point in time, a change that commits during one is found by
// the next. A token N then means: every change recorded up to N was
// reported; one made since is recorded above N.

// HomeChangeQuery asks HomeChanges for the delta of one home.
type HomeChangeQuery struct {
	PrincipalID int64
	Kind        CollectionKind
	// Initial asks for every collection of the home and no tombstone (a
	// sync without a token, RFC 6578 3.4); Since is then ignored.
	Initial bool
	// Since is the home revision the client's token names: every
	// collection whose latest change in the home has a greater number is
	// returned, deleted ones as tombstones (RFC 6578 3.5).
	Since int64
	// Limit is the most changes returned, 0 for all. When more are
	// pending the answer is truncated at a revision from which the next
	// call continues (HomeChangeSet.Truncated).
	Limit int
}

// HomeChange is one collection in a home's delta.
type HomeChange struct {
	Slug    string
	Seq     int64 // the home revision of its latest change
	Deleted bool
	// Collection is the collection as it is now; zero for a tombstone.
	Collection Collection
}

// HomeChangeSet says where a home delta leaves the client.
type HomeChangeSet struct {
	// Seq is the home revision of the new token: the home's counter, or,
	// when Truncated, the revision of the last change returned.
	Seq       int64
	Truncated bool
}

// HomeChanges returns the collections of the home that changed since
// q.Since (or all of them, q.Initial), ordered by the home revision of
// their latest change, each once, read in one snapshot with the home's
// counter. The log is first brought up to date (catchUpHome) when it
// lags behind the collections. A q.Since below the home's floor is
// ErrTokenExpired, one above its counter ErrTokenUnknown. A home holds a
// handful of collections, so the answer is returned whole, not streamed.
func (s *Store) HomeChanges(ctx context.Context, q HomeChangeQuery) ([]HomeChange, HomeChangeSet, error) {
	if q.Limit < 0 || (!q.Initial && q.Since < 0) {
		return nil, HomeChangeSet{}, invalidf("home change query: negative limit or revision")
	}
	if q.Initial {
		q.Since = 0
	}
	var limit *int
	if q.Limit > 0 {
		n := q.Limit + 1 // one more tells whether the answer is truncated
		limit = &n
	}
	// The log is behind at most once: read, catch up, read again. A
	// collection that changes after the catch-up is recorded by the next
	// one, above the token returned now.
	for attempt := 0; ; attempt++ {
		out, set, stale, err := s.homeChanges(ctx, q, limit, attempt > 0)
		if err != nil || !stale {
			if err != nil && !errors.Is(err, ErrTokenExpired) && !errors.Is(err, ErrTokenUnknown) {
				err = fmt.Errorf("backend: changes of %s home %d: %w", q.Kind, q.PrincipalID, err)
			}
			return out, set, err
		}
		if _, err := s.catchUpHome(ctx, q.PrincipalID, q.Kind); err != nil {
			return nil, HomeChangeSet{}, err
		}
	}
}

// homeChanges runs homeChangesSQL once. It reports stale, having read
// nothing, when the log lags behind the collections, unless caughtUp.
func (s *Store) homeChanges(ctx context.Context, q HomeChangeQuery, limit *int, caughtUp bool) ([]HomeChange, HomeChangeSet, bool, error) {
	rows, err := s.pool.Query(ctx, homeChangesSQL(q), q.PrincipalID, q.Kind, q.Since, limit)
	if err != nil {
		return nil, HomeChangeSet{}, false, err
	}
	defer rows.Close()
	var (
		out              []HomeChange
		set              HomeChangeSet
		seq, floor, last int64
		stale            bool
		first            = true
		ch               HomeChange
		dest             = append([]any{&seq, &floor, &stale, &ch.Slug, &ch.Seq}, collectionDest(&ch.Collection)...)
	)
	for rows.Next() {
		ch = HomeChange{}
		if err := rows.Scan(dest...); err != nil {
			return nil, HomeChangeSet{}, false, err
		}
		if first {
			// Every row carries the home's columns; the first decides.
			first = false
			if stale && !caughtUp {
				return nil, HomeChangeSet{}, true, nil
			}
			if err := checkHomeSince(q, seq, floor); err != nil {
				return nil, HomeChangeSet{}, false, err
			}
			set.Seq = seq
		}
		if ch.Seq == 0 {
			break // the one row of an answer without changes
		}
		if q.Limit > 0 && len(out) == q.Limit {
			set.Seq, set.Truncated = last, true
			break
		}
		// A change row whose collection is gone (deleted since the last
		// catch-up) reads as a tombstone: that is what it is now.
		if ch.Deleted = ch.Collection.ID == 0; ch.Deleted {
			ch.Collection = Collection{}
		}
		out = append(out, ch)
		last = ch.Seq
	}
	if err := rows.Err(); err != nil {
		return nil, HomeChangeSet{}, false, err
	}
	if first {
		return nil, HomeChangeSet{}, false, errors.New("the home query returned no row")
	}
	return out, set, false, nil
}

// checkHomeSince is checkSince for a home: whether a delta from q can be
// computed in a home whose counter is seq and floor floor.
func checkHomeSince(q HomeChangeQuery, seq, floor int64) error {
	switch {
	case q.Initial:
	case q.Since < floor:
		return fmt.Errorf("%s home %d: revision %d is below the pruned point %d: %w", q.Kind, q.PrincipalID, q.Since, floor, ErrTokenExpired)
	case q.Since > seq:
		return fmt.Errorf("%s home %d: revision %d is beyond the counter %d: %w", q.Kind, q.PrincipalID, q.Since, seq, ErrTokenUnknown)
	}
	return nil
}

// homeDiffSQL selects the collections of home ($1 principal, $2 kind)
// whose latest state the log has not recorded: present ones with no row,
// a tombstone, or another id or sync_seq than recorded (slug, id,
// sync_seq), and recorded ones now gone (slug, NULL, NULL). A home has
// few collections; both sides are read through their keys.
const homeDiffSQL = `
	SELECT coalesce(c.slug, h.slug) AS slug, c.id, c.sync_seq
	FROM (SELECT slug, id, sync_seq FROM collections WHERE principal_id = $1 AND kind = $2) c
	FULL JOIN (SELECT slug, collection_id, collection_seq, deleted FROM home_changes
		WHERE principal_id = $1 AND kind = $2) h ON h.slug = c.slug
	WHERE CASE WHEN c.id IS NULL THEN NOT h.deleted
		ELSE h.slug IS NULL OR h.deleted OR h.collection_id <> c.id OR h.collection_seq <> c.sync_seq END`

// homeChangesSQL is the statement of HomeChanges: $1 principal, $2 kind,
// $3 the revision to start after, $4 the row limit (NULL for none). Its
// outer row is the home's counter and floor (zero for a home never
// synchronised) and whether the log lags behind the collections (stale:
// then the caller catches up and asks again); the changes are a LATERAL
// subquery, read only when the token is usable, in revision order
// through home_changes_seq_idx, each joined to its collection by id.
func homeChangesSQL(q HomeChangeQuery) string {
	var b strings.Builder
	b.WriteString(`SELECT coalesce(k.sync_seq, 0), coalesce(k.sync_floor, 0), EXISTS (` + homeDiffSQL + `),
		coalesce(c.change_slug, ''), coalesce(c.change_seq, 0), ` + collectionColumnsOuter + `
	FROM (SELECT) one
	LEFT JOIN homes k ON k.principal_id = $1 AND k.kind = $2
	LEFT JOIN LATERAL (
		SELECT hc.slug AS change_slug, hc.seq AS change_seq, col.*
		FROM home_changes hc
		LEFT JOIN collections col ON col.id = hc.collection_id AND col.slug = hc.slug AND NOT hc.deleted
		WHERE hc.principal_id = $1 AND hc.kind = $2 AND hc.seq > $3`)
	if q.Initial {
		b.WriteString(` AND NOT hc.deleted`)
	} else {
		b.WriteString(` AND $3::bigint BETWEEN k.sync_floor AND k.sync_seq`)
	}
	b.WriteString(`
		ORDER BY hc.seq
		LIMIT $4
	) c ON true`)
	return b.String()
}

// HomeSyncState returns the home's current revision, the number its
// sync-token carries (RFC 6578 4), after bringing its log up to date.
func (s *Store) HomeSyncState(ctx context.Context, principalID int64, kind CollectionKind) (int64, error) {
	var (
		seq   int64
		stale bool
	)
	err := s.pool.QueryRow(ctx, `SELECT coalesce(k.sync_seq, 0), EXISTS (`+homeDiffSQL+`)
		FROM (SELECT) one LEFT JOIN homes k ON k.principal_id = $1 AND k.kind = $2`, principalID, kind).Scan(&seq, &stale)
	if err != nil {
		return 0, fmt.Errorf("backend: sync state of %s home %d: %w", kind, principalID, err)
	}
	if stale {
		return s.catchUpHome(ctx, principalID, kind)
	}
	return seq, nil
}

// catchUpHome records in the home's log every difference between its
// collections and what the log recorded of them (homeDiffSQL), each with
// a new revision of the home, and returns the home's counter. It holds
// the home's row lock from the first statement to the commit: the
// statement that compares starts after the lock is granted, so it sees
// what every earlier catch-up committed, and the numbers are handed out
// in commit order. Nothing else takes that lock but pruning (and a
// principal's deletion, which holds nothing a catch-up needs), and its
// holders wait for no other row lock, so none waits in a cycle.
func (s *Store) catchUpHome(ctx context.Context, principalID int64, kind CollectionKind) (int64, error) {
	var seq int64
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO homes (principal_id, kind) VALUES ($1, $2) ON CONFLICT DO NOTHING`, principalID, kind)
		if isForeignKeyViolation(err) {
			return fmt.Errorf("principal %d: %w", principalID, ErrNotFound)
		}
		if err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `SELECT sync_seq FROM homes WHERE principal_id = $1 AND kind = $2 FOR NO KEY UPDATE`,
			principalID, kind).Scan(&seq); err != nil {
			return err
		}
		err = tx.QueryRow(ctx, `
			WITH diff AS (`+homeDiffSQL+`
			), numbered AS (
				SELECT slug, id, sync_seq, $3::bigint + row_number() OVER (ORDER BY id NULLS FIRST, slug) AS seq FROM diff
			), logged AS (
				INSERT INTO home_changes AS hc (principal_id, kind, slug, collection_id, collection_seq, seq, deleted, changed_at)
				SELECT $1, $2, slug, coalesce(id, 0), coalesce(sync_seq, 0), seq, id IS NULL, now() FROM numbered
				ON CONFLICT (principal_id, kind, slug) DO UPDATE SET
					collection_id  = CASE WHEN EXCLUDED.deleted THEN hc.collection_id ELSE EXCLUDED.collection_id END,
					collection_seq = CASE WHEN EXCLUDED.deleted THEN hc.collection_seq ELSE EXCLUDED.collection_seq END,
					seq = EXCLUDED.seq, deleted = EXCLUDED.deleted, changed_at = EXCLUDED.changed_at
			)
			UPDATE homes SET sync_seq = $3::bigint + (SELECT count(*) FROM numbered)
			WHERE principal_id = $1 AND kind = $2 AND EXISTS (SELECT FROM numbered)
			RETURNING sync_seq`, principalID, kind, seq).Scan(&seq)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil // another catch-up recorded everything meanwhile
		}
		return err
	})
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			return 0, err
		}
		return 0, fmt.Errorf("backend: catch up the log of %s home %d: %w", kind, principalID, err)
	}
	return seq, nil
}

// pruneHomeTombstones is PruneTombstones for the homes' logs: the
// tombstones of collections recorded deleted more than secs seconds ago
// are removed and each home's sync_floor raised to the highest revision
// removed, in batches of homes whose row locks are taken in key order.
func (s *Store) pruneHomeTombstones(ctx context.Context, secs float64) (int64, error) {
	rows, err := s.pool.Query(ctx, `SELECT DISTINCT principal_id, kind FROM home_changes
		WHERE deleted AND changed_at < now() - make_interval(secs => $1) ORDER BY principal_id, kind`, secs)
	if err != nil {
		return 0, err
	}
	type home struct {
		principal int64
		kind      string
	}
	homes, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (home, error) {
		var h home
		err := r.Scan(&h.principal, &h.kind)
		return h, err
	})
	if err != nil {
		return 0, err
	}
	var total int64
	for start := 0; start < len(homes); start += pruneBatch {
		batch := homes[start:min(start+pruneBatch, len(homes))]
		principals, kinds := make([]int64, len(batch)), make([]string, len(batch))
		for i, h := range batch {
			principals[i], kinds[i] = h.principal, h.kind
		}
		var n int64
		err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, `SELECT FROM homes WHERE (principal_id, kind) IN (SELECT * FROM unnest($1::bigint[], $2::text[]))
				ORDER BY principal_id, kind FOR NO KEY UPDATE`, principals, kinds); err != nil {
				return err
			}
			return tx.QueryRow(ctx, `
				WITH pruned AS (
					DELETE FROM home_changes
					WHERE (principal_id, kind) IN (SELECT * FROM unnest($1::bigint[], $2::text[]))
						AND deleted AND changed_at < now() - make_interval(secs => $3)
					RETURNING principal_id, kind, seq
				), floors AS (
					SELECT principal_id, kind, max(seq) AS seq, count(*) AS n FROM pruned GROUP BY principal_id, kind
				), raised AS (
					UPDATE homes h SET sync_floor = greatest(h.sync_floor, floors.seq)
					FROM floors WHERE h.principal_id = floors.principal_id AND h.kind = floors.kind
					RETURNING h.principal_id
				)
				SELECT coalesce(sum(n), 0)::bigint FROM floors`, principals, kinds, secs).Scan(&n)
		})
		if err != nil {
			return total, err
		}
		total += n
	}
	return total, nil
}

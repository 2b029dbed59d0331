package backend

import (
	"context"

	"github.com/jackc/pgx/v5"
)

// initialListing answers a first sync (q.Initial) from objects alone when
// every member fits in one answer (q.Limit 0, or at most q.Limit
// members): no order is needed then, since no page follows (RFC 6578
// 3.6 leaves the order to the server), so the members are listed as a
// PROPFIND lists them, without the change log, its join and its sort.
// The token is the counter read in the same statement, so it names
// exactly the state listed. It reports false, having called fn for
// nothing, when the collection has more members; the ordered change log
// (changesSQL) then pages them.
func (s *Store) initialListing(ctx context.Context, q ChangeQuery, fn func(*Change) error) (ChangeSet, bool, error) {
	// As in changes, the statement is planned with its values: its count
	// depends on the limit.
	args := []any{pgx.QueryExecModeCacheDescribe, q.CollectionID}
	if q.Limit > 0 {
		args = append(args, q.Limit)
	}
	var fits bool
	return s.runChanges(ctx, q, fn, initialListingSQL(q), args, &fits)
}

// initialListingSQL is initialListing's statement: $1 the collection and,
// with q.Limit, $2 the limit. Its last column, fits, tells whether the
// members fit; it is worked out once, from a count that stops one past
// the limit, and when it is false the listing is a one-time filter that
// reads nothing. Every member row carries the collection's counter as its
// revision.
func initialListingSQL(q ChangeQuery) string {
	fits := `true`
	if q.Limit > 0 {
		fits = `(SELECT count(*) FROM (SELECT FROM objects WHERE collection_id = $1 LIMIT $2::int + 1) n) <= $2::int`
	}
	return changeColumnsSQL(q) + `, f.fits
	FROM collections k
	CROSS JOIN LATERAL (SELECT ` + fits + ` AS fits) f
	LEFT JOIN LATERAL (
		SELECT o.name, k.sync_seq AS seq, ` + memberColumnsSQL(q) + `
		FROM objects o` + memberPropertiesSQL(q) + `
		WHERE o.collection_id = k.id AND f.fits
	) d ON true
	WHERE k.id = $1`
}

package backend

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
)

// BusyTimes is what SQL knows of a collection's free-busy over a window.
type BusyTimes struct {
	// Busy and Tentative are the stored free-busy periods of the objects
	// whose times are exact over the window (ObjectTimes), clipped to it
	// and merged where they overlap or touch.
	Busy, Tentative []Interval
}

// FreeBusy reads a collection's free-busy over window (RFC 4791 7.10) in
// one read-only snapshot: the periods of the VEVENTs whose stored times
// are exact over the window, merged by PostgreSQL, and — through fn, with
// their bytes — every other candidate of the given components whose span
// meets the window, for the caller to evaluate. zone names the zone
// floating times are read in (Decision.Zone).
func (s *Store) FreeBusy(ctx context.Context, collectionID int64, components []string, window Interval, zone string, fn func(Object) error) (BusyTimes, error) {
	var bt BusyTimes
	w := windowRange(window)
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		var busy, tentative pgtype.Multirange[tstzRange]
		err := tx.QueryRow(ctx, `
			SELECT coalesce(range_agg(busy * tstzmultirange($2::tstzrange)), '{}'),
				coalesce(range_agg(tentative * tstzmultirange($2::tstzrange)), '{}')
			FROM objects
			WHERE collection_id = $1 AND component = 'VEVENT'
				AND span && $2::tstzrange AND instances_within @> $2::tstzrange AND `+zoneMatchSQL("$3"),
			collectionID, w, zone).Scan(&busy, &tentative)
		if err != nil {
			return err
		}
		bt.Busy, bt.Tentative = intervalsOf(busy), intervalsOf(tentative)
		return streamQuery(ctx, tx, true, fn, `SELECT `+objectSelect(true)+`
			WHERE collection_id = $1 AND component = ANY($3)
				AND span && tstzrange(lower($2::tstzrange), upper($2::tstzrange), '[]')
				AND NOT (coalesce(instances_within @> $2::tstzrange, false) AND `+zoneMatchSQL("$4")+`)`,
			collectionID, w, components, zone)
	})
	if err != nil {
		return BusyTimes{}, streamError(err, "free-busy of collection %d", collectionID)
	}
	return bt, nil
}

package backend

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
)

// CardIndex is the index of one card: the values carddav computed from the
// bytes whose entity tag is ETag.
type CardIndex struct {
	ObjectID int64
	ETag     string
	Values   []CardValue
}

// IndexCards stores the values of cards that QueryCards reported as not
// indexed, and returns how many it indexed. A card is indexed only if it
// is still in the collection, still has the entity tag the values were
// computed from, and is still marked unindexed; others are skipped, so
// values computed from bytes a concurrent PUT has since replaced are
// never kept. It takes the collection's lock, like every write to its
// members, and writes everything in one statement.
func (s *Store) IndexCards(ctx context.Context, collectionID int64, cards []CardIndex) (int, error) {
	if len(cards) == 0 {
		return 0, nil
	}
	ids := make([]int64, len(cards))
	etags := make([]string, len(cards))
	var vids []int64
	var props, folded []string
	for i, c := range cards {
		if err := validateCardValues(c.Values); err != nil {
			return 0, err
		}
		ids[i], etags[i] = c.ObjectID, c.ETag
		for _, v := range c.Values {
			vids = append(vids, c.ObjectID)
			props = append(props, v.Prop)
			folded = append(folded, v.Folded)
		}
	}
	var n int
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := lockCollection(ctx, tx, collectionID); err != nil {
			return err
		}
		return tx.QueryRow(ctx, `
			WITH todo AS (
				DELETE FROM card_unindexed u
				USING objects o, unnest($2::bigint[], $3::text[]) AS t(id, etag)
				WHERE u.object_id = t.id AND o.id = t.id AND o.etag = t.etag AND o.collection_id = $1
				RETURNING u.object_id
			), gone AS (
				DELETE FROM card_values v USING todo WHERE v.object_id = todo.object_id
			), added AS (
				INSERT INTO card_values (object_id, collection_id, prop, folded)
				SELECT n.id, $1, n.prop, n.folded
				FROM unnest($4::bigint[], $5::text[], $6::text[]) AS n(id, prop, folded)
				WHERE n.id IN (SELECT object_id FROM todo)
			)
			SELECT count(*) FROM todo`,
			collectionID, ids, etags, vids, props, folded).Scan(&n)
	})
	if err != nil {
		return 0, fmt.Errorf("backend: index cards of collection %d: %w", collectionID, err)
	}
	return n, nil
}

// putCardValues replaces the values of the card objectID, just written in
// tx, and clears its unindexed mark (set by the write's trigger).
func putCardValues(ctx context.Context, tx pgx.Tx, objectID, collectionID int64, values []CardValue) error {
	if err := validateCardValues(values); err != nil {
		return err
	}
	props := make([]string, len(values))
	folded := make([]string, len(values))
	for i, v := range values {
		props[i], folded[i] = v.Prop, v.Folded
	}
	_, err := tx.Exec(ctx, `
		WITH gone AS (
			DELETE FROM card_values WHERE object_id = $1
		), marked AS (
			DELETE FROM card_unindexed WHERE object_id = $1
		)
		INSERT INTO card_values (object_id, collection_id, prop, folded)
		SELECT $1, $2, p, f FROM unnest($3::text[], $4::text[]) AS t(p, f)`,
		objectID, collectionID, props, folded)
	if err != nil {
		return fmt.Errorf("backend: index card %d: %w", objectID, err)
	}
	return nil
}

// importCardValues stores the values of the objects ImportObjects has just
// copied into collectionID in tx, for those that carry values.
func importCardValues(ctx context.Context, tx pgx.Tx, collectionID int64, objects []ObjectWrite) error {
	var names, vnames, props, folded []string
	for i := range objects {
		w := &objects[i]
		if w.CardValues == nil {
			continue
		}
		if err := validateCardValues(w.CardValues); err != nil {
			return err
		}
		names = append(names, w.Name)
		for _, v := range w.CardValues {
			vnames = append(vnames, w.Name)
			props = append(props, v.Prop)
			folded = append(folded, v.Folded)
		}
	}
	if len(names) == 0 {
		return nil
	}
	_, err := tx.Exec(ctx, `
		WITH marked AS (
			DELETE FROM card_unindexed u USING objects o
			WHERE o.collection_id = $1 AND o.name = ANY($2) AND u.object_id = o.id
		)
		INSERT INTO card_values (object_id, collection_id, prop, folded)
		SELECT o.id, $1, v.prop, v.folded
		FROM unnest($3::text[], $4::text[], $5::text[]) AS v(name, prop, folded)
		JOIN objects o ON o.collection_id = $1 AND o.name = v.name`,
		collectionID, names, vnames, props, folded)
	if err != nil {
		return fmt.Errorf("backend: import into collection %d: index cards: %w", collectionID, err)
	}
	if len(props) >= analyzeAfter {
		// Fresh statistics, committed with the import: without them the
		// planner misjudges the trigram index until autovacuum gets to
		// the table.
		if _, err := tx.Exec(ctx, `ANALYZE card_values`); err != nil {
			return fmt.Errorf("backend: import into collection %d: analyze: %w", collectionID, err)
		}
	}
	return nil
}

// analyzeAfter is how many values an import adds before it refreshes the
// table's statistics.
const analyzeAfter = 20000

// validateCardValues checks what PostgreSQL text cannot hold.
func validateCardValues(values []CardValue) error {
	for _, v := range values {
		switch {
		case v.Prop == "" || !utf8.ValidString(v.Prop) || strings.ContainsRune(v.Prop, 0):
			return invalidf("card value: property name %q is empty or not UTF-8", v.Prop)
		case !utf8.ValidString(v.Folded) || strings.ContainsRune(v.Folded, 0):
			return invalidf("card value of %s is not UTF-8 text", v.Prop)
		}
	}
	return nil
}

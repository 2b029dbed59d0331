package backend

import (
	"context"
	"strings"

	"github.com/jackc/pgx/v5"
)

// ExplainQueryCards returns PostgreSQL's EXPLAIN (ANALYZE, BUFFERS) of
// QueryCards' statement for q, for the benchmarks.
func (s *Store) ExplainQueryCards(ctx context.Context, q CardQuery) (string, error) {
	sql, args, err := queryCardsSQL(q)
	if err != nil {
		return "", err
	}
	return s.explain(ctx, sql, args...)
}

// ExplainObjectsByName is ExplainQueryCards for GetObjectsByName.
func (s *Store) ExplainObjectsByName(ctx context.Context, collectionID int64, names []string, withData bool) (string, error) {
	return s.explain(ctx, objectsByNameSQL(withData), collectionID, names)
}

func (s *Store) explain(ctx context.Context, sql string, args ...any) (string, error) {
	return planText(s.pool.Query(ctx, "EXPLAIN (ANALYZE, BUFFERS) "+sql, args...))
}

// planText reads the lines of an EXPLAIN into one string.
func planText(rows pgx.Rows, err error) (string, error) {
	if err != nil {
		return "", err
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			return "", err
		}
		b.WriteString(line + "\n")
	}
	return b.String(), rows.Err()
}

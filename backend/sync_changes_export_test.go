package backend

import (
	"context"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
)

// ExplainChanges returns the plan (EXPLAIN ANALYZE) of the
// delta statement Changes runs for q, for the tests and benchmarks. With
// generic, the plan is the one a prepared statement ends up with after
// five executions (plan_cache_mode = force_generic_plan), which does not
// know the parameters' values.
func (s *Store) ExplainChanges(ctx context.Context, q ChangeQuery, generic bool) (*Plan, error) {
	var limit *int
	if q.Limit > 0 {
		n := q.Limit + 1
		limit = &n
	}
	since := q.Since
	if q.Initial {
		since, q.After = 0, ""
	}
	lit := []string{strconv.FormatInt(q.CollectionID, 10), strconv.FormatInt(since, 10), "NULL"}
	if limit != nil {
		lit[2] = strconv.Itoa(*limit)
	}
	if q.After != "" {
		lit = append(lit, "'"+strings.ReplaceAll(q.After, "'", "''")+"'")
	}
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Release()
	mode := "force_custom_plan"
	if generic {
		mode = "force_generic_plan"
	}
	for _, sql := range []string{"SET plan_cache_mode = " + mode, "PREPARE sync_delta AS " + changesSQL(q)} {
		if _, err := conn.Exec(ctx, sql); err != nil {
			return nil, err
		}
	}
	defer conn.Exec(context.WithoutCancel(ctx), "DEALLOCATE sync_delta; RESET plan_cache_mode")
	return readPlan(conn.Query(ctx, "EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) EXECUTE sync_delta("+strings.Join(lit, ", ")+")",
		pgx.QueryExecModeSimpleProtocol))
}

// ExplainInitialListing is ExplainChanges for the statement of a first
// sync whose members fit in one answer (initialListingSQL).
func (s *Store) ExplainInitialListing(ctx context.Context, q ChangeQuery) (*Plan, error) {
	lit := []string{strconv.FormatInt(q.CollectionID, 10)}
	if q.Limit > 0 {
		lit = append(lit, strconv.Itoa(q.Limit))
	}
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "PREPARE initial_listing AS "+initialListingSQL(q)); err != nil {
		return nil, err
	}
	defer conn.Exec(context.WithoutCancel(ctx), "DEALLOCATE initial_listing")
	return readPlan(conn.Query(ctx, "EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) EXECUTE initial_listing("+strings.Join(lit, ", ")+")",
		pgx.QueryExecModeSimpleProtocol))
}

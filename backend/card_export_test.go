package backend

import "context"

// ExplainQueryCards returns the plan of QueryCards' statement for q, for
// the tests and benchmarks.
func (s *Store) ExplainQueryCards(ctx context.Context, q CardQuery) (*Plan, error) {
	sql, args, err := queryCardsSQL(q)
	if err != nil {
		return nil, err
	}
	return s.Explain(ctx, sql, args...)
}

// ExplainObjectsByName is ExplainQueryCards for GetObjectsByName.
func (s *Store) ExplainObjectsByName(ctx context.Context, collectionID int64, names []string, withData bool) (*Plan, error) {
	return s.Explain(ctx, objectsByNameSQL(withData), collectionID, names)
}

package backend

import "strconv"

// sqlArgs are the arguments of a statement built piece by piece. Each
// argument is added where the SQL uses it, and add returns its
// placeholder, so the statement reads as SQL and no placeholder number is
// worked out by hand.
type sqlArgs []any

// add appends v and returns its placeholder, "$n".
func (a *sqlArgs) add(v any) string {
	*a = append(*a, v)
	return "$" + strconv.Itoa(len(*a))
}

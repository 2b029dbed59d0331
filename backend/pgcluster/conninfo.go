package pgcluster

import "strings"

// quoteConnValue quotes a libpq keyword/value conninfo value when needed:
// values that are empty or contain whitespace, quotes or backslashes go in
// single quotes with ' and \ escaped by a backslash (libpq treats a
// backslash as an escape even outside quotes).
func quoteConnValue(v string) string {
	if v != "" && !strings.ContainsAny(v, " \t\n\r\f\v'\\") {
		return v
	}
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(v) + "'"
}

// quoteGUCList quotes one element of a PostgreSQL list setting such as
// unix_socket_directories, where commas separate elements and surrounding
// spaces are trimmed: in double quotes, with " doubled, the path is taken
// verbatim.
func quoteGUCList(v string) string {
	return `"` + strings.ReplaceAll(v, `"`, `""`) + `"`
}

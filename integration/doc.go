// Package integration holds pgdav's black-box tests: they build the real
// binary, start `pgdav serve` with its embedded PostgreSQL, provision it
// with the admin CLI and talk to it over HTTP as clients do. They import no
// pgdav package; layering_test.go checks the import rules of the others.
package integration

// Package migrations holds pgdav's database schema as numbered SQL files.
//
// Each file NNNN_name.sql is one forward-only step, applied in its own
// transaction by backend.Migrate and recorded in schema_migrations. A file
// that has been released is never edited again: change the schema by adding
// the next number. This package imports only embed; it lives in its own
// directory because an embed pattern cannot reach a parent directory.
package migrations

import "embed"

// FS holds every migration file, named NNNN_name.sql.
//
//go:embed *.sql
var FS embed.FS

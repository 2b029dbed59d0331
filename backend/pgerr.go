package backend

import (
	"errors"

	"github.com/jackc/pgx/v5/pgconn"
)

// SQLSTATE codes pgdav reacts to (PostgreSQL appendix A).
const (
	sqlstateUniqueViolation     = "23505"
	sqlstateForeignKeyViolation = "23503"
	sqlstateUndefinedTable      = "42P01"
)

func hasSQLState(err error, code string) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == code
}

func isUniqueViolation(err error) bool     { return hasSQLState(err, sqlstateUniqueViolation) }
func isForeignKeyViolation(err error) bool { return hasSQLState(err, sqlstateForeignKeyViolation) }
func isUndefinedTable(err error) bool      { return hasSQLState(err, sqlstateUndefinedTable) }

package backend

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/jackc/pgx/v5"
)

// Principal is a user account: its login name is also its URL segment
// (/principals/NAME/, /calendars/NAME/, /addressbooks/NAME/).
type Principal struct {
	ID          int64
	Name        string
	Email       string
	DisplayName string
	Disabled    bool
	CreatedAt   time.Time
}

// principalName keeps user names safe in URLs and logs without encoding,
// while allowing e-mail-like logins ("alice@example.org").
var principalName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}$`)

// ValidatePrincipalName reports whether name may be a user name.
func ValidatePrincipalName(name string) error {
	if !principalName.MatchString(name) {
		return invalidf("user name %q: use 1-64 letters, digits and . _ @ + - (starting with a letter or digit)", name)
	}
	return nil
}

const principalColumns = `id, name, email, display_name, disabled, created_at`

func scanPrincipal(row pgx.Row, extra ...any) (Principal, error) {
	var p Principal
	err := row.Scan(append([]any{&p.ID, &p.Name, &p.Email, &p.DisplayName, &p.Disabled, &p.CreatedAt}, extra...)...)
	return p, err
}

// CreatePrincipal creates a user with the given password hash (see
// HashPassword) together with the given collections, in one transaction.
func (s *Store) CreatePrincipal(ctx context.Context, p Principal, passwordHash string, collections []Collection) (Principal, error) {
	if err := ValidatePrincipalName(p.Name); err != nil {
		return Principal{}, err
	}
	if passwordHash == "" {
		return Principal{}, invalidf("empty password hash")
	}
	var created Principal
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		created, err = scanPrincipal(tx.QueryRow(ctx, `
			INSERT INTO principals (name, email, display_name, password_hash, disabled)
			VALUES ($1, $2, $3, $4, $5)
			RETURNING `+principalColumns,
			p.Name, p.Email, p.DisplayName, passwordHash, p.Disabled))
		if isUniqueViolation(err) {
			return fmt.Errorf("user %q: %w", p.Name, ErrExists)
		}
		if err != nil {
			return fmt.Errorf("backend: create user %q: %w", p.Name, err)
		}
		for _, c := range collections {
			if _, err := createCollection(ctx, tx, created.ID, c); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return Principal{}, err
	}
	return created, nil
}

// GetPrincipal returns the user whose name matches name case-insensitively.
func (s *Store) GetPrincipal(ctx context.Context, name string) (Principal, error) {
	if !principalName.MatchString(name) {
		return Principal{}, unknownName(name)
	}
	p, err := scanPrincipal(s.pool.QueryRow(ctx,
		`SELECT `+principalColumns+` FROM principals WHERE lower(name) = lower($1)`, name))
	return p, notFound(err, "user %q", name)
}

// CollectionKey names a collection in a user's home.
type CollectionKey struct {
	Kind CollectionKind
	Slug string
}

// Credentials is what authenticating a request reads.
type Credentials struct {
	Principal    Principal
	PasswordHash string
	// Collection is the user's collection GetPrincipalCredentials was
	// asked for; nil when it was not asked for or does not exist.
	Collection *Collection
}

// GetPrincipalCredentials returns the user named name (case-insensitively)
// and its password hash, for authentication, and, when coll is not nil,
// that collection of the user's, read in the same statement: most
// requests are to a collection or its members, and reading it with the
// credentials saves each of them a round trip to the database.
func (s *Store) GetPrincipalCredentials(ctx context.Context, name string, coll *CollectionKey) (Credentials, error) {
	var cr Credentials
	if !principalName.MatchString(name) {
		return cr, unknownName(name)
	}
	if coll == nil {
		var err error
		cr.Principal, err = scanPrincipal(s.pool.QueryRow(ctx,
			`SELECT `+principalColumns+`, password_hash FROM principals WHERE lower(name) = lower($1)`, name), &cr.PasswordHash)
		return cr, notFound(err, "user %q", name)
	}
	var c Collection
	p, err := scanPrincipal(s.pool.QueryRow(ctx, `SELECT p.*, `+collectionColumnsOuter+`
		FROM (SELECT `+principalColumns+`, password_hash FROM principals WHERE lower(name) = lower($1)) p
		LEFT JOIN collections c ON c.principal_id = p.id AND c.kind = $2 AND c.slug = $3`, name, coll.Kind, coll.Slug),
		append([]any{&cr.PasswordHash}, collectionDest(&c)...)...)
	if err != nil {
		return cr, notFound(err, "user %q", name)
	}
	cr.Principal = p
	if c.ID != 0 {
		cr.Collection = &c
	}
	return cr, nil
}

// unknownName is the answer for a name no user can have (CreatePrincipal
// refuses it): found without asking the database, which would refuse
// invalid UTF-8 or a NUL byte with an error of its own.
func unknownName(name string) error {
	return fmt.Errorf("user %q: %w", name, ErrNotFound)
}

// ListPrincipals returns every user, ordered by name.
func (s *Store) ListPrincipals(ctx context.Context) ([]Principal, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+principalColumns+` FROM principals ORDER BY lower(name)`)
	if err != nil {
		return nil, fmt.Errorf("backend: list users: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Principal, error) { return scanPrincipal(r) })
	if err != nil {
		return nil, fmt.Errorf("backend: list users: %w", err)
	}
	return out, nil
}

// SetPasswordHash replaces the password hash of the user named name.
func (s *Store) SetPasswordHash(ctx context.Context, name, hash string) error {
	if hash == "" {
		return invalidf("empty password hash")
	}
	return s.updatePrincipal(ctx, name, `password_hash = $2`, hash)
}

// SetPrincipalDisabled disables or enables logins of the user named name.
func (s *Store) SetPrincipalDisabled(ctx context.Context, name string, disabled bool) error {
	return s.updatePrincipal(ctx, name, `disabled = $2`, disabled)
}

func (s *Store) updatePrincipal(ctx context.Context, name, set string, value any) error {
	tag, err := s.pool.Exec(ctx,
		`UPDATE principals SET `+set+`, updated_at = now() WHERE lower(name) = lower($1)`, name, value)
	if err != nil {
		return fmt.Errorf("backend: update user %q: %w", name, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("user %q: %w", name, ErrNotFound)
	}
	return nil
}

// DeletePrincipal deletes the user named name with all its collections,
// objects, change log and properties (ON DELETE CASCADE).
func (s *Store) DeletePrincipal(ctx context.Context, name string) error {
	tag, err := s.pool.Exec(ctx, `DELETE FROM principals WHERE lower(name) = lower($1)`, name)
	if err != nil {
		return fmt.Errorf("backend: delete user %q: %w", name, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("user %q: %w", name, ErrNotFound)
	}
	return nil
}

// CountPrincipals returns how many users exist.
func (s *Store) CountPrincipals(ctx context.Context) (int, error) {
	var n int
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM principals`).Scan(&n); err != nil {
		return 0, fmt.Errorf("backend: count users: %w", err)
	}
	return n, nil
}

// notFound turns pgx.ErrNoRows into ErrNotFound with a description, wraps
// other errors, and passes nil through.
func notFound(err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	what := fmt.Sprintf(format, args...)
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("%s: %w", what, ErrNotFound)
	}
	return fmt.Errorf("backend: get %s: %w", what, err)
}

package backend

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
)

// Object is a stored calendar object resource or vCard.
type Object struct {
	ID           int64
	CollectionID int64
	Name         string // decoded last URL segment
	UID          string
	ETag         string // strong, unquoted (ETagOf(Data))
	Size         int
	ContentType  string
	Component    string // VEVENT, VTODO, VJOURNAL, VFREEBUSY or VCARD
	Data         []byte // only filled when asked for
	// Decided is set by the time-range queries when SQL decided, from
	// the object's stored times, that it matches (TimeRange.Decide).
	Decided bool
	// Expansion is the stored ObjectTimes.Expansion, read instead of
	// Data when a query asks for it (Decision.Expand).
	Expansion  []byte
	CreatedAt  time.Time
	ModifiedAt time.Time
}

// ObjectWrite is what a PUT stores: the client's bytes, already validated,
// and the index values the caller computed from them.
type ObjectWrite struct {
	CollectionID int64
	Name         string
	Data         []byte
	UID          string
	Component    string
	ContentType  string
	Span         *Span // optional calendar time span for the index; nil stores NULL
	// Times, when not nil, are the calendar object's exact times
	// (times.go); nil leaves every decision to the caller's evaluator.
	Times *ObjectTimes
	// CardValues, when not nil, are a vCard's searchable values
	// (card_values, see card.go), written in the same transaction.
	CardValues []CardValue
}

// Span is an object's overall time range, the pre-filter of time-range
// queries (see README.md). A zero End means unbounded above (infinite
// recurrence), a zero Start unbounded below. Both bounds are stored as
// inclusive, so an instant (Start == End) still overlaps the ranges that
// contain it; the pre-filter may keep a candidate too many, never one too
// few.
type Span struct{ Start, End time.Time }

// maxObjectName bounds an object's name. Clients derive names from UIDs,
// and some UIDs (Outlook's) run past a hundred characters.
const maxObjectName = 512

// ValidateObjectName reports whether name may name an object: one decoded
// URL segment, so the rule is what a segment needs and nothing more.
func ValidateObjectName(name string) error {
	switch {
	case name == "" || name == "." || name == "..":
		return invalidf("object name %q is empty or a dot name", name)
	case len(name) > maxObjectName:
		return invalidf("object name is longer than %d bytes", maxObjectName)
	case !utf8.ValidString(name):
		return invalidf("object name is not UTF-8")
	case strings.ContainsFunc(name, func(r rune) bool { return r == '/' || unicode.IsControl(r) }):
		return invalidf("object name %q contains '/' or a control character", name)
	}
	return nil
}

func (w ObjectWrite) validate() error {
	if err := ValidateObjectName(w.Name); err != nil {
		return err
	}
	switch {
	case w.UID == "" || !utf8.ValidString(w.UID) || strings.ContainsRune(w.UID, 0):
		return invalidf("object %q: UID is empty or not UTF-8", w.Name)
	case w.Component == "" || w.ContentType == "":
		return invalidf("object %q: component or content type missing", w.Name)
	case w.Span != nil && !w.Span.Start.IsZero() && !w.Span.End.IsZero() && w.Span.End.Before(w.Span.Start):
		return invalidf("object %q: span ends before it starts", w.Name)
	}
	return nil
}

// spanArgs turns an optional span into the arguments of the SQL expression
// spanSQL: whether there is one, and its bounds (nil = unbounded).
func spanArgs(sp *Span) (has bool, lo, hi *time.Time) {
	if sp == nil {
		return false, nil, nil
	}
	if !sp.Start.IsZero() {
		lo = &sp.Start
	}
	if !sp.End.IsZero() {
		hi = &sp.End
	}
	return true, lo, hi
}

// spanSQL builds the span column from spanArgs in placeholders has, lo
// and hi.
func spanSQL(has, lo, hi string) string {
	return `CASE WHEN ` + has + `::boolean THEN tstzrange(` + lo + `::timestamptz, ` + hi + `::timestamptz, '[]') END`
}

const objectColumns = `id, collection_id, name, uid, etag, size, content_type, component, created_at, modified_at`

// objectSelect is the select list for an object, with or without its
// bytes, and the table it reads from: objects, joined to its body
// (object_bodies, migration 0007) only when the bytes are wanted. The
// body's columns (object_id, data, expansion) have names of their own, so
// the objects' columns stay unqualified.
func objectSelect(withData bool) string {
	if withData {
		return objectColumns + `, data FROM objects JOIN object_bodies ON object_id = id`
	}
	return objectColumns + ` FROM objects`
}

// bodyWhen is a FROM item that adds the columns data and expansion of the
// body of objects' current row, looked up only for the rows where cond (an
// expression over objects and the items before it) holds, and NULL on the
// others. OFFSET 0 keeps the subquery whole, so cond is a one-time filter
// checked for each row before the lookup: the rows that do not need their
// bytes never touch object_bodies, and the planner cannot turn the lookups
// into a join reading the whole table.
func bodyWhen(cond string) string {
	return `
		LEFT JOIN LATERAL (SELECT data, expansion FROM object_bodies
			WHERE object_id = objects.id AND (` + cond + `) OFFSET 0) body ON true`
}

// scanObject scans objectSelect(withData) plus any extra columns.
func scanObject(row pgx.Row, withData bool, extra ...any) (Object, error) {
	var o Object
	dest := []any{&o.ID, &o.CollectionID, &o.Name, &o.UID, &o.ETag, &o.Size, &o.ContentType, &o.Component, &o.CreatedAt, &o.ModifiedAt}
	if withData {
		dest = append(dest, &o.Data)
	}
	err := row.Scan(append(dest, extra...)...)
	return o, err
}

// PutObject creates or replaces an object, in one transaction. It
// evaluates cond against the current object, checks that no other name of
// the collection holds the UID and that a replaced object had the same
// UID (*UIDConflictError both), writes the row, bumps
// the collection's sync_seq and records the member in the change log. It
// returns the stored object without Data, and created=true when the name
// was new.
//
// Identical bytes succeed without writing anything: no new sync_seq, no
// change-log entry, modified_at kept, because clients re-download every
// member the change log names and some re-PUT unchanged objects.
//
// The collection's row lock serialises every writer of the collection, so
// it is held as briefly as possible: the current state is read first,
// without it, and the checks are made on that; then one pipelined write
// takes the lock, writes the row only if it is still in the state read
// (same id and ETag, or still absent) and records the change, and commits.
// When a concurrent write got in between, nothing is written and the whole
// write starts over from a fresh read (see writeAttempts), so every answer
// is the one the state at the write gives. A create with If-None-Match: *
// first tries the write alone, since it can only succeed on a missing name.
func (s *Store) PutObject(ctx context.Context, w ObjectWrite, cond Conditions) (obj Object, created bool, err error) {
	if err := w.validate(); err != nil {
		return Object{}, false, err
	}
	etag := ETagOf(w.Data)
	createOnly := cond.IfMatch == nil && cond.If == nil && cond.IfNoneMatch != nil && cond.IfNoneMatch.Any
	for attempt := range writeAttempts {
		var cur objectState
		if !createOnly || attempt > 0 {
			if cur, err = s.readForPut(ctx, w); err != nil {
				return Object{}, false, err
			}
			if err := cond.Check(State{Exists: cur.exists, ETag: cur.etag}, State{}); err != nil {
				return Object{}, false, fmt.Errorf("object %q: %w", w.Name, err)
			}
			if cur.uidHolder != "" {
				return Object{}, false, &UIDConflictError{UID: w.UID, Name: cur.uidHolder}
			}
			// RFC 4791 5.3.2.1, RFC 6352 6.3.2.1: a replacement keeps
			// the UID; the write below requires the ETag read, and so
			// the UID read with it.
			if cur.exists && cur.uid != w.UID {
				return Object{}, false, &UIDConflictError{UID: w.UID, Name: w.Name, Replaced: cur.uid}
			}
			if cur.exists && cur.etag == etag {
				obj, same, err := s.sameObject(ctx, cur.id, w)
				if errors.Is(err, errWriteRaced) {
					continue
				}
				if err != nil || same {
					return obj, false, err
				}
			}
		}
		obj, err = s.writeObject(ctx, w, etag, cur)
		if errors.Is(err, errWriteRaced) {
			continue
		}
		if err != nil {
			return Object{}, false, err
		}
		return obj, !cur.exists, nil
	}
	return Object{}, false, fmt.Errorf("backend: put object %q: %w", w.Name, errContended)
}

// writeAttempts bounds how often a write starts over because a concurrent
// write changed its object between its read and its write. Each new
// attempt means another write to the same name or UID committed meanwhile.
const writeAttempts = 10

var (
	// errWriteRaced: the object is no longer in the state the write read;
	// nothing was written, and the write starts over.
	errWriteRaced = errors.New("object changed concurrently")
	// errContended: writeAttempts attempts all raced.
	errContended = errors.New("object changed concurrently on every attempt")
)

// objectState is what a write read about its target before writing: the
// object under its name, if any, and another name holding its UID.
type objectState struct {
	exists    bool
	id        int64
	etag, uid string
	uidHolder string // another object's name holding the UID, or ""
}

// readForPut reads, in one statement and without locks, the collection's
// existence, the object named w.Name and any other object holding w.UID.
func (s *Store) readForPut(ctx context.Context, w ObjectWrite) (objectState, error) {
	var (
		id              *int64
		etag, uid, name *string
	)
	err := s.pool.QueryRow(ctx, `
		SELECT o.id, o.etag, o.uid, u.name
		FROM collections c
		LEFT JOIN objects o ON o.collection_id = c.id AND o.name = $2
		LEFT JOIN LATERAL (
			SELECT name FROM objects WHERE collection_id = c.id AND uid = $3 AND name <> $2 LIMIT 1
		) u ON true
		WHERE c.id = $1`, w.CollectionID, w.Name, w.UID).Scan(&id, &etag, &uid, &name)
	if err != nil {
		return objectState{}, notFound(err, "collection %d", w.CollectionID)
	}
	var st objectState
	if id != nil {
		st.exists, st.id, st.etag, st.uid = true, *id, *etag, *uid
	}
	if name != nil {
		st.uidHolder = *name
	}
	return st, nil
}

// sameObject reports whether object id holds exactly w.Data, and returns
// it. Equal tags mean equal bytes but for a hash collision; the database
// confirms it exactly before nothing is written. errWriteRaced: the object
// is gone or no longer w.Name of w.CollectionID.
func (s *Store) sameObject(ctx context.Context, id int64, w ObjectWrite) (Object, bool, error) {
	var same bool
	obj, err := scanObject(s.pool.QueryRow(ctx, `SELECT `+objectColumns+`, data = $2
		FROM objects JOIN object_bodies ON object_id = id
		WHERE id = $1 AND collection_id = $3 AND name = $4`, id, w.Data, w.CollectionID, w.Name), false, &same)
	if errors.Is(err, pgx.ErrNoRows) {
		return Object{}, false, errWriteRaced
	}
	if err != nil {
		return Object{}, false, fmt.Errorf("backend: put object %q: %w", w.Name, err)
	}
	return obj, same, nil
}

// writeObject writes w in one transaction if the object is still in state
// cur: it updates object cur.id if it still has cur.etag, or inserts a new
// row if neither w.Name nor w.UID is taken; otherwise it writes nothing and
// returns errWriteRaced. A calendar object's write is one pipelined
// implicit transaction: one round trip, the lock held from its second
// statement to the commit. A card's values need the new row's id, so a
// card is written in an explicit transaction.
func (s *Store) writeObject(ctx context.Context, w ObjectWrite, etag string, cur objectState) (Object, error) {
	hasSpan, lo, hi := spanArgs(w.Span)
	times := timesValues(w.Times)
	b := &pgx.Batch{}
	b.Queue(lockCollectionSQL, w.CollectionID)
	if cur.exists {
		b.Queue(withChange(`
			UPDATE objects SET uid = $6, etag = $8, size = $9, content_type = $10, component = $11,
				span = `+spanSQL("$12", "$13", "$14")+`, instances = $15, instances_within = $16, busy = $17, tentative = $18,
				instances_zone = $20, modified_at = now()
			WHERE id = $4 AND etag = $5 AND collection_id = $1 AND name = $2
			RETURNING `+objectColumns,
			`UPDATE object_bodies SET data = $7, expansion = $19 FROM w WHERE object_id = w.id`),
			w.CollectionID, w.Name, false, cur.id, cur.etag,
			w.UID, w.Data, etag, len(w.Data), w.ContentType, w.Component, hasSpan, lo, hi,
			times[0], times[1], times[2], times[3], times[4], times[5])
	} else {
		// DO NOTHING on either unique key: a taken name or UID is a race
		// lost, and the next attempt reads who took it.
		b.Queue(withChange(`
			INSERT INTO objects (collection_id, name, uid, etag, size, content_type, component, span,
				instances, instances_within, busy, tentative, instances_zone)
			VALUES ($1, $2, $4, $6, $7, $8, $9, `+spanSQL("$10", "$11", "$12")+`, $13, $14, $15, $16, $18)
			ON CONFLICT DO NOTHING
			RETURNING `+objectColumns,
			`INSERT INTO object_bodies (object_id, data, expansion) SELECT id, $5::bytea, $17::bytea FROM w`),
			w.CollectionID, w.Name, false,
			w.UID, w.Data, etag, len(w.Data), w.ContentType, w.Component, hasSpan, lo, hi,
			times[0], times[1], times[2], times[3], times[4], times[5])
	}
	what := fmt.Sprintf("put object %q", w.Name)
	if w.CardValues == nil {
		var obj Object
		err := runWrite(s.pool.SendBatch(ctx, b), w.CollectionID, what, func(row pgx.Row) (err error) {
			obj, err = scanObject(row, false)
			return err
		})
		return obj, err
	}
	var obj Object
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		err := runWrite(tx.SendBatch(ctx, b), w.CollectionID, what, func(row pgx.Row) (err error) {
			obj, err = scanObject(row, false)
			return err
		})
		if err != nil {
			return err
		}
		return putCardValues(ctx, tx, obj.ID, w.CollectionID, w.CardValues)
	})
	return obj, err
}

// runWrite reads the results of a write batch: lockCollectionSQL, then a
// withChange statement whose row scan reads. No row from the write means
// it found its object changed (errWriteRaced), and so does a unique
// violation (an UPDATE taking a UID that another write took meanwhile);
// the next attempt reads why. An error from the batch's end is the
// commit's.
func runWrite(br pgx.BatchResults, collectionID int64, what string, scan func(pgx.Row) error) error {
	var owner int64
	lockErr := br.QueryRow().Scan(&owner)
	writeErr := scan(br.QueryRow())
	closeErr := br.Close()
	switch {
	case lockErr != nil:
		return notFound(lockErr, "collection %d", collectionID)
	case isUniqueViolation(writeErr):
		return errWriteRaced
	case errors.Is(writeErr, pgx.ErrNoRows) && closeErr == nil:
		return errWriteRaced
	case errors.Is(writeErr, pgx.ErrNoRows):
		writeErr = closeErr
	case writeErr == nil:
		writeErr = closeErr
	}
	if writeErr != nil {
		return fmt.Errorf("backend: %s: %w", what, writeErr)
	}
	return nil
}

// checkUID returns a *UIDConflictError when an object of the collection
// other than those named in except holds uid.
func checkUID(ctx context.Context, tx pgx.Tx, collectionID int64, uid string, except ...string) error {
	if except == nil {
		except = []string{} // a nil slice is NULL, and "name <> ALL(NULL)" is never true
	}
	var other string
	err := tx.QueryRow(ctx, `SELECT name FROM objects WHERE collection_id = $1 AND uid = $2 AND name <> ALL($3::text[])`,
		collectionID, uid, except).Scan(&other)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return nil
	case err != nil:
		return fmt.Errorf("backend: check UID %q: %w", uid, err)
	}
	return &UIDConflictError{UID: uid, Name: other}
}

// GetObject returns the object name of the collection, with its bytes when
// withData is set.
func (s *Store) GetObject(ctx context.Context, collectionID int64, name string, withData bool) (Object, error) {
	o, err := scanObject(s.pool.QueryRow(ctx, `SELECT `+objectSelect(withData)+`
		WHERE collection_id = $1 AND name = $2`, collectionID, name), withData)
	return o, notFound(err, "object %q", name)
}

// ListObjects calls fn for each object of the collection, in no
// particular order: with an ORDER BY the planner may sort the whole
// collection, spilling to disk, before the first row goes out, and no
// DAV client depends on member order. Rows are streamed from the database as fn consumes them, never
// collected: a collection may hold 100 000 objects and the caller writes
// each to the network as it arrives. If fn returns an error, iteration stops and that
// error is returned as it is. An unknown collection has no objects.
func (s *Store) ListObjects(ctx context.Context, collectionID int64, withData bool, fn func(Object) error) error {
	err := s.streamObjects(ctx, withData, fn, `SELECT `+objectSelect(withData)+`
		WHERE collection_id = $1`, collectionID)
	return streamError(err, "list objects of collection %d", collectionID)
}

// ListObjectNames returns the names of at most limit objects of the
// collection, in name order: one probe of the (collection_id, name)
// index, whatever the collection's size.
func (s *Store) ListObjectNames(ctx context.Context, collectionID int64, limit int) ([]string, error) {
	rows, err := s.pool.Query(ctx, `SELECT name FROM objects WHERE collection_id = $1 ORDER BY name LIMIT $2`, collectionID, limit)
	if err != nil {
		return nil, fmt.Errorf("list object names of collection %d: %w", collectionID, err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("list object names of collection %d: %w", collectionID, err)
	}
	return names, nil
}

// streamObjects runs a query selecting objectSelect(withData) and calls fn
// for each row as it arrives; an error from fn stops the query and is
// returned as it is.
func (s *Store) streamObjects(ctx context.Context, withData bool, fn func(Object) error, sql string, args ...any) error {
	return streamQuery(ctx, s.pool, withData, fn, sql, args...)
}

// streamQuery is streamObjects on q, a pool or a transaction.
func streamQuery(ctx context.Context, q querier, withData bool, fn func(Object) error, sql string, args ...any) error {
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	sc := newRowScanner(withData)
	for rows.Next() {
		o, err := sc.scan(rows)
		if err != nil {
			return err
		}
		if err := fn(o); err != nil {
			return callbackError{err}
		}
	}
	return rows.Err()
}

// rowScanner scans the rows of one streamed query of objectSelect (plus
// extra columns) with destinations set up once, and shares the few
// distinct content types and component names among the rows instead of
// allocating them for each: a 100 000-member listing allocates per row
// only the strings that differ.
type rowScanner struct {
	o                      Object
	dest                   []any
	contentType, component pgtype.DriverBytes
	shared                 map[string]string
}

func newRowScanner(withData bool, extra ...any) *rowScanner {
	sc := &rowScanner{shared: map[string]string{}}
	o := &sc.o
	sc.dest = append([]any{&o.ID, &o.CollectionID, &o.Name, &o.UID, &o.ETag, &o.Size, &sc.contentType,
		&sc.component, &o.CreatedAt, &o.ModifiedAt}, extra...)
	if withData {
		sc.dest = slices.Insert(sc.dest, 10, any(&o.Data))
	}
	return sc
}

// scan reads the current row; the extra destinations hold its extra
// columns until the next call.
func (sc *rowScanner) scan(rows pgx.Rows) (Object, error) {
	if err := rows.Scan(sc.dest...); err != nil {
		return Object{}, err
	}
	sc.o.ContentType = sc.share(sc.contentType)
	sc.o.Component = sc.share(sc.component)
	return sc.o, nil
}

// share returns b as a string, the same one for equal bytes (b is the
// driver's, valid only until the next row).
func (sc *rowScanner) share(b []byte) string {
	if s, ok := sc.shared[string(b)]; ok {
		return s
	}
	s := string(b)
	if len(sc.shared) < 64 {
		sc.shared[s] = s
	}
	return s
}

// callbackError carries an error returned by a caller's callback through
// the wrapping of the query error, so the caller gets it back unchanged.
type callbackError struct{ err error }

func (e callbackError) Error() string { return e.err.Error() }
func (e callbackError) Unwrap() error { return e.err }

// streamError returns a callback's error as it is, and wraps a query's
// error with what was being done.
func streamError(err error, format string, args ...any) error {
	var cb callbackError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &cb):
		return cb.err
	}
	return fmt.Errorf("backend: "+format+": %w", append(args, err)...)
}

// DeleteObject deletes an object after checking cond, records a tombstone
// in the change log and bumps the collection's sync_seq, in one
// transaction; the object's dead properties go with it. A missing object
// is ErrNotFound, or ErrPreconditionFailed when cond fails on it (RFC
// 9110 13.1.1: If-Match on a missing resource fails). Like PutObject it
// checks the object read without the collection's lock and deletes it
// only if it still has the ETag read, starting over otherwise.
func (s *Store) DeleteObject(ctx context.Context, collectionID int64, name string, cond Conditions) error {
	for range writeAttempts {
		var (
			id   *int64
			etag *string
		)
		err := s.pool.QueryRow(ctx, `
			SELECT o.id, o.etag FROM collections c
			LEFT JOIN objects o ON o.collection_id = c.id AND o.name = $2
			WHERE c.id = $1`, collectionID, name).Scan(&id, &etag)
		if err != nil {
			return notFound(err, "collection %d", collectionID)
		}
		if id == nil {
			if err := cond.Check(State{}, State{}); err != nil {
				return fmt.Errorf("object %q: %w", name, err)
			}
			return fmt.Errorf("object %q: %w", name, ErrNotFound)
		}
		if err := cond.Check(State{Exists: true, ETag: *etag}, State{}); err != nil {
			return fmt.Errorf("object %q: %w", name, err)
		}
		b := &pgx.Batch{}
		b.Queue(lockCollectionSQL, collectionID)
		b.Queue(withChange(`DELETE FROM objects WHERE id = $4 AND etag = $5 AND collection_id = $1 AND name = $2
			RETURNING id`), collectionID, name, true, *id, *etag)
		err = runWrite(s.pool.SendBatch(ctx, b), collectionID, fmt.Sprintf("delete object %q", name),
			func(row pgx.Row) error { var id int64; return row.Scan(&id) })
		if !errors.Is(err, errWriteRaced) {
			return err
		}
	}
	return fmt.Errorf("backend: delete object %q: %w", name, errContended)
}

-- The bytes of an object move out of objects into object_bodies, so that
-- the scans that decide without them read a narrow table.
--
-- data (the client's iCalendar or vCard, about 1.5 KB for an event with
-- its VTIMEZONE) and expansion (migration 0006) made a row of objects
-- about 1.8 KB: under the 2032 bytes above which PostgreSQL moves values
-- out of line (TOAST_TUPLE_THRESHOLD; toast_tuple_target cannot lower
-- that), so the bytes stayed inline and every scan of objects read them.
-- A PROPFIND listing, a calendar-query that SQL decides (instances &&
-- range, answered with getetag), a sync-collection delta without data and
-- an addressbook-query the index decides read only the other columns,
-- yet read three times the heap they need; at 100 000 events the heap
-- (170 MB) no longer fits shared_buffers. Measured on a narrow copy of
-- objects: heap 17 MB -> 5.1 MB, listing 6.5 -> 4.3 ms, a month's
-- calendar-query 2.6-4.1 -> 1.8-2.8 ms.
--
-- Every object has exactly one body, written in the same statement or
-- transaction as its row (backend/object.go, import.go, move.go) and
-- deleted with it by the trigger below. The queries that need the bytes
-- look the body up by object_id, and those that need them for some rows
-- only (calendar-query's undecided candidates, addressbook-query's
-- unindexed cards) only for those rows.
--
-- object_id is no foreign key: checking one on every insert cost a PUT
-- about 100 us (measured with BenchmarkPutObjectNew: 270 us a new event
-- before this migration, 380 us with the key, 290 us without), a third of
-- the write's cost, to guard a pairing that every write of the backend
-- keeps by construction (backend/object_bodies_test.go walks them). The
-- trigger does what ON DELETE CASCADE would, once per statement, so that
-- deleting a collection deletes its bodies in one join.
CREATE TABLE object_bodies (
    object_id bigint PRIMARY KEY,
    -- The client's bytes, verbatim: GET returns them unchanged.
    data      bytea NOT NULL,
    -- CALDAV:expand of a calendar object worked out at write time
    -- (migration 0006; opaque to the backend); NULL for none.
    expansion bytea
);

INSERT INTO object_bodies (object_id, data, expansion)
SELECT id, data, expansion FROM objects;

ALTER TABLE objects DROP COLUMN data, DROP COLUMN expansion;

CREATE FUNCTION object_bodies_follow_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM object_bodies b USING gone WHERE b.object_id = gone.id;
    RETURN NULL;
END
$$;

CREATE TRIGGER objects_deleted AFTER DELETE ON objects
    REFERENCING OLD TABLE AS gone
    FOR EACH STATEMENT EXECUTE FUNCTION object_bodies_follow_delete();

-- DROP COLUMN only hides the columns: every row keeps its bytes until it
-- is next rewritten. CLUSTER rewrites the table now, without them (it may
-- run in the migration's transaction, where VACUUM FULL may not), and
-- rebuilds its indexes. It takes the table's exclusive lock until the
-- migration commits, as the ALTER TABLE above already does.
CLUSTER objects USING objects_pkey;

-- The planner's statistics of the new table and of the rewritten one,
-- when there are rows to describe. On a new, empty database they would
-- tell the planner that a collection holds a handful of objects until
-- autovacuum next analyzes (up to a minute after the first uploads): a
-- 100-href multiget of a fresh 1 000-event calendar then filtered the
-- whole collection by name instead of using (collection_id, name), 3-4
-- ms instead of 1.5. A table never analyzed is estimated from its size.
DO $$
BEGIN
    IF EXISTS (SELECT FROM objects) THEN
        ANALYZE object_bodies;
        ANALYZE objects;
    END IF;
END
$$;

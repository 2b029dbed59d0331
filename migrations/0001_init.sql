-- pgdav schema, first version. See backend/README.md for the reasoning.

-- btree_gist lets one GiST index cover (collection_id, span), so a
-- time-range REPORT is a single index scan inside one collection.
-- It is a "trusted" extension (PostgreSQL >= 13): the database owner may
-- create it without superuser rights.
CREATE EXTENSION IF NOT EXISTS btree_gist;

-- A principal is a user: login name, URL segment and owner of collections.
CREATE TABLE principals (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name          text        NOT NULL,
    email         text        NOT NULL DEFAULT '',
    display_name  text        NOT NULL DEFAULT '',
    password_hash text        NOT NULL,
    disabled      boolean     NOT NULL DEFAULT false,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
-- Logins are case-insensitive; URLs always use the name as created.
CREATE UNIQUE INDEX principals_name_key ON principals (lower(name));

-- A collection is a calendar or an address book in a principal's home.
CREATE TABLE collections (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    principal_id  bigint      NOT NULL REFERENCES principals (id) ON DELETE CASCADE,
    kind          text        NOT NULL CHECK (kind IN ('calendar', 'addressbook')),
    slug          text        NOT NULL,
    display_name  text        NOT NULL DEFAULT '',
    description   text        NOT NULL DEFAULT '',
    color         text        NOT NULL DEFAULT '',
    sort_order    integer,
    -- calendar-timezone (RFC 4791 5.2.2): a VCALENDAR holding one VTIMEZONE.
    timezone      text        NOT NULL DEFAULT '',
    -- supported-calendar-component-set (RFC 4791 5.2.3); empty for address books.
    components    text[]      NOT NULL DEFAULT '{}',
    -- Revision counter: bumped by every change to a member or to the
    -- collection's properties, in the same transaction. Sync tokens and
    -- getctag are derived from it. The UPDATE that bumps it takes the row
    -- lock, so within a collection sequence numbers are handed out in commit
    -- order and a delta read never skips a change that commits later.
    sync_seq      bigint      NOT NULL DEFAULT 0,
    -- Tokens older than this point were pruned (tombstones removed) and are
    -- answered with DAV:valid-sync-token (RFC 6578 3.2).
    sync_floor    bigint      NOT NULL DEFAULT 0,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (principal_id, kind, slug)
);

-- An object is a calendar object resource or an address object resource.
CREATE TABLE objects (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    collection_id bigint      NOT NULL REFERENCES collections (id) ON DELETE CASCADE,
    -- The last URL segment, percent-decoded, exactly as the client chose it.
    name          text        NOT NULL,
    uid           text        NOT NULL,
    -- The client's bytes, verbatim: GET returns them unchanged.
    data          bytea       NOT NULL,
    -- Strong entity tag without quotes, derived from data.
    etag          text        NOT NULL,
    size          integer     NOT NULL,
    content_type  text        NOT NULL,
    -- VEVENT, VTODO, VJOURNAL, VFREEBUSY for calendar objects; VCARD for cards.
    component     text        NOT NULL,
    -- Calendar objects: from the earliest instance start to the latest instance
    -- end over the whole recurrence set, upper bound infinite for unbounded
    -- rules; NULL for cards. The cheap indexed pre-filter of time-range
    -- queries (RFC 4791 9.9); the exact evaluator decides on the candidates.
    span          tstzrange,
    created_at    timestamptz NOT NULL DEFAULT now(),
    modified_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (collection_id, name),
    UNIQUE (collection_id, uid)
);
CREATE INDEX objects_span_idx ON objects USING gist (collection_id, span);

-- The change log for sync-collection (RFC 6578), compacted to one row per
-- member: the sequence number of its latest change and whether that change
-- was a deletion (a tombstone). A delta since token T is every row with
-- seq > T, read through changes_seq_idx, so its cost follows the size of the
-- change, not of the collection, and a member changed many times is
-- reported once.
CREATE TABLE changes (
    collection_id bigint      NOT NULL REFERENCES collections (id) ON DELETE CASCADE,
    name          text        NOT NULL,
    seq           bigint      NOT NULL,
    deleted       boolean     NOT NULL,
    changed_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (collection_id, name)
);
CREATE INDEX changes_seq_idx ON changes (collection_id, seq);

-- Dead properties (RFC 4918 4.2) set by PROPPATCH on a principal, one of its
-- homes, a collection or an object, stored as the property element's XML so
-- namespace, attributes and nested markup come back as they were set.
CREATE TABLE properties (
    principal_id  bigint NOT NULL REFERENCES principals (id) ON DELETE CASCADE,
    -- Which resource: 'principal', 'calendar-home', 'addressbook-home',
    -- 'collection' (collection_id set) or 'object' (object_id set).
    scope         text   NOT NULL CHECK (scope IN ('principal', 'calendar-home', 'addressbook-home', 'collection', 'object')),
    collection_id bigint REFERENCES collections (id) ON DELETE CASCADE,
    object_id     bigint REFERENCES objects (id) ON DELETE CASCADE,
    namespace     text   NOT NULL,
    name          text   NOT NULL,
    value         text   NOT NULL,
    CHECK ((scope = 'collection') = (collection_id IS NOT NULL AND object_id IS NULL)),
    CHECK ((scope = 'object') = (object_id IS NOT NULL))
);
CREATE UNIQUE INDEX properties_key ON properties
    (principal_id, scope, coalesce(collection_id, 0), coalesce(object_id, 0), namespace, name);

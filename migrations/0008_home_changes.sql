-- The change log of a home's collections, for sync-collection on a
-- calendar or address book home (RFC 6578 with the home as the
-- collection and its calendars or address books as the members): the
-- objects' change log (changes, collections.sync_seq) one level up, a
-- counter per home and one row per collection ever in it. See
-- backend/README.md and backend/home_changes.go.
--
-- Writers do not touch it: a collection's own sync_seq already changes
-- with each of its members and properties, so the home's log is brought
-- up to date by whoever asks for a home token, comparing each
-- collection's id and sync_seq with what the log last recorded of it
-- (backend.Store.HomeChanges). A PUT pays nothing for home sync.

-- A home: one per principal and kind, made when it is first synchronised.
-- sync_seq is bumped under the row's lock, held to the commit, so within
-- one home sequence numbers are handed out in commit order. sync_floor is
-- the pruned point: tokens below it are answered with
-- DAV:valid-sync-token (RFC 6578 3.2).
CREATE TABLE homes (
    principal_id bigint NOT NULL REFERENCES principals (id) ON DELETE CASCADE,
    kind         text   NOT NULL CHECK (kind IN ('calendar', 'addressbook')),
    sync_seq     bigint NOT NULL DEFAULT 0,
    sync_floor   bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (principal_id, kind)
);

-- A collection's latest change in its home, by slug (its URL segment):
-- created, its properties or members changed, or deleted (a tombstone).
-- collection_id and collection_seq are the collection's id and sync_seq
-- as last recorded; a change is any difference from them.
CREATE TABLE home_changes (
    principal_id   bigint      NOT NULL,
    kind           text        NOT NULL,
    slug           text        NOT NULL,
    collection_id  bigint      NOT NULL,
    collection_seq bigint      NOT NULL,
    seq            bigint      NOT NULL,
    deleted        boolean     NOT NULL,
    changed_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (principal_id, kind, slug),
    FOREIGN KEY (principal_id, kind) REFERENCES homes ON DELETE CASCADE
);
-- A delta since token T is an ordered range scan from T on.
CREATE INDEX home_changes_seq_idx ON home_changes (principal_id, kind, seq);
-- Pruning looks up old tombstones by age (as changes_tombstones_idx).
CREATE INDEX home_changes_tombstones_idx ON home_changes (changed_at) WHERE deleted;

-- Nothing to fill in: a home's first token records every collection it
-- holds then. Tokens issued before this migration were digests of a
-- home's state; none of them reads as a token of this log, so their
-- clients list the home again once.

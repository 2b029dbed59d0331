-- The addressbook-query pre-filter (RFC 6352 8.6). See backend/README.md
-- and backend/card.go.
--
-- carddav extracts, at PUT time, the values clients search (FN, N,
-- NICKNAME, EMAIL, TEL, ORG, UID, KIND), case-folded with RFC 5051
-- i;unicode-casemap, and the store writes them in the same transaction
-- as the card. A query first narrows the address book to the cards whose
-- folded values match, through the indexes below; the exact matcher in
-- carddav then decides on each candidate.

-- Trigram indexes answer LIKE '%needle%' (and anchored patterns) from an
-- index; btree_gin lets the same GIN index also key on the address book,
-- so one index scan stays inside one collection. Both extensions are
-- "trusted" (PostgreSQL >= 13): the database owner may create them.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE EXTENSION IF NOT EXISTS btree_gin;

-- One row per searchable value of a card: per property instance its whole
-- value and, for structured and list properties (N, ORG, NICKNAME), each
-- component. Every instance of an indexed property has at least one row,
-- so "the property exists" is a lookup too. collection_id repeats the
-- object's, so a search never leaves its address book; the trigger below
-- keeps it when a card is moved.
CREATE TABLE card_values (
    object_id     bigint NOT NULL REFERENCES objects (id) ON DELETE CASCADE,
    collection_id bigint NOT NULL,
    -- The property name, upper case, without its group ("item1.EMAIL" is EMAIL).
    prop          text   NOT NULL,
    -- The value with vCard escapes resolved, i;unicode-casemap folded.
    folded        text   NOT NULL
);
CREATE INDEX card_values_object_idx ON card_values (object_id);
CREATE INDEX card_values_prop_idx ON card_values (collection_id, prop);
CREATE INDEX card_values_trgm_idx ON card_values USING gin (collection_id, folded gin_trgm_ops);

-- Cards whose rows in card_values may not describe their current bytes:
-- cards stored before this migration, copied with COPY, imported without
-- values, or changed by any write that did not bring values. A query
-- always treats them as candidates, so the pre-filter never loses a card;
-- carddav indexes them when it reads them (backend.Store.IndexCards).
-- The trigger below adds a card here whenever its bytes change; the write
-- that brings the card's values removes it in the same transaction.
CREATE TABLE card_unindexed (
    object_id     bigint PRIMARY KEY REFERENCES objects (id) ON DELETE CASCADE,
    collection_id bigint NOT NULL
);
CREATE INDEX card_unindexed_collection_idx ON card_unindexed (collection_id);

INSERT INTO card_unindexed (object_id, collection_id)
SELECT id, collection_id FROM objects WHERE component = 'VCARD';

CREATE FUNCTION card_mark_unindexed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO card_unindexed (object_id, collection_id) VALUES (NEW.id, NEW.collection_id)
    ON CONFLICT (object_id) DO NOTHING;
    RETURN NULL;
END
$$;

CREATE TRIGGER objects_card_inserted AFTER INSERT ON objects
    FOR EACH ROW WHEN (NEW.component = 'VCARD')
    EXECUTE FUNCTION card_mark_unindexed();

CREATE TRIGGER objects_card_changed AFTER UPDATE ON objects
    FOR EACH ROW WHEN (NEW.component = 'VCARD'
        AND (OLD.etag IS DISTINCT FROM NEW.etag OR OLD.component IS DISTINCT FROM NEW.component))
    EXECUTE FUNCTION card_mark_unindexed();

-- MOVE keeps the object row and changes its collection; its values move
-- with it.
CREATE FUNCTION card_follow_move() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE card_values SET collection_id = NEW.collection_id WHERE object_id = NEW.id;
    UPDATE card_unindexed SET collection_id = NEW.collection_id WHERE object_id = NEW.id;
    RETURN NULL;
END
$$;

CREATE TRIGGER objects_card_moved AFTER UPDATE OF collection_id ON objects
    FOR EACH ROW WHEN (NEW.component = 'VCARD' AND OLD.collection_id IS DISTINCT FROM NEW.collection_id)
    EXECUTE FUNCTION card_follow_move();

-- sync-collection (RFC 6578) reads a collection's change log in the order
-- of its changes. One import records all its members under one sequence
-- number, so the order is (seq, name), and an answer cut into pages may
-- end inside one sequence number and continue after a name there
-- (backend.Store.Changes). changes_seq_idx gets the name as a third key:
-- the delta, every page of a first sync and every continuation are then
-- one ordered range scan of the index, with no sort, whatever the size of
-- the collection or of an import. It still serves everything the
-- (collection_id, seq) index did.
DROP INDEX changes_seq_idx;
CREATE INDEX changes_seq_idx ON changes (collection_id, seq, name);

-- Pruning the change log (backend.Store.PruneTombstones): tombstones of
-- deleted members older than the retention period are removed and the
-- collection's sync_floor raised. The hourly job looks for them by age;
-- this partial index holds only tombstones, so the look-up reads those
-- and never the rows of present members, which are most of the table.
CREATE INDEX changes_tombstones_idx ON changes (changed_at) WHERE deleted;

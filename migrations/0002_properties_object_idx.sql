-- Deleting an object (DELETE, MOVE or COPY onto it, or a whole collection
-- with its objects) makes ON DELETE CASCADE look for the object's dead
-- properties by object_id. properties_key cannot serve that lookup, so
-- without this index every deleted object would scan the whole properties
-- table, and deleting a collection of n objects would scan it n times.
CREATE INDEX properties_object_idx ON properties (object_id) WHERE object_id IS NOT NULL;

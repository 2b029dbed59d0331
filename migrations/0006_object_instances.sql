-- Exact times of calendar objects, so that PostgreSQL alone decides the
-- common time-range queries (RFC 4791 9.9) and free-busy (7.10) without
-- reading and parsing each candidate's iCalendar.
--
-- instances: the union of the object's instances, each the set of instants
-- the RFC 4791 9.9 VEVENT/VJOURNAL table (and the VTODO rows that read the
-- same way: DTSTART with a later DUE, DTSTART alone) matches ([start, end), or the
-- point [start, start] for one without duration); a time-range [S, E)
-- matches the object exactly when it overlaps this multirange. Exact only
-- inside instances_within: the instances that overlap it are all there.
-- instances_zone: NULL when the times hold whatever zone a query reads
-- floating times in; else the zone (IANA name) the calendar read its DATE
-- values and floating DATE-TIMEs in when they were computed, and they hold
-- only for queries reading them in that zone.
-- instances is NULL for the other VTODO rows
-- (closed at E: E >= DUE) and whatever else the exact evaluator must
-- decide; the span pre-filter keeps working for those.
--
-- busy, tentative: the free-busy periods (BUSY and BUSY-TENTATIVE, RFC
-- 4791 7.10) of a VEVENT's instances, exact inside instances_within;
-- transparent and cancelled instances and instants add nothing.
--
-- expansion: CALDAV:expand (RFC 4791 9.6.5) of the object worked out at
-- write time (caldav/expansion.go; opaque here), valid inside
-- instances_within, so an expand answer needs no parsing either.
ALTER TABLE objects
    ADD COLUMN instances        tstzmultirange,
    ADD COLUMN instances_within tstzrange,
    ADD COLUMN busy             tstzmultirange,
    ADD COLUMN tentative        tstzmultirange,
    ADD COLUMN expansion        bytea,
    ADD COLUMN instances_zone   text;

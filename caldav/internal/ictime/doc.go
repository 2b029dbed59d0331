// Package ictime is pgdav's iCalendar time engine: what the times of a
// calendar object resource mean, and which of them a time range meets.
// caldav calls it for calendar-query, free-busy, expand and at PUT; it
// knows nothing of HTTP, XML, SQL or DAV, and imports go-ical and the
// standard library only.
//
// What it implements:
//
//   - The value types of RFC 5545 3.3 that carry time: DATE, DATE-TIME
//     in its three forms (UTC, with TZID, floating), DURATION, PERIOD,
//     UTC-OFFSET and RECUR (3.3.10), read leniently where writers differ
//     from the grammar.
//   - Recurrence sets (RFC 5545 3.8.5): DTSTART, RRULE and RDATE minus
//     EXDATE and the deprecated EXRULE, with the instances other
//     components of the UID override (RECURRENCE-ID, 3.8.4.4, also
//     RANGE=THISANDFUTURE), expanded on wall-clock fields (recur.go).
//   - Time zones: a resource's own VTIMEZONE (RFC 5545 3.6.5), IANA
//     names, Windows names (CLDR windowsZones) and vendor-prefixed IANA
//     names; and the VTIMEZONE written for a zone name when a client sets
//     calendar-timezone-id (RFC 7809 5.2).
//   - The time-range tests of RFC 4791 9.9, per component type (VEVENT,
//     VTODO, VJOURNAL, VFREEBUSY, VALARM) and for properties (9.7.2),
//     the instances behind expand (9.6.5) and free-busy (7.10), and the
//     span of a whole object that the SQL index stores (ObjectSpan).
//
// A Context evaluates one object: it parses each component once and
// reads floating times and DATE values in the floating zone it is given
// (the query's CALDAV:timezone or the calendar's calendar-timezone, RFC
// 4791 5.2.2 and 9.8). A NewSpanContext answers for every floating zone
// at once, which is what the index and PUT's limits need.
//
// Every recurrence question has a budget counted in units of work, not
// in time (recur_budget.go): a million units for one question about one
// set, four million for all the questions one request asks about one
// object, a small one for each look-up of a VTIMEZONE rule, and at most
// MaxInstances instances in a finite set or in one answer. Past the
// budget the answer is ErrTooComplex, and caldav decides: the object
// matches, its span is open-ended, its expansion is not done, PUT refuses
// it. A value that does not parse is a *ValueError whose text is written
// for the client; caldav gives it as valid-calendar-data (RFC 4791
// 5.3.2.1).
package ictime

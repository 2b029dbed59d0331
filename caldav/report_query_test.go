package caldav

import (
	"testing"
	"time"
)

// What a calendar-query asks of the store: a decided row's bytes are read
// only when the answer carries calendar-data, and never to decide it.
func TestStoreQuery(t *testing.T) {
	t.Parallel()
	month := `<C:comp-filter name="VEVENT"><C:time-range start="20260301T000000Z" end="20260401T000000Z"/>`
	getetag := `<D:prop><D:getetag/></D:prop>`
	data := `<D:prop><D:getetag/><C:calendar-data/></D:prop>`
	expand := `<D:prop><C:calendar-data><C:expand start="20260301T000000Z" end="20260401T000000Z"/></C:calendar-data></D:prop>`
	filter := func(inner string) string {
		return `<C:filter><C:comp-filter name="VCALENDAR">` + inner + `</C:comp-filter></C:filter>`
	}
	for _, tc := range []struct {
		name                             string
		body                             string
		decide, withData, exact, expands bool
	}{
		{"month, getetag", getetag + filter(month+`</C:comp-filter>`), true, false, false, false},
		{"month, calendar-data", data + filter(month+`</C:comp-filter>`), true, true, false, false},
		{"month, expand", expand + filter(month+`</C:comp-filter>`), true, true, false, true},
		{"month and a property, getetag", getetag + filter(month+`<C:prop-filter name="SUMMARY"><C:text-match>x</C:text-match></C:prop-filter></C:comp-filter>`),
			false, true, false, false},
		{"every to-do, getetag", getetag + filter(`<C:comp-filter name="VTODO"/>`), false, false, true, false},
	} {
		q, err := parseCalendarQuery(query(tc.body))
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		bq, exact := storeQuery(q, 7, time.UTC)
		decide := bq.Range != nil && bq.Range.Decide != nil
		expands := decide && bq.Range.Decide.Expand != nil
		if bq.CollectionID != 7 || decide != tc.decide || bq.WithData != tc.withData || exact != tc.exact || expands != tc.expands {
			t.Errorf("%s: Decide %v, WithData %v, exact %v, Expand %v; want %v, %v, %v, %v",
				tc.name, decide, bq.WithData, exact, expands, tc.decide, tc.withData, tc.exact, tc.expands)
		}
	}
}

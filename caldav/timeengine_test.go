package caldav

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/pgdav/pgdav/caldav/internal/ictime"
	"github.com/pgdav/pgdav/internal/dav"
)

// TestEngineErrorsAsDAV: what the time engine cannot read reaches the
// client as valid-calendar-data with the engine's message, also from a
// stored object that no longer reads (an expand over it); a recurrence
// beyond the budget is no DAV error.
func TestEngineErrorsAsDAV(t *testing.T) {
	t.Parallel()
	const msg = `DTSTART "2026-01-10" is not an iCalendar DATE or DATE-TIME (RFC 5545 3.3.4, 3.3.5)`
	data := event("UID:x", "DTSTAMP:20250101T000000Z", "DTSTART:2026-01-10", "SUMMARY:broken")
	cd := dataRequest(t, `<C:calendar-data><C:expand start="20260101T000000Z" end="20260201T000000Z"/></C:calendar-data>`)
	_, renderErr := cd.render(data, nil)
	for name, err := range map[string]error{
		"engineError": engineError(fmt.Errorf("VEVENT: %w", &ictime.ValueError{Prop: "DTSTART"})),
		"render":      renderErr,
	} {
		var de *dav.Error
		if !errors.As(err, &de) || de.Status != http.StatusForbidden || de.Condition != dav.CalDAVName(condValidData) {
			t.Errorf("%s: %v, want 403 valid-calendar-data", name, err)
		}
		if name == "render" && (de == nil || de.Message != msg) {
			t.Errorf("render: message %v, want %q", de, msg)
		}
	}
	tooComplex := fmt.Errorf("%w: it needs more", ictime.ErrTooComplex)
	if err := engineError(tooComplex); err != tooComplex {
		t.Errorf("ErrTooComplex mapped to %v", err)
	}
}

// FuzzEngineQuote: the engine quotes a value in its messages as the DAV
// layer does (dav.QuoteShort), cut to a readable length at a character.
func FuzzEngineQuote(f *testing.F) {
	for _, s := range []string{"", "P1X", strings.Repeat("P", 59) + "é", strings.Repeat("x", 200), "a\x00\"b\n", "\xff\xfe"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		_, err := ictime.ParseDuration(s)
		if err == nil {
			return
		}
		if want := dav.QuoteShort(s) + " is not an iCalendar DURATION (RFC 5545 3.3.6)"; err.Error() != want {
			t.Fatalf("%q: message %q, want %q", s, err.Error(), want)
		}
		var ve *ictime.ValueError
		if !errors.As(err, &ve) {
			t.Fatalf("%q: %T is not a ValueError", s, err)
		}
	})
}

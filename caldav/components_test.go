package caldav

import (
	"slices"
	"testing"
)

func TestParseComponents(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"VEVENT", []string{"VEVENT"}},
		{"vevent, VTODO", []string{"VEVENT", "VTODO"}},
		{"VEVENT,VEVENT,", []string{"VEVENT"}},
		{"VJOURNAL,VFREEBUSY", []string{"VJOURNAL", "VFREEBUSY"}},
		{"", nil},
		{"VTIMEZONE", nil},
		{"VEVENT,VFOO", nil},
	} {
		got, err := ParseComponents(tc.in)
		if tc.want == nil {
			if err == nil {
				t.Errorf("ParseComponents(%q) = %v, want an error", tc.in, got)
			}
			continue
		}
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("ParseComponents(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
}

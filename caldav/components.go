package caldav

import (
	"fmt"
	"slices"
	"strings"
)

// components are the calendar component types a calendar collection may
// hold (RFC 4791 5.2.3; RFC 5545 3.6). VTIMEZONE is not one: it only
// travels inside the others' resources.
var components = []string{"VEVENT", "VTODO", "VJOURNAL", "VFREEBUSY"}

// Components lists the component types a calendar may be restricted to.
func Components() []string { return slices.Clone(components) }

// DefaultComponents is what a new calendar accepts when nothing is said:
// events and to-dos, as Apple Calendar and Thunderbird expect of a default
// calendar.
func DefaultComponents() []string { return []string{"VEVENT", "VTODO"} }

// ParseComponents parses a comma-separated list such as "VEVENT,VTODO"
// (any case), rejecting unknown names and empty lists.
func ParseComponents(list string) ([]string, error) {
	var out []string
	for _, part := range strings.Split(list, ",") {
		name := strings.ToUpper(strings.TrimSpace(part))
		if name == "" {
			continue
		}
		if !slices.Contains(components, name) {
			return nil, fmt.Errorf("unknown component %q (want %s)", part, strings.Join(components, ", "))
		}
		if !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no component given (want some of %s)", strings.Join(components, ", "))
	}
	return out, nil
}

// Package ictimetest holds what the tests of the time engine (package
// ictime) and of its callers in caldav share: random calendar objects
// with the time features the engine reads.
package ictimetest

import (
	"fmt"
	"math/rand"
	"strconv"
	"strings"
	"time"
)

// MyZone is Europe/Berlin's current rules under a TZID no database
// knows: only the VTIMEZONE can resolve it.
const MyZone = `BEGIN:VTIMEZONE
TZID:My Zone
BEGIN:DAYLIGHT
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
DTSTART:19810329T020000
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU
END:DAYLIGHT
BEGIN:STANDARD
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
DTSTART:19961027T030000
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU
END:STANDARD
END:VTIMEZONE`

// Object writes a random calendar object resource: zones, floating
// times and dates, durations, rules with COUNT, UNTIL or none, EXDATEs
// in several forms, overrides moving instances (some THISANDFUTURE) and
// alarms up to a week before.
func Object(rnd *rand.Rand) string {
	var b strings.Builder
	form := rnd.Intn(6)
	start := time.Date(2020+rnd.Intn(10), time.Month(1+rnd.Intn(12)), 1+rnd.Intn(28), rnd.Intn(24), 15*rnd.Intn(4), 0, 0, time.UTC)
	zones := []string{"Europe/Berlin", "America/New_York", "My Zone", "W. Europe Standard Time"}
	zone := zones[rnd.Intn(len(zones))]
	// dt writes a DATE-TIME (or DATE) property in this object's form, or
	// with other=true in a random other form.
	dt := func(name string, t time.Time, other bool) string {
		f := form
		if other {
			f = rnd.Intn(5)
		}
		switch f {
		case 0:
			return name + ":" + t.Format("20060102T150405") + "Z"
		case 1, 2:
			return name + ";TZID=" + zone + ":" + t.Format("20060102T150405")
		case 3:
			return name + ":" + t.Format("20060102T150405")
		default:
			return name + ";VALUE=DATE:" + t.Format("20060102")
		}
	}
	if form == 5 {
		form = 4 // DATE
	}
	if zone == "My Zone" {
		b.WriteString(MyZone + "\n")
	}
	kind := []string{"VEVENT", "VEVENT", "VEVENT", "VTODO", "VJOURNAL"}[rnd.Intn(5)]
	uid := fmt.Sprintf("UID:%d", rnd.Int63())
	b.WriteString("BEGIN:" + kind + "\n" + uid + "\n")
	dur := time.Duration(rnd.Intn(6)) * time.Duration([]int64{0, 900, 3600, 86400, 7 * 86400}[rnd.Intn(5)]) * time.Second
	hasStart := kind != "VTODO" || rnd.Intn(4) > 0
	if hasStart {
		b.WriteString(dt("DTSTART", start, false) + "\n")
	}
	switch rnd.Intn(3) {
	case 0:
		if kind == "VEVENT" {
			b.WriteString(dt("DTEND", start.Add(dur), false) + "\n")
		} else if kind == "VTODO" {
			b.WriteString(dt("DUE", start.Add(dur), false) + "\n")
		}
	case 1:
		if hasStart && kind != "VJOURNAL" {
			b.WriteString(fmt.Sprintf("DURATION:PT%dS\n", int(dur.Seconds())))
		}
	}
	if kind == "VTODO" && rnd.Intn(3) == 0 {
		b.WriteString("COMPLETED:" + start.Add(time.Duration(rnd.Intn(1000))*time.Hour).Format("20060102T150405Z") + "\n")
	}
	if kind == "VTODO" && rnd.Intn(3) == 0 {
		b.WriteString("CREATED:" + start.Add(-time.Duration(rnd.Intn(1000))*time.Hour).Format("20060102T150405Z") + "\n")
	}
	step := 24 * time.Hour
	recurring := hasStart && rnd.Intn(3) > 0
	if recurring {
		rules := []string{
			fmt.Sprintf("FREQ=DAILY;COUNT=%d", 1+rnd.Intn(20)),
			fmt.Sprintf("FREQ=DAILY;INTERVAL=%d;UNTIL=%s", 1+rnd.Intn(3), start.AddDate(0, 0, rnd.Intn(60)).Format("20060102T150405Z")),
			"FREQ=WEEKLY;BYDAY=MO,WE,FR",
			"FREQ=MONTHLY;BYMONTHDAY=-1",
			fmt.Sprintf("FREQ=YEARLY;COUNT=%d", 1+rnd.Intn(5)),
			"FREQ=WEEKLY;INTERVAL=2",
			fmt.Sprintf("FREQ=HOURLY;INTERVAL=5;COUNT=%d", 1+rnd.Intn(50)),
		}
		r := rnd.Intn(len(rules))
		if r == 2 || r == 5 {
			step = 7 * 24 * time.Hour
		}
		b.WriteString("RRULE:" + rules[r] + "\n")
		for range rnd.Intn(3) {
			b.WriteString(dt("EXDATE", start.Add(time.Duration(rnd.Intn(5))*step), rnd.Intn(2) == 0) + "\n")
		}
		if rnd.Intn(4) == 0 {
			b.WriteString(dt("RDATE", start.Add(-time.Duration(rnd.Intn(500))*time.Hour), rnd.Intn(2) == 0) + "\n")
		}
	}
	for range rnd.Intn(3) {
		b.WriteString("BEGIN:VALARM\nACTION:DISPLAY\n")
		switch rnd.Intn(5) {
		case 0:
			b.WriteString("TRIGGER:-P1W\n")
		case 1:
			b.WriteString("TRIGGER;RELATED=END:PT5M\n")
		case 2:
			b.WriteString("TRIGGER;VALUE=DATE-TIME:" + start.Add(-time.Duration(rnd.Intn(400))*time.Hour).Format("20060102T150405Z") + "\n")
		case 3:
			b.WriteString("TRIGGER:-PT15M\nREPEAT:3\nDURATION:PT1H\n")
		default:
			b.WriteString("TRIGGER:P2D\n")
		}
		b.WriteString("END:VALARM\n")
	}
	b.WriteString("END:" + kind + "\n")
	if recurring {
		for range rnd.Intn(3) {
			rid := start.Add(time.Duration(rnd.Intn(6)) * step)
			b.WriteString("BEGIN:" + kind + "\n" + uid + "\n")
			p := dt("RECURRENCE-ID", rid, rnd.Intn(4) == 0)
			if rnd.Intn(3) == 0 {
				p = strings.Replace(p, "RECURRENCE-ID", "RECURRENCE-ID;RANGE=THISANDFUTURE", 1)
			}
			b.WriteString(p + "\n")
			b.WriteString(dt("DTSTART", rid.Add(time.Duration(rnd.Intn(200)-100)*time.Hour), false) + "\n")
			if rnd.Intn(2) == 0 && kind == "VEVENT" {
				b.WriteString("DURATION:PT2H\n")
			}
			if rnd.Intn(2) == 0 {
				b.WriteString("BEGIN:VALARM\nACTION:DISPLAY\nTRIGGER:-P6D\nEND:VALARM\n")
			}
			b.WriteString("END:" + kind + "\n")
		}
	}
	return b.String()
}

// EverySecondOfTheYear is a YEARLY rule whose BYxxx lists name every
// second of the year: 31 million candidates a period.
var EverySecondOfTheYear = "FREQ=YEARLY;BYMONTH=" + IntList(1, 12) + ";BYMONTHDAY=" + IntList(1, 31) +
	";BYDAY=MO,TU,WE,TH,FR,SA,SU;BYHOUR=" + IntList(0, 23) + ";BYMINUTE=" + IntList(0, 59) + ";BYSECOND=" + IntList(0, 59)

// IntList is "lo,lo+1,…,hi".
func IntList(lo, hi int) string {
	var b strings.Builder
	for i := lo; i <= hi; i++ {
		if i > lo {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Itoa(i))
	}
	return b.String()
}

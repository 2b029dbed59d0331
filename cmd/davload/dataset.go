package main

import (
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

// The data set is a pure function of (N, M, seed): the same flags give
// byte-identical resources on every run and against every server.

// Event kinds. The kind of every object is kept so that a wrong answer
// can be reported by kind ("missing 12 recur-weekly-until+exdate").
const (
	kindSingleTZ  = "single-tz"
	kindSingleUTC = "single-utc"
	kindAllDay    = "single-allday"
	kindTodo      = "todo"
	kindRecur     = "recur"
)

// berlin is the named time zone of the data set; its VTIMEZONE is embedded
// in every resource that uses it.
var berlin = mustLoad("Europe/Berlin")

func mustLoad(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

const vtimezoneBerlin = "BEGIN:VTIMEZONE\r\nTZID:Europe/Berlin\r\n" +
	"BEGIN:DAYLIGHT\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\nTZNAME:CEST\r\n" +
	"DTSTART:19700329T020000\r\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\nEND:DAYLIGHT\r\n" +
	"BEGIN:STANDARD\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nTZNAME:CET\r\n" +
	"DTSTART:19701025T030000\r\nRRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\nEND:STANDARD\r\n" +
	"END:VTIMEZONE\r\n"

// rule is the subset of RRULE the generator emits.
type rule struct {
	freq     string // DAILY or WEEKLY
	interval int
	count    int       // 0: none
	until    time.Time // zero: none; UTC
}

// event is one calendar resource with its ground truth.
type event struct {
	name, uid, kind string
	start, end      time.Time // first instance; for all-day: midnight UTC of the dates
	allDay          bool
	todo            bool
	rrule           *rule
	exdates         []time.Time
	override        *override
	summary         string
	data            string
}

// override moves one instance of a series (RECURRENCE-ID in the resource).
type override struct {
	recurrenceID time.Time
	start, end   time.Time
}

// card is one vCard with the text the address-book query looks at.
type card struct {
	name, uid string
	fn        string
	emails    []string
	data      string
}

// dataset is everything davload uploads.
type dataset struct {
	events []*event
	cards  []*card
}

var (
	firstNames = []string{"Anna", "Bernd", "Clara", "David", "Emil", "Frieda", "Greta", "Hans", "Ida", "Jonas",
		"Karla", "Lukas", "Mia", "Noah", "Olga", "Paul", "Quirin", "Rosa", "Simon", "Tara"}
	lastNames = []string{"Albers", "Brandt", "Conrad", "Dietz", "Ebert", "Fuchs", "Graf", "Hahn", "Imhof", "Jung",
		"Krause", "Lorenz", "Maier", "Nagel", "Otto", "Pohl", "Quast", "Roth", "Sauer", "Thiel",
		"Ullrich", "Vogel", "Wolf", "Xaver", "Yilmaz", "Zander", "Arndt", "Bauer", "Cramer", "Dorn",
		"Engel", "Frank", "Geiger", "Heller", "Iske", "Jahn", "Keller", "Lange", "Moser", "Neumann"}
	// dataStart is the first day of the three years the events cover.
	dataStart = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
)

// generate builds the data set for n events and m cards from seed.
func generate(n, m int, seed uint64) *dataset {
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	ds := &dataset{}
	for i := range n {
		ds.events = append(ds.events, genEvent(rng, i, seed))
	}
	for i := range m {
		ds.cards = append(ds.cards, genCard(rng, i, seed))
	}
	return ds
}

// newEvent makes an extra event for the PUT scenario: a single one-hour
// event in Europe/Berlin. PUT runs last, so no query's ground truth needs
// to know about it.
func newEvent(rng *rand.Rand, tag string) *event {
	e := &event{kind: kindSingleTZ}
	e.uid = "davload-put-" + tag
	e.name = "put-" + tag + ".ics"
	e.start = time.Date(2025, 1, 1, 8, 0, 0, 0, berlin).AddDate(0, 0, rng.IntN(3*365))
	e.end = e.start.Add(time.Hour)
	e.summary = "Added " + tag
	e.data = render(e)
	return e
}

func genEvent(rng *rand.Rand, i int, seed uint64) *event {
	e := &event{uid: fmt.Sprintf("davload-%d-%06d@davload.test", seed, i), name: fmt.Sprintf("ev-%06d.ics", i)}
	day := rng.IntN(3 * 365)
	hour := 7 + rng.IntN(12)
	minute := []int{0, 15, 30, 45}[rng.IntN(4)]
	dur := time.Duration(30*(1+rng.IntN(6))) * time.Minute
	e.summary = fmt.Sprintf("%s meeting %d with %s", []string{"Team", "Project", "Budget", "Design", "Review"}[rng.IntN(5)], i, firstNames[rng.IntN(len(firstNames))])
	p := rng.IntN(100)
	switch {
	case p < 55:
		e.kind = kindSingleTZ
		e.start = time.Date(2025, 1, 1+day, hour, minute, 0, 0, berlin)
		e.end = e.start.Add(dur)
	case p < 65:
		e.kind = kindSingleUTC
		e.start = time.Date(2025, 1, 1+day, hour, minute, 0, 0, time.UTC)
		e.end = e.start.Add(dur)
	case p < 75:
		e.kind = kindAllDay
		e.allDay = true
		e.start = dataStart.AddDate(0, 0, day)
		e.end = e.start.AddDate(0, 0, 1+rng.IntN(3)*(rng.IntN(4)/3))
	case p < 90:
		e.kind = kindRecur
		e.start = time.Date(2025, 1, 1+day, hour, minute, 0, 0, berlin)
		e.end = e.start.Add(dur)
		r := &rule{freq: "WEEKLY", interval: 1}
		if rng.IntN(4) == 0 {
			r.freq = "DAILY"
		}
		if rng.IntN(5) == 0 {
			r.interval = 2
		}
		if rng.IntN(2) == 0 {
			r.count = 5 + rng.IntN(40)
		} else {
			span := 30 + rng.IntN(300)
			r.until = e.start.AddDate(0, 0, span).UTC()
		}
		e.rrule = r
		e.kind += "-" + strings.ToLower(r.freq)
		if r.count > 0 {
			e.kind += "-count"
		} else {
			e.kind += "-until"
		}
		inst := instances(e.start, r)
		if len(inst) > 3 && rng.IntN(3) == 0 {
			e.exdates = []time.Time{inst[1+rng.IntN(len(inst)-2)]}
			e.kind += "+exdate"
		}
		if len(inst) > 3 && rng.IntN(4) == 0 {
			rid := inst[2]
			if len(e.exdates) == 0 || !rid.Equal(e.exdates[0]) {
				e.override = &override{recurrenceID: rid, start: rid.Add(26 * time.Hour)}
				e.override.end = e.override.start.Add(dur)
				e.kind += "+override"
			}
		}
	default:
		e.kind = kindTodo
		e.todo = true
		e.start = time.Date(2025, 1, 1+day, hour, 0, 0, 0, time.UTC)
		e.end = e.start.Add(time.Duration(1+rng.IntN(72)) * time.Hour) // DUE
	}
	e.data = render(e)
	return e
}

func fmtUTC(t time.Time) string   { return t.UTC().Format("20060102T150405Z") }
func fmtLocal(t time.Time) string { return t.Format("20060102T150405") }
func fmtDate(t time.Time) string  { return t.Format("20060102") }

// dtProp renders a DATE-TIME property in the event's own zone.
func dtProp(name string, t time.Time, allDay bool) string {
	switch {
	case allDay:
		return name + ";VALUE=DATE:" + fmtDate(t) + "\r\n"
	case t.Location() == berlin:
		return name + ";TZID=Europe/Berlin:" + fmtLocal(t) + "\r\n"
	default:
		return name + ":" + fmtUTC(t) + "\r\n"
	}
}

const loremDesc = "Agenda: status of the work packages, open questions, next steps. " +
	"Please bring the figures from last week and read the minutes beforehand."

func render(e *event) string {
	var b strings.Builder
	b.WriteString("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//davload//bench//EN\r\n")
	if !e.allDay && e.start.Location() == berlin {
		b.WriteString(vtimezoneBerlin)
	}
	comp := "VEVENT"
	if e.todo {
		comp = "VTODO"
	}
	b.WriteString("BEGIN:" + comp + "\r\nUID:" + e.uid + "\r\nDTSTAMP:20250101T000000Z\r\n")
	b.WriteString(dtProp("DTSTART", e.start, e.allDay))
	if e.todo {
		b.WriteString(dtProp("DUE", e.end, false))
		b.WriteString("STATUS:NEEDS-ACTION\r\n")
	} else {
		b.WriteString(dtProp("DTEND", e.end, e.allDay))
	}
	if r := e.rrule; r != nil {
		b.WriteString("RRULE:FREQ=" + r.freq)
		if r.interval > 1 {
			fmt.Fprintf(&b, ";INTERVAL=%d", r.interval)
		}
		if r.count > 0 {
			fmt.Fprintf(&b, ";COUNT=%d", r.count)
		} else {
			b.WriteString(";UNTIL=" + fmtUTC(r.until))
		}
		b.WriteString("\r\n")
	}
	for _, x := range e.exdates {
		b.WriteString(dtProp("EXDATE", x, false))
	}
	b.WriteString("SUMMARY:" + e.summary + "\r\nLOCATION:Room 4.12\r\nDESCRIPTION:" + loremDesc + "\r\n")
	b.WriteString("END:" + comp + "\r\n")
	if o := e.override; o != nil {
		b.WriteString("BEGIN:VEVENT\r\nUID:" + e.uid + "\r\nDTSTAMP:20250101T000000Z\r\n")
		b.WriteString(dtProp("RECURRENCE-ID", o.recurrenceID, false))
		b.WriteString(dtProp("DTSTART", o.start, false))
		b.WriteString(dtProp("DTEND", o.end, false))
		b.WriteString("SUMMARY:" + e.summary + " (moved)\r\nEND:VEVENT\r\n")
	}
	b.WriteString("END:VCALENDAR\r\n")
	return b.String()
}

// photo is a fixed ~2 KB base64 blob, the same in every card that has one.
var photo = func() string {
	raw := make([]byte, 1536)
	r := rand.New(rand.NewPCG(7, 7))
	for i := range raw {
		raw[i] = byte(r.UintN(256))
	}
	return base64.StdEncoding.EncodeToString(raw)
}()

// fold splits a content line at 75 octets (RFC 6350 3.2).
func fold(line string) string {
	var b strings.Builder
	for len(line) > 75 {
		b.WriteString(line[:75] + "\r\n ")
		line = line[75:]
	}
	b.WriteString(line + "\r\n")
	return b.String()
}

func genCard(rng *rand.Rand, i int, seed uint64) *card {
	first := firstNames[rng.IntN(len(firstNames))]
	last := lastNames[rng.IntN(len(lastNames))]
	c := &card{uid: fmt.Sprintf("davload-%d-card-%06d@davload.test", seed, i), name: fmt.Sprintf("card-%06d.vcf", i)}
	c.fn = first + " " + last
	var b strings.Builder
	b.WriteString("BEGIN:VCARD\r\nVERSION:3.0\r\nPRODID:-//davload//bench//EN\r\nUID:" + c.uid + "\r\n")
	b.WriteString("FN:" + c.fn + "\r\nN:" + last + ";" + first + ";;;\r\n")
	for k := range 1 + rng.IntN(3) {
		dom := []string{"example.org", "example.com", "mail.test"}[k]
		em := fmt.Sprintf("%s.%s%d@%s", strings.ToLower(first), strings.ToLower(last), i, dom)
		c.emails = append(c.emails, em)
		b.WriteString("EMAIL;TYPE=INTERNET:" + em + "\r\n")
	}
	for range 1 + rng.IntN(3) {
		fmt.Fprintf(&b, "TEL;TYPE=CELL:+49 170 %07d\r\n", rng.IntN(10000000))
	}
	b.WriteString("ORG:Davload GmbH\r\nNOTE:Generated contact number " + fmt.Sprint(i) + "\r\n")
	if rng.IntN(5) == 0 {
		b.WriteString(fold("PHOTO;ENCODING=b;TYPE=JPEG:" + photo))
	}
	b.WriteString("END:VCARD\r\n")
	c.data = b.String()
	return c
}

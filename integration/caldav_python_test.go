package integration

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// pythonCaldavScript drives pgdav with the python caldav library
// (Debian's python3-caldav): discovery, calendar creation, event and
// todo saves including a recurring event with an overridden instance, a
// time-range search with and without expansion, and sync-token based
// change fetching. It prints OK at the end; any failed assert exits
// non-zero.
const pythonCaldavScript = `
import datetime, os, sys
import caldav

url, user, password = os.environ["PGDAV_URL"], os.environ["PGDAV_USER"], os.environ["PGDAV_PASSWORD"]
client = caldav.DAVClient(url=url, username=user, password=password)

# Discovery: current-user-principal, calendar-home-set, the default calendar.
principal = client.principal()
assert str(principal.url).endswith("/principals/pyuser/"), principal.url
names = [c.name for c in principal.calendars()]
assert "Calendar" in names, names

# Calendar creation (MKCALENDAR).
cal = principal.make_calendar(name="Python test", cal_id="python-test")
assert str(cal.url).endswith("/calendars/pyuser/python-test/"), cal.url
assert cal.get_display_name() == "Python test"
assert any(str(c.url) == str(cal.url) for c in principal.calendars())

single = cal.save_event("""BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//pgdav//python test//EN
BEGIN:VEVENT
UID:py-single
DTSTAMP:20250101T000000Z
DTSTART:20250312T100000Z
DTEND:20250312T110000Z
SUMMARY:single
END:VEVENT
END:VCALENDAR
""")
recurring = cal.save_event("""BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//pgdav//python test//EN
BEGIN:VEVENT
UID:py-weekly
DTSTAMP:20250101T000000Z
DTSTART:20250303T090000Z
DTEND:20250303T100000Z
RRULE:FREQ=WEEKLY;COUNT=5
SUMMARY:weekly
END:VEVENT
BEGIN:VEVENT
UID:py-weekly
DTSTAMP:20250101T000000Z
RECURRENCE-ID:20250310T090000Z
DTSTART:20250310T140000Z
DTEND:20250310T150000Z
SUMMARY:weekly moved
END:VEVENT
END:VCALENDAR
""")
outside = cal.save_event("""BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//pgdav//python test//EN
BEGIN:VEVENT
UID:py-outside
DTSTAMP:20250101T000000Z
DTSTART:20250601T100000Z
DTEND:20250601T110000Z
SUMMARY:outside
END:VEVENT
END:VCALENDAR
""")
todo = cal.save_todo("""BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//pgdav//python test//EN
BEGIN:VTODO
UID:py-todo
DTSTAMP:20250101T000000Z
SUMMARY:a task
END:VTODO
END:VCALENDAR
""")
assert len(cal.events()) == 3, cal.events()
todos = cal.todos()
assert [t.vobject_instance.vtodo.uid.value for t in todos] == ["py-todo"], todos

start = datetime.datetime(2025, 3, 1, tzinfo=datetime.timezone.utc)
end = datetime.datetime(2025, 4, 1, tzinfo=datetime.timezone.utc)

# Time range without expansion: the two objects with an instance in March.
found = cal.search(start=start, end=end, event=True, expand=False)
uids = sorted(o.vobject_instance.vevent.uid.value for o in found)
assert uids == ["py-single", "py-weekly"], uids

# With expansion: one single event and five weekly instances, one moved.
found = cal.search(start=start, end=end, event=True, expand=True)
instances = sorted((o.icalendar_component["DTSTART"].dt, str(o.icalendar_component["SUMMARY"])) for o in found)
assert len(instances) == 6, instances
moved = [i for i in instances if i[1] == "weekly moved"]
assert len(moved) == 1 and moved[0][0].hour == 14, instances

# A time range that only the moved instance's original slot would miss.
found = cal.search(start=datetime.datetime(2025, 3, 10, 13, tzinfo=datetime.timezone.utc),
                   end=datetime.datetime(2025, 3, 10, 16, tzinfo=datetime.timezone.utc), event=True, expand=False)
assert [o.vobject_instance.vevent.uid.value for o in found] == ["py-weekly"], found

# Sync-token based change fetching.
objs = cal.objects_by_sync_token(load_objects=True)
assert len(list(objs)) == 4, list(objs)
token = objs.sync_token
assert token, token
single.vobject_instance.vevent.summary.value = "single changed"
single.save()
todo.delete()
updated, deleted = objs.sync()
assert [str(o.url) for o in updated] == [str(single.url)], (updated, deleted)
assert [str(o.url) for o in deleted] == [str(todo.url)], (updated, deleted)
assert objs.sync_token != token
again = cal.objects_by_sync_token(sync_token=objs.sync_token, load_objects=False)
assert len(list(again)) == 0, list(again)

cal.delete()
print("OK")
`

// TestPythonCaldav runs the python caldav library (python3-caldav)
// against a real `pgdav serve`.
func TestPythonCaldav(t *testing.T) {
	t.Parallel()
	// Debian's interpreter: python3-caldav is installed for it, not for
	// another python3 that may come first on PATH.
	py := "/usr/bin/python3"
	if _, err := os.Stat(py); err != nil {
		py = needProgram(t, "python3")
	}
	if err := exec.Command(py, "-c", "import caldav").Run(); err != nil {
		t.Fatalf("python3-caldav is not installed: run `bash .ci/run` (it installs the Debian packages the tests need)")
	}
	data := newDataDir(t)
	mustCLI(t, data, "py-pw\n", "user", "add", "pyuser", "--email", "py@example.org", "--password-stdin")
	s := startServer(t, data)
	script := filepath.Join(t.TempDir(), "client.py")
	if err := os.WriteFile(script, []byte(pythonCaldavScript), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(py, script)
	cmd.Env = append(os.Environ(), "PGDAV_URL="+s.URL+"/", "PGDAV_USER=pyuser", "PGDAV_PASSWORD=py-pw")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.HasSuffix(strings.TrimSpace(string(out)), "OK") {
		t.Fatalf("python caldav client: %v\n%s", err, out)
	}
}

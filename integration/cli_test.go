package integration

import (
	"strings"
	"testing"
)

// TestAdminCLI provisions users and collections with the server stopped
// and while it runs, and checks that bad input changes nothing.
func TestAdminCLI(t *testing.T) {
	t.Parallel()
	data := newDataDir(t)

	// No server running: each command runs the embedded cluster itself.
	mustCLI(t, data, "alice-pw\n", "user", "add", "alice", "--email", "alice@example.org", "--display-name", "Alice Liddell", "--password-stdin")
	if out := mustCLI(t, data, "", "user", "list"); !strings.Contains(out, "alice") || !strings.Contains(out, "alice@example.org") || !strings.Contains(out, "Alice Liddell") {
		t.Fatalf("user list:\n%s", out)
	}
	if out := mustCLI(t, data, "", "calendar", "list", "alice"); !strings.Contains(out, "default") || !strings.Contains(out, "VEVENT,VTODO") {
		t.Fatalf("default calendar missing:\n%s", out)
	}
	if out := mustCLI(t, data, "", "addressbook", "list", "alice"); !strings.Contains(out, "default") {
		t.Fatalf("default address book missing:\n%s", out)
	}
	mustCLI(t, data, "", "calendar", "add", "alice", "work", "--name", "Work", "--color", "#ff8800", "--components", "VEVENT")
	if out := mustCLI(t, data, "", "calendar", "list", "alice"); !strings.Contains(out, "work") || !strings.Contains(out, "#FF8800") {
		t.Fatalf("calendar list after add:\n%s", out)
	}
	mustCLI(t, data, "", "addressbook", "add", "alice", "friends", "--name", "Friends")
	mustCLI(t, data, "carol-pw\n", "user", "add", "carol", "--password-stdin", "--no-default-collections")
	if out := mustCLI(t, data, "", "calendar", "list", "carol"); strings.Contains(out, "default") {
		t.Fatalf("--no-default-collections made collections:\n%s", out)
	}

	// Bad input: one line on stderr, non-zero exit, nothing changed.
	state := func() string {
		return mustCLI(t, data, "", "user", "list") + mustCLI(t, data, "", "calendar", "list", "alice") +
			mustCLI(t, data, "", "addressbook", "list", "alice")
	}
	before := state()
	for _, tc := range []struct {
		name  string
		stdin string
		args  []string
		code  int
	}{
		{"unknown user", "", []string{"calendar", "add", "nobody", "x"}, 1},
		{"duplicate slug", "", []string{"calendar", "add", "alice", "work"}, 1},
		{"duplicate address book", "", []string{"addressbook", "add", "alice", "friends"}, 1},
		{"bad slug", "", []string{"calendar", "add", "alice", "bad slug!"}, 2},
		{"bad colour", "", []string{"calendar", "add", "alice", "x", "--color", "red"}, 2},
		{"unknown component", "", []string{"calendar", "add", "alice", "x", "--components", "VEVENT,VFOO"}, 2},
		{"duplicate user", "pw\n", []string{"user", "add", "ALICE", "--password-stdin"}, 1},
		{"bad user name", "pw\n", []string{"user", "add", "bad/name", "--password-stdin"}, 1},
		{"bad e-mail", "pw\n", []string{"user", "add", "gina", "--email", "not an address", "--password-stdin"}, 1},
		{"empty password", "\n", []string{"user", "add", "gina", "--password-stdin"}, 1},
		{"password not from a terminal", "", []string{"user", "add", "gina"}, 2},
		{"delete without --yes", "", []string{"user", "delete", "alice"}, 2},
		{"calendar delete without --yes", "", []string{"calendar", "delete", "alice", "work"}, 2},
		{"delete unknown calendar", "", []string{"calendar", "delete", "alice", "nope", "--yes"}, 1},
		{"passwd unknown user", "pw\n", []string{"user", "passwd", "nobody", "--password-stdin"}, 1},
		{"disable unknown user", "", []string{"user", "disable", "nobody"}, 1},
		{"unknown subcommand", "", []string{"user", "rename", "alice"}, 2},
		{"unknown flag", "", []string{"user", "list", "--frobnicate"}, 2},
		{"missing argument", "", []string{"calendar", "add", "alice"}, 2},
	} {
		r := cli(t, data, tc.stdin, tc.args...)
		if r.code != tc.code {
			t.Errorf("%s: exit %d, want %d (stderr %q)", tc.name, r.code, tc.code, r.stderr)
		}
		lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
		if tc.code == 1 && (len(lines) != 1 || !strings.HasPrefix(lines[0], "pgdav: ")) {
			t.Errorf("%s: stderr is not one line: %q", tc.name, r.stderr)
		}
		if tc.code == 2 && !strings.HasPrefix(lines[len(lines)-1], "pgdav: ") {
			t.Errorf("%s: stderr does not end with the error: %q", tc.name, r.stderr)
		}
	}
	if after := state(); after != before {
		t.Fatalf("bad input changed the state:\nbefore:\n%s\nafter:\n%s", before, after)
	}

	// With the server running, the CLI uses its cluster, and changes take
	// effect at once.
	s := startServer(t, data)
	authOK := func(user, password string) bool {
		resp, _ := s.do("PROPFIND", "/calendars/"+user+"/", user, password, nil)
		return resp.StatusCode != 401
	}
	if !authOK("alice", "alice-pw") {
		t.Fatal("alice refused")
	}
	mustCLI(t, data, "bob-pw\n", "user", "add", "bob", "--password-stdin")
	if !authOK("bob", "bob-pw") {
		t.Fatal("bob, added while the server runs, refused")
	}
	mustCLI(t, data, "", "user", "disable", "bob")
	if authOK("bob", "bob-pw") {
		t.Fatal("disabled bob still logs in")
	}
	if out := mustCLI(t, data, "", "user", "list"); !strings.Contains(out, "disabled") {
		t.Fatalf("user list does not show bob disabled:\n%s", out)
	}
	mustCLI(t, data, "", "user", "enable", "bob")
	if !authOK("bob", "bob-pw") {
		t.Fatal("re-enabled bob refused")
	}
	mustCLI(t, data, "bob-new\n", "user", "passwd", "bob", "--password-stdin")
	if authOK("bob", "bob-pw") || !authOK("bob", "bob-new") {
		t.Fatal("passwd did not take effect at once")
	}
	mustCLI(t, data, "", "calendar", "delete", "alice", "work", "--yes")
	mustCLI(t, data, "", "addressbook", "delete", "alice", "friends", "--yes")
	if out := mustCLI(t, data, "", "calendar", "list", "alice"); strings.Contains(out, "work") {
		t.Fatalf("deleted calendar still listed:\n%s", out)
	}
	mustCLI(t, data, "", "user", "delete", "bob", "--yes")
	if authOK("bob", "bob-new") {
		t.Fatal("deleted bob still logs in")
	}
	if err := s.stop(); err != nil {
		t.Fatalf("server exit: %v", err)
	}
	// And again without the server.
	if out := mustCLI(t, data, "", "user", "list"); strings.Contains(out, "bob") || !strings.Contains(out, "alice") {
		t.Fatalf("user list after stop:\n%s", out)
	}
}

package backend_test

import (
	"testing"
	"time"

	"github.com/pgdav/pgdav/backend"
	"github.com/pgdav/pgdav/backend/backendtest"
)

// Failed logins are counted per name (case-insensitively) and address
// and per name, restarted and left uncounted once older than the window,
// cleared per address (the name's total stays), and pruned; names no user
// can have are never stored.
func TestLoginFailures(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := backendtest.New(t)
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	const window = 15 * time.Minute
	type op struct {
		do         string // add, clear, prune, get
		name, addr string
		at         time.Duration // after t0
		want       backend.LoginFailures
	}
	for i, o := range []op{
		{do: "add", name: "alice", addr: "10.0.0.1", want: backend.LoginFailures{User: 1, Address: 1}},
		{do: "add", name: "Alice", addr: "10.0.0.1", at: time.Minute, want: backend.LoginFailures{User: 2, Address: 2}},
		{do: "add", name: "ALICE", addr: "10.0.0.2", at: 2 * time.Minute, want: backend.LoginFailures{User: 3, Address: 1}},
		{do: "add", name: "bob", addr: "10.0.0.1", at: 2 * time.Minute, want: backend.LoginFailures{User: 1, Address: 1}},
		{do: "get", name: "alice", addr: "10.0.0.1", at: 3 * time.Minute, want: backend.LoginFailures{User: 3, Address: 2}},
		{do: "get", name: "alice", addr: "10.0.0.9", at: 3 * time.Minute, want: backend.LoginFailures{User: 3, Address: 0}},
		// 10.0.0.1's last failure (1 min) is out of the window at 16m30s;
		// 10.0.0.2's (2 min) is not.
		{do: "get", name: "alice", addr: "10.0.0.1", at: 16*time.Minute + 30*time.Second, want: backend.LoginFailures{User: 3, Address: 0}},
		{do: "add", name: "alice", addr: "10.0.0.1", at: 16*time.Minute + 30*time.Second, want: backend.LoginFailures{User: 4, Address: 1}},
		{do: "clear", name: "ALICE", addr: "10.0.0.1", at: 17 * time.Minute},
		{do: "get", name: "alice", addr: "10.0.0.1", at: 17 * time.Minute, want: backend.LoginFailures{User: 4, Address: 0}},
		{do: "add", name: "al\x00ice", addr: "10.0.0.1", at: 17 * time.Minute},
		{do: "add", name: "\xe9lise", addr: "10.0.0.1", at: 17 * time.Minute},
		{do: "get", name: "al\x00ice", addr: "10.0.0.1", at: 17 * time.Minute},
		{do: "prune", at: 17*time.Minute + time.Second}, // bob's two rows and alice@10.0.0.2 (2 min) go
		{do: "get", name: "bob", addr: "10.0.0.1", at: 0},
		{do: "get", name: "alice", addr: "10.0.0.2", at: 0, want: backend.LoginFailures{User: 4}},
		{do: "get", name: "alice", addr: "10.0.0.1", at: 17 * time.Minute, want: backend.LoginFailures{User: 4}},
	} {
		at := t0.Add(o.at)
		var got backend.LoginFailures
		var err error
		switch o.do {
		case "add":
			got, err = s.AddLoginFailure(ctx, o.name, o.addr, at, at.Add(-window))
		case "get":
			got, err = s.LoginFailures(ctx, o.name, o.addr, at.Add(-window))
		case "clear":
			err = s.ClearLoginFailures(ctx, o.name, o.addr)
		case "prune":
			var n int64
			n, err = s.PruneLoginFailures(ctx, at.Add(-window))
			if err == nil && n != 3 {
				t.Fatalf("step %d: pruned %d rows, want 3", i, n)
			}
		}
		if err != nil {
			t.Fatalf("step %d (%s %q %s): %v", i, o.do, o.name, o.addr, err)
		}
		if got != o.want {
			t.Fatalf("step %d (%s %q %s at %v): %+v, want %+v", i, o.do, o.name, o.addr, o.at, got, o.want)
		}
	}
}

package server

import (
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/pgdav/pgdav/backend"
	"github.com/pgdav/pgdav/backend/backendtest"
)

// The delay a failed attempt costs, after given failures: per user and
// per user and address, never per address alone, doubling, capped, and
// forgotten after the window or, for one address, after a success there.
func TestThrottleDelay(t *testing.T) {
	t.Parallel()
	type fail struct {
		ip, name string
		n        int
	}
	// spread is one failure for name from each of n addresses.
	spread := func(name string, n int) []fail {
		out := make([]fail, n)
		for i := range out {
			out[i] = fail{fmt.Sprintf("10.1.0.%d", i+1), name, 1}
		}
		return out
	}
	for _, tc := range []struct {
		name      string
		failures  []fail
		succeeded string // address that then logged in as alice
		later     time.Duration
		ip, user  string
		want      time.Duration
	}{
		{name: "none", ip: "10.0.0.1", user: "alice", want: 0},
		{name: "four typos", failures: []fail{{"10.0.0.1", "alice", 4}}, ip: "10.0.0.1", user: "alice", want: 0},
		{name: "five typos", failures: []fail{{"10.0.0.1", "alice", 5}}, ip: "10.0.0.1", user: "alice", want: failureBaseDelay},
		{name: "six", failures: []fail{{"10.0.0.1", "alice", 6}}, ip: "10.0.0.1", user: "alice", want: 2 * failureBaseDelay},
		{name: "seven", failures: []fail{{"10.0.0.1", "alice", 7}}, ip: "10.0.0.1", user: "ALICE", want: 4 * failureBaseDelay},
		{name: "capped", failures: []fail{{"10.0.0.1", "alice", 40}}, ip: "10.0.0.1", user: "alice", want: failureMaxDelay},
		{name: "same address, other user", failures: []fail{{"10.0.0.1", "alice", 40}}, ip: "10.0.0.1", user: "bob", want: 0},
		{name: "same user, address without failures", failures: []fail{{"10.0.0.1", "alice", 40}}, ip: "10.0.0.2", user: "alice", want: 0},
		{name: "7 addresses, one of them", failures: spread("alice", 7), ip: "10.1.0.1", user: "alice", want: 0},
		{name: "10 addresses, one of them", failures: spread("alice", 10), ip: "10.1.0.1", user: "alice", want: failureBaseDelay},
		{name: "11 addresses, one of them", failures: spread("alice", 11), ip: "10.1.0.3", user: "alice", want: 2 * failureBaseDelay},
		{name: "11 addresses, a new one", failures: spread("alice", 11), ip: "10.2.0.1", user: "alice", want: 0},
		{name: "100 addresses, capped", failures: spread("alice", 100), ip: "10.1.0.3", user: "alice", want: failureMaxDelay},
		{name: "expired", failures: []fail{{"10.0.0.1", "alice", 40}}, later: failureWindow + time.Second, ip: "10.0.0.1", user: "alice", want: 0},
		{name: "within the window", failures: []fail{{"10.0.0.1", "alice", 5}}, later: failureWindow - time.Second, ip: "10.0.0.1", user: "alice", want: failureBaseDelay},
		{name: "success clears its address", failures: []fail{{"10.0.0.1", "alice", 9}}, succeeded: "10.0.0.1", ip: "10.0.0.1", user: "alice", want: 0},
		{name: "success elsewhere clears nothing", failures: []fail{{"10.0.0.1", "alice", 5}}, succeeded: "10.0.0.2", ip: "10.0.0.1", user: "alice", want: failureBaseDelay},
		{name: "success keeps the user's count", failures: spread("alice", 12), succeeded: "10.1.0.1", ip: "10.1.0.2", user: "alice", want: 4 * failureBaseDelay},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
			f := newFailureTracker(backendtest.New(t), slog.New(slog.DiscardHandler))
			f.now = func() time.Time { return now }
			for _, fl := range tc.failures {
				for range fl.n {
					if _, err := f.add(ctx, fl.ip, fl.name); err != nil {
						t.Fatal(err)
					}
				}
			}
			if tc.succeeded != "" {
				if err := f.succeeded(ctx, tc.succeeded, "alice"); err != nil {
					t.Fatal(err)
				}
			}
			now = now.Add(tc.later)
			got, err := f.delay(ctx, tc.ip, tc.user)
			if err != nil || got != tc.want {
				t.Fatalf("delay(%s, %s) = %v, %v; want %v", tc.ip, tc.user, got, err, tc.want)
			}
		})
	}
}

// The delay is a function of the two counts alone.
func TestThrottleDelayOfCounts(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		user, addr int
		want       time.Duration
	}{
		{0, 0, 0},
		{4, 4, 0},
		{5, 5, failureBaseDelay},
		{9, 1, 0},
		{10, 0, 0}, // an address that never failed for the name
		{10, 1, failureBaseDelay},
		{12, 6, 4 * failureBaseDelay},
		{1000, 1000, failureMaxDelay},
	} {
		if got := throttleDelay(backend.LoginFailures{User: tc.user, Address: tc.addr}); got != tc.want {
			t.Errorf("user %d, address %d: %v, want %v", tc.user, tc.addr, got, tc.want)
		}
	}
}

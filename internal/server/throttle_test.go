package server

import (
	"fmt"
	"testing"
	"time"
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
			now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
			f := newFailureTracker()
			f.now = func() time.Time { return now }
			for _, fl := range tc.failures {
				for range fl.n {
					f.add(fl.ip, fl.name)
				}
			}
			if tc.succeeded != "" {
				f.succeeded(tc.succeeded, "alice")
			}
			now = now.Add(tc.later)
			if got := f.delay(tc.ip, tc.user); got != tc.want {
				t.Fatalf("delay(%s, %s) = %v, want %v", tc.ip, tc.user, got, tc.want)
			}
		})
	}
}

// add reports both counts the decision is made on.
func TestThrottleCounts(t *testing.T) {
	t.Parallel()
	f := newFailureTracker()
	f.add("10.0.0.1", "alice")
	f.add("10.0.0.2", "Alice")
	f.add("10.0.0.1", "bob")
	if c := f.add("10.0.0.1", "ALICE"); c != (failureCounts{user: 3, addr: 2}) {
		t.Fatalf("counts %+v, want user 3, addr 2", c)
	}
}

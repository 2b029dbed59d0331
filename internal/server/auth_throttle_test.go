package server

import (
	"context"
	"encoding/base64"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/pgdav/pgdav/backend"
)

// sleepRecorder replaces the throttle's sleep and records each delay.
type sleepRecorder struct {
	mu     sync.Mutex
	delays []time.Duration
}

func (s *sleepRecorder) sleep(_ context.Context, d time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.delays = append(s.delays, d)
	return nil
}

func (s *sleepRecorder) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.delays)
}

// login sends one authenticated PROPFIND of alice's principal from ip and
// returns its status.
func (f *fixture) login(t *testing.T, ip, user, password string) int {
	t.Helper()
	r := httptest.NewRequest("PROPFIND", "/principals/alice/", nil)
	r.RemoteAddr = ip + ":40000"
	r.SetBasicAuth(user, password)
	w := httptest.NewRecorder()
	f.srv.ServeHTTP(w, r)
	return w.Code
}

// A request whose credentials are correct never waits, whatever failures
// were counted for its user, from its address or others, with the
// credential cache on or off; failures from the guessing addresses do.
func TestThrottleNeverDelaysCorrectCredentials(t *testing.T) {
	t.Parallel()
	type step struct {
		ip, password string
		n            int
	}
	guesses := func(n int) []step {
		out := make([]step, n)
		for i := range out {
			out[i] = step{fmt.Sprintf("10.1.0.%d", i+1), "guess", 1}
		}
		return out
	}
	for _, tc := range []struct {
		name       string
		ttl        time.Duration
		steps      []step
		wantDelays int // sleeps the wrong passwords cost
	}{
		{"typos, then the password from the same address", 0,
			[]step{{"10.0.0.1", "typo", 7}, {"10.0.0.1", "pw", 1}, {"10.0.0.1", "typo", 1}}, 2},
		{"cached login from a throttled address", time.Minute,
			[]step{{"10.0.0.1", "pw", 1}, {"10.0.0.1", "guess", 8}, {"10.0.0.1", "pw", 3}}, 3},
		{"uncached login from a throttled address", 0,
			[]step{{"10.0.0.1", "guess", 8}, {"10.0.0.1", "pw", 3}}, 3},
		{"7 guesses from 7 addresses, cached", time.Minute,
			append(append([]step{{"10.9.0.1", "pw", 1}}, guesses(7)...), step{"10.9.0.1", "pw", 5}), 0},
		{"7 guesses from 7 addresses, uncached", 0,
			append(guesses(7), step{"10.9.0.1", "pw", 5}), 0},
		{"11 guesses from 11 addresses, cached", time.Minute,
			append(append([]step{{"10.9.0.1", "pw", 1}}, guesses(11)...), step{"10.9.0.1", "pw", 5}), 0},
		{"11 guesses from 11 addresses, uncached", 0,
			append(guesses(11), step{"10.9.0.1", "pw", 5}, step{"10.1.0.1", "pw", 2}), 0},
		{"one proxy address: another user's typos", 0,
			[]step{{"10.0.0.1", "pw", 3}}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, tc.ttl)
			f.addUser(t, "alice", "pw")
			f.addUser(t, "bob", "pw")
			rec := &sleepRecorder{}
			f.srv.auth.failures.sleep = rec.sleep
			if tc.name == "one proxy address: another user's typos" {
				for range 20 {
					f.login(t, "10.0.0.1", "bob", "typo")
				}
				rec = &sleepRecorder{}
				f.srv.auth.failures.sleep = rec.sleep
			}
			wrong := 0
			for _, s := range tc.steps {
				for range s.n {
					before := rec.count()
					code := f.login(t, s.ip, "alice", s.password)
					switch {
					case s.password == "pw" && code != http.StatusMultiStatus:
						t.Fatalf("correct password from %s: %d", s.ip, code)
					case s.password == "pw" && rec.count() != before:
						t.Fatalf("correct password from %s waited %v", s.ip, rec.delays[before:])
					case s.password != "pw" && code != http.StatusUnauthorized:
						t.Fatalf("wrong password from %s: %d", s.ip, code)
					case s.password != "pw":
						wrong += rec.count() - before
					}
				}
			}
			if wrong != tc.wantDelays {
				t.Fatalf("wrong passwords waited %d times (%v), want %d", wrong, rec.delays, tc.wantDelays)
			}
			for _, d := range rec.delays {
				if d <= 0 || d > 10*time.Second {
					t.Fatalf("delay %v outside (0, 10s]", d)
				}
			}
		})
	}
}

// Unknown, disabled and wrong-password logins each run one password
// verification, so none of them answers sooner than the others.
func TestFailedLoginsVerifyOnce(t *testing.T) {
	t.Parallel()
	f := newFixture(t, time.Minute)
	f.addUser(t, "alice", "pw")
	f.addUser(t, "dis", "pw")
	if err := f.store.SetPrincipalDisabled(t.Context(), "dis", true); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, user, password string
		wantChecks           int64
	}{
		{"unknown user", "mallory", "pw", 1},
		{"disabled, right password", "dis", "pw", 1},
		{"disabled, wrong password", "dis", "nope", 1},
		{"wrong password", "alice", "nope", 1},
		{"name no user can have", "al ice/..", "pw", 1},
		{"right password", "alice", "pw", 1},
		{"right password again (cached)", "alice", "pw", 0},
	} {
		before := f.srv.auth.checks.Load()
		code := f.login(t, "10.0.0.1", tc.user, tc.password)
		if got := f.srv.auth.checks.Load() - before; got != tc.wantChecks {
			t.Errorf("%s: %d password verifications, want %d (status %d)", tc.name, got, tc.wantChecks, code)
		}
	}
}

// Credentials that cannot be decoded, or name no possible user, are
// refused with 401 and a challenge, over real HTTP.
func TestMalformedBasicCredentials(t *testing.T) {
	t.Parallel()
	f := newFixture(t, time.Minute)
	f.addUser(t, "alice", "pw")
	hs := httptest.NewServer(f.srv)
	t.Cleanup(hs.Close)
	b64 := func(s string) string { return "Basic " + base64.StdEncoding.EncodeToString([]byte(s)) }
	for _, tc := range []struct{ name, header string }{
		{"Latin-1 name", b64("\xe9lise:pw")},
		{"invalid UTF-8 name", b64("\xff\xfe\xfd:pw")},
		{"NUL in name", b64("al\x00ice:pw")},
		{"NUL name", b64("\x00:pw")},
		{"control character in name", b64("al\x01ice:pw")},
		{"long name", b64(string(make([]byte, 300)) + ":pw")},
		{"long valid-looking name", b64("a" + fmt.Sprintf("%0300d", 0) + ":pw")},
		{"invalid UTF-8 password", b64("alice:\xff\xfe")},
		{"NUL in password", b64("alice:p\x00w")},
		{"no colon", b64("alice")},
		{"empty name", b64(":pw")},
		{"bad base64", "Basic !!!not-base64"},
		{"no credentials after the scheme", "Basic"},
		{"another scheme", "Bearer abc"},
	} {
		req, err := http.NewRequestWithContext(t.Context(), "PROPFIND", hs.URL+"/principals/alice/", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", tc.header)
		resp, err := hs.Client().Do(req)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("WWW-Authenticate") == "" {
			t.Errorf("%s: status %d, WWW-Authenticate %q; want 401 with a challenge",
				tc.name, resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
		}
	}
}

// lookupSignal is a credential store that says when it was asked.
type lookupSignal struct {
	credentialStore
	asked chan struct{}
}

func (l lookupSignal) GetPrincipalCredentials(ctx context.Context, name string, coll *backend.CollectionKey) (backend.Credentials, error) {
	l.asked <- struct{}{}
	return l.credentialStore.GetPrincipalCredentials(ctx, name, coll)
}

// Concurrent guesses for a throttled user are verified one at a time,
// each after the previous one's delay, while the user's correct password
// from an address without failures goes straight through.
func TestThrottleOneGuessAtATime(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 0)
	f.addUser(t, "alice", "pw")
	f.srv.auth.failures.sleep = (&sleepRecorder{}).sleep
	for range 5 { // failureFreeAddress
		f.login(t, "10.0.0.1", "alice", "guess")
	}
	const guessers = 3
	entered := make(chan int64, guessers)
	release := make(chan struct{})
	f.srv.auth.failures.sleep = func(context.Context, time.Duration) error {
		entered <- f.srv.auth.checks.Load()
		<-release
		return nil
	}
	asked := make(chan struct{}, guessers+1)
	f.srv.auth.store = lookupSignal{f.srv.auth.store, asked}
	base := f.srv.auth.checks.Load()
	codes := make(chan int, guessers)
	for range guessers {
		go func() { codes <- f.login(t, "10.0.0.1", "alice", "guess") }()
	}
	for i := range int64(guessers) {
		if got := <-entered; got != base+i+1 {
			t.Fatalf("guess %d waits its delay after %d verifications, want %d", i+1, got-base, i+1)
		}
		if i == 0 {
			for range guessers {
				<-asked
			}
			if code := f.login(t, "10.0.0.9", "alice", "pw"); code != http.StatusMultiStatus {
				t.Fatalf("correct password while guesses wait: %d", code)
			}
			<-asked
			base++ // that login's verification
		}
		release <- struct{}{}
	}
	for range guessers {
		if code := <-codes; code != http.StatusUnauthorized {
			t.Fatalf("guess answered %d", code)
		}
	}
}

// Two nodes on one database count a guesser's failures together: the
// guesses one node saw throttle the next on the other, and the real
// user's correct password still goes through at once on both.
func TestThrottleAcrossNodes(t *testing.T) {
	t.Parallel()
	a := newFixture(t, 0)
	a.addUser(t, "alice", "pw")
	b := &fixture{store: a.store, srv: New(Config{Logger: slog.New(slog.DiscardHandler)}, a.store), logs: a.logs}
	b.srv.SetReady()
	recA, recB := &sleepRecorder{}, &sleepRecorder{}
	a.srv.auth.failures.sleep, b.srv.auth.failures.sleep = recA.sleep, recB.sleep
	for i := range 5 {
		f := a
		if i%2 == 1 {
			f = b
		}
		if code := f.login(t, "10.0.0.1", "alice", "guess"); code != http.StatusUnauthorized {
			t.Fatalf("guess %d: %d", i, code)
		}
	}
	if recA.count()+recB.count() != 0 {
		t.Fatalf("the first five guesses waited: %v %v", recA.delays, recB.delays)
	}
	b.login(t, "10.0.0.1", "alice", "guess")
	if recB.count() != 1 || recB.delays[0] != failureBaseDelay {
		t.Fatalf("sixth guess, on the node that saw two: waited %v, want %v", recB.delays, failureBaseDelay)
	}
	for _, f := range []*fixture{a, b} {
		if code := f.login(t, "10.0.0.2", "alice", "pw"); code != http.StatusMultiStatus {
			t.Fatalf("correct password: %d", code)
		}
	}
	if recA.count()+recB.count() != 1 {
		t.Fatalf("a correct password waited: %v %v", recA.delays, recB.delays)
	}
}

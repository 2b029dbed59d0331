package dav_test

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/pgdav/pgdav/internal/davtest"
)

// Writers PUT and DELETE over HTTP on several connections while a client
// syncs again and again with the tokens it gets, in pages of random
// size; applying every answer (store each member's getetag, drop each
// 404) must leave it with exactly the calendar's members and etags, round
// after round. backend's TestChangesConcurrentWritersLoseNothing does the
// same under more load without HTTP.
func TestSyncCollectionConcurrentWriters(t *testing.T) {
	t.Parallel()
	e := davtest.New(t, davtest.Config{}, "alice")
	const rounds, writers, ops = 20, 3, 12
	deadline := time.Now().Add(10 * time.Second)
	for round := range rounds {
		if time.Now().After(deadline) {
			t.Logf("stopping after %d rounds (time budget)", round)
			break
		}
		coll := fmt.Sprintf("/calendars/alice/r%d/", round)
		e.Do(t, "alice", "MKCALENDAR", coll, "").Want(t, http.StatusCreated)
		var wg sync.WaitGroup
		failed := make(chan string, writers)
		for w := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := rand.New(rand.NewPCG(uint64(round), uint64(w)))
				for i := range ops {
					name := fmt.Sprintf("%sw%d-%d.ics", coll, w, r.IntN(5))
					if r.IntN(3) == 0 {
						if st := e.Send(t, "alice", "DELETE", e.Href(name), nil).Status; st != http.StatusNoContent && st != http.StatusNotFound {
							failed <- fmt.Sprintf("DELETE %s: %d", name, st)
							return
						}
						continue
					}
					uid := fmt.Sprintf("r%d-w%d-%s", round, w, name)
					if st := e.Do(t, "alice", "PUT", name, davtest.Event(uid, fmt.Sprintf("op %d", i)), davtest.CTCal).Status; st != http.StatusCreated && st != http.StatusNoContent {
						failed <- fmt.Sprintf("PUT %s: %d", name, st)
						return
					}
				}
			}()
		}
		done := make(chan struct{})
		go func() { wg.Wait(); close(done) }()
		v := davtest.SyncView{}
		token := ""
		r := rand.New(rand.NewPCG(uint64(round), 7))
		for running := true; running; {
			select {
			case <-done:
				running = false
			default:
			}
			token, _ = e.Pull(t, "alice", coll, token, v, []int{0, 1, 2, 5}[r.IntN(4)])
		}
		close(failed)
		for f := range failed {
			t.Fatal(f)
		}
		e.Pull(t, "alice", coll, token, v, 0)
		if want := e.Truth(t, "alice", coll); !maps.Equal(v, want) {
			t.Fatalf("round %d: the client's view\n%v\ndiffers from the calendar\n%v", round, v, want)
		}
	}
}

package backend_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/pgdav/pgdav/backend"
)

func TestCollectionSyncState(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	f := newFixture(t)
	if seq, floor, err := f.s.CollectionSyncState(ctx, f.cal.ID); err != nil || seq != 0 || floor != 0 {
		t.Fatalf("new collection: seq=%d floor=%d err=%v", seq, floor, err)
	}
	f.put(t, f.cal.ID, "a.ics", "a", "1")
	f.put(t, f.cal.ID, "a.ics", "a", "2")
	if _, err := f.s.Pool().Exec(ctx, `UPDATE collections SET sync_floor = 1 WHERE id = $1`, f.cal.ID); err != nil {
		t.Fatal(err)
	}
	if seq, floor, err := f.s.CollectionSyncState(ctx, f.cal.ID); err != nil || seq != 2 || floor != 1 {
		t.Fatalf("seq=%d floor=%d err=%v, want 2 and 1", seq, floor, err)
	}
	if c, err := f.s.GetCollectionByID(ctx, f.cal.ID); err != nil || c.SyncSeq != 2 {
		t.Fatalf("GetCollectionByID = %+v, %v", c, err)
	}
}

// Concurrent writers to one collection get the sequence numbers 1..n, each
// once: the collection row lock hands them out one transaction at a time.
func TestConcurrentPutsSerialiseSequence(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	f := newFixture(t)
	const writers, each = 8, 50
	var wg sync.WaitGroup
	errs := make(chan error, writers*each)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				name := fmt.Sprintf("w%d-%02d.ics", w, i)
				if _, _, err := f.s.PutObject(ctx, write(f.cal.ID, name, name, "data of "+name), backend.Conditions{}); err != nil {
					errs <- fmt.Errorf("%s: %w", name, err)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if seq := f.seq(t, f.cal.ID); seq != writers*each {
		t.Fatalf("sync_seq = %d, want %d", seq, writers*each)
	}
	got := f.changes(t, f.cal.ID)
	if len(got) != writers*each {
		t.Fatalf("%d change rows, want %d", len(got), writers*each)
	}
	for i, c := range got { // ordered by seq, so 1..n with no gap means no duplicate
		if c.Seq != int64(i+1) || c.Deleted {
			t.Fatalf("change %d = %+v, want seq %d", i, c, i+1)
		}
	}
}

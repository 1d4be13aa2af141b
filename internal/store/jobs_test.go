package store_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/hallmark-dev/hallmark/internal/store"
	"github.com/hallmark-dev/hallmark/internal/store/storetest"
)

func TestJobs(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		t0 := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
		lease := t0.Add(time.Minute)

		// Once per dedup key.
		id, created, err := s.EnqueueJob(ctx, "rematch", `{}`, "rematch:g1", "g1", t0)
		if err != nil || !created {
			t.Fatalf("enqueue: %v %v", created, err)
		}
		again, created, err := s.EnqueueJob(ctx, "rematch", `{}`, "rematch:g1", "g1", t0)
		if err != nil || created || again != id {
			t.Fatalf("second enqueue of the same key: %s %v %v, want %s", again, created, err, id)
		}

		// Only a replica that has g1 may run it.
		if j, err := s.ClaimJob(ctx, "old", []string{"rematch"}, []string{"g0"}, t0, lease); err != nil || j != nil {
			t.Fatalf("claimed by a replica without the index: %v %v", j, err)
		}
		// Eight replicas claim at once: exactly one gets it.
		var mu sync.Mutex
		var got []*store.Job
		var wg sync.WaitGroup
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				j, err := s.ClaimJob(ctx, store.NewID(), []string{"rematch"}, []string{"g1"}, t0, lease)
				if err != nil {
					t.Error(err)
				}
				if j != nil {
					mu.Lock()
					got = append(got, j)
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if len(got) != 1 {
			t.Fatalf("%d claims of one job", len(got))
		}
		a := got[0]

		// A checkpoint commits the unit's work with the job's progress.
		if err := s.JobTx(ctx, a, lease, "unit-1", func(tx *store.Tx) error { return tx.SetJobResult(ctx, a, `{"n":1}`) }); err != nil {
			t.Fatal(err)
		}
		// Before the lease ends nobody else gets it; after, another replica
		// does, and resumes from the checkpoint.
		if j, _ := s.ClaimJob(ctx, "b", []string{"rematch"}, []string{"g1"}, t0.Add(30*time.Second), lease); j != nil {
			t.Fatal("claimed under a live lease")
		}
		b, err := s.ClaimJob(ctx, "b", []string{"rematch"}, []string{"g1"}, lease.Add(time.Millisecond), lease.Add(time.Minute))
		if err != nil || b == nil || b.ID != id || b.Progress != "unit-1" || b.Result != `{"n":1}` || b.Attempts != 2 {
			t.Fatalf("take-over: %+v %v", b, err)
		}
		// The first holder, alive after all, can commit nothing more.
		committed := false
		err = s.JobTx(ctx, a, lease.Add(time.Hour), "unit-2", func(tx *store.Tx) error { committed = true; return nil })
		if !errors.Is(err, store.ErrLeaseLost) || committed {
			t.Fatalf("stale holder's checkpoint: %v (work ran: %v)", err, committed)
		}
		if err := s.FinishJob(ctx, a, store.JobDone, "", lease); !errors.Is(err, store.ErrLeaseLost) {
			t.Fatalf("stale holder's finish: %v", err)
		}
		// Given back at shutdown: pending at once, checkpoint kept.
		if err := s.ReleaseJob(ctx, b); err != nil {
			t.Fatal(err)
		}
		c, err := s.ClaimJob(ctx, "c", []string{"rematch"}, []string{"g1"}, lease, lease.Add(time.Minute))
		if err != nil || c == nil || c.Progress != "unit-1" {
			t.Fatalf("after release: %+v %v", c, err)
		}
		if err := s.FinishJob(ctx, c, store.JobDone, `{"n":2}`, lease); err != nil {
			t.Fatal(err)
		}
		if j, _ := s.ClaimJob(ctx, "d", []string{"rematch"}, []string{"g1"}, lease.Add(time.Hour), lease.Add(2*time.Hour)); j != nil {
			t.Fatal("a finished job was claimed")
		}
		j, err := s.JobByID(ctx, id)
		if err != nil || j.State != store.JobDone || j.DoneUnits != 1 || j.Finished.IsZero() {
			t.Fatalf("finished job: %+v %v", j, err)
		}
		// A job without requirement runs anywhere.
		if _, _, err := s.EnqueueJob(ctx, "rematch", `{"all":true}`, "", "", t0); err != nil {
			t.Fatal(err)
		}
		if j, err := s.ClaimJob(ctx, "e", []string{"rematch"}, nil, t0, lease); err != nil || j == nil {
			t.Fatalf("claim of an unrestricted job: %v %v", j, err)
		}
	})
}

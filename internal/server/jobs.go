package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/hallmark-dev/hallmark/internal/store"
	"github.com/hallmark-dev/hallmark/internal/vulndb"
)

// testHook, when set (by this package's tests only), is called at named
// points of ingest, jobs and shutdown, so that a test can stop a replica
// at a known point and kill it there. nil in every real build.
var testHook func(point, detail string)

func (s *Server) hook(point, detail string) {
	if testHook != nil {
		testHook(point, detail)
	}
}

// maxJobAttempts is how often a job that fails is tried before it is
// marked failed.
const maxJobAttempts = 5

// defaultLease is how long a claimed job stays a replica's without a
// checkpoint; a replica that dies holds its job that long at most.
const defaultLease = time.Minute

// newReplicaID names this process in job leases (for people reading the
// jobs table; uniqueness comes from each claim's own token).
func newReplicaID() string {
	h, _ := os.Hostname()
	return fmt.Sprintf("%s/%d", h, os.Getpid())
}

// runOneJob claims one job this replica can run and runs it; ran is false
// when there was none. When ctx ends mid-job, the job stops after its
// current unit and is given back (pending again, its checkpoint kept).
func (s *Server) runOneJob(ctx context.Context) (ran bool, err error) {
	var has []string
	ref, release, _, err := s.vulns.acquire()
	if err != nil {
		s.log.Error("vulnerability index", "err", err)
	}
	if ref != nil {
		has = []string{ref.gen}
	}
	release()
	now := s.now()
	j, err := s.st.ClaimJob(ctx, s.replica+"/"+store.NewID()[:8], []string{jobRematch}, has, now, now.Add(s.lease))
	if err != nil || j == nil {
		return false, err
	}
	s.hook("job-claimed", j.ID)
	res, done, err := s.runRematch(ctx, j)
	b, _ := json.Marshal(res)
	// The job's end is recorded even when ctx ended: a short grace of its own.
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	switch {
	case errors.Is(err, store.ErrLeaseLost):
		s.log.Warn("job taken over by another replica", "job", j.ID)
		return true, nil
	case err != nil && ctx.Err() != nil:
		s.log.Info("job given back at shutdown", "job", j.ID, "names", res.Names)
		return true, s.st.ReleaseJob(fctx, j)
	case err != nil && j.Attempts < maxJobAttempts:
		s.log.Error("job failed, will retry", "job", j.ID, "attempt", j.Attempts, "err", err)
		return true, s.st.ReleaseJob(fctx, j)
	case err != nil:
		s.log.Error("job failed", "job", j.ID, "err", err)
		return true, s.st.FinishJob(fctx, j, store.JobFailed, oneLine(err), s.now())
	case done:
		s.log.Info("re-match done", "job", j.ID, "names", res.Names, "changes", res.Changes)
		if err := s.st.FinishJob(fctx, j, store.JobDone, string(b), s.now()); err != nil && !errors.Is(err, store.ErrLeaseLost) {
			return true, err
		}
		s.hook("job-done", j.ID)
	}
	return true, nil
}

// Background runs the background work until stop is called: every
// interval (and at once after a job is queued) it looks for a replaced
// vulnerability index, queuing that index's re-match job (once, whichever
// replica sees it first), runs the jobs this replica can claim, and
// delivers due webhooks; with Config.UpdateEvery set it also refreshes the
// index on that schedule.
//
// stop stops claiming new work and returns when the work in flight has
// finished; when its ctx ends first, a job in flight stops after its
// current unit and is given back to the other replicas before stop
// returns ctx's error.
func (s *Server) Background(interval time.Duration) (stop func(ctx context.Context) error) {
	soft := make(chan struct{})
	hard, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			s.tick(hard, soft)
			select {
			case <-soft:
				return
			case <-t.C:
			case <-s.wake:
			}
		}
	}()
	if s.updateEvery > 0 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.updateLoop(hard, soft)
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	var once sync.Once
	return func(ctx context.Context) error {
		once.Do(func() { close(soft) })
		defer cancel()
		select {
		case <-done:
			return nil
		case <-ctx.Done():
			cancel()
			<-done
			return ctx.Err()
		}
	}
}

func stopping(soft <-chan struct{}) bool {
	select {
	case <-soft:
		return true
	default:
		return false
	}
}

// tick is one round of background work.
func (s *Server) tick(ctx context.Context, soft <-chan struct{}) {
	ref, release, _, err := s.vulns.acquire()
	if err != nil {
		s.log.Error("vulnerability index", "err", err)
	}
	if ref != nil {
		gen := ref.gen
		s.mu.Lock()
		seen := s.queuedGen == gen
		s.mu.Unlock()
		if !seen {
			if _, err := s.enqueueRematch(ctx, gen, false); err != nil {
				s.log.Error("queue re-match", "err", err)
			} else {
				s.log.Info("vulnerability index opened", "index", gen)
				s.mu.Lock()
				s.queuedGen = gen
				s.mu.Unlock()
			}
		}
	}
	release()
	for !stopping(soft) {
		ran, err := s.runOneJob(ctx)
		if err != nil {
			s.log.Error("jobs", "err", err)
		}
		if !ran || err != nil {
			break
		}
	}
	if !stopping(soft) {
		if _, err := s.Deliver(ctx); err != nil {
			s.log.Error("webhooks", "err", err)
		}
	}
	s.hook("tick", "")
}

// wakeUp makes the background loop look for work now.
func (s *Server) wakeUp() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// updateLoop refreshes the vulnerability index every updateEvery, as
// hallmark db update does (conditional requests: an unchanged source costs
// a round trip); the new index is noticed by the next tick. Replicas
// sharing the directory take turns (vulndb's writer lock).
func (s *Server) updateLoop(ctx context.Context, soft <-chan struct{}) {
	t := time.NewTicker(s.updateEvery)
	defer t.Stop()
	for {
		res, err := vulndb.Update(ctx, vulndb.Options{Dir: s.vulns.dir, Source: s.updateSource, Ecosystems: s.updateEcosystems})
		switch {
		case errors.Is(err, vulndb.ErrLocked):
			s.log.Info("vulnerability data update skipped: another update holds the lock")
		case err != nil:
			s.log.Error("vulnerability data update", "err", err)
		default:
			for _, e := range res.Ecosystems {
				s.log.Info("vulnerability data update", "ecosystem", e.Name, "result", e.Status, "advisories", e.Meta.Advisories)
			}
			s.wakeUp()
		}
		select {
		case <-soft:
			return
		case <-t.C:
		}
	}
}

// Serve serves HTTP on ln (HTTPS when certFile is set) and runs the
// background work every interval until ctx ends, then shuts down
// gracefully: the listener closes at once, requests and the job in flight
// finish; whatever is still running when grace is over is cut (the job
// given back to the other replicas after its current unit).
func (s *Server) Serve(ctx context.Context, hs *http.Server, ln net.Listener, certFile, keyFile string, interval, grace time.Duration) error {
	stop := s.Background(interval)
	errc := make(chan error, 1)
	go func() {
		if certFile != "" {
			errc <- hs.ServeTLS(ln, certFile, keyFile)
		} else {
			errc <- hs.Serve(ln)
		}
	}()
	var serveErr error
	select {
	case serveErr = <-errc:
	case <-ctx.Done():
	}
	s.log.Info("shutting down", "grace", grace)
	s.hook("shutdown", "")
	sctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	var wg sync.WaitGroup
	var httpErr, bgErr error
	wg.Add(2)
	go func() { defer wg.Done(); httpErr = hs.Shutdown(sctx) }()
	go func() { defer wg.Done(); bgErr = stop(sctx) }()
	wg.Wait()
	s.vulns.close()
	if serveErr != nil && !errors.Is(serveErr, http.ErrServerClosed) {
		return serveErr
	}
	return errors.Join(httpErr, bgErr)
}

package server

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/hallmark-dev/hallmark/internal/match"
	"github.com/hallmark-dev/hallmark/internal/sbom"
	"github.com/hallmark-dev/hallmark/internal/store"
	"github.com/hallmark-dev/hallmark/internal/vulndb"
)

// Job kinds.
const (
	// jobRematch re-matches stored releases: the names whose advisories
	// changed (after a data update: one job per index, whichever replica
	// notices it first), or every name (the full re-match command).
	jobRematch = "rematch"
)

// rematchPayload is a re-match job's payload.
type rematchPayload struct {
	All bool `json:"all,omitempty"`
}

// EnqueueRematch queues a re-match job: of every name with all, else of
// the names whose advisories changed in the current index (once per
// index: a second call for the same index returns the first job). It
// returns the job's id ("" when there is no vulnerability data yet).
func (s *Server) EnqueueRematch(ctx context.Context, all bool) (string, error) {
	ref, release, _, err := s.vulns.acquire()
	if err != nil || ref == nil {
		return "", err
	}
	gen := ref.gen
	release()
	return s.enqueueRematch(ctx, gen, all)
}

func (s *Server) enqueueRematch(ctx context.Context, gen string, all bool) (string, error) {
	payload, _ := json.Marshal(rematchPayload{All: all})
	dedup, requires := "", ""
	if !all {
		// The delta for one index: once, and only by a replica that has
		// that index open (one whose index is older would undo it).
		dedup, requires = "rematch:"+gen, gen
	}
	id, _, err := s.st.EnqueueJob(ctx, jobRematch, string(payload), dedup, requires, s.now())
	return id, err
}

// Rematch re-matches stored releases against the current vulnerability
// index in this process: it queues the job as EnqueueRematch does, runs
// the jobs this replica can claim until that one has ended, and returns
// the number of findings it changed (0 when the delta of this index was
// already done).
func (s *Server) Rematch(ctx context.Context, all bool) (int, error) {
	id, err := s.EnqueueRematch(ctx, all)
	if err != nil || id == "" {
		return 0, err
	}
	before, err := s.st.JobByID(ctx, id)
	if err != nil {
		return 0, err
	}
	if before.State == store.JobDone || before.State == store.JobFailed {
		return 0, nil
	}
	for {
		ran, err := s.runOneJob(ctx)
		if err != nil {
			return 0, err
		}
		j, err := s.st.JobByID(ctx, id)
		if err != nil {
			return 0, err
		}
		switch j.State {
		case store.JobDone:
			var r rematchResult
			json.Unmarshal([]byte(j.Result), &r)
			return r.Changes, nil
		case store.JobFailed:
			return 0, fmt.Errorf("re-match: %s", j.Result)
		}
		if !ran {
			return 0, fmt.Errorf("re-match job %s is held by another replica", id)
		}
	}
}

// rematchResult is a finished re-match job's result.
type rematchResult struct {
	Names   int    `json:"names"`
	Changes int    `json:"changes"`
	Note    string `json:"note,omitempty"`
}

// runRematch does a re-match job, package names in sorted order, committed
// in batches: a batch's new and resolved findings, fingerprints, webhook
// events and the job's checkpoint (its last name) are one transaction, so
// that a replica taking the job over after this one died resumes after the
// last batch committed, and nothing is done twice or lost. When ctx ends it
// returns ctx's error; the names not yet committed are redone by whoever
// resumes the job.
func (s *Server) runRematch(ctx context.Context, j *store.Job) (res rematchResult, done bool, err error) {
	var p rematchPayload
	if err := json.Unmarshal([]byte(j.Payload), &p); err != nil {
		return res, false, fmt.Errorf("payload: %w", err)
	}
	ref, release, _, err := s.vulns.acquire()
	if err != nil {
		return res, false, err
	}
	defer release()
	if ref == nil {
		res.Note = "no vulnerability data"
		return res, true, nil
	}
	if j.Requires != "" && j.Requires != ref.gen {
		// The index changed since the claim: the new index's own job
		// re-matches what changed.
		res.Note = "superseded by index " + ref.gen
		return res, true, nil
	}
	if j.Result != "" {
		json.Unmarshal([]byte(j.Result), &res) // counts of an earlier holder
	}
	names, err := s.st.DistinctNames(ctx)
	if err != nil {
		return res, false, err
	}
	slices.SortFunc(names, func(a, b store.EcoName) int {
		return cmp.Or(cmp.Compare(a.Ecosystem, b.Ecosystem), cmp.Compare(a.Name, b.Name))
	})
	var after store.EcoName
	if j.Progress != "" {
		json.Unmarshal([]byte(j.Progress), &after)
	}
	states, err := s.st.NameStates(ctx)
	if err != nil {
		return res, false, err
	}
	hooks, err := s.st.AllWebhooks(ctx)
	if err != nil {
		return res, false, err
	}
	var rels map[string]store.Release
	if len(hooks) > 0 {
		if rels, err = s.st.ReleaseIndex(ctx); err != nil {
			return res, false, err
		}
	}
	// Names are committed in batches: each batch's new and resolved
	// findings, fingerprints, webhook events and the job's checkpoint (its
	// last name) are one transaction. One transaction per name spent most
	// of a re-match committing (bench/RESULTS.md).
	commit := func(batch []rematchItem) error {
		last := batch[len(batch)-1]
		progress, _ := json.Marshal(last.Name)
		next := res
		next.Names += len(batch)
		updates := make([]store.NameUpdate, len(batch))
		for i, it := range batch {
			updates[i] = it.NameUpdate
		}
		err := s.st.JobTxUnits(ctx, j, last.Now.Add(s.lease), string(progress), len(batch), func(tx *store.Tx) error {
			changes, err := tx.UpdateNames(ctx, updates)
			if err != nil {
				return err
			}
			var deliveries []store.Delivery
			for i, cs := range changes {
				next.Changes += len(cs)
				for _, c := range cs {
					for _, d := range s.events(c, batch[i].releases[c.Finding.ReleaseID], hooks, batch[i].Now) {
						d.Created = batch[i].Now
						deliveries = append(deliveries, d)
					}
				}
			}
			if err := tx.EnqueueDeliveries(ctx, deliveries); err != nil {
				return err
			}
			b, _ := json.Marshal(next)
			return tx.SetJobResult(ctx, j, string(b))
		})
		if err != nil {
			return err
		}
		res = next
		for _, it := range batch {
			s.hook("rematch-name", it.Name.Ecosystem+"/"+it.Name.Name)
		}
		return nil
	}
	// The names whose advisories changed, in order.
	renewed := time.Now()
	var todo []rematchItem
	for _, n := range names {
		if j.Progress != "" && cmp.Or(cmp.Compare(n.Ecosystem, after.Ecosystem), cmp.Compare(n.Name, after.Name)) <= 0 {
			continue
		}
		fp := fingerprint(ref.db, n)
		if !p.All && states[n] == fp {
			if time.Since(renewed) > s.lease/3 {
				if err := s.st.RenewJob(ctx, j, s.now().Add(s.lease)); err != nil {
					return res, false, err
				}
				renewed = time.Now()
			}
			continue
		}
		todo = append(todo, rematchItem{NameUpdate: store.NameUpdate{Name: n, Fingerprint: fp}})
	}
	pctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// Batches are committed by a goroutine of their own while the next
	// is read and matched; after a failed commit the rest are dropped (and
	// redone by whoever resumes the job from its checkpoint).
	commits := make(chan []rematchItem, 1)
	committed := make(chan error, 1)
	go func() {
		var err error
		for batch := range commits {
			if err == nil {
				if err = commit(batch); err != nil {
					cancel()
				}
			}
		}
		committed <- err
	}()
	finish := func(err error) (rematchResult, bool, error) {
		close(commits)
		if cerr := <-committed; cerr != nil {
			err = cerr
		}
		return res, err == nil, err
	}
	// A few workers read and match names ahead of the commits, which stay
	// in name order (the checkpoint is the last name committed): the reads
	// and the matching of one batch overlap the writes of the one before.
	ahead := make(chan chan preparedName, rematchAhead)
	go func() {
		defer close(ahead)
		for _, it := range todo {
			ch := make(chan preparedName, 1)
			select {
			case ahead <- ch:
			case <-pctx.Done():
				return
			}
			go func() {
				err := s.prepareRematch(pctx, ref.db, &it)
				ch <- preparedName{it, err}
			}()
		}
	}()
	var pending []rematchItem
	pendingFound := 0
	for ch := range ahead {
		pn := <-ch
		if err := cmp.Or(ctx.Err(), pn.err); err != nil {
			return finish(err) // the names pending are redone by whoever resumes
		}
		if len(hooks) > 0 {
			// The committer gets the releases its events name.
			pn.it.releases = make(map[string]store.Release, len(pn.it.ReleaseIDs))
			for _, rel := range pn.it.ReleaseIDs {
				r, ok := rels[rel]
				if !ok {
					got, err := s.st.Release(ctx, rel) // stored after the job began
					if err != nil {
						return finish(err)
					}
					r, rels[rel] = *got, *got
				}
				pn.it.releases[rel] = r
			}
		}
		pending = append(pending, pn.it)
		pendingFound += len(pn.it.Found)
		if len(pending) >= s.rematchBatch || pendingFound >= maxBatchFindings {
			commits <- pending
			pending, pendingFound = nil, 0
		}
	}
	if len(pending) > 0 {
		commits <- pending
	}
	return finish(pctx.Err())
}

// prepareRematch reads the components of its name across releases and
// matches them, filling in its releases, findings and time.
func (s *Server) prepareRematch(ctx context.Context, db *vulndb.DB, it *rematchItem) error {
	comps, err := s.st.ComponentsNamed(ctx, it.Name.Ecosystem, it.Name.Name)
	if err != nil {
		return err
	}
	// A name is in many releases at a few versions: each distinct package
	// is matched once and its findings given to every release that has it.
	it.Now = s.now()
	type variant struct {
		found []store.StoredFinding
		rels  []string
	}
	variants := map[string]*variant{}
	var order []string
	seenRel := map[string]bool{}
	for _, c := range comps {
		if !seenRel[c.ReleaseID] {
			seenRel[c.ReleaseID] = true
			it.ReleaseIDs = append(it.ReleaseIDs, c.ReleaseID)
		}
		pk := c.Package
		pk.Locations = nil // where a package was found does not change its findings
		key, err := json.Marshal(pk)
		if err != nil {
			return err
		}
		v, ok := variants[string(key)]
		if !ok {
			doc := &sbom.Document{}
			doc.Add(c.Package)
			mr, err := match.Match(doc, db)
			if err != nil {
				return err
			}
			v = &variant{found: storedFindings(mr, it.Now)}
			variants[string(key)] = v
			order = append(order, string(key))
		}
		v.rels = append(v.rels, c.ReleaseID)
	}
	for _, key := range order {
		v := variants[key]
		for _, rel := range v.rels {
			for _, f := range v.found {
				f.ReleaseID = rel
				it.Found = append(it.Found, f)
			}
		}
	}
	return nil
}

// preparedName is a name read and matched ahead of its commit.
type preparedName struct {
	it  rematchItem
	err error
}

// rematchAhead is how many names are read and matched ahead of the one
// being committed.
const rematchAhead = 4

// rematchItem is one name's re-match, waiting for its batch's commit.
type rematchItem struct {
	store.NameUpdate
	// releases are the ReleaseIDs' releases, for webhook events (only when
	// there are webhooks).
	releases map[string]store.Release
}

// maxBatchFindings bounds the findings of one re-match transaction.
const maxBatchFindings = 20000

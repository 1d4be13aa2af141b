package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Job states.
const (
	JobPending = "pending"
	JobRunning = "running"
	JobDone    = "done"
	JobFailed  = "failed"
)

// ErrLeaseLost reports that a job's lease expired and another replica
// claimed it (or it was finished): the work of the stale holder is not
// committed.
var ErrLeaseLost = errors.New("job lease lost")

// Job is a unit of background work shared by the replicas over one store.
// Owner is the claim's own token: a replica whose lease expired cannot
// commit work in the name of the replica that took the job over.
type Job struct {
	ID, Kind, Payload, State, Owner string
	// Dedup makes the job exist once per key; Requires is what a replica
	// must have to run it ("" anything).
	Dedup, Requires string
	// Progress is the checkpoint of the last committed unit of work;
	// DoneUnits counts them.
	Progress  string
	DoneUnits int
	Result    string
	Attempts  int

	LeaseUntil, Created, Started, Finished time.Time
}

const jobCols = `id, kind, payload, state, lease_owner, dedup, requires, progress, done_units, result, attempts, lease_until, created, started, finished`

func scanJob(sc interface{ Scan(...any) error }) (*Job, error) {
	var j Job
	var lease, created, started, finished int64
	if err := sc.Scan(&j.ID, &j.Kind, &j.Payload, &j.State, &j.Owner, &j.Dedup, &j.Requires, &j.Progress, &j.DoneUnits, &j.Result, &j.Attempts,
		&lease, &created, &started, &finished); err != nil {
		return nil, err
	}
	j.LeaseUntil, j.Created = fromMS(lease), fromMS(created)
	if started > 0 {
		j.Started = fromMS(started)
	}
	if finished > 0 {
		j.Finished = fromMS(finished)
	}
	return &j, nil
}

// EnqueueJob adds a pending job. With a dedup key the job is added once
// per key: created is false and id names the existing job when one was
// already enqueued (by this replica or another).
func (s *Store) EnqueueJob(ctx context.Context, kind, payload, dedup, requires string, now time.Time) (id string, created bool, err error) {
	id = NewID()
	res, err := s.w.ExecContext(ctx, s.q(`INSERT INTO jobs (id, kind, payload, state, lease_owner, lease_until, attempts, created, dedup, requires)
		VALUES (?, ?, ?, 'pending', '', 0, 0, ?, ?, ?) ON CONFLICT DO NOTHING`), id, kind, payload, ms(now), dedup, requires)
	if err != nil {
		return "", false, fmt.Errorf("enqueue %s job: %w", kind, err)
	}
	if n, _ := res.RowsAffected(); n == 1 {
		return id, true, nil
	}
	err = s.db.QueryRowContext(ctx, s.q(`SELECT id FROM jobs WHERE dedup = ?`), dedup).Scan(&id)
	if err != nil {
		return "", false, fmt.Errorf("enqueue %s job: %w", kind, err)
	}
	return id, false, nil
}

// ClaimJob leases to owner, until lease, the oldest job of one of kinds
// that is pending, or running under an expired lease (its replica died or
// stopped answering), and that requires nothing or one of has. It returns
// nil when there is none. On PostgreSQL the row is taken with FOR UPDATE
// SKIP LOCKED, so that replicas claiming at once never get the same job;
// SQLite serialises writers, which gives the same guarantee in one file.
func (s *Store) ClaimJob(ctx context.Context, owner string, kinds, has []string, now, lease time.Time) (*Job, error) {
	if len(kinds) == 0 {
		return nil, nil
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	args := []any{ms(now)}
	q := `SELECT ` + jobCols + ` FROM jobs WHERE (state = 'pending' OR (state = 'running' AND lease_until < ?)) AND kind IN (` + placeholders(len(kinds)) + `) AND requires IN ('', ` + placeholders(max(len(has), 1)) + `) ORDER BY created, id LIMIT 1`
	for _, k := range kinds {
		args = append(args, k)
	}
	if len(has) == 0 {
		args = append(args, "")
	}
	for _, h := range has {
		args = append(args, h)
	}
	if s.dialect == Postgres {
		q += ` FOR UPDATE SKIP LOCKED`
	}
	j, err := scanJob(tx.QueryRowContext(ctx, s.q(q), args...))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("claim job: %w", err)
	}
	j.State, j.Owner, j.LeaseUntil = JobRunning, owner, lease
	j.Attempts++
	if j.Started.IsZero() {
		j.Started = now
	}
	if _, err := tx.ExecContext(ctx, s.q(`UPDATE jobs SET state = 'running', lease_owner = ?, lease_until = ?, attempts = ?, started = ? WHERE id = ?`),
		owner, ms(lease), j.Attempts, ms(j.Started), j.ID); err != nil {
		return nil, fmt.Errorf("claim job: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("claim job: %w", err)
	}
	return j, nil
}

func placeholders(n int) string {
	b := make([]byte, 0, 3*n)
	for i := range n {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = append(b, '?')
	}
	return string(b)
}

// JobTx runs fn in a transaction that also checkpoints the job: it extends
// the lease to until, records progress and one more unit done, and commits
// only when j's claim still holds the lease (else ErrLeaseLost, and
// nothing of fn is kept). The work a unit does and its checkpoint are
// therefore never separated by a crash.
func (s *Store) JobTx(ctx context.Context, j *Job, until time.Time, progress string, fn func(tx *Tx) error) error {
	return s.JobTxUnits(ctx, j, until, progress, 1, fn)
}

// JobTxUnits is JobTx for a transaction that does units units of work.
func (s *Store) JobTxUnits(ctx context.Context, j *Job, until time.Time, progress string, units int, fn func(tx *Tx) error) error {
	conn, tx, err := s.begin(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, s.q(`UPDATE jobs SET lease_until = ?, progress = ?, done_units = done_units + ? WHERE id = ? AND lease_owner = ? AND state = 'running'`),
		ms(until), progress, units, j.ID, j.Owner)
	if err != nil {
		return fmt.Errorf("checkpoint job: %w", err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return ErrLeaseLost
	}
	if fn != nil {
		if err := fn(&Tx{s: s, conn: conn, tx: tx}); err != nil {
			return err
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("checkpoint job: %w", err)
	}
	j.LeaseUntil, j.Progress = until, progress
	j.DoneUnits += units
	return nil
}

// RenewJob extends the lease of a job still held by j's claim.
func (s *Store) RenewJob(ctx context.Context, j *Job, until time.Time) error {
	return s.setJob(ctx, j, `lease_until = ?`, ms(until))
}

// FinishJob records the end of a job held by j's claim: JobDone or
// JobFailed, with a one-line result.
func (s *Store) FinishJob(ctx context.Context, j *Job, state, result string, now time.Time) error {
	return s.setJob(ctx, j, `state = ?, result = ?, finished = ?, lease_owner = ''`, state, result, ms(now))
}

// ReleaseJob gives a job back unfinished (a replica shutting down): it is
// pending again at once, its checkpoint kept.
func (s *Store) ReleaseJob(ctx context.Context, j *Job) error {
	return s.setJob(ctx, j, `state = 'pending', lease_owner = '', lease_until = 0`)
}

func (s *Store) setJob(ctx context.Context, j *Job, set string, args ...any) error {
	args = append(args, j.ID, j.Owner)
	res, err := s.w.ExecContext(ctx, s.q(`UPDATE jobs SET `+set+` WHERE id = ? AND lease_owner = ? AND state = 'running'`), args...)
	if err != nil {
		return fmt.Errorf("job %s: %w", j.ID, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return ErrLeaseLost
	}
	return nil
}

// JobByID returns a job.
func (s *Store) JobByID(ctx context.Context, id string) (*Job, error) {
	j, err := scanJob(s.db.QueryRowContext(ctx, s.q(`SELECT `+jobCols+` FROM jobs WHERE id = ?`), id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	return j, err
}

// Jobs lists the newest n jobs.
func (s *Store) Jobs(ctx context.Context, n int) ([]Job, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT `+jobCols+` FROM jobs ORDER BY created DESC, id LIMIT ?`), n)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Job
	for rows.Next() {
		j, err := scanJob(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *j)
	}
	return out, rows.Err()
}

// Tx is the part of the store a job's unit of work uses inside JobTx.
type Tx struct {
	s    *Store
	conn *sql.Conn // tx's connection
	tx   *sql.Tx
}

// SetJobResult records a job's running result (its counts so far) in the
// job's transaction, so that a replica taking the job over continues them.
func (t *Tx) SetJobResult(ctx context.Context, j *Job, result string) error {
	_, err := t.tx.ExecContext(ctx, t.s.q(`UPDATE jobs SET result = ? WHERE id = ? AND lease_owner = ?`), result, j.ID, j.Owner)
	if err == nil {
		j.Result = result
	}
	return err
}

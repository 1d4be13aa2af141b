-- Version 2: background jobs that several replicas share. A job with a
-- dedup key exists once per key (two replicas noticing the same new
-- vulnerability index enqueue one re-match); progress is the job's
-- checkpoint, written in the same transaction as the work it records, so
-- that a replica that takes over an expired lease resumes after it;
-- requires, when set, is what a replica must have to run the job (the
-- identity of the vulnerability index a re-match is for).
ALTER TABLE jobs ADD COLUMN dedup TEXT NOT NULL DEFAULT '';
ALTER TABLE jobs ADD COLUMN progress TEXT NOT NULL DEFAULT '';
ALTER TABLE jobs ADD COLUMN done_units INTEGER NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN result TEXT NOT NULL DEFAULT '';
ALTER TABLE jobs ADD COLUMN started BIGINT NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN finished BIGINT NOT NULL DEFAULT 0;
CREATE UNIQUE INDEX jobs_dedup ON jobs (dedup) WHERE dedup <> '';
ALTER TABLE jobs ADD COLUMN requires TEXT NOT NULL DEFAULT '';
ALTER TABLE deliveries ADD COLUMN lease_owner TEXT NOT NULL DEFAULT '';
CREATE INDEX findings_name ON findings (ecosystem, match_name);

-- `claim` numbers every claim of a job and never goes back (the ticket a worker's answer must
-- carry; `attempts` is the retry budget, which `--retry-failed` resets). A claim holds a lease
-- the worker renews while it proves; the node sets each job's attempt limit when it queues it.
ALTER TABLE prover_jobs ADD COLUMN claim BIGINT NOT NULL DEFAULT 0;
ALTER TABLE prover_jobs ADD COLUMN lease_until TIMESTAMPTZ;
ALTER TABLE prover_jobs ADD COLUMN max_attempts INTEGER NOT NULL DEFAULT 3 CHECK (max_attempts > 0);
CREATE INDEX prover_jobs_proving ON prover_jobs (batch) WHERE status = 'proving';

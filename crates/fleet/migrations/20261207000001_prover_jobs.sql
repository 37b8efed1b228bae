-- One row per sealed batch to prove. A worker claims the lowest pending row (FOR UPDATE SKIP
-- LOCKED), proves it, and writes the proof back; `attempts` is the claim's ticket, so only the
-- latest claim can complete the job and a proof is never written twice.
CREATE TABLE prover_jobs (
    batch        BIGINT PRIMARY KEY CHECK (batch >= 0),
    circuit      TEXT NOT NULL CHECK (circuit IN ('transfer', 'dex')),
    slots        INTEGER NOT NULL CHECK (slots > 0),
    job          BYTEA NOT NULL,
    status       TEXT NOT NULL DEFAULT 'pending'
                 CHECK (status IN ('pending', 'proving', 'done', 'failed')),
    attempts     INTEGER NOT NULL DEFAULT 0,
    worker       TEXT,
    picked_at    TIMESTAMPTZ,
    finished_at  TIMESTAMPTZ,
    proof        BYTEA,
    error        TEXT,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK ((status = 'done') = (proof IS NOT NULL))
);

CREATE INDEX prover_jobs_pending ON prover_jobs (batch) WHERE status = 'pending';

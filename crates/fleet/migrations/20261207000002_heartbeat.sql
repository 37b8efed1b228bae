-- A worker proving a job beats every few seconds; a claim whose heartbeat stopped (the worker
-- died or hangs) is put back, however long a proof takes.
ALTER TABLE prover_jobs ADD COLUMN heartbeat_at TIMESTAMPTZ;

//! The `prover_jobs` table and every statement on it.

use crate::FleetError;
use sqlx::Row;
use sqlx::postgres::{PgPool, PgPoolOptions};
use std::time::Duration;
use zkr_circuit::CircuitKind;
use zkr_prover::ProvingJob;

/// A job's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobStatus {
    /// Waiting for a worker.
    Pending,
    /// Claimed by a worker.
    Proving,
    /// Proven: the proof is stored.
    Done,
    /// Failed `max_attempts` times; it waits for an operator.
    Failed,
}

impl JobStatus {
    /// The name stored and shown (`zkr_getBatch`).
    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Pending => "pending",
            JobStatus::Proving => "proving",
            JobStatus::Done => "done",
            JobStatus::Failed => "failed",
        }
    }

    fn parse(s: &str) -> Result<Self, FleetError> {
        Ok(match s {
            "pending" => JobStatus::Pending,
            "proving" => JobStatus::Proving,
            "done" => JobStatus::Done,
            "failed" => JobStatus::Failed,
            other => return Err(FleetError::Corrupt(format!("status {other:?}"))),
        })
    }
}

/// A job as the queue holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct JobState {
    /// The batch.
    pub batch: u64,
    /// Its status.
    pub status: JobStatus,
    /// Claims counted against the attempt limit (reset by [`Queue::retry_failed`]).
    pub attempts: u32,
    /// The latest claim's ticket (never reused).
    pub claim: u64,
    /// The worker of the last claim.
    pub worker: Option<String>,
    /// When it was last claimed (unix seconds).
    pub picked_at: Option<f64>,
    /// When it was last finished or given up (unix seconds).
    pub finished_at: Option<f64>,
    /// The last error.
    pub error: Option<String>,
    /// The proof, once done.
    pub proof: Option<Vec<u8>>,
}

/// A job a worker claimed.
#[derive(Debug, Clone)]
pub struct Claimed {
    /// The batch.
    pub batch: u64,
    /// The claim's ticket (it only grows): [`Queue::complete`], [`Queue::fail`] and
    /// [`Queue::heartbeat`] act only for the job's latest claim.
    pub attempt: u64,
    /// What to prove.
    pub job: ProvingJob,
}

/// What [`Queue::enqueue`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Enqueued {
    /// A new job.
    New,
    /// The same job was already queued (a restart enqueues again): nothing changed.
    AlreadyQueued,
}

/// The prover job queue in Postgres.
#[derive(Debug, Clone)]
pub struct Queue {
    pool: PgPool,
    max_attempts: u32,
}

fn circuit_name(kind: CircuitKind) -> &'static str {
    match kind {
        CircuitKind::Transfer => "transfer",
        CircuitKind::Dex => "dex",
    }
}

impl Queue {
    /// Connects to `url` (`postgres://user:password@host:port/db`) and migrates the schema.
    /// A job is given up after `max_attempts` claims that failed or timed out.
    pub async fn connect(url: &str, max_attempts: u32) -> Result<Queue, FleetError> {
        let q = Self::lazy(url, max_attempts)?;
        q.migrate().await?;
        Ok(q)
    }

    /// A queue on `url` that connects on first use (a database that is down does not stop the
    /// caller from starting); call [`Queue::migrate`] before anything else.
    pub fn lazy(url: &str, max_attempts: u32) -> Result<Queue, FleetError> {
        let pool = PgPoolOptions::new()
            .max_connections(4)
            .acquire_timeout(Duration::from_secs(10))
            .connect_lazy(url)?;
        Ok(Queue {
            pool,
            max_attempts: max_attempts.max(1),
        })
    }

    /// Creates or migrates the schema (sqlx migrations, under an advisory lock).
    pub async fn migrate(&self) -> Result<(), FleetError> {
        sqlx::migrate!("./migrations").run(&self.pool).await?;
        Ok(())
    }

    /// Queues `job` for `batch`. Enqueueing the same job again changes nothing; another job for
    /// a queued batch is an error ([`FleetError::Conflict`]).
    pub async fn enqueue(&self, batch: u64, job: &ProvingJob) -> Result<Enqueued, FleetError> {
        let bytes = job.to_bytes();
        let inserted = sqlx::query(
            "INSERT INTO prover_jobs (batch, circuit, slots, job, max_attempts)
             VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (batch) DO NOTHING RETURNING batch",
        )
        .bind(batch as i64)
        .bind(circuit_name(job.kind))
        .bind(job.slots as i32)
        .bind(&bytes)
        .bind(self.max_attempts as i32)
        .fetch_optional(&self.pool)
        .await?;
        if inserted.is_some() {
            return Ok(Enqueued::New);
        }
        let same: bool = sqlx::query_scalar("SELECT job = $2 FROM prover_jobs WHERE batch = $1")
            .bind(batch as i64)
            .bind(&bytes)
            .fetch_one(&self.pool)
            .await?;
        if same {
            Ok(Enqueued::AlreadyQueued)
        } else {
            Err(FleetError::Conflict(batch))
        }
    }

    /// Claims the lowest pending job for `worker`, or `None` when nothing waits. Concurrent
    /// claims never return the same job (`FOR UPDATE SKIP LOCKED`).
    /// Claims the lowest pending job for `worker`, holding it for `lease` (renewed by
    /// [`Queue::heartbeat`]), or `None` when nothing waits. Concurrent claims never return the
    /// same job (`FOR UPDATE SKIP LOCKED`). A job whose bytes do not decode, or do not match
    /// its row's circuit and slots, is failed with the reason and the next one is tried.
    pub async fn claim(
        &self,
        worker: &str,
        lease: Duration,
    ) -> Result<Option<Claimed>, FleetError> {
        loop {
            let row = sqlx::query(
                "UPDATE prover_jobs
                    SET status = 'proving', worker = $1, picked_at = now(), heartbeat_at = now(),
                        lease_until = now() + make_interval(secs => $2),
                        attempts = attempts + 1, claim = claim + 1
                  WHERE batch = (SELECT batch FROM prover_jobs WHERE status = 'pending'
                                  ORDER BY batch FOR UPDATE SKIP LOCKED LIMIT 1)
                    AND status = 'pending'
                 RETURNING batch, claim, circuit, slots, job",
            )
            .bind(worker)
            .bind(lease.as_secs_f64())
            .fetch_optional(&self.pool)
            .await?;
            let Some(row) = row else { return Ok(None) };
            let batch: i64 = row.try_get("batch")?;
            let claim: i64 = row.try_get("claim")?;
            let circuit: String = row.try_get("circuit")?;
            let slots: i32 = row.try_get("slots")?;
            let bytes: Vec<u8> = row.try_get("job")?;
            let decoded = ProvingJob::from_bytes(&bytes).and_then(|job| {
                if circuit_name(job.kind) != circuit || job.slots as i64 != i64::from(slots) {
                    return Err(zkr_prover::ProverError::State(format!(
                        "proving job: a {}-slot {} job in a row of a {slots}-slot {circuit} one",
                        job.slots,
                        circuit_name(job.kind)
                    )));
                }
                Ok(job)
            });
            match decoded {
                Ok(job) => {
                    return Ok(Some(Claimed {
                        batch: batch as u64,
                        attempt: claim as u64,
                        job,
                    }));
                }
                Err(e) => {
                    // bytes that do not decode never will: failed at once, and on to the next
                    tracing::error!(target: "zkr::fleet", batch, error = %e, "a job that does not decode: failed");
                    sqlx::query(
                        "UPDATE prover_jobs SET status = 'failed', error = left($3, 2000),
                                finished_at = now(), lease_until = NULL
                          WHERE batch = $1 AND claim = $2 AND status = 'proving'",
                    )
                    .bind(batch)
                    .bind(claim)
                    .bind(e.to_string())
                    .execute(&self.pool)
                    .await?;
                }
            }
        }
    }

    /// Stores the proof of the claim `(batch, attempt)`. `false` if that claim is no longer the
    /// job's (it timed out and was claimed again, or was completed): nothing is written.
    pub async fn complete(
        &self,
        batch: u64,
        attempt: u64,
        proof: &[u8],
    ) -> Result<bool, FleetError> {
        let done = sqlx::query(
            "UPDATE prover_jobs SET status = 'done', proof = $3, finished_at = now(), error = NULL
              WHERE batch = $1 AND claim = $2 AND status = 'proving'",
        )
        .bind(batch as i64)
        .bind(attempt as i64)
        .bind(proof)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Records that the claim `(batch, attempt)` failed with `error`: the job is pending again,
    /// or `failed` after `max_attempts` claims. `false` if that claim is no longer the job's.
    pub async fn fail(&self, batch: u64, attempt: u64, error: &str) -> Result<bool, FleetError> {
        let r = sqlx::query(
            "UPDATE prover_jobs
                SET status = CASE WHEN attempts >= max_attempts THEN 'failed' ELSE 'pending' END,
                    error = left($3, 2000), finished_at = now(), lease_until = NULL
              WHERE batch = $1 AND claim = $2 AND status = 'proving'",
        )
        .bind(batch as i64)
        .bind(attempt as i64)
        .bind(error)
        .execute(&self.pool)
        .await?;
        Ok(r.rows_affected() == 1)
    }

    /// The claim `(batch, attempt)` is alive: its worker is still proving. `false` if that
    /// claim is no longer the job's.
    pub async fn heartbeat(
        &self,
        batch: u64,
        attempt: u64,
        lease: Duration,
    ) -> Result<bool, FleetError> {
        let r = sqlx::query(
            "UPDATE prover_jobs
                SET heartbeat_at = now(), lease_until = now() + make_interval(secs => $3)
              WHERE batch = $1 AND claim = $2 AND status = 'proving'",
        )
        .bind(batch as i64)
        .bind(attempt as i64)
        .bind(lease.as_secs_f64())
        .execute(&self.pool)
        .await?;
        Ok(r.rows_affected() == 1)
    }

    /// Puts back claimed jobs whose lease ran out (their worker stopped renewing it: it died,
    /// hangs or lost the database): pending again, or `failed` after the job's attempt limit.
    /// Each claim's lease is its own worker's, so workers with other timeouts never take a
    /// healthy claim. Returns their batches.
    pub async fn requeue_stuck(&self) -> Result<Vec<u64>, FleetError> {
        let rows: Vec<i64> = sqlx::query_scalar(
            "UPDATE prover_jobs
                SET status = CASE WHEN attempts >= max_attempts THEN 'failed' ELSE 'pending' END,
                    error = 'worker ' || coalesce(worker, '?') || ' went silent (its lease ran out)',
                    finished_at = now(), lease_until = NULL
              WHERE status = 'proving' AND lease_until < now()
             RETURNING batch",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(|b| b as u64).collect())
    }

    /// Refuses the proof of a done job (it did not verify for the node): the job goes back to
    /// pending, or `failed` after its attempt limit, with `why`. `false` if the job is not done
    /// with that claim.
    pub async fn reject(&self, batch: u64, claim: u64, why: &str) -> Result<bool, FleetError> {
        let r = sqlx::query(
            "UPDATE prover_jobs
                SET status = CASE WHEN attempts >= max_attempts THEN 'failed' ELSE 'pending' END,
                    proof = NULL, error = left($3, 2000), finished_at = now()
              WHERE batch = $1 AND claim = $2 AND status = 'done'",
        )
        .bind(batch as i64)
        .bind(claim as i64)
        .bind(why)
        .execute(&self.pool)
        .await?;
        Ok(r.rows_affected() == 1)
    }

    /// A failed job back to pending with a fresh attempt budget (an operator fixed the cause).
    pub async fn retry_failed(&self, batch: u64) -> Result<bool, FleetError> {
        let r = sqlx::query(
            "UPDATE prover_jobs SET status = 'pending', attempts = 0
              WHERE batch = $1 AND status = 'failed'",
        )
        .bind(batch as i64)
        .execute(&self.pool)
        .await?;
        Ok(r.rows_affected() == 1)
    }

    /// The job of `batch`, if queued.
    pub async fn state(&self, batch: u64) -> Result<Option<JobState>, FleetError> {
        let row = sqlx::query(
            "SELECT batch, status, attempts, claim, worker, error, proof,
                    extract(epoch FROM picked_at)::float8 AS picked_at,
                    extract(epoch FROM finished_at)::float8 AS finished_at
               FROM prover_jobs WHERE batch = $1",
        )
        .bind(batch as i64)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let status: String = row.try_get("status")?;
        let attempts: i32 = row.try_get("attempts")?;
        let claim: i64 = row.try_get("claim")?;
        Ok(Some(JobState {
            batch,
            status: JobStatus::parse(&status)?,
            attempts: attempts as u32,
            claim: claim as u64,
            worker: row.try_get("worker")?,
            picked_at: row.try_get("picked_at")?,
            finished_at: row.try_get("finished_at")?,
            error: row.try_get("error")?,
            proof: row.try_get("proof")?,
        }))
    }

    /// The job queued for `batch`.
    pub async fn job(&self, batch: u64) -> Result<Option<ProvingJob>, FleetError> {
        let bytes: Option<Vec<u8>> =
            sqlx::query_scalar("SELECT job FROM prover_jobs WHERE batch = $1")
                .bind(batch as i64)
                .fetch_optional(&self.pool)
                .await?;
        Ok(bytes.map(|b| ProvingJob::from_bytes(&b)).transpose()?)
    }

    /// Jobs by status: `(pending, proving, done, failed)`.
    pub async fn counts(&self) -> Result<(u64, u64, u64, u64), FleetError> {
        let rows: Vec<(String, i64)> =
            sqlx::query_as("SELECT status, count(*) FROM prover_jobs GROUP BY status")
                .fetch_all(&self.pool)
                .await?;
        let get = |s: &str| {
            rows.iter()
                .find(|(k, _)| k == s)
                .map(|(_, n)| *n as u64)
                .unwrap_or(0)
        };
        Ok((get("pending"), get("proving"), get("done"), get("failed")))
    }
}

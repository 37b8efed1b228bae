//! The zkr prover fleet: proving on many machines through a Postgres job queue, the way
//! zkSync's provers do.
//!
//! - [`Queue`]: the `prover_jobs` table (migrated with sqlx at connect). The node enqueues one job
//!   per sealed batch (a [`zkr_prover::ProvingJob`]: what a prover needs without the node's
//!   storage), idempotently; a worker claims the lowest pending job with `FOR UPDATE SKIP LOCKED`,
//!   so two workers never take the same one, and the claim's attempt number is its ticket: only
//!   the latest claim can write the proof, and a proof is written once. Jobs whose worker went
//!   silent past a timeout go back to pending; a job that failed `max_attempts` times is `failed`
//!   and reported (`zkr_getBatch`).
//! - [`worker`]: `zkr prover --queue ...`: claim, prove with the keys of the job's shape, write
//!   the proof or the error back.
//! - [`testing`]: a throwaway Postgres cluster (`initdb` + `pg_ctl` in a temp dir) for tests.
//!
//! The node takes proofs back in batch order and verifies each against the job's commitment
//! before keeping it; L1 verifies it again.

mod error;
mod queue;
pub mod testing;
pub mod worker;

pub use error::FleetError;
pub use queue::{Claimed, Enqueued, JobState, JobStatus, Queue};

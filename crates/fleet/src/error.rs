//! Errors of the prover fleet.

/// What can go wrong with the queue or a worker.
#[derive(Debug, thiserror::Error)]
pub enum FleetError {
    /// The database refused or could not be reached.
    #[error("prover queue: {0}")]
    Db(#[from] sqlx::Error),
    /// The schema could not be migrated.
    #[error("prover queue migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// Proving, keys or a job's encoding.
    #[error(transparent)]
    Prover(#[from] zkr_prover::ProverError),
    /// A batch was enqueued again with a different job.
    #[error("batch {0} is already queued with a different job")]
    Conflict(u64),
    /// A stored row is not what the schema promises.
    #[error("prover queue: corrupt row: {0}")]
    Corrupt(String),
    /// A throwaway cluster could not start.
    #[error("postgres: {0}")]
    Postgres(String),
}

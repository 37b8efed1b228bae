//! The pipeline stages after the sequencer, each a task with a stop signal that hands work on
//! through storage: the [`prover`] (sealed batch -> proof), the L1 [`watcher`] (rollup events ->
//! priority operations and tokens) and the L1 [`sender`] (commit, prove, execute).

pub mod prover;
pub mod sender;
pub mod watcher;

use crate::Sequencer;
use std::sync::{Arc, Mutex, MutexGuard};
use zkr_state::storage::Storage;

/// The sequencer as the RPC handlers and the stages share it.
pub type Shared<S> = Arc<Mutex<Sequencer<S>>>;

/// Locks the prover fleet's job states (a map: a panicked holder leaves it whole).
pub fn lock_jobs(
    j: &prover::ProverJobs,
) -> MutexGuard<'_, std::collections::BTreeMap<u64, serde_json::Value>> {
    j.lock().unwrap_or_else(|e| e.into_inner())
}

/// Locks the shared sequencer (a panicked holder does not poison the node: the sequencer's
/// own invariants are kept by storage, not by the lock).
pub fn lock<S: Storage>(s: &Shared<S>) -> MutexGuard<'_, Sequencer<S>> {
    s.lock().unwrap_or_else(|e| e.into_inner())
}

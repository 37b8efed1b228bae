//! What can stop a rebuild or an exit proof.

use thiserror::Error;

/// Errors of `zkr rebuild` and of exit proofs.
#[derive(Debug, Error)]
pub enum RebuildError {
    /// Talking to L1 failed.
    #[error(transparent)]
    L1(#[from] zkr_l1::L1Error),
    /// The node's records or storage failed.
    #[error(transparent)]
    Node(#[from] zkr_node::NodeError),
    /// The state failed.
    #[error(transparent)]
    State(#[from] zkr_state::StateError),
    /// The data dir's storage failed.
    #[error(transparent)]
    Storage(#[from] zkr_state::storage::StorageError),
    /// A file operation failed.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// The error.
        source: std::io::Error,
    },
    /// L1 and the data dir (or L1's own records) disagree.
    #[error("{0}")]
    Inconsistent(String),
}

use thiserror::Error;

/// Errors talking to L1.
#[derive(Debug, Error)]
pub enum L1Error {
    /// A contract artifact is missing or unreadable.
    #[error("contract artifact {path}: {reason} (run `scripts/forge build`)")]
    Artifact {
        /// The file.
        path: String,
        /// What was wrong.
        reason: String,
    },
    /// The RPC or a transaction failed.
    #[error("L1: {0}")]
    Rpc(String),
    /// A transaction reverts (or would revert).
    #[error("L1 transaction reverts: {0}")]
    Reverted(String),
}

impl L1Error {
    /// An RPC failure.
    pub fn rpc(e: impl std::fmt::Display) -> Self {
        L1Error::Rpc(e.to_string())
    }
}

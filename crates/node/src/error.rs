//! Node errors and their stable JSON-RPC error codes.

use jsonrpsee::types::ErrorObjectOwned;
use thiserror::Error;
use zkr_state::StateError;

/// Stable JSON-RPC error codes of the zkr API (documented in `docs/operations.md`).
pub mod codes {
    /// Malformed request or parameters (JSON-RPC standard).
    pub const INVALID_PARAMS: i32 = -32602;
    /// The L2 signature does not verify, or is by another key.
    pub const INVALID_SIGNATURE: i32 = 1001;
    /// The nonce was already used.
    pub const STALE_NONCE: i32 = 1002;
    /// The nonce is ahead of the account's.
    pub const FUTURE_NONCE: i32 = 1003;
    /// Balance below amount + fee.
    pub const INSUFFICIENT_BALANCE: i32 = 1004;
    /// No such account.
    pub const UNKNOWN_ACCOUNT: i32 = 1005;
    /// No such token.
    pub const UNKNOWN_TOKEN: i32 = 1006;
    /// A balance would overflow.
    pub const OVERFLOW: i32 = 1007;
    /// An amount or fee that cannot be packed, an id out of range.
    pub const INVALID_VALUE: i32 = 1008;
    /// The account has no L2 key yet.
    pub const NO_KEY: i32 = 1009;
    /// The owner's Ethereum signature does not authorize the key change.
    pub const INVALID_ETH_SIGNATURE: i32 = 1010;
    /// The open batch cannot take another fee token now: retry shortly.
    pub const TRY_LATER: i32 = 1011;
    /// Funds sent to the zero address.
    pub const ZERO_ADDRESS: i32 = 1012;
    /// The account belongs to another address.
    pub const OWNER_MISMATCH: i32 = 1013;
    /// The fee is below the node's quote (`zkr_getFeeQuote`).
    pub const FEE_TOO_LOW: i32 = 1014;
    /// Too many sealed batches wait for a proof: the node takes no L2 transactions until the
    /// prover catches up. Retry later.
    pub const BUSY: i32 = 1015;
    /// The sending account is over its rate (`--sender-rate-limit`). Retry later.
    pub const RATE_LIMITED: i32 = 1016;
    /// No pool of the pair.
    pub const NO_SUCH_POOL: i32 = 1017;
    /// The pair already has a pool.
    pub const POOL_EXISTS: i32 = 1018;
    /// The pool gives less than the signed minimum (output, shares, or a side of a removal).
    pub const SLIPPAGE: i32 = 1019;
    /// The pool arithmetic has no valid result: an empty pool, an amount too small to buy
    /// anything, a reserve above 2^112 - 1, a first liquidity below the minimum.
    pub const POOL_ARITHMETIC: i32 = 1020;
    /// Every pool id is taken.
    pub const POOLS_FULL: i32 = 1021;
    /// This node does not take this transaction type (yet).
    pub const UNSUPPORTED: i32 = 1022;
    /// Exodus mode is active on L1: nothing is accepted any more.
    pub const EXODUS: i32 = 1023;
    /// The node failed internally; the transaction was not accepted.
    pub const INTERNAL: i32 = -32603;
}

/// Errors of the node.
#[derive(Debug, Error)]
pub enum NodeError {
    /// The operation was rejected by the protocol rules.
    #[error(transparent)]
    Rejected(#[from] StateError),
    /// The storage failed.
    #[error("storage: {0}")]
    Storage(#[from] zkr_state::storage::StorageError),
    /// Records could not be encoded or decoded.
    #[error("record encoding: {0}")]
    Encoding(String),
    /// Starting the RPC server failed.
    #[error("rpc server: {0}")]
    Rpc(String),
    /// The fee is below the quote.
    #[error("fee {got} is below the required {required} (see zkr_getFeeQuote)")]
    FeeTooLow {
        /// The smallest accepted fee.
        required: u128,
        /// The transaction's.
        got: u128,
    },
    /// Backpressure: too many sealed batches wait for a proof.
    #[error(
        "the node is busy: {unproven} sealed batches wait for a proof (limit {limit}); retry later"
    )]
    Busy {
        /// Sealed batches without a proof.
        unproven: u64,
        /// The node's bound.
        limit: u64,
    },
    /// One account sends faster than the node takes.
    #[error("account {account} sends more than {per_second} transactions per second; retry later")]
    RateLimited {
        /// The sending account.
        account: u32,
        /// Its allowed rate.
        per_second: u32,
    },
    /// Exodus mode is active on L1: the rollup takes nothing more.
    #[error(
        "the rollup is in exodus mode on L1: it takes no more transactions; owners exit with \
         `zkr wallet exit`"
    )]
    Exodus,
    /// A transaction type the node does not take yet.
    #[error("{0} transactions are not supported by this node (it runs without the DEX circuit)")]
    Unsupported(&'static str),
    /// A priority operation out of L1 queue order.
    #[error("priority operation {got} out of order: expected {expected}")]
    PriorityOrder {
        /// The next index.
        expected: u64,
        /// The one given.
        got: u64,
    },
    /// A token registration out of order.
    #[error("token {got} registered out of order: expected {expected}")]
    TokenOrder {
        /// The next id.
        expected: u16,
        /// The one given.
        got: u16,
    },
    /// Re-running a batch gave another root than the sequencer's: a bug, the prover stops.
    #[error("batch {batch} re-run gives root {got}, the sequencer sealed {expected}")]
    Diverged {
        /// The batch.
        batch: u64,
        /// The sequencer's root.
        expected: String,
        /// The re-run's root.
        got: String,
    },
    /// A storage write failed after an operation was applied; the node must restart.
    #[error("a storage write failed; the node refuses work until it is restarted")]
    Poisoned,
    /// Talking to L1 failed.
    #[error(transparent)]
    L1(#[from] zkr_l1::L1Error),
    /// Proving failed.
    #[error("prover: {0}")]
    Prover(#[from] zkr_prover::ProverError),
    /// The prover fleet's queue (`--prover-queue`).
    #[error(transparent)]
    Fleet(#[from] zkr_fleet::FleetError),
}

impl NodeError {
    /// The JSON-RPC error object for this error.
    pub fn to_rpc(&self) -> ErrorObjectOwned {
        use codes::*;
        let code = match self {
            NodeError::Rejected(e) => match e {
                StateError::InvalidSignature(_) | StateError::WrongSigner(_) => INVALID_SIGNATURE,
                StateError::StaleNonce { .. } | StateError::NonceExhausted(_) => STALE_NONCE,
                StateError::FutureNonce { .. } => FUTURE_NONCE,
                StateError::InsufficientBalance { .. } => INSUFFICIENT_BALANCE,
                StateError::UnknownAccount(_) => UNKNOWN_ACCOUNT,
                StateError::OwnerMismatch(_) => OWNER_MISMATCH,
                StateError::UnknownToken(_) => UNKNOWN_TOKEN,
                StateError::Overflow => OVERFLOW,
                StateError::Types(_) | StateError::ZeroAmount => INVALID_VALUE,
                StateError::PubKeyNotSet(_) => NO_KEY,
                StateError::InvalidEthSignature(_) => INVALID_ETH_SIGNATURE,
                StateError::TooManyFeeTokens
                | StateError::TreeFull
                | StateError::FeeAccountLocked => TRY_LATER,
                StateError::ZeroAddress => ZERO_ADDRESS,
                StateError::NoSuchPool(..) => NO_SUCH_POOL,
                StateError::PoolExists(..) => POOL_EXISTS,
                StateError::Slippage { .. } => SLIPPAGE,
                StateError::Amm(_) => POOL_ARITHMETIC,
                StateError::PoolsFull => POOLS_FULL,
                StateError::NotAnL1Token(_) => INVALID_VALUE,
                StateError::Storage(_) => INTERNAL,
            },
            NodeError::FeeTooLow { .. } => FEE_TOO_LOW,
            NodeError::Busy { .. } => BUSY,
            NodeError::RateLimited { .. } => RATE_LIMITED,
            NodeError::Unsupported(_) => UNSUPPORTED,
            NodeError::Exodus => EXODUS,
            NodeError::Storage(_)
            | NodeError::Encoding(_)
            | NodeError::Rpc(_)
            | NodeError::PriorityOrder { .. }
            | NodeError::TokenOrder { .. }
            | NodeError::Poisoned
            | NodeError::Diverged { .. }
            | NodeError::L1(_)
            | NodeError::Prover(_)
            | NodeError::Fleet(_) => INTERNAL,
        };
        ErrorObjectOwned::owned(code, self.to_string(), None::<()>)
    }
}

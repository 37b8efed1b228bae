//! The zkr account state and its native state transition.
//!
//! This crate owns:
//! - [`account`]: the account record, its balance tree and its leaf hash (`docs/protocol.md` §3);
//! - [`tree`]: the 4-ary Poseidon sparse Merkle account tree, which hashes each dirty node once
//!   per flush (once per block, or once per operation when witnesses are wanted);
//! - [`storage`]: the storage trait with a persistent [`storage::RedbStorage`] and an in-memory
//!   [`storage::MemoryStorage`]; a block's changes are committed atomically;
//! - [`State`]: `apply` validates one operation against the rules of §4 and either applies it,
//!   returning its pubdata and witness, or rejects it with a typed [`StateError`] and changes
//!   nothing.
//!
//! It never talks to L1 or the network; the node feeds it operations.

pub mod account;
mod error;
mod fees;
pub mod fixtures;
mod request;
mod state;
pub mod storage;
pub mod tree;
pub mod witness;

pub use error::StateError;
pub use request::{DepositRequest, FullExitRequest, OpRequest};
pub use state::{
    Applied, BalanceProof, BatchSealed, BlockSealed, ChainConfig, PendingCheck, Pool, Prechecked,
    State,
};

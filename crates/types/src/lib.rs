//! Protocol types of zkr, as `docs/protocol.md` defines them.
//!
//! This crate owns the vocabulary every component shares: identifiers and amounts as newtypes
//! ([`ids`]), protocol parameters ([`params`]), packed amounts ([`float`]), signed L2
//! transactions and their messages ([`tx`]), operations and their exact pubdata bytes ([`op`]),
//! and the batch commitment ([`commitment`]). It holds no state and does no I/O.

pub mod amm;
pub mod commitment;
pub mod dex;
mod error;
pub mod float;
pub mod ids;
pub mod op;
pub mod params;
mod serde_fr;
pub mod tx;

pub use alloy_primitives::Address;
pub use error::TypesError;
pub use ids::{AccountId, Amount, BatchNumber, ChainId, L2BlockNumber, Nonce, TokenId};
pub use zkr_crypto::Fr;

//! zkr on L1.
//!
//! This crate owns how the Rust side meets the contracts of `contracts/`: their alloy
//! [`bindings`] (declared with `sol!`, never hand-built calldata) and their [`deploy`]ment from
//! the forge artifacts. The node's L1 watcher and sender build on it.

pub mod anvil;
pub mod bindings;
pub mod deploy;
mod error;
pub mod events;
pub mod history;
pub mod sender;

pub use error::L1Error;

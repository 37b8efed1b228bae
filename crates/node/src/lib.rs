//! The zkr node.
//!
//! This crate owns the running parts around the state: the [`sequencer::Sequencer`] (accepts
//! L2 transactions and priority operations into the open L2 block, seals blocks, keeps
//! transaction and block records next to the state so they commit atomically with their block,
//! and replays the accepted-but-unsealed mempool after a restart), the JSON-RPC API
//! ([`rpc`], which admits transactions through [`admission`]: signature checks off the
//! sequencer's lock), the single durable [`writer`] (group commit of mempool entries and sealed
//! blocks, off the sequencer's lock), and [`node::Node`], which runs the
//! block producer and the RPC server as tasks with a stop signal, together with the
//! [`pipeline`] stages: the prover, the L1 watcher and the L1 sender. Stages hand work on
//! through storage, so a crash at any point resumes cleanly.

pub mod admission;
pub mod error;
pub mod fees;
pub mod history;
pub mod limits;
pub mod metrics;
pub mod node;
pub mod pipeline;
pub mod records;
pub mod rpc;
pub mod sequencer;
pub mod writer;

pub use error::NodeError;
pub use node::{Failure, Fatal, L1Config, Node, NodeConfig, ProverQueueConfig};
pub use sequencer::{Sequencer, SequencerConfig};

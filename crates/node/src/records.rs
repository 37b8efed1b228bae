//! What the node records about transactions and blocks (JSON in side tables of the state DB).

use alloy_primitives::B256;
use serde::{Deserialize, Serialize};
use zkr_state::OpRequest;
use zkr_types::tx::L2Tx;

/// Side table: transaction hash -> [`TxRecord`].
pub const TXS: &str = "node_txs";
/// Side table: block number (8 bytes BE) -> [`BlockRecord`].
pub const BLOCKS: &str = "node_blocks";
/// Side table: sequence number (8 bytes BE) -> [`MempoolEntry`] accepted into the open block.
pub const MEMPOOL: &str = "node_mempool";

/// Where a transaction is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TxStatus {
    /// Accepted into the open L2 block.
    Pending,
    /// In a sealed L2 block (soft confirmation).
    Included,
    /// Its batch is committed on L1.
    Committed,
    /// Its batch is proven on L1.
    Proven,
    /// Its batch is executed on L1 (final).
    Executed,
    /// Refused.
    Rejected,
}

/// A transaction and where it is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TxRecord {
    /// Its hash.
    pub hash: B256,
    /// The transaction.
    pub tx: L2Tx,
    /// Status.
    pub status: TxStatus,
    /// L2 block, once included.
    pub block: Option<u64>,
    /// Batch, once committed.
    pub batch: Option<u64>,
    /// Why it was rejected.
    pub error: Option<String>,
}

/// A sealed L2 block.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BlockRecord {
    /// Number.
    pub number: u64,
    /// State root after it (decimal).
    pub root: String,
    /// Unix time of sealing, seconds.
    pub timestamp: u64,
    /// Its L2 transactions, in order.
    pub txs: Vec<B256>,
    /// Priority operations it processed.
    pub priority_ops: u32,
}

/// An operation accepted into the open block, replayed after a restart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MempoolEntry {
    /// The operation.
    pub request: OpRequest,
    /// The transaction hash, for L2 transactions.
    pub hash: Option<B256>,
}

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
    /// Unix time (seconds) the node accepted (or refused) it; records from before this field
    /// have none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub received_at: Option<u64>,
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
    /// Unix time in ms when its record was made, just before its storage write (absent in
    /// blocks of older nodes and imported ones): what `zkr bench load` measures inclusion by.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sealed_at_ms: Option<u64>,
}

/// An operation accepted into the open block, replayed after a restart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MempoolEntry {
    /// The operation.
    pub request: OpRequest,
    /// The transaction hash: of the L2 transaction, or of the L1 transaction that requested a
    /// priority operation.
    pub hash: Option<B256>,
    /// The priority queue index, for priority operations.
    #[serde(default)]
    pub priority_index: Option<u64>,
    /// Unix time (seconds) the sequencer accepted it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub received_at: Option<u64>,
}

/// Side table: block number (8 bytes BE) -> [`BlockOps`]: what the block applied, in order.
pub const BLOCK_OPS: &str = "node_block_ops";
/// Side table: batch number (8 bytes BE) -> [`BatchRecord`].
pub const BATCHES: &str = "node_batches";
/// Side table: small named values of the sequencer ([`OPEN_BATCH`], [`PRIORITY_NEXT`]).
pub const META: &str = "node_meta";
/// Side table: token id (2 bytes BE) -> [`TokenInfo`].
pub const TOKENS: &str = "node_tokens";
/// [`META`] key of the [`OpenBatch`].
pub const OPEN_BATCH: &[u8] = b"open_batch";
/// [`META`] key of the next L1 priority index to take (8 bytes BE).
pub const PRIORITY_NEXT: &[u8] = b"priority_next";
/// [`META`] key of the L1 watcher's [`WatcherCursor`].
pub const WATCHER_CURSOR: &[u8] = b"watcher_cursor";
/// Side table: priority index (8 bytes BE) -> [`L1Origin`] of each priority operation the
/// sequencer took from L1, written with its mempool entry.
pub const L1_TAKEN: &str = "node_l1_taken";

/// Where the L1 watcher is: every rollup event in blocks below `next` has been taken, and
/// block `next - 1` had hash `hash` when it was read (a different hash there later means L1
/// reorganised below the confirmed depth).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WatcherCursor {
    /// The first L1 block not read yet.
    pub next: u64,
    /// Hash of block `next - 1` as it was read.
    pub hash: B256,
}

/// Where on L1 a priority operation the sequencer took came from, to check later that L1
/// still has it (a reorg or an L1 that lost blocks may not).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct L1Origin {
    /// The L1 block that requested it.
    pub block: u64,
    /// That block's hash.
    pub block_hash: B256,
    /// The L1 transaction.
    pub tx: B256,
    /// The hash the contract keeps in `priorityOps(index)` for it.
    pub op_hash: B256,
}

/// One applied operation as a block keeps it: the request and its exact pubdata.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AppliedOp {
    /// The request as the sequencer took it; `None` for an L2 transaction of a batch rebuilt
    /// from L1 (`zkr rebuild`), whose pubdata carries no signature.
    pub request: Option<OpRequest>,
    /// Its pubdata (hex).
    #[serde(with = "hex_bytes")]
    pub pubdata: Vec<u8>,
    /// The L2 transaction's hash, or the L1 transaction's that requested it (blocks from
    /// before this field have none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hash: Option<B256>,
}

/// The operations of one sealed block.
pub type BlockOps = Vec<AppliedOp>;

/// The batch being filled.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OpenBatch {
    /// Its first L2 block.
    pub first_block: u64,
    /// Operations in its sealed blocks.
    pub ops: usize,
    /// Unix time (ms) of its first operation; 0 while empty.
    pub started_ms: u64,
    /// What its sealed blocks' operations pay the operator, wei (L2 fees, every token 1:1, and
    /// the L1 priority fee of each deposit and full exit).
    #[serde(default)]
    pub revenue_wei: u128,
}

/// Where a batch is on L1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BatchStatus {
    /// Sealed by the node, not yet on L1.
    Sealed,
    /// `commitBatch` mined.
    Committed,
    /// `proveBatch` mined.
    Proven,
    /// `executeBatch` mined: final.
    Executed,
}

/// A sealed batch and its way to L1.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchRecord {
    /// Number (the first batch is 1).
    pub number: u64,
    /// First and last L2 block.
    pub first_block: u64,
    /// Last L2 block (it also credits the fees).
    pub last_block: u64,
    /// Operations (slots used).
    pub ops: usize,
    /// State root after the batch (decimal).
    pub root: String,
    /// Fee account.
    pub fee_account: u32,
    /// Tokens registered when it was sealed.
    pub num_tokens: u16,
    /// Unix time of sealing, seconds.
    pub sealed_at: u64,
    /// Status on L1.
    pub status: BatchStatus,
    /// L1 transaction of `commitBatch`.
    pub commit_tx: Option<B256>,
    /// L1 transaction of `proveBatch`.
    pub prove_tx: Option<B256>,
    /// L1 transaction of `executeBatch`.
    pub execute_tx: Option<B256>,
    /// When each step was mined and what it cost (records from before these have none).
    #[serde(default)]
    pub l1: L1Steps,
}

/// A batch's L1 transactions: when the node saw each mined, and its gas.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct L1Steps {
    /// `commitBatch`.
    pub commit: Option<L1Step>,
    /// `proveBatch` or `proveDexBatch`.
    pub prove: Option<L1Step>,
    /// `executeBatch`.
    pub execute: Option<L1Step>,
}

/// One mined L1 transaction of a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct L1Step {
    /// Its hash.
    pub tx: B256,
    /// Gas it used.
    pub gas: u64,
    /// Unix time (seconds) the node saw its receipt.
    pub at: u64,
}

/// A registered token as the node knows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenInfo {
    /// L2 token id.
    pub id: u16,
    /// L1 address (zero for ETH).
    pub address: alloy_primitives::Address,
    /// Symbol.
    pub symbol: String,
    /// Decimals.
    pub decimals: u8,
}

mod hex_bytes {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(b: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format!("0x{}", hex::encode(b)))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let s = String::deserialize(d)?;
        hex::decode(s.trim_start_matches("0x")).map_err(serde::de::Error::custom)
    }
}

/// Side table: L1 transaction hash -> [`PriorityRecord`] of the first priority operation it
/// requested.
pub const PRIORITY: &str = "node_priority";

/// An L1 priority operation (deposit, full exit) and where it is: stored when its block is
/// sealed (status `included`), answered by `zkr_getTx` for its L1 transaction hash with the
/// status of its batch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PriorityRecord {
    /// The L1 transaction that requested it.
    pub hash: B256,
    /// Its index in the contract's priority queue.
    pub priority_index: u64,
    /// The operation.
    pub op: OpRequest,
    /// `pending`, `included`, `committed`, `proven` or `executed`.
    pub status: TxStatus,
    /// L2 block, once included.
    pub block: Option<u64>,
    /// Batch, once included.
    pub batch: Option<u64>,
    /// Unix time (seconds) the sequencer took it from L1; records from before this field have
    /// none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub received_at: Option<u64>,
}

/// Side table: batch number (8 bytes BE) -> [`ProofRecord`].
pub const PROOFS: &str = "node_proofs";

/// Side table: batch number (8 bytes BE) -> [`QueuedJobRecord`], for batches handed to a prover
/// fleet: what the node itself computed, so a proof from the fleet is checked against the node's
/// numbers, never against what the queue's database says.
pub const QUEUED_JOBS: &str = "node_queued_jobs";

/// A batch queued for a prover fleet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QueuedJobRecord {
    /// The commitment the proof must prove (decimal).
    pub commitment: String,
    /// Whether the DEX circuit proves it.
    pub dex: bool,
}

/// A batch proof as `proveBatch` takes it (32-byte words, hex) and the commitment it proves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProofRecord {
    /// The public input (decimal).
    pub commitment: String,
    /// `a`.
    pub a: [B256; 2],
    /// `b`.
    pub b: [[B256; 2]; 2],
    /// `c`.
    pub c: [B256; 2],
    /// Made by the DEX circuit (proven on L1 with `proveDexBatch`); records from before the
    /// DEX circuit have none and are the transfer circuit's.
    #[serde(default)]
    pub dex: bool,
}

impl ProofRecord {
    /// The record of a proof.
    pub fn new(p: &zkr_prover::BatchProof) -> ProofRecord {
        let (a, b, c) = p.solidity_words();
        let w = |x: [u8; 32]| B256::from(x);
        ProofRecord {
            commitment: zkr_crypto::field::fr_to_decimal(&p.commitment),
            a: a.map(w),
            b: b.map(|pair| pair.map(w)),
            c: c.map(w),
            dex: p.kind == zkr_circuit::CircuitKind::Dex,
        }
    }
}

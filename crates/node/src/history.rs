//! Each account's history: an index from account to the operations that touched it, written
//! with the block that applied them (one redb transaction) and rebuilt from the stored blocks
//! when a data dir from before the index is opened.

use crate::NodeError;
use crate::records::{AppliedOp, BLOCK_OPS, BlockOps, META, PRIORITY, PriorityRecord};
use alloy_primitives::B256;
use serde::{Deserialize, Serialize};
use zkr_state::storage::{SideWrite, Storage};
use zkr_state::{ChainConfig, OpRequest};
use zkr_types::AccountId;
use zkr_types::op::parse_pubdata;

/// Side table: account id (4 bytes BE) ‖ block (8 bytes BE) ‖ position in the block (4 bytes
/// BE) -> [`HistoryEntry`].
pub const ACCOUNT_HISTORY: &str = "node_account_history";
/// [`META`] key of the version of [`ACCOUNT_HISTORY`] the data dir holds (absent before it).
pub const HISTORY_VERSION_KEY: &[u8] = b"account_history_version";
/// The version this node writes.
pub const HISTORY_VERSION: u32 = 1;

/// One operation in an account's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HistoryEntry {
    /// The L2 transaction's hash, or the L1 transaction's that requested a priority operation.
    pub hash: Option<B256>,
    /// Whether it came from the L1 priority queue.
    pub priority: bool,
    /// The operation type (`docs/protocol.md` §4).
    pub op_type: u8,
}

/// The key of an account's entry.
pub fn key(account: AccountId, block: u64, position: u32) -> Vec<u8> {
    let mut k = Vec::with_capacity(16);
    k.extend_from_slice(&account.0.to_be_bytes());
    k.extend_from_slice(&block.to_be_bytes());
    k.extend_from_slice(&position.to_be_bytes());
    k
}

/// The (block, position) of a key.
pub fn key_position(k: &[u8]) -> Option<(u64, u32)> {
    let block = u64::from_be_bytes(k.get(4..12)?.try_into().ok()?);
    let position = u32::from_be_bytes(k.get(12..16)?.try_into().ok()?);
    Some((block, position))
}

/// The index entries of one applied operation at `position` of block `block`.
pub fn writes_for(
    block: u64,
    position: u32,
    op: &AppliedOp,
    hash: Option<B256>,
) -> Result<Vec<SideWrite>, NodeError> {
    let parsed = parse_pubdata(&op.pubdata).map_err(|e| NodeError::Encoding(e.to_string()))?;
    let Some(parsed) = parsed.first() else {
        return Ok(Vec::new());
    };
    let entry = HistoryEntry {
        hash,
        priority: parsed.is_priority(),
        op_type: parsed.op_type(),
    };
    let value = encode(&entry)?;
    Ok(parsed
        .accounts()
        .into_iter()
        .map(|a| SideWrite {
            table: ACCOUNT_HISTORY,
            key: key(a, block, position),
            value: Some(value.clone()),
        })
        .collect())
}

/// Builds the index from the stored blocks if the data dir has none (a data dir of an older
/// node), in one transaction. Returns how many blocks it indexed.
pub fn rebuild_if_missing<S: Storage>(
    storage: &S,
    chain: &ChainConfig,
) -> Result<usize, NodeError> {
    if storage.side_get(META, HISTORY_VERSION_KEY)?.is_some() {
        return Ok(0);
    }
    // Blocks from before `AppliedOp::hash`: a priority operation's L1 transaction from its
    // record, by (block, operation).
    let mut l1_txs = std::collections::HashMap::new();
    for (_, v) in storage.side_scan(PRIORITY)? {
        let r: PriorityRecord =
            serde_json::from_slice(&v).map_err(|e| NodeError::Encoding(e.to_string()))?;
        if let Some(block) = r.block {
            l1_txs.insert((block, encode(&r.op)?), r.hash);
        }
    }
    let mut writes = Vec::new();
    let blocks = storage.side_scan(BLOCK_OPS)?;
    for (k, v) in &blocks {
        let block = u64::from_be_bytes(
            k.as_slice()
                .try_into()
                .map_err(|_| NodeError::Encoding("block key".into()))?,
        );
        let ops: BlockOps =
            serde_json::from_slice(v).map_err(|e| NodeError::Encoding(e.to_string()))?;
        for (i, op) in ops.iter().enumerate() {
            let hash = match (&op.request, op.hash) {
                (_, Some(h)) => Some(h),
                (None, None) => None,
                (Some(OpRequest::Tx(tx)), None) => Some(
                    tx.hash(chain.chain_id)
                        .map_err(|e| NodeError::Encoding(e.to_string()))?,
                ),
                (Some(request), None) => l1_txs.get(&(block, encode(request)?)).copied(),
            };
            writes.extend(writes_for(block, i as u32, op, hash)?);
        }
    }
    writes.push(version_write()?);
    storage.side_commit(writes)?;
    Ok(blocks.len())
}

fn encode<T: Serialize>(v: &T) -> Result<Vec<u8>, NodeError> {
    serde_json::to_vec(v).map_err(|e| NodeError::Encoding(e.to_string()))
}

/// The write that marks the index as present.
pub fn version_write() -> Result<SideWrite, NodeError> {
    Ok(SideWrite {
        table: META,
        key: HISTORY_VERSION_KEY.to_vec(),
        value: Some(encode(&HISTORY_VERSION)?),
    })
}

/// Up to `limit` entries of `account`'s history, newest first, before (block, position)
/// `before` (exclusive; `None` from the newest).
pub fn page<S: Storage>(
    storage: &S,
    account: AccountId,
    before: Option<(u64, u32)>,
    limit: usize,
) -> Result<Vec<(u64, u32, HistoryEntry)>, NodeError> {
    let start = key(account, 0, 0);
    let end = match before {
        Some((b, p)) => key(account, b, p),
        None => {
            let next = AccountId(account.0.wrapping_add(1));
            if next.0 == 0 {
                let mut k = key(account, u64::MAX, u32::MAX);
                k.push(0);
                k
            } else {
                key(next, 0, 0)
            }
        }
    };
    let mut out = Vec::new();
    for (k, v) in storage.side_range(ACCOUNT_HISTORY, &start, &end, limit, true)? {
        let (block, position) =
            key_position(&k).ok_or_else(|| NodeError::Encoding("history key".into()))?;
        let entry: HistoryEntry =
            serde_json::from_slice(&v).map_err(|e| NodeError::Encoding(e.to_string()))?;
        out.push((block, position, entry));
    }
    Ok(out)
}

//! What L1 holds about batches: their lifecycle events and the `commitBatch` calldata that
//! carries each batch's pubdata (what `zkr rebuild` reads to rebuild the state from L1 alone).

use crate::L1Error;
use crate::bindings::ZkrRollup;
use alloy::consensus::Transaction as _;
use alloy::primitives::{Address, B256, U256};
use alloy::providers::Provider;
use alloy::rpc::types::Filter;
use alloy::sol_types::{SolCall, SolEvent};

/// A batch lifecycle event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BatchEvent {
    /// `commitBatch`.
    Committed {
        /// The batch.
        number: u64,
        /// The root it claims.
        new_root: U256,
        /// Priority operations consumed by committed batches after it.
        priority_ops_end: u64,
    },
    /// `revertBatches`: committed batches above `to` are gone.
    Reverted {
        /// Batches still committed.
        to: u64,
    },
    /// `proveBatch` / `proveDexBatch`.
    Proven {
        /// The batch.
        number: u64,
    },
    /// `executeBatch`.
    Executed {
        /// The batch.
        number: u64,
    },
}

/// A batch event with where it happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggedBatchEvent {
    /// The L1 block.
    pub block: u64,
    /// Its position in the block.
    pub log_index: u64,
    /// The L1 transaction.
    pub tx_hash: B256,
    /// The event.
    pub event: BatchEvent,
}

/// The rollup's batch events in blocks `from..=to`, in (block, log index) order.
pub async fn batch_events<P: Provider>(
    provider: &P,
    rollup: Address,
    from: u64,
    to: u64,
) -> Result<Vec<LoggedBatchEvent>, L1Error> {
    let filter = Filter::new()
        .address(rollup)
        .from_block(from)
        .to_block(to)
        .event_signature(vec![
            ZkrRollup::BatchCommitted::SIGNATURE_HASH,
            ZkrRollup::BatchesReverted::SIGNATURE_HASH,
            ZkrRollup::BatchProven::SIGNATURE_HASH,
            ZkrRollup::BatchExecuted::SIGNATURE_HASH,
        ]);
    let mut logs = provider.get_logs(&filter).await.map_err(L1Error::rpc)?;
    logs.sort_by_key(|l| (l.block_number, l.log_index));
    let mut out = Vec::with_capacity(logs.len());
    for log in logs {
        let (Some(block), Some(log_index), Some(tx_hash)) =
            (log.block_number, log.log_index, log.transaction_hash)
        else {
            return Err(L1Error::Rpc(
                "a log without its block, index or transaction (a pending block?)".into(),
            ));
        };
        let event = match log.topic0() {
            Some(&ZkrRollup::BatchCommitted::SIGNATURE_HASH) => {
                let e = ZkrRollup::BatchCommitted::decode_log(&log.inner).map_err(L1Error::rpc)?;
                BatchEvent::Committed {
                    number: e.batchNumber,
                    new_root: e.newRoot,
                    priority_ops_end: e.priorityOpsEnd,
                }
            }
            Some(&ZkrRollup::BatchesReverted::SIGNATURE_HASH) => {
                let e = ZkrRollup::BatchesReverted::decode_log(&log.inner).map_err(L1Error::rpc)?;
                BatchEvent::Reverted {
                    to: e.newTotalBatchesCommitted,
                }
            }
            Some(&ZkrRollup::BatchProven::SIGNATURE_HASH) => {
                let e = ZkrRollup::BatchProven::decode_log(&log.inner).map_err(L1Error::rpc)?;
                BatchEvent::Proven {
                    number: e.batchNumber,
                }
            }
            Some(&ZkrRollup::BatchExecuted::SIGNATURE_HASH) => {
                let e = ZkrRollup::BatchExecuted::decode_log(&log.inner).map_err(L1Error::rpc)?;
                BatchEvent::Executed {
                    number: e.batchNumber,
                }
            }
            _ => continue,
        };
        out.push(LoggedBatchEvent {
            block,
            log_index,
            tx_hash,
            event,
        });
    }
    Ok(out)
}

/// The `commitBatch` input of L1 transaction `tx`. The operator must call the rollup
/// directly (as `zkr node` does): a commit made through another contract has no calldata
/// here to read.
pub async fn commit_calldata<P: Provider>(
    provider: &P,
    rollup: Address,
    tx: B256,
) -> Result<ZkrRollup::CommitBatchInput, L1Error> {
    let t = provider
        .get_transaction_by_hash(tx)
        .await
        .map_err(L1Error::rpc)?
        .ok_or_else(|| L1Error::Rpc(format!("L1 does not know transaction {tx}")))?;
    if t.to() != Some(rollup) {
        return Err(L1Error::Rpc(format!(
            "commit transaction {tx} calls {:?}, not the rollup {rollup}: only direct commits \
             can be read back",
            t.to()
        )));
    }
    let call = ZkrRollup::commitBatchCall::abi_decode(t.input())
        .map_err(|e| L1Error::Rpc(format!("transaction {tx} is not a commitBatch call: {e}")))?;
    Ok(call.b)
}

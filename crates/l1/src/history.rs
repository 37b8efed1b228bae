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
    decode_commit(t.input())
        .map_err(|e| L1Error::Rpc(format!("transaction {tx} is not a commitBatch call: {e}")))
}

/// Reads `commitBatch`'s `newRoot`, `pubdataHash`, `feeAccount` and `pubdata` as Solidity
/// does: lazily. `ethSignatures` is left out (empty): the contract reads it only for a
/// ChangePubKey, so an operator may post it malformed in a batch without one, and a decoder
/// that insisted on it would stop every rebuild (and so every exodus exit) at that batch.
pub fn decode_commit(input: &[u8]) -> Result<ZkrRollup::CommitBatchInput, String> {
    if input.len() < 4 || input[..4] != ZkrRollup::commitBatchCall::SELECTOR {
        return Err("not the commitBatch selector".into());
    }
    let data = &input[4..];
    let word = |at: usize| -> Result<U256, String> {
        data.get(at..at.checked_add(32).ok_or("offset overflow")?)
            .map(U256::from_be_slice)
            .ok_or_else(|| format!("calldata ends before byte {}", at + 32))
    };
    let offset = |at: usize| -> Result<usize, String> {
        usize::try_from(word(at)?).map_err(|_| "offset out of range".to_string())
    };
    let s = offset(0)?;
    let new_root = word(s)?;
    let pubdata_hash = word(s + 32)?;
    let fee_account =
        u32::try_from(word(s + 64)?).map_err(|_| "feeAccount wider than 32 bits".to_string())?;
    let p = s
        .checked_add(offset(s + 96)?)
        .ok_or("offset overflow".to_string())?;
    let len = offset(p)?;
    let start = p.checked_add(32).ok_or("offset overflow".to_string())?;
    let end = start
        .checked_add(len)
        .ok_or("length overflow".to_string())?;
    let pubdata = data
        .get(start..end)
        .ok_or("pubdata runs past the calldata".to_string())?;
    Ok(ZkrRollup::CommitBatchInput {
        newRoot: new_root,
        pubdataHash: pubdata_hash,
        feeAccount: fee_account,
        pubdata: pubdata.to_vec().into(),
        ethSignatures: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(sigs: Vec<alloy::primitives::Bytes>) -> ZkrRollup::CommitBatchInput {
        ZkrRollup::CommitBatchInput {
            newRoot: U256::from(5),
            pubdataHash: U256::from(7),
            feeAccount: 3,
            pubdata: vec![1, 2, 3, 4, 5].into(),
            ethSignatures: sigs,
        }
    }

    #[test]
    fn reads_what_the_contract_reads_and_ignores_malformed_signatures() {
        let b = input(vec![vec![9u8; 65].into()]);
        let mut data = ZkrRollup::commitBatchCall { b: b.clone() }.abi_encode();
        let got = decode_commit(&data).unwrap();
        assert_eq!(
            (got.newRoot, got.pubdataHash, got.feeAccount),
            (b.newRoot, b.pubdataHash, 3)
        );
        assert_eq!(got.pubdata, b.pubdata);
        // The ethSignatures head (5th struct word, after the selector and the struct offset)
        // pointing past the end: Solidity never reads it in a batch without ChangePubKey.
        let head = 4 + 32 + 4 * 32;
        data[head..head + 32].copy_from_slice(&[0xff; 32]);
        assert!(ZkrRollup::commitBatchCall::abi_decode(&data).is_err());
        assert_eq!(decode_commit(&data).unwrap().pubdata, b.pubdata);
        // A pubdata running past the calldata, or another function, is refused.
        let mut short = ZkrRollup::commitBatchCall { b: input(vec![]) }.abi_encode();
        short.truncate(short.len() - 64);
        assert!(decode_commit(&short).is_err());
        assert!(decode_commit(&[0u8; 40]).is_err());
    }
}
